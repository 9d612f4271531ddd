"""Reading whole archive day files in one multithreaded Arrow scan: the fast path of ``iter_archive``.

When a read wants every row of its day files (its range covers their whole days) and the files
are small, opening, parsing and decoding them one by one from Python (``botkit.data.batches``)
costs more than the rows. Here one ``pyarrow.dataset`` scan decodes them all on Arrow's threads,
in file order, page checksums verified as the batch reader does; files are gathered into groups of
at least ``chunk_rows`` rows, and each group is converted and checked in one vectorised pass
(``pieces_are_valid``: every file's rows inside its day, sorted, valid for the kind) before its
rows are yielded.

Anything unusual (a file that is large, empty, unreadable, of another schema, or with a bad row)
hands the rest of the read, from the first file of the group it is in, to the batch reader, which
yields the same rows and raises the exact error (file, row, problem) after the rows before it.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads

from botkit.core.errors import DataError
from botkit.data.batches import iter_day_files
from botkit.data.columns import records_from_columns, to_columns
from botkit.data.kinds import COLUMNS, BaseKind
from botkit.data.layout import parse_day_file
from botkit.data.parquet import IN_MEMORY_BYTES
from botkit.data.validate import pieces_are_valid

SCAN_MIN_CHUNK_ROWS = 65_536
"""With fewer rows per chunk the batch reader is used: it opens each file only when it is reached."""


class _Group:
    """Consecutive files' decoded batches, with the row where each file starts."""

    def __init__(self) -> None:
        self.batches: list[pa.RecordBatch] = []
        self.starts: list[int] = []
        self.days: list[date] = []
        self.rows = 0

    def records(self, kind: BaseKind) -> np.ndarray | None:
        """The group's rows as records if every one converts and passes validation, else None."""
        try:
            table = pa.Table.from_batches(self.batches)
            columns = to_columns(table, kind, "scan")
        except (DataError, pa.ArrowException):
            return None
        if not pieces_are_valid(columns, kind, np.asarray(self.starts, dtype=np.intp), self.days):
            return None
        return records_from_columns(columns, kind)


def scan_day_files(
    paths: Sequence[Path], kind: BaseKind, *, start_ns: int, end_ns: int, chunk_rows: int | None,
) -> Iterator[np.ndarray]:
    """Every row of the day files ``paths`` (in day order), validated, as record arrays in file order.

    ``[start_ns, end_ns)`` must cover the files' whole days. The same rows and errors as
    ``iter_day_files``; arrays hold whole files, at least ``chunk_rows`` rows each but the last
    (all rows in one with None). Small chunks (``SCAN_MIN_CHUNK_ROWS``) go to the batch reader.
    """
    done = 0  # files whose rows have been yielded
    days = [parse_day_file(p) for p in paths]
    if (chunk_rows is None or chunk_rows >= SCAN_MIN_CHUNK_ROWS) and _scannable(paths, days):
        done = yield from _scan(paths, days, kind, chunk_rows)  # type: ignore[arg-type] - no None in days
    if done < len(paths):
        yield from iter_day_files(paths[done:], kind, start_ns=start_ns, end_ns=end_ns, chunk_rows=chunk_rows)


def _scannable(paths: Sequence[Path], days: Sequence[date | None]) -> bool:
    """Whether every file is a day file small enough to decode whole."""
    if None in days:
        return False
    try:
        return all(0 < os.stat(p).st_size <= IN_MEMORY_BYTES for p in paths)
    except OSError:
        return False


def _scan(paths: Sequence[Path], days: Sequence[date], kind: BaseKind, chunk_rows: int | None,
          ) -> Generator[np.ndarray, None, int]:
    """Yield validated groups; return how many files they held (the rest is the batch reader's)."""
    target = chunk_rows if chunk_rows is not None else np.iinfo(np.int64).max
    done = 0
    group = _Group()
    expected = [str(p) for p in paths]
    try:
        parquet = pads.ParquetFileFormat(
            default_fragment_scan_options=pads.ParquetFragmentScanOptions(page_checksum_verification=True))
        scanner = pads.dataset(expected, format=parquet).scanner(columns=list(COLUMNS[kind]), use_threads=True)
        current = None
        for tagged in scanner.scan_batches():
            path = tagged.fragment.path
            if path != current:  # the next file: it must be the next one asked for (none skipped or empty)
                if group.days and group.rows == group.starts[-1]:
                    return done
                if done + len(group.days) >= len(expected) or path != expected[done + len(group.days)]:
                    return done
                if group.rows >= target:
                    records = group.records(kind)
                    if records is None:
                        return done
                    yield records
                    done += len(group.days)
                    group = _Group()
                current = path
                group.starts.append(group.rows)
                group.days.append(days[done + len(group.days)])
            batch = tagged.record_batch
            if batch.num_rows:
                group.batches.append(batch)
                group.rows += batch.num_rows
    except (pa.ArrowException, OSError):
        return done
    if done + len(group.days) != len(expected) or not group.batches or group.rows == group.starts[-1]:
        return done
    records = group.records(kind)
    if records is None:
        return done
    yield records
    return done + len(group.days)
