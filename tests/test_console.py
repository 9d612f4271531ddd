"""Command output on a terminal and in pipes or CI logs: tables, plain lines, progress lines."""

import io

import pytest
from rich.console import Console

from botkit.console import PLAIN_WIDTH, is_plain, make_console, print_table, progress


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)


def terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=100, color_system=None)


def piped() -> Console:
    return Console(file=io.StringIO(), force_terminal=False, width=80)


def test_a_pipe_gets_a_wide_plain_console(capsys):
    console = make_console()  # stdout is captured: not a terminal
    assert is_plain(console) and console.width >= PLAIN_WIDTH and console.no_color
    console.print("x" * 150)
    assert capsys.readouterr().out == "x" * 150 + "\n"  # one line, not cut at 80 columns


def test_ci_counts_as_plain_even_on_a_terminal(monkeypatch):
    assert not is_plain(terminal())
    monkeypatch.setenv("CI", "true")
    assert is_plain(terminal())


def test_plain_table_is_one_aligned_line_per_row():
    console = piped()
    long = "y" * 120
    print_table(console, ["name", "rows", "note"], [["a", "1", "short"], ["bbb", "1,000", long]],
                title="things", right=["rows"])
    lines = console.file.getvalue().splitlines()
    assert lines == ["things", "name   rows  note", "a         1  short", f"bbb   1,000  {long}"]


def test_terminal_table_has_a_header_row_and_leaves_markup_alone():
    console = terminal()
    print_table(console, ["name", "value"], [["[bold]x[/bold]", "1"]])
    text = console.file.getvalue()
    assert "name" in text and "┃" in text and "[bold]x[/bold]" in text


def test_plain_progress_prints_a_line_per_tenth_and_a_last_one():
    console = piped()
    with progress(console, "backtest demo", total=1000, clock=lambda: 0.0) as advance:
        for _ in range(100):
            advance(10)
    lines = console.file.getvalue().splitlines()
    assert lines[0] == "backtest demo: 100/1,000 events (10%)"
    assert len(lines) == 10 and lines[-1] == "backtest demo: done, 1,000 events in 0.0 s"


def test_plain_progress_without_a_total_prints_by_time():
    console = piped()
    now = [0.0]
    with progress(console, "download", unit="rows", clock=lambda: now[0]) as advance:
        for _ in range(5):
            now[0] += 4.0
            advance(7)
    lines = console.file.getvalue().splitlines()
    assert lines == ["download: 21 rows", "download: done, 35 rows in 20.0 s"]  # at 12 s; the next is due at 22 s


def test_progress_disabled_prints_nothing():
    for console in (piped(), terminal()):
        with progress(console, "x", total=10, enabled=False) as advance:
            advance(10)
        assert console.file.getvalue() == ""


def test_terminal_progress_bar_is_gone_when_done():
    console = terminal()
    with progress(console, "x", total=10) as advance:
        advance(10)
    assert "done" not in console.file.getvalue()
