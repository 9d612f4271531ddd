"""The Monte Carlo kernel: many reorderings or resamplings of one list of round-trip PnLs.

Called only from ``botkit.optimize.robustness``, which documents what the numbers mean. Each run
draws its own random stream, a SplitMix64 sequence (Steele, Lea & Flood, "Fast splittable
pseudorandom number generators", OOPSLA 2014) started from a hash of ``(seed, run)``. A run's
result therefore depends only on the seed and its index: not on the number of threads, not on
how many runs are asked for, and no ``runs × trades`` array is ever built. (NumPy's Generator
cannot be shared by numba's threads reproducibly, and drawing a permutation per run with it is
about ten times slower than this loop.)

A run walks the equity ``capital + cumulative PnL`` once, keeping the running peak (which starts
at the capital) and the smallest ``equity / peak``. Branch-free, the division per trade costs less
than the mispredicted branches of ``backtest._stats_nb``'s one-division-per-peak pass on a random
walk. ``min(e / p) - 1`` equals ``min(e / p - 1)`` exactly: subtracting 1 is monotone.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_ONE = np.uint64(1)
_TWO_POW_M53 = 1.0 / 9007199254740992.0


@nb.njit(cache=True, nogil=True, inline="always")
def _mix64_nb(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@nb.njit(cache=True, nogil=True, inline="always")
def _below_nb(z: np.uint64, bound: int) -> int:
    """An index in ``[0, bound)`` from 53 random bits (bias below ``bound / 2**53``)."""
    j = int(float(z >> _S11) * _TWO_POW_M53 * bound)
    return bound - 1 if j >= bound else j


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _walk_drawn_nb(pnl: np.ndarray, capital: float, state: np.uint64) -> tuple[float, float]:
    """Final equity and smallest equity / peak of ``len(pnl)`` draws with replacement."""
    n = pnl.shape[0]
    equity = capital
    peak = capital
    lowest = 1.0
    for _ in range(n):
        state += _GOLDEN
        equity += pnl[_below_nb(_mix64_nb(state), n)]
        peak = max(peak, equity)
        lowest = min(lowest, equity / peak)
    return equity, lowest


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _walk_shuffled_nb(order: np.ndarray, capital: float, state: np.uint64) -> tuple[float, float]:
    """The same for a random permutation of ``order`` (shuffled in place, forward Fisher–Yates)."""
    n = order.shape[0]
    equity = capital
    peak = capital
    lowest = 1.0
    for i in range(n):
        state += _GOLDEN
        j = i + _below_nb(_mix64_nb(state), n - i)
        x = order[j]
        order[j] = order[i]
        order[i] = x
        equity += x
        peak = max(peak, equity)
        lowest = min(lowest, equity / peak)
    return equity, lowest


@nb.njit(cache=True, nogil=True, parallel=True)
def resample_runs_nb(
    pnl: np.ndarray,
    capital: float,
    seed: np.uint64,
    replace: bool,
    blocks: int,
    final_equity: np.ndarray,
    max_drawdown: np.ndarray,
) -> None:
    """Fill ``final_equity[r]`` and ``max_drawdown[r]`` for every run ``r``.

    ``replace`` False: run ``r`` walks a uniform random permutation of ``pnl``; True: ``len(pnl)``
    draws from it with replacement. ``blocks`` (at least 1: the thread count) sets how runs are
    dealt to threads, never their results. ``capital`` is positive, so the running peak is too.
    """
    runs = final_equity.shape[0]
    base = _mix64_nb(seed)
    for b in nb.prange(blocks):
        order = np.empty_like(pnl)
        for r in range(b, runs, blocks):
            state = _mix64_nb(base + (np.uint64(r) + _ONE) * _GOLDEN)
            if replace:
                equity, lowest = _walk_drawn_nb(pnl, capital, state)
            else:
                order[:] = pnl
                equity, lowest = _walk_shuffled_nb(order, capital, state)
            final_equity[r] = equity
            max_drawdown[r] = lowest - 1.0
