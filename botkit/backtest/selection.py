"""A backtest's data selection in words, for the error raised when it holds no events.

``botkit.backtest(path)`` and ``botkit backtest PATH`` raise the same DataError: it names the spec
file, where the data was looked for (the resolved path) and the window that was asked for.
"""

from __future__ import annotations

from pathlib import Path

from botkit.backtest.spec import BacktestSpec
from botkit.core.clock import ns_to_iso
from botkit.core.errors import BotkitError, DataError
from botkit.data.layout import kind_dir


def empty_selection_error(spec: BacktestSpec, source: str, start: int | None, end: int | None, *,
                          given: bool = False, what: str | None = None) -> DataError:
    """The error for a selection without events: ``source`` (the spec file), the data's path, the window.

    ``start``/``end`` are the resolved window in ns (None: open); ``given`` says the data came as
    ``data=`` in Python; ``what`` names the events (default: ``spec.data.kind``).
    """
    ds = spec.data
    events = what or ds.kind
    selection = f"{', '.join(ds.symbols)} in {data_location(spec, given=given)}"
    if start is None and end is None:
        return DataError(f"{source}: no {events}: {selection} holds none")
    settings = window_settings(spec)
    chosen = f" (set by {' and '.join(settings)})" if settings else ""
    return DataError(f"{source}: no {events} in the requested range: {selection}, {window_text(start, end)}{chosen}")


def data_location(spec: BacktestSpec, *, given: bool = False) -> str:
    """Where ``spec``'s events are read from: ``data=``, the file, or each symbol's archive folder."""
    ds = spec.data
    if given:
        return "data="
    if ds.file is not None:
        return str(ds.file)
    root = ds.archive if ds.archive is not None else ds.recording
    if root is None:
        return "no data source"
    if ds.kind == "book":
        return str(Path(root) / ds.venue)
    return ", ".join(str(kind_dir(root, ds.venue, symbol, ds.archive_kind)) for symbol in ds.symbols)


def window_text(start: int | None, end: int | None) -> str:
    """``from 2024-01-02T00:00:00Z to 2024-01-03T00:00:00Z``, or one side of it when the other is open."""
    parts = [f"{word} {ns_to_iso(value)}" for word, value in (("from", start), ("to", end)) if value is not None]
    return " ".join(parts)


def window_settings(spec: BacktestSpec) -> list[str]:
    """The settings that chose the window: ``data.start``, ``data.end`` (``--from``, ``--to``), the session."""
    ds = spec.data
    names = [name for name, value in (("data.start", ds.start), ("data.end", ds.end)) if value is not None]
    if ds.recording is not None:
        names.append(f"data.session {ds.session if ds.session is not None else 'last'}")
    return names


def naming_the_spec(error: BotkitError, source: str) -> BotkitError:
    """``error`` with ``source:`` in front of its message, unless the message already names it."""
    if error.args and isinstance(error.args[0], str) and source not in error.args[0]:
        error.args = (f"{source}: {error.args[0]}", *error.args[1:])
    return error
