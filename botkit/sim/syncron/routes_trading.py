"""Private trading routes: place, query and cancel orders, open orders, fills."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from botkit.logging import key_hint
from botkit.sim.syncron.errors import ApiError, ErrorCode
from botkit.sim.syncron.order_rules import OrderRequest
from botkit.sim.syncron.params import FillsQuery, OptionalSymbolQuery, OrderRefQuery, PlaceOrderBody
from botkit.sim.syncron.routing import Call, Route
from botkit.sim.syncron.schemas import (
    SIDE_FROM_WIRE,
    TIF_FROM_WIRE,
    TYPE_FROM_WIRE,
    FillOut,
    OrderOut,
)

log = structlog.get_logger("botkit.sim.syncron")


async def place_order(call: Call) -> object:
    """Place an order; a known ``client_order_id`` returns the original order."""
    body = call.body(PlaceOrderBody)
    request = OrderRequest(
        symbol=body.symbol,
        side=SIDE_FROM_WIRE[body.side],
        order_type=TYPE_FROM_WIRE[body.type],
        qty=body.qty,
        price=body.price,
        stop_price=body.stop_price,
        time_in_force=TIF_FROM_WIRE[body.time_in_force] if body.time_in_force else None,
        post_only=body.post_only,
        reduce_only=body.reduce_only,
        client_order_id=body.client_order_id,
    )
    order = call.ctx.exchange.place(call.account.account_id, request)
    log.info(
        "sim.order.placed",
        account=key_hint(call.account.account_id),
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=body.side,
        type=body.type,
        qty=str(order.qty),
        status=order.status.value,
    )
    faults = call.ctx.faults
    if faults.roll(faults.config.order_timeout_rate):
        log.info(
            "sim.fault.order_timeout", order_id=order.order_id, hold_s=faults.config.order_timeout_s
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(call.ctx.closing.wait(), faults.config.order_timeout_s)
        raise ApiError(
            ErrorCode.GATEWAY_TIMEOUT,
            "gateway timeout: the order may have been placed",
            {"client_order_id": order.client_order_id},
        )
    return OrderOut.of(order).wire()


async def get_order(call: Call) -> object:
    """One own order, open or finished, by venue id or client id."""
    q = call.query(OrderRefQuery)
    order = call.ctx.exchange.orders.find(call.account.account_id, q.order_id, q.client_order_id)
    return OrderOut.of(order).wire()


async def cancel_order(call: Call) -> object:
    """Cancel one open order."""
    q = call.query(OrderRefQuery)
    order = call.ctx.exchange.cancel(call.account.account_id, q.order_id, q.client_order_id)
    log.info("sim.order.canceled", account=key_hint(call.account.account_id), order_id=order.order_id)
    return OrderOut.of(order).wire()


async def open_orders(call: Call) -> object:
    """Open orders, oldest first."""
    q = call.query(OptionalSymbolQuery)
    exchange = call.ctx.exchange
    if q.symbol is not None:
        exchange.market(q.symbol)
    orders = exchange.orders.open_orders(call.account.account_id, q.symbol)
    return [OrderOut.of(o).wire() for o in orders]


async def cancel_all(call: Call) -> object:
    """Cancel every open order (of one symbol if given)."""
    q = call.query(OptionalSymbolQuery)
    orders = call.ctx.exchange.cancel_all(call.account.account_id, q.symbol)
    log.info("sim.order.canceled_all", account=key_hint(call.account.account_id), count=len(orders))
    return [OrderOut.of(o).wire() for o in orders]


async def fills(call: Call) -> object:
    """Own executions, newest first."""
    q = call.query(FillsQuery)
    exchange = call.ctx.exchange
    if q.symbol is not None:
        exchange.market(q.symbol)
    found = exchange.orders.fills(call.account.account_id, q.symbol, q.order_id, q.limit, q.start, q.end)
    return [FillOut.of(f).wire() for f in found]


TRADING_ROUTES = (
    Route(
        "POST",
        "/v5/order",
        place_order,
        "Place an order (idempotent on client_order_id)",
        "trade",
        "trading",
        body=PlaceOrderBody,
        response=OrderOut,
    ),
    Route(
        "GET",
        "/v5/order",
        get_order,
        "Query one order",
        "read",
        "trading",
        query=OrderRefQuery,
        response=OrderOut,
    ),
    Route(
        "DELETE",
        "/v5/order",
        cancel_order,
        "Cancel one order",
        "trade",
        "trading",
        query=OrderRefQuery,
        response=OrderOut,
    ),
    Route(
        "GET",
        "/v5/orders/open",
        open_orders,
        "Open orders",
        "read",
        "trading",
        query=OptionalSymbolQuery,
        response=OrderOut,
        many=True,
    ),
    Route(
        "DELETE",
        "/v5/orders/open",
        cancel_all,
        "Cancel all open orders",
        "trade",
        "trading",
        query=OptionalSymbolQuery,
        response=OrderOut,
        many=True,
    ),
    Route(
        "GET",
        "/v5/fills",
        fills,
        "Own fills",
        "read",
        "trading",
        query=FillsQuery,
        response=FillOut,
        many=True,
    ),
)
"""Trading routes, in the order the contract lists them."""
