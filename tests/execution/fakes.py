"""A small in-memory ExecutionClient with switches for the edge cases executors must survive."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from botkit.core.errors import NotFoundError, OrderRejected, VenueUnavailable
from botkit.model.order_events import OrderCanceled, OrderEvent, OrderFilled
from botkit.model.orders import Fill, Liquidity, Order, OrderIntent, OrderStatus
from botkit.model.positions import Balance


class FakeExecutionClient:
    """Venue truth in a dict; ``timeouts_after_accept`` answers that many submits with a timeout
    *after* keeping the order, like a gateway timeout at a real venue."""

    venue = "fake"

    def __init__(self, *, lookup: bool = True) -> None:
        self.orders: dict[str, Order] = {}
        self.fill_log: list[Fill] = []
        self.submit_calls: list[str] = []
        self.cancel_calls: list[str] = []
        self.timeouts_after_accept = 0
        self.timeouts_before_accept = 0
        self.reject_reason: str | None = None
        self.events: asyncio.Queue[OrderEvent] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._ts = itertools.count(1_000)
        self._lookup = lookup
        self.closed = False

    async def submit(self, intent: OrderIntent, client_order_id: str) -> Order:
        self.submit_calls.append(client_order_id)
        if self.timeouts_before_accept:
            self.timeouts_before_accept -= 1
            raise VenueUnavailable("connection reset before the venue saw the order")
        if client_order_id in self.orders:
            return self._answer(self.orders[client_order_id])
        if self.reject_reason is not None:
            raise OrderRejected("venue refused", self.reject_reason)
        assert intent.qty is not None
        order = Order(
            order_id=f"v{next(self._ids)}", client_order_id=client_order_id, symbol=intent.symbol,
            side=intent.side, qty=intent.qty, order_type=intent.order_type, status=OrderStatus.ACCEPTED,
            ts_created=next(self._ts), limit_price=intent.limit_price,
        )
        self.orders[client_order_id] = order
        return self._answer(order)

    def _answer(self, order: Order) -> Order:
        if self.timeouts_after_accept:
            self.timeouts_after_accept -= 1
            raise TimeoutError("the answer was lost")
        return order

    async def cancel(self, client_order_id: str) -> Order:
        self.cancel_calls.append(client_order_id)
        order = self.orders.get(client_order_id)
        if order is None:
            raise NotFoundError(f"unknown order {client_order_id}")
        if not order.status.is_open:
            raise OrderRejected("order is not open", "not_open")
        order = self.orders[client_order_id] = order.with_status(OrderStatus.CANCELED)
        return order

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        return [o for o in self.orders.values() if o.status.is_open and (symbol is None or o.symbol == symbol)]

    async def balances(self) -> Sequence[Balance]:
        return [Balance("USD", 100_000.0)]

    async def order(self, client_order_id: str) -> Order:
        if not self._lookup:
            raise NotImplementedError
        if client_order_id not in self.orders:
            raise NotFoundError(client_order_id)
        return self.orders[client_order_id]

    async def fills(self, symbol: str | None = None, *, since_ns: int | None = None) -> Sequence[Fill]:
        # the fake's fills carry small counter timestamps: all of them, a superset of those since since_ns
        return [f for f in self.fill_log if symbol is None or f.symbol == symbol]

    async def order_events(self) -> AsyncIterator[OrderEvent]:
        while not self.closed:
            yield await self.events.get()

    async def close(self) -> None:
        self.closed = True

    # --- test controls -------------------------------------------------------------------------
    def fill(self, client_order_id: str, qty: float, price: float, *, push: bool = True) -> OrderFilled:
        """The venue fills ``qty`` of an order; the event is queued unless ``push`` is False (lost)."""
        order = self.orders[client_order_id].with_fill(qty, price)
        self.orders[client_order_id] = order
        fill = Fill(next(self._ts), order.order_id, client_order_id, order.symbol, order.side, qty, price,
                    qty * price * 5e-4, Liquidity.TAKER)
        self.fill_log.append(fill)
        event = OrderFilled(fill.ts, order, fill)
        if push:
            self.events.put_nowait(event)
        return event

    def cancel_at_venue(self, client_order_id: str) -> OrderCanceled:
        order = self.orders[client_order_id] = self.orders[client_order_id].with_status(OrderStatus.CANCELED)
        return OrderCanceled(next(self._ts), order)

    def forget_order(self, client_order_id: str) -> None:
        self.orders.pop(client_order_id)

    def without_history(self) -> FakeExecutionClient:
        """The same venue seen through a client with no order lookup and no fill history."""
        return _Minimal(self)  # type: ignore[return-value]


class _Minimal:
    """Only the ExecutionClient protocol, nothing more."""

    venue = "fake"

    def __init__(self, inner: FakeExecutionClient) -> None:
        self.inner = inner

    async def submit(self, intent: OrderIntent, client_order_id: str) -> Order:
        return await self.inner.submit(intent, client_order_id)

    async def cancel(self, client_order_id: str) -> Order:
        return await self.inner.cancel(client_order_id)

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        return await self.inner.open_orders(symbol)

    async def balances(self) -> Sequence[Balance]:
        return await self.inner.balances()

    def order_events(self) -> AsyncIterator[OrderEvent]:
        return self.inner.order_events()

    async def close(self) -> None:
        await self.inner.close()


def replaced(order: Order, **changes: object) -> Order:
    return replace(order, **changes)  # type: ignore[arg-type]
