"""A sweep's table made small enough to draw: parameter levels, heatmap cells, rankings, formats.

Every parameter becomes integer codes into its sorted levels; a numeric parameter with more than
``AXIS_LEVELS`` distinct values (a random search over floats) is cut into ``AXIS_BINS`` equal bins
instead. Rows with the same codes share a cell that holds their best metric, so the cells number
at most the table's rows and at most the grid's size. A metric that is NaN or ±inf has no value:
it is left out of cells' best, rankings, the histogram and colour scales, and printed as "—".
Nothing here imports Bokeh.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from botkit.backtest.report import PERCENT_STATS, SECONDS_STATS
from botkit.core.errors import ConfigError

AXIS_LEVELS = 100
"""Distinct values a numeric parameter may have before it is binned for the heatmap."""

AXIS_BINS = 50
"""Equal-width bins a numeric parameter with more than ``AXIS_LEVELS`` values is cut into."""

HISTOGRAM_BINS = 60
"""The most bins of the metric's distribution (fewer for small sweeps: about √n)."""

LOWER_IS_BETTER = frozenset({"volatility", "max_drawdown_duration", "fees", "rejected_orders"})
"""Metrics a sweep minimises; every other metric is maximised (``max_drawdown`` is ≤ 0)."""

MONEY_STATS = frozenset({"final_equity", "fees", "avg_trade", "best_trade", "worst_trade"})
"""Quote-currency columns: two decimals and thousands separators."""

COUNT_STATS = frozenset({"trades", "events", "rejected_orders", "open_positions", "daily_returns"})
"""Counts: whole numbers with thousands separators."""

NO_VALUE = "—"
"""How a missing, NaN or infinite number is printed."""

SECONDS_PER_DAY = 86_400.0

WINDOW_TIMES = ("train_start", "train_end", "test_start", "test_end")
WINDOW_COLUMNS = ("window", *WINDOW_TIMES, "in_sample", "out_of_sample")
"""The columns a walk-forward's windows frame must have besides the chosen parameters."""

WINDOW_DERIVED = frozenset({"degradation"})
"""Columns a windows frame may also have that are not parameters (the report computes its own)."""


class Kind(StrEnum):
    """How the numbers of one column are printed; the page's tables, axes and hovers agree."""

    RATIO = "ratio"
    PERCENT = "percent"
    MONEY = "money"
    COUNT = "count"
    DAYS = "days"


DECIMALS = {Kind.RATIO: 3, Kind.PERCENT: 2, Kind.MONEY: 2, Kind.COUNT: 0, Kind.DAYS: 1}
"""Decimals per kind (percent: of the value × 100)."""

NUMBRO = {Kind.RATIO: "0,0.000", Kind.PERCENT: "0,0.00%", Kind.MONEY: "0,0.00", Kind.COUNT: "0,0",
          Kind.DAYS: "0,0.0"}
"""The same formats for Bokeh's tables and axes (numbro syntax)."""


def column_kind(name: str, values: pd.Series) -> Kind:
    """The kind of a stats column: by its name for botkit's stats, else a count if integral, else a ratio."""
    if name in PERCENT_STATS:
        return Kind.PERCENT
    if name in SECONDS_STATS:
        return Kind.DAYS
    if name in MONEY_STATS:
        return Kind.MONEY
    if name in COUNT_STATS or pd.api.types.is_integer_dtype(values.dtype):
        return Kind.COUNT
    return Kind.RATIO


def column_label(name: str, kind: Kind) -> str:
    """A column's heading: underscores as spaces, durations said to be in days."""
    label = name.replace("_", " ")
    return f"{label} (days)" if kind is Kind.DAYS else label


def shown_values(values: pd.Series | np.ndarray, kind: Kind) -> np.ndarray:
    """A stats column as the float64 numbers the page shows: NaN for ±inf, durations in days."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64, na_value=np.nan)
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    return numbers / SECONDS_PER_DAY if kind is Kind.DAYS else numbers


def format_value(kind: Kind, value: float) -> str:
    """One shown number as text, as the page's script and tables print it ('—' without a value)."""
    if not math.isfinite(value):
        return NO_VALUE
    if kind is Kind.PERCENT:
        return f"{value * 100.0:,.2f}%"
    return f"{value:,.{DECIMALS[kind]}f}"


