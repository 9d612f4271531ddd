"""Mutable order state and immutable fill and trade records kept by the simulated venue."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.orders import Liquidity

ZERO = Decimal(0)


class WireStatus(StrEnum):
    """Order status as the contract spells it."""

    UNTRIGGERED = "untriggered"
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """Whether the order can still fill."""
        return self in (WireStatus.UNTRIGGERED, WireStatus.NEW, WireStatus.PARTIALLY_FILLED)


@dataclass(slots=True)
class SimOrder:
    """An order accepted by the simulator; the exchange mutates it as it fills or ends."""

    order_id: str
    client_order_id: str
    account_id: str
    symbol: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    qty: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    post_only: bool
    reduce_only: bool
    created_at: int
    updated_at: int
    status: WireStatus = WireStatus.NEW
    filled_qty: Decimal = ZERO
    filled_quote: Decimal = ZERO
    reserved: Decimal = ZERO
    cancel_reason: str | None = None
    triggered: bool = field(default=False)

    @property
    def remaining(self) -> Decimal:
        """Quantity still to fill."""
        return self.qty - self.filled_qty

    @property
    def avg_fill_price(self) -> Decimal | None:
        """Average price of the fills so far, None before the first fill."""
        return self.filled_quote / self.filled_qty if self.filled_qty else None

    @property
    def executes_as_market(self) -> bool:
        """Whether it matches without a limit: market orders and triggered stop-markets."""
        return self.price is None


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """A public trade: ``side`` is the taker's side."""

    trade_id: str
    symbol: str
    price: Decimal
    qty: Decimal
    side: Side
    ts: int


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One execution of an account's order; the fee is paid in the quote asset."""

    fill_id: str
    trade_id: str
    order_id: str
    client_order_id: str
    account_id: str
    symbol: str
    side: Side
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: Liquidity
    ts: int
