"""The command dispatcher judges an order again at the moment of sending it."""

from __future__ import annotations

from collections import Counter

from botkit.core.clock import LiveClock
from botkit.execution.executor import OrderExecutor
from botkit.execution.oms import OrderManager
from botkit.live.dispatch import CommandDispatcher
from botkit.live.host import LivePortfolioView
from botkit.live.market import MarketState
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import OrderType, Side
from botkit.model.events import Quote
from botkit.model.order_events import OrderEvent, OrderRejected
from botkit.model.orders import OrderIntent, OrderStatus
from botkit.portfolio.ledger import Ledger
from botkit.risk.collar import book_sync_guard, price_collar
from botkit.risk.engine import RiskEngine
from botkit.settings import EngineConfig


def dispatcher(risk: RiskEngine, market: MarketState, **engine: object) -> tuple[CommandDispatcher, list[OrderEvent]]:
    clock = LiveClock()
    paper = PaperExecutionClient(queue_fills=False)
    executor = OrderExecutor(paper, OrderManager(), bot_name="t", clock=clock)
    seen: list[OrderEvent] = []
    return CommandDispatcher(
        config=EngineConfig.model_validate(engine), executor=executor, risk=risk, market=market,
        view=LivePortfolioView(Ledger(1e6), executor), clock=clock, counters=Counter(), on_events=seen.extend,
        on_halt=lambda reason: None,
    ), seen


async def test_an_order_queued_before_a_book_gap_is_not_sent_after_it():
    market = MarketState(LiveClock())
    market.on_quote(Quote(1, "BTCUSD", 99.5, 1.0, 100.5, 1.0))
    dispatch, seen = dispatcher(RiskEngine([], [book_sync_guard(market.resyncing)]), market)
    order = dispatch.executor.prepare(OrderIntent("BTCUSD", Side.BUY, 1.0))
    dispatch.put(("submit", order.client_order_id))
    market.on_book_gap("BTCUSD")  # while the order waited in the queue
    dispatch.put(None)
    await dispatch.run()
    (event,) = seen
    assert isinstance(event, OrderRejected) and event.code == "book_resyncing" and event.source == "engine"
    assert event.reason.startswith("not sent:")
    assert dispatch.oms.get(order.client_order_id).status is OrderStatus.REJECTED
    assert dispatch.executor.submitted == 0 and dispatch.counters["risk_rechecks_refused"] == 1


async def test_the_collar_is_judged_against_the_reference_at_send_time():
    refs = {"BTCUSD": 100.0}
    dispatch, seen = dispatcher(RiskEngine([], [price_collar(50, refs.get)]), MarketState(LiveClock()))
    order = dispatch.executor.prepare(OrderIntent("BTCUSD", Side.BUY, 1.0, OrderType.LIMIT, limit_price=100.2))
    refs["BTCUSD"] = 101.0  # the reference moved away while the order waited
    dispatch.put(("submit", order.client_order_id))
    dispatch.put(None)
    await dispatch.run()
    assert [e.code for e in seen if isinstance(e, OrderRejected)] == ["price_collar"]


async def test_an_order_that_still_passes_is_sent():
    refs = {"BTCUSD": 100.0}
    dispatch, _ = dispatcher(RiskEngine([], [price_collar(50, refs.get)]), MarketState(LiveClock()))
    order = dispatch.executor.prepare(OrderIntent("BTCUSD", Side.BUY, 1.0, OrderType.LIMIT, limit_price=100.2))
    dispatch.put(("submit", order.client_order_id))
    dispatch.put(None)
    await dispatch.run()
    assert dispatch.executor.submitted == 1 and dispatch.oms.get(order.client_order_id).status is OrderStatus.ACCEPTED
