"""Recorded rows on disk: part files written beside the archive, merged into day files atomically.

A recorder's flush writes each table it has as a new **part file**,
``<kind dir>/.parts/<YYYY-MM-DD>.<session>.<n>.parquet``: a write that only ever creates a file
with a fresh name, so however it fails it cannot touch archived data. **Compaction** then merges
a day's parts into the day file ``<kind dir>/<YYYY-MM-DD>.parquet`` that every reader (the
backtester included) sees: the new day file is written beside the old one and renamed over it
(``botkit.data.atomic``), and it names the parts it absorbed in its Parquet key-value metadata
(``botkit.recorded_parts``) *before* they are deleted. A crash between the rename and the
deletions leaves parts that the next compaction recognises and deletes instead of merging them a
second time: no row is ever lost or stored twice. Merging keeps rows sorted by ``ts`` (rows with
equal ``ts`` in the order they were recorded, archived rows first); bars stay unique per ``ts``,
the later bar winning, as ``botkit.data.writer`` does.

When the new rows all come after the archived ones (the usual case: a recorder appending to
today), the day file is copied row group by row group, so compaction holds about one row group
and the new rows in memory whatever the size of the day. Otherwise the day is read whole,
validated and sorted.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from botkit.core.clock import NS_PER_DAY
from botkit.core.errors import DataError
from botkit.data.atomic import atomic_write, fsync_dir
from botkit.data.columns import to_table
from botkit.data.kinds import base_kind, is_event_kind
from botkit.data.layout import day_file_name, day_of, kind_dir, parse_day_file
from botkit.data.parquet import COMPRESSION, ROW_GROUP_ROWS, read_parquet
from botkit.data.recorded import recorded_schema

PARTS_DIR = ".parts"
"""The folder, inside a kind's directory, that holds part files not yet merged into day files."""

MERGED_PARTS_KEY = "botkit.recorded_parts"
"""Parquet key-value metadata of a day file: the JSON list of part files merged into it last."""


@dataclass(frozen=True, slots=True)
class DayParts:
    """The part files of one kind's day waiting to be merged, and the rows they hold."""

    directory: Path
    kind: str
    day: date
    rows: int


def new_session_id(now_ns: int) -> str:
    """A part-file session id that sorts by start time: 16 hex digits of ``now_ns`` and 4 random ones."""
    return f"{now_ns:016x}{secrets.token_hex(2)}"


class PartStore:
    """Writes a recording session's part files and merges part files into day files.

    ``pending()`` lists what this session wrote and has not merged yet; ``leftovers(...)`` finds
    parts on disk that an earlier session did not merge (it crashed, or a write failed).
    """

    def __init__(self, root: str | Path, session: str) -> None:
        self.root = Path(root)
        self.session = session
        self._seq = 0
        self._pending: dict[tuple[Path, date], DayParts] = {}

    def write(self, venue: str, symbol: str, kind: str, day: date, rows: pa.Table) -> Path:
        """Write ``rows`` (sorted by ``ts``, all inside UTC ``day``) as a new part file."""
        directory = kind_dir(self.root, venue, symbol, kind)
        self._seq += 1
        path = directory / PARTS_DIR / f"{day.isoformat()}.{self.session}.{self._seq:08d}.parquet"
        write_table(path, rows)
        key = (directory, day)
        before = self._pending.get(key)
        self._pending[key] = DayParts(directory, kind, day, rows.num_rows + (before.rows if before else 0))
        return path

    def pending(self) -> list[DayParts]:
        """The days this session wrote parts for and has not merged yet, oldest first."""
        return sorted(self._pending.values(), key=lambda p: (p.day, str(p.directory)))

    def leftovers(self, venue: str, symbols: list[str]) -> list[DayParts]:
        """Days with part files on disk under ``venue``'s ``symbols`` (any kind), oldest first."""
        found = []
        for symbol in symbols:
            symbol_dir = self.root / venue / symbol
            if not symbol_dir.is_dir():
                continue
            for directory in sorted(p for p in symbol_dir.iterdir() if (p / PARTS_DIR).is_dir()):
                days: dict[date, int] = {}
                for part in _parts(directory):
                    day = parse_day_file(part.name.split(".", 1)[0] + ".parquet")
                    if day is not None:
                        days[day] = days.get(day, 0) + 1
                found += [DayParts(directory, directory.name, day, 0) for day in sorted(days)]
        return sorted(found, key=lambda p: (p.day, str(p.directory)))

    def compact(self, parts: DayParts) -> Path | None:
        """Merge the day's part files into its day file; returns the day file, or None if nothing to merge.

        Raises what reading or writing raised (OSError, DataError); the day file and the parts are
        then as they were, and a later call retries.
        """
        self._pending.pop((parts.directory, parts.day), None)
        try:
            return compact_day(parts.directory, parts.kind, parts.day)
        except BaseException:
            self._pending[(parts.directory, parts.day)] = parts
            raise


