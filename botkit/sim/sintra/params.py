"""Validation of path and query parameters, with the documented 400 codes.

Only ASCII counts: ``str.isdigit()`` and ``str.lower()`` also accept ``'١٢'``, ``'²'`` or the
Kelvin sign, so digits and letters are matched by ``[0-9]`` / ``[a-z]`` patterns on ASCII text.
A refused value is echoed in the message cut to ``MAX_SHOWN_CHARS``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

from botkit.sim.sintra.errors import bad_request

MAX_LIMIT = 25
DEFAULT_LIMIT = 10
_PAIR = re.compile(r"btc([a-z]{3,4})")
_UNIX_SECONDS = re.compile(r"[0-9]{1,10}")  # 13-digit millisecond timestamps do not match
_LIMIT = re.compile(r"[0-9]{1,3}")
MAX_SHOWN_CHARS = 40


def shown(raw: str) -> str:
    """``repr(raw)`` cut to ``MAX_SHOWN_CHARS`` characters, for an error message."""
    text = repr(raw)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"


class Sort(StrEnum):
    """Order of history entries by timestamp."""

    ASC = "asc"
    DESC = "desc"


class Interval(StrEnum):
    """Spacing of price history entries."""

    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"

    @property
    def seconds(self) -> int:
        """Length of the interval in seconds."""
        return {"minute": 60, "hour": 3_600, "day": 86_400}[self.value]


class HistoryQuery(NamedTuple):
    """A validated history request: entries before ``date`` (or now), ``limit`` of them."""

    date: int | None
    sort: Sort
    limit: int


def parse_pair(text: str) -> str:
    """The quote currency of ``btc<quote>``, lower case; 400 ``INVALID_PAIR`` if malformed."""
    match = _PAIR.fullmatch(text.lower()) if text.isascii() else None
    if match is None:
        raise bad_request(
            f"pair must be 'btc' and a 3-4 letter quote currency (e.g. btcusd), got {shown(text)}",
            "INVALID_PAIR",
        )
    return match.group(1)


def parse_date(query: Mapping[str, str]) -> int | None:
    """``date`` as Unix seconds, or None if absent; 400 ``INVALID_DATE`` otherwise."""
    raw = query.get("date")
    if raw is None:
        return None
    if not _UNIX_SECONDS.fullmatch(raw):
        raise bad_request(
            f"date must be a Unix timestamp in whole seconds, without milliseconds; got {shown(raw)}",
            "INVALID_DATE",
        )
    return int(raw)


def parse_history(query: Mapping[str, str]) -> HistoryQuery:
    """``date``, ``sort`` (default asc) and ``limit`` (default 10, 1..25) of a history request."""
    raw_sort = query.get("sort", Sort.ASC.value)
    if raw_sort not in {s.value for s in Sort}:
        raise bad_request(f"sort must be 'asc' or 'desc', got {shown(raw_sort)}", "INVALID_SORT")
    raw_limit = query.get("limit", str(DEFAULT_LIMIT))
    if not _LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise bad_request(
            f"limit must be an integer from 1 to {MAX_LIMIT}, got {shown(raw_limit)}", "INVALID_LIMIT"
        )
    return HistoryQuery(date=parse_date(query), sort=Sort(raw_sort), limit=int(raw_limit))


def parse_interval(query: Mapping[str, str]) -> Interval:
    """``interval`` (default minute); 400 ``INVALID_INTERVAL`` if not minute, hour or day."""
    raw = query.get("interval", Interval.MINUTE.value)
    if raw not in {i.value for i in Interval}:
        raise bad_request(
            f"interval must be 'minute', 'hour' or 'day', got {shown(raw)}", "INVALID_INTERVAL"
        )
    return Interval(raw)
