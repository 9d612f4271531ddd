"""Conversion between Arrow tables (from Parquet, CSV or pandas) and botkit's record arrays.

Reading is lenient about types and strict about values: ``ts`` may be integer nanoseconds, an
Arrow timestamp of any unit and zone, a date, or ISO-8601 text; prices and sizes may be any numeric
type or numeric text; ``side`` may be +1/-1 or ``buy``/``sell``. Column names are matched
case-insensitively, ``timestamp`` is accepted for ``ts``, and extra columns are ignored.
Anything that cannot be converted is a DataError naming the file, the row and the value.

Writing produces the archive schema: ``ts`` as ``timestamp[ns, tz=UTC]``, prices and sizes as
``float64`` and ``side`` as ``int8``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from botkit.core.errors import DataError
from botkit.data.kinds import COLUMNS, DTYPES, BaseKind, kind_of_dtype
from botkit.data.validate import file_error, row_error

TS_TYPE = pa.timestamp("ns", tz="UTC")
"""How the archive stores ``ts``: self-describing for pandas, DuckDB and Polars, exact to the ns."""

_TS_ALIASES = ("timestamp",)
_SIDES = {"1": 1, "+1": 1, "buy": 1, "b": 1, "-1": -1, "sell": -1, "s": -1}
# Columns that show which kind a file holds.
_SIGNATURES: dict[BaseKind, tuple[str, ...]] = {
    "bars": ("open", "high", "low", "close"),
    "trades": ("price",),
    "quotes": ("bid", "ask"),
}

ArrowData: TypeAlias = "pa.Table | pa.RecordBatch"


def archive_schema(kind: BaseKind) -> pa.Schema:
    """The Arrow schema of archive files of a base kind."""
    fields = []
    for name in COLUMNS[kind]:
        if name == "ts":
            fields.append(pa.field(name, TS_TYPE, nullable=False))
        elif name == "side":
            fields.append(pa.field(name, pa.int8(), nullable=False))
        else:
            fields.append(pa.field(name, pa.float64(), nullable=False))
    return pa.schema(fields)


def normalize_name(name: str) -> str:
    """A column name as botkit matches it: stripped of spaces and a BOM, lower case."""
    return name.strip().lstrip("\ufeff").strip().lower()


def infer_kind(names: Iterable[str], source: str | None = None) -> BaseKind:
    """The base kind that column names belong to; DataError (naming ``source``) if unclear."""
    names = list(names)
    have = {normalize_name(n) for n in names}
    matches = [k for k, sig in _SIGNATURES.items() if have.intersection(sig)]
    if len(matches) == 1:
        return matches[0]
    expected = "; ".join(f"{k}: {', '.join(COLUMNS[k])}" for k in COLUMNS)
    why = "columns fit more than one kind" if matches else "cannot tell the kind from the columns"
    problem = f"{why} (have: {', '.join(names)}); expected {expected}; or pass the kind"
    raise DataError(problem) if source is None else file_error(source, problem)


def to_records(data: ArrowData, kind: BaseKind, source: str, first_row: int = 1) -> np.ndarray:
    """The record array (BAR_DTYPE, TRADE_DTYPE or QUOTE_DTYPE) holding ``data``'s rows.

    ``first_row`` is the 1-based file row of ``data``'s first row, for error messages.
    """
    return records_from_columns(to_columns(data, kind, source, first_row), kind)


def to_columns(
    data: ArrowData, kind: BaseKind, source: str, first_row: int = 1
) -> dict[str, np.ndarray]:
    """``data``'s columns for ``kind`` as contiguous numpy arrays of the record dtype's types.

    Converts and reports conversion errors exactly as ``to_records`` does.
    """
    by_name: dict[str, int] = {}
    for index, name in enumerate(data.schema.names):
        by_name.setdefault(normalize_name(name), index)
    if "ts" not in by_name:
        for alias in _TS_ALIASES:
            if alias in by_name:
                by_name["ts"] = by_name[alias]
                break
    for name in COLUMNS[kind]:
        if name not in by_name:
            have = ", ".join(data.schema.names)
            raise file_error(source, f"missing column {name!r} (have: {have})")

    out: dict[str, np.ndarray] = {}
    for name in COLUMNS[kind]:
        column = _as_array(data.column(by_name[name]))
        _check_nulls(column, name, source, first_row)
        if name == "ts":
            out[name] = _ts_to_ns(column, source, first_row)
        elif name == "side":
            out[name] = _side_to_int(column, source, first_row)
        else:
            out[name] = _to_float(column, name, source, first_row)
    return out


def records_from_columns(
    columns: Mapping[str, np.ndarray],
    kind: BaseKind,
    rows: np.ndarray | None = None,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The record array of ``kind`` holding ``columns`` (only the ``rows`` mask of them if given).

    With ``out``, the records are written at its start and that part of it is returned.
    """
    count = len(columns["ts"]) if rows is None else int(np.count_nonzero(rows))
    records = np.empty(count, dtype=DTYPES[kind]) if out is None else out[:count]
    for name in COLUMNS[kind]:
        records[name] = columns[name] if rows is None else columns[name][rows]
    return records


