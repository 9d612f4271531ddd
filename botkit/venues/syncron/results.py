"""Typed results of the Syncron client that botkit.model has no type for, or that carry venue ids.

Model objects (``Order``, ``Fill``, ``Trade``, ``Instrument``, ``Balance``…) stay the currency of
botkit; these wrap them with what only Syncron knows (trade and fill ids, cancel reasons) so the
client can deduplicate and reconcile. Timestamps are integer nanoseconds UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from botkit.model.events import Quote, Trade
from botkit.model.orders import Fill, Order


class Ticker(NamedTuple):
    """Best bid and ask, last price and 24-hour statistics of one symbol (None when unknown)."""

    ts: int
    symbol: str
    bid: float | None
    bid_qty: float | None
    ask: float | None
    ask_qty: float | None
    last: float | None
    open_24h: float | None
    high_24h: float | None
    low_24h: float | None
    volume_24h: float

    def quote(self) -> Quote | None:
        """The top of book as a Quote; None if a side is empty."""
        if self.bid is None or self.ask is None or self.bid_qty is None or self.ask_qty is None:
            return None
        return Quote(self.ts, self.symbol, self.bid, self.bid_qty, self.ask, self.ask_qty)


@dataclass(frozen=True, slots=True)
class TokenPair:
    """A JWT access token and its single-use refresh token, with expiries (ns, venue clock)."""

    token: str = field(repr=False)
    expires_at: int
    refresh_token: str = field(repr=False)
    refresh_expires_at: int


class TradeTick(NamedTuple):
    """A public trade with the venue's ``trade_id`` (what deduplication keys on)."""

    trade_id: str
    trade: Trade


class Execution(NamedTuple):
    """One own fill with the venue's ids and fee asset."""

    fill_id: str
    trade_id: str
    fee_asset: str
    fill: Fill


class OrderReport(NamedTuple):
    """An order as the venue reported it: the model ``Order`` plus what only the venue knows.

    ``wire_status`` is the venue's status text (``untriggered`` and ``new`` are both the model's
    ACCEPTED); ``cancel_reason`` is ``user``, ``reduce_only``, ``insufficient_balance``,
    ``rejected`` or None; ``updated_at`` is the time of the last change, ns.
    """

    order: Order
    wire_status: str
    cancel_reason: str | None
    updated_at: int
    filled_quote: float

