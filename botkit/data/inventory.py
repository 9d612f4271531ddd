"""What an archive holds: each venue, symbol and kind with its days, rows and the days missing.

Only the Parquet footers are read (the row counts), never the rows, so listing a large archive
is quick. What ``botkit data ls`` prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from botkit.core.errors import ConfigError, DataError
from botkit.data.kinds import parse_kind
from botkit.data.layout import check_name, day_file_name, kind_dir, list_days


@dataclass(frozen=True)
class ArchiveSeries:
    """One venue, symbol and kind of an archive.

    ``days`` are the days with a file, sorted; ``missing`` the days between the first and the last
    that have none; ``unreadable`` the day files whose footer could not be read, with the reason.
    """

    venue: str
    symbol: str
    kind: str
    days: tuple[date, ...]
    rows: int
    missing: tuple[date, ...]
    unreadable: tuple[tuple[Path, str], ...] = ()

    @property
    def first(self) -> date:
        """The first day with a file."""
        return self.days[0]

    @property
    def last(self) -> date:
        """The last day with a file."""
        return self.days[-1]


def scan_archive(root: str | Path, *, venue: str | None = None, symbol: str | None = None,
                 kind: str | None = None) -> list[ArchiveSeries]:
    """Every series under ``root`` (``<venue>/<symbol>/<kind>/<day>.parquet``), sorted by name.

    ``venue``, ``symbol`` and ``kind`` keep only the series they name. Directories that are not
    archive names (hidden ones such as the recorder's ``.parts``, stray folders) are skipped;
    a root that does not exist is a ConfigError.
    """
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"archive root {str(root)!r} does not exist (make one with `botkit data generate` "
                          "or `botkit data import`)")
    found = []
    for venue_name in _names(root, "venue", venue):
        for symbol_name in _names(root / venue_name, "symbol", symbol):
            for kind_name in _kinds(root / venue_name / symbol_name, kind):
                series = read_series(root, venue_name, symbol_name, kind_name)
                if series.days:
                    found.append(series)
    return found


def read_series(root: str | Path, venue: str, symbol: str, kind: str) -> ArchiveSeries:
    """The days, rows and missing days of one venue, symbol and kind (no days if it has none)."""
    days = list_days(root, venue, symbol, kind)
    directory = kind_dir(root, venue, symbol, kind)
    rows = 0
    unreadable = []
    for day in days:
        path = directory / day_file_name(day)
        try:
            rows += pq.read_metadata(path).num_rows
        except (pa.ArrowException, OSError) as error:
            unreadable.append((path, str(error)))
    return ArchiveSeries(venue, symbol, kind, tuple(days), rows, tuple(missing_days(days)), tuple(unreadable))


def missing_days(days: list[date]) -> list[date]:
    """The days between the first and the last of sorted ``days`` that are not among them."""
    if not days:
        return []
    have = set(days)
    span = (days[-1] - days[0]).days
    return [d for d in (days[0] + timedelta(days=i) for i in range(span + 1)) if d not in have]


def day_ranges(days: list[date] | tuple[date, ...]) -> list[tuple[date, date]]:
    """Sorted ``days`` as runs of consecutive days: ``[(first, last), ...]``."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _names(directory: Path, what: str, wanted: str | None) -> list[str]:
    """The archive-name subdirectories of ``directory`` (only ``wanted`` if given), sorted."""
    if wanted is not None:
        check_name(what, wanted)
        return [wanted] if (directory / wanted).is_dir() else []
    return sorted(name for name in _subdirectories(directory) if _is_archive_name(name))


def _kinds(directory: Path, wanted: str | None) -> list[str]:
    """The subdirectories of a symbol's directory that are kinds (only ``wanted`` if given), sorted."""
    if wanted is not None:
        parse_kind(wanted)
        return [wanted] if (directory / wanted).is_dir() else []
    kinds = []
    for name in sorted(_subdirectories(directory)):
        try:
            kinds.append(parse_kind(name))
        except DataError:
            continue  # not a kind: a folder the archive does not own
    return kinds


def _subdirectories(directory: Path) -> list[str]:
    with os.scandir(directory) as entries:
        return [entry.name for entry in entries if entry.is_dir()]


def _is_archive_name(name: str) -> bool:
    try:
        check_name("name", name)
    except ConfigError:
        return False
    return True
