"""Events of one kind held as separate column arrays: a record array's read interface, without copying.

A DataFrame's float columns and its DatetimeIndex are already numpy arrays; gathering them into a
record array (``BAR_DTYPE``…) copies every value into strided rows, which costs more than a
compiled replay of them. The replays only read whole columns (``events["close"]``), slices
(``events[lo:hi]``), ``len`` and ``dtype.names``, so ``EventColumns`` offers exactly that on the
frame's own arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

import numpy as np

from botkit.data.kinds import COLUMNS, DTYPES, BaseKind


class EventColumns:
    """The columns of ``kind``'s records as separate arrays of the record dtype's types, equal lengths.

    Indexing as a record array: by field name (the column), by slice, mask or index array (the
    selected rows, as ``EventColumns``), by integer (that row, as a record).
    """

    __slots__ = ("_columns", "dtype", "kind")

    def __init__(self, kind: BaseKind, columns: Mapping[str, np.ndarray]) -> None:
        dtype = DTYPES[kind]
        lengths = {len(columns[name]) for name in COLUMNS[kind]}
        if len(lengths) != 1:
            raise ValueError(f"EventColumns: the columns of {kind} differ in length ({sorted(lengths)})")
        for name in COLUMNS[kind]:
            if columns[name].dtype != dtype[name]:
                raise TypeError(f"EventColumns: column {name!r} is {columns[name].dtype}, expected {dtype[name]}")
        self.kind = kind
        self.dtype = dtype
        """The record dtype these columns stand for (``dtype.names`` are the columns)."""
        self._columns = {name: columns[name] for name in COLUMNS[kind]}

    def __len__(self) -> int:
        return len(self._columns["ts"])

    @overload
    def __getitem__(self, key: str) -> np.ndarray: ...

    @overload
    def __getitem__(self, key: int) -> np.void: ...

    @overload
    def __getitem__(self, key: slice | np.ndarray) -> EventColumns: ...

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self._columns[key]
        if isinstance(key, int | np.integer):
            row = np.empty(1, dtype=self.dtype)
            for name, column in self._columns.items():
                row[name] = column[key]
            return row[0]
        return EventColumns(self.kind, {name: column[key] for name, column in self._columns.items()})

    def to_records(self) -> np.ndarray:
        """The record array of these events (a copy)."""
        records = np.empty(len(self), dtype=self.dtype)
        for name, column in self._columns.items():
            records[name] = column
        return records


Events = np.ndarray | EventColumns
"""Events of one kind: a record array or its columns."""


def as_records(events: Events) -> np.ndarray:
    """``events`` as a record array (a copy only for ``EventColumns``)."""
    return events.to_records() if isinstance(events, EventColumns) else events