def compact_day(directory: Path, kind: str, day: date) -> Path | None:
    """Merge ``directory``'s part files of ``day`` into its day file (see the module)."""
    prefix = f"{day.isoformat()}."
    parts = [p for p in _parts(directory) if p.name.startswith(prefix)]
    if not parts:
        return None
    target = directory / day_file_name(day)
    already = merged_parts(target)
    stale = [p for p in parts if p.name in already]
    fresh = [p for p in parts if p.name not in already]
    if fresh:
        schema = recorded_schema(kind)
        new = pa.concat_tables([pq.read_table(p, columns=schema.names).cast(schema) for p in fresh])
        new = _ordered(new, kind)
        names = [p.name for p in fresh + stale]
        _merge_into(target, new, kind, day, {MERGED_PARTS_KEY: json.dumps(names)})
        fsync_dir(directory)
    for part in parts:
        part.unlink(missing_ok=True)
    parts_dir = directory / PARTS_DIR
    fsync_dir(parts_dir)
    if not any(parts_dir.iterdir()):
        parts_dir.rmdir()
    return target


def merged_parts(day_file: Path) -> set[str]:
    """The part files a day file says it absorbed (empty if it does not exist or says nothing)."""
    if not day_file.exists():
        return set()
    try:
        metadata = pq.read_metadata(day_file).metadata or {}
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{day_file}: not a readable Parquet file ({exc})") from exc
    raw = metadata.get(MERGED_PARTS_KEY.encode())
    return set(json.loads(raw)) if raw else set()


def write_table(path: Path, table: pa.Table, *, metadata: dict[str, str] | None = None,
                sync_dir: bool = True) -> None:
    """Write ``table`` to ``path`` atomically, encoded as the archive's day files are."""
    with atomic_write(path, sync_dir=sync_dir) as handle, \
            _ArchiveParquetWriter(handle, table.schema, metadata) as writer:
        writer.write_table(table, row_group_size=ROW_GROUP_ROWS)


class _ArchiveParquetWriter:
    """A ParquetWriter with the archive's settings as a context manager (metadata added at close)."""

    def __init__(self, handle: object, schema: pa.Schema, metadata: dict[str, str] | None) -> None:
        text = [f.name for f in schema if pa.types.is_string(f.type)]
        encodings = {
            f.name: "BYTE_STREAM_SPLIT" if pa.types.is_floating(f.type) else "DELTA_BINARY_PACKED"
            for f in schema
            if f.name not in text and (pa.types.is_floating(f.type) or pa.types.is_timestamp(f.type)
                                       or pa.types.is_int64(f.type))
        }
        self.writer = pq.ParquetWriter(
            handle, schema.remove_metadata(), compression=COMPRESSION, use_dictionary=text or False,
            column_encoding=encodings, store_schema=False, write_page_checksum=True,
        )
        self.metadata = metadata

    def __enter__(self) -> pq.ParquetWriter:
        return self.writer

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None and self.metadata:
            self.writer.add_key_value_metadata(self.metadata)
        self.writer.close()


def _parts(directory: Path) -> list[Path]:
    """The part files in a kind directory's parts folder, in name (= recording) order."""
    folder = directory / PARTS_DIR
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        names = [e.name for e in entries if e.is_file() and e.name.endswith(".parquet") and not e.name.startswith(".")]
    return [folder / name for name in sorted(names)]


