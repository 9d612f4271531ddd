"""Declared indicators: each kind equals its plain-Python definition bit for bit, and nothing drifts.

``indicator_series`` runs botkit's kernels (the same update as a compiled step, a sweep and a Python
hook) over a series; tests/backtest/reference/indicators.py recomputes each value from scratch with
``math.fsum`` and plain loops. Hypothesis draws the series (random walks, prices on a tick grid,
flat stretches, jumps of several times) and the windows.
"""

from __future__ import annotations

import math
import os
import random
import sys
from typing import ClassVar

import numba as nb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field

from botkit.model.records import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.indicator_layout import distinct_indicators, indicator_series
from botkit.strategy.indicators import (
    ATR,
    CROSS_TOLERANCE,
    EMA,
    RSI,
    SMA,
    STD,
    Bollinger,
    Donchian,
    Highest,
    IndicatorKey,
    Lag,
    Lowest,
    Reading,
    crossed_above,
    crossed_below,
)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "backtest"))
from reference import indicators as ref

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bars_of(closes: list[float], seed: int = 0) -> np.ndarray:
    rng = random.Random(seed)
    out = np.zeros(len(closes), dtype=BAR_DTYPE)
    previous = closes[0]
    for i, close in enumerate(closes):
        spread = abs(close) * rng.random() * 0.01
        out[i] = (i, previous, max(previous, close) + spread, min(previous, close) - spread, close, 1.0 + i % 7)
        previous = close
    return out


@st.composite
def price_paths(draw) -> list[float]:
    """Random walks: continuous or on a tick grid, with flat stretches and the odd jump."""
    n = draw(st.integers(1, 160))
    price = draw(st.sampled_from([0.003, 1.0, 97.5, 30_000.0]))
    tick = draw(st.sampled_from([0.0, 0.0, 0.01, 0.5]))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    path = []
    for _ in range(n):
        move = rng.choice([0.0, 0.0, rng.gauss(0.0, 0.01), rng.gauss(0.0, 0.2) if rng.random() < 0.05 else 0.001])
        price = max(price * math.exp(move), 1e-6)
        if tick > 0.0:
            price = max(tick, round(price / tick) * tick)
        path.append(price)
    return path


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def assert_series(actual: np.ndarray, expected: list[float], what: str) -> None:
    for i, (a, b) in enumerate(zip(actual.tolist(), expected, strict=True)):
        assert same(a, b), f"{what}: event {i}: botkit {a!r} != definition {b!r}"


@SETTINGS
@given(path=price_paths(), window=st.integers(1, 40))
def test_windowed_indicators_equal_their_definitions(path, window):
    bars = bars_of(path)
    closes = list(bars["close"])
    prefixes = [closes[: i + 1] for i in range(len(closes))]
    for kind, definition in (("sma", ref.sma), ("std", ref.std), ("ema", ref.ema), ("highest", ref.highest),
                             ("lowest", ref.lowest), ("lag", ref.lag), ("rsi", ref.rsi)):
        values = indicator_series(IndicatorKey(kind, "close", window), bars)[:, 0]
        assert_series(values, [definition(p, window) for p in prefixes], kind)


@pytest.mark.parametrize("window", [1, 2, 3, 7])
def test_wild_jumps_stay_exact(window):
    # prices that jump by 10x and 1000x: the window sum takes the old value out and the new one in
    # with two compensated additions instead of one exact difference
    path = [1.0, 10.0, 0.1, 5.0, 1000.0, 0.001, 3.3, 3.3, 3.3, 70.0, 0.7, 1e4, 2e4, 1.0] * 3
    bars = bars_of(path)
    closes = list(bars["close"])
    for kind, definition in (("sma", ref.sma), ("std", ref.std), ("ema", ref.ema), ("rsi", ref.rsi)):
        values = indicator_series(IndicatorKey(kind, "close", window), bars)[:, 0]
        assert_series(values, [definition(closes[: i + 1], window) for i in range(len(closes))], kind)


@SETTINGS
@given(path=price_paths(), window=st.integers(1, 40), k=st.sampled_from([0.5, 2.0, 2.5]))
def test_bands_channels_and_atr_equal_their_definitions(path, window, k):
    bars = bars_of(path, seed=window)
    highs, lows, closes = list(bars["high"]), list(bars["low"]), list(bars["close"])
    bands = indicator_series(IndicatorKey("bollinger", "close", window, k), bars)
    channel = indicator_series(IndicatorKey("donchian", "high,low", window), bars)
    atr = indicator_series(IndicatorKey("atr", "high,low,close", window), bars)
    for i in range(len(bars)):
        expected = ref.bollinger(closes[: i + 1], window, k)
        for j in range(3):
            assert same(bands[i, j], expected[j]), (i, j, bands[i], expected)
        assert same(channel[i, 0], ref.highest(highs[: i + 1], window))
        assert same(channel[i, 1], ref.lowest(lows[: i + 1], window))
        assert same(atr[i, 0], ref.atr(highs[: i + 1], lows[: i + 1], closes[: i + 1], window))


def test_a_long_average_does_not_drift():
    # 300k closes near 1e6 on a 0.01 grid: a plain running sum (add the new close, drop the oldest)
    # drifts by many ulps; the compensated one stays the exactly rounded mean at every event.
    rng = np.random.default_rng(5)
    closes = np.round(1e6 + np.cumsum(rng.normal(0.0, 3.0, 300_000)), 2)
    bars = bars_of([float(closes[0])])
    bars = np.zeros(len(closes), dtype=BAR_DTYPE)
    bars["close"] = closes
    window = 37
    values = indicator_series(IndicatorKey("sma", "close", window), bars)[:, 0]
    naive = naive_running_mean(closes, window)
    checked = range(window - 1, len(closes), 997)
    assert all(values[i] == math.fsum(closes[i - window + 1 : i + 1]) / window for i in checked)
    assert any(naive[i] != values[i] for i in checked), "the naive sum should drift here, or this test proves nothing"


