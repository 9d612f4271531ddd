"""Recorded sessions: listed from the recorder's marks, chosen by name, number or time, and their event windows."""

from __future__ import annotations

from pathlib import Path

import pytest

from botkit.core.clock import NS_PER_SECOND, ns_to_datetime
from botkit.core.errors import ConfigError, DataError
from botkit.data.recorded import MARK_STARTED, MARK_STOPPED
from botkit.data.recorder import ArchiveRecorder, RecordSpec
from botkit.data.sessions import DEFAULT_SKEW_NS, find_session, recorded_sessions, session_window
from botkit.model.events import Quote

from .factories import T0

SYMBOL = "BTCUSD"
S = NS_PER_SECOND


def record_session(root: Path, start: int, quotes: int, stop: int | None) -> None:
    """One session: its start mark, a quote a second from start + 1 s, its stop mark (None: it crashed)."""
    sink = ArchiveRecorder(RecordSpec(root=root), venue="syncron", symbols=[SYMBOL])
    sink.mark(MARK_STARTED, start)
    for i in range(quotes):
        sink.append(Quote(start + (i + 1) * S, SYMBOL, 100.0 + i, 1.0, 101.0 + i, 1.0))
    if stop is not None:
        sink.mark(MARK_STOPPED, stop)
    sink.flush(everything=True)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Three sessions: a clean one, one that crashed, and a clean one."""
    record_session(tmp_path, T0, 5, T0 + 6 * S)
    record_session(tmp_path, T0 + 100 * S, 3, None)
    record_session(tmp_path, T0 + 200 * S, 4, T0 + 210 * S)
    return tmp_path


def test_sessions_are_listed_oldest_first_and_a_crash_ends_where_the_next_one_starts(archive):
    first, crashed, last = recorded_sessions(archive, "syncron", SYMBOL)
    assert (first.number, first.start_ns, first.stop_ns, first.next_start_ns) == (1, T0, T0 + 6 * S, T0 + 100 * S)
    assert first.clean and not crashed.clean and last.clean
    assert crashed.stop_ns is None and crashed.next_start_ns == T0 + 200 * S
    assert last.next_start_ns is None
    assert crashed.contains(T0 + 150 * S) and not first.contains(T0 + 50 * S)


def test_a_session_is_chosen_by_name_number_or_a_time_inside_it(archive):
    sessions = recorded_sessions(archive, "syncron", SYMBOL)
    assert find_session(sessions, "last", "x").number == 3
    assert find_session(sessions, "first", "x").number == 1
    assert find_session(sessions, 2, "x").number == 2
    assert find_session(sessions, -1, "x").number == 3
    assert find_session(sessions, ns_to_datetime(T0 + 150 * S), "x").number == 2
    with pytest.raises(ConfigError, match=r"spec\.yaml: no recording session 4 among 3 \(the last ones: session 1 "):
        find_session(sessions, 4, "spec.yaml")
    with pytest.raises(ConfigError, match="no recording session"):
        find_session(sessions, ns_to_datetime(T0 + 50 * S), "x")  # between sessions


def test_a_window_is_widened_by_the_clock_skew_but_never_into_a_neighbour(archive):
    first, crashed, last = sessions = recorded_sessions(archive, "syncron", SYMBOL)
    window = session_window(sessions, first)
    assert (window.start_ns, window.end_ns) == (T0 - DEFAULT_SKEW_NS, T0 + 6 * S + DEFAULT_SKEW_NS + 1)
    window = session_window(sessions, crashed)
    assert (window.start_ns, window.end_ns) == (T0 + 100 * S - DEFAULT_SKEW_NS, T0 + 200 * S)
    window = session_window(sessions, last, skew_ns=150 * S)
    assert window.start_ns == T0 + 200 * S, "a crashed session before: the window starts at this one's start"
    window = session_window(sessions, first, skew_ns=150 * S)
    assert window.end_ns == T0 + 100 * S, "never into the next session"


def test_an_archive_without_a_recording_says_how_to_make_one(tmp_path):
    with pytest.raises(DataError, match=r"no recording of syncron/BTCUSD .* botkit record"):
        recorded_sessions(tmp_path, "syncron", SYMBOL)
