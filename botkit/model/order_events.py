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
    """The order was refused by a risk rule, the engine or the venue; ``reason`` says why.

    ``code`` is the stable code to match on (``botkit.risk.rejection.RejectCode`` values for risk
    and engine refusals, ``venue`` for the venue's), ``rule`` the setting that refused, and
    ``value``/``limit`` the numbers that broke it, where the rule has numbers.
    """

    ts: int
    intent: OrderIntent
    reason: str
    source: str = "risk"
    code: str = ""
    rule: str = ""
    value: float | None = None
    limit: float | None = None


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
