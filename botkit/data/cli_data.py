"""``botkit data ls`` and ``botkit data import``: what the archive holds, and files brought into it."""

from __future__ import annotations

from pathlib import Path

from botkit.console import make_console, print_table
from botkit.data.importer import import_file
from botkit.data.inventory import ArchiveSeries, day_ranges, scan_archive
from botkit.data.writer import WriteMode

SHOWN_GAPS = 3
"""Runs of missing days named in a row of ``data ls``; more are counted, not listed."""

EXIT_UNREADABLE = 1
"""``data ls`` exit code when some day file's footer cannot be read."""


def run_ls_command(root: Path, *, venue: str | None, symbol: str | None, kind: str | None) -> int:
    """Print every series of the archive at ``root``; returns the exit code (1: unreadable files)."""
    console = make_console()
    series = scan_archive(root, venue=venue, symbol=symbol, kind=kind)
    if not series:
        console.print(f"{root}: no day files (<venue>/<symbol>/<kind>/YYYY-MM-DD.parquet)"
                      + (" matching the filters" if venue or symbol or kind else ""), markup=False)
        return 0
    rows = [[s.venue, s.symbol, s.kind, f"{len(s.days):,}", s.first.isoformat(), s.last.isoformat(),
             f"{s.rows:,}", gaps_text(s)] for s in series]
    print_table(console, ["venue", "symbol", "kind", "days", "from", "to", "rows", "gaps"], rows,
                title=f"archive {root}", right=["days", "rows"], wrap=["gaps"])
    files = sum(len(s.days) for s in series)
    total = sum(s.rows for s in series)
    console.print(f"{len(series)} series, {files:,} day files, {total:,} rows", markup=False)
    bad = [item for s in series for item in s.unreadable]
    for path, problem in bad:
        console.print(f"unreadable: {path}: {problem}", markup=False)
    return EXIT_UNREADABLE if bad else 0


def gaps_text(series: ArchiveSeries) -> str:
    """The missing days of a series for one cell: ``none``, or ``2 days: 2024-01-03, 2024-01-05``."""
    if not series.missing:
        return "none"
    runs = day_ranges(series.missing)
    shown = [a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in runs[:SHOWN_GAPS]]
    more = f", … ({len(runs) - SHOWN_GAPS} more gaps)" if len(runs) > SHOWN_GAPS else ""
    count = len(series.missing)
    return f"{count} day{'s' if count != 1 else ''}: {', '.join(shown)}{more}"


def run_import_command(file: Path, root: Path, *, venue: str, symbol: str, kind: str | None,
                       mode: WriteMode | None) -> int:
    """Validate ``file``, write it into the archive and say how to backtest it; returns the exit code."""
    console = make_console()
    done = import_file(file, root, venue=venue, symbol=symbol, kind=kind, mode=mode)
    verb = "merged into" if done.mode == "merge" else "replacing"
    merged = f" ({len(done.existed)} of them {verb} days already archived)" if done.existed else ""
    files = f"{len(done.written)} day file{'s' if len(done.written) != 1 else ''}"
    console.print(f"imported {done.rows:,} rows of {done.kind} for {symbol} from {file} into {files} under "
                  f"{done.directory}{merged}", markup=False)
    data_kind, _, interval = done.kind.partition("_")
    spec_data = f"{{archive: {root}, venue: {venue}, symbols: [{symbol}], kind: {data_kind}"
    spec_data += f", bar_interval: {interval}}}" if interval else "}"
    console.print(f"backtest it with a spec's data: {spec_data}", markup=False)
    return 0
