"""Importing one CSV or Parquet file into the archive, validated first and written atomically.

The whole file is read and validated before anything is written (``botkit.data.files``), so a bad
row is a DataError naming the file, the row and the column, and the archive is left untouched.
Then the archive writer (``botkit.data.writer``) writes one day file per UTC day, each replaced
atomically: a failed write leaves every day file as it was or complete. What ``botkit data
import`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from botkit.core.errors import ConfigError, DataError
from botkit.data.files import read_file
from botkit.data.kinds import bar_kind, base_kind, kind_of_dtype, parse_kind
from botkit.data.layout import day_path, kind_dir
from botkit.data.writer import WriteMode, split_by_day, write_records


@dataclass(frozen=True)
class ImportedFile:
    """What an import wrote: the series, the rows, the day files and which of them held data before."""

    source: Path
    venue: str
    symbol: str
    kind: str
    rows: int
    written: tuple[Path, ...]
    existed: tuple[Path, ...]
    mode: WriteMode

    @property
    def directory(self) -> Path:
        """The kind's directory the day files are in."""
        return self.written[0].parent


def import_file(path: str | Path, root: str | Path, *, venue: str, symbol: str, kind: str | None = None,
                mode: WriteMode | None = None) -> ImportedFile:
    """Validate the file at ``path`` and write its rows into the archive at ``root``.

    ``kind`` is inferred from the columns when None; bars without an interval in the kind
    (``bars``) get the most common gap between their timestamps (``bars_1m``). ``mode``:
    ``merge`` into the days already archived (bars replace bars of the same ``ts``), or
    ``overwrite`` those days. Without a mode, bars merge; trades and quotes are not deduplicated,
    so importing them into a day already archived needs an explicit mode (a ConfigError says so).
    """
    path = Path(path)
    if kind is not None:
        parse_kind(kind)
    records = read_file(path, kind)
    archive_kind = kind if kind is not None and kind != "bars" else _kind_of(records, str(path))
    days = [day_path(root, venue, symbol, archive_kind, day) for day, _ in split_by_day(records)]
    existed = tuple(p for p in days if p.exists())
    chosen = mode or _default_mode(archive_kind, existed, kind_dir(root, venue, symbol, archive_kind))
    written = write_records(root, venue, symbol, archive_kind, records, mode=chosen)
    return ImportedFile(path, venue, symbol, archive_kind, len(records), tuple(written), existed, chosen)


def infer_bar_interval(ts: np.ndarray, source: str) -> int:
    """The most common gap between consecutive bar timestamps, in ns; DataError with fewer than two bars."""
    gaps = np.diff(ts)
    gaps = gaps[gaps > 0]
    if len(gaps) == 0:
        raise DataError(f"{source}: cannot infer the bar interval from fewer than two bars; "
                        "pass --kind bars_<interval>")
    values, counts = np.unique(gaps, return_counts=True)
    return int(values[np.argmax(counts)])


def _kind_of(records: np.ndarray, source: str) -> str:
    """The archive kind of records read without an interval: bars get theirs from the timestamps."""
    base = kind_of_dtype(records.dtype)
    if base != "bars":
        return base
    interval = infer_bar_interval(records["ts"], source)
    try:
        return bar_kind(interval)
    except DataError:
        raise DataError(f"{source}: bars are {interval} ns apart, not a whole number of ms; "
                        "pass --kind bars_<interval>") from None


def _default_mode(kind: str, existed: tuple[Path, ...], directory: Path) -> WriteMode:
    if base_kind(kind) == "bars" or not existed:
        return "merge"
    days = ", ".join(p.stem for p in existed[:3]) + (", …" if len(existed) > 3 else "")
    raise ConfigError(
        f"{directory} already has {len(existed)} of the days this file holds ({days}); {kind} are not "
        "deduplicated, so choose --mode overwrite (replace those days) or --mode merge (add these rows to them)"
    )

