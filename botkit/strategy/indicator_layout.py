"""Where declared indicators live in a state row, and the indicators a sweep computes once for a grid.

``layout`` places a strategy's indicators for one params set: the spec the kernels read and the
slots of their state. ``distinct_indicators`` and ``indicator_series`` are for sweeps: the distinct
indicators a grid of params needs, each computed once over the data with the very update a step
sees event by event (``_indicators_nb``), so that a sweep decides as single backtests do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from botkit.strategy import _indicators_nb as nbi
from botkit.strategy.indicators import CODES, OUTPUT_TYPES, SOURCES, Indicator, IndicatorKey, declared_of


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
    n_out = sum(len(OUTPUT_TYPES[i.kind]._fields) if i.kind in OUTPUT_TYPES else 1 for i in indicators)
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
        out += 2 * (len(OUTPUT_TYPES[indicator.kind]._fields) if indicator.kind in OUTPUT_TYPES else 1)
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


