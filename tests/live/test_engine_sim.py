"""The engine end to end against the local Syncron simulator on a loopback port, fast market."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from botkit.core.errors import VenueUnavailable
from botkit.core.retry import RetryPolicy
from botkit.execution.executor import OrderExecutor
from botkit.execution.oms import OrderManager
from botkit.execution.reconcile import Reconciler
from botkit.live.build import build_engine
from botkit.model.enums import OrderType, Side
from botkit.model.events import Quote
from botkit.model.orders import OrderIntent, OrderStatus
from botkit.sim.syncron import DEFAULT_API_KEY, AgentConfig, FaultConfig, default_config, running_sim
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.syncron import SyncronExecutionClient, SyncronRestClient, SyncronSettings

from .helpers import bot_config

ACCOUNT = DEFAULT_API_KEY  # the simulator's account id of the demo key
FAST_MARKET = AgentConfig(speed=20.0, step_s=0.02, seed=5)
QUICK = RetryPolicy(base=0.01, cap=0.02, max_attempts=3)


class ExerciserParams(StrategyParams):
    every: int = 8


class Exerciser(Strategy[ExerciserParams]):
    """Market in and out every few quotes, and a resting limit buy 0.5% under the bid now and then."""

    Params = ExerciserParams

    def on_start(self) -> None:
        self.n = 0

    def on_quote(self, quote: Quote) -> None:
        self.n += 1
        if self.n % self.params.every == 0:
            if self.ctx.position() > 0:
                self.ctx.close()
            else:
                self.ctx.buy()
        if self.n % (3 * self.params.every) == 1:
            self.ctx.limit(Side.BUY, None, round(quote.bid * 0.995, 1))


async def test_engine_trades_against_the_simulator_and_stops_clean(tmp_path, monkeypatch):
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: Exerciser)
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as sim:
        config = bot_config(tmp_path, mode="live", venue={"endpoint": sim.url}, status_port=0,
                            sizing={"fixed_quantity": 0.002}, risk={"price_collar_bps": 200, "max_position": 0.01})
        engine = await build_engine(config, settings=SyncronSettings(endpoint=sim.url))
        sent: set[str] = set()
        send = engine.executor.send

        async def recording_send(client_order_id: str, **kwargs: Any) -> Any:
            sent.add(client_order_id)
            return await send(client_order_id, **kwargs)

        monkeypatch.setattr(engine.executor, "send", recording_send)
        statuses: list[dict[str, Any]] = []

        async def poll_status() -> None:
            while engine.status_server is None or engine.status_server.url is None:
                await asyncio.sleep(0.05)
            async with aiohttp.ClientSession() as session:
                await asyncio.sleep(1.0)
                for path in ("/health", "/status"):
                    async with session.get(engine.status_server.url + path) as response:
                        statuses.append(await response.json())

        poller = asyncio.create_task(poll_status())
        summary = await engine.run(duration_s=3.0)
        await poller
        store = sim.context.exchange.orders

    assert statuses[0]["status"] == "ok" and statuses[1]["name"] == "t" and "pnl" in statuses[1]
    assert summary.orders_placed >= 4 and summary.fills >= 2, summary.lines()
    coids = summary.client_order_ids
    assert len(set(coids)) == len(coids), "client order ids are unique"
    by_status = summary.orders_by_status
    assert summary.orders_placed == sum(by_status.values())
    assert summary.orders_open == 0 and by_status.get("canceled", 0) >= 1, "stop canceled the resting limits"
    assert store.open_orders(ACCOUNT) == [], "no working orders left at the venue"
    assert len(sent) >= 4
    for coid in coids:
        local = engine.oms.get(coid)
        assert local is not None
        venue_order = store.by_client_id(ACCOUNT, coid)
        if coid not in sent:  # refused at send time (the engine stopping, its time-to-live): never on the wire
            assert venue_order is None and local.status in (OrderStatus.REJECTED, OrderStatus.CANCELED), coid
            assert local.filled_qty == 0.0
            continue
        assert venue_order is not None, f"{coid} was sent but never reached the venue"
        assert local.filled_qty == pytest.approx(float(venue_order.filled_qty))
    venue_fills = store.fills(ACCOUNT, limit=1000)
    assert summary.fills == len(venue_fills)
    venue_position = sum(float(f.qty) * int(f.side) for f in venue_fills)
    assert engine.ledger.position("BTCUSD") == pytest.approx(venue_position, abs=1e-12)


async def test_accept_then_gateway_timeout_is_retried_with_the_same_id_and_places_one_order():
    faults = FaultConfig(order_timeout_rate=1.0, order_timeout_s=0.2)
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": AgentConfig(enabled=False), "faults": faults})
    async with running_sim(sim_config) as sim:
        rest = SyncronRestClient(SyncronSettings(endpoint=sim.url), retry_policy=QUICK)
        client = SyncronExecutionClient(rest=rest)
        executor = OrderExecutor(client, OrderManager(), bot_name="t", policy=QUICK)
        try:
            intent = OrderIntent("BTCUSD", Side.BUY, 0.001, OrderType.LIMIT, limit_price=50_000.0)
            order, _ = await executor.submit(intent)
        finally:
            await rest.close()
        store = sim.context.exchange.orders
        assert len(store.open_orders(ACCOUNT)) == 1, "the timeout never made a second order"
    assert order.status is OrderStatus.ACCEPTED and order.order_id
    assert store.by_client_id(ACCOUNT, order.client_order_id) is not None


async def test_reconcile_after_a_disconnect_replays_missed_fills_from_the_venue():
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as sim:
        client = SyncronExecutionClient(SyncronSettings(endpoint=sim.url))
        executor = OrderExecutor(client, OrderManager(), bot_name="t")
        try:
            await asyncio.sleep(0.2)  # let the market maker quote
            # no order stream running: as if disconnected while the order filled
            order, _events = await executor.submit(OrderIntent("BTCUSD", Side.BUY, 0.001))
            assert executor.oms.get(order.client_order_id).filled_qty == 0.0  # type: ignore[union-attr]
            report = await Reconciler(executor).reconcile(["BTCUSD"])
            again = await Reconciler(executor).reconcile(["BTCUSD"])
        finally:
            await client.close()
    final = executor.oms.get(order.client_order_id)
    assert final is not None and final.status is OrderStatus.FILLED and final.filled_qty == pytest.approx(0.001)
    assert report.replayed_fills >= 1 and not again.changed


class Idle(Strategy[ExerciserParams]):
    """Never trades: the engine's own reconciliation is what is under test."""

    Params = ExerciserParams


