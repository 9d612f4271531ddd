"""The floor: SMA 10/50 hand-fused into one numba loop, the baseline every backtest row is a ratio to.

Same conventions as botkit's compiled backtest in the benchmarks' setting (one symbol, long-only,
fixed size, market orders filled at the next bar's open, no fees or slippage, equity = cash +
position x close written for every bar, every fill recorded): the averages are the same running
sums (add the new close, then drop the oldest) and crosses use the same cross test as botkit's (written
out here: the floor process imports no botkit), so the final equity must be bit-identical to
``botkit.backtest``'s. Nothing here is generic: the state
lives in registers, there is no order book, no risk check, no step protocol.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

CROSS_TOLERANCE = 1e-9


@nb.njit(cache=True, inline="always")
def crossed_above(prev_a, prev_b, a, b):
    """``a`` was not above ``b`` and now is, by more than the relative tolerance (botkit's cross test)."""
    if not a - b > CROSS_TOLERANCE * max(abs(a), abs(b)):
        return False
    return prev_a - prev_b <= CROSS_TOLERANCE * max(abs(prev_a), abs(prev_b))


@nb.njit(cache=True, inline="always")
def crossed_below(prev_a, prev_b, a, b):
    """``a`` was not below ``b`` and now is."""
    return crossed_above(prev_b, prev_a, b, a)


@nb.njit(cache=True)
def sma_cross_floor_nb(open_, close, ts, fast, slow, size, capital, equity, fill_ts, fill_side, fill_price):
    """Replay bars through SMA ``fast``/``slow``; returns (final equity, number of fills).

    ``equity`` receives one value per bar; ``fill_*`` one row per fill (sized for the worst case).
    """
    ring = np.zeros(slow)
    head = 0
    fast_sum = 0.0
    slow_sum = 0.0
    prev_f = math.nan
    prev_s = math.nan
    cash = capital
    position = 0.0
    pending = 0.0  # signed quantity of the market order placed on the previous bar
    fills = 0
    for i in range(close.shape[0]):
        if pending != 0.0:
            price = open_[i]
            cash -= pending * price
            position += pending
            fill_ts[fills] = ts[i]
            fill_side[fills] = 1 if pending > 0.0 else -1
            fill_price[fills] = price
            fills += 1
            pending = 0.0
        c = close[i]
        equity[i] = cash + position * c
        fast_sum += c
        if i >= fast:
            oldest = head + slow - fast
            if oldest >= slow:
                oldest -= slow
            fast_sum -= ring[oldest]
        slow_sum += c
        if i >= slow:
            slow_sum -= ring[head]
        ring[head] = c
        head = head + 1 if head + 1 < slow else 0
        f = fast_sum / fast
        s = slow_sum / slow
        if i >= slow:
            if position == 0.0 and crossed_above(prev_f, prev_s, f, s):
                pending = size
            elif position > 0.0 and crossed_below(prev_f, prev_s, f, s):
                pending = -position
        prev_f = f
        prev_s = s
    return cash + position * close[close.shape[0] - 1], fills


def run_floor(records: np.ndarray, fast: int = 10, slow: int = 50, size: float = 1.0,
              capital: float = 100_000.0) -> tuple[float, int, np.ndarray]:
    """Run the fused loop on bar records; returns (final equity, fills, equity per bar)."""
    n = len(records)
    equity = np.empty(n)
    fill_ts = np.empty(n, np.int64)
    fill_side = np.empty(n, np.int8)
    fill_price = np.empty(n)
    final, fills = sma_cross_floor_nb(records["open"], records["close"], records["ts"], fast, slow, size, capital,
                                      equity, fill_ts, fill_side, fill_price)
    return float(final), int(fills), equity
