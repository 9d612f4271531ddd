"""The statistics as botkit computed them before the compiled equity pass: pandas resample and numpy drawdown.

Kept verbatim (only the two functions the pass replaced, and a ``reference_stats`` that uses them
with botkit's other helpers) so the tests can show the new numbers are the old ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from botkit.backtest import stats as botkit_stats
from botkit.core.clock import NS_PER_SECOND, ns_to_iso


def daily_returns(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Simple returns between the last equity values of consecutive UTC days."""
    if len(values) < 2:
        return np.empty(0, dtype=np.float64)
    series = pd.Series(values, index=pd.to_datetime(times, unit="ns", utc=True))
    daily: np.ndarray = series.resample("1D").last().ffill().to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns: np.ndarray = daily[1:] / daily[:-1] - 1.0
    return returns


def drawdown(times: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Maximum drawdown (<= 0) and the longest peak-to-recovery time in seconds."""
    if len(values) == 0:
        return np.nan, np.nan
    peak = np.maximum.accumulate(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = values / peak - 1.0
    max_dd = float(np.nanmin(dd)) if np.isfinite(dd).any() else np.nan
    at_peak = values >= peak
    peak_pos = np.flatnonzero(at_peak)
    if len(peak_pos) == 0:
        return max_dd, np.nan
    spell_start = times[peak_pos]
    spell_end = np.append(times[peak_pos[1:]], times[-1])
    underwater = np.append(np.diff(peak_pos) > 1, peak_pos[-1] < len(values) - 1)
    longest = (spell_end - spell_start)[underwater]
    return max_dd, (float(longest.max()) / NS_PER_SECOND if len(longest) else 0.0)


def reference_stats(times: np.ndarray, values: np.ndarray, pnl: np.ndarray, *, initial_capital: float,
                    fees: float, exposure: float) -> dict[str, float | int | str]:
    """The stats dict as the old ``compute_stats`` built it."""
    s = botkit_stats
    stats: dict[str, float | int | str] = {
        "start": ns_to_iso(int(times[0])) if len(times) else np.nan,
        "end": ns_to_iso(int(times[-1])) if len(times) else np.nan,
        "duration": (int(times[-1]) - int(times[0])) / NS_PER_SECOND if len(times) else np.nan,
        "initial_capital": float(initial_capital),
        "final_equity": float(values[-1]) if len(values) else float(initial_capital),
    }
    final = float(stats["final_equity"])
    stats["total_return"] = s._ratio(final, initial_capital) - 1.0
    cagr = s._cagr(final / initial_capital if initial_capital else np.nan, times)
    stats["cagr"] = cagr
    stats.update(s._return_stats(daily_returns(times, values)))
    max_dd, max_dd_seconds = drawdown(times, values)
    stats["calmar"] = s._ratio(cagr, abs(max_dd))
    stats["max_drawdown"] = max_dd
    stats["max_drawdown_duration"] = max_dd_seconds
    stats.update(s._trade_stats(pnl))
    stats["exposure"] = float(exposure)
    stats["fees"] = float(fees)
    return {key: stats[key] for key in s.STATS_KEYS}
