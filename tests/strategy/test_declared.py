"""Declared strategies: hooks and compiled steps read the same indicator values at every event.

One strategy declares every kind. Its Python hook records ``self.indicators`` after each bar; the
same bars go through its compiled step by the live adapter (``StepAdapter``: the numba function the
kernels call), whose state row then holds the outputs; ``indicator_series`` computes each one over
the whole series as a sweep would. All three must agree bit for bit.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numba as nb
import numpy as np
import pytest
from pydantic import Field

from botkit.backtest.step_adapter import StepAdapter
from botkit.model.events import Bar, Quote
from botkit.model.records import BAR_DTYPE, FIRST_USER_SLOT, SLOT_POSITION
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.compiled import BUY, market, no_order
from botkit.strategy.declared import IndicatorBoard, board_of, hook_reading_ahead
from botkit.strategy.indicator_layout import indicator_series, record_inputs
from botkit.strategy.indicators import (
    ATR,
    EMA,
    RSI,
    SMA,
    STD,
    Bands,
    Bollinger,
    Channel,
    Donchian,
    Highest,
    Lag,
    Lowest,
    Reading,
)


class EveryParams(StrategyParams):
    """A window per family and a band width; ``size`` may be None."""

    n: int = Field(4, ge=1)
    m: int = Field(9, ge=1)
    k: float = 1.5
    size: float | None = None
    label: str = "not numeric: not in StepParams"


@nb.njit(cache=True)
def every_step(state, event, params, ind):
    """Counts events in its own slot; buys once when everything is warm."""
    state[FIRST_USER_SLOT] += 1.0
    warm = ind.slow.ready and ind.bands.lower.ready and ind.atr.ready and ind.rsi.ready and ind.ago.ready
    if warm and state[SLOT_POSITION] == 0.0 and state[FIRST_USER_SLOT + 1] == 0.0:
        state[FIRST_USER_SLOT + 1] = params.m
        return market(BUY, params.size)
    return no_order()


class Every(Strategy[EveryParams]):
    """Every kind of indicator, both forms."""

    Params = EveryParams
    indicators: ClassVar = {
        "fast": SMA("close", "n"), "slow": SMA("price", "m"), "trend": EMA("close", "m"), "sd": STD("close", "n"),
        "bands": Bollinger("close", "m", "k"), "top": Highest("high", "n"), "bottom": Lowest("low", "m"),
        "channel": Donchian("n"), "rsi": RSI("close", "n"), "atr": ATR("m"), "ago": Lag("open", "n"),
        "volume": SMA("volume", 3),
    }
    step = every_step
    state_size = 2

    def on_start(self) -> None:
        """Remember what the readings are before any bar."""
        self.before = self.indicators
        self.seen: list[Any] = []

    def on_bar(self, bar: Bar) -> None:
        """Record the readings botkit updated for this bar."""
        self.seen.append(self.indicators)


def random_bars(n: int, seed: int) -> list[Bar]:
    rng = np.random.default_rng(seed)
    close = np.round(50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n))), 2)
    out, previous = [], close[0]
    for i, c in enumerate(close.tolist()):
        spread = round(abs(rng.normal(0.0, 0.2)), 2)
        out.append(Bar(i, "AAA", previous, max(previous, c) + spread, min(previous, c) - spread, c, float(i % 5 + 1)))
        previous = c
    return out


def flat(readings: Any) -> list[float]:
    """Every (value, previous) of a strategy's readings, in output order."""
    values: list[float] = []
    for reading in readings:
        for one in ([reading] if isinstance(reading, Reading) else reading):
            values += [one.value, one.prev]
    return values


def same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True))


def test_hooks_the_compiled_step_and_the_series_agree_at_every_event():
    params = EveryParams()
    bars = random_bars(120, seed=3)
    strategy = Every(params, None)  # type: ignore[arg-type]  # the hook does not use its context
    strategy.on_start()
    compiled = Every.compiled_step(params)
    adapter = StepAdapter(compiled, ["AAA"], ["bars"], "Every")
    base = compiled.indicators.out_base
    n_values = 2 * compiled.indicators.n_outputs
    records = np.array([(b.ts, b.open, b.high, b.low, b.close, b.volume) for b in bars], dtype=BAR_DTYPE)
    series = np.hstack([indicator_series(key, records) for key in compiled.indicators.keys])
    for i, bar in enumerate(bars):
        strategy.on_bar(bar)
        adapter.on_event(bar, 0, 0.0, 1000.0, 1000.0, 0)
        hooks = flat(strategy.seen[-1])
        assert same(hooks, adapter.state[0, base : base + n_values].tolist()), f"event {i}"
        assert same(hooks[::2], series[i].tolist()), f"event {i}"
    assert adapter.state[0, FIRST_USER_SLOT] == len(bars)  # the step's own slots are its own
    assert all(not r.ready for r in flatten(strategy.before))
    last = strategy.seen[-1]
    assert isinstance(last.bands, Bands) and isinstance(last.channel, Channel) and all(r.ready for r in flatten(last))


def flatten(readings: Any) -> list[Reading]:
    return [one for r in readings for one in ([r] if isinstance(r, Reading) else r)]


def test_the_step_receives_named_params_with_none_as_nan():
    assert Every.StepParams._fields == ("n", "m", "k", "size")
    compiled = Every.compiled_step(EveryParams(size=None))
    assert math.isnan(compiled.params[3]) and compiled.params[:3].tolist() == [4.0, 9.0, 1.5]
    adapter = StepAdapter(compiled, ["AAA"], ["bars"], "Every")
    decisions = [adapter.on_event(bar, 0, 0.0, 1000.0, 1000.0, 0) for bar in random_bars(40, seed=1)]
    bought = [d for d in decisions if d is not None]
    assert len(bought) == 1 and bought[0].intent.qty is None  # NaN: sized by the run's rule
    assert adapter.state[0, FIRST_USER_SLOT + 1] == 9.0