@dataclass(frozen=True)
class Levels:
    """One parameter coded for the heatmap: a code per row into ``labels`` (sorted levels or bins)."""

    name: str
    codes: np.ndarray
    labels: tuple[str, ...]
    binned: bool


@dataclass(frozen=True)
class Cells:
    """Distinct parameter codes (one row per cell, one column per parameter) and their best metric."""

    codes: np.ndarray
    metric: np.ndarray
    count: np.ndarray

    def slice(self, x: int, y: int, fixed: Sequence[int]) -> np.ndarray:
        """Indices of the cells on the (x, y) plane where every other parameter has its ``fixed`` code."""
        keep = np.ones(len(self.metric), dtype=bool)
        for i, code in enumerate(fixed):
            if i not in (x, y):
                keep &= self.codes[:, i] == code
        return np.flatnonzero(keep)


@dataclass(frozen=True)
class SweepView:
    """The sweep's table as the page draws it: coded parameters, the shown metric, its cells, the best row."""

    table: pd.DataFrame
    params: tuple[str, ...]
    metric: str
    kind: Kind
    lower_is_better: bool
    values: np.ndarray
    levels: tuple[Levels, ...]
    cells: Cells
    ranked: np.ndarray
    """Positions of the rows with a metric, best first."""

    @property
    def best(self) -> int | None:
        """Position of the best combination; None when no metric has a value."""
        return int(self.ranked[0]) if len(self.ranked) else None

    @property
    def merged(self) -> bool:
        """Whether some cell holds more than one combination (binned or repeated parameters)."""
        return bool(len(self.cells.count) and self.cells.count.max() > 1)

    def start_codes(self) -> list[int]:
        """Each parameter's code in the best combination (the first row's without one): the first slice."""
        row = self.best if self.best is not None else 0
        return [int(lv.codes[row]) if len(lv.codes) else 0 for lv in self.levels]


def sweep_view(table: pd.DataFrame, params: Sequence[str], metric: str) -> SweepView:
    """Check that ``params`` and ``metric`` name columns of ``table`` and code the table for drawing."""
    names = tuple(params)
    if not names:
        raise ConfigError("optimize report: params must name at least one column of the table, got none")
    columns = [str(c) for c in table.columns]
    for name in names:
        if name not in columns:
            raise ConfigError(f"optimize report: param {name!r} is not a column of the table (columns: {columns})")
    if len(set(names)) != len(names):
        raise ConfigError(f"optimize report: params name a column twice, got {list(names)}")
    if metric not in columns or metric in names:
        raise ConfigError(f"optimize report: metric {metric!r} must be a stats column of the table "
                          f"(columns: {[c for c in columns if c not in names]})")
    column = table[metric]
    if not (pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)):
        raise ConfigError(f"optimize report: metric {metric!r} must be numeric, got dtype {column.dtype}")
    kind = column_kind(metric, column)
    lower = metric in LOWER_IS_BETTER
    values = shown_values(column, kind)
    levels = tuple(param_levels(name, table[name]) for name in names)
    cells = grid_cells(levels, values, lower_is_better=lower)
    return SweepView(table, names, metric, kind, lower, values, levels, cells, ranking(values, lower_is_better=lower))


def param_levels(name: str, column: pd.Series) -> Levels:
    """``column`` coded into its sorted distinct values, or into bins when it is numeric with many."""
    is_number = pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)
    if is_number and column.nunique(dropna=False) > AXIS_LEVELS:
        return _binned(name, column.to_numpy(np.float64))
    codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=False)
    if not is_number:
        labels = tuple(str(v) for v in uniques)
    elif pd.api.types.is_integer_dtype(column.dtype):
        labels = tuple(str(int(v)) for v in uniques)
    else:
        floats = [float(v) for v in uniques]
        labels = tuple(_unique([[f"{v:.{d}g}" for v in floats] for d in (6, 10, 17)]))
    return Levels(name, codes.astype(np.int32), labels, binned=False)


