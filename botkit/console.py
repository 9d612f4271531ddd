"""Console output of the ``botkit`` commands: rich on a terminal, plain readable lines elsewhere.

On an interactive terminal commands print rich tables and a live progress bar. When stdout is a
pipe, a file or a CI log (``CI=true``), ``print_table`` prints one aligned, unwrapped line per
row instead of a boxed table cut at 80 columns, and ``progress`` prints a plain progress line now
and then instead of redrawing a bar, so logs stay readable and greppable.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

PLAIN_WIDTH = 200
"""Columns a plain console assumes, so long lines are never wrapped at the default 80."""

PLAIN_PROGRESS_STEP = 0.1
"""With a known total, a plain progress line is printed at every tenth of the work."""

PLAIN_PROGRESS_SECONDS = 10.0
"""With no known total, a plain progress line is printed at most this often."""


def is_plain(console: Console) -> bool:
    """Whether ``console`` should get plain lines: it is not a terminal, or ``CI`` is set to true."""
    return not console.is_terminal or os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def make_console(*, stderr: bool = False) -> Console:
    """A console for a command's output: the usual rich console on a terminal, else a plain one.

    The plain console has no colours, no highlighting and no soft wrapping, and is at least
    ``PLAIN_WIDTH`` columns wide, so a rich object printed to it is not cut at 80 columns.
    """
    console = Console(stderr=stderr, highlight=False)
    if not is_plain(console):
        return console
    return Console(stderr=stderr, highlight=False, no_color=True, soft_wrap=True, emoji=False,
                   width=max(console.width, PLAIN_WIDTH))


def print_table(console: Console, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
                title: str | None = None, right: Sequence[str] = (), wrap: Sequence[str] | None = None) -> None:
    """Print ``rows`` under ``headers``: a rich table on a terminal, aligned plain lines elsewhere.

    Columns named in ``right`` are right-aligned (numbers). On a narrow terminal only the columns
    named in ``wrap`` wrap, if given (else any may). Cells are printed as given, never read as markup.
    """
    if not is_plain(console):
        table = Table(title=title)
        for header in headers:
            table.add_column(header, justify="right" if header in right else "left",
                             no_wrap=wrap is not None and header not in wrap,
                             overflow="fold" if wrap is not None and header in wrap else "ellipsis")
        for row in rows:
            table.add_row(*[escape(cell) for cell in row])
        console.print(table)
        return
    widths = [max([len(header), *(len(row[i]) for row in rows)]) for i, header in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [cell.rjust(w) if h in right else cell.ljust(w) for cell, w, h in zip(cells, widths, headers,
                                                                                         strict=True)]
        return "  ".join(padded).rstrip()

    for text in ([title] if title else []) + [line(headers)] + [line(row) for row in rows]:
        console.print(text, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def progress(console: Console, description: str, *, total: int | None = None, unit: str = "events",
             enabled: bool = True, clock: Callable[[], float] = time.monotonic) -> Iterator[Callable[[int], None]]:
    """A progress display for a block; yields ``advance(n)``, to call as work gets done.

    On a terminal: a rich progress bar, removed when the block ends. Elsewhere: a plain line such
    as ``backtest sma_cross: 120,000/1,000,000 events (12%)`` at every tenth of ``total``, or at
    most every ``PLAIN_PROGRESS_SECONDS`` without a total, and a last line when the block ends
    normally. ``enabled=False`` shows nothing.
    """
    if not enabled:
        yield lambda n: None
        return
    if not is_plain(console):
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.completed:,} " + unit), TimeRemainingColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task, n)
        return
    line = _PlainProgress(console, description, total, unit, clock)
    yield line.advance
    line.finish()


class _PlainProgress:
    """The plain form of ``progress``: a line now and then, and a last one."""

    def __init__(self, console: Console, description: str, total: int | None, unit: str,
                 clock: Callable[[], float]) -> None:
        self.console, self.description, self.total, self.unit, self.clock = console, description, total, unit, clock
        self.done = 0
        self.started = clock()
        self.next_fraction = PLAIN_PROGRESS_STEP
        self.next_time = self.started + PLAIN_PROGRESS_SECONDS

    def advance(self, n: int) -> None:
        self.done += n
        if self.total:
            if self.done / self.total >= self.next_fraction and self.done < self.total:
                self._print(f"{self.done:,}/{self.total:,} {self.unit} ({self.done / self.total:.0%})")
                while self.next_fraction <= self.done / self.total:
                    self.next_fraction += PLAIN_PROGRESS_STEP
        elif self.clock() >= self.next_time:
            self._print(f"{self.done:,} {self.unit}")
            self.next_time = self.clock() + PLAIN_PROGRESS_SECONDS

    def finish(self) -> None:
        self._print(f"done, {self.done:,} {self.unit} in {self.clock() - self.started:.1f} s")

    def _print(self, text: str) -> None:
        self.console.print(f"{self.description}: {text}", markup=False, highlight=False, soft_wrap=True)

