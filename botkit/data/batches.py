"""Reading a run of archive day files in batches: many small files decoded and checked at once.

Opening, decoding, converting and validating one small day file at a time is dominated by fixed
per-file costs. So here the calling thread only opens the files, in day order (small files are
read into memory whole), while a thread pool parses and decodes them up to ``READ_AHEAD_FILES``
files ahead (pyarrow releases the GIL while it works). Consecutive small files are gathered into
a batch of at most ``BATCH_ROWS`` rows (and at most the caller's chunk size), which is
concatenated, converted and validated in one vectorised pass on the pool while the next batch is
read, and written straight into the output chunk. A file larger than a batch is streamed row
group by row group instead. Memory stays near the output chunk plus three batches whatever the
archive's size. With fewer than ``READ_AHEAD_MIN_ROWS`` rows per chunk nothing is read ahead:
each file is opened when it is reached, and a batch is yielded as soon as the next file does not
fit in it.

Errors are as precise as when files are read one by one: a batch that fails any check is checked
again file by file and row group by row group, which raises the exact error (file, 1-based row,
problem) after yielding the rows before it; a file that cannot be opened or decoded raises when
it is reached, after the rows of the files before it.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from botkit.core.errors import DataError
from botkit.data.chunks import ChunkWriter
from botkit.data.columns import records_from_columns, to_columns
from botkit.data.kinds import DTYPES, BaseKind
from botkit.data.layout import parse_day_file
from botkit.data.parquet import (
    OpenedFile,
    ParquetPlan,
    iter_plan,
    open_parquet,
    plan_parquet,
    read_plan,
)
from botkit.data.validate import pieces_are_valid

BATCH_ROWS = 262_144
"""The most rows converted and checked as one batch (about 180 days of one-minute bars)."""

BATCH_FILES = 1_024
"""The most day files in one batch."""

READ_AHEAD_MIN_ROWS = 65_536
"""With fewer ``chunk_rows`` than this, files are opened one at a time rather than read ahead."""

DECODE_THREADS = min(4, os.cpu_count() or 1)
"""Threads parsing, decoding and checking files."""

READ_AHEAD_FILES = 16
"""Files opened ahead of the one being batched; decoded ahead while their rows fit in a batch."""


@dataclass(frozen=True)
class _ReadFile:
    """A day file, parsed and planned; its planned rows, if decoded yet."""

    plan: ParquetPlan
    day: date | None
    table: pa.Table | None


@dataclass
class _Batch:
    """Consecutive small files gathered for one conversion and check: their decoded rows."""

    files: list[_ReadFile] = field(default_factory=list)
    tables: list[pa.Table] = field(default_factory=list)
    rows: int = 0


@dataclass(frozen=True)
class _CheckedBatch:
    """A batch after conversion and validation.

    If every check ``passed``, its rows in range were written into the output chunk (``written``
    rows) or, if they might not fit there, are in ``records``. Else its files are checked again
    one by one to find the exact error.
    """

    batch: _Batch
    passed: bool
    written: int = 0
    records: np.ndarray | None = None


class _RowBudget:
    """Rows that may be decoded ahead, shared by the decoding threads."""

    def __init__(self, rows: int) -> None:
        self._left = rows
        self._lock = threading.Lock()

    def take(self, rows: int) -> bool:
        """Take ``rows`` rows if that many are left."""
        with self._lock:
            if rows > self._left:
                return False
            self._left -= rows
            return True

    def give_back(self, rows: int) -> None:
        """Return rows taken, once their file has left the read-ahead."""
        with self._lock:
            self._left += rows


def iter_day_files(
    paths: Iterable[Path],
    kind: BaseKind,
    *,
    start_ns: int,
    end_ns: int,
    chunk_rows: int | None,
) -> Iterator[np.ndarray]:
    """The validated rows of archive day files with ``start_ns <= ts < end_ns``, in file order.

    ``paths`` are day files in day order; each must hold rows of its own UTC day only. Every
    record array but the last has exactly ``chunk_rows`` rows; with None, all rows come as one.
    """
    pool = ThreadPoolExecutor(DECODE_THREADS, thread_name_prefix="botkit-parquet")
    try:
        yield from _DayFileReader(pool, kind, start_ns, end_ns, chunk_rows).read(paths)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _DayFileReader:
    """One pass of ``iter_day_files``: files read ahead, a batch gathered, a batch checked."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        kind: BaseKind,
        start_ns: int,
        end_ns: int,
        chunk_rows: int | None,
    ) -> None:
        self.pool = pool
        self.kind = kind
        self.start_ns, self.end_ns = start_ns, end_ns
        self.chunk_rows = chunk_rows
        self.budget = BATCH_ROWS if chunk_rows is None else min(chunk_rows, BATCH_ROWS)
        self.ahead = READ_AHEAD_FILES if self.budget >= READ_AHEAD_MIN_ROWS else 0
        self.decoded_ahead = _RowBudget(self.budget)  # files read ahead hold at most one batch
        self.batch = _Batch()
        self.checking: Future[_CheckedBatch] | None = None  # the batch before ``batch``
        self.output = ChunkWriter(DTYPES[kind], chunk_rows)

    def read(self, paths: Iterable[Path]) -> Iterator[np.ndarray]:
        """The rows of ``paths``, as ``iter_day_files`` yields them."""
        reading: deque[Future[_ReadFile]] = deque()
        for path in paths:
            reading.append(self._start(path))
            while len(reading) > self.ahead:
                yield from self._take(reading.popleft())
        while reading:
            yield from self._take(reading.popleft())
        yield from self._flush()
        yield from self.output.finish()

    def _start(self, path: Path) -> Future[_ReadFile]:
        """Open ``path`` here, so files are opened in order; parse and decode it on the pool."""
        try:
            opened = open_parquet(path)
        except DataError as exc:
            failed: Future[_ReadFile] = Future()
            failed.set_exception(exc)
            return failed
        day = parse_day_file(path)
        return self.pool.submit(self._parse_and_decode, opened, day)

    def _parse_and_decode(self, opened: OpenedFile, day: date | None) -> _ReadFile:
        plan = plan_parquet(opened, self.kind, start_ns=self.start_ns, end_ns=self.end_ns)
        if plan.num_rows and self.decoded_ahead.take(plan.num_rows):
            return _ReadFile(plan, day, read_plan(plan))
        return _ReadFile(plan, day, None)

    def _take(self, reading: Future[_ReadFile]) -> Iterator[np.ndarray]:
        """Add a file read to the batch, or stream it if it is too large for one."""
        try:
            read = reading.result()
        except DataError:
            yield from self._flush()  # the rows and errors of earlier files come first
            raise
        rows = read.plan.num_rows
        if read.table is not None:
            self.decoded_ahead.give_back(rows)
        if rows == 0:  # no row group can hold rows in the range
            return
        if rows > self.budget:
            yield from self._flush()
            for records in iter_plan(
                read.plan,
                chunk_rows=self.chunk_rows,
                start_ns=self.start_ns,
                end_ns=self.end_ns,
                day=read.day,
            ):
                yield from self.output.add(records)
            return
        table = read.table
        if table is None:  # not decoded ahead
            try:
                table = read_plan(read.plan)
            except DataError:
                yield from self._flush()
                raise
        if self.batch.rows + rows > self.budget or len(self.batch.files) == BATCH_FILES:
            full, self.batch = self.batch, _Batch()
            yield from self._emit(self.checking)
            self.checking = None
            room = self.output.room(full.rows)
            if self.ahead:  # check it on the pool while the next batch is read
                self.checking = self.pool.submit(self._check, full, room)
            else:
                yield from self._emit(self._check(full, room))
        self.batch.files.append(read)
        self.batch.tables.append(table)
        self.batch.rows += rows

    def _flush(self) -> Iterator[np.ndarray]:
        """The rows of the batch being checked and of the batch being gathered."""
        yield from self._emit(self.checking)
        self.checking = None
        if self.batch.files:
            batch, self.batch = self.batch, _Batch()
            yield from self._emit(self._check(batch, self.output.room(batch.rows)))

    def _check(self, batch: _Batch, room: tuple[np.ndarray, int] | None) -> _CheckedBatch:
        """Convert and check a batch in one pass; write its rows in range into ``room``."""
        columns = _convert_and_check(self.kind, batch)
        if columns is None:
            return _CheckedBatch(batch, passed=False)
        # Rows are sorted within each run of contiguous row groups of a file, so selecting with
        # a mask keeps exactly the rows that selecting run by run with searchsorted would.
        ts = columns["ts"]
        inside = (ts >= self.start_ns) & (ts < self.end_ns)
        rows = None if inside.all() else inside
        if room is None:
            records = records_from_columns(columns, self.kind, rows)
            return _CheckedBatch(batch, passed=True, records=records)
        chunk, offset = room
        written = records_from_columns(columns, self.kind, rows, out=chunk[offset:])
        return _CheckedBatch(batch, passed=True, written=len(written))

    def _emit(self, checked: _CheckedBatch | Future[_CheckedBatch] | None) -> Iterator[np.ndarray]:
        """A checked batch's rows; if a check failed, its exact error after the rows before it."""
        if isinstance(checked, Future):
            checked = checked.result()
        if checked is None:
            return
        if checked.passed:
            if checked.records is None:
                yield from self.output.wrote(checked.written)
            else:
                yield from self.output.add(checked.records)
            return
        batch = checked.batch  # find and raise the failing check exactly, file by file
        for read, table in zip(batch.files, batch.tables, strict=True):
            for records in iter_plan(
                read.plan, start_ns=self.start_ns, end_ns=self.end_ns, day=read.day, table=table
            ):
                yield from self.output.add(records)


def _convert_and_check(kind: BaseKind, batch: _Batch) -> dict[str, np.ndarray] | None:
    """The columns of a whole batch if every row converts and passes validation, else None."""
    try:
        table = pa.concat_tables(batch.tables)  # fails if the files' schemas differ
        columns = to_columns(table, kind, "batch")
    except (DataError, pa.ArrowException):
        return None
    piece_starts: list[int] = []
    piece_days: list[date] = []
    offset = 0
    for read in batch.files:
        plan = read.plan
        if read.day is None:
            return None
        for index, rows in enumerate(plan.group_rows):
            if not plan.follows(index):  # a run of contiguous row groups starts here
                piece_starts.append(offset)
                piece_days.append(read.day)
            offset += rows
    starts = np.asarray(piece_starts, dtype=np.intp)
    if not pieces_are_valid(columns, kind, starts, piece_days):
        return None
    return columns
