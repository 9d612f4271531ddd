"""A sweep's statistics: the running figures of its kernel turned into ``botkit.backtest.stats``'s numbers.

Every figure is computed as ``stats_from_arrays`` and ``BacktestResult`` compute it for one run
(same daily values, returns, ratios and conventions), for a whole chunk of combinations at once,
so a sweep's table equals single backtests of the same params (``tests/optimize`` checks it).
Columns besides the single-run stats: ``daily_returns`` (how many), ``skew`` and ``kurtosis`` of
the daily returns (non-excess: normal is 3), what the deflated Sharpe ratio needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from botkit.backtest.benchmark import buy_and_hold_return
from botkit.backtest.stats import CAGR_YEAR_DAYS, DAYS_PER_YEAR, STATS_KEYS, daily_values
from botkit.core.clock import NS_PER_DAY, NS_PER_SECOND

_SPAN_KEYS = ("start", "end", "duration", "initial_capital")  # the same for every combination: in the summary
_AFTER = {"total_return": ("buy_and_hold_return", "excess_return")}  # where BacktestResult puts its additions
STAT_COLUMNS = (
    *(name for key in STATS_KEYS if key not in _SPAN_KEYS for name in (key, *_AFTER.get(key, ()))),
    "events", "rejected_orders", "open_positions", "daily_returns", "skew", "kurtosis",
)
"""The numeric columns of a sweep's table after the parameters, in order."""


@dataclass(frozen=True)
class RunFigures:
    """What a sweep kernel leaves per combination (arrays of one value per combination)."""

    cash: np.ndarray
    fees: np.ndarray
    position: np.ndarray
    last_price: np.ndarray
    max_dd: np.ndarray
    """The running minimum so far, before the last peak's reign is closed."""
    reign_min: np.ndarray
    peak: np.ndarray
    points: np.ndarray
    last_peak: np.ndarray
    last_peak_ts: np.ndarray
    longest: np.ndarray
    any_spell: np.ndarray
    exposed: np.ndarray
    rejects: np.ndarray
    trips: np.ndarray
    """Trade figures: count, wins, gross profit, gross loss (≤ 0), PnL sum, best, worst (columns)."""
    daily: np.ndarray
    """Equity at the end of each UTC day from the first event's day (NaN: no point that day)."""


def sweep_stats(figures: RunFigures, *, capital: float, first_ts: int, last_ts: int, events: int,
                first_mark: float, last_mark: float) -> dict[str, np.ndarray]:
    """The statistics of every combination, one array per ``STAT_COLUMNS`` name.

    ``first_mark``/``last_mark``: the symbol's first and last price, for the buy-and-hold return.
    """
    final = figures.cash + figures.position * figures.last_price
    cagr = _cagr(final / capital if capital else np.full(len(final), np.nan), first_ts, last_ts)
    max_dd = np.minimum(figures.max_dd, figures.reign_min / figures.peak - 1.0)
    longest, any_spell = figures.longest.copy(), figures.any_spell.astype(bool)
    tail = figures.last_peak < figures.points - 1
    spell = last_ts - figures.last_peak_ts
    longer = tail & (~any_spell | (spell > longest))
    longest[longer] = spell[longer]
    any_spell |= tail
    returns = _daily_returns(figures.daily) if events >= 2 else np.empty((len(final), 0))
    hold = buy_and_hold_return(np.array([first_mark]), np.array([last_mark]))
    out: dict[str, np.ndarray] = {
        "final_equity": final,
        "total_return": final / capital - 1.0,
        "buy_and_hold_return": np.full(len(final), hold),
        "cagr": cagr,
    }
    out["excess_return"] = out["total_return"] - hold
    out.update(_return_stats(returns))
    out["calmar"] = ratio(cagr, np.abs(max_dd))
    out["max_drawdown"] = max_dd
    out["max_drawdown_duration"] = np.where(any_spell, longest / NS_PER_SECOND, 0.0)
    out.update(_trade_stats(figures.trips))
    out["exposure"] = figures.exposed / events if events else np.zeros(len(final))
    out["fees"] = figures.fees
    out["events"] = np.full(len(final), events, dtype=np.int64)
    out["rejected_orders"] = figures.rejects.astype(np.int64)
    out["open_positions"] = (figures.position != 0.0).astype(np.int64)
    return {name: out[name] for name in STAT_COLUMNS}


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``stats._ratio`` elementwise: x/0 is ±inf, 0/0 and anything with NaN is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = numerator / denominator
    zero = denominator == 0
    signed = np.where(numerator == 0, np.nan, np.copysign(np.inf, numerator))
    result: np.ndarray = np.where(zero, signed, plain)
    return np.where(np.isnan(numerator) | np.isnan(denominator), np.nan, result)


