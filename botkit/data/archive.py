"""Reading one venue, symbol and kind from the archive for a time range ``[start, end)``.

Only the day files that can hold rows in the range are opened; every file read is validated (its
rows must be sorted, valid for the kind, and inside the file's UTC day). ``start`` and ``end`` may
be integer nanoseconds, ISO-8601 text, dates or datetimes (naive means UTC); None means the first
or last day in the archive.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np

from botkit.core.clock import NS_PER_DAY, to_ns
from botkit.core.errors import ConfigError
from botkit.data.batches import iter_day_files
from botkit.data.chunks import check_chunk_rows, concat_records, rechunk
from botkit.data.kinds import DTYPES, base_kind
from botkit.data.layout import day_files, day_start_ns, kind_dir, list_days, parse_day_file
from botkit.data.scan import scan_day_files
from botkit.data.validate import file_error

TimeLike = int | np.integer | str | date | datetime
"""A point in time accepted by the readers: int ns, ISO-8601 text, date or datetime (UTC)."""


def read_archive(
    root: str | Path,
    venue: str,
    symbol: str,
    kind: str,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> np.ndarray:
    """All rows of one venue/symbol/kind with ``start <= ts < end``, as one record array."""
    parts = list(_iter_files(root, venue, symbol, kind, start, end, chunk_rows=None))
    if not parts:
        return np.empty(0, dtype=DTYPES[base_kind(kind)])
    return parts[0] if len(parts) == 1 else concat_records(parts)


def iter_archive(
    root: str | Path,
    venue: str,
    symbol: str,
    kind: str,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    chunk_rows: int,
) -> Iterator[np.ndarray]:
    """The rows of ``read_archive`` as record arrays of ``chunk_rows`` rows (the last may be short).

    Reads one Parquet row group at a time, so memory stays near ``chunk_rows`` plus one row group
    whatever the size of the archive. Rows are validated as they are read, so a bad row raises
    DataError when its chunk is reached, after earlier chunks were yielded.
    """
    check_chunk_rows(chunk_rows)
    yield from rechunk(_iter_files(root, venue, symbol, kind, start, end, chunk_rows), chunk_rows)


def archive_range(root: str | Path, venue: str, symbol: str, kind: str) -> tuple[int, int]:
    """``(start_ns, end_ns)`` spanning the archive's day files, from midnight to midnight UTC."""
    days = list_days(root, venue, symbol, kind)
    if not days:
        directory = kind_dir(root, venue, symbol, kind)
        missing = "" if directory.is_dir() else " (the folder does not exist)"
        raise file_error(str(directory), f"no day files{missing}")
    return day_start_ns(days[0]), day_start_ns(days[-1]) + NS_PER_DAY


def time_to_ns(value: TimeLike) -> int:
    """Integer nanoseconds UTC of an int, numpy integer, ISO-8601 text, date or datetime."""
    if isinstance(value, np.integer):
        return int(value)
    try:
        return to_ns(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"invalid time {value!r}: use integer ns, ISO-8601 text, a date or a datetime"
        ) from exc


def _iter_files(
    root: str | Path,
    venue: str,
    symbol: str,
    kind: str,
    start: TimeLike | None,
    end: TimeLike | None,
    chunk_rows: int | None,
) -> Iterator[np.ndarray]:
    if start is None or end is None:
        first, last = archive_range(root, venue, symbol, kind)
        start_ns = first if start is None else time_to_ns(start)
        end_ns = last if end is None else time_to_ns(end)
    else:
        start_ns, end_ns = time_to_ns(start), time_to_ns(end)
    paths = day_files(root, venue, symbol, kind, start_ns, end_ns)
    days = [parse_day_file(p) for p in paths]
    whole_days = (None not in days and start_ns <= day_start_ns(days[0])  # type: ignore[arg-type]
                  and end_ns >= day_start_ns(days[-1]) + NS_PER_DAY)  # type: ignore[arg-type]
    read = scan_day_files if whole_days else iter_day_files  # whole days: one Arrow scan (botkit.data.scan)
    yield from read(paths, base_kind(kind), start_ns=start_ns, end_ns=end_ns, chunk_rows=chunk_rows)
