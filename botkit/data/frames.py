"""pandas views of record arrays, for users and notebooks: a DataFrame indexed by UTC time.

The engines work on record arrays; these functions only convert at the edges.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from botkit.data.archive import TimeLike, read_archive
from botkit.data.columns import infer_kind, normalize_name, to_records
from botkit.data.event_columns import EventColumns, Events
from botkit.data.kinds import COLUMNS, DTYPES, BaseKind, base_kind, kind_of_dtype
from botkit.data.validate import file_error, validate_columns, validate_records


def to_frame(records: np.ndarray) -> pd.DataFrame:
    """A DataFrame of a record array: a UTC DatetimeIndex named ``ts`` and one column per field."""
    kind_of_dtype(records.dtype)
    index = pd.DatetimeIndex(pd.to_datetime(records["ts"], unit="ns", utc=True), name="ts")
    names = [name for name in records.dtype.names or () if name != "ts"]
    return pd.DataFrame({name: records[name] for name in names}, index=index)


def from_frame(
    frame: pd.DataFrame, kind: str | None = None, source: str = "DataFrame"
) -> np.ndarray:
    """The validated record array of a DataFrame with a ``ts`` column or a DatetimeIndex.

    Column types are as lenient as for files (see ``botkit.data.columns``); ``kind`` is inferred
    from the columns when not given.
    """
    has_ts = {normalize_name(str(c)) for c in frame.columns} & {"ts", "timestamp"}
    if isinstance(frame.index, pd.DatetimeIndex) and not has_ts:
        frame = frame.rename_axis("ts").reset_index()
    else:
        frame = frame.reset_index(drop=True)
    base = base_kind(kind) if kind is not None else infer_kind(map(str, frame.columns), source)
    if len(frame) == 0:
        raise file_error(source, "no rows")
    try:
        table = _to_arrow(frame)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise file_error(source, f"cannot convert the DataFrame ({exc})") from exc
    records = to_records(table, base, source)
    validate_records(records, source)
    return records


def frame_events(frame: pd.DataFrame, kind: str | None = None, source: str = "DataFrame") -> Events:
    """``from_frame``'s events, as the frame's own arrays when they already have the record types.

    A frame whose ``ts`` (a DatetimeIndex, or an int64 or datetime column) and other columns
    (float64; ``side`` int8) need no conversion is validated in place and returned as
    ``EventColumns``, views with no copy; any other frame goes through ``from_frame``. Both give
    the same events and the same errors.
    """
    native = _native_columns(frame, kind, source)
    if native is None:
        return from_frame(frame, kind, source)
    base, columns = native
    validate_columns(columns, base, source)
    return EventColumns(base, columns)


def _native_columns(
    frame: pd.DataFrame, kind: str | None, source: str
) -> tuple[BaseKind, dict[str, np.ndarray]] | None:
    """The frame's columns of its kind, as they are, if every one already has its record type; else None."""
    positions: dict[str, int] = {}
    for position, name in enumerate(frame.columns):
        positions.setdefault(normalize_name(str(name)), position)
    if "ts" not in positions and "timestamp" in positions:
        positions["ts"] = positions["timestamp"]
    if len(frame) == 0:
        return None
    if "ts" in positions:
        ts = _native_ts(frame.iloc[:, positions["ts"]])
    elif isinstance(frame.index, pd.DatetimeIndex):
        ts = _native_ts(frame.index)
    else:
        return None
    if ts is None:
        return None
    base = base_kind(kind) if kind is not None else infer_kind(map(str, frame.columns), source)
    dtype = DTYPES[base]
    columns = {"ts": ts}
    for name in COLUMNS[base][1:]:
        if name not in positions:
            return None
        column = frame.iloc[:, positions[name]]
        if not isinstance(column.dtype, np.dtype) or column.dtype != dtype[name]:
            return None
        columns[name] = column.to_numpy()
    return base, columns


def _native_ts(values: pd.Index | pd.Series) -> np.ndarray | None:
    """Integer ns UTC of a datetime (naive: UTC) or int64 ``ts``, or None if it needs converting or has gaps."""
    if isinstance(values.dtype, np.dtype) and values.dtype == np.int64:
        return values.to_numpy()
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        return None
    index = pd.DatetimeIndex(values)
    if index.hasnans:
        return None
    ts: np.ndarray = index.as_unit("ns").asi8
    return ts


def read_archive_frame(
    root: str | Path,
    venue: str,
    symbol: str,
    kind: str,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> pd.DataFrame:
    """``read_archive`` as a DataFrame indexed by UTC time, for notebooks."""
    return to_frame(read_archive(root, venue, symbol, kind, start, end))


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Columns as Arrow arrays; float NaN stays NaN (pandas would make it null, i.e. missing)."""
    arrays = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype) and isinstance(column.dtype, np.dtype):
            arrays[str(name)] = pa.array(column.to_numpy(), from_pandas=False)
        else:
            arrays[str(name)] = pa.array(column, from_pandas=True)
    return pa.table(arrays)
