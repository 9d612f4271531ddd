"""Turn a venue's view of one order into the events that bring the local copy up to date.

Used after ``submit`` and ``cancel`` answers (which carry the order as the venue sees it) and by
the reconciler after a (re)connect. Fills are only made up from a snapshot when asked
(``synthesize_fills``), i.e. when the venue's fill stream cannot be replayed: otherwise the real
fills, with their prices and fees, arrive on the order-event stream.
"""

from __future__ import annotations

from dataclasses import replace

from botkit.model.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from botkit.model.orders import Fill, Liquidity, Order, OrderIntent, OrderStatus

QTY_EPS = 1e-12


def intent_of(order: Order) -> OrderIntent:
    """The intent that ``order`` was made from (for rejection events and resubmission)."""
    return OrderIntent(
        symbol=order.symbol, side=order.side, qty=order.qty, order_type=order.order_type,
        limit_price=order.limit_price, stop_price=order.stop_price, time_in_force=order.time_in_force,
        post_only=order.post_only, reduce_only=order.reduce_only, client_order_id=order.client_order_id,
        tag=order.tag,
    )


def missing_fill(local: Order, venue: Order, ts: int) -> Fill | None:
    """A fill standing for what the venue filled beyond what we saw, at the implied price; fee unknown (0)."""
    qty = venue.filled_qty - local.filled_qty
    if qty <= QTY_EPS * max(1.0, venue.qty):
        return None
    notional = venue.avg_fill_price * venue.filled_qty - local.avg_fill_price * local.filled_qty
    price = notional / qty if notional > 0 else venue.avg_fill_price
    return Fill(
        ts=ts, order_id=venue.order_id, client_order_id=local.client_order_id, symbol=local.symbol,
        side=local.side, qty=qty, price=price, fee=0.0, liquidity=Liquidity.TAKER,
    )


def snapshot_events(local: Order, venue: Order, ts: int, *, synthesize_fills: bool = False) -> list[OrderEvent]:
    """Events that move ``local`` towards ``venue`` (the same order, as the venue reports it)."""
    events: list[OrderEvent] = []
    status = venue.status
    if status is OrderStatus.REJECTED:
        return [OrderRejected(ts, intent_of(local), "rejected by the venue", source="venue")] \
            if local.status is OrderStatus.PENDING else []
    if local.status is OrderStatus.PENDING:
        events.append(OrderAccepted(ts, replace(local, order_id=venue.order_id, status=OrderStatus.ACCEPTED)))
    if synthesize_fills:
        fill = missing_fill(local, venue, ts)
        if fill is not None:
            events.append(OrderFilled(ts, venue, fill))
    if status is OrderStatus.CANCELED:
        events.append(OrderCanceled(ts, venue))
    elif status is OrderStatus.EXPIRED:
        events.append(OrderExpired(ts, venue))
    return events
