"""Incremental indicators for Python strategies: O(1) per update, same arithmetic as the compiled steps.

The cross tests are ``register_jitable``: plain Python functions that compiled steps can call too.
"""

from __future__ import annotations

import math
from collections import deque

from numba.extending import register_jitable

CROSS_TOLERANCE = 1e-9
"""Relative gap below which two averages count as equal, so rounding noise never makes a cross."""


@register_jitable
def above(a: float, b: float) -> bool:
    """Whether ``a`` is above ``b`` by more than the relative CROSS_TOLERANCE."""
    return a - b > CROSS_TOLERANCE * max(abs(a), abs(b))


@register_jitable
def crossed_above(prev_a: float, prev_b: float, a: float, b: float) -> bool:
    """``a`` was not above ``b`` and now is (NaN inputs never cross); ``above`` written out for speed."""
    gap = a - b
    if not gap > CROSS_TOLERANCE * max(abs(a), abs(b)):
        return False
    return prev_a - prev_b <= CROSS_TOLERANCE * max(abs(prev_a), abs(prev_b))


@register_jitable
def crossed_below(prev_a: float, prev_b: float, a: float, b: float) -> bool:
    """``a`` was not below ``b`` and now is (NaN inputs never cross)."""
    return crossed_above(prev_b, prev_a, b, a)


class SMA:
    """Simple moving average over the last ``n`` values, kept as a running sum.

    The sum adds the new value first and then drops the oldest, exactly as the compiled steps do,
    so Python and compiled strategies see bit-identical averages.
    """

    __slots__ = ("_full", "_head", "_sum", "_window", "n", "value")

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"SMA window must be >= 1, got {n}")
        self.n = n
        self._window = [0.0] * n
        self._head = 0
        self._full = False
        self._sum = 0.0
        self.value = math.nan

    def update(self, x: float) -> float:
        """Add ``x``; returns the average, NaN until ``n`` values have been seen."""
        head = self._head
        total = self._sum + x
        if self._full:
            total -= self._window[head]
        self._sum = total
        self._window[head] = x
        head += 1
        if head == self.n:
            head = 0
            self._full = True
        self._head = head
        if self._full:
            self.value = total / self.n
        return self.value

    @property
    def ready(self) -> bool:
        """Whether ``n`` values have been seen."""
        return self._full


class RollingWindow:
    """The last ``n`` values, oldest first; for max/min/std over short windows."""

    __slots__ = ("_values", "n")

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"window must be >= 1, got {n}")
        self.n = n
        self._values: deque[float] = deque(maxlen=n)

    def update(self, x: float) -> None:
        """Add ``x``, dropping the oldest value once full."""
        self._values.append(x)

    @property
    def ready(self) -> bool:
        """Whether the window is full."""
        return len(self._values) == self.n

    def values(self) -> list[float]:
        """The values, oldest first."""
        return list(self._values)

    def max(self) -> float:
        """Largest value in the window."""
        return max(self._values)

    def min(self) -> float:
        """Smallest value in the window."""
        return min(self._values)

    def mean_std(self) -> tuple[float, float]:
        """Mean and population standard deviation, summed oldest first (as the compiled steps do)."""
        total = 0.0
        for x in self._values:
            total += x
        mean = total / len(self._values)
        squares = 0.0
        for x in self._values:
            d = x - mean
            squares += d * d
        return mean, math.sqrt(squares / len(self._values))
