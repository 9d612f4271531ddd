"""Checking the arguments of Sintra calls before anything is sent.

A bad argument is a ``ConfigError`` naming the argument and the value, raised without spending a
request of the rate limit. Times are botkit times (int ns, ISO-8601 text, date or datetime; naive
means UTC) and become whole Unix seconds on the wire, rounded up: for an exclusive upper bound
(``date`` of the history endpoints) that keeps exactly the entries before the instant given.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from botkit.core.clock import NS_PER_SECOND, to_ns
from botkit.core.errors import ConfigError
from botkit.venues.sintra import wire

TimeLike = int | str | date | datetime
"""A point in time: int nanoseconds UTC, ISO-8601 text, a date or a datetime (naive is UTC)."""

EARLIEST_NS = to_ns("2009-01-03")
"""Bitcoin's first block: any earlier ``date`` is a mistake (Unix seconds passed as ns?)."""

_PAIR_RE = re.compile(wire.PAIR_PATTERN)


def pair_arg(pair: str) -> str:
    """``pair`` in the wire's lower case (``BTCUSD`` → ``btcusd``), or a ConfigError."""
    if not isinstance(pair, str) or not _PAIR_RE.fullmatch(pair.strip().lower()):
        raise ConfigError(f"pair must be 'btc' and a 3-4 letter quote currency, e.g. 'btcusd', got {pair!r}")
    return pair.strip().lower()


def quote_of(pair: str) -> str:
    """The quote currency of a pair: ``btcusd`` → ``usd``."""
    return pair_arg(pair).removeprefix(wire.BASE_CURRENCY)


def limit_arg(limit: int) -> str:
    """``limit`` as a query value; it must be an integer 1..25."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ConfigError(f"limit must be an integer {wire.MIN_LIMIT}..{wire.MAX_LIMIT}, got {limit!r}")
    if not wire.MIN_LIMIT <= limit <= wire.MAX_LIMIT:
        raise ConfigError(f"limit must be {wire.MIN_LIMIT}..{wire.MAX_LIMIT}, got {limit}")
    return str(limit)


def sort_arg(sort: str) -> str:
    """``sort`` as a query value: ``asc`` or ``desc``."""
    if sort not in wire.SORTS:
        raise ConfigError(f"sort must be one of {', '.join(wire.SORTS)}, got {sort!r}")
    return sort


def interval_arg(interval: str) -> str:
    """``interval`` as a query value: ``minute``, ``hour`` or ``day``."""
    if interval not in wire.INTERVAL_SECONDS:
        raise ConfigError(f"interval must be one of {', '.join(wire.INTERVAL_SECONDS)}, got {interval!r}")
    return interval


def time_arg(name: str, value: TimeLike) -> int:
    """``value`` as integer nanoseconds UTC; a ConfigError naming ``name`` if it is not a time."""
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a time (int ns, ISO-8601, date, datetime), got {value!r}")
    try:
        ts_ns = to_ns(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a time (int ns, ISO-8601, date, datetime), got {value!r}") from None
    if ts_ns < EARLIEST_NS:
        raise ConfigError(
            f"{name} {value!r} is before 2009-01-03; integers are nanoseconds (Unix seconds × 1_000_000_000)"
        )
    return ts_ns


def date_arg(name: str, value: TimeLike) -> str:
    """``value`` as the wire's whole Unix seconds, rounded up."""
    return str(-(-time_arg(name, value) // NS_PER_SECOND))
