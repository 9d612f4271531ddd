"""Backtest statistics against values computed by hand from the formulas in docs/backtesting.md."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from botkit.backtest.stats import STATS_KEYS, compute_stats, stats_to_json

DAY = 86_400.0


def daily(values: list[float], start: str = "2024-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D", tz="UTC"))


def pnl(*values: float) -> pd.DataFrame:
    return pd.DataFrame({"pnl": list(values)})


NO_TRADES = pd.DataFrame({"pnl": pd.Series([], dtype=np.float64)})


def test_four_day_path_matches_the_formulas() -> None:
    equity = daily([100.0, 110.0, 99.0, 121.0])
    stats = compute_stats(
        equity, pnl(10.0, -5.0, 20.0), initial_capital=100.0, fees=1.5, exposure=0.75
    )
    r = [110 / 100 - 1, 99 / 110 - 1, 121 / 99 - 1]
    mean, std = statistics.fmean(r), statistics.stdev(r)
    downside = math.sqrt(sum(min(x, 0.0) ** 2 for x in r) / len(r))
    cagr = 1.21 ** (365.25 / 3) - 1

    assert list(stats) == list(STATS_KEYS)
    assert stats["start"] == "2024-01-01T00:00:00Z"
    assert stats["end"] == "2024-01-04T00:00:00Z"
    assert stats["duration"] == 3 * DAY
    assert stats["initial_capital"] == 100.0
    assert stats["final_equity"] == 121.0
    assert stats["total_return"] == pytest.approx(0.21)
    assert stats["cagr"] == pytest.approx(cagr)
    assert stats["volatility"] == pytest.approx(std * math.sqrt(365))
    assert stats["sharpe"] == pytest.approx(mean / std * math.sqrt(365))
    assert stats["sortino"] == pytest.approx(mean / downside * math.sqrt(365))
    assert stats["max_drawdown"] == pytest.approx(99 / 110 - 1)
    assert stats["calmar"] == pytest.approx(cagr / (1 - 99 / 110))
    assert stats["max_drawdown_duration"] == 2 * DAY  # peak on day 2, regained on day 4
    assert stats["trades"] == 3 and isinstance(stats["trades"], int)
    assert stats["win_rate"] == pytest.approx(2 / 3)
    assert stats["profit_factor"] == pytest.approx(30 / 5)
    assert stats["avg_trade"] == pytest.approx(25 / 3)
    assert (stats["best_trade"], stats["worst_trade"]) == (20.0, -5.0)
    assert (stats["exposure"], stats["fees"]) == (0.75, 1.5)


def test_intraday_points_use_the_last_value_of_each_utc_day() -> None:
    times = pd.DatetimeIndex(
        [
            "2024-01-01 00:00",
            "2024-01-01 12:00",
            "2024-01-02 06:00",
            "2024-01-02 23:00",
            "2024-01-04 10:00",  # no point on Jan 3: the day repeats Jan 2's value
        ],
        tz="UTC",
    )
    equity = pd.Series([100.0, 90.0, 95.0, 105.0, 100.0], index=times)
    stats = compute_stats(equity, NO_TRADES, initial_capital=100.0, fees=0.0, exposure=0.0)
    r = [105 / 90 - 1, 0.0, 100 / 105 - 1]
    assert stats["sharpe"] == pytest.approx(
        statistics.fmean(r) / statistics.stdev(r) * math.sqrt(365)
    )
    # Drawdown uses every point, not only daily closes.
    assert stats["max_drawdown"] == pytest.approx(-0.1)
    # 100 at Jan 1 00:00 is regained at Jan 2 23:00 (47 h); the last dip runs 35 h to the end.
    assert stats["max_drawdown_duration"] == 47 * 3600.0
    span_days = (times[-1] - times[0]) / pd.Timedelta(days=1)
    assert stats["cagr"] == pytest.approx(1.0 ** (365.25 / span_days) - 1)


def test_unrecovered_drawdown_runs_to_the_end_of_the_data() -> None:
    stats = compute_stats(
        daily([100.0, 120.0, 110.0, 115.0, 90.0]),
        NO_TRADES,
        initial_capital=100.0,
        fees=0.0,
        exposure=0.0,
    )
    assert stats["max_drawdown"] == pytest.approx(90 / 120 - 1)
    assert stats["max_drawdown_duration"] == 3 * DAY


def test_rising_equity_has_no_drawdown() -> None:
    stats = compute_stats(
        daily([100.0, 101.0, 103.0]), NO_TRADES, initial_capital=100.0, fees=0.0, exposure=0.0
    )
    assert stats["max_drawdown"] == 0.0
    assert stats["max_drawdown_duration"] == 0.0
    assert stats["calmar"] == math.inf
    assert stats["sortino"] == math.inf  # no down day: a positive mean over zero downside


def test_no_trades() -> None:
    stats = compute_stats(
        daily([100.0, 101.0, 99.0]), pd.DataFrame(), initial_capital=100.0, fees=0.0, exposure=0.0
    )
    assert stats["trades"] == 0
    for key in ("win_rate", "profit_factor", "avg_trade", "best_trade", "worst_trade"):
        assert math.isnan(stats[key]), key
    assert not math.isnan(stats["sharpe"])


def test_constant_equity() -> None:
    stats = compute_stats(
        daily([100.0] * 5), NO_TRADES, initial_capital=100.0, fees=0.0, exposure=0.0
    )
    assert stats["total_return"] == 0.0 and stats["cagr"] == 0.0
    assert stats["volatility"] == 0.0
    for key in ("sharpe", "sortino", "calmar"):
        assert math.isnan(stats[key]), key
    assert stats["max_drawdown"] == 0.0 and stats["max_drawdown_duration"] == 0.0


def test_single_point() -> None:
    stats = compute_stats(daily([105.0]), NO_TRADES, initial_capital=100.0, fees=0.0, exposure=0.0)
    assert stats["final_equity"] == 105.0
    assert stats["total_return"] == pytest.approx(0.05)
    assert stats["duration"] == 0.0
    for key in ("cagr", "volatility", "sharpe", "sortino", "calmar"):
        assert math.isnan(stats[key]), key
    assert stats["max_drawdown"] == 0.0


def test_one_day_of_data_has_no_daily_return_statistics() -> None:
    index = pd.date_range("2024-01-01", periods=24, freq="h", tz="UTC")
    equity = pd.Series(np.linspace(100.0, 110.0, 24), index=index)
    stats = compute_stats(equity, pnl(10.0), initial_capital=100.0, fees=0.0, exposure=1.0)
    for key in ("volatility", "sharpe", "sortino"):
        assert math.isnan(stats[key]), key
    assert stats["total_return"] == pytest.approx(0.1)
    assert stats["profit_factor"] == math.inf  # no losing trade


def test_two_days_give_one_return_which_is_not_enough_for_sharpe() -> None:
    stats = compute_stats(
        daily([100.0, 102.0]), NO_TRADES, initial_capital=100.0, fees=0.0, exposure=0.0
    )
    assert math.isnan(stats["sharpe"]) and math.isnan(stats["volatility"])


def test_empty_equity_does_not_raise() -> None:
    empty = pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=np.float64)
    stats = compute_stats(empty, NO_TRADES, initial_capital=100.0, fees=0.0, exposure=0.0)
    assert stats["final_equity"] == 100.0 and stats["total_return"] == 0.0
    assert math.isnan(stats["max_drawdown"])


def test_naive_index_is_taken_as_utc_and_other_indexes_are_refused() -> None:
    naive = daily([100.0, 110.0]).tz_localize(None)
    stats = compute_stats(naive, NO_TRADES, initial_capital=100.0, fees=0.0, exposure=0.0)
    assert stats["start"] == "2024-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="DatetimeIndex"):
        compute_stats(pd.Series([1.0, 2.0]), NO_TRADES, initial_capital=1.0, fees=0, exposure=0)


def test_stats_json_writes_nan_and_inf_as_null() -> None:
    stats = compute_stats(daily([100.0]), pnl(5.0), initial_capital=100.0, fees=0.25, exposure=0.5)
    assert stats["profit_factor"] == math.inf
    text = stats_to_json(stats)
    loaded = json.loads(text)
    assert "NaN" not in text and "Infinity" not in text
    assert loaded["sharpe"] is None and loaded["profit_factor"] is None
    assert loaded["trades"] == 1 and loaded["fees"] == 0.25 and loaded["final_equity"] == 100.0
    assert list(loaded) == list(STATS_KEYS)


def test_stats_json_converts_numpy_scalars_and_requires_the_core_keys() -> None:
    text = stats_to_json(
        {
            "trades": np.int64(2),
            "final_equity": np.float64(1.5),
            "total_return": np.float64("nan"),
            "sharpe": 1.0,
            "max_drawdown": -0.1,
            "fees": 0.0,
        }
    )
    assert json.loads(text)["trades"] == 2
    with pytest.raises(ValueError, match="sharpe"):
        stats_to_json({"trades": 0, "final_equity": 1.0})
