"""The kinds of market data botkit stores, their columns, record dtypes and bar intervals.

A kind is ``trades``, ``quotes``, ``bars`` (bars of unstated interval) or ``bars_<interval>``
such as ``bars_1m`` or ``bars_1h``. Intervals are a positive integer and a unit: ``ms``, ``s``,
``m``, ``h`` or ``d``. These market kinds become numpy record arrays (``DTYPES``).

The recorder (``botkit.data.recorder``) also stores **event kinds**, whose columns are listed in
``EVENT_COLUMNS`` and which are read as Arrow tables (``botkit.data.recorded.read_recorded``):
book deltas and snapshots with their sequence numbers, gaps (book gaps and resyncs, and the
recorder's own notes), reference prices, a bot's order events and fills, and the arrival order of
a symbol's quotes, trades and bars (``arrivals``: runs of ``count`` rows of one ``kind``).
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np

from botkit.core.clock import NS_PER_DAY, NS_PER_MINUTE, NS_PER_SECOND
from botkit.core.errors import DataError
from botkit.model.records import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE

BaseKind = Literal["bars", "trades", "quotes"]

BASE_KINDS: tuple[BaseKind, ...] = ("bars", "trades", "quotes")

DTYPES: dict[BaseKind, np.dtype] = {"bars": BAR_DTYPE, "trades": TRADE_DTYPE, "quotes": QUOTE_DTYPE}
"""The record dtype of each base kind (from ``botkit.model.records``)."""

COLUMNS: dict[BaseKind, tuple[str, ...]] = {
    kind: tuple(dtype.names or ()) for kind, dtype in DTYPES.items()
}
"""The columns of each base kind, in archive order; ``ts`` first."""

EventKind = Literal["book_deltas", "book_snapshots", "gaps", "prices", "order_events", "fills", "arrivals"]

EVENT_KINDS: tuple[EventKind, ...] = (
    "book_deltas", "book_snapshots", "gaps", "prices", "order_events", "fills", "arrivals",
)

EVENT_COLUMNS: dict[EventKind, tuple[tuple[str, str], ...]] = {
    "book_deltas": (("ts", "ts"), ("sequence", "i8"), ("side", "i1"), ("price", "f8"), ("size", "f8")),
    "book_snapshots": (
        ("ts", "ts"), ("sequence", "i8"), ("side", "i1"), ("level", "i4"), ("price", "f8"), ("size", "f8"),
    ),
    "gaps": (("ts", "ts"), ("event", "str"), ("expected", "i8"), ("received", "i8"), ("count", "i8")),
    "prices": (("ts", "ts"), ("price", "f8"), ("source", "str")),
    "order_events": (
        ("ts", "ts"), ("event", "str"), ("bot", "str"), ("client_order_id", "str"), ("order_id", "str"),
        ("side", "i1"), ("order_type", "i1"), ("qty", "f8"), ("limit_price", "f8"), ("stop_price", "f8"),
        ("status", "str"), ("filled_qty", "f8"), ("avg_fill_price", "f8"), ("tag", "str"), ("code", "str"),
        ("reason", "str"),
    ),
    "fills": (
        ("ts", "ts"), ("bot", "str"), ("client_order_id", "str"), ("order_id", "str"), ("fill_id", "str"),
        ("side", "i1"), ("qty", "f8"), ("price", "f8"), ("fee", "f8"), ("liquidity", "str"),
    ),
    "arrivals": (("ts", "ts"), ("kind", "str"), ("count", "i8")),
}
"""The columns of each event kind and their types, ``ts`` first: ``ts`` is timestamp[ns, UTC],
``i8``/``i4``/``i1`` integers of 64/32/8 bits, ``f8`` float64 (NaN where a value is absent), ``str`` text."""

_UNIT_NS = {
    "ms": 1_000_000,
    "s": NS_PER_SECOND,
    "m": NS_PER_MINUTE,
    "h": 60 * NS_PER_MINUTE,
    "d": NS_PER_DAY,
}
_INTERVAL_RE = re.compile(r"(\d+)(ms|s|m|h|d)")
_VALID = (
    "trades, quotes, bars or bars_<interval> such as bars_1m, bars_1h (units: ms, s, m, h, d), "
    "or an event kind: " + ", ".join(EVENT_KINDS)
)


def interval_to_ns(interval: str) -> int:
    """Nanoseconds in a bar interval such as ``"1m"``, ``"15s"``, ``"4h"`` or ``"1d"``."""
    match = _INTERVAL_RE.fullmatch(interval)
    if match is None or int(match.group(1)) == 0:
        raise DataError(f"invalid bar interval {interval!r}: expected e.g. 1m, 15s, 4h, 1d")
    return int(match.group(1)) * _UNIT_NS[match.group(2)]


def checked_interval(interval: str) -> str:
    """``interval`` if it is a bar interval ``interval_to_ns`` reads; ValueError (for pydantic validators) if not."""
    try:
        interval_to_ns(interval)
    except DataError as error:
        raise ValueError(str(error)) from None
    return interval


def ns_to_interval(interval_ns: int) -> str:
    """The shortest interval text for ``interval_ns`` (``60_000_000_000`` → ``"1m"``)."""
    if interval_ns <= 0 or interval_ns % _UNIT_NS["ms"]:
        raise DataError(f"bar interval must be a positive whole number of ms, got {interval_ns} ns")
    for unit in ("d", "h", "m", "s", "ms"):
        if interval_ns % _UNIT_NS[unit] == 0:
            return f"{interval_ns // _UNIT_NS[unit]}{unit}"
    raise AssertionError("unreachable: ms divides interval_ns")


def parse_kind(kind: str) -> str:
    """``kind`` itself if it is a valid kind, else a DataError listing the valid kinds."""
    if kind in BASE_KINDS or kind in EVENT_KINDS:
        return kind
    match = _INTERVAL_RE.fullmatch(kind[5:]) if kind.startswith("bars_") else None
    if match is not None and int(match.group(1)) > 0:
        return kind
    raise DataError(f"unknown kind {kind!r}: expected {_VALID}")


def is_event_kind(kind: str) -> bool:
    """Whether ``kind`` is one of the event kinds (``EVENT_KINDS``), stored as Arrow tables."""
    return kind in EVENT_KINDS


def base_kind(kind: str) -> BaseKind:
    """The base kind (``bars``, ``trades`` or ``quotes``) of a kind: ``bars_1m`` → ``bars``.

    Event kinds have no record dtype: asking for theirs is a DataError saying how to read them.
    """
    kind = parse_kind(kind)
    if kind in EVENT_KINDS:
        raise DataError(
            f"{kind} is an event kind (columns: {', '.join(n for n, _ in EVENT_COLUMNS[kind])}), not a market "
            "kind with a record dtype: read it with botkit.data.recorded.read_recorded"
        )
    if kind.startswith("bars"):
        return "bars"
    return "trades" if kind == "trades" else "quotes"


def bar_kind(interval_ns: int) -> str:
    """The kind of bars with this interval: ``60_000_000_000`` → ``"bars_1m"``."""
    return f"bars_{ns_to_interval(interval_ns)}"


def kind_interval_ns(kind: str) -> int | None:
    """The bar interval written in a kind (``bars_1h`` → 3.6e12 ns), or None if it has none."""
    kind = parse_kind(kind)
    return interval_to_ns(kind[5:]) if kind.startswith("bars_") else None


def kind_of_dtype(dtype: np.dtype) -> BaseKind:
    """The base kind whose record dtype is ``dtype``, for arrays handed to writers and frames."""
    for kind, candidate in DTYPES.items():
        if dtype == candidate:
            return kind
    raise DataError(
        f"records have dtype {dtype}, which is not BAR_DTYPE, TRADE_DTYPE or QUOTE_DTYPE"
    )
