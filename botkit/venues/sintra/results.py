"""What the Sintra endpoints return, as frozen typed values (timestamps in integer ns UTC).

Prices are ``botkit.model.events.Price``: ``source`` is ``"sintra"`` for Sintra's volume-weighted
price and ``"coinbase"`` when *Retrieve price* fell back to Coinbase's spot price for a quote
currency Sintra does not support.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from botkit.model.events import Price


@dataclass(frozen=True, slots=True)
class Exchange:
    """A crypto exchange Sintra receives trade data from."""

    id: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class FeeLevel:
    """A Bitcoin transaction fee in satoshis per virtual byte, for one priority."""

    priority: str
    fee: int


@dataclass(frozen=True, slots=True)
class FeeSnapshot:
    """The fee levels at the start of one UTC hour (an entry of the fee history)."""

    ts: int
    fees: tuple[FeeLevel, ...]


@dataclass(frozen=True, slots=True)
class Pair:
    """A supported pair: ``btc`` and a quote currency."""

    pair: str
    base: str
    quote: str


@dataclass(frozen=True, slots=True)
class PairStats:
    """Price statistics of a pair over a window of up to 24 hours ``[start, end)``."""

    pair: str
    base: str
    quote: str
    start: int
    end: int
    open: float
    high: float
    low: float
    close: float
    change: float
    change_percent: float
    volume: float


@dataclass(frozen=True, slots=True)
class PriceBoard:
    """The latest price of every supported quote currency that has one right now.

    A currency can be missing for a while (Sintra says so): ask with :meth:`get`, which returns
    None for a missing currency, or ``quote in board``.
    """

    prices: tuple[Price, ...]

    def get(self, quote: str) -> Price | None:
        """The price in ``quote`` (e.g. ``"usd"``, any case), or None if it is missing now."""
        wanted = quote.lower()
        return next((p for p in self.prices if p.quote == wanted), None)

    @property
    def quotes(self) -> frozenset[str]:
        """The quote currencies present."""
        return frozenset(p.quote for p in self.prices)

    def __contains__(self, quote: object) -> bool:
        return isinstance(quote, str) and self.get(quote) is not None

    def __iter__(self) -> Iterator[Price]:
        return iter(self.prices)

    def __len__(self) -> int:
        return len(self.prices)


@dataclass(frozen=True, slots=True)
class Session:
    """A WebSocket session: ``?sessionId=`` gives a connection 1-second updates.

    The id authenticates connections until ``expires_at`` (ns), so it is kept out of reprs.
    """

    session_id: str = field(repr=False)
    expires_at: int


@dataclass(frozen=True, slots=True)
class WsConnected:
    """The ``connection`` event: the plan and update period this connection got."""

    plan: str
    interval_s: int
    message: str


@dataclass(frozen=True, slots=True)
class WsPrices:
    """A ``data`` event: one price per quote currency present."""

    prices: tuple[Price, ...]


@dataclass(frozen=True, slots=True)
class WsError:
    """An ``error`` event the server sent (e.g. an expired session, or a shutdown)."""

    message: str
    error_type: str
    code: str | None


WsEvent = WsConnected | WsPrices | WsError
"""Any event of the Sintra WebSocket."""
