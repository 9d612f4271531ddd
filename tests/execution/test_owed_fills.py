"""A venue answer that shows fills the OMS never saw keeps the order unresolved until they are replayed."""

from __future__ import annotations

from botkit.core.retry import RetryPolicy
from botkit.execution.executor import OrderExecutor
from botkit.execution.oms import OrderManager
from botkit.execution.reconcile import Reconciler
from botkit.model.enums import OrderType, Side
from botkit.model.order_events import OrderFilled
from botkit.model.orders import Order, OrderIntent, OrderStatus

from .fakes import FakeExecutionClient

FAST = RetryPolicy(base=0.001, cap=0.002, max_attempts=2)


async def no_sleep(_: float) -> None:
    return None


class FillingVenue(FakeExecutionClient):
    """Fills market orders completely before answering the submit; the fill event is lost."""

    async def submit(self, intent: OrderIntent, client_order_id: str) -> Order:
        order = await super().submit(intent, client_order_id)
        if intent.order_type is OrderType.MARKET and order.status is OrderStatus.ACCEPTED:
            assert intent.qty is not None
            self.fill(client_order_id, intent.qty, 100.0, push=False)
        return self.orders[client_order_id]


def executor_for(client: FakeExecutionClient) -> OrderExecutor:
    return OrderExecutor(client, OrderManager(), bot_name="demo", policy=FAST, sleep=no_sleep)


async def test_a_submit_answer_filled_beyond_the_oms_is_unresolved_until_its_fill_is_replayed():
    venue = FillingVenue()
    executor = executor_for(venue)
    order, _ = await executor.submit(OrderIntent("BTCUSD", Side.BUY, 1.0))
    local = executor.oms.get(order.client_order_id)
    assert local is not None and local.filled_qty == 0.0, "the answer alone books no fill"
    assert executor.unresolved == {order.client_order_id}
    report = await Reconciler(executor).reconcile(["BTCUSD"])
    assert report.replayed_fills == 1 and executor.unresolved == set()
    final = executor.oms.get(order.client_order_id)
    assert final is not None and final.status is OrderStatus.FILLED and final.filled_qty == 1.0


async def test_owed_fills_that_arrive_on_the_stream_settle_the_order_without_a_reconcile():
    venue = FillingVenue()
    executor = executor_for(venue)
    order, _ = await executor.submit(OrderIntent("BTCUSD", Side.BUY, 1.0))
    late = venue.fill_log[-1]
    executor.oms.apply(OrderFilled(late.ts, venue.orders[order.client_order_id], late))
    assert executor.unresolved == set()


async def test_a_cancel_answer_with_an_unseen_partial_fill_is_settled_by_the_reconciler():
    venue = FakeExecutionClient()
    executor = executor_for(venue)
    order, _ = await executor.submit(OrderIntent("BTCUSD", Side.BUY, 2.0, OrderType.LIMIT, limit_price=100.0))
    venue.fill(order.client_order_id, 0.5, 99.0, push=False)  # the push is lost
    await executor.cancel(order.client_order_id)
    canceled = executor.oms.get(order.client_order_id)
    assert canceled is not None and canceled.status is OrderStatus.CANCELED and canceled.filled_qty == 0.0
    assert executor.unresolved == {order.client_order_id}, "the venue filled 0.5 we never saw"
    report = await Reconciler(executor).reconcile(["BTCUSD"])
    final = executor.oms.get(order.client_order_id)
    assert final is not None and final.status is OrderStatus.CANCELED and final.filled_qty == 0.5
    assert report.replayed_fills == 1 and executor.unresolved == set()
