"""Where declared indicators live in a state row, and the indicators a sweep computes once for a grid.

``layout`` places a strategy's indicators for one params set: the spec the kernels read and the
slots of their state. ``distinct_indicators`` and ``indicator_series`` are for sweeps: the distinct
indicators a grid of params needs, each computed once over the data with the very update a step
sees event by event (``_indicators_nb``), so that a sweep decides as single backtests do.
``output_pairs`` runs a layout over a chunk of events at once, for the backtester's Python path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
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


def series_matrix(keys: Sequence[IndicatorKey], records: np.ndarray, threads: int = 1) -> tuple[np.ndarray, list[int]]:
    """Every key's outputs over ``records`` as rows of one (rows, events) matrix, and each key's first row.

    Row ``first[k] + j`` is output ``j`` of ``keys[k]`` after each event; ``threads`` compute keys at once.
    """
    first, rows = [], 0
    for key in keys:
        first.append(rows)
        rows += key.outputs
    matrix = np.empty((rows, len(records)))
    inputs = record_inputs(records)

    def fill(k: int) -> None:
        fill_series(keys[k], inputs, matrix[first[k] : first[k] + keys[k].outputs].T)

    if threads <= 1 or len(keys) <= 1:
        for k in range(len(keys)):
            fill(k)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(fill, range(len(keys))))
    return matrix, first


@dataclass(frozen=True)
class SeriesPlan:
    """The distinct indicators of a sweep, ready for ``_indicators_nb.series_block_nb`` block by block.

    Arrays are per key: ``mode`` (an SMA's own loop or the general update), ``window``, ``source``,
    ``first`` (its first row in the values), ``n_out``, and the resumable state: ``kstate`` (an
    SMA's sums), ``rows``/``specs``/``n_spec`` (any other kind's state row and spec, padded).
    """

    keys: tuple[IndicatorKey, ...]
    mode: np.ndarray
    window: np.ndarray
    source: np.ndarray
    first: np.ndarray
    n_out: np.ndarray
    kstate: np.ndarray
    rows: np.ndarray
    specs: np.ndarray
    n_spec: np.ndarray

    @property
    def n_rows(self) -> int:
        """Rows of the values matrix: every key's outputs."""
        return int(self.n_out.sum())

    def values(self, block: int) -> np.ndarray:
        """A values buffer for blocks of ``block`` events (one column more: the value before the block)."""
        return np.full((self.n_rows, block + 1), np.nan)


def series_plan(keys: Sequence[IndicatorKey]) -> SeriesPlan:
    """The plan computing ``keys`` block by block (fresh state: before the first event)."""
    n = len(keys)
    layouts = [layout({"x": _KeyIndicator(key)}, None, 0) for key in keys]
    width = max([len(one.initial) for one in layouts] + [1])
    spec_width = max([len(one.spec) for one in layouts] + [1])
    rows = np.zeros((n, width))
    specs = np.zeros((n, spec_width))
    kstate = np.zeros((n, nbi.K_COLS))
    for k, (key, one) in enumerate(zip(keys, layouts, strict=True)):
        rows[k, : len(one.initial)] = one.initial
        specs[k, : len(one.spec)] = one.spec
        kstate[k, nbi.K_POS] = key.window  # a history of window + 1 starts at its last position
    n_out = np.array([key.outputs for key in keys], dtype=np.int64)
    return SeriesPlan(
        keys=tuple(keys),
        mode=np.array([nbi.SERIES_SMA if key.kind == "sma" else nbi.SERIES_GENERAL for key in keys], dtype=np.int64),
        window=np.array([key.window for key in keys], dtype=np.int64),
        source=np.array([SOURCES.get(key.source, nbi.CLOSE) for key in keys], dtype=np.int64),
        first=np.concatenate(([0], np.cumsum(n_out)[:-1])).astype(np.int64) if n else np.zeros(0, np.int64),
        n_out=n_out,
        kstate=kstate,
        rows=rows,
        specs=specs,
        n_spec=np.array([one.n_rows for one in layouts], dtype=np.int64),
    )


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


def output_pairs(where: IndicatorLayout, row: np.ndarray, inputs: Sequence[np.ndarray]) -> np.ndarray:
    """The (value, previous) pairs of ``where``'s outputs after each event of ``inputs``, as ``row`` holds them.

    ``where`` has its outputs from slot 0 (an ``IndicatorBoard``'s layout), ``row`` is one instrument's
    state, advanced in place past the events, and ``inputs`` their ``record_inputs``: the very update
    the events would get one at a time. Shape (events, 2·outputs); every update moves an output's
    value to its previous, so the previous of an event is the value after the one before it.
    """
    n_events, n_out = len(inputs[0]), where.n_outputs
    pairs = np.empty((n_events, 2 * n_out))
    if n_events == 0:
        return pairs
    pairs[0, 1::2] = row[: 2 * n_out : 2]
    values = np.empty((n_events, n_out))
    nbi.indicator_series_nb(row, where.spec, where.n_rows, n_out, *inputs, values)
    pairs[:, 0::2] = values
    pairs[1:, 1::2] = values[:-1]
    return pairs


def indicator_series(key: IndicatorKey, records: np.ndarray) -> np.ndarray:
    """``key``'s outputs after each of one instrument's ``records``: shape (events, outputs), NaN while cold."""
    values = np.empty((len(records), key.outputs))
    fill_series(key, record_inputs(records), values)
    return values


def fill_series(key: IndicatorKey, inputs: tuple[np.ndarray, ...], values: np.ndarray) -> None:
    """Write ``key``'s outputs over ``inputs`` (``record_inputs``) into ``values`` (events, outputs); no GIL held.

    ``values`` may be a transposed view of rows of a larger matrix. An SMA takes a kernel of its
    own with the very arithmetic of the general update (``sma_series_nb``), several times faster.
    """
    one = layout({"x": _KeyIndicator(key)}, None, 0)
    if key.kind == "sma":
        source = SOURCES.get(key.source, nbi.CLOSE)
        nbi.sma_series_nb(inputs[source], key.window, key.window + 1, values[:, 0])
        return
    row = one.initial.copy()
    nbi.indicator_series_nogil_nb(row, one.spec, one.n_rows, key.outputs, *inputs, values)


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


