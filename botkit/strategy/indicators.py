"""Declared indicators: what a strategy computes, named once, updated by botkit in every mode.

A strategy declares ``indicators = {"fast": SMA("close", "fast"), ...}``: each entry names a kind,
the event input it reads and its window, a number or the name of a params field. botkit owns the
state, updates it before the strategy decides (in the compiled step's kernel, through the live
step adapter, before Python hooks) with one implementation (``_indicators_nb.py``), and hands the
strategy one ``Reading`` per output: the value after this event, the value before it, and whether
it is warm. The numerics are in docs/strategies-fast.md; in short, nothing drifts and an SMA is the
correctly rounded mean of its window (``math.fsum(window) / n``), so crosses are judged with a
tolerance of one part in 1e12 (``CROSS_TOLERANCE``), far below any real gap and far above rounding.

Where they live in a state row, and how a sweep computes each distinct one once for a grid, is
``botkit.strategy.indicator_layout``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from numba import types
from numba.extending import overload, register_jitable

from botkit.strategy import _indicators_nb as nbi

CROSS_TOLERANCE = 1e-12
"""Relative gap below which two values count as equal, so rounding noise never makes a cross.

Exact averages differ from the real mean by at most one rounding (about 1.1e-16 relative): equal
averages stay within a few 1e-16 of each other, real crosses on prices are far wider than 1e-12.
"""


class Reading(NamedTuple):
    """One indicator output: its value after this event, its value before it, and whether it is warm.

    ``value`` and ``prev`` are NaN until the indicator has seen enough events (``ready`` False).
    """

    value: float
    prev: float
    ready: bool


class Bands(NamedTuple):
    """Bollinger bands: the mean of the window and ``k`` standard deviations above and below it."""

    mid: Reading
    upper: Reading
    lower: Reading


class Channel(NamedTuple):
    """A Donchian channel: the highest high and the lowest low of the window (this event included)."""

    upper: Reading
    lower: Reading


SOURCES = {"open": nbi.OPEN, "high": nbi.HIGH, "low": nbi.LOW, "close": nbi.CLOSE, "price": nbi.CLOSE,
           "volume": nbi.VOLUME}
"""Inputs an indicator reads. ``price`` is ``close``: a bar's close, a trade's price, a quote's mid.

