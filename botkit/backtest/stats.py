"""Summary statistics of a backtest, exactly as ``docs/backtesting.md`` defines them.

Choices the doc leaves open, made here once:

- Daily equity is the last equity point of each UTC day; a day without points repeats the previous
  day's value (equity does not move without events). Daily returns are the simple returns between
  consecutive daily values; the initial capital is not a daily value.
- ``volatility``, ``sharpe`` and ``sortino`` need at least two daily returns.
- A ratio whose denominator is zero is ``±inf`` when its numerator is not zero and ``nan`` when it
  is (``profit_factor`` without losing trades, ``sortino`` without down days, ``calmar`` without
  drawdown). ``stats.json`` writes ``nan`` and ``±inf`` as ``null``.
- ``start`` and ``end`` are ISO-8601 UTC text (``2024-01-02T00:00:00Z``); ``duration`` (end - start)
  and ``max_drawdown_duration`` are float **seconds**.
- The drawdown's running maximum starts at the first equity point (not at the initial capital).
- ``best_trade``, ``worst_trade`` and ``avg_trade`` are round-trip PnL in quote currency.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from botkit.backtest._stats_nb import drawdown_nb
from botkit.core.clock import NS_PER_DAY, NS_PER_SECOND, ns_to_iso

if TYPE_CHECKING:  # pandas is imported only when a caller hands in pandas objects (start-up time)
    import pandas as pd

DAYS_PER_YEAR = 365
"""Trading days per year for annualising daily statistics (crypto trades every day)."""

CAGR_YEAR_DAYS = 365.25
"""Length of a year, in days, that CAGR compounds over."""

STATS_KEYS = (
    "start",
    "end",
    "duration",
    "initial_capital",
    "final_equity",
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_duration",
    "trades",
    "win_rate",
    "profit_factor",
    "avg_trade",
    "best_trade",
    "worst_trade",
    "exposure",
    "fees",
)
"""The keys of :func:`compute_stats`'s result, in order."""

REQUIRED_JSON_KEYS = ("trades", "final_equity", "total_return", "sharpe", "max_drawdown", "fees")
"""Keys that every ``stats.json`` holds."""

Stats = dict[str, float | int | str]

_NAN = float("nan")


def compute_stats(
    equity: pd.Series,
    trades: pd.DataFrame,
    *,
    initial_capital: float,
    fees: float,
    exposure: float,
) -> Stats:
    """The summary statistics of a backtest run, keyed as in ``STATS_KEYS``.

    ``equity`` is one point per event with a UTC ``DatetimeIndex`` (naive times are taken as
    UTC), ``trades`` the closed round trips (only its ``pnl`` column is used), ``fees`` the total
    fees of all fills and ``exposure`` the fraction of equity points with a position; the caller
    knows both. Undefined statistics are ``nan``; this never raises on empty trades, constant
    equity or a single point.
    """
    times, values = _equity_arrays(equity)
    return stats_from_arrays(times, values, _trade_pnl(trades), initial_capital=initial_capital, fees=fees,
                             exposure=exposure)


def stats_from_arrays(
    times: np.ndarray,
    values: np.ndarray,
    pnl: np.ndarray,
    *,
    initial_capital: float,
    fees: float,
    exposure: float,
) -> Stats:
    """``compute_stats`` on arrays: equity ``times`` (int64 ns UTC, ascending), ``values`` and trade ``pnl``.

    What ``botkit.backtest()`` calls: no pandas, one compiled pass over the equity curve.
    """
    curve = _equity_pass(times, values)
    stats: Stats = {
        "start": ns_to_iso(int(times[0])) if len(times) else _NAN,
        "end": ns_to_iso(int(times[-1])) if len(times) else _NAN,
        "duration": (int(times[-1]) - int(times[0])) / NS_PER_SECOND if len(times) else _NAN,
        "initial_capital": float(initial_capital),
        "final_equity": float(values[-1]) if len(values) else float(initial_capital),
    }
    final = float(stats["final_equity"])
    stats["total_return"] = _ratio(final, initial_capital) - 1.0
    cagr = _cagr(final / initial_capital if initial_capital else _NAN, times)
    stats["cagr"] = cagr
    stats.update(_return_stats(_daily_returns(curve.daily) if len(values) >= 2 else np.empty(0)))
    stats["calmar"] = _ratio(cagr, abs(curve.max_drawdown))
    stats["max_drawdown"] = curve.max_drawdown
    stats["max_drawdown_duration"] = curve.max_drawdown_seconds
    stats.update(_trade_stats(pnl))
    stats["exposure"] = float(exposure)
    stats["fees"] = float(fees)
    return {key: stats[key] for key in STATS_KEYS}


class _Curve(NamedTuple):
    """What the equity pass gives: the daily values and the drawdown figures."""

    daily: np.ndarray
    max_drawdown: float
    max_drawdown_seconds: float


def _equity_pass(times: np.ndarray, values: np.ndarray) -> _Curve:
    """Daily values (last of each UTC day, carried over empty days) and the drawdown (one compiled pass).

    The drawdown's maximum is <= 0; its duration is the longest peak-to-recovery time in seconds.
    """
    if len(values) == 0:
        return _Curve(np.empty(0, dtype=np.float64), _NAN, _NAN)
    if len(times) != len(values):
        raise ValueError(f"equity needs one time per value, got {len(times)} times for {len(values)} values")
    values = np.asarray(values, dtype=np.float64)
    times = np.asarray(times, dtype=np.int64)
    max_dd, longest_ns, has_peak, has_spell = drawdown_nb(times, values)
    seconds = float(longest_ns) / NS_PER_SECOND if has_spell else 0.0
    if not has_peak:
        seconds = _NAN
    return _Curve(daily_values(times, values), float(max_dd), seconds)


