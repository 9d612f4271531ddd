"""The order manager: every order this bot placed, its state machine, and idempotent event handling.

Orders are keyed by client order id. Status moves follow ``model.orders.LEGAL_TRANSITIONS``;
venue events are applied at most once: a repeated fill or status event is ignored (venues
redeliver after reconnects), and an event for an order the bot does not know is kept in
``unknown_events`` for a person or the reconciler to look at. Fills are never dropped: a fill that
arrives after its order was marked canceled (events on different channels can overtake each other)
still counts, because it moved real money.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import structlog

from botkit.model.enums import Side
from botkit.model.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from botkit.model.orders import LEGAL_TRANSITIONS, Fill, Order, OrderStatus

log = structlog.get_logger("botkit.execution.oms")

FillKey = str
"""What makes a fill unique: the venue's fill id; without one, client order id, timestamp, quantity and price."""

_UNKNOWN_KEPT = 1000


def fill_key(fill: Fill) -> FillKey:
    """The identity of ``fill`` used to ignore a second delivery of it.

    Two genuine fills of one order can share timestamp, quantity and price; only the venue's fill
    id tells them apart, so it is the key whenever the venue gives one.
    """
    if fill.fill_id:
        return f"id:{fill.fill_id}"
    return f"{fill.client_order_id}|{fill.ts}|{fill.qty!r}|{fill.price!r}"


