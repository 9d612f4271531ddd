"""Seeded Bitcoin network fees (sat/vB): a pure function of ``(seed, minute)``.

Fees are a congestion level that drifts from day to day, a daily cycle, and hourly and
per-minute noise. ``GET /v1/fees`` shows the current minute; the hourly history shows the
value at each whole hour, so the two always agree.
"""

from __future__ import annotations

import math

import numpy as np

FEE_PRIORITIES = ("low", "medium", "high")

_STREAM_FEE_DAY = 11
_STREAM_FEE_HOUR = 12
_STREAM_FEE_MINUTE = 13
_MEDIAN_FEE = 12.0


class FeeModel:
    """Low, medium and high fee rates, non-decreasing, at any minute."""

    def __init__(self, seed: int) -> None:
        self._seed = seed

    def fees_at(self, ts_s: int) -> tuple[int, int, int]:
        """Fee rates in sat/vB, lowest first, for the minute containing ``ts_s`` (>= 0)."""
        minute = ts_s // 60
        hour = minute // 60
        day = hour // 24
        congestion = sum(self._normal(_STREAM_FEE_DAY, d) for d in (day, day - 1, day - 2))
        cycle = math.sin(2.0 * math.pi * (hour % 24) / 24.0)
        log_medium = (
            math.log(_MEDIAN_FEE)
            + 0.45 * congestion / math.sqrt(3.0)
            + 0.25 * cycle
            + 0.2 * self._normal(_STREAM_FEE_HOUR, hour)
            + 0.05 * self._normal(_STREAM_FEE_MINUTE, minute)
        )
        medium = max(2, round(math.exp(log_medium)))
        low = max(1, round(medium * 0.55))
        high = max(medium + 1, round(medium * 1.75))
        return low, medium, high

    def _normal(self, stream: int, index: int) -> float:
        rng = np.random.default_rng([self._seed, stream, max(index, 0)])
        return float(rng.standard_normal())
