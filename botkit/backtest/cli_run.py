"""``botkit backtest``: apply CLI overrides, run with a progress bar, print the table, write outputs.

``--from-stats`` reruns what a ``stats.json`` records instead: its spec, after checking that the
data still has the hash the run recorded, then says whether the rerun's statistics equal it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from botkit.backtest.engine import backtest, data_digest
from botkit.backtest.provenance import RUN_KEY, check_data, load_run
from botkit.backtest.report import format_stat
from botkit.backtest.result import BacktestResult
from botkit.backtest.spec import BacktestSpec, load_spec_document, validate_spec
from botkit.console import make_console, print_table
from botkit.console import progress as progress_display
from botkit.core.clock import to_ns
from botkit.core.errors import ConfigError, DataError
from botkit.core.yaml_document import YamlDocument

RERUN_SUFFIX = "-rerun"
"""A rerun's default output folder: the original's name plus this, beside it."""


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
    console = make_console()
    document = load_spec_document(spec_path)
    spec = validate_spec(document.data, document.source, document)
    spec = apply_overrides(spec, data=data, params=params, start=start, end=end, engine=engine)
    result = _run(spec, console, progress, document)
    _print_result(result, result.save(out or spec.output.dir or Path("reports") / spec.name), console)
    return 0


def rerun_backtest_command(
    stats_path: Path, *, out: Path | None, progress: bool, allow_changed_data: bool, ignored: list[str],
) -> int:
    """Rerun the run ``stats_path`` records (``--from-stats``); 0 if its statistics come out equal, else 1.

    The data is checked first: a file that changed, went missing or appeared in the range is a
    DataError naming it and both hashes, unless ``allow_changed_data`` (then a warning).
    """
    if ignored:
        raise ConfigError(f"--from-stats reruns the recorded spec exactly; it takes no {', '.join(ignored)} "
                          f"(edit the spec.yaml beside {str(stats_path)!r} and run that to change it)")
    console = make_console()
    saved = load_run(stats_path)
    differences = check_data(saved, data_digest(saved.spec))
    if differences and not allow_changed_data:
        more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
        raise DataError(f"{saved.path}: the data changed since the run: {differences[0]}{more}; "
                        "pass --allow-changed-data to rerun on the data as it is now")
    for line in differences:
        console.print(f"[bold yellow]data changed[/]: {line}", markup=True, highlight=False)
    result = _run(saved.spec, console, progress, None)
    out_dir = out or saved.path.parent.with_name(saved.path.parent.name + RERUN_SUFFIX)
    _print_result(result, result.save(out_dir), console)
    recorded = saved.stats[RUN_KEY].get("botkit_version")
    if result.provenance is not None and recorded != result.provenance["botkit_version"]:
        console.print(f"the run was made with botkit {recorded}, rerun with {result.provenance['botkit_version']}",
                      highlight=False)
    changed = stat_differences(saved.stats, result.stats_document())
    if not changed:
        console.print(f"reproduced: the rerun's statistics equal {saved.path}'s", highlight=False)
        return 0
    console.print(f"[bold red]DIFFERENT[/] from {saved.path}: " + "; ".join(changed), markup=True, highlight=False)
    return 1


def stat_differences(original: dict[str, Any], rerun: dict[str, Any]) -> list[str]:
    """``key: before → after`` for each statistic (not the ``run`` record) that differs between two stats.json."""
    keys = [k for k in dict.fromkeys([*original, *rerun]) if k != RUN_KEY]
    return [f"{k}: {original.get(k)!r} → {rerun.get(k)!r}" for k in keys if original.get(k) != rerun.get(k)]


def _run(spec: BacktestSpec, console: Console, progress: bool, document: YamlDocument | None) -> BacktestResult:
    with progress_display(console, f"backtest {spec.name}", enabled=progress) as advance:
        return backtest(spec, progress=advance, document=document)


def _print_result(result: BacktestResult, paths: dict[str, Path], console: Console) -> None:
    rows = [[key, format_stat(key, value) if not isinstance(value, str) else value]
            for key, value in result.stats.items() if not isinstance(value, dict)]
    print_table(console, ["statistic", "value"], rows, title=result.title, right=["value"])
    trip = result.kill_switch
    if trip is not None:
        console.print(f"[bold red]kill switch[/] fired at {trip.time.isoformat()} ({trip.code.value}): {trip.message}",
                      markup=True, highlight=False)
    for name, path in paths.items():
        console.print(f"{name:8} {path}")