def _cagr(growth: np.ndarray, first_ts: int, last_ts: int) -> np.ndarray:
    span_days = (last_ts - first_ts) / (86_400 * NS_PER_SECOND)
    if span_days <= 0:
        return np.full(len(growth), np.nan)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        cagr: np.ndarray = np.power(growth, CAGR_YEAR_DAYS / span_days) - 1.0
    return np.where(growth >= 0, cagr, np.nan)


def _daily_returns(daily: np.ndarray) -> np.ndarray:
    """Simple returns between consecutive days, after carrying values over days without points."""
    n_days = daily.shape[1]
    index = np.where(np.isnan(daily), -1, np.arange(n_days))
    np.maximum.accumulate(index, axis=1, out=index)
    rows = np.arange(daily.shape[0])[:, None]
    carried = np.where(index >= 0, daily[rows, np.maximum(index, 0)], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns: np.ndarray = carried[:, 1:] / carried[:, :-1] - 1.0
    return returns


def _return_stats(returns: np.ndarray) -> dict[str, np.ndarray]:
    """Volatility, Sharpe, Sortino (annualised with 365 days) and the moments, as ``stats._return_stats``."""
    m, n = returns.shape
    nan = np.full(m, np.nan)
    if n < 2:
        return {"volatility": nan, "sharpe": nan.copy(), "sortino": nan.copy(), "daily_returns": np.full(m, n),
                "skew": nan.copy(), "kurtosis": nan.copy()}
    scale = math.sqrt(DAYS_PER_YEAR)
    mean = np.mean(returns, axis=1)
    std = np.std(returns, axis=1, ddof=1)
    downside = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2, axis=1))
    centred = returns - mean[:, None]
    m2 = np.mean(centred**2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.mean(centred**3, axis=1) / m2**1.5
        kurtosis = np.mean(centred**4, axis=1) / m2**2
    return {
        "volatility": std * scale,
        "sharpe": ratio(mean, std) * scale,
        "sortino": ratio(mean, downside) * scale,
        "daily_returns": np.full(m, n, dtype=np.int64),
        "skew": skew,
        "kurtosis": kurtosis,
    }


def _trade_stats(trips: np.ndarray) -> dict[str, np.ndarray]:
    count, wins, profit, loss, total, best, worst = (trips[:, j] for j in range(7))
    none = count == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "trades": count.astype(np.int64),
            "win_rate": np.where(none, np.nan, wins / count),
            "profit_factor": np.where(none, np.nan, ratio(profit, np.abs(loss))),
            "avg_trade": np.where(none, np.nan, total / count),
            "best_trade": np.where(none, np.nan, best),
            "worst_trade": np.where(none, np.nan, worst),
        }


def curve_moments(times: np.ndarray, values: np.ndarray) -> dict[str, float]:
    """``daily_returns``, ``skew`` and ``kurtosis`` of one equity curve (a single backtest's), as a sweep gives them."""
    if len(values) < 2:
        return {"daily_returns": 0, "skew": math.nan, "kurtosis": math.nan}
    daily = daily_values(np.asarray(times, dtype=np.int64), np.asarray(values, dtype=np.float64))
    moments = _return_stats(_daily_returns(daily[None, :]))
    return {"daily_returns": int(moments["daily_returns"][0]), "skew": float(moments["skew"][0]),
            "kurtosis": float(moments["kurtosis"][0])}


def day_index(ts: np.ndarray) -> tuple[np.ndarray, int]:
    """Each event's UTC day counted from the first event's day, and the number of days."""
    if len(ts) == 0:
        return np.zeros(0, dtype=np.int64), 0
    first = int(ts[0]) // NS_PER_DAY
    days = ts // NS_PER_DAY - first
    return days.astype(np.int64), int(days[-1]) + 1