def split_by_day(table: pa.Table) -> Iterator[tuple[date, pa.Table]]:
    """The (UTC day, rows of that day) pieces of a table sorted by ``ts``."""
    ts = _ts(table)
    if len(ts) == 0:
        return
    day_numbers = ts // NS_PER_DAY
    borders = np.flatnonzero(day_numbers[1:] != day_numbers[:-1]) + 1
    starts = [0, *borders.tolist()]
    ends = [*borders.tolist(), len(ts)]
    for lo, hi in zip(starts, ends, strict=True):
        yield day_of(int(ts[lo])), table.slice(lo, hi - lo)


def _ts(table: pa.Table) -> np.ndarray:
    return np.asarray(table.column("ts").cast(pa.int64()).to_numpy())


def _ordered(table: pa.Table, kind: str) -> pa.Table:
    """``table`` sorted by ``ts`` (stable); for bars, one row per ``ts``, the last one."""
    ts = _ts(table)
    if len(ts) > 1 and not bool(np.all(ts[1:] >= ts[:-1])):
        order = np.argsort(ts, kind="stable")
        table, ts = table.take(order), ts[order]
    if kind.startswith("bars") and len(ts) > 1:
        table = table.filter(pa.array(np.append(ts[1:] != ts[:-1], True)))
    return table


def _merge_into(target: Path, new: pa.Table, kind: str, day: date, metadata: dict[str, str]) -> None:
    """Write ``target`` = its rows and ``new``'s, atomically, naming ``metadata``'s parts."""
    if not target.exists():
        write_table(target, new, metadata=metadata, sync_dir=False)
        return
    schema = recorded_schema(kind)
    try:
        archived = pq.ParquetFile(target, page_checksum_verification=True)
        appendable = _appendable(archived, schema, kind, int(_ts(new)[0]))
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{target}: not a readable Parquet file ({exc})") from exc
    if not appendable:
        merged = _ordered(pa.concat_tables([_read_whole(target, kind, day, schema), new]), kind)
        write_table(target, merged, metadata=metadata, sync_dir=False)
        return
    with atomic_write(target, sync_dir=False) as handle, _ArchiveParquetWriter(handle, schema, metadata) as writer:
        waiting: list[pa.Table] = []
        for group in range(archived.metadata.num_row_groups):
            waiting = _write_full_groups(writer, [*waiting, archived.read_row_group(group).replace_schema_metadata()])
        waiting = _write_full_groups(writer, [*waiting, new])
        if waiting:
            writer.write_table(pa.concat_tables(waiting), row_group_size=ROW_GROUP_ROWS)


def _appendable(archived: pq.ParquetFile, schema: pa.Schema, kind: str, first_new_ts: int) -> bool:
    """Whether ``new`` rows starting at ``first_new_ts`` can follow the archived file's rows as they are."""
    if not archived.schema_arrow.remove_metadata().equals(schema) or archived.metadata.num_row_groups == 0:
        return False
    stats = archived.metadata.row_group(archived.metadata.num_row_groups - 1).column(0).statistics
    if stats is None or not stats.has_min_max or not isinstance(stats.max_raw, int):
        return False
    last = stats.max_raw
    return first_new_ts > last if kind.startswith("bars") else first_new_ts >= last


def _read_whole(target: Path, kind: str, day: date, schema: pa.Schema) -> pa.Table:
    if is_event_kind(kind):
        return pq.read_table(target, columns=schema.names).cast(schema)
    return to_table(read_parquet(target, base_kind(kind), day=day))


def _write_full_groups(writer: pq.ParquetWriter, waiting: list[pa.Table]) -> list[pa.Table]:
    """Write whole row groups of ``ROW_GROUP_ROWS`` rows from ``waiting``; returns what is left over."""
    rows = sum(t.num_rows for t in waiting)
    if rows < ROW_GROUP_ROWS:
        return waiting
    combined = pa.concat_tables(waiting)
    full = rows - rows % ROW_GROUP_ROWS
    writer.write_table(combined.slice(0, full), row_group_size=ROW_GROUP_ROWS)
    rest = combined.slice(full)
    return [rest] if rest.num_rows else []
