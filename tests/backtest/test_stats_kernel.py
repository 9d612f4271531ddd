"""The compiled equity pass gives the statistics the pandas implementation gave, to the last bit or 1e-12."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference.stats import reference_stats

import botkit
from botkit.backtest.stats import STATS_KEYS, stats_from_arrays
from botkit.data.synthetic import synthetic_bars, synthetic_quotes, synthetic_trades
from botkit.portfolio.round_trips import round_trips

DAY = 86_400_000_000_000
START = 1_704_067_200_000_000_000


def assert_same_stats(new: dict, old: dict) -> None:
    assert list(new) == list(old)
    for key in old:
        a, b = new[key], old[key]
        if isinstance(b, str) or isinstance(a, str):
            assert a == b, key
        elif math.isnan(b):
            assert math.isnan(a), f"{key}: {a} != nan"
        elif math.isinf(b) or b == 0:
            assert a == b, f"{key}: {a} != {b}"
        else:
            assert abs(a - b) <= 1e-12 * abs(b), f"{key}: {a!r} != {b!r}"
        assert type(a) is type(b) or {type(a), type(b)} <= {int, float}, key


values_strategy = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 100.0, 100.0, 101.0]),
)


@st.composite
def curves(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 60))
    gaps = draw(st.lists(st.sampled_from([0, 1, 60_000_000_000, DAY // 3, DAY, 3 * DAY + 7]), min_size=n,
                         max_size=n))
    times = START + draw(st.integers(0, DAY)) + np.cumsum(np.array(gaps, dtype=np.int64))
    if draw(st.booleans()):
        values = np.array(draw(st.lists(values_strategy, min_size=n, max_size=n)), dtype=np.float64)
    else:  # a realistic curve: positive, moving a little
        steps = draw(st.lists(st.floats(-1.0, 1.0), min_size=n, max_size=n))
        values = 1000.0 + np.cumsum(np.array(steps))
    return times, values


@settings(max_examples=300, deadline=None)
@given(curves(), st.lists(st.floats(-100, 100), max_size=20))
def test_equity_pass_matches_the_pandas_statistics(curve: tuple[np.ndarray, np.ndarray], pnl: list[float]) -> None:
    times, values = curve
    trades = np.array(pnl, dtype=np.float64)
    with np.errstate(all="ignore"):
        old = reference_stats(times, values, trades, initial_capital=1000.0, fees=1.5, exposure=0.25)
        new = stats_from_arrays(times, values, trades, initial_capital=1000.0, fees=1.5, exposure=0.25)
    assert_same_stats(new, old)


def test_empty_curve_matches() -> None:
    empty_t, empty_v = np.zeros(0, np.int64), np.zeros(0)
    old = reference_stats(empty_t, empty_v, np.zeros(0), initial_capital=1.0, fees=0.0, exposure=0.0)
    new = stats_from_arrays(empty_t, empty_v, np.zeros(0), initial_capital=1.0, fees=0.0, exposure=0.0)
    assert_same_stats(new, old)
    assert list(new) == list(STATS_KEYS)


BARS = synthetic_bars(30_000, start_ns=START, seed=11)
TRADES = synthetic_trades(30_000, start_ns=START, seed=12)
QUOTES = synthetic_quotes(20_000, start_ns=START, seed=13)

BACKTESTS = [
    ({"strategy": "sma_cross", "params": {"fast": 5, "slow": 20, "size": 1.0}}, BARS),
    ({"strategy": "sma_cross", "params": {"fast": 3, "slow": 9, "size": 2.0}, "engine": "python",
      "fees": {"taker_bps": 7}}, BARS),
    ({"strategy": "bollinger_reversion"}, BARS),
    ({"strategy": "donchian_breakout", "slippage": {"bps": 2}}, BARS),
    ({"strategy": "sma_cross", "params": {"fast": 4, "slow": 16, "size": 0.5}, "data": {"kind": "trades"},
      "fees": {"taker_bps": 5}}, TRADES),
    ({"strategy": "sma_cross", "params": {"fast": 4, "slow": 16}, "data": {"kind": "quotes"},
      "equity_resolution": "1m"}, QUOTES),
]


@pytest.mark.parametrize(("spec", "data"), BACKTESTS)
def test_backtest_stats_equal_the_pandas_statistics_of_its_own_frames(spec: dict, data: np.ndarray) -> None:
    result = botkit.backtest({**spec, "data": {"symbols": ["BTCUSD"], **spec.get("data", {})}},
                             data={"BTCUSD": data})
    equity = result.equity
    trips = round_trips(result.fills)
    assert result.stats["trades"] == len(trips) > 0
    exposure = result.outcome.exposed_events / result.outcome.events
    old = reference_stats(equity.index.asi8, equity.to_numpy(), trips["pnl"].to_numpy(),
                          initial_capital=result.spec.capital, fees=result.outcome.fees, exposure=exposure)
    old["final_equity"] = result.outcome.final_equity
    old["total_return"] = result.outcome.final_equity / result.spec.capital - 1.0
    assert_same_stats({key: result.stats[key] for key in STATS_KEYS}, old)
