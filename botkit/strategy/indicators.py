"""Declared indicators: what a strategy computes, named once, updated by botkit in every mode.

A strategy declares ``indicators = {"fast": SMA("close", "fast"), ...}``: each entry names a kind,
the event input it reads and its window, a number or the name of a params field. botkit owns the
state, updates it before the strategy decides (in the compiled step's kernel, through the live
step adapter, before Python hooks) with one implementation (``_indicators_nb.py``), and hands the
strategy one ``Reading`` per output: the value after this event, the value before it, and whether
it is warm. The numerics are in docs/strategies-fast.md; in short, nothing drifts and an SMA is the
correctly rounded mean of its window (``math.fsum(window) / n``), so crosses are judged with a
tolerance of one part in 1e12 (``CROSS_TOLERANCE``), far below any real gap and far above rounding.

``distinct_indicators`` and ``indicator_series`` are for sweeps: the indicators a grid of params
needs, each computed once over the data, equal to what the step sees event by event.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
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
        return len(_OUTPUT_TYPES[self.kind]._fields) if self.kind in _OUTPUT_TYPES else 1



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
_OUTPUT_TYPES: dict[str, type] = {"bollinger": Bands, "donchian": Channel}


def _named(value: Any) -> str:
    return f"params.{value}" if isinstance(value, str) else repr(value)


def _param(params: Any, value: Any, name: str, what: str) -> Any:
    if not isinstance(value, str):
        return value
    if not hasattr(params, value):
        raise ValueError(f"indicator {name!r} {what} names params.{value}, which {type(params).__name__} does not have")
    return getattr(params, value)


class PlannedRow(NamedTuple):
    """One row of the kernels' spec whose slots do not depend on the params: a history or an indicator."""

    kind: int
    source: int
    out: int
    state: int
    history: int
    """Index of the history it reads (into the plan's rows), -1 if none."""


def plan(indicators: Sequence[Indicator | IndicatorKey], out_base: int) -> tuple[list[PlannedRow], int]:
    """The spec rows of ``indicators`` and their fixed slots, outputs from ``out_base``; and where arrays start.

    Histories come first (one per input that windowed indicators read, in first-use order), then
    the indicators in order. Outputs, then every scalar state, have fixed slots, so a declared
    step's generated code names them as constants; rings and queues follow, sized by the windows.
    """
    n_out = sum(len(_OUTPUT_TYPES[i.kind]._fields) if i.kind in _OUTPUT_TYPES else 1 for i in indicators)
    slot = out_base + 2 * n_out
    rows: list[PlannedRow] = []
    histories: dict[int, int] = {}
    for indicator in indicators:
        source = SOURCES.get(indicator.source, nbi.CLOSE)
        if CODES[indicator.kind] in nbi.WINDOWED and source not in histories:
            histories[source] = len(rows)
            rows.append(PlannedRow(nbi.HISTORY, source, -1, slot, -1))
            slot += nbi.SCALAR_SLOTS[nbi.HISTORY]
    out = out_base
    for indicator in indicators:
        code = CODES[indicator.kind]
        source = SOURCES.get(indicator.source, nbi.CLOSE)
        rows.append(PlannedRow(code, source, out, slot, histories[source] if code in nbi.WINDOWED else -1))
        out += 2 * (len(_OUTPUT_TYPES[indicator.kind]._fields) if indicator.kind in _OUTPUT_TYPES else 1)
        slot += nbi.SCALAR_SLOTS[code]
    return rows, slot


@dataclass(frozen=True)
class IndicatorLayout:
    """Where declared indicators live in a state row, for one params set.

    Outputs first, from ``out_base``, as (value, previous) pairs in declaration order; then the
    scalar states (``plan``); then the rings and queues. ``spec`` is the kernels' flat spec
    (history rows first), ``initial`` the slots' starting values (outputs NaN), ``size`` the number
    of slots from ``out_base`` on.
    """

    names: tuple[str, ...]
    keys: tuple[IndicatorKey, ...]
    out_base: int
    spec: np.ndarray
    initial: np.ndarray

    @property
    def size(self) -> int:
        """Slots from ``out_base`` on."""
        return len(self.initial)

    @property
    def n_outputs(self) -> int:
        """Output values over all indicators."""
        return sum(key.outputs for key in self.keys)

    @property
    def n_rows(self) -> int:
        """Rows of the spec: the histories, then the indicators."""
        return len(self.spec) // nbi.SPEC_COLS


def layout(declared: Mapping[str, Indicator], params: Any, out_base: int) -> IndicatorLayout:
    """The layout of ``declared`` for ``params`` with outputs from slot ``out_base``."""
    keys = tuple(indicator.resolve(params, name) for name, indicator in declared.items())
    rows, ring = plan(keys, out_base)
    n_hist = sum(1 for row in rows if row.kind == nbi.HISTORY)
    caps = [1 + max(key.window for key, row in zip(keys, rows[n_hist:], strict=True) if row.history == h)
            for h in range(n_hist)]  # a history keeps one input more than its longest window
    spec: list[float] = []
    starts: list[tuple[int, float]] = []
    for j, row in enumerate(rows):
        if row.kind == nbi.HISTORY:
            window, k, history = caps[j], 0.0, -1
            starts += [(row.state + 1, caps[j] - 1.0), (row.state + 2, float(caps[j]))]  # the first input lands at 0
            array = ring
        else:
            key = keys[j - n_hist]
            window, k = key.window, key.k
            history = rows[row.history].state if row.history >= 0 else -1
            array = int(spec[row.history * nbi.SPEC_COLS + nbi.S_RING]) if row.history >= 0 else ring
        spec += [row.kind, row.source, window, k, row.out, row.state, history, array]
        if row.history < 0:
            ring += nbi.array_slots(row.kind, window)
    initial = np.zeros(ring - out_base)
    initial[: 2 * sum(key.outputs for key in keys)] = np.nan
    for slot, value in starts:
        initial[slot - out_base] = value
    return IndicatorLayout(tuple(declared), keys, out_base, np.array(spec, dtype=np.float64), initial)


