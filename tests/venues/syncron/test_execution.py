"""The execution client: botkit's ExecutionClient protocol, idempotent submits and cancels."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from botkit.core.errors import NotFoundError, VenueUnavailable
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.orders import OrderIntent, OrderStatus
from botkit.sim.syncron.app import RunningSim
from botkit.venues.base import (
    SEND_DEADLINE,
    ExecutionClient,
    InstrumentProvider,
    MarketDataClient,
    SendDeadline,
    SendDeadlinePassed,
)
from botkit.venues.syncron import (
    SyncronDataClient,
    SyncronExecutionClient,
    SyncronInsufficientFunds,
    SyncronRestClient,
    SyncronSettings,
)

from .helpers import QUICK_RETRY, admin, make_market, rest_for

DEMO = "sim-demo-key"  # the simulator's account id of the demo key


@pytest.fixture
async def execution(rest: SyncronRestClient) -> AsyncIterator[SyncronExecutionClient]:
    client = SyncronExecutionClient(rest=rest)
    yield client
    await client.close()


def test_the_clients_implement_the_venue_protocols() -> None:
    settings = SyncronSettings()
    execution = SyncronExecutionClient(settings)
    data = SyncronDataClient(settings)
    assert isinstance(execution, ExecutionClient) and execution.venue == "syncron"
    assert isinstance(data, MarketDataClient) and isinstance(data, InstrumentProvider)
    assert "SyncronExecutionClient(rest=SyncronRestClient(rest_url='http://127.0.0.1:8700'" in repr(execution)


async def test_submit_rounds_to_the_instrument_and_keeps_the_client_order_id(
    execution: SyncronExecutionClient, maker: SyncronRestClient
) -> None:
    await make_market(maker)
    limit = await execution.submit(
        OrderIntent("BTCUSD", Side.BUY, 0.1 + 0.2, OrderType.LIMIT, limit_price=59_000.04), "lim-1")
    assert (limit.client_order_id, limit.qty, limit.limit_price, limit.status) == (
        "lim-1", 0.3, 59_000.0, OrderStatus.ACCEPTED)
    market = await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.00123456), "mkt-1")  # model default GTC
    assert market.status is OrderStatus.FILLED and market.qty == 0.0012 and market.time_in_force is TimeInForce.IOC
    stop = await execution.submit(OrderIntent("BTCUSD", Side.SELL, 0.001, OrderType.STOP, stop_price=55_000.0),
                                  "stp-1")
    assert stop.stop_price == 55_000.0 and stop.status is OrderStatus.ACCEPTED
    again = await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.5, OrderType.LIMIT, limit_price=1_000.0), "lim-1")
    assert again == limit  # the same client order id is the same order
    assert {o.client_order_id for o in await execution.open_orders()} == {"lim-1", "stp-1"}
    with pytest.raises(SyncronInsufficientFunds):
        await execution.submit(OrderIntent("BTCUSD", Side.BUY, 100.0, OrderType.LIMIT, limit_price=59_000.0), "big")


async def test_cancel_is_idempotent_and_queries_are_reconcile_friendly(
    execution: SyncronExecutionClient, maker: SyncronRestClient
) -> None:
    await make_market(maker)
    await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.01, OrderType.LIMIT, limit_price=59_000.0), "c-1")
    first = await execution.cancel("c-1")
    second = await execution.cancel("c-1")  # already canceled: its final state, no error
    assert first.status is second.status is OrderStatus.CANCELED
    with pytest.raises(NotFoundError):
        await execution.cancel("never")
    assert await execution.order("never") is None
    assert (await execution.order("c-1")).status is OrderStatus.CANCELED
    await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.002), "m-1")
    await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.003), "m-2")
    fills = await execution.fills("BTCUSD")
    assert [f.client_order_id for f in fills] == ["m-1", "m-2"]  # oldest first
    assert {b.asset for b in await execution.balances()} >= {"USD", "BTC"}
    assert [p.qty for p in await execution.positions("BTCUSD")] == [pytest.approx(0.005)]
    for price in (58_000.0, 58_100.0):
        intent = OrderIntent("BTCUSD", Side.BUY, 0.001, OrderType.LIMIT, limit_price=price)
        await execution.submit(intent, f"r-{int(price)}")
    assert len(await execution.cancel_all("BTCUSD")) == 2 and await execution.open_orders() == ()


@pytest.mark.parametrize("how", ["client timeout", "venue 504"])
async def test_a_retry_after_an_accepted_then_timed_out_order_creates_exactly_one(sim: RunningSim, how: str) -> None:
    if how == "client timeout":  # the venue holds the answer longer than the client waits
        faults, overrides = {"order_timeout_rate": 1.0, "order_timeout_s": 5.0}, {"timeout_s": 0.3}
    else:  # the venue answers 50401 after executing
        faults, overrides = {"order_timeout_rate": 1.0, "order_timeout_s": 0.0}, {}
    client = rest_for(sim, retry_policy=QUICK_RETRY, **overrides)
    await admin(sim, "/_sim/faults", faults)
    dice = sim.context.faults
    roll = dice.roll
    timeouts: list[bool] = []

    def one_timeout(rate: float) -> bool:  # the first order times out after executing, the rest do not
        hit = roll(rate)
        if hit:
            timeouts.append(hit)
            dice.update({"order_timeout_rate": 0.0})
        return hit

    dice.roll = one_timeout  # type: ignore[method-assign]
    report = await client.place_order("BTCUSD", Side.BUY, 0.01, price=59_000.0, client_order_id="once")
    assert report.order.client_order_id == "once" and timeouts == [True]
    orders = sim.context.exchange.orders
    open_orders = await client.open_orders()
    assert [o.order.order_id for o in open_orders] == [report.order.order_id]
    assert len(orders.open_orders(DEMO)) == 1
    await client.close()


async def test_submit_finds_its_order_when_the_venue_keeps_timing_out(sim: RunningSim) -> None:
    client = rest_for(sim, retry_policy=QUICK_RETRY)
    execution = SyncronExecutionClient(rest=client)
    await admin(sim, "/_sim/faults", {"order_timeout_rate": 1.0, "order_timeout_s": 0.0})
    order = await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.01, OrderType.LIMIT, limit_price=59_000.0),
                                   "lost")
    assert order.client_order_id == "lost" and order.status is OrderStatus.ACCEPTED
    assert len(sim.context.exchange.orders.open_orders(DEMO)) == 1
    await admin(sim, "/_sim/faults", {"http_error_rate": 1.0})
    with pytest.raises(VenueUnavailable):  # never reached the venue: nothing to find
        await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.01, OrderType.LIMIT, limit_price=59_000.0), "x")
    await client.close()


async def test_an_order_that_waits_past_its_send_deadline_for_the_rate_budget_is_never_written(
    sim: RunningSim, execution: SyncronExecutionClient
) -> None:
    intent = OrderIntent("BTCUSD", Side.BUY, 0.001, OrderType.LIMIT, limit_price=50_000.0)
    await execution.rest.instrument("BTCUSD")  # cached: the wait below is the budget's alone
    clock = execution.rest.clock
    execution.rest.budget.block_for(0.3)  # as after a 429 with Retry-After
    token = SEND_DEADLINE.set(SendDeadline(clock.now_ns() + 100_000_000, clock))
    try:
        with pytest.raises(SendDeadlinePassed):
            await execution.submit(intent, "late-1")
        execution.rest.budget.block_for(0.05)
        SEND_DEADLINE.set(SendDeadline(clock.now_ns() + 2_000_000_000, clock))
        on_time = await execution.submit(intent, "in-time-1")
    finally:
        SEND_DEADLINE.reset(token)
    store = sim.context.exchange.orders
    assert store.by_client_id(DEMO, "late-1") is None, "the venue never saw the late order"
    assert on_time.status is OrderStatus.ACCEPTED and store.by_client_id(DEMO, "in-time-1") is not None
