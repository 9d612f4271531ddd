"""The statistics kernel: the drawdown of an equity curve, in one pass over it.

Called only from ``botkit.backtest.stats``, which documents what the numbers mean (and finds the
daily values with one binary search per UTC day). It replaces the vectorised drawdown with running
values and gives the same numbers bit for bit:

- the running peak is ``np.maximum.accumulate`` (a NaN point makes it NaN from there on); a point's
  drawdown is ``value / peak - 1``; the maximum drawdown is the smallest non-NaN one, NaN when none
  is finite. While the peak is positive and finite, division by it is monotone, so the smallest
  drawdown of the peak's reign is that of its smallest value: one division per peak, not per point;
- a point is at a peak when ``value >= peak``; an underwater spell runs from one peak point to the
  next with points between them, or from the last peak point to the end of the data.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, error_model="numpy")
def drawdown_nb(times, values) -> tuple[float, int, bool, bool]:  # noqa: ANN001 - numba signature
    """``(max drawdown, longest underwater spell in ns, peak seen, any spell)`` of a curve.

    ``times`` are int64 ns, ascending, one per value; both have at least one element. No arrays
    are made here, so nothing but this function is compiled.
    """
    done, max_dd, longest, any_spell = _drawdown_finite_nb(times, values)
    if done:
        return max_dd, longest, True, any_spell
    return _drawdown_any_nb(times, values)


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _drawdown_finite_nb(times, values) -> tuple[bool, float, int, bool]:  # noqa: ANN001 - numba signature
    """The drawdown of a curve whose values are finite with a positive first value; ``done`` False otherwise.

    The common case, at memory speed: a point below the peak only lowers the reign's minimum.
    """
    n = values.shape[0]
    peak = values[0]
    if not (peak > 0.0 and peak < np.inf):
        return False, np.nan, 0, False
    reign_min = peak
    max_dd = 0.0
    last_peak = 0
    longest = 0
    any_spell = False
    for i in range(1, n):
        v = values[i]
        if v < peak:
            if v < reign_min:
                reign_min = v
            continue
        if not (v < np.inf):  # NaN or inf: the general pass judges the curve
            return False, np.nan, 0, False
        if v > peak:
            max_dd = min(max_dd, reign_min / peak - 1.0)
            peak = v
            reign_min = v
        if i - last_peak > 1:
            spell = times[i] - times[last_peak]
            longest = spell if not any_spell or spell > longest else longest
            any_spell = True
        last_peak = i
    if not (reign_min > -np.inf):
        return False, np.nan, 0, False
    max_dd = min(max_dd, reign_min / peak - 1.0)
    if last_peak < n - 1:
        spell = times[n - 1] - times[last_peak]
        longest = spell if not any_spell or spell > longest else longest
        any_spell = True
    return True, max_dd, longest, any_spell


@nb.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _drawdown_any_nb(times, values) -> tuple[float, int, bool, bool]:  # noqa: ANN001 - numba signature
    """The drawdown of any curve, NaN, infinite and non-positive values included (point by point where needed)."""
    n = values.shape[0]
    peak = values[0]
    reign_min = values[0]  # smallest value since the peak was set (while the peak is positive and finite)
    max_dd = np.inf
    finite = False
    last_peak = -1
    longest = 0
    any_spell = False
    for i in range(n):
        t = times[i]
        v = values[i]
        if v >= peak or math.isnan(v):  # as np.maximum: an equal value replaces the peak (-0.0 and 0.0)
            if peak > 0.0 and peak < np.inf:  # close the reign of the previous peak
                max_dd = min(max_dd, reign_min / peak - 1.0)
                finite = True
            peak = v if not math.isnan(peak) else peak
            reign_min = v
        elif v < reign_min:
            reign_min = v
        if not (peak > 0.0 and peak < np.inf):  # the general case, point by point
            dd = v / peak - 1.0
            if not math.isnan(dd):
                max_dd = min(max_dd, dd)
                if dd > -np.inf and dd < np.inf:
                    finite = True
        if v >= peak:
            if last_peak >= 0 and i - last_peak > 1:
                spell = t - times[last_peak]
                longest = spell if not any_spell or spell > longest else longest
                any_spell = True
            last_peak = i
    if peak > 0.0 and peak < np.inf:
        max_dd = min(max_dd, reign_min / peak - 1.0)
        finite = True
    if last_peak >= 0 and last_peak < n - 1:
        spell = times[n - 1] - times[last_peak]
        longest = spell if not any_spell or spell > longest else longest
        any_spell = True
    return (max_dd if finite else np.nan), longest, last_peak >= 0, any_spell
