"""``GET /metrics`` of running engines, scraped over HTTP and parsed as Prometheus would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from botkit.live.build import build_engine
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import OrderType, Side
from botkit.model.events import MarketEvent, Quote, Trade
from botkit.model.instruments import Instrument
from botkit.model.order_events import OrderRejected
from botkit.model.orders import OrderIntent
from botkit.risk.engine import TradingState
from botkit.sim.syncron import AgentConfig, default_config, running_sim
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.syncron import SyncronSettings

from .helpers import ScriptedData, bot_config

INSTRUMENTS = {"BTCUSD": Instrument("BTCUSD", tick_size=0.1, lot_size=0.001)}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class MetricsProbeParams(StrategyParams):
    """Which quote triggers what."""

    buy_on: int = 2
    too_big_on: int = 4
    below_lot_on: int = 6
    raise_on: int = 10


class MetricsProbe(Strategy[MetricsProbeParams]):
    """Buys 1 (fills), asks for 5 more (max_position refuses), for less than a lot (qty_zero), then raises."""

    Params = MetricsProbeParams

    def on_start(self) -> None:
        self.n = 0
        self.rejections: list[OrderRejected] = []

    def on_quote(self, quote: Quote) -> None:
        self.n += 1
        if self.n == self.params.buy_on:
            self.ctx.buy(1.0)
        elif self.n == self.params.too_big_on:
            self.ctx.buy(5.0)
        elif self.n == self.params.below_lot_on:
            self.ctx.buy(0.0004)  # rounds down to 0 lots
        elif self.n == self.params.raise_on:
            raise RuntimeError("boom")

    def on_order_rejected(self, event: OrderRejected) -> None:
        self.rejections.append(event)


def fresh_market(quotes: int, trades_every: int = 4) -> list[MarketEvent]:
    """Quotes (and a trade after every ``trades_every``-th) stamped now, as a venue would stamp them."""
    now = time.time_ns()
    events: list[MarketEvent] = []
    for i in range(quotes):
        events.append(Quote(now + i, "BTCUSD", 100.0, 10.0, 101.0, 10.0))
        if (i + 1) % trades_every == 0:
            events.append(Trade(now + i, "BTCUSD", 100.5, 0.1, 1))
    return events


def paper_engine(tmp_path, events: list[MarketEvent], **config: Any) -> LiveEngine:
    cfg = bot_config(tmp_path, status_port=0, risk={"max_position": 2.0}, **config)
    paper = PaperExecutionClient(maker_bps=0, taker_bps=10, queue_fills=False)
    return LiveEngine(cfg, strategy_cls=MetricsProbe, params=MetricsProbeParams(), data=ScriptedData(events),
                      execution=paper, instruments=INSTRUMENTS)


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, metric: str, **labels: str) -> float:
    return samples[(metric, frozenset(labels.items()))]


async def scrape(session: aiohttp.ClientSession, engine: LiveEngine) -> Samples:
    assert engine.status_server is not None and engine.status_server.url is not None
    async with session.get(engine.status_server.url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(await response.text())


async def scrape_when(engine: LiveEngine, ready: Callable[[Samples], bool], attempts: int = 200) -> Samples:
    """Scrape every 20 ms until ``ready`` says the samples show what the test waits for."""
    while engine.status_server is None or engine.status_server.url is None:
        await asyncio.sleep(0.01)
    async with aiohttp.ClientSession() as session:
        for _ in range(attempts):
            samples = await scrape(session, engine)
            if ready(samples):
                return samples
            await asyncio.sleep(0.02)
    raise AssertionError(f"the metrics never showed what was expected: {samples}")


async def test_metrics_agree_with_what_the_engine_did(tmp_path):
    events = fresh_market(12)
    engine = paper_engine(tmp_path, events)
    halted = TradingState.HALTED.value

    def settled(s: Samples) -> bool:
        return value(s, "botkit_market_events_total", kind="quote") == 12 \
            and value(s, "botkit_trading_state", state=halted) == 1.0 \
            and value(s, "botkit_event_loop_lag_seconds_count") >= 1

    async def operator() -> tuple[Samples, str, str]:
        samples = await scrape_when(engine, settled)
        assert engine.status_server is not None
        openmetrics = "application/openmetrics-text; version=1.0.0"
        async with aiohttp.ClientSession() as session, \
                session.get(f"{engine.status_server.url}/metrics", headers={"Accept": openmetrics}) as response:
            content_type, body = response.headers["Content-Type"], await response.text()
        engine.request_stop()
        return samples, content_type, body

    (samples, content_type, body), _ = await asyncio.gather(operator(), engine.run(duration_s=10.0))

    assert value(samples, "botkit_bot_info", name="t", mode="paper", venue="paper (scripted data)",
                 strategy=engine.host.name) == 1.0
    assert value(samples, "botkit_market_events_total", kind="trade") == 3
    assert value(samples, "botkit_market_events_total", kind="bar") == 0
    assert value(samples, "botkit_feed_latency_seconds_count", kind="quote") == 12
    assert value(samples, "botkit_feed_latency_seconds_bucket", kind="quote", le="+Inf") == 12
    assert value(samples, "botkit_feed_latency_seconds_count", kind="trade") == 3
    assert value(samples, "botkit_feed_latency_seconds_sum", kind="quote") >= 0.0

    assert value(samples, "botkit_order_intents_total") == 3
    assert value(samples, "botkit_orders_submitted_total") == 1
    assert [r.code for r in engine.host.strategy.rejections] == ["max_position", "qty_zero"]
    assert value(samples, "botkit_order_rejections_total", code="max_position", source="risk") == 1
    assert value(samples, "botkit_order_rejections_total", code="qty_zero", source="risk") == 1
    assert value(samples, "botkit_order_ack_latency_seconds_count", outcome="accepted") == 1
    assert value(samples, "botkit_order_ack_latency_seconds_count", outcome="rejected") == 0
    assert value(samples, "botkit_order_ack_latency_seconds_count", outcome="filled") == 0
    assert value(samples, "botkit_fills_total") == 1
    assert value(samples, "botkit_open_orders") == 0

    assert value(samples, "botkit_position", symbol="BTCUSD") == 1.0 == engine.ledger.position("BTCUSD")
    assert value(samples, "botkit_mark_price", symbol="BTCUSD") == 100.5
    assert value(samples, "botkit_fees") == engine.ledger.fees > 0
    assert value(samples, "botkit_equity") == engine.ledger.equity()
    assert value(samples, "botkit_cash") == engine.ledger.cash()
    assert value(samples, "botkit_unrealized_pnl") == engine.ledger.unrealized_pnl()
    assert value(samples, "botkit_realized_pnl") == 0.0

    assert value(samples, "botkit_trading_state", state="active") == 0.0
    assert value(samples, "botkit_trading_state", state="reducing") == 0.0
    assert value(samples, "botkit_halt_info", code="error") == 1.0
    assert value(samples, "botkit_kill_switch_trips_total") == 0
    assert value(samples, "botkit_event_loop_lag_seconds_bucket", le="+Inf") >= 1

    assert content_type.startswith("application/openmetrics-text") and body.endswith("# EOF\n")
    assert "botkit_market_events_total{kind=\"quote\"} 12.0" in body


async def test_each_engine_has_its_own_registry(tmp_path):
    first = paper_engine(tmp_path / "a", fresh_market(5), name="a")
    second = paper_engine(tmp_path / "b", fresh_market(9), name="b")

    async def read(engine: LiveEngine, quotes: int) -> Samples:
        samples = await scrape_when(engine, lambda s: value(s, "botkit_market_events_total", kind="quote") == quotes)
        engine.request_stop()
        return samples

    a, b, *_ = await asyncio.gather(read(first, 5), read(second, 9), first.run(duration_s=10.0),
                                    second.run(duration_s=10.0))
    assert value(a, "botkit_bot_info", name="a", mode="paper", venue="paper (scripted data)", strategy="MetricsProbe")
    assert value(b, "botkit_bot_info", name="b", mode="paper", venue="paper (scripted data)", strategy="MetricsProbe")
    assert not any(name == "botkit_bot_info" and ("name", "b") in labels for name, labels in a)
    assert b"botkit_" not in generate_latest(REGISTRY), "the global registry stays clean"


class Trader(Strategy[StrategyParams]):
    """A post-only buy above the ask (the venue refuses it) on the first quote; market in and out every tenth."""

    def on_start(self) -> None:
        self.n = 0

    def on_quote(self, quote: Quote) -> Any:
        self.n += 1
        if self.n == 1:
            price = round(quote.ask * 1.01, 1)
            return OrderIntent(quote.symbol, Side.BUY, 0.002, OrderType.LIMIT, limit_price=price, post_only=True)
        if self.n % 10 == 0:
            if self.ctx.position() > 0:
                self.ctx.close()
            else:
                self.ctx.buy()
        return None


async def test_a_live_engine_reports_reconnects_rate_budget_and_latencies(tmp_path, monkeypatch):
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: Trader)
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": AgentConfig(speed=20.0, step_s=0.02,
                                                                                     seed=7)})
    async with running_sim(sim_config) as sim:
        settings = SyncronSettings(endpoint=sim.url)
        config = bot_config(tmp_path, mode="live", venue={"endpoint": sim.url}, status_port=0,
                            sizing={"fixed_quantity": 0.002})
        engine = await build_engine(config, settings=settings)

        async def operator() -> Samples:
            await scrape_when(engine, lambda s: value(s, "botkit_orders_submitted_total") >= 2
                              and ("botkit_feed_connected", frozenset({("feed", "orders")})) in s)
            dropped = sim.context.hub.drop_all()
            assert dropped >= 2, "the market and the order streams"
            samples = await scrape_when(
                engine, lambda s: value(s, "botkit_feed_reconnects_total", feed="market") >= 1
                and value(s, "botkit_feed_reconnects_total", feed="orders") >= 1
                and value(s, "botkit_feed_connected", feed="market") == 1.0, attempts=400)
            engine.request_stop()
            return samples

        samples, summary = await asyncio.gather(operator(), engine.run(duration_s=20.0))

    quotes = value(samples, "botkit_market_events_total", kind="quote")
    assert 0 < quotes <= engine.counters["quote"]
    assert value(samples, "botkit_feed_latency_seconds_count", kind="quote") == quotes, "read in the same scrape"
    answered = sum(value(samples, "botkit_order_ack_latency_seconds_count", outcome=o)
                   for o in ("accepted", "filled", "rejected", "canceled", "expired"))
    assert 2 <= answered <= value(samples, "botkit_orders_submitted_total") <= summary.orders_placed
    assert value(samples, "botkit_order_rejections_total", code="venue", source="venue") == 1
    assert value(samples, "botkit_order_ack_latency_seconds_count", outcome="rejected") == 1

    limit = value(samples, "botkit_rate_limit_limit", client="execution")
    assert limit == settings.rate_limit
    assert 0 <= value(samples, "botkit_rate_limit_remaining", client="execution") <= limit
    assert value(samples, "botkit_rate_limit_blocked_seconds", client="execution") == 0.0
    assert not any(name == "botkit_rate_limit_limit" and ("client", "data") in labels for name, labels in samples), \
        "market data shares the execution client's budget: reported once"
    assert ("botkit_venue_clock_offset_seconds", frozenset()) in samples
    assert value(samples, "botkit_trading_state", state="halted") == 0.0
