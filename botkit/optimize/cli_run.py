"""``botkit optimize``: validate the space, sweep it with a progress bar, print the best, write the outputs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from botkit.backtest.cli_run import apply_overrides
from botkit.backtest.report import format_stat
from botkit.backtest.spec import load_spec_document, validate_spec
from botkit.console import is_plain, make_console, print_table
from botkit.core.config_model import checked_output_dir
from botkit.optimize.engine import optimize
from botkit.optimize.result import OptimizeResult

SHOWN_STATS = ("sharpe", "sortino", "total_return", "max_drawdown", "trades", "win_rate", "profit_factor")


class RateColumn(ProgressColumn):
    """Combinations per second, once known."""

    def render(self, task: Task) -> Text:
        """The task's speed in combinations per second."""
        return Text(f"{task.speed:,.0f}/s" if task.speed else "", style="progress.data.speed")


def run_optimize_command(spec_path: Path, *, options: dict[str, Any], overrides: dict[str, Any], out: Path | None,
                         top: int, progress: bool, report: bool) -> int:
    """Run ``botkit optimize`` as the CLI does; returns the exit code.

    The output folder (``out``, else ``reports/<name>-optimize``) is checked before any work: a
    file, a device or a place that cannot be written is a ConfigError naming it.
    """
    document = load_spec_document(spec_path)
    spec = apply_overrides(validate_spec(document.data, document.source, document), **overrides)
    out_dir = checked_output_dir(out, "--out") if out is not None \
        else checked_output_dir(Path("reports") / f"{spec.name}-optimize", f"{spec_path}: output folder")
    console = make_console()
    started = time.perf_counter()
    with _Progress(console, progress) as (bar, task_id, plain):
        def on_progress(done: int, total: int) -> None:
            bar.update(task_id, completed=done, total=total)
            plain(done, total)

        result = optimize(spec, out=out_dir / "sweep", progress=on_progress, **options)
    elapsed = time.perf_counter() - started
    _print_top(console, result, top)
    result.extra["robustness"] = robustness = result.robustness()
    _print_robustness(console, result.metric, robustness)
    paths = result.save(out_dir) if report else result.save_tables(out_dir)
    rate = len(result.table) / elapsed if elapsed > 0 else float("nan")
    console.print(f"{len(result.table):,} combinations in {elapsed:.1f} s ({rate:,.0f}/s), {result.engine}",
                  highlight=False)
    if result.note:
        console.print(result.note, highlight=False)
    if result.walk_forward is not None:
        summary = result.walk_forward.summary()
        console.print(f"walk-forward: {summary['windows']} windows, mean in-sample {result.metric} "
                      f"{_number(summary['mean_in_sample'])}, out-of-sample {_number(summary['mean_out_of_sample'])}, "
                      f"out-of-sample return {_number(summary['out_of_sample_return'], percent=True)}",
                      highlight=False)
    for name, path in paths.items():
        console.print(f"{name:8} {path}", highlight=False)
    return 0


class _Progress:
    """A rich progress bar on a terminal; a plain line per 10% elsewhere (CI logs, pipes)."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.console = console
        self.live = enabled and not is_plain(console)
        self.lines = enabled and is_plain(console)
        self.bar = Progress(TextColumn("[bold]optimize"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                            TimeRemainingColumn(), console=console, disable=not self.live, transient=True)
        self._next = 0.0
        self._start = time.perf_counter()

    def __enter__(self) -> tuple[Progress, Any, Any]:
        self.bar.__enter__()
        return self.bar, self.bar.add_task("optimize", total=None), self._line

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def _line(self, done: int, total: int) -> None:
        if not self.lines or total == 0 or done / total < self._next:
            return
        elapsed = time.perf_counter() - self._start
        rate = done / elapsed if elapsed > 0 else 0.0
        print(f"optimize: {done:,}/{total:,} combinations ({rate:,.0f}/s)", flush=True)
        self._next = done / total + 0.1


def _print_top(console: Console, result: OptimizeResult, top: int) -> None:
    headers = ["#", *result.params, *SHOWN_STATS]
    rows = [[str(number), *[str(row[name]) for name in result.params],
             *[format_stat(name, row[name]) for name in SHOWN_STATS]] for number, row in result.top(top).iterrows()]
    print_table(console, headers, rows, title=f"{result.title}: top {min(top, len(result.table))} by {result.metric}",
                right=headers)


def _print_robustness(console: Console, metric: str, robustness: dict[str, Any]) -> None:
    """Print whether the best is real (deflated Sharpe), stable (neighbours) and robust (Monte Carlo)."""
    deflated = robustness.get("deflated_sharpe")
    if isinstance(deflated, dict):
        console.print(f"deflated Sharpe ratio of the best: {_number(deflated['dsr'])} (the probability its Sharpe "
                      f"ratio is above 0 after {deflated['trials']} trials; expected best by luck "
                      f"{_number(deflated['expected_max_sharpe'])} per day)", highlight=False)
    stability = robustness.get("stability")
    if isinstance(stability, dict):
        drops = [f"{name} {_number(row.get('neighbourhood_drop'), percent=True)}" for name, row in stability.items()]
        console.print(f"{metric} of the best's neighbourhood vs the best: drop {drops[0].split(' ', 1)[1]}"
                      if drops else "", highlight=False)
    monte = robustness.get("monte_carlo")
    if isinstance(monte, dict) and "final_return" in monte:
        ret, dd = monte["final_return"], monte["max_drawdown"]
        console.print(f"Monte Carlo (bootstrap of the best's trades): return 5%..95% {_number(ret.get('5%'), True)}"
                      f" .. {_number(ret.get('95%'), True)}, P(loss) {_number(ret.get('prob_loss'), True)}, "
                      f"max drawdown 5% {_number(dd.get('5%'), True)}", highlight=False)


def _number(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.2%}" if percent else f"{value:.3f}"
