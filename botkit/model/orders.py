"""Orders: what strategies ask for (OrderIntent), what is working (Order), and what happened (Fill)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from botkit.model.enums import OrderType, Side, TimeInForce


class OrderStatus(StrEnum):
    """Lifecycle of an order; ``LEGAL_TRANSITIONS`` says which moves are allowed."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """Whether the order can still fill."""
        return self in (OrderStatus.PENDING, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)


LEGAL_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.ACCEPTED, OrderStatus.REJECTED, OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED,
         OrderStatus.CANCELED}
    ),
    OrderStatus.ACCEPTED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED}
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED}
    ),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}


class Liquidity(StrEnum):
    """Whether a fill added liquidity (maker) or took it (taker); decides the fee rate."""

    MAKER = "maker"
    TAKER = "taker"


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order a strategy wants; risk rules see it before anything is sent.

    ``qty`` None means "size it for me" with the backtest's or bot's position-sizing rule.
    """

    symbol: str
    side: Side
    qty: float | None
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    reduce_only: bool = False
    client_order_id: str | None = None
    tag: str = ""

    def __post_init__(self) -> None:
        if self.qty is not None and not (math.isfinite(self.qty) and self.qty > 0):
            raise ValueError(f"OrderIntent.qty must be a finite number > 0 or None, got {self.qty!r}")
        if self.order_type is OrderType.LIMIT and not _positive(self.limit_price):
            raise ValueError(f"a limit order needs limit_price > 0, got {self.limit_price!r}")
        if self.order_type is OrderType.STOP and not _positive(self.stop_price):
            raise ValueError(f"a stop order needs stop_price > 0, got {self.stop_price!r}")


def _positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


@dataclass(frozen=True, slots=True)
class Order:
    """A working or finished order as botkit knows it."""

    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    qty: float
    order_type: OrderType
    status: OrderStatus
    ts_created: int
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    reduce_only: bool = False
    filled_qty: float = 0.0
    avg_fill_price: float = 0.0
    tag: str = ""

    @property
    def remaining(self) -> float:
        """Quantity still to fill."""
        return self.qty - self.filled_qty

    def with_status(self, status: OrderStatus) -> Order:
        """The order moved to ``status``; raises ValueError on an illegal transition."""
        if status not in LEGAL_TRANSITIONS[self.status]:
            raise ValueError(f"order {self.client_order_id}: illegal transition {self.status.value} -> {status.value}")
        return replace(self, status=status)

    def with_fill(self, qty: float, price: float) -> Order:
        """The order after a fill of ``qty`` at ``price``."""
        filled = self.filled_qty + qty
        avg = (self.avg_fill_price * self.filled_qty + price * qty) / filled
        done = filled >= self.qty * (1 - 1e-12)
        status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED
        if status not in LEGAL_TRANSITIONS[self.status]:
            raise ValueError(f"order {self.client_order_id}: cannot fill in status {self.status.value}")
        return replace(self, filled_qty=filled, avg_fill_price=avg, status=status)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order."""

    ts: int
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    qty: float
    price: float
    fee: float
    liquidity: Liquidity
    fill_id: str = ""
    """The venue's own id of this execution ("" where the venue gives none): what makes it unique."""
