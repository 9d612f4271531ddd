"""Checks an order request against the contract and the symbol's trading rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.sim.syncron.config import SymbolConfig
from botkit.sim.syncron.errors import invalid_parameter


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A parsed ``POST /v5/order`` body; ``time_in_force`` None means the type's default."""

    symbol: str
    side: Side
    order_type: OrderType
    qty: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    post_only: bool = False
    reduce_only: bool = False
    client_order_id: str | None = None


def _multiple(value: Decimal, step: Decimal) -> bool:
    """Whether ``value`` is a whole multiple of ``step``, exactly.

    ``Decimal %`` raises once the quotient has more digits than the context's precision (28):
    ``Fraction`` arithmetic has no such limit (the input boundary keeps the numbers small).
    """
    return Fraction(value) % Fraction(step) == 0


def _check_type_fields(req: OrderRequest) -> TimeInForce:
    """Which fields each order type takes; returns the time in force with defaults applied."""
    tif = req.time_in_force
    if req.order_type is OrderType.MARKET:
        if req.price is not None:
            raise invalid_parameter("price", "must be absent for market orders")
        if req.stop_price is not None:
            raise invalid_parameter("stop_price", "only stop orders take stop_price")
        if tif is TimeInForce.GTC:
            raise invalid_parameter("time_in_force", "market orders are ioc or fok")
        tif = tif or TimeInForce.IOC
    elif req.order_type is OrderType.LIMIT:
        if req.price is None:
            raise invalid_parameter("price", "required for limit orders")
        if req.stop_price is not None:
            raise invalid_parameter("stop_price", "only stop orders take stop_price")
        tif = tif or TimeInForce.GTC
    else:
        if req.stop_price is None:
            raise invalid_parameter("stop_price", "required for stop orders")
        if req.price is None and tif is TimeInForce.GTC:
            raise invalid_parameter("time_in_force", "stop-market orders are ioc or fok")
        tif = tif or (TimeInForce.GTC if req.price is not None else TimeInForce.IOC)
    if req.post_only and (req.order_type is not OrderType.LIMIT or tif is not TimeInForce.GTC):
        raise invalid_parameter("post_only", "only for limit orders with time_in_force gtc")
    return tif


def validate_order(
    req: OrderRequest, spec: SymbolConfig, reference_price: Decimal | None
) -> OrderRequest:
    """``req`` with defaults filled in, or raise ``40001`` naming the first bad field.

    ``reference_price`` is the best opposite price (or last price) used for the min-notional
    rule of market orders, and the last trade price for the stop trigger rule.
    """
    if req.qty <= 0 or not _multiple(req.qty, spec.lot_size):
        raise invalid_parameter("qty", f"must be > 0 and a multiple of lot_size {spec.lot_size}")
    for name, value in (("price", req.price), ("stop_price", req.stop_price)):
        if value is not None and (value <= 0 or not _multiple(value, spec.tick_size)):
            raise invalid_parameter(
                name, f"must be > 0 and a multiple of tick_size {spec.tick_size}"
            )
    tif = _check_type_fields(req)
    priced = req.price or req.stop_price or reference_price
    if priced is not None and priced * req.qty < spec.min_notional:
        raise invalid_parameter("qty", f"price × qty must be at least {spec.min_notional}")
    return replace(req, time_in_force=tif)


def check_stop_not_reached(req: OrderRequest, last_price: Decimal | None) -> None:
    """Refuse a stop order whose trigger the last trade price has already reached."""
    if req.order_type is not OrderType.STOP or last_price is None or req.stop_price is None:
        return
    reached = last_price >= req.stop_price if req.side is Side.BUY else last_price <= req.stop_price
    if reached:
        raise invalid_parameter(
            "stop_price", f"would trigger immediately: last price is {last_price}"
        )
