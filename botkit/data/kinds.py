"""The kinds of market data botkit stores, their columns, record dtypes and bar intervals.

A kind is ``trades``, ``quotes``, ``bars`` (bars of unstated interval) or ``bars_<interval>``
such as ``bars_1m`` or ``bars_1h``. Intervals are a positive integer and a unit: ``ms``, ``s``,
``m``, ``h`` or ``d``.
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

_UNIT_NS = {
    "ms": 1_000_000,
    "s": NS_PER_SECOND,
    "m": NS_PER_MINUTE,
    "h": 60 * NS_PER_MINUTE,
    "d": NS_PER_DAY,
}
_INTERVAL_RE = re.compile(r"(\d+)(ms|s|m|h|d)")
_VALID = "trades, quotes, bars or bars_<interval> such as bars_1m, bars_1h (units: ms, s, m, h, d)"


def interval_to_ns(interval: str) -> int:
    """Nanoseconds in a bar interval such as ``"1m"``, ``"15s"``, ``"4h"`` or ``"1d"``."""
    match = _INTERVAL_RE.fullmatch(interval)
    if match is None or int(match.group(1)) == 0:
        raise DataError(f"invalid bar interval {interval!r}: expected e.g. 1m, 15s, 4h, 1d")
    return int(match.group(1)) * _UNIT_NS[match.group(2)]


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
    if kind in BASE_KINDS:
        return kind
    match = _INTERVAL_RE.fullmatch(kind[5:]) if kind.startswith("bars_") else None
    if match is not None and int(match.group(1)) > 0:
        return kind
    raise DataError(f"unknown kind {kind!r}: expected {_VALID}")


def base_kind(kind: str) -> BaseKind:
    """The base kind (``bars``, ``trades`` or ``quotes``) of a kind: ``bars_1m`` → ``bars``."""
    kind = parse_kind(kind)
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