class Child(Every):
    """Calls the parent's hook: botkit still updates once per bar."""

    def on_bar(self, bar: Bar) -> None:
        """Record, then let the parent record too."""
        self.mine = self.indicators
        super().on_bar(bar)


def test_an_overriding_hook_calling_super_updates_once_per_event():
    child, plain = Child(EveryParams(), None), Every(EveryParams(), None)  # type: ignore[arg-type]
    child.on_start()
    plain.on_start()
    for bar in random_bars(30, seed=2):
        child.on_bar(bar)
        plain.on_bar(bar)
    assert same(flat(child.seen[-1]), flat(plain.seen[-1])) and same(flat(child.mine), flat(plain.seen[-1]))


def test_each_symbol_has_its_own_indicators():
    board = IndicatorBoard(Every, EveryParams())
    a = random_bars(20, seed=4)
    b = [bar._replace(symbol="BBB", close=bar.close * 3) for bar in random_bars(20, seed=5)]
    for x, y in zip(a, b, strict=True):
        board.update(x)
        board.update(y)
    assert board.current() == board.of("BBB") != board.of("AAA")
    alone = IndicatorBoard(Every, EveryParams())
    for x in a:
        alone.update(x)
    assert same(flat(alone.current()), flat(board.of("AAA")))


def test_a_quote_feeds_its_mid_to_price_indicators():
    board = IndicatorBoard(Every, EveryParams(m=2))
    board.update(Quote(0, "AAA", 99.0, 1.0, 101.0, 1.0))
    board.update(Quote(1, "AAA", 101.0, 1.0, 103.0, 1.0))
    assert board.current().slow.value == 101.0 and math.isnan(board.current().volume.value)


def test_a_step_must_be_a_numba_function():
    with pytest.raises(TypeError, match=r"Bad.step must be a @numba.njit function"):
        type("Bad", (Strategy,), {"Params": EveryParams, "step": lambda s, e, p, i: None})


def two_symbols(n: int) -> list[Bar]:
    """Bars of AAA and BBB interleaved unevenly (BBB skips every third bar of AAA)."""
    out = []
    for i, (a, b) in enumerate(zip(random_bars(n, seed=6), random_bars(n, seed=7), strict=True)):
        out.append(a)
        if i % 3:
            out.append(b._replace(symbol="BBB"))
    return out


def as_records(bars: list[Bar]) -> np.ndarray:
    return np.array([(b.ts, b.open, b.high, b.low, b.close, b.volume) for b in bars], dtype=BAR_DTYPE)


@pytest.mark.parametrize("symbols", [["AAA"], ["AAA", "BBB"]])
def test_readings_handed_ahead_are_the_readings_of_each_event(symbols):
    bars = random_bars(90, seed=8) if len(symbols) == 1 else two_symbols(60)
    one_by_one, ahead = IndicatorBoard(Every, EveryParams()), IndicatorBoard(Every, EveryParams())
    inst = np.array([symbols.index(b.symbol) for b in bars], dtype=np.int16)
    inputs = record_inputs(as_records(bars))
    for lo, hi in [(0, 7), (7, 8), (8, 61), (61, len(bars))]:  # chunks of every size, across warm-up
        readings = ahead.ahead(symbols, inst[lo:hi] if len(symbols) > 1 else None, [x[lo:hi] for x in inputs])
        for bar in bars[lo:hi]:
            expected = one_by_one.update(bar)
            assert same(flat(next(readings)), flat(expected))
            for symbol in symbols:  # the other symbol as of now, not as of the end of the chunk
                assert same(flat(ahead.of(symbol)), flat(one_by_one.of(symbol)))
        assert next(readings, None) is None
    assert same(flat(ahead.of("CCC")), flat(one_by_one.of("CCC")))  # never seen: cold


def test_a_hook_reading_ahead_finds_its_readings_and_so_does_its_parent():
    bars = random_bars(30, seed=2)
    child, plain = Child(EveryParams(), None), Every(EveryParams(), None)  # type: ignore[arg-type]
    child.on_start()
    plain.on_start()
    hook = hook_reading_ahead(child, "on_bar")
    assert hook is not None and hook_reading_ahead(child, "on_trade") is None  # Every has no on_trade of its own
    board = board_of(child)
    readings = board.ahead(["AAA"], None, record_inputs(as_records(bars)))
    assert all(not r.ready for r in flatten(board.current()))
    for bar in bars:
        child.__dict__["indicators"] = next(readings)
        hook(bar)
        plain.on_bar(bar)
        assert same(flat(board.current()), flat(plain.seen[-1]))
    assert len(child.seen) == len(plain.seen) == len(bars)
    assert same(flat(child.seen[-1]), flat(plain.seen[-1])) and same(flat(child.mine), flat(plain.seen[-1]))


def test_only_hooks_that_update_indicators_read_ahead():
    class Plain(Strategy[EveryParams]):
        Params = EveryParams

        def on_bar(self, bar: Bar) -> None:
            """No indicators declared: nothing to read."""

    assert hook_reading_ahead(Plain(EveryParams(), None), "on_bar") is None  # type: ignore[arg-type]
    assert hook_reading_ahead(Every(EveryParams(), None), "on_quote") is None  # type: ignore[arg-type]