def declared_of(strategy: Any) -> Mapping[str, Indicator]:
    """The indicators a strategy class declares (its ``indicators`` mapping, empty if none)."""
    declared = getattr(strategy, "indicators", None)
    return declared if isinstance(declared, Mapping) else {}


def distinct_indicators(strategy: Any, param_sets: Iterable[Any]) -> tuple[list[IndicatorKey], list[dict[str, int]]]:
    """The distinct indicators ``param_sets`` of ``strategy`` need, and which of them each set uses.

    Returns the keys in first-use order and, per params set, ``{declared name: index into the keys}``;
    a sweep computes each key once (``indicator_series``) for the whole grid.
    """
    declared = declared_of(strategy)
    keys: dict[IndicatorKey, int] = {}
    uses: list[dict[str, int]] = []
    for params in param_sets:
        use = {}
        for name, indicator in declared.items():
            key = indicator.resolve(params, name)
            use[name] = keys.setdefault(key, len(keys))
        uses.append(use)
    return list(keys), uses


def record_inputs(records: np.ndarray) -> tuple[np.ndarray, ...]:
    """(open, high, low, close, volume) arrays of bar, trade or quote records, as the kernels read each event."""
    names = records.dtype.names or ()
    if "close" in names:
        return tuple(np.ascontiguousarray(records[f], dtype=np.float64) for f in ("open", "high", "low", "close",
                                                                                    "volume"))
    if "price" in names:
        price = np.ascontiguousarray(records["price"], dtype=np.float64)
        return price, price, price, price, np.ascontiguousarray(records["size"], dtype=np.float64)
    mid = (records["bid"].astype(np.float64) + records["ask"].astype(np.float64)) / 2.0
    return mid, mid, mid, mid, np.full(len(records), np.nan)


def indicator_series(key: IndicatorKey, records: np.ndarray) -> np.ndarray:
    """``key``'s outputs after each of one instrument's ``records``: shape (events, outputs), NaN while cold."""
    one = layout({"x": _KeyIndicator(key)}, None, 0)
    row = one.initial.copy()
    values = np.empty((len(records), key.outputs))
    nbi.indicator_series_nb(row, one.spec, one.n_rows, key.outputs, *record_inputs(records), values)
    return values


@dataclass(frozen=True)
class _KeyIndicator(Indicator):
    """A resolved key seen as a declaration (for ``indicator_series``)."""

    key: IndicatorKey

    @property
    def kind(self) -> str:  # type: ignore[override]
        """The key's kind."""
        return self.key.kind

    @property
    def source(self) -> str:  # type: ignore[override]
        """The key's input."""
        return self.key.source

    def resolve(self, params: Any, name: str) -> IndicatorKey:
        return self.key


# --- cross tests: plain functions numba steps can call too ---------------------------------------


@register_jitable
def above(a: float, b: float) -> bool:
    """Whether ``a`` is above ``b`` by more than the relative CROSS_TOLERANCE."""
    return a - b > CROSS_TOLERANCE * max(abs(a), abs(b))


@register_jitable
def _crossed_above(prev_a: float, prev_b: float, a: float, b: float) -> bool:
    """``a`` was not above ``b`` and now is; NaN anywhere is no cross (``above`` written out for speed)."""
    if not a - b > CROSS_TOLERANCE * max(abs(a), abs(b)):
        return False
    return prev_a - prev_b <= CROSS_TOLERANCE * max(abs(prev_a), abs(prev_b))


def _prev_and_value(x: Any) -> tuple[float, float]:
    return (x.prev, x.value) if isinstance(x, Reading) else (float(x), float(x))


def crossed_above(a: Any, b: Any, value_a: float | None = None, value_b: float | None = None) -> bool:
    """``a`` crossed above ``b`` on this event: it was not above before and is now.

    ``crossed_above(fast, slow)`` takes two Readings (or a Reading and a number, a level that does
    not move); ``crossed_above(prev_a, prev_b, a, b)`` takes the four numbers. Compiled steps call it too.
    """
    if value_a is not None and value_b is not None:
        return _crossed_above(a, b, value_a, value_b)
    if type(a) is Reading and type(b) is Reading:  # the common case, without the general unpacking
        return _crossed_above(a[1], b[1], a[0], b[0])
    prev_a, now_a = _prev_and_value(a)
    prev_b, now_b = _prev_and_value(b)
    return _crossed_above(prev_a, prev_b, now_a, now_b)


def crossed_below(a: Any, b: Any, value_a: float | None = None, value_b: float | None = None) -> bool:
    """``a`` crossed below ``b`` on this event (the arguments of ``crossed_above``)."""
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