async def test_a_position_the_bot_does_not_know_of_is_corrected_to_the_venues(tmp_path, monkeypatch):
    """As after a kill -9 between a fill and a state save: the venue holds a position the bot thinks flat."""
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: Idle)
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as sim:
        await asyncio.sleep(0.2)  # let the market maker quote
        outside = SyncronExecutionClient(SyncronSettings(endpoint=sim.url))
        try:
            await OrderExecutor(outside, OrderManager(), bot_name="lost").submit(OrderIntent("BTCUSD", Side.BUY, 0.01))
        finally:
            await outside.close()
        config = bot_config(tmp_path, mode="live", venue={"endpoint": sim.url},
                            engine={"market_data": "quotes", "position_confirm_s": 0.3})
        engine = await build_engine(config, settings=SyncronSettings(endpoint=sim.url))
        assert engine.ledger.position("BTCUSD") == 0.0
        summary = await engine.run(duration_s=2.0)
    assert engine.ledger.position("BTCUSD") == pytest.approx(0.01)
    assert engine.counters["position_corrections"] == 1 and summary.state == "active"


async def test_reconcile_after_a_long_absence_backfills_more_than_one_page_of_fills():
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as sim:
        client = SyncronExecutionClient(SyncronSettings(endpoint=sim.url))
        executor = OrderExecutor(client, OrderManager(), bot_name="t")
        try:
            await asyncio.sleep(0.2)
            orders = [(await executor.submit(OrderIntent("BTCUSD", Side.BUY if i % 2 else Side.SELL, 0.001)))[0]
                      for i in range(130)]
            report = await Reconciler(executor).reconcile(["BTCUSD"])
        finally:
            await client.close()
    assert report.replayed_fills >= 130, "more than the 100 latest fills were read"
    assert all(executor.oms.get(o.client_order_id).status is OrderStatus.FILLED for o in orders)  # type: ignore[union-attr]


async def test_fills_a_reconcile_replays_are_booked_even_when_it_is_cut_short(tmp_path, monkeypatch):
    """A 5xx after the fill replay, before the reconcile ends: the ledger has the fill the OMS took."""
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: Idle)
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as sim:
        await asyncio.sleep(0.2)  # let the market maker quote
        config = bot_config(tmp_path, mode="live", venue={"endpoint": sim.url}, engine={"market_data": "quotes"})
        engine = await build_engine(config, settings=SyncronSettings(endpoint=sim.url))
        try:
            # no order stream running: the market buy's fill is not seen
            _, events = await engine.executor.submit(OrderIntent("BTCUSD", Side.BUY, 0.001))
            resting, more = await engine.executor.submit(
                OrderIntent("BTCUSD", Side.BUY, 0.01, OrderType.LIMIT, limit_price=1_000.0))
            engine._after_all([*events, *more])
            await engine.execution.cancel(resting.client_order_id)  # ends at the venue, unseen: looked up

            async def unavailable(client_order_id: str) -> Any:
                raise VenueUnavailable("503 after the last retry")

            monkeypatch.setattr(engine.execution, "order", unavailable)
            await engine._resolve_unclear(force=True)
            filled = sum(o.filled_qty for o in engine.oms.orders() if o.side is Side.BUY)
            assert filled == pytest.approx(0.001), "the reconcile replayed the fill into the OMS"
            assert engine.ledger.position("BTCUSD") == pytest.approx(filled)
        finally:
            await engine._close()
            engine.store.close()
