"""Checked readers of JSON shapes: each names the bad field instead of raising KeyError/TypeError.

``with reading(endpoint):`` turns the ``ShapeError`` these raise into the ``ProtocolError`` botkit
raises for a venue payload that does not match its documented format, e.g.
``syncron ticker: field 'data.bid' must be a finite decimal (> 0), got 'NaN'``. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import TracebackType
from typing import TypeVar

from botkit.core.errors import ProtocolError
from botkit.venues.syncron import wire

NS_PER_MS = 1_000_000
T = TypeVar("T")


class ShapeError(Exception):
    """A shape problem at ``path``; ``reading`` turns it into a ProtocolError naming the endpoint."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem


class Reading:
    """``with reading(endpoint):`` turns a ShapeError into ``ProtocolError("syncron <endpoint>: ...")``."""

    __slots__ = ("endpoint",)

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(error, ShapeError):
            raise ProtocolError(f"{wire.VENUE} {self.endpoint}: field {error.path!r} {error.problem}") from None


reading = Reading


def shown(value: object) -> str:
    """A short repr of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def obj(value: object, path: str) -> Mapping[str, object]:
    """``value`` as a JSON object."""
    if not isinstance(value, dict):
        raise ShapeError(path, f"must be an object, got {shown(value)}")
    return value


def array(value: object, path: str) -> list[object]:
    """``value`` as a JSON array."""
    if not isinstance(value, list):
        raise ShapeError(path, f"must be an array, got {shown(value)}")
    return value


def get(o: Mapping[str, object], name: str, path: str) -> object:
    """Field ``name`` of ``o``; a ShapeError if it is missing."""
    if name not in o:
        raise ShapeError(f"{path}.{name}", "is missing")
    return o[name]


def text(o: Mapping[str, object], name: str, path: str) -> str:
    """A non-empty string field."""
    value = get(o, name, path)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"{path}.{name}", f"must be a non-empty string, got {shown(value)}")
    return value


def integer(o: Mapping[str, object], name: str, path: str) -> int:
    """An integer field (not a bool, not a float) >= 0."""
    value = get(o, name, path)
    if type(value) is not int or value < 0:
        raise ShapeError(f"{path}.{name}", f"must be an integer >= 0, got {shown(value)}")
    return value


def ms_as_ns(o: Mapping[str, object], name: str, path: str) -> int:
    """A millisecond timestamp field, as integer nanoseconds."""
    return integer(o, name, path) * NS_PER_MS


def decimal_value(value: object, path: str, *, signed: bool = False, positive: bool = False) -> float:
    """A decimal (a string, or a JSON number) as a finite float; >= 0 unless ``signed``."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
    elif type(value) in (int, float):
        number = float(value)  # type: ignore[arg-type]
    else:
        raise ShapeError(path, f"must be a decimal string, got {shown(value)}")
    if not math.isfinite(number) or (not signed and number < 0) or (positive and number <= 0):
        rule = "> 0" if positive else "any sign" if signed else ">= 0"
        raise ShapeError(path, f"must be a finite decimal ({rule}), got {shown(value)}")
    return number


def decimal(o: Mapping[str, object], name: str, path: str, *, signed: bool = False, positive: bool = False) -> float:
    """A decimal field."""
    return decimal_value(get(o, name, path), f"{path}.{name}", signed=signed, positive=positive)


def decimal_or_none(
    o: Mapping[str, object], name: str, path: str, *, signed: bool = False, positive: bool = False
) -> float | None:
    """A nullable decimal field (present with ``null``, per the contract)."""
    value = get(o, name, path)
    return None if value is None else decimal_value(value, f"{path}.{name}", signed=signed, positive=positive)


def flag(o: Mapping[str, object], name: str, path: str) -> bool:
    """A boolean field."""
    value = get(o, name, path)
    if not isinstance(value, bool):
        raise ShapeError(f"{path}.{name}", f"must be true or false, got {shown(value)}")
    return value


def choice(o: Mapping[str, object], name: str, path: str, table: Mapping[str, T]) -> T:
    """An enum field, mapped through ``table``."""
    value = get(o, name, path)
    if not isinstance(value, str) or value not in table:
        raise ShapeError(f"{path}.{name}", f"must be one of {sorted(table)}, got {shown(value)}")
    return table[value]


def text_or_none(o: Mapping[str, object], name: str, path: str) -> str | None:
    """A nullable string field."""
    value = get(o, name, path)
    if value is not None and not isinstance(value, str):
        raise ShapeError(f"{path}.{name}", f"must be a string or null, got {shown(value)}")
    return value
