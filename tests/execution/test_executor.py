"""The executor: idempotent ids, retries with the same id, unknown outcomes kept as PENDING."""

from __future__ import annotations

import re

import pytest

from botkit.core.errors import AuthError
from botkit.core.retry import RetryPolicy
from botkit.execution.executor import OrderExecutor, client_order_id_prefix
from botkit.execution.oms import OrderManager
from botkit.model.enums import OrderType, Side
from botkit.model.order_events import OrderAccepted, OrderCanceled, OrderRejected
from botkit.model.orders import OrderIntent, OrderStatus

from .fakes import FakeExecutionClient

FAST = RetryPolicy(base=0.001, cap=0.002, max_attempts=4)


async def no_sleep(_: float) -> None:
    return None


def make(client: FakeExecutionClient | None = None) -> tuple[OrderExecutor, FakeExecutionClient]:
    client = client or FakeExecutionClient()
    return OrderExecutor(client, OrderManager(), bot_name="demo bot!", policy=FAST, sleep=no_sleep), client


def buy(qty: float = 1.0) -> OrderIntent:
    return OrderIntent("BTCUSD", Side.BUY, qty, OrderType.LIMIT, limit_price=100.0)


def test_client_order_ids_are_unique_short_and_venue_safe():
    executor, _ = make()
    ids = {executor.new_client_order_id() for _ in range(1000)}
    assert len(ids) == 1000
    for coid in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,36}", coid) and coid.startswith("demo_bot-")
        assert executor.owns(coid)
    assert client_order_id_prefix("!!!") == "bot"


async def test_submit_accepts_and_tracks():
    executor, client = make()
    order, events = await executor.submit(buy())
    assert order.status is OrderStatus.ACCEPTED and order.order_id == "v1"
    assert [type(e) for e in events] == [OrderAccepted]
    assert client.submit_calls == [order.client_order_id]


async def test_timeout_after_accept_retries_with_the_same_id_and_places_one_order():
    executor, client = make()
    client.timeouts_after_accept = 2
    order, events = await executor.submit(buy())
    assert len(client.submit_calls) == 3 and len(set(client.submit_calls)) == 1
    assert len(client.orders) == 1, "a retry must never create a second order"
    assert order.status is OrderStatus.ACCEPTED and [type(e) for e in events] == [OrderAccepted]
    assert executor.unresolved == set()


async def test_outcome_unknown_after_retries_stays_pending_then_resolves_on_resend():
    executor, client = make()
    client.timeouts_after_accept = 10
    order, events = await executor.submit(buy())
    assert events == [] and order.status is OrderStatus.PENDING
    assert executor.unresolved == {order.client_order_id}
    assert executor.oms.open_orders() == [order], "an order with an unknown outcome is never forgotten"
    client.timeouts_after_accept = 0
    events = await executor.send(order.client_order_id)
    assert [type(e) for e in events] == [OrderAccepted] and len(client.orders) == 1


async def test_venue_rejection_rejects_the_order():
    executor, client = make()
    client.reject_reason = "insufficient balance"
    order, events = await executor.submit(buy())
    assert order.status is OrderStatus.REJECTED
    assert isinstance(events[0], OrderRejected) and events[0].reason == "insufficient balance"
    assert events[0].source == "venue"


async def test_needs_human_error_keeps_the_order_pending_and_raises():
    executor, client = make()

    async def broken(*_: object) -> None:
        raise AuthError("bad key")

    client.submit = broken  # type: ignore[method-assign]
    with pytest.raises(AuthError):
        await executor.submit(buy())
    (order,) = executor.oms.open_orders()
    assert order.status is OrderStatus.PENDING and order.client_order_id in executor.unresolved


async def test_cancel_and_cancel_all():
    executor, _client = make()
    first, _ = await executor.submit(buy())
    await executor.submit(buy(2.0))
    events = await executor.cancel(first.client_order_id)
    assert [type(e) for e in events] == [OrderCanceled]
    assert await executor.cancel(first.client_order_id) == [], "canceling a finished order does nothing"
    events = await executor.cancel_all()
    assert len(events) == 1 and executor.oms.open_orders() == []


async def test_cancel_of_an_order_the_venue_finished_goes_to_the_reconciler():
    executor, client = make()
    order, _ = await executor.submit(buy())
    client.cancel_at_venue(order.client_order_id)  # the event is lost
    assert await executor.cancel(order.client_order_id) == []
    assert order.client_order_id in executor.unresolved


async def test_no_retry_starts_after_the_orders_time_to_live_and_the_outcome_is_left_to_the_reconciler():
    from botkit.core.clock import SimulatedClock

    clock = SimulatedClock(0)
    client = FakeExecutionClient()
    client.timeouts_before_accept = 100

    async def sleep_on_the_clock(seconds: float) -> None:
        clock.advance_to(clock.now_ns() + int(seconds * 1e9) + 400_000_000)  # each backoff: 0.4 s more

    executor = OrderExecutor(client, OrderManager(), clock=clock, sleep=sleep_on_the_clock,
                             policy=RetryPolicy(base=0.001, cap=0.002, max_attempts=50))
    order = executor.prepare(buy())
    events = await executor.send(order.client_order_id, deadline_ns=1_000_000_000)
    assert events == [] and len(client.submit_calls) == 3, "attempts at 0, 0.4 and 0.8 s; none at 1.2 s"
    assert order.client_order_id in executor.unresolved
    assert executor.oms.get(order.client_order_id).status is OrderStatus.PENDING  # type: ignore[union-attr]
