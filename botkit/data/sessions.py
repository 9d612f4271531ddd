"""Recorded sessions: the spans between the recorder's ``recording_started`` and ``recording_stopped`` marks.

Every recording session (``botkit record``, or a bot with a ``record:`` section) notes
``recording_started`` in the ``gaps`` of each symbol it records when it starts, and
``recording_stopped`` when it stops cleanly. ``recorded_sessions`` lists them, oldest first; a
start with no stop before the next start is a session that crashed (``clean`` False), which ends
where the next one starts.

``SessionWindow`` is the time range a backtest of one session replays: from its start mark to its
stop mark, widened by ``skew_ns`` on each side (events carry the venue's timestamps, the marks the
recorder's clock, and the two may disagree by a clock skew), but never into the session before or
after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from botkit.core.clock import NS_PER_SECOND, to_ns
from botkit.core.errors import ConfigError, DataError
from botkit.data.layout import kind_dir
from botkit.data.recorded import MARK_STARTED, MARK_STOPPED, read_recorded

SessionRef = Literal["first", "last"] | int | datetime | date
"""Which session: ``first``, ``last``, its number (1 is the first, -1 the last) or a time inside it."""

DEFAULT_SKEW_NS = 5 * NS_PER_SECOND
"""How far the venue's clock may be from the recorder's (the engine's ``max_clock_skew_ms`` default)."""


@dataclass(frozen=True, slots=True)
class RecordedSession:
    """One recording session of a venue/symbol: when it started and stopped (recorder's clock, ns UTC)."""

    number: int
    """1 for the oldest session in the archive."""
    start_ns: int
    stop_ns: int | None
    """None when it never stopped cleanly (a crash, or it is still recording)."""
    next_start_ns: int | None
    """When the next session started (None for the newest)."""

    @property
    def clean(self) -> bool:
        """Whether the session has its ``recording_stopped`` mark."""
        return self.stop_ns is not None

    def contains(self, ts_ns: int) -> bool:
        """Whether ``ts_ns`` lies between its start and its stop (or the next start)."""
        end = self.stop_ns if self.stop_ns is not None else self.next_start_ns
        return self.start_ns <= ts_ns and (end is None or ts_ns <= end)

    def describe(self) -> str:
        """``session 3 (2024-06-01T12:00:00 to 12:00:30 UTC)`` for messages."""
        start = np.datetime64(self.start_ns, "ns").astype("datetime64[ms]")
        end = "crashed" if self.stop_ns is None else str(np.datetime64(self.stop_ns, "ns").astype("datetime64[ms]"))
        return f"session {self.number} ({start} to {end} UTC)"


@dataclass(frozen=True, slots=True)
class SessionWindow:
    """The events a backtest of ``session`` replays: ``start_ns <= ts < end_ns`` (end None: to the archive's end)."""

    session: RecordedSession
    start_ns: int
    end_ns: int | None


def recorded_sessions(root: str | Path, venue: str, symbol: str) -> list[RecordedSession]:
    """The recording sessions of ``venue``/``symbol`` in the archive at ``root``, oldest first."""
    if not kind_dir(root, venue, symbol, "gaps").is_dir():
        raise DataError(
            f"no recording of {venue}/{symbol} in {str(root)!r} (no {kind_dir(root, venue, symbol, 'gaps')}): "
            "record a session with a bot's record: section or botkit record"
        )
    table = read_recorded(root, venue, symbol, "gaps")
    events = table.column("event").to_pylist()
    times = table.column("ts").cast("int64").to_pylist()
    marks = [(ts, event) for ts, event in zip(times, events, strict=True) if event in (MARK_STARTED, MARK_STOPPED)]
    starts = [ts for ts, event in marks if event == MARK_STARTED]
    sessions = []
    for index, start in enumerate(starts):
        following = starts[index + 1] if index + 1 < len(starts) else None
        stops = [ts for ts, event in marks
                 if event == MARK_STOPPED and ts >= start and (following is None or ts <= following)]
        sessions.append(RecordedSession(index + 1, start, stops[0] if stops else None, following))
    return sessions


def find_session(sessions: list[RecordedSession], ref: SessionRef, where: str) -> RecordedSession:
    """The session ``ref`` names (see ``SessionRef``); ConfigError listing the sessions when none fits."""
    if not sessions:
        raise DataError(f"{where}: the archive has no recording_started mark: nothing was recorded there")
    if ref == "last":
        return sessions[-1]
    if ref == "first":
        return sessions[0]
    if isinstance(ref, int) and not isinstance(ref, bool):
        if ref != 0 and -len(sessions) <= ref <= len(sessions):
            return sessions[ref - 1 if ref > 0 else ref]
    elif isinstance(ref, date | datetime):
        ts = to_ns(ref)
        for session in sessions:
            if session.contains(ts):
                return session
    have = "; ".join(s.describe() for s in sessions[-5:])
    raise ConfigError(f"{where}: no recording session {ref!r} among {len(sessions)} (the last ones: {have})")


def session_window(sessions: list[RecordedSession], session: RecordedSession,
                   skew_ns: int = DEFAULT_SKEW_NS) -> SessionWindow:
    """The time range of ``session``'s events (see the module), bounded by its neighbours' marks."""
    index = session.number - 1
    previous = sessions[index - 1] if index > 0 else None
    start = session.start_ns - skew_ns
    if previous is not None:
        start = max(start, previous.stop_ns if previous.stop_ns is not None else session.start_ns)
    end: int | None = None
    if session.stop_ns is not None:
        end = session.stop_ns + skew_ns + 1
    if session.next_start_ns is not None:
        end = session.next_start_ns if end is None else min(end, session.next_start_ns)
    return SessionWindow(session, start, end)
