"""``botkit backtest``: apply CLI overrides, run with a progress bar, print the table, write outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from botkit.backtest.engine import backtest
from botkit.backtest.report import format_stat
from botkit.backtest.spec import BacktestSpec, load_spec_document, validate_spec
from botkit.core.clock import to_ns
from botkit.core.errors import ConfigError


def apply_overrides(
    spec: BacktestSpec, *, data: Path | None, params: dict[str, Any], start: str | None, end: str | None,
    engine: str | None,
) -> BacktestSpec:
    """The spec with the command line's ``--data``, ``--param``, ``--from``, ``--to``, ``--engine``."""
    changes: dict[str, Any] = {"data": {}}
    if data is not None:
        if not data.is_file():
            raise ConfigError(f"--data {str(data)!r} does not exist")
        changes["data"].update(file=data, archive=None, recording=None, session=None)
    for flag, value in (("--from", start), ("--to", end)):
        if value is not None:
            try:
                to_ns(value)
            except ValueError:
                raise ConfigError(f"{flag} {value!r} is not an ISO date or time") from None
    if start is not None:
        changes["data"]["start"] = start
    if end is not None:
        changes["data"]["end"] = end
    if params:
        changes["params"] = {**spec.params, **params}
    if engine is not None:
        changes["engine"] = engine
    return spec.with_overrides(**changes)


def run_backtest_command(
    spec_path: Path, *, data: Path | None, params: dict[str, Any], start: str | None, end: str | None,
    out: Path | None, engine: str | None, progress: bool,
) -> int:
    """Run the spec at ``spec_path`` as the CLI does; returns the exit code."""
    console = Console(stderr=False)
    document = load_spec_document(spec_path)
    spec = validate_spec(document.data, document.source, document)
    spec = apply_overrides(spec, data=data, params=params, start=start, end=end, engine=engine)
    out_dir = out or spec.output.dir or Path("reports") / spec.name
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed:,} events"),
        TimeRemainingColumn(), console=console, disable=not progress, transient=True,
    ) as bar:
        task = bar.add_task(f"backtest {spec.name}", total=None)
        result = backtest(spec, progress=lambda n: bar.advance(task, n), document=document)
    paths = result.save(out_dir)
    table = Table(title=result.title, show_header=False)
    for key, value in result.stats.items():
        table.add_row(key, format_stat(key, value) if not isinstance(value, str) else value)
    console.print(table)
    trip = result.kill_switch
    if trip is not None:
        console.print(f"[bold red]kill switch[/] fired at {trip.time.isoformat()} ({trip.code.value}): {trip.message}",
                      markup=True, highlight=False)
    for name, path in paths.items():
        console.print(f"{name:8} {path}")
    return 0
