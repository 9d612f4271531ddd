"""The step adapter (the way the live engine calls a compiled step) decides exactly as the replay kernels do.

Each compiled step runs twice on the same data: inside the kernel (``engine: compiled``) and through
``CompiledStepStrategy`` in the backtester's Python path, which calls the step from Python once per
event with the engine slots taken from the strategy context, as the live host does. Same fills,
rejections and equity means the adapter gives the step the same state and records and decodes its
intents as the kernel does. A probe step whose every decision depends on every engine slot (position,
cash, equity, rejections, working orders) and that uses every action catches any difference.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pandas as pd
import pytest
from botkit.examples.bollinger_reversion import BollingerReversion
from botkit.examples.donchian_breakout import DonchianBreakout
from botkit.examples.sma_cross import SmaCross
from pydantic import Field

import botkit
from botkit.backtest.step_adapter import CompiledStepStrategy, StepAdapter, prepare_step, python_form
from botkit.core.errors import ConfigError, StrategyError
from botkit.model.enums import OrderType, Side
from botkit.model.events import Bar, Quote, Trade
from botkit.model.records import (
    FIRST_USER_SLOT,
    SLOT_CASH,
    SLOT_EQUITY,
    SLOT_POSITION,
    SLOT_REJECTED,
    SLOT_WORKING,
)
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.compiled import (
    BUY,
    SELL,
    CompiledStep,
    cancel_all,
    limit,
    market,
    no_order,
    price_of,
    replace_limit,
    replace_market,
    replace_stop,
    stop,
)

MIN = 60_000_000_000
T0 = 1_704_067_200_000_000_000  # 2024-01-01


class ProbeParams(StrategyParams):
    """Thresholds of the probe."""

    qty: float = Field(1.0, gt=0)
    low_cash: float = 99_400.0
    rich: float = 100_020.0


class Probe(Strategy[ProbeParams]):
    """A compiled-only strategy whose decisions read every engine slot and use every action."""

    Params = ProbeParams

    @classmethod
    def compiled_step(cls, params: ProbeParams) -> CompiledStep:
        """The probe step."""
        return CompiledStep(probe_step, np.array([params.qty, params.low_cash, params.rich]), state_size=1)


@nb.njit(cache=True)
def probe_step(state, event, params):
    """Cycles through the actions; where it is in the cycle depends on the rejections and working orders seen."""
    u = FIRST_USER_SLOT
    n = state[u] + 1.0
    state[u] = n
    px = price_of(event)
    position = state[SLOT_POSITION]
    phase = int(n + 3.0 * state[SLOT_REJECTED] + 2.0 * state[SLOT_WORKING]) % 9
    if state[SLOT_CASH] < params[1] and position > 0.0:
        return market(SELL, position)
    if phase == 0:
        return market(BUY, params[0])
    if phase == 1:
        return limit(BUY, math.nan, px * 0.997)
    if phase == 2:
        return replace_stop(BUY, params[0], px * 1.002)
    if phase == 3 and position > 0.0:
        return replace_limit(SELL, position, px * 1.002)
    if phase == 4:
        return cancel_all()
    if phase == 5 and state[SLOT_EQUITY] > params[2]:
        return replace_market(SELL, 2.0 * params[0])  # refused when it would go short
    if phase == 6:
        return stop(SELL, params[0], px * 0.998)
    if phase == 7:
        return market(BUY, 3.0 * params[0])  # refused above max_position
    return no_order()


def random_bars(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, n)))
    open_ = np.concatenate([[100.0], close[:-1]]) * (1.0 + rng.normal(0.0, 0.001, n))
    high = np.maximum(open_, close) * (1.0 + rng.random(n) * 0.004)
    low = np.minimum(open_, close) * (1.0 - rng.random(n) * 0.004)
    ts = T0 + np.arange(n, dtype=np.int64) * MIN
    return pd.DataFrame({"ts": ts, "open": open_, "high": high, "low": low, "close": close, "volume": 1.0})


def ticks(bars: pd.DataFrame, kind: str) -> pd.DataFrame:
    if kind == "trades":
        return pd.DataFrame({"ts": bars.ts, "price": bars.close, "size": 2.0, "side": np.int8(1)})
    return pd.DataFrame({"ts": bars.ts, "bid": bars.close - 0.02, "bid_size": 2.0, "ask": bars.close + 0.02,
                         "ask_size": 1.5})


def both_ways(monkeypatch, cls: type[Strategy], kind: str, data: dict[str, pd.DataFrame], **spec):
    values = {"strategy": f"{cls.__module__}:{cls.__name__}", "capital": 100_000.0,
              "data": {"kind": kind, "symbols": list(data)}, "fees": {"maker_bps": 1, "taker_bps": 5}, **spec}
    kernel = botkit.backtest({**values, "engine": "compiled"}, data=data)
    monkeypatch.setattr("botkit.backtest.engine.load_strategy_class", lambda ref: CompiledStepStrategy.of(cls, [kind]))
    adapter = botkit.backtest({**values, "engine": "python"}, data=data)
    assert kernel.engine == "compiled" and adapter.engine == "python"
    return kernel, adapter


def assert_same_run(kernel, adapter) -> None:
    pd.testing.assert_frame_equal(adapter.fills, kernel.fills, check_exact=True)
    pd.testing.assert_frame_equal(adapter.rejections[["ts", "symbol", "side", "code"]],
                                  kernel.rejections[["ts", "symbol", "side", "code"]], check_exact=True)
    pd.testing.assert_series_equal(adapter.equity, kernel.equity, check_exact=True)


STRATEGIES = [
    (SmaCross, {"fast": 3, "slow": 8}),
    (BollingerReversion, {"window": 6, "k": 1.0}),
    (DonchianBreakout, {"entry": 5, "exit": 3}),
]


@pytest.mark.parametrize(("cls", "params"), STRATEGIES, ids=[c.__name__ for c, _ in STRATEGIES])
def test_example_steps_through_the_adapter_equal_the_kernel_on_bars(monkeypatch, cls, params):
    kernel, adapter = both_ways(monkeypatch, cls, "bars", {"BTCUSD": random_bars(400, seed=11)}, params=params,
                                slippage={"bps": 2})
    assert len(kernel.fills) >= 6
    assert_same_run(kernel, adapter)


@pytest.mark.parametrize("kind", ["bars", "trades", "quotes"])
def test_the_probe_sees_the_same_slots_and_is_decoded_the_same(monkeypatch, kind):
    bars = random_bars(300, seed=5)
    data = {"BTCUSD": bars if kind == "bars" else ticks(bars, kind)}
    kernel, adapter = both_ways(monkeypatch, Probe, kind, data,
                                risk={"max_position": 2.5, "allow_short": False}, sizing={"fixed_quantity": 0.5})
    assert len(kernel.fills) >= 20
    assert set(kernel.rejections.code) >= {"no_short", "max_position"}
    assert set(kernel.fills.liquidity) == {"maker", "taker"}
    assert_same_run(kernel, adapter)


def test_two_symbols_each_get_their_own_row(monkeypatch):
    data = {"BTCUSD": random_bars(200, seed=1), "ETHUSD": random_bars(200, seed=2)}
    kernel, adapter = both_ways(monkeypatch, Probe, "bars", data, risk={"max_position": 2.5, "allow_short": False})
    assert set(kernel.fills.symbol) == {"BTCUSD", "ETHUSD"}
    assert_same_run(kernel, adapter)


class StepParams(StrategyParams):
    """Nothing to set."""


@nb.njit(cache=True)
def echo_step(state, event, params):
    """Returns the intent stored in params (action, side, qty, price), whatever the event."""
    return int(params[0]), int(params[1]), params[2], params[3]


def adapter_for(action: int, side: int, qty: float, price: float, kinds=("bars",)) -> StepAdapter:
    return StepAdapter(CompiledStep(echo_step, np.array([action, side, qty, price]), 0), ["BTCUSD"], kinds, "Echo")


BAR = Bar(T0, "BTCUSD", 100.0, 101.0, 99.0, 100.5, 3.0)


@pytest.mark.parametrize(("action", "cancel", "kind", "limit_price", "stop_price"), [
    (1, False, OrderType.MARKET, None, None), (2, False, OrderType.LIMIT, 99.5, None),
    (3, False, OrderType.STOP, None, 99.5), (5, True, OrderType.LIMIT, 99.5, None),
    (6, True, OrderType.STOP, None, 99.5), (7, True, OrderType.MARKET, None, None),
])
def test_actions_decode_to_intents(action, cancel, kind, limit_price, stop_price):
    decision = adapter_for(action, -1, 2.0, 99.5).on_event(BAR, 0, 0.0, 0.0, 0.0, 0)
    assert decision is not None and decision.cancel_all is cancel
    intent = decision.intent
    assert intent is not None and intent.symbol == "BTCUSD" and intent.side is Side.SELL and intent.qty == 2.0
    assert (intent.order_type, intent.limit_price, intent.stop_price) == (kind, limit_price, stop_price)


def test_nan_qty_is_left_to_sizing_and_cancel_all_places_nothing():
    assert adapter_for(1, 1, math.nan, 0.0).on_event(BAR, 0, 0.0, 0.0, 0.0, 0).intent.qty is None
    assert adapter_for(4, 0, 0.0, 0.0).on_event(BAR, 0, 0.0, 0.0, 0.0, 0) == (True, None)
    assert adapter_for(0, 0, 0.0, 0.0).on_event(BAR, 0, 0.0, 0.0, 0.0, 0) is None


@pytest.mark.parametrize("intent", [(9, 1, 1.0, 0.0), (1, 2, 1.0, 0.0), (1, 1, -1.0, 0.0), (2, 1, 1.0, 0.0)])
def test_an_invalid_intent_is_a_strategy_error_as_in_the_kernel(intent):
    with pytest.raises(StrategyError, match="invalid intent"):
        adapter_for(*intent).on_event(BAR, 0, 0.0, 0.0, 0.0, 0)


def test_the_engine_slots_are_written_before_the_call_and_rejections_counted():
    adapter = adapter_for(0, 0, 0.0, 0.0, kinds=("bars", "trades", "quotes"))
    adapter.on_event(Trade(T0, "BTCUSD", 100.0, 1.0, Side.BUY), 0, 1.5, 900.0, 1050.0, 2)
    adapter.rejected(0)
    row = adapter.state[0]
    assert (row[SLOT_POSITION], row[SLOT_CASH], row[SLOT_EQUITY], row[SLOT_WORKING], row[SLOT_REJECTED]) == (
        1.5, 900.0, 1050.0, 2.0, 1.0)
    assert adapter.on_event(Quote(T0, "BTCUSD", 99.0, 1.0, 101.0, 1.0), 0, 0.0, 0.0, 0.0, 0) is None


def test_a_kind_that_was_not_prepared_is_refused_not_compiled():
    adapter = adapter_for(0, 0, 0.0, 0.0, kinds=("bars",))
    compiled = len(echo_step.overloads)
    with pytest.raises(StrategyError, match="not prepared for trades"):
        adapter.on_event(Trade(T0, "BTCUSD", 100.0, 1.0, Side.BUY), 0, 0.0, 0.0, 0.0, 0)
    assert len(echo_step.overloads) == compiled


@nb.njit(cache=True)
def close_reader_step(state, event, params, ind):
    """Reads the bar's close: fits bars only."""
    return market(BUY, 1.0) if event.close > 100.0 else no_order()