def grid_cells(levels: Sequence[Levels], metric: np.ndarray, *, lower_is_better: bool) -> Cells:
    """The cells of the coded parameters: rows with equal codes merged, keeping their best metric."""
    if not levels or len(metric) == 0:
        return Cells(np.zeros((0, len(levels)), np.int32), np.zeros(0), np.zeros(0, np.int32))
    frame = pd.DataFrame({i: lv.codes for i, lv in enumerate(levels)})
    frame["metric"] = metric
    groups = frame.groupby(list(range(len(levels))), sort=True)["metric"]
    best = groups.min() if lower_is_better else groups.max()
    codes = np.asarray(best.index.to_frame(index=False).to_numpy(), dtype=np.int32).reshape(len(best), len(levels))
    return Cells(codes, best.to_numpy(np.float64), groups.size().to_numpy().astype(np.int32))


def ranking(metric: np.ndarray, *, lower_is_better: bool) -> np.ndarray:
    """Positions of the rows with a metric, best first (ties keep table order); the rest are left out."""
    rows = np.flatnonzero(np.isfinite(metric))
    keys = metric[rows] if lower_is_better else -metric[rows]
    return rows[np.argsort(keys, kind="stable")]


def histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(counts, edges) of the values with a value, in at most ``HISTOGRAM_BINS`` equal bins (about √n)."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    bins = int(min(HISTOGRAM_BINS, max(1, math.ceil(math.sqrt(len(finite))))))
    counts, edges = np.histogram(finite, bins=bins)
    return counts, edges


def _binned(name: str, values: np.ndarray) -> Levels:
    """Equal-width bins over the finite values (whole-number bins for integers); NaN gets its own level."""
    finite = np.isfinite(values)
    lo, hi = float(values[finite].min()), float(values[finite].max())
    if np.all(values[finite] == np.round(values[finite])):
        width = math.ceil((hi - lo + 1) / AXIS_BINS)
        count = int((hi - lo) // width) + 1
        codes = ((np.where(finite, values, lo) - lo) // width).astype(np.int32)
        labels = [f"{int(lo + i * width)}–{int(lo + (i + 1) * width - 1)}" for i in range(count)]
    else:
        edges = np.linspace(lo, hi, AXIS_BINS + 1)
        count = AXIS_BINS
        codes = np.clip(np.searchsorted(edges, np.where(finite, values, lo), side="right") - 1, 0, count - 1)
        codes = codes.astype(np.int32)
        labels = _unique([[f"{a:.{d}g}–{b:.{d}g}" for a, b in itertools.pairwise(edges)]
                          for d in (4, 8, 17)])
    if not finite.all():
        codes[~finite] = count
        labels.append("nan")
    return Levels(name, codes, tuple(labels), binned=True)


def _unique(candidates: Sequence[list[str]]) -> list[str]:
    """The first list of labels with no two alike (the last one otherwise)."""
    for labels in candidates:
        if len(set(labels)) == len(labels):
            return labels
    return candidates[-1]


def utc_ms(column: pd.Series) -> np.ndarray:
    """A time column as float64 ms since the epoch, UTC (NaN where missing): the unit of Bokeh's times."""
    times = pd.DatetimeIndex(column)
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    ms = times.as_unit("ns").asi8.astype(np.float64) / 1e6
    return np.where(times.isna(), np.nan, ms)


def degradation(windows: pd.DataFrame) -> np.ndarray:
    """out_of_sample / in_sample per walk-forward window; NaN where in-sample is zero or either has no value."""
    ins = shown_values(windows["in_sample"], Kind.RATIO)
    oos = shown_values(windows["out_of_sample"], Kind.RATIO)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = oos / ins
    return np.where(np.isfinite(ratio), ratio, np.nan)


def chosen_params(windows: pd.DataFrame) -> list[str]:
    """The columns of a walk-forward's windows frame that are the parameters chosen in each window."""
    return [str(c) for c in windows.columns if c not in WINDOW_COLUMNS and c not in WINDOW_DERIVED]