class OrderManager:
    """Holds the bot's orders by client order id and applies venue events to them exactly once."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._open: dict[str, Order] = {}  # the open ones, oldest first: the risk checks read them per decision
        self._seen_fills: dict[FillKey, None] = {}
        self.unknown_events: list[OrderEvent] = []
        self.duplicates = 0

    # --- queries -------------------------------------------------------------------------------
    def get(self, client_order_id: str) -> Order | None:
        """The order with ``client_order_id``, open or finished; None if unknown."""
        return self._orders.get(client_order_id)

    def __contains__(self, client_order_id: object) -> bool:
        return client_order_id in self._orders

    def __len__(self) -> int:
        return len(self._orders)

    def orders(self) -> list[Order]:
        """Every known order, in the order they were tracked."""
        return list(self._orders.values())

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders that can still fill (pending, accepted, partially filled), oldest first."""
        if symbol is None:
            return list(self._open.values())
        return [o for o in self._open.values() if o.symbol == symbol]

    def pending(self) -> list[Order]:
        """Orders whose submission outcome is not known yet."""
        return [o for o in self._open.values() if o.status is OrderStatus.PENDING]

    def working_qty(self, symbol: str, side: Side | None = None) -> float:
        """Signed remaining quantity of open orders of ``symbol`` (buys +, sells -), of ``side`` only if given."""
        return sum(int(o.side) * o.remaining for o in self._open.values()
                   if o.symbol == symbol and (side is None or o.side is side))

    def open_count(self) -> int:
        """How many orders are open."""
        return len(self._open)

    def seen_fills(self) -> list[FillKey]:
        """Keys of every fill applied so far, oldest first (persisted so a restart ignores redelivered fills)."""
        return list(self._seen_fills)

    def has_seen(self, fill: Fill) -> bool:
        """Whether ``fill`` was applied already."""
        return fill_key(fill) in self._seen_fills

    # --- changes -------------------------------------------------------------------------------
    def track(self, order: Order) -> None:
        """Start tracking a new order (normally ``PENDING``, before it is sent)."""
        if order.client_order_id in self._orders:
            raise ValueError(f"client order id {order.client_order_id!r} is already tracked")
        self._store(order)

    def restore(self, orders: Iterable[Order], seen_fills: Iterable[FillKey]) -> None:
        """Load orders and fill keys saved by a previous run (before reconciling)."""
        for order in orders:
            self._store(order)
        self._seen_fills.update(dict.fromkeys(seen_fills))

    def forget_finished(self, keep: int = 1000) -> None:
        """Drop the oldest finished orders beyond ``keep`` so memory stays bounded."""
        finished = [k for k, o in self._orders.items() if not o.status.is_open]
        for key in finished[: max(0, len(finished) - keep)]:
            del self._orders[key]

    def apply(self, event: OrderEvent) -> OrderEvent | None:
        """Apply a venue (or executor) event; returns it if it changed something, None otherwise.

        None means a duplicate, a stale status (the order already moved past it), or an event for
        an unknown order (kept in ``unknown_events``). A returned ``OrderFilled`` carries the
        order as the OMS now knows it.
        """
        coid = event.intent.client_order_id if isinstance(event, OrderRejected) else event.order.client_order_id
        local = self._orders.get(coid) if coid is not None else None
        if local is None:
            self._unknown(event, coid)
            return None
        if isinstance(event, OrderFilled):
            return self._apply_fill(local, event)
        if isinstance(event, OrderAccepted):
            return self._apply_accepted(local, event)
        if isinstance(event, OrderRejected):
            target = OrderStatus.REJECTED
        elif isinstance(event, OrderCanceled):
            target = OrderStatus.CANCELED
        else:
            target = OrderStatus.EXPIRED
        return self._apply_final(local, event, target)

    # --- internals -----------------------------------------------------------------------------
    def _store(self, order: Order) -> None:
        coid = order.client_order_id
        self._orders[coid] = order
        if order.status.is_open:
            self._open[coid] = order
        else:
            self._open.pop(coid, None)

    def _apply_fill(self, local: Order, event: OrderFilled) -> OrderEvent | None:
        key = fill_key(event.fill)
        if key in self._seen_fills:
            self.duplicates += 1
            log.debug("oms.fill.duplicate", client_order_id=local.client_order_id, qty=event.fill.qty)
            return None
        self._seen_fills[key] = None
        fill = event.fill
        if not local.order_id:
            local = replace(local, order_id=fill.order_id or event.order.order_id)
        if local.status.is_open:
            updated = local.with_fill(fill.qty, fill.price)
        else:
            filled = local.filled_qty + fill.qty
            avg = (local.avg_fill_price * local.filled_qty + fill.price * fill.qty) / filled
            updated = replace(local, filled_qty=filled, avg_fill_price=avg)
            log.warning(
                "oms.fill.after_final", client_order_id=local.client_order_id, status=local.status.value,
                qty=fill.qty, price=fill.price,
            )
        if updated.filled_qty > updated.qty * (1 + 1e-9):
            log.warning("oms.fill.overfill", client_order_id=local.client_order_id,
                        filled=updated.filled_qty, qty=updated.qty)
        self._store(updated)
        return OrderFilled(event.ts, updated, fill)

    def _apply_accepted(self, local: Order, event: OrderAccepted) -> OrderEvent | None:
        venue_id = event.order.order_id
        if local.status is not OrderStatus.PENDING:
            if venue_id and not local.order_id:
                self._store(replace(local, order_id=venue_id))
            self.duplicates += 1
            return None
        updated = replace(local.with_status(OrderStatus.ACCEPTED), order_id=venue_id or local.order_id)
        self._store(updated)
        return OrderAccepted(event.ts, updated)

    def _apply_final(self, local: Order, event: OrderEvent, target: OrderStatus) -> OrderEvent | None:
        if local.status is target:
            self.duplicates += 1
            return None
        if target not in LEGAL_TRANSITIONS[local.status]:
            log.info("oms.event.stale", client_order_id=local.client_order_id, status=local.status.value,
                     kind=type(event).__name__)
            return None
        updated = local.with_status(target)
        if isinstance(event, OrderRejected):
            self._store(updated)
            return event
        venue_id = event.order.order_id if isinstance(event, OrderCanceled | OrderExpired) else ""
        if venue_id and not local.order_id:
            updated = replace(updated, order_id=venue_id)
        self._store(updated)
        return OrderCanceled(event.ts, updated) if target is OrderStatus.CANCELED else OrderExpired(event.ts, updated)

    def _unknown(self, event: OrderEvent, coid: str | None) -> None:
        if isinstance(event, OrderFilled) and fill_key(event.fill) in self._seen_fills:
            self.duplicates += 1
            return
        log.warning("oms.event.unknown_order", client_order_id=coid, kind=type(event).__name__)
        self.unknown_events.append(event)
        del self.unknown_events[:-_UNKNOWN_KEPT]
