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
from botkit.data.validate import file_error, format_ts, row_error

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

_INT64_MAX = np.iinfo(np.int64).max
_EARLIEST_S = 100_000_000
"""1973-03-03 in seconds since 1970: integer ts below this in every unit are not times."""
_TS_UNITS = ((1, "nanoseconds"), (1_000, "microseconds"), (1_000_000, "milliseconds"), (1_000_000_000, "seconds"))
_EARLIEST_TS = np.datetime64("1677-09-22", "s")
_LATEST_TS = np.datetime64("2262-04-11", "s")


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


def to_records(
    data: ArrowData, kind: BaseKind, source: str, first_row: int = 1, *, ts_units: bool = False
) -> np.ndarray:
    """The record array (BAR_DTYPE, TRADE_DTYPE or QUOTE_DTYPE) holding ``data``'s rows.

    ``first_row`` is the 1-based file row of ``data``'s first row, for error messages. With
    ``ts_units``, integer ``ts`` may be in seconds, milliseconds or microseconds too (see
    ``integer_ts_as_ns``); without, integers are nanoseconds.
    """
    return records_from_columns(to_columns(data, kind, source, first_row, ts_units=ts_units), kind)


def to_columns(
    data: ArrowData, kind: BaseKind, source: str, first_row: int = 1, *, ts_units: bool = False
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
            out[name] = _ts_to_ns(column, source, first_row, ts_units)
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


def integer_ts_as_ns(values: np.ndarray, source: str, first_row: int = 1) -> np.ndarray:
    """Integer timestamps as nanoseconds, their unit told by their size; DataError if none fits them all.

    Times since 1970 from 1973-03-03 to 2262-04-11 are 1e8 to 9.2e9 in seconds, 1e11 to 9.2e12 in
    milliseconds, 1e14 to 9.2e15 in microseconds and 1e17 on in nanoseconds: the ranges do not
    overlap, so the unit of a column is never a guess. Anything else (small counters, negative
    numbers, a column that mixes units) would replay in 1970 and is refused, naming the row.
    """
    if len(values) == 0:
        return values
    lo, hi = int(values.min()), int(values.max())
    for ns_per_unit, _ in _TS_UNITS:
        if _fits(lo, ns_per_unit) and _fits(hi, ns_per_unit):
            return values if ns_per_unit == 1 else values * ns_per_unit
    first = int(values[0])
    unit = next(((p, name) for p, name in _TS_UNITS if _fits(first, p)), None)
    if unit is None:
        raise row_error(source, first_row, f"ts {first} is not a time: integer ts are seconds, milliseconds, "
                                           f"microseconds or nanoseconds since 1970 (told apart by their size) "
                                           f"of a date from 1973-03-03 to 2262-04-11; or write ISO-8601 text")
    low, high = -(-_EARLIEST_S * 1_000_000_000 // unit[0]), _INT64_MAX // unit[0]
    index = int(np.argmax((values < low) | (values > high)))
    raise row_error(source, first_row + index, f"ts {int(values[index])} is not in {unit[1]} as the first row's "
                                               f"{first} is ({format_ts(first * unit[0])}): one unit per file")


def _fits(value: int, ns_per_unit: int) -> bool:
    return _EARLIEST_S * 1_000_000_000 <= value * ns_per_unit <= _INT64_MAX


def _ts_to_ns(column: pa.Array, source: str, first_row: int, ts_units: bool = False) -> np.ndarray:
    kind = column.type
    try:
        if pa.types.is_timestamp(kind):
            column = pc.cast(column, pa.timestamp("ns", tz=kind.tz))
            return column.cast(pa.int64()).to_numpy()
        if pa.types.is_date(kind):
            return pc.cast(column, pa.timestamp("ns")).cast(pa.int64()).to_numpy()
        if pa.types.is_integer(kind):
            values = pc.cast(column, pa.int64()).to_numpy()
            return integer_ts_as_ns(values, source, first_row) if ts_units else values
    except pa.ArrowInvalid as exc:
        raise file_error(source, f"ts cannot be converted to int64 nanoseconds: {exc}") from exc
    if not _is_text(column):
        raise file_error(
            source, f"ts must be integer nanoseconds, a timestamp or ISO-8601 text, got {kind}"
        )
    text = pc.utf8_trim_whitespace(column)
    try:
        values = pc.cast(text, pa.int64()).to_numpy()
        return integer_ts_as_ns(values, source, first_row) if ts_units else values
    except pa.ArrowInvalid:
        pass
    strings = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    parsed = pd.to_datetime(strings, format="ISO8601", utc=True, errors="coerce").dt.tz_convert(None).to_numpy()
    bad = np.isnat(parsed)
    if bad.any():
        index = int(np.argmax(bad))
        raise row_error(
            source,
            first_row + index,
            f"ts {strings.iloc[index]!r} is neither ISO-8601 time nor integer nanoseconds",
        )
    outside = (parsed < _EARLIEST_TS) | (parsed > _LATEST_TS)  # pandas parses beyond what ns can hold
    if outside.any():
        index = int(np.argmax(outside))
        raise row_error(source, first_row + index, f"ts {strings.iloc[index]!r} is outside the times botkit can "
                                                   "hold (1677-09-22 to 2262-04-11, in nanoseconds)")
    return parsed.astype("datetime64[ns]").view(np.int64)


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