class CloseReader(Strategy[StepParams]):
    """A declared step that reads ``event.close``."""

    Params = StepParams
    step = close_reader_step


def test_a_step_that_cannot_read_a_kind_fails_at_prepare_with_the_reason():
    with pytest.raises(StrategyError, match=r"not fit the protocol.*Unknown attribute 'close' of type QuoteRecord"):
        prepare_step(CloseReader.compiled_step(CloseReader.Params()).step, "quotes", "CloseReader")


def test_the_adapter_strategy_keeps_the_source_name_and_params():
    cls = CompiledStepStrategy.of(SmaCross, ["bars"])
    assert cls.Params is SmaCross.Params and cls.kinds == ("bars",)
    with pytest.raises(ValueError, match="record kind"):
        CompiledStepStrategy.of(SmaCross, ["book"])


@pytest.mark.parametrize(("cls", "params"), STRATEGIES[1:], ids=[c.__name__ for c, _ in STRATEGIES[1:]])
def test_a_strategy_written_only_as_a_step_runs_it_on_the_python_path(cls, params):
    values = {"strategy": f"{cls.__module__}:{cls.__name__}", "capital": 100_000.0, "params": params,
              "data": {"kind": "bars", "symbols": ["BTCUSD"]}, "fees": {"maker_bps": 1, "taker_bps": 5}}
    data = {"BTCUSD": random_bars(400, seed=11)}
    kernel = botkit.backtest({**values, "engine": "compiled"}, data=data)
    python = botkit.backtest({**values, "engine": "python"}, data=data)
    assert not cls.has_hooks() and python.engine == "python" and len(kernel.fills) >= 6
    assert_same_run(kernel, python)


def test_a_strategy_written_only_as_a_step_refuses_book_data():
    with pytest.raises(ConfigError, match=r"written only as a compiled step.*cannot run on book"):
        python_form(BollingerReversion, "book")
    assert python_form(SmaCross, "bars") is SmaCross  # it has hooks: they run
