"""No order byte after its time-to-live: what the executor does when the client had to stop at the deadline."""

from __future__ import annotations

import asyncio

from botkit.core.clock import LiveClock
from botkit.core.errors import VenueUnavailable
from botkit.core.retry import RetryPolicy
from botkit.execution.executor import OrderExecutor
from botkit.execution.oms import OrderManager
from botkit.model.enums import OrderType, Side
from botkit.model.orders import Order, OrderIntent, OrderStatus
from botkit.venues.base import SEND_DEADLINE, SendDeadlinePassed

from .fakes import FakeExecutionClient

FAST = RetryPolicy(base=0.001, cap=0.002, max_attempts=4)


class WaitingVenue(FakeExecutionClient):
    """Each submit first waits ``wait_s`` (a rate budget), then honours the send deadline like a real client."""

    def __init__(self, wait_s: float, fail_first: int = 0) -> None:
        super().__init__()
        self.wait_s = wait_s
        self.fail_first = fail_first
        self.deadlines: list[object] = []

    async def submit(self, intent: OrderIntent, client_order_id: str) -> Order:
        deadline = SEND_DEADLINE.get()
        self.deadlines.append(deadline)
        await asyncio.sleep(self.wait_s)
        if deadline is not None and deadline.passed():
            raise SendDeadlinePassed("not sent")
        if self.fail_first:
            self.fail_first -= 1
            self.wait_s = 0.05
            raise VenueUnavailable("connection reset after the request went out")
        return await super().submit(intent, client_order_id)


def executor_for(client: FakeExecutionClient) -> OrderExecutor:
    return OrderExecutor(client, OrderManager(), bot_name="demo", policy=FAST, clock=LiveClock())


def limit() -> OrderIntent:
    return OrderIntent("BTCUSD", Side.BUY, 1.0, OrderType.LIMIT, limit_price=100.0)


async def test_a_first_attempt_stopped_at_the_deadline_was_never_sent_and_is_rejected():
    venue = WaitingVenue(wait_s=0.05)
    executor = executor_for(venue)
    order = executor.prepare(limit())
    events = await executor.send(order.client_order_id, deadline_ns=executor.clock.now_ns() + 10_000_000)
    final = executor.oms.get(order.client_order_id)
    assert final is not None and final.status is OrderStatus.REJECTED
    assert [getattr(e, "code", None) for e in events] == ["time_to_live"]
    assert venue.orders == {} and executor.unresolved == set()
    assert SEND_DEADLINE.get() is None, "the deadline is only set while an attempt runs"


async def test_a_retry_stopped_at_the_deadline_leaves_the_outcome_to_the_reconciler():
    venue = WaitingVenue(wait_s=0.0, fail_first=1)  # the first attempt may have reached the venue
    executor = executor_for(venue)
    order = executor.prepare(limit())
    events = await executor.send(order.client_order_id, deadline_ns=executor.clock.now_ns() + 20_000_000)
    final = executor.oms.get(order.client_order_id)
    assert events == [] and final is not None and final.status is OrderStatus.PENDING
    assert executor.unresolved == {order.client_order_id}


async def test_without_a_deadline_nothing_is_set():
    venue = WaitingVenue(wait_s=0.0)
    executor = executor_for(venue)
    order, _ = await executor.submit(limit())
    assert order.status is OrderStatus.ACCEPTED and venue.deadlines == [None]
