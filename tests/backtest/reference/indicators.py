"""Reference indicators: docs/strategies-fast.md's definitions as plain loops over whole lists.

Each function takes the inputs seen so far and returns the value after the last one (NaN while
the indicator is cold), recomputing from scratch: no running state, so nothing here can drift,
and nothing is shared with botkit's kernels. Sums of windows are ``math.fsum`` (exactly rounded);
the recursive ones (EMA, Wilder's RSI and ATR) are written as the recursion, from the first value.
"""

from __future__ import annotations

import itertools
import math

NAN = math.nan


def sma(xs: list[float], n: int) -> float:
    """Mean of the last ``n`` values: their exactly rounded sum divided by ``n``."""
    if len(xs) < n:
        return NAN
    return math.fsum(xs[-n:]) / n


def std(xs: list[float], n: int) -> float:
    """Population standard deviation of the last ``n`` values around their exact mean, oldest first."""
    if len(xs) < n:
        return NAN
    mean = sma(xs, n)
    total = 0.0
    for x in xs[-n:]:
        total += (x - mean) * (x - mean)
    return math.sqrt(total / n)


def bollinger(xs: list[float], n: int, k: float) -> tuple[float, float, float]:
    """(mid, upper, lower): the SMA and ``k`` standard deviations above and below it."""
    mid, sd = sma(xs, n), std(xs, n)
    return mid, mid + k * sd, mid - k * sd


def highest(xs: list[float], n: int) -> float:
    """Largest of the last ``n`` values."""
    return max(xs[-n:]) if len(xs) >= n else NAN


def lowest(xs: list[float], n: int) -> float:
    """Smallest of the last ``n`` values."""
    return min(xs[-n:]) if len(xs) >= n else NAN


def lag(xs: list[float], n: int) -> float:
    """The value ``n`` steps before the last one."""
    return xs[-1 - n] if len(xs) > n else NAN


def ema(xs: list[float], n: int) -> float:
    """EMA with α = 2 / (n + 1), seeded with the mean of the first ``n`` values."""
    if len(xs) < n:
        return NAN
    value = math.fsum(xs[:n]) / n
    for x in xs[n:]:
        value = value + 2.0 / (n + 1.0) * (x - value)
    return value


def _wilder(values: list[float], n: int) -> float:
    """Wilder's average: the mean of the first ``n`` values, then (a·(n−1) + x) / n."""
    if len(values) < n:
        return NAN
    average = math.fsum(values[:n]) / n
    for x in values[n:]:
        average = (average * (n - 1.0) + x) / n
    return average


def rsi(xs: list[float], n: int) -> float:
    """Wilder's RSI over ``n`` changes; 100 with only gains, 50 with no change at all."""
    changes = [b - a for a, b in itertools.pairwise(xs)]
    if len(changes) < n:
        return NAN
    gain = _wilder([c if c > 0.0 else 0.0 for c in changes], n)
    loss = _wilder([-c if c < 0.0 else 0.0 for c in changes], n)
    if loss == 0.0:
        return 100.0 if gain > 0.0 else 50.0
    return 100.0 - 100.0 / (1.0 + gain / loss)


def true_ranges(highs: list[float], lows: list[float], closes: list[float]) -> list[float]:
    """Each bar's true range; the first is high − low."""
    out = []
    for i, (h, lo) in enumerate(zip(highs, lows, strict=True)):
        if i == 0:
            out.append(h - lo)
        else:
            prev = closes[i - 1]
            out.append(max(h - lo, max(abs(h - prev), abs(lo - prev))))
    return out


def atr(highs: list[float], lows: list[float], closes: list[float], n: int) -> float:
    """Wilder's average true range over ``n`` bars."""
    return _wilder(true_ranges(highs, lows, closes), n)