def daily_values(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The last non-NaN value of each UTC day from the first point's day to the last's, carried forward.

    Equal to pandas' ``resample("1D").last().ffill()``, with one binary search per day.
    """
    first_day = int(times[0]) // NS_PER_DAY
    n_days = int(times[-1]) // NS_PER_DAY - first_day + 1
    ends = (first_day + 1 + np.arange(n_days, dtype=np.int64)) * NS_PER_DAY
    hi = np.searchsorted(times, ends)  # each day's end: the first point of a later day
    lo = np.concatenate(([0], hi[:-1]))
    has_points = hi > lo
    daily = np.full(n_days, np.nan)
    daily[has_points] = values[hi[has_points] - 1]
    for day in np.flatnonzero(has_points & np.isnan(daily)):  # the day's last point is NaN (rare)
        numbers = np.flatnonzero(~np.isnan(values[lo[day] : hi[day]]))
        if len(numbers):
            daily[day] = values[lo[day] + numbers[-1]]
    filled = np.where(np.isnan(daily), -1, np.arange(n_days))
    np.maximum.accumulate(filled, out=filled)  # index of the last day with a value, for each day
    carried: np.ndarray = np.where(filled >= 0, daily[np.maximum(filled, 0)], np.nan)
    return carried


def stats_to_json(stats: Mapping[str, float | int | str]) -> str:
    """``stats`` as the text of ``stats.json``: ``nan`` and ``±inf`` become ``null``.

    Raises ValueError when one of ``REQUIRED_JSON_KEYS`` is missing.
    """
    missing = [key for key in REQUIRED_JSON_KEYS if key not in stats]
    if missing:
        raise ValueError(f"stats lack {missing}; stats.json must hold {list(REQUIRED_JSON_KEYS)}")
    return json.dumps({key: _json_value(value) for key, value in stats.items()}, indent=2) + "\n"


def _json_value(value: object) -> object:
    """A JSON-ready scalar: numpy numbers become Python ones, non-finite floats become None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _equity_arrays(equity: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Equity times as int64 ns UTC and values as float64, after checking the index."""
    import pandas as pd  # lazy: only the pandas form of compute_stats needs it

    index = equity.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"equity needs a DatetimeIndex (UTC), got {type(index).__name__}")
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.as_unit("ns").asi8, equity.to_numpy(dtype=np.float64)


def _trade_pnl(trades: pd.DataFrame) -> np.ndarray:
    """The round trips' PnL as float64; an empty frame may lack the column."""
    if len(trades) == 0:
        return np.empty(0, dtype=np.float64)
    if "pnl" not in trades.columns:
        raise ValueError("trades needs a 'pnl' column (one row per closed round trip)")
    pnl: np.ndarray = trades["pnl"].to_numpy(dtype=np.float64)
    return pnl


def _ratio(numerator: float, denominator: float) -> float:
    """Divide numerator by denominator (>= 0 here), with x/0 = ±inf and 0/0 = nan."""
    if math.isnan(numerator) or math.isnan(denominator):
        return _NAN
    if denominator == 0:
        return _NAN if numerator == 0 else math.copysign(math.inf, numerator)
    return numerator / denominator


def _cagr(growth: float, times: np.ndarray) -> float:
    """(final / initial) ** (365.25 days / span) - 1; nan without a span or for negative growth."""
    if len(times) < 2 or not growth >= 0:
        return _NAN
    span_days = (int(times[-1]) - int(times[0])) / (86_400 * NS_PER_SECOND)
    if span_days <= 0:
        return _NAN
    with np.errstate(over="ignore", divide="ignore"):
        return float(np.power(np.float64(growth), CAGR_YEAR_DAYS / span_days)) - 1.0


def _daily_returns(daily: np.ndarray) -> np.ndarray:
    """Simple returns between the daily values of consecutive UTC days."""
    with np.errstate(divide="ignore", invalid="ignore"):
        returns: np.ndarray = daily[1:] / daily[:-1] - 1.0
    return returns


def _return_stats(returns: np.ndarray) -> dict[str, float]:
    """Volatility, Sharpe and Sortino of daily returns, annualised with 365 days."""
    if len(returns) < 2:
        return {"volatility": _NAN, "sharpe": _NAN, "sortino": _NAN}
    scale = math.sqrt(DAYS_PER_YEAR)
    mean = float(np.mean(returns))
    std = float(np.std(returns, ddof=1))
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    return {
        "volatility": std * scale,
        "sharpe": _ratio(mean, std) * scale,
        "sortino": _ratio(mean, downside) * scale,
    }


def _trade_stats(pnl: np.ndarray) -> dict[str, float | int]:
    """Count, win rate, profit factor and mean/best/worst PnL of closed round trips."""
    if len(pnl) == 0:
        return {
            "trades": 0,
            "win_rate": _NAN,
            "profit_factor": _NAN,
            "avg_trade": _NAN,
            "best_trade": _NAN,
            "worst_trade": _NAN,
        }
    gross_profit = float(pnl[pnl > 0].sum())
    gross_loss = abs(float(pnl[pnl < 0].sum()))
    return {
        "trades": len(pnl),
        "win_rate": float(np.mean(pnl > 0)),
        "profit_factor": _ratio(gross_profit, gross_loss),
        "avg_trade": float(np.mean(pnl)),
        "best_trade": float(np.max(pnl)),
        "worst_trade": float(np.min(pnl)),
    }