def to_table(records: np.ndarray) -> pa.Table:
    """The Arrow table, in the archive schema, of a record array."""
    kind = kind_of_dtype(records.dtype)
    schema = archive_schema(kind)
    arrays = [
        pa.array(np.ascontiguousarray(records[field.name]), type=field.type) for field in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _as_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks()
    return column


def _check_nulls(column: pa.Array, name: str, source: str, first_row: int) -> None:
    if column.null_count:
        index = int(np.argmax(pc.is_null(column).to_numpy(zero_copy_only=False)))
        raise row_error(source, first_row + index, f"{name} is missing")


def _is_text(column: pa.Array) -> bool:
    return pa.types.is_string(column.type) or pa.types.is_large_string(column.type)


def _ts_to_ns(column: pa.Array, source: str, first_row: int) -> np.ndarray:
    kind = column.type
    try:
        if pa.types.is_timestamp(kind):
            column = pc.cast(column, pa.timestamp("ns", tz=kind.tz))
            return column.cast(pa.int64()).to_numpy()
        if pa.types.is_date(kind):
            return pc.cast(column, pa.timestamp("ns")).cast(pa.int64()).to_numpy()
        if pa.types.is_integer(kind):
            return pc.cast(column, pa.int64()).to_numpy()
    except pa.ArrowInvalid as exc:
        raise file_error(source, f"ts cannot be converted to int64 nanoseconds: {exc}") from exc
    if not _is_text(column):
        raise file_error(
            source, f"ts must be integer nanoseconds, a timestamp or ISO-8601 text, got {kind}"
        )
    text = pc.utf8_trim_whitespace(column)
    try:
        return pc.cast(text, pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        pass
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    parsed = pd.to_datetime(strings, format="ISO8601", utc=True, errors="coerce")
    values = parsed.dt.tz_convert(None).dt.as_unit("ns").to_numpy()
    bad = np.isnat(values)
    if bad.any():
        index = int(np.argmax(bad))
        raise row_error(
            source,
            first_row + index,
            f"ts {strings.iloc[index]!r} is neither ISO-8601 time nor integer nanoseconds",
        )
    return values.view(np.int64)


def _to_float(column: pa.Array, name: str, source: str, first_row: int) -> np.ndarray:
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return pc.cast(column, pa.float64()).to_numpy()
    if not _is_text(column):
        raise file_error(source, f"{name} must be a number, got {kind}")
    text = pc.utf8_trim_whitespace(column)
    try:
        return pc.cast(text, pa.float64()).to_numpy()
    except pa.ArrowInvalid:
        strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
        numbers = pd.to_numeric(strings, errors="coerce").to_numpy(dtype=np.float64)
        nan_text = strings.str.lower().str.lstrip("+-").isin(["nan"]).to_numpy()
        index = int(np.argmax(np.isnan(numbers) & ~nan_text))
        raise row_error(
            source, first_row + index, f"{name} is not a number: {strings.iloc[index]!r}"
        ) from None


def _side_to_int(column: pa.Array, source: str, first_row: int) -> np.ndarray:
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = pc.cast(column, pa.float64()).to_numpy()
        bad = (values != 1) & (values != -1)
        if bad.any():
            index = int(np.argmax(bad))
            value = values[index]
            shown = int(value) if float(value).is_integer() else float(value)
            raise row_error(source, first_row + index, f"side must be +1 or -1, got {shown}")
        return values.astype(np.int8)
    if not _is_text(column):
        raise file_error(source, f"side must be +1/-1 or 'buy'/'sell', got {kind}")
    encoded = pc.dictionary_encode(pc.utf8_lower(pc.utf8_trim_whitespace(column)))
    labels = encoded.dictionary.to_pylist()
    codes = np.array([_SIDES.get(label, 0) for label in labels], dtype=np.int8)
    values = codes[encoded.indices.to_numpy()]
    bad = values == 0
    if bad.any():
        index = int(np.argmax(bad))
        raise row_error(
            source,
            first_row + index,
            f"side must be +1/-1 or 'buy'/'sell', got {column[index].as_py()!r}",
        )
    return values
