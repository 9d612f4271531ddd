"""The report's series, made small enough to draw: min/max per bucket for lines, sums for volume.

A chart is a few thousand pixels wide, so a line of a million points is cut into ``BUCKETS``
buckets of equal point counts and each bucket keeps its lowest and highest point, in time order.
Every spike and crash stays visible at every zoom; nothing between two kept points is invented.
Volume is summed per bucket of equal time. Trades are never downsampled (see report_plots).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

BUCKETS = 4000
"""Buckets a drawn line is cut into; each keeps its min and max, so at most 2 × BUCKETS + 2 points."""

VOLUME_BUCKETS = 2000
"""Equal-time buckets volume is summed into."""

NS_PER_MS = 1_000_000

X_RANGE_NAME = "botkit-time"
"""Name of the charts' shared time range: the trades table's 'zoom to trade' finds it by this name."""


def series_arrays(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A time-indexed series as (int64 ns UTC, float64) arrays without non-finite values."""
    index = series.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"a charted series needs a DatetimeIndex, got {type(index).__name__}")
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    x = index.as_unit("ns").asi8
    y = series.to_numpy(dtype=np.float64)
    keep = np.isfinite(y)
    return (x, y) if keep.all() else (x[keep], y[keep])


def downsample_minmax(x: np.ndarray, y: np.ndarray, buckets: int = BUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``2 * buckets + 2`` points of (x, y): the min and max of equal-count buckets.

    The first and last points are always kept and the result stays in time order. A series
    short enough to draw whole is returned as it is.
    """
    n = len(y)
    if n <= 2 * buckets + 2:
        return x, y
    size = math.ceil(n / buckets)
    rows = math.ceil(n / size)
    padded = np.concatenate([y, np.full(rows * size - n, y[-1])]).reshape(rows, size)
    offsets = np.arange(rows) * size
    picks = np.concatenate([padded.argmin(axis=1) + offsets, padded.argmax(axis=1) + offsets, [0, n - 1]])
    keep = np.unique(picks[picks < n])
    return x[keep], y[keep]


def volume_buckets(
    x: np.ndarray, volume: np.ndarray, buckets: int = VOLUME_BUCKETS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, right, total) of equal-time buckets over ``x`` (int64 ns, sorted); empty buckets dropped.

    The totals add up to ``volume.sum()``: every event's volume lands in exactly one bucket.
    """
    if len(x) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    lo, hi = int(x[0]), int(x[-1])
    count = max(1, min(buckets, len(x)))
    width = max(1, -(-(hi - lo + 1) // count))  # integer ceil: ns spans exceed a float's 53 bits
    ids = (x - lo) // width
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    totals = np.add.reduceat(volume, starts)
    left = lo + ids[starts] * width
    return left, left + width, totals


def drawdown(values: np.ndarray) -> np.ndarray:
    """Equity over its running maximum, minus one (<= 0), at every point."""
    if len(values) == 0:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return values / np.maximum.accumulate(values) - 1.0


def to_ms(ns: np.ndarray) -> np.ndarray:
    """Int64 ns UTC as float64 ms since the epoch: the unit of the charts' datetime axes."""
    return ns.astype(np.float64) / NS_PER_MS