@nb.njit
def naive_running_mean(x, n):
    out = np.full(x.shape[0], np.nan)
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i]
        if i >= n:
            total -= x[i - n]
        if i >= n - 1:
            out[i] = total / n
    return out


def test_equal_averages_never_cross_and_real_gaps_do():
    # decimal ties: (2.1 + 1.4) / 2 and (2.0 + 1.5 + 2.1 + 1.4) / 4 are both 1.75 in decimal
    bars = bars_of([5.8, 2.0, 1.5, 2.1, 1.4, 3.1])
    fast = indicator_series(IndicatorKey("sma", "close", 2), bars)[:, 0]
    slow = indicator_series(IndicatorKey("sma", "close", 4), bars)[:, 0]
    assert not crossed_above(fast[3], slow[3], fast[4], slow[4])
    assert not crossed_below(fast[3], slow[3], fast[4], slow[4])
    assert crossed_above(1.0, 1.0, 1.0 + 4 * CROSS_TOLERANCE, 1.0)
    assert not crossed_above(1.0, 1.0, 1.0 + CROSS_TOLERANCE / 2, 1.0)
    assert not crossed_above(math.nan, 1.0, 2.0, 1.0)  # no previous value: no cross


@nb.njit
def crosses_compiled(a, b, level):
    return (crossed_above(a, b), crossed_below(a, b), crossed_above(a, level), crossed_below(a, level),
            crossed_above(a.prev, b.prev, a.value, b.value))


@pytest.mark.parametrize(("a", "b", "level"), [
    (Reading(2.0, 1.0, True), Reading(1.5, 1.5, True), 1.2),
    (Reading(1.0, 2.0, True), Reading(1.5, 1.5, True), 1.2),
    (Reading(1.0, math.nan, True), Reading(0.5, 0.7, True), 0.8),
])
def test_cross_tests_agree_in_python_and_compiled(a, b, level):
    python = (crossed_above(a, b), crossed_below(a, b), crossed_above(a, level), crossed_below(a, level),
              crossed_above(a.prev, b.prev, a.value, b.value))
    assert crosses_compiled(a, b, level) == python


def test_ticks_feed_their_price():
    trades = np.zeros(5, dtype=TRADE_DTYPE)
    trades["price"] = [1.0, 2.0, 3.0, 4.0, 5.0]
    quotes = np.zeros(5, dtype=QUOTE_DTYPE)
    quotes["bid"], quotes["ask"] = [0.5, 1.5, 2.5, 3.5, 4.5], [1.5, 2.5, 3.5, 4.5, 5.5]
    for records in (trades, quotes):
        assert indicator_series(IndicatorKey("sma", "price", 2), records)[:, 0].tolist()[1:] == [1.5, 2.5, 3.5, 4.5]


class GridParams(StrategyParams):
    """Two windows and a band width."""

    fast: int = Field(5, ge=1)
    slow: int = Field(20, ge=1)
    k: float = 2.0


class Grid(Strategy[GridParams]):
    """Declarations only."""

    Params = GridParams
    indicators: ClassVar = {"fast": SMA("close", "fast"), "slow": SMA("close", "slow"),
                            "bands": Bollinger("close", "slow", "k"), "trend": EMA("close", 50)}


def test_distinct_indicators_of_a_grid():
    sets = [GridParams(fast=f, slow=s) for f in (5, 10) for s in (10, 20)]
    keys, uses = distinct_indicators(Grid, sets)
    assert [(k.kind, k.window) for k in keys] == [
        ("sma", 5), ("sma", 10), ("bollinger", 10), ("ema", 50), ("sma", 20), ("bollinger", 20)]
    assert uses[0] == {"fast": 0, "slow": 1, "bands": 2, "trend": 3}
    assert uses[3] == {"fast": 1, "slow": 4, "bands": 5, "trend": 3}  # fast 10 and slow 10 share one SMA
    assert keys[2].k == 2.0 and keys[2].outputs == 3


def test_bad_declarations_name_the_field_and_value():
    with pytest.raises(ValueError, match="source must be one of"):
        SMA("adjusted", 3)
    with pytest.raises(TypeError, match=r"reads params.width, which GridParams does not have"):
        type("Bad", (Strategy,), {"Params": GridParams, "indicators": {"x": STD("close", "width")}})
    with pytest.raises(TypeError, match="must be a Python identifier"):
        type("Bad", (Strategy,), {"Params": GridParams, "indicators": {"not a name": SMA("close", 3)}})
    with pytest.raises(ValueError, match=r"'fast' \(sma\) window params.fast must be an integer >= 1, got 0"):
        distinct_indicators(Grid, [GridParams.model_construct(fast=0, slow=3, k=2.0)])


def test_every_kind_declares():
    declared = {"a": SMA("close", 3), "b": EMA("open", 3), "c": STD("high", 3), "d": Bollinger("low", 3),
                "e": Highest("high", 3), "f": Lowest("low", 3), "g": Donchian(3), "h": RSI("close", 3), "i": ATR(3),
                "j": Lag("volume", 3)}
    cls = type("Every", (Strategy,), {"Params": GridParams, "indicators": declared})
    assert list(cls.indicators) == list(declared) and cls.Indicators._fields == tuple(declared)
