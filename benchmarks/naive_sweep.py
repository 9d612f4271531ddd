"""The naive sweep: the hand-fused floor loop once per combination, combinations spread over the cores.

The baseline of the sweep benchmark (``bench_sweep.py``): what a user gets by writing the SMA
crossover as one numba loop (``floor.sma_cross_floor_nb``) and running it for every combination in
an ``nb.prange``. Each combination is a standalone backtest: it allocates its own equity curve and
fill buffers (one row per bar, the floor's worst case) and shares nothing (each computes its own
averages). Same conventions as botkit's compiled backtest: next-open market fills, no fees.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from benchmarks.floor import sma_cross_floor_nb


@nb.njit(cache=True, parallel=True)
def naive_sweep_nb(open_, close, ts, fasts, slows, size, capital, finals, fills):
    """Run the floor loop for every (``fasts[q]``, ``slows[q]``); ``finals``/``fills`` receive its results."""
    n = close.shape[0]
    for q in nb.prange(fasts.shape[0]):
        equity = np.empty(n)
        fill_ts = np.empty(n, np.int64)
        fill_side = np.empty(n, np.int8)
        fill_price = np.empty(n)
        final, count = sma_cross_floor_nb(open_, close, ts, fasts[q], slows[q], size, capital, equity, fill_ts,
                                          fill_side, fill_price)
        finals[q] = final
        fills[q] = count


def naive_sweep(records: np.ndarray, combos: list[tuple[int, int]], size: float = 1.0,
                capital: float = 100_000.0) -> tuple[np.ndarray, np.ndarray]:
    """(final equity, fills) of every (fast, slow) in ``combos`` on bar ``records``, one floor loop each."""
    fasts = np.array([f for f, _ in combos], dtype=np.int64)
    slows = np.array([s for _, s in combos], dtype=np.int64)
    finals = np.empty(len(combos))
    fills = np.empty(len(combos), np.int64)
    naive_sweep_nb(np.ascontiguousarray(records["open"]), np.ascontiguousarray(records["close"]),
                   np.ascontiguousarray(records["ts"]), fasts, slows, size, capital, finals, fills)
    return finals, fills
