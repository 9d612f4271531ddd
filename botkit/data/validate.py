"""Checks that records loaded from a file are usable, with messages that name the file and row.

Every check is vectorised. When a file has several problems the one on the earliest row is
reported. Rows are 1-based data rows: row 1 is the first row after a CSV header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

import numpy as np

from botkit.core.clock import NS_PER_DAY, NS_PER_SECOND
from botkit.core.errors import DataError
from botkit.data._validate_nb import bars_ok_nb, quotes_ok_nb, trades_ok_nb
from botkit.data.kinds import BaseKind, kind_of_dtype
from botkit.data.layout import day_start_ns

_FLOAT_FIELDS = {
    "bars": ("open", "high", "low", "close", "volume"),
    "trades": ("price", "size"),
    "quotes": ("bid", "bid_size", "ask", "ask_size"),
}
_POSITIVE = {
    "bars": ("open", "high", "low", "close"),
    "trades": ("price",),
    "quotes": ("bid", "ask"),
}
_NON_NEGATIVE = {"bars": ("volume",), "trades": ("size",), "quotes": ("bid_size", "ask_size")}
# (left, right): a row is bad when left < right.
_ORDERED = {
    "bars": (
        ("high", "low"),
        ("high", "open"),
        ("high", "close"),
        ("open", "low"),
        ("close", "low"),
    ),
    "trades": (),
    "quotes": (("ask", "bid"),),
}


_CHECKED = {
    "bars": ("open", "high", "low", "close", "volume"),
    "trades": ("price", "size", "side"),
    "quotes": ("bid", "bid_size", "ask", "ask_size"),
}
"""The columns the compiled check takes after ``ts``, in its order."""
_VALID_NB = {"bars": bars_ok_nb, "trades": trades_ok_nb, "quotes": quotes_ok_nb}


def format_ts(ts_ns: int) -> str:
    """ISO-8601 UTC text of a timestamp, exact to the nanosecond: ``2024-01-01T00:03:00Z``."""
    ts_ns = int(ts_ns)
    fraction = ts_ns % NS_PER_SECOND
    unit: Literal["s", "ms", "us", "ns"]
    if fraction == 0:
        unit = "s"
    elif fraction % 1_000_000 == 0:
        unit = "ms"
    elif fraction % 1_000 == 0:
        unit = "us"
    else:
        unit = "ns"
    return f"{np.datetime_as_string(np.datetime64(ts_ns, 'ns'), unit=unit)}Z"


def row_error(source: str, row: int, problem: str) -> DataError:
    """A DataError for one row of a file: ``data/x.csv row 17: close is NaN``."""
    return DataError(f"{source} row {row}: {problem}")


def file_error(source: str, problem: str) -> DataError:
    """A DataError for a whole file: ``data/x.csv: missing column 'volume' (have: ts, open)``."""
    return DataError(f"{source}: {problem}")


def validate_records(
    records: np.ndarray,
    source: str,
    *,
    first_row: int = 1,
    prev_ts: int | None = None,
    day: date | None = None,
) -> None:
    """Raise DataError for the earliest bad row of ``records`` read from ``source``.

    ``first_row`` is the file row of ``records[0]`` and ``prev_ts`` the timestamp of the row just
    before it, so a file checked chunk by chunk is checked across chunk borders too. ``day``, for
    archive day files, requires every timestamp to fall in that UTC day.
    """
    kind = kind_of_dtype(records.dtype)
    if len(records) == 0:
        return
    columns = {name: records[name] for name in records.dtype.names or ()}
    validate_columns(columns, kind, source, first_row=first_row, prev_ts=prev_ts, day=day)


def validate_columns(
    columns: Mapping[str, np.ndarray],
    kind: BaseKind,
    source: str,
    *,
    first_row: int = 1,
    prev_ts: int | None = None,
    day: date | None = None,
) -> None:
    """``validate_records`` for records held as columns (``kind``'s fields, equal lengths, record types)."""
    if len(columns["ts"]) == 0:
        return
    fresh = np.zeros(1 if prev_ts is None else 0, dtype=np.intp)
    found = _first_problem(columns, kind, fresh, day, first_row=first_row, prev_ts=prev_ts)
    if found is not None:
        index, problem = found
        raise row_error(source, first_row + index, problem)


def pieces_are_valid(
    columns: Mapping[str, np.ndarray],
    kind: BaseKind,
    piece_starts: np.ndarray,
    piece_days: Sequence[date],
) -> bool:
    """Whether every piece of ``columns`` passes ``validate_records`` with its day and no prev_ts.

    ``columns`` are the columns of ``kind``'s records (see ``botkit.data.columns.to_columns``).
    Piece ``i`` starts at row ``piece_starts[i]`` (the first at 0) and holds contiguous rows of
    the day file of ``piece_days[i]``: this checks many pieces read from many files in one
    vectorised pass. It only says whether a problem exists; to name the file and row, validate the
    pieces one by one.
    """
    ts = columns["ts"]
    if len(ts) == 0:
        return True
    starts = np.asarray(piece_starts, dtype=np.intp)
    nonempty = np.diff(np.append(starts, len(ts))) > 0
    starts = starts[nonempty]
    day_lo = np.array([day_start_ns(d) for d in piece_days], dtype=np.int64)[nonempty]
    if (np.minimum.reduceat(ts, starts) < day_lo).any():
        return False
    if (np.maximum.reduceat(ts, starts) >= day_lo + NS_PER_DAY).any():
        return False
    return _first_problem(columns, kind, starts, None, first_row=1, prev_ts=None) is None


def _first_problem(
    columns: Mapping[str, np.ndarray],
    kind: BaseKind,
    fresh: np.ndarray,
    day: date | None,
    *,
    first_row: int,
    prev_ts: int | None,
) -> tuple[int, str] | None:
    """``(index, problem)`` of the earliest bad row, or None.

    ``fresh`` holds the indices of rows not compared with the row before them (the first row of
    each piece); ``day`` is the UTC day every row must fall in, if any.
    """
    if _all_valid(columns, kind, fresh, day, prev_ts):
        return None
    return _detailed_problem(columns, kind, fresh, day, first_row=first_row, prev_ts=prev_ts)


def _detailed_problem(
    columns: Mapping[str, np.ndarray],
    kind: BaseKind,
    fresh: np.ndarray,
    day: date | None,
    *,
    first_row: int,
    prev_ts: int | None,
) -> tuple[int, str] | None:
    """``_first_problem`` by the vectorised checks, which name the problem (run only when there is one)."""
    ts = columns["ts"]
    problems: list[tuple[int, str]] = []  # (row index, problem), in check order

    for name in _FLOAT_FIELDS[kind]:
        values = columns[name]
        if np.isfinite(values).all():
            continue
        if (i := _first(np.isnan(values))) is not None:
            problems.append((i, f"{name} is NaN"))
        if (i := _first(np.isinf(values))) is not None:
            problems.append((i, f"{name} is {values[i]}"))
    for name in _POSITIVE[kind]:
        values = columns[name]
        if (i := _first(values <= 0)) is not None:
            problems.append((i, f"{name} must be > 0, got {float(values[i])!r}"))
    for name in _NON_NEGATIVE[kind]:
        values = columns[name]
        if (i := _first(values < 0)) is not None:
            problems.append((i, f"{name} must be >= 0, got {float(values[i])!r}"))
    for left, right in _ORDERED[kind]:
        lv, rv = columns[left], columns[right]
        if (i := _first(lv < rv)) is not None:
            problems.append((i, _order_problem(left, right, lv[i], rv[i])))
    if kind == "trades":
        side = columns["side"]
        if (i := _first((side != 1) & (side != -1))) is not None:
            problems.append((i, f"side must be +1 or -1, got {int(side[i])}"))
    if day is not None:
        lo = day_start_ns(day)
        if (i := _first((ts < lo) | (ts >= lo + NS_PER_DAY))) is not None:
            problems.append((i, f"ts {format_ts(ts[i])} is outside this file's day {day}"))
    problems.extend(_order_problems(ts, kind == "bars", fresh, first_row, prev_ts))

    if problems:
        return min(problems, key=lambda item: item[0])  # min keeps check order on ties
    return None


_INT64 = np.iinfo(np.int64)


def _all_valid(
    columns: Mapping[str, np.ndarray], kind: BaseKind, fresh: np.ndarray, day: date | None, prev_ts: int | None,
) -> bool:
    """Whether the rows pass every check of ``_first_problem``, in one compiled pass (no message)."""
    ts = columns["ts"]
    if ts.dtype != np.int64:
        return False  # let the vectorised checks judge it
    marks = np.zeros(len(ts), dtype=np.bool_)
    marks[fresh] = True
    lo, hi = (_INT64.min, _INT64.max) if day is None else (day_start_ns(day), day_start_ns(day) + NS_PER_DAY)
    before = 0 if prev_ts is None else int(prev_ts)
    fields = [columns[name] for name in _CHECKED[kind]]
    return bool(_VALID_NB[kind](ts, *fields, marks, before, lo, hi))


def _first(bad: np.ndarray) -> int | None:
    """Index of the first True in ``bad``, or None."""
    return int(np.argmax(bad)) if bad.any() else None


def _order_problem(left: str, right: str, lv: float, rv: float) -> str:
    if (left, right) == ("ask", "bid"):
        return f"bid > ask (crossed quote: bid {float(rv)!r}, ask {float(lv)!r})"
    if left in ("open", "close"):  # open < low or close < low
        return f"low > {left} (low {float(rv)!r}, {left} {float(lv)!r})"
    return f"{left} < {right} ({left} {float(lv)!r}, {right} {float(rv)!r})"


def _order_problems(
    ts: np.ndarray, unique: bool, fresh: np.ndarray, first_row: int, prev_ts: int | None
) -> list[tuple[int, str]]:
    """Timestamps must not decrease; with ``unique`` (bars) they must strictly increase.

    Row 0 is compared with ``prev_ts`` (if given); rows in ``fresh`` with nothing.
    """
    before = np.empty_like(ts)
    before[1:] = ts[:-1]
    before[0] = ts[0] if prev_ts is None else prev_ts
    before[fresh] = ts[fresh]
    problems = []
    if (i := _first(ts < before)) is not None:
        problems.append(
            (i, f"timestamps not sorted (ts {format_ts(ts[i])} after {format_ts(before[i])})")
        )
    if unique:
        same = ts == before
        same[fresh] = False
        if (i := _first(same)) is not None:
            rows = f"rows {first_row + i - 1} and {first_row + i}"
            problems.append((i, f"duplicate timestamp {format_ts(ts[i])} at {rows}"))
    return problems
