"""Bars live: the engine builds bars from the venue's trades and a bar strategy runs unchanged.

Against the local Syncron simulator the bars a strategy receives equal the venue's own trades
aggregated; on the same trades the SMA crossover decides live exactly as in a backtest on bars.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from botkit.examples.sma_cross import SmaCross, SmaCrossParams

import botkit
from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import ConfigError
from botkit.live.build import build_engine
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import OrderType, Side
from botkit.model.events import Bar, Quote, Trade
from botkit.model.instruments import Instrument
from botkit.model.order_events import OrderFilled
from botkit.sim.syncron import DEFAULT_API_KEY, AgentConfig, default_config, running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.sim.syncron.order_rules import OrderRequest
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.syncron import SyncronSettings

from .bar_reference import aggregate, assert_same_bars, bar_records, complete_bars, trade_records
from .helpers import ScriptedData, bot_config

FAST_MARKET = AgentConfig(speed=20.0, step_s=0.02, seed=5)
MS = 1_000_000


class BarRecorderParams(StrategyParams):
    buy_on_bar: int | None = None


class BarRecorder(Strategy[BarRecorderParams]):
    """Keeps every bar (and counts quote and trade hooks, which bars mode must not call)."""

    Params = BarRecorderParams

    def on_start(self) -> None:
        self.bars: list[Bar] = []
        self.ticks = 0
        self.fills: list[OrderFilled] = []

    def on_bar(self, bar: Bar) -> None:
        self.bars.append(bar)
        if len(self.bars) == self.params.buy_on_bar:
            self.ctx.buy()

    def on_quote(self, quote: Quote) -> None:
        self.ticks += 1

    def on_trade(self, trade: Trade) -> None:
        self.ticks += 1

    def on_order_filled(self, event: OrderFilled) -> None:
        self.fills.append(event)


def venue_trades(sim: RunningSim, symbol: str = "BTCUSD") -> list[Trade]:
    """Every trade on the simulator's tape, oldest first, as model trades."""
    tape = sim.context.exchange.markets[symbol].tape
    return [Trade(t.ts * MS, symbol, float(t.price), float(t.qty), t.side) for t in reversed(tape.recent(100_000))]


async def until(condition: Any, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_strategy_receives_the_venues_trades_as_bars(tmp_path, monkeypatch):
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: BarRecorder)
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as sim:
        config = bot_config(tmp_path, venue={"endpoint": sim.url}, params={"buy_on_bar": 2},
                            sizing={"fixed_quantity": 0.001},
                            engine={"market_data": "bars", "bar_interval": "250ms", "bar_grace_ms": 100})
        engine = await build_engine(config, settings=SyncronSettings(endpoint=sim.url), restore_state=False)
        summary = await engine.run(duration_s=3.0)
        trades = venue_trades(sim)
    strategy: BarRecorder = engine.host.strategy  # type: ignore[assignment]
    step = 250 * MS
    bars = strategy.bars
    assert len(bars) >= 6 and strategy.ticks == 0 and engine.counters["bar"] == len(bars)
    assert all(type(b) is Bar and b.ts % step == 0 for b in bars)
    # every interval from the first bar to the last, as the venue's own trades aggregate (empty ones skipped)
    window = [t for t in trades if bars[0].ts <= t.ts < bars[-1].ts + step]
    assert_same_bars(bars, aggregate(trade_records(window), step))
    assert engine.counters["late_trades"] == 0
    assert summary.fills >= 1 and strategy.fills, "the order placed on the second bar filled on paper"


async def test_a_bar_without_a_later_trade_is_delivered_by_the_clock(tmp_path, monkeypatch):
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: BarRecorder)
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": AgentConfig(enabled=False)})
    step = 500 * MS
    async with running_sim(sim_config) as sim:
        exchange = sim.context.exchange

        def place(side: Side, kind: OrderType, price: str | None = None, qty: str = "0.001") -> None:
            exchange.place(DEFAULT_API_KEY, OrderRequest("BTCUSD", side, kind, Decimal(qty),
                                                         Decimal(price) if price is not None else None))

        def cross(price: str) -> None:  # one trade at ``price``: the demo account takes its own offer
            place(Side.SELL, OrderType.LIMIT, price)
            place(Side.BUY, OrderType.MARKET)

        place(Side.BUY, OrderType.LIMIT, "50000")
        place(Side.SELL, OrderType.LIMIT, "70000")  # a two-sided book: the engine sees a quote once subscribed
        config = bot_config(tmp_path, venue={"endpoint": sim.url},
                            engine={"market_data": "bars", "bar_interval": "500ms", "bar_grace_ms": 50})
        engine = await build_engine(config, settings=SyncronSettings(endpoint=sim.url), restore_state=False)
        run = asyncio.create_task(engine.run())
        await until(lambda: engine.counters["quote"] > 0)
        cross("60000.0")
        first = venue_trades(sim)[-1].ts
        later = first - first % step + step  # the next trades open a later bar: the first (partial) one closes
        await asyncio.sleep((later + 20 * MS - time.time_ns()) / NS_PER_SECOND)
        cross("60010.0")
        cross("59990.0")
        cross("60005.0")
        strategy: BarRecorder = engine.host.strategy  # type: ignore[assignment]
        await until(lambda: any(b.ts == later for b in strategy.bars), timeout_s=3.0)
        engine.request_stop()
        await run
        trades = venue_trades(sim)
    assert len(trades) == 4 and strategy.ticks == 0
    assert_same_bars(strategy.bars, complete_bars(trades, step))
    last = strategy.bars[-1]
    assert last.ts == later and engine.counters["late_trades"] == 0
    assert (last.open, last.high, last.low, last.close) == (60010.0, 60010.0, 59990.0, 60005.0)
    assert last.volume == pytest.approx(0.003)


