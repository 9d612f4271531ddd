"""The compiled step live: the same orders as the strategy's Python hooks on the same events.

The example strategy with both forms (the SMA crossover) runs twice on a paper engine fed the same
scripted events, once with ``engine.strategy_path: python`` and once with ``compiled`` (the numba
step the backtester calls, through the shared adapter); the orders (side, quantity, type, price, in
order) and fills must be the same. The per-kind variants feed what each step reads: bars (with
quotes between them, which fill the paper orders), quotes, trades, or quotes and trades together.
Strategies written in one form only run in that form whatever the setting, and trade.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

import numba as nb
import numpy as np
import pytest
from botkit.examples.bollinger_reversion import BollingerReversion
from botkit.examples.donchian_breakout import DonchianBreakout
from botkit.examples.momentum import Momentum
from botkit.examples.sma_cross import SmaCross

from botkit.backtest.step_adapter import CompiledStepStrategy
from botkit.core.errors import ConfigError
from botkit.live.compiled_step import live_strategy_form
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import Side
from botkit.model.events import Bar, MarketEvent, Quote, Trade
from botkit.model.instruments import Instrument
from botkit.model.records import FIRST_USER_SLOT, SLOT_REJECTED
from botkit.settings import EngineConfig
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.compiled import BUY, CompiledStep, market, no_order
from botkit.strategy.indicators import SMA

from .helpers import ScriptedData, bot_config

MIN = 60_000_000_000
T0 = 1_704_067_200_000_000_000
GAP_S = 0.0  # each event still yields to the loop: the orders it caused are sent before the next one


def path_of_prices(n: int, seed: int) -> list[tuple[float, float, float, float]]:
    """(open, high, low, close) of ``n`` intervals of a random walk."""
    rng = np.random.default_rng(seed)
    rows, last = [], 100.0
    for _ in range(n):
        close = last * float(np.exp(rng.normal(0.0, 0.006)))
        high = max(last, close) * (1.0 + float(rng.random()) * 0.004)
        low = min(last, close) * (1.0 - float(rng.random()) * 0.004)
        rows.append((round(last, 2), round(high, 2), round(low, 2), round(close, 2)))
        last = close
    return rows


def quote(ts: int, price: float) -> Quote:
    return Quote(ts, "BTCUSD", round(price - 0.01, 2), 50.0, round(price + 0.01, 2), 50.0)


def bar_events(n: int, seed: int) -> list[MarketEvent]:
    """Per interval: quotes at its open, low, high and close (paper fills), then the bar as it closes."""
    events: list[MarketEvent] = []
    for i, (o, h, lo, c) in enumerate(path_of_prices(n, seed)):
        ts = T0 + i * MIN
        events += [quote(ts, o), quote(ts + 1, lo), quote(ts + 2, h), quote(ts + 3, c)]
        events.append(Bar(ts, "BTCUSD", o, h, lo, c, 4.0))
    return events


def tick_events(n: int, seed: int, kinds: tuple[str, ...]) -> list[MarketEvent]:
    events: list[MarketEvent] = []
    for i, (o, h, lo, c) in enumerate(path_of_prices(n, seed)):
        for j, price in enumerate((o, lo, h, c)):
            ts = T0 + i * MIN + j
            if "quotes" in kinds:
                events.append(quote(ts, price))
            if "trades" in kinds:
                events.append(Trade(ts, "BTCUSD", price, 50.0, Side.BUY if j % 2 else Side.SELL))
    return events


async def run_paper(tmp_path: Path, cls: type[Strategy[Any]], params: dict[str, Any], events: list[MarketEvent],
                    path: str, market_data: str, **config: Any) -> LiveEngine:
    settings = bot_config(tmp_path / path, engine={"market_data": market_data, "strategy_path": path}, **config)
    paper = PaperExecutionClient(taker_bps=5, maker_bps=1, match_on="trades" if market_data == "trades" else "quotes",
                                 cash=settings.capital, queue_fills=False)
    engine = LiveEngine(settings, strategy_cls=cls, params=cls.Params(**params), data=ScriptedData(events, GAP_S),
                        execution=paper, instruments={"BTCUSD": Instrument("BTCUSD", tick_size=0.01, lot_size=0.001)})
    await play(engine, events)
    return engine


async def play(engine: LiveEngine, events: list[MarketEvent]) -> None:
    """Run the engine until it has handled every scripted event (and the orders those caused), then stop it."""
    running = asyncio.create_task(engine.run())
    async with asyncio.timeout(20):
        while sum(engine.counters[kind] for kind in ("quote", "trade", "bar")) < len(events):
            await asyncio.sleep(0.005)
    await asyncio.sleep(0.02)
    engine.request_stop()
    await running


def orders(engine: LiveEngine) -> list[tuple[Any, ...]]:
    return [(o.side, o.qty, o.order_type, o.limit_price, o.stop_price) for o in engine.run_orders()]


def fills(engine: LiveEngine) -> list[tuple[Any, ...]]:
    return [(o.side, o.filled_qty, o.avg_fill_price) for o in engine.run_orders() if o.filled_qty > 0]


async def both_paths(tmp_path: Path, cls: type[Strategy[Any]], params: dict[str, Any], events: list[MarketEvent],
                     market_data: str, **config: Any) -> tuple[LiveEngine, LiveEngine]:
    python = await run_paper(tmp_path, cls, params, events, "python", market_data, **config)
    compiled = await run_paper(tmp_path, cls, params, events, "compiled", market_data, **config)
    assert python.strategy_form.path == "python" and type(python.host.strategy) is cls
    assert compiled.strategy_form.path == "compiled" and isinstance(compiled.host.strategy, CompiledStepStrategy)
    assert compiled.host.name == cls.__name__
    return python, compiled


async def test_on_bars_the_compiled_step_places_the_python_hooks_orders(tmp_path):
    python, compiled = await both_paths(tmp_path, SmaCross, {"fast": 3, "slow": 8, "size": 1.0},
                                        bar_events(70, seed=4), "bars")
    assert orders(compiled) == orders(python)
    assert fills(compiled) == fills(python)
    assert {o[2].name for o in orders(python)} == {"MARKET"} and len(fills(python)) >= 4
    assert compiled.ledger.position("BTCUSD") == python.ledger.position("BTCUSD")


COMPILED_ONLY = [
    (BollingerReversion, {"window": 6, "k": 1.0, "size": 1.0}, {"LIMIT", "MARKET"}),
    (DonchianBreakout, {"entry": 5, "exit": 3, "size": 1.0}, {"STOP", "MARKET"}),
]


@pytest.mark.parametrize(("cls", "params", "types"), COMPILED_ONLY, ids=[c.__name__ for c, _, _ in COMPILED_ONLY])
async def test_a_strategy_written_only_as_a_step_runs_it_whatever_the_path(tmp_path, cls, params, types):
    events = bar_events(70, seed=4)
    asked_python = await run_paper(tmp_path, cls, params, events, "python", "bars")
    compiled = await run_paper(tmp_path, cls, params, events, "compiled", "bars")
    assert asked_python.strategy_form.path == compiled.strategy_form.path == "compiled"
    assert isinstance(asked_python.host.strategy, CompiledStepStrategy)
    assert orders(asked_python) == orders(compiled) and fills(asked_python) == fills(compiled)
    assert {o[2].name for o in orders(compiled)} == types and len(fills(compiled)) >= 4


async def test_a_strategy_written_only_as_hooks_reads_its_declared_indicators_live(tmp_path):
    engine = await run_paper(tmp_path, Momentum, {"lookback": 3}, bar_events(70, seed=4), "auto", "bars",
                             sizing={"fixed_quantity": 1.0})
    assert engine.strategy_form.path == "python" and type(engine.host.strategy) is Momentum
    assert len(fills(engine)) >= 4


@pytest.mark.parametrize("kinds", [("quotes",), ("trades",), ("quotes", "trades")], ids=["quotes", "trades", "both"])
async def test_on_ticks_the_compiled_step_places_the_python_hooks_orders(tmp_path, kinds):
    market_data = kinds[0] if len(kinds) == 1 else "both"
    python, compiled = await both_paths(tmp_path, SmaCross, {"fast": 3, "slow": 8, "size": 1.0},
                                        tick_events(40, seed=9, kinds=kinds), market_data)
    assert compiled.strategy_form.kinds == (("quotes", "trades") if market_data == "both" else kinds)
    assert orders(compiled) == orders(python) and len(fills(python)) >= 4
    assert fills(compiled) == fills(python)


async def test_refused_intents_reach_the_steps_rejection_slot(tmp_path):
    python, compiled = await both_paths(tmp_path, SmaCross, {"fast": 3, "slow": 8, "size": 1.0},
                                        bar_events(70, seed=4), "bars", risk={"max_order_qty": 0.5})
    assert compiled.host.risk_rejections == python.host.risk_rejections >= 2
    assert compiled.host.strategy.adapter.state[0, SLOT_REJECTED] == compiled.host.risk_rejections
    assert orders(compiled) == orders(python) == []


class TinyParams(StrategyParams):
    """Nothing to set."""


@nb.njit(cache=False)
def buy_once_step(state, bar, params):
    """Buys one unit on the third bar (uncached: compiled in this process)."""
    state[FIRST_USER_SLOT] += 1.0
    if state[FIRST_USER_SLOT] == 3.0:
        return market(BUY, 1.0)
    return no_order()


class BuyOnce(Strategy[TinyParams]):
    """Compiled only."""

    Params = TinyParams

    @classmethod
    def compiled_step(cls, params: TinyParams) -> CompiledStep:
        return CompiledStep(buy_once_step, np.zeros(0), state_size=1)


async def test_the_step_is_compiled_when_the_engine_is_built_never_per_event(tmp_path):
    settings = bot_config(tmp_path, engine={"market_data": "bars"})
    paper = PaperExecutionClient(queue_fills=False)
    events = bar_events(6, seed=1)
    assert len(buy_once_step.overloads) == 0
    engine = LiveEngine(settings, strategy_cls=BuyOnce, params=TinyParams(), data=ScriptedData(events, GAP_S),
                        execution=paper, instruments={"BTCUSD": Instrument("BTCUSD")})
    assert engine.strategy_form.path == "compiled" and len(buy_once_step.overloads) == 1  # before any event
    compiled = dict(buy_once_step.overloads)
    await play(engine, events)
    assert engine.counters["bar"] == 6 and [o.side for o in engine.run_orders()] == [Side.BUY]
    assert dict(buy_once_step.overloads) == compiled


def engine_config(**values: Any) -> EngineConfig:
    return EngineConfig(**values)


def test_auto_is_compiled_when_there_is_a_step_and_python_otherwise():
    assert live_strategy_form(SmaCross, SmaCross.Params(), engine_config()).path == "compiled"
    assert live_strategy_form(SmaCross, SmaCross.Params(), engine_config(strategy_path="python")).path == "python"
    assert live_strategy_form(Momentum, Momentum.Params(), engine_config()).path == "python"
    assert live_strategy_form(SmaCross, SmaCross.Params(), engine_config(market_data="book")).path == "python"


def test_compiled_without_a_step_or_readable_events_is_a_config_error():
    with pytest.raises(ConfigError, match="strategy_path is 'compiled' but strategy Momentum has no compiled_step"):
        live_strategy_form(Momentum, Momentum.Params(), engine_config(strategy_path="compiled"))
    with pytest.raises(ConfigError, match="market_data 'book' delivers no events a compiled step reads"):
        live_strategy_form(SmaCross, SmaCross.Params(), engine_config(strategy_path="compiled", market_data="book"))


@nb.njit(cache=True)
def close_reader_step(state, event, params, ind):
    """Reads the bar's close: fits bars only."""
    return market(BUY, 1.0) if event.close > ind.mean.value else no_order()


class CloseReader(Strategy[TinyParams]):
    """Both forms; the step reads bars only."""

    Params = TinyParams
    indicators: ClassVar = {"mean": SMA("close", 3)}
    step = close_reader_step

    def on_bar(self, bar: Bar) -> None:
        """Nothing to do."""


def test_a_step_that_cannot_read_what_market_data_delivers_fails_at_start():
    params = CloseReader.Params()
    with pytest.raises(ConfigError, match=r"cannot run on the quotes that engine.market_data 'both' delivers: .*"
                                          r"Unknown attribute 'close'.*set engine.strategy_path: python"):
        live_strategy_form(CloseReader, params, engine_config())
    assert live_strategy_form(CloseReader, params, engine_config(market_data="bars")).path == "compiled"


def test_a_compiled_only_strategy_refuses_events_no_step_reads():
    with pytest.raises(ConfigError, match=r"BollingerReversion is written only as a compiled step.*'book'"):
        live_strategy_form(BollingerReversion, BollingerReversion.Params(), engine_config(market_data="book"))
    assert live_strategy_form(BollingerReversion, BollingerReversion.Params(),
                              engine_config(strategy_path="python", market_data="bars")).path == "compiled"
