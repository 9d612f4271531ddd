"""Reading one user-supplied data file (``--data FILE``): CSV or Parquet, bars, trades or quotes.

The kind is inferred from the columns unless given. Rows are validated and reported by their
1-based data row (row 1 is the line after a CSV header). Integer ``ts`` may be seconds,
milliseconds, microseconds or nanoseconds since 1970, told apart by their size; integers that are
no time after 1973 in any unit are refused, so a file never replays in 1970. See docs/data.md for
the accepted columns.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from botkit.data.chunks import concat_records
from botkit.data.columns import infer_kind, integer_ts_as_ns, normalize_name, to_records
from botkit.data.kinds import COLUMNS, DTYPES, BaseKind, base_kind
from botkit.data.parquet import iter_plan, plan_parquet
from botkit.data.validate import file_error, validate_records

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt")
MAX_HEADER_CHARS = 65_536
"""Longest header line read: a header names a handful of columns."""


def read_file(path: str | Path, kind: str | None = None) -> np.ndarray:
    """The validated records of one CSV or Parquet file; ``kind`` (e.g. ``bars_1m``) or inferred.

    The record dtype (BAR_DTYPE, TRADE_DTYPE or QUOTE_DTYPE) tells which kind was read.
    """
    name = Path(path).name.lower()
    base = base_kind(kind) if kind is not None else None
    if name.endswith(PARQUET_SUFFIXES):
        return _read_parquet_file(path, base)
    if name.endswith(CSV_SUFFIXES):
        return read_csv(path, base)
    raise file_error(
        str(path), f"unsupported file type: use {', '.join(PARQUET_SUFFIXES + CSV_SUFFIXES)}"
    )


def read_csv(path: str | Path, kind: BaseKind | None = None) -> np.ndarray:
    """The validated records of a CSV file with a header row (``,``, ``;`` or tab separated)."""
    source = str(path)
    header, delimiter = _read_header(path)
    base = kind or infer_kind(header, source)
    wanted = set(COLUMNS[base]) | {"timestamp"}
    # Read the columns botkit uses as text and convert them itself, for exact row numbers in errors.
    used = [name for name in header if normalize_name(name) in wanted]
    try:
        table = pv.read_csv(
            path,
            parse_options=pv.ParseOptions(delimiter=delimiter),
            convert_options=pv.ConvertOptions(
                column_types={name: pa.string() for name in used},
                include_columns=used,
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, OSError) as exc:
        raise file_error(source, f"cannot read CSV ({exc})") from exc
    if table.num_rows == 0:
        raise file_error(source, "no data rows (only a header)")
    records = to_records(table, base, source, ts_units=True)
    validate_records(records, source)
    return records


def _read_parquet_file(path: str | Path, kind: BaseKind | None) -> np.ndarray:
    """``read_parquet``, with integer ``ts`` in seconds, milliseconds or microseconds taken as such."""
    plan = plan_parquet(path, kind)
    ts_name = plan.columns[0] if plan.columns else ""
    schema = plan.file.schema_arrow
    integer_ts = normalize_name(ts_name) in ("ts", "timestamp") and pa.types.is_integer(schema.field(ts_name).type)
    parts = list(iter_plan(plan))
    records = concat_records(parts) if len(parts) > 1 else parts[0] if parts else np.empty(0, DTYPES[plan.kind])
    if integer_ts:
        records["ts"] = integer_ts_as_ns(records["ts"], str(path))
    return records


def _read_header(path: str | Path) -> tuple[list[str], str]:
    """The column names of a CSV file and its delimiter, guessed from the header line."""
    source = str(path)
    try:
        opener = gzip.open if str(path).lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            line = handle.readline(MAX_HEADER_CHARS + 1)
    except FileNotFoundError as exc:
        raise file_error(source, "file not found") from exc
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:  # EOFError: a truncated .gz
        raise file_error(source, f"cannot read CSV ({exc})") from exc
    if len(line) > MAX_HEADER_CHARS:
        raise file_error(source, f"the first line is longer than {MAX_HEADER_CHARS:,} characters: a CSV file "
                                 "starts with a header row of column names (ts, open, ...)")
    if not line.strip():
        raise file_error(source, "empty file (no header and no rows)")
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d])
    try:
        return next(csv.reader([line], delimiter=delimiter)), delimiter
    except csv.Error as exc:
        raise file_error(source, f"cannot read the CSV header ({exc})") from exc