def scripted_market(n: int = 500, seed: int = 8) -> tuple[list[Trade | Quote], list[Trade]]:
    """Trades about 4 a second with quiet spells (empty 1 s bars), each followed by a quote around it."""
    rng = np.random.default_rng(seed)
    t0 = 1_717_200_000 * NS_PER_SECOND  # on the 1 s grid: the first bar is complete
    gaps = np.rint(rng.exponential(250, n) * (1 + 6 * (rng.random(n) < 0.03))).astype(np.int64) * MS
    gaps[0] = 0
    ts = t0 + np.cumsum(gaps)
    prices = np.round(100.0 + np.cumsum(rng.normal(0, 0.15, n)), 2)
    trades = [Trade(int(t), "BTCUSD", float(p), 50.0, Side.BUY) for t, p in zip(ts, prices, strict=True)]
    events: list[Trade | Quote] = []
    for t in trades:
        events += [t, Quote(t.ts, "BTCUSD", t.price - 0.5, 50.0, t.price + 0.5, 50.0)]
    return events, trades


async def test_the_sma_bot_on_live_bars_decides_as_in_a_backtest_on_the_same_trades(tmp_path):
    events, trades = scripted_market()
    step = NS_PER_SECOND
    bars = complete_bars(trades, step)
    params = {"fast": 3, "slow": 8, "size": 1.0}
    spec = {"strategy": "sma_cross", "params": params, "engine": "python", "capital": 100_000,
            "data": {"kind": "bars", "bar_interval": "1s", "symbols": ["BTCUSD"]},
            "fees": {"maker_bps": 1, "taker_bps": 5}}
    result = botkit.backtest(spec, data={"BTCUSD": bar_records(bars)})
    assert len(result.fills) >= 6 and len(bars) < trades[-1].ts // step - trades[0].ts // step, "some bars empty"

    config = bot_config(tmp_path, capital=100_000,
                        engine={"market_data": "bars", "bar_interval": "1s", "bar_grace_ms": 20})
    paper = PaperExecutionClient(maker_bps=1, taker_bps=5, queue_fills=False)
    engine = LiveEngine(config, strategy_cls=SmaCross, params=SmaCrossParams(**params),
                        data=ScriptedData(events, gap_s=0.001), execution=paper,
                        instruments={"BTCUSD": Instrument("BTCUSD")})
    run = asyncio.create_task(engine.run())
    await until(lambda: engine.counters["bar"] == len(bars), timeout_s=10.0)  # the last one by the clock
    engine.request_stop()
    await run

    live = await paper.fills()
    assert len(live) == len(result.fills)
    for fill, row in zip(live, result.fills.itertuples(), strict=True):
        # the backtest fills at the next bar's open (the trade after the close), paper at the quote after it
        sign = 1 if row.side == "buy" else -1
        assert int(fill.side) == sign and fill.qty == pytest.approx(row.qty)
        assert fill.price == pytest.approx(row.price + 0.5 * sign, abs=1e-9)
        assert row.ts.value <= fill.ts < row.ts.value + step


def test_bar_settings_are_validated(tmp_path):
    with pytest.raises(ConfigError, match=r"engine: bar_interval '1m' needs market_data: bars"):
        bot_config(tmp_path, engine={"market_data": "quotes", "bar_interval": "1m"})
    with pytest.raises(ConfigError, match=r"bar_interval.*invalid bar interval '1x'"):
        bot_config(tmp_path, engine={"market_data": "bars", "bar_interval": "1x"})
    config = bot_config(tmp_path, engine={"market_data": "bars"})
    assert config.engine.bar_interval_ns == 60 * NS_PER_SECOND and config.engine.bar_grace_ms == 250
