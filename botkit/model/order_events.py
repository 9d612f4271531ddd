"""What happened to an order, in the past tense; strategies receive these in their hooks."""

from __future__ import annotations

from dataclasses import dataclass

from botkit.model.orders import Fill, Order, OrderIntent


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    """The order is working at the venue (or in the simulated book)."""

    ts: int
    order: Order


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """The order filled, fully or partly; ``order`` is its state after this fill."""

    ts: int
    order: Order
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """The order was refused by a risk rule or by the venue; ``reason`` says why."""

    ts: int
    intent: OrderIntent
    reason: str
    source: str = "risk"


@dataclass(frozen=True, slots=True)
class OrderCanceled:
    """The order was canceled before it filled completely."""

    ts: int
    order: Order


@dataclass(frozen=True, slots=True)
class OrderExpired:
    """The order's time in force ran out (IOC/FOK remainder, end of data)."""

    ts: int
    order: Order


OrderEvent = OrderAccepted | OrderFilled | OrderRejected | OrderCanceled | OrderExpired
