"""Time in botkit: integer nanoseconds since the Unix epoch, UTC, behind a Clock protocol."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Protocol

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_DAY = 86_400 * NS_PER_SECOND


class Clock(Protocol):
    """Source of the current time for engines, strategies and rate limiters."""

    def now_ns(self) -> int:
        """Current time in integer nanoseconds since the epoch, UTC."""
        ...


class LiveClock:
    """The wall clock, for live and paper trading."""

    def now_ns(self) -> int:
        """Current wall-clock time in nanoseconds, UTC."""
        return time.time_ns()


class SimulatedClock:
    """A clock the backtester moves forward event by event; it never goes backwards."""

    __slots__ = ("_now",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now = start_ns

    def now_ns(self) -> int:
        """The time of the event being replayed."""
        return self._now

    def advance_to(self, ts_ns: int) -> None:
        """Move the clock to ``ts_ns``; earlier times are ignored so time stays monotonic."""
        if ts_ns > self._now:
            self._now = ts_ns


def to_ns(value: int | str | date | datetime) -> int:
    """Convert an int (already ns), ISO-8601 string, date or datetime to ns UTC.

    Naive datetimes and dates are taken as UTC.
    """
    if isinstance(value, bool):
        raise TypeError(f"expected a timestamp, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1_000


def ns_to_datetime(ts_ns: int) -> datetime:
    """The UTC datetime of ``ts_ns`` (microsecond precision)."""
    return datetime.fromtimestamp(ts_ns / NS_PER_SECOND, tz=UTC)


def ns_to_iso(ts_ns: int) -> str:
    """ISO-8601 text of ``ts_ns`` in UTC, for messages and reports."""
    return ns_to_datetime(ts_ns).isoformat().replace("+00:00", "Z")
