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
              capital: float = 100_000.0, exact: bool = False) -> tuple[float, int, np.ndarray]:
    """Run the fused loop on bar records; returns (final equity, fills, equity per bar).

    ``exact``: the loop with botkit's numerics (``sma_cross_exact_floor_nb``) instead of plain running sums.
    """
    n = len(records)
    equity = np.empty(n)
    fill_ts = np.empty(n, np.int64)
    fill_side = np.empty(n, np.int8)
    fill_price = np.empty(n)
    loop = sma_cross_exact_floor_nb if exact else sma_cross_floor_nb
    final, fills = loop(records["open"], records["close"], records["ts"], fast, slow, size, capital,
                        equity, fill_ts, fill_side, fill_price)
    return float(final), int(fills), equity


EXACT_TOLERANCE = 1e-12
"""botkit's cross tolerance for its exactly rounded averages (``botkit.strategy.indicators.CROSS_TOLERANCE``)."""


@nb.njit(cache=True, inline="always")
def _two_sum(s, c, x):
    t = s + x
    v = t - s
    return t, c + ((s - (t - v)) + (x - v))


@nb.njit(cache=True, inline="always")
def _replace(s, c, old, x):
    if old <= 2.0 * x and x <= 2.0 * old:
        return _two_sum(s, c, x - old)
    s, c = _two_sum(s, c, -old)
    return _two_sum(s, c, x)


@nb.njit(cache=True, inline="always")
def _crossed_above(prev_a, prev_b, a, b):
    """botkit's cross test: above now, and before not above but comparable (NaN before is no cross)."""
    if not a - b > EXACT_TOLERANCE * max(abs(a), abs(b)):
        return False
    return prev_a - prev_b <= EXACT_TOLERANCE * max(abs(prev_a), abs(prev_b))


@nb.njit(cache=True)
def sma_cross_exact_floor_nb(open_, close, ts, fast, slow, size, capital, equity, fill_ts, fill_side, fill_price):
    """``sma_cross_floor_nb`` with botkit's numerics: exactly rounded averages and a 1e-12 cross tolerance.

    The averages are compensated running sums (TwoSum), re-anchored each time the shared history of
    ``slow + 1`` closes wraps, as botkit's declared SMAs are: the same strategy to the last bit, so
    its final equity equals ``botkit.backtest``'s exactly. Written out here (no botkit import).
    """
    cap = slow + 1
    fs, fc, ss, sc = 0.0, 0.0, 0.0, 0.0
    pos = cap - 1
    prev_f = math.nan
    prev_s = math.nan
    cash = capital
    position = 0.0
    pending = 0.0
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
        pos = pos + 1 if pos + 1 < cap else 0
        fs, fc = _replace(fs, fc, close[i - fast], c) if i >= fast else _two_sum(fs, fc, c)
        ss, sc = _replace(ss, sc, close[i - slow], c) if i >= slow else _two_sum(ss, sc, c)
        if pos == 0:
            total = fs + fc
            v = total - fs
            fs, fc = total, (fs - (total - v)) + (fc - v)
            total = ss + sc
            v = total - ss
            ss, sc = total, (ss - (total - v)) + (sc - v)
        f = (fs + fc) / fast if i + 1 >= fast else math.nan
        s = (ss + sc) / slow if i + 1 >= slow else math.nan
        if position == 0.0 and _crossed_above(prev_f, prev_s, f, s):
            pending = size
        elif position > 0.0 and _crossed_above(prev_s, prev_f, s, f):
            pending = -position
        prev_f = f
        prev_s = s
    return cash + position * close[close.shape[0] - 1], fills
