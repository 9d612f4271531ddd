"""Reconciliation after a reconnect: the venue's truth wins, missed fills are replayed once."""

from __future__ import annotations

import asyncio

import pytest

from botkit.core.errors import VenueUnavailable
from botkit.core.retry import RetryPolicy
from botkit.execution.executor import OrderExecutor
from botkit.execution.oms import OrderManager
from botkit.execution.reconcile import Reconciler
from botkit.model.enums import OrderType, Side
from botkit.model.order_events import OrderAccepted, OrderCanceled, OrderEvent, OrderFilled, OrderRejected
from botkit.model.orders import Order, OrderIntent, OrderStatus

from .fakes import FakeExecutionClient

FAST = RetryPolicy(base=0.001, cap=0.002, max_attempts=2)


async def no_sleep(_: float) -> None:
    return None


def buy(qty: float = 1.0) -> OrderIntent:
    return OrderIntent("BTCUSD", Side.BUY, qty, OrderType.LIMIT, limit_price=100.0)


def executor_for(client: object) -> OrderExecutor:
    return OrderExecutor(client, OrderManager(), bot_name="demo", policy=FAST, sleep=no_sleep)  # type: ignore[arg-type]


async def test_missed_fills_and_cancel_are_replayed_once_from_history():
    venue = FakeExecutionClient()
    executor = executor_for(venue)
    a, _ = await executor.submit(buy(2.0))
    b, _ = await executor.submit(buy(1.0))
    # while disconnected: a fills partly then is canceled, b fills completely; no events arrive
    venue.fill(a.client_order_id, 0.5, 99.0, push=False)
    venue.cancel_at_venue(a.client_order_id)
    venue.fill(b.client_order_id, 1.0, 98.0, push=False)
    report = await Reconciler(executor).reconcile(["BTCUSD"])
    kinds = [type(e) for e in report.events]
    assert kinds.count(OrderFilled) == 2 and kinds.count(OrderCanceled) == 1
    assert report.replayed_fills == 2
    final_a, final_b = executor.oms.get(a.client_order_id), executor.oms.get(b.client_order_id)
    assert final_a.status is OrderStatus.CANCELED and final_a.filled_qty == 0.5  # type: ignore[union-attr]
    assert final_b.status is OrderStatus.FILLED and final_b.avg_fill_price == 98.0  # type: ignore[union-attr]
    again = await Reconciler(executor).reconcile(["BTCUSD"])
    assert not again.changed, "a second reconcile finds nothing new"


async def test_pending_order_with_unknown_outcome_is_accepted_or_rejected_by_venue_truth():
    venue = FakeExecutionClient()
    executor = executor_for(venue)
    venue.timeouts_after_accept = 5
    placed, _ = await executor.submit(buy())  # the venue has it, we do not know
    venue.timeouts_after_accept = 0
    venue.timeouts_before_accept = 5
    lost, _ = await executor.submit(buy())  # never reached the venue
    assert executor.unresolved == {placed.client_order_id, lost.client_order_id}
    report = await Reconciler(executor).reconcile()
    assert executor.oms.get(placed.client_order_id).status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    assert executor.oms.get(lost.client_order_id).status is OrderStatus.REJECTED  # type: ignore[union-attr]
    assert report.lost == [lost.client_order_id] and executor.unresolved == set()
    assert {type(e) for e in report.events} == {OrderAccepted, OrderRejected}


async def test_without_history_fills_are_synthesized_from_the_venue_snapshot():
    venue = FakeExecutionClient()
    client = venue.without_history()
    executor = executor_for(client)
    order, _ = await executor.submit(buy(2.0))
    venue.fill(order.client_order_id, 1.0, 100.0, push=False)
    report = await Reconciler(executor).reconcile()
    (event,) = report.events
    assert isinstance(event, OrderFilled) and event.fill.qty == 1.0 and event.fill.price == 100.0
    assert executor.oms.get(order.client_order_id).status is OrderStatus.PARTIALLY_FILLED  # type: ignore[union-attr]


async def test_unknown_open_orders_with_our_prefix_are_adopted_others_reported():
    venue = FakeExecutionClient()
    executor = executor_for(venue)
    await venue.submit(buy(), executor.new_client_order_id())  # ours, state lost
    await venue.submit(buy(), "manual-order-1")  # placed by a person
    report = await Reconciler(executor).reconcile()
    assert len(report.adopted) == 1 and report.foreign == ["manual-order-1"]
    assert len(executor.oms.open_orders()) == 1


async def test_prepared_but_unsent_orders_are_left_alone():
    venue = FakeExecutionClient()
    executor = executor_for(venue)
    order = executor.prepare(buy())
    report = await Reconciler(executor).reconcile()
    assert not report.changed and executor.oms.get(order.client_order_id).status is OrderStatus.PENDING  # type: ignore[union-attr]
    events = await executor.send(order.client_order_id)
    assert [type(e) for e in events] == [OrderAccepted]
    assert await executor.send(order.client_order_id) == [], "sending twice does nothing"


class _LookupFails(FakeExecutionClient):
    """Fill history answers; looking an order up fails (a 5xx after the retries)."""

    async def order(self, client_order_id: str) -> Order:
        raise VenueUnavailable("503 after the last retry")


class _LookupHangs(FakeExecutionClient):
    """Fill history answers; looking an order up waits until the reconcile is cancelled (a stop)."""

    def __init__(self) -> None:
        super().__init__()
        self.looking_up = asyncio.Event()

    async def order(self, client_order_id: str) -> Order:
        self.looking_up.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def _filled_and_vanished(executor: OrderExecutor, venue: FakeExecutionClient) -> str:
    """Order a fills unseen (replayed from history); order b ends unseen too, so it must be looked up."""
    a, _ = await executor.submit(buy(1.0))
    b, _ = await executor.submit(buy(1.0))
    venue.fill(a.client_order_id, 1.0, 99.0, push=False)
    venue.cancel_at_venue(b.client_order_id)
    return a.client_order_id


async def test_events_applied_before_a_venue_error_have_reached_on_event():
    venue = _LookupFails()
    executor = executor_for(venue)
    filled = await _filled_and_vanished(executor, venue)
    seen: list[OrderEvent] = []
    with pytest.raises(VenueUnavailable):
        await Reconciler(executor, on_event=seen.append).reconcile(["BTCUSD"])
    assert executor.oms.get(filled).status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert [type(e) for e in seen] == [OrderFilled], "the OMS took the fill: so must whoever books it"


async def test_events_applied_before_a_cancellation_have_reached_on_event():
    venue = _LookupHangs()
    executor = executor_for(venue)
    filled = await _filled_and_vanished(executor, venue)
    seen: list[OrderEvent] = []
    task = asyncio.create_task(Reconciler(executor, on_event=seen.append).reconcile(["BTCUSD"]))
    await venue.looking_up.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert executor.oms.has_seen(venue.fill_log[0]) and executor.oms.get(filled).filled_qty == 1.0  # type: ignore[union-attr]
    assert [type(e) for e in seen] == [OrderFilled]
