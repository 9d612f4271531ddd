"""Writing record arrays into the archive: split by UTC day, replace or merge each day file.

``mode="overwrite"`` replaces the day files the records touch; ``mode="merge"`` merges the records
into what is there, kept sorted by ``ts``. Bars are unique per ``ts``: a merged bar replaces an
archived bar with the same ``ts`` (the newer download or recording wins). Trades and quotes are
not deduplicated, so merging the same trades twice stores them twice; re-write whole days with
``overwrite`` instead. Each day file is replaced atomically. One writer per venue, symbol and kind
at a time: two processes merging into the same day file can lose each other's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from botkit.core.clock import NS_PER_DAY
from botkit.core.errors import ConfigError
from botkit.data.atomic import fsync_dir
from botkit.data.kinds import base_kind, kind_of_dtype
from botkit.data.layout import day_of, day_path
from botkit.data.parquet import read_parquet, write_parquet
from botkit.data.validate import validate_records

WriteMode = Literal["overwrite", "merge"]


def split_by_day(records: np.ndarray) -> Iterator[tuple[date, np.ndarray]]:
    """The (UTC day, rows of that day) pieces of a record array sorted by ``ts``."""
    if len(records) == 0:
        return
    day_numbers = records["ts"] // NS_PER_DAY
    borders = np.flatnonzero(day_numbers[1:] != day_numbers[:-1]) + 1
    starts = np.concatenate([[0], borders])
    ends = np.concatenate([borders, [len(records)]])
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        yield day_of(int(records["ts"][lo])), records[lo:hi]


def merge_records(existing: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``existing`` and ``new`` rows sorted by ``ts``; a new bar replaces an old bar of equal ts.

    Rows with equal ``ts`` keep their order, existing rows first.
    """
    if existing.dtype != new.dtype:
        raise ConfigError(f"cannot merge records of dtype {new.dtype} into {existing.dtype}")
    merged = np.concatenate([existing, new])
    merged = merged[np.argsort(merged["ts"], kind="stable")]
    if kind_of_dtype(merged.dtype) == "bars" and len(merged) > 1:
        ts = merged["ts"]
        keep_last = np.append(ts[1:] != ts[:-1], True)
        merged = merged[keep_last]
    return merged


def write_records(
    root: str | Path,
    venue: str,
    symbol: str,
    kind: str,
    records: np.ndarray,
    *,
    mode: WriteMode = "merge",
) -> list[Path]:
    """Write ``records`` (sorted by ``ts``) into the archive, one day file per UTC day touched.

    The records are validated first (a DataError names the row of ``records``), so nothing is
    written if any row is bad. Returns the day files written, in day order.
    """
    if mode not in ("overwrite", "merge"):
        raise ConfigError(f"write mode must be 'overwrite' or 'merge', got {mode!r}")
    if kind_of_dtype(records.dtype) != base_kind(kind):
        raise ConfigError(f"records of dtype {records.dtype} cannot be written as {kind}")
    validate_records(records, f"records for {venue}/{symbol}/{kind}")
    written = []
    for day, rows in split_by_day(records):
        path = day_path(root, venue, symbol, kind, day)
        if mode == "merge" and path.exists():
            rows = merge_records(read_parquet(path, base_kind(kind), day=day), rows)
        write_parquet(path, rows, sync_dir=False)
        written.append(path)
    if written:
        fsync_dir(written[0].parent)
    return written