On trades and quotes every price input is that price; ``volume`` is a trade's size (NaN on quotes).
"""


@dataclass(frozen=True)
class IndicatorKey:
    """One distinct indicator with its parameters resolved: what a sweep computes once for a grid."""

    kind: str
    source: str
    window: int
    k: float = 0.0

    @property
    def outputs(self) -> int:
        """How many values it produces (Bollinger 3, Donchian 2, the others 1)."""
        return len(OUTPUT_TYPES[self.kind]._fields) if self.kind in OUTPUT_TYPES else 1



class Indicator:
    """Base of the declarations: subclasses name a kind, its input and its window."""

    kind: ClassVar[str]
    output: ClassVar[type] = Reading
    source: str
    window: int | str

    def fields(self) -> tuple[str, ...]:
        """The params fields this declaration reads (for validation when the strategy class is made)."""
        return tuple(v for v in (self.window, getattr(self, "k", None)) if isinstance(v, str))

    def resolve(self, params: Any, name: str) -> IndicatorKey:
        """The key for ``params``: windows and ``k`` read from the params fields they name."""
        window = _param(params, self.window, name, "window")
        if isinstance(window, bool) or not isinstance(window, int | float) or window != int(window) or window < 1:
            raise ValueError(f"indicator {name!r} ({self.kind}) window {_named(self.window)} must be an integer "
                             f">= 1, got {window!r}")
        k = getattr(self, "k", 0.0)
        k_value = float(_param(params, k, name, "k")) if k is not None else 0.0
        if not math.isfinite(k_value):
            raise ValueError(f"indicator {name!r} ({self.kind}) k {_named(k)} must be finite, got {k_value!r}")
        return IndicatorKey(self.kind, self.source, int(window), k_value)


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"indicator source must be one of {sorted(SOURCES)}, got {source!r}")


@dataclass(frozen=True)
class _Windowed(Indicator):
    source: str
    window: int | str

    def __post_init__(self) -> None:
        _check_source(self.source)


class SMA(_Windowed):
    """Simple moving average of ``source`` over ``window`` events: the correctly rounded mean."""

    kind = "sma"


class EMA(_Windowed):
    """Exponential moving average, α = 2 / (window + 1), seeded with the SMA of the first ``window`` values."""

    kind = "ema"


class STD(_Windowed):
    """Population standard deviation (ddof 0) of ``source`` over ``window`` events, around the exact mean."""

    kind = "std"


class Highest(_Windowed):
    """Highest ``source`` of the last ``window`` events, this one included."""

    kind = "highest"


class Lowest(_Windowed):
    """Lowest ``source`` of the last ``window`` events, this one included."""

    kind = "lowest"


class RSI(_Windowed):
    """Wilder's relative strength index (0..100) of ``source`` over ``window`` changes.

    Seeded with the mean gain and loss of the first ``window`` changes, then Wilder's smoothing;
    100 when there were only gains, 50 when there was no change at all.
    """

    kind = "rsi"


class Lag(_Windowed):
    """``source`` as it was ``window`` events ago."""

    kind = "lag"


@dataclass(frozen=True)
class Bollinger(Indicator):
    """Bollinger bands (``Bands``): SMA of ``source`` over ``window`` ± ``k`` population standard deviations."""

    source: str
    window: int | str
    k: float | str = 2.0
    kind: ClassVar[str] = "bollinger"
    output: ClassVar[type] = Bands

    def __post_init__(self) -> None:
        _check_source(self.source)


@dataclass(frozen=True)
class Donchian(Indicator):
    """Donchian channel (``Channel``): highest high and lowest low of the last ``window`` bars."""

    window: int | str
    kind: ClassVar[str] = "donchian"
    output: ClassVar[type] = Channel
    source: ClassVar[str] = "high,low"


@dataclass(frozen=True)
class ATR(Indicator):
    """Wilder's average true range over ``window`` bars (the first bar's true range is high − low)."""

    window: int | str
    kind: ClassVar[str] = "atr"
    source: ClassVar[str] = "high,low,close"


CODES = {"sma": nbi.SMA, "ema": nbi.EMA, "std": nbi.STD, "bollinger": nbi.BOLLINGER, "highest": nbi.HIGHEST,
          "lowest": nbi.LOWEST, "donchian": nbi.DONCHIAN, "rsi": nbi.RSI, "atr": nbi.ATR, "lag": nbi.LAG}


OUTPUT_TYPES: dict[str, type] = {"bollinger": Bands, "donchian": Channel}
"""The readings of the indicators with more than one output (the others give one ``Reading``)."""


def _named(value: Any) -> str:
    return f"params.{value}" if isinstance(value, str) else repr(value)


def _param(params: Any, value: Any, name: str, what: str) -> Any:
    if not isinstance(value, str):
        return value
    if not hasattr(params, value):
        raise ValueError(f"indicator {name!r} {what} names params.{value}, which {type(params).__name__} does not have")
    return getattr(params, value)


def declared_of(strategy: Any) -> Mapping[str, Indicator]:
    """The indicators a strategy class declares (its ``indicators`` mapping, empty if none)."""
    declared = getattr(strategy, "indicators", None)
    return declared if isinstance(declared, Mapping) else {}


# --- cross tests: plain functions numba steps can call too ---------------------------------------


@register_jitable
def above(a: float, b: float) -> bool:
    """Whether ``a`` is above ``b`` by more than the relative CROSS_TOLERANCE."""
    return a - b > CROSS_TOLERANCE * max(abs(a), abs(b))


@register_jitable
def _crossed_above(prev_a: float, prev_b: float, a: float, b: float) -> bool:
    """``a`` was not above ``b`` and now is; NaN anywhere is no cross (``above`` written out for speed)."""
    gap = a - b
    if not gap > 0.0:  # the common case, decided before the tolerance (which is never negative)
        return False
    if not gap > CROSS_TOLERANCE * max(abs(a), abs(b)):
        return False
    return prev_a - prev_b <= CROSS_TOLERANCE * max(abs(prev_a), abs(prev_b))


def _prev_and_value(x: Any) -> tuple[float, float]:
    return (x.prev, x.value) if isinstance(x, Reading) else (float(x), float(x))


def crossed_above(a: Any, b: Any, value_a: float | None = None, value_b: float | None = None) -> bool:
    """``a`` crossed above ``b`` on this event: it was not above before and is now.

    ``crossed_above(fast, slow)`` takes two Readings (or a Reading and a number, a level that does
    not move); ``crossed_above(prev_a, prev_b, a, b)`` takes the four numbers. Compiled steps call it too.
    """
    if type(a) is Reading and type(b) is Reading and value_a is None:  # the hot case, written out
        now_a, now_b = a[0], b[0]
        gap = now_a - now_b
        if not gap > 0.0 or not gap > CROSS_TOLERANCE * max(abs(now_a), abs(now_b)):
            return False
        prev_a, prev_b = a[1], b[1]
        return prev_a - prev_b <= CROSS_TOLERANCE * max(abs(prev_a), abs(prev_b))
    if value_a is not None and value_b is not None:
        return _crossed_above(a, b, value_a, value_b)
    prev_a, now_a = _prev_and_value(a)
    prev_b, now_b = _prev_and_value(b)
    return _crossed_above(prev_a, prev_b, now_a, now_b)


def crossed_below(a: Any, b: Any, value_a: float | None = None, value_b: float | None = None) -> bool:
    """``a`` crossed below ``b`` on this event (the arguments of ``crossed_above``)."""
    if type(a) is Reading and type(b) is Reading and value_a is None:  # the hot case, written out
        now_a, now_b = a[0], b[0]
        gap = now_b - now_a
        if not gap > 0.0 or not gap > CROSS_TOLERANCE * max(abs(now_a), abs(now_b)):
            return False
        prev_a, prev_b = a[1], b[1]
        return prev_b - prev_a <= CROSS_TOLERANCE * max(abs(prev_a), abs(prev_b))
    if value_a is not None and value_b is not None:
        return _crossed_above(b, a, value_b, value_a)
    return crossed_above(b, a)


def _is_reading(t: Any) -> bool:
    return isinstance(t, types.BaseNamedTuple) and getattr(t, "instance_class", None) is Reading


def _omitted(t: Any) -> bool:
    return t is None or isinstance(t, types.NoneType | types.Omitted)


@overload(crossed_above)
def _crossed_above_overload(a, b, value_a=None, value_b=None):  # noqa: ANN001, ANN202 - numba overload
    if not _omitted(value_a):
        return lambda a, b, value_a=None, value_b=None: _crossed_above(a, b, value_a, value_b)
    if _is_reading(a) and _is_reading(b):
        return lambda a, b, value_a=None, value_b=None: _crossed_above(a.prev, b.prev, a.value, b.value)
    if _is_reading(a):
        return lambda a, b, value_a=None, value_b=None: _crossed_above(a.prev, b, a.value, b)
    if _is_reading(b):
        return lambda a, b, value_a=None, value_b=None: _crossed_above(a, b.prev, a, b.value)
    return None


@overload(crossed_below)
def _crossed_below_overload(a, b, value_a=None, value_b=None):  # noqa: ANN001, ANN202 - numba overload
    if not _omitted(value_a):
        return lambda a, b, value_a=None, value_b=None: _crossed_above(b, a, value_b, value_a)
    return lambda a, b, value_a=None, value_b=None: crossed_above(b, a)


def readings(row: Sequence[float], start: int, output: type) -> Any:
    """The output ``output`` (Reading, Bands or Channel) whose (value, previous) pairs start at ``row[start]``."""
    if output is Reading:
        value = row[start]
        return Reading(value, row[start + 1], value == value)
    return output(*(readings(row, start + 2 * j, Reading) for j in range(len(output._fields))))
