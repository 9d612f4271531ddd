"""Where archive files live: ``<root>/<venue>/<symbol>/<kind>/<YYYY-MM-DD>.parquet``.

There is one file per UTC day.

This module only computes and lists paths; it never opens a Parquet file.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

from botkit.core.clock import NS_PER_DAY, ns_to_iso
from botkit.core.echo import echo
from botkit.core.errors import ConfigError, DataError
from botkit.data.kinds import parse_kind

_EPOCH = date(1970, 1, 1)
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""A venue or symbol folder: at most 64 characters (a file system refuses names over 255 with an OSError)."""
_DAY_FILE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\.parquet")


def check_name(what: str, name: str) -> str:
    """``name`` if it is a safe venue or symbol directory name, else a ConfigError saying why."""
    if not _NAME_RE.fullmatch(name) or name in {".", ".."}:
        raise ConfigError(
            f"{what} {echo(name)} cannot be an archive directory name: use up to 64 letters, digits, '.', '-' "
            "and '_', starting with a letter or digit (e.g. BTC-USD rather than BTC/USD)"
        )
    return name


def kind_dir(root: str | Path, venue: str, symbol: str, kind: str) -> Path:
    """The directory holding the day files of one venue, symbol and kind."""
    return Path(root) / check_name("venue", venue) / check_name("symbol", symbol) / parse_kind(kind)


def day_of(ts_ns: int) -> date:
    """The UTC day a timestamp falls in."""
    return _EPOCH + timedelta(days=ts_ns // NS_PER_DAY)


def day_start_ns(day: date) -> int:
    """Nanoseconds at 00:00 UTC of ``day``."""
    return (day - _EPOCH).days * NS_PER_DAY


def day_file_name(day: date) -> str:
    """The file name of a day file: ``2024-01-31.parquet``."""
    return f"{day.isoformat()}.parquet"


def day_path(root: str | Path, venue: str, symbol: str, kind: str, day: date) -> Path:
    """The path of one day file (which may not exist yet)."""
    return kind_dir(root, venue, symbol, kind) / day_file_name(day)


def parse_day_file(path: str | Path) -> date | None:
    """The day a day file holds, from its name; None if it is not ``YYYY-MM-DD.parquet``."""
    return _day_of_name(Path(path).name)


def _day_of_name(name: str) -> date | None:
    match = _DAY_FILE_RE.fullmatch(name)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def list_days(root: str | Path, venue: str, symbol: str, kind: str) -> list[date]:
    """The days that have a file in the archive, sorted; empty if the directory does not exist.

    Temporary files of interrupted writes and other stray files are ignored.
    """
    directory = kind_dir(root, venue, symbol, kind)
    if not directory.is_dir():
        return []
    with os.scandir(directory) as entries:
        days = [_day_of_name(entry.name) for entry in entries if entry.is_file()]
    return sorted(d for d in days if d is not None)


def day_files(
    root: str | Path, venue: str, symbol: str, kind: str, start_ns: int, end_ns: int
) -> list[Path]:
    """The day files that can hold rows in ``[start_ns, end_ns)``, in day order.

    Raises DataError naming the directory looked in when there are none.
    """
    directory = kind_dir(root, venue, symbol, kind)
    days = list_days(root, venue, symbol, kind)
    if end_ns <= start_ns:
        held = f"; the archive holds {symbol} {kind} from {days[0]} to {days[-1]}" if days else ""
        raise ConfigError(f"{directory}: empty time range: end {ns_to_iso(end_ns)} must be after start "
                          f"{ns_to_iso(start_ns)}{held}")
    first, last = day_of(start_ns), day_of(end_ns - 1)
    wanted = [directory / day_file_name(d) for d in days if first <= d <= last]
    if not wanted:
        have = f"it has {days[0]} to {days[-1]}" if days else "it has no day files"
        if not directory.is_dir():
            have = "it does not exist"
        raise DataError(
            f"no {kind} files for {symbol} from {first} to {last} in {directory} ({have})"
        )
    return wanted
