"""Reading and writing one Parquet file of records: whole, or chunk by chunk within a time range.

Archive files are written in row groups of ``ROW_GROUP_ROWS`` rows, compressed with zstd, with
page checksums (verified on reading, so a damaged page is an error rather than wrong numbers), in
the archive schema (see ``botkit.data.columns``). Chunked reading decodes one row group at a
time and skips row groups whose ``ts`` statistics lie outside the requested range.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from botkit.data.atomic import atomic_write
from botkit.data.columns import infer_kind, normalize_name, to_records, to_table
from botkit.data.kinds import COLUMNS, DTYPES, BaseKind
from botkit.data.validate import file_error, validate_records

ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group in files botkit writes: the unit of memory when reading in chunks."""

COMPRESSION = "zstd"

_NS_PER_UNIT = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def write_parquet(path: str | Path, records: np.ndarray, *, sync_dir: bool = True) -> None:
    """Write a record array to ``path`` atomically (see ``botkit.data.atomic.atomic_write``)."""
    table = to_table(records)
    with atomic_write(path, sync_dir=sync_dir) as handle:
        writer = pq.ParquetWriter(
            handle, table.schema, compression=COMPRESSION, write_page_checksum=True
        )
        try:
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        finally:
            writer.close()


def read_parquet(
    path: str | Path, kind: BaseKind | None = None, *, day: date | None = None
) -> np.ndarray:
    """All rows of one Parquet file as a validated record array; ``kind`` is inferred if None.

    ``day`` (for archive day files) requires every row to fall in that UTC day.
    """
    parts = list(iter_parquet(path, kind, day=day))
    if not parts:
        return np.empty(0, dtype=DTYPES[kind or read_kind(path)])
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts)


def iter_parquet(
    path: str | Path,
    kind: BaseKind | None = None,
    *,
    chunk_rows: int | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    day: date | None = None,
) -> Iterator[np.ndarray]:
    """Validated record arrays of at most ``chunk_rows`` rows (one per row group if None).

    Only rows with ``start_ns <= ts < end_ns`` are yielded, and row groups that cannot hold such
    rows are not read. Sortedness is checked across chunk borders.
    """
    source = str(path)
    parquet = _open(path)
    names = parquet.schema_arrow.names
    base = kind or infer_kind(names, source)
    columns = _columns_to_read(names, base)
    metadata = parquet.metadata
    if metadata.num_rows == 0:
        raise file_error(source, "no rows (empty file)")
    ts_index, ts_scale = _ts_statistics_scale(parquet.schema_arrow, columns)

    first_row = 1
    prev_ts: int | None = None
    for group in range(metadata.num_row_groups):
        group_rows = metadata.row_group(group).num_rows
        if not _may_overlap(metadata.row_group(group), ts_index, ts_scale, start_ns, end_ns):
            first_row += group_rows
            prev_ts = None
            continue
        try:
            batches = parquet.iter_batches(
                batch_size=chunk_rows or max(group_rows, 1), row_groups=[group], columns=columns
            )
            for batch in batches:
                records = to_records(batch, base, source, first_row)
                validate_records(records, source, first_row=first_row, prev_ts=prev_ts, day=day)
                first_row += len(records)
                if len(records):
                    prev_ts = int(records["ts"][-1])
                    selected = _in_range(records, start_ns, end_ns)
                    if len(selected):
                        yield selected
        except (pa.ArrowException, OSError) as exc:
            raise file_error(source, f"not a readable Parquet file ({exc})") from exc


def read_kind(path: str | Path) -> BaseKind:
    """The base kind of a Parquet file, from its column names."""
    return infer_kind(_open(path).schema_arrow.names, str(path))


def _open(path: str | Path) -> pq.ParquetFile:
    if not Path(path).is_file():
        raise file_error(str(path), "file not found")
    try:
        return pq.ParquetFile(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError) as exc:
        raise file_error(str(path), f"not a readable Parquet file ({exc})") from exc


def _columns_to_read(names: list[str], kind: BaseKind) -> list[str]:
    """The file's own names of the columns ``kind`` needs that it has, ``ts`` first."""
    by_normal: dict[str, str] = {}
    for name in names:
        by_normal.setdefault(normalize_name(name), name)
    if "ts" not in by_normal and "timestamp" in by_normal:
        by_normal["ts"] = by_normal["timestamp"]
    # Missing columns are left out here and reported by to_records with the full list of names.
    return [by_normal[c] for c in COLUMNS[kind] if c in by_normal]


def _ts_statistics_scale(schema: pa.Schema, columns: list[str]) -> tuple[int | None, int]:
    """The index of the ts column and the ns per unit of its raw statistics (None: unusable)."""
    if not columns or columns[0] not in schema.names:
        return None, 1
    index = schema.names.index(columns[0])
    kind = schema.field(index).type
    if pa.types.is_timestamp(kind):
        return index, _NS_PER_UNIT[kind.unit]
    if pa.types.is_integer(kind):
        return index, 1
    return None, 1


def _may_overlap(
    group: pq.RowGroupMetaData,
    ts_index: int | None,
    scale: int,
    start_ns: int | None,
    end_ns: int | None,
) -> bool:
    if ts_index is None or (start_ns is None and end_ns is None):
        return True
    stats = group.column(ts_index).statistics
    if stats is None or not stats.has_min_max:
        return True
    low, high = stats.min_raw, stats.max_raw
    if not isinstance(low, int) or not isinstance(high, int):
        return True  # e.g. legacy INT96 timestamps
    low, high = low * scale, high * scale
    return (start_ns is None or high >= start_ns) and (end_ns is None or low < end_ns)


def _in_range(records: np.ndarray, start_ns: int | None, end_ns: int | None) -> np.ndarray:
    ts = records["ts"]
    lo = 0 if start_ns is None else int(np.searchsorted(ts, start_ns, side="left"))
    hi = len(ts) if end_ns is None else int(np.searchsorted(ts, end_ns, side="left"))
    return records[lo:hi]
