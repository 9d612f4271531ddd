"""Arrival order: the recorder notes how quotes, trades and bars interleaved; ``read_arrived`` gives them back so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import DataError
from botkit.data.arrived import read_arrived
from botkit.data.recorded import read_recorded
from botkit.data.recorder import ArchiveRecorder, RecordSpec
from botkit.model.enums import Side
from botkit.model.events import Bar, Quote, Trade

from .factories import T0

SYMBOL = "BTCUSD"
MS = 1_000_000


def session(start: int) -> list[Quote | Trade | Bar]:
    """What a bot on 1 s bars receives: quotes and trades (a trade stamped before the quote that came first),
    and a bar right after the trade that closed it."""
    events: list[Quote | Trade | Bar] = []
    for second in range(3):
        t = start + second * NS_PER_SECOND
        events += [Quote(t + 5 * MS, SYMBOL, 99.0 + second, 1.0, 101.0 + second, 1.0),
                   Trade(t + 4 * MS, SYMBOL, 100.0 + second, 0.5, Side.BUY),  # matched before the book was sent
                   Quote(t + 6 * MS, SYMBOL, 99.5 + second, 1.0, 100.5 + second, 1.0)]
        if second:
            events.append(Bar(t - NS_PER_SECOND, SYMBOL, 99.0, 101.0, 98.0, 100.0 + second - 1, 0.5))
        events.append(Trade(t + 500 * MS, SYMBOL, 100.2 + second, 0.1, Side.SELL))
    return events


def record(root: Path, events: list[Quote | Trade | Bar], batches: int = 2) -> None:
    sink = ArchiveRecorder(RecordSpec(root=root, bar_interval="1s", arrivals=True), venue="syncron", symbols=[SYMBOL])
    size = -(-len(events) // batches)
    for lo in range(0, len(events), size):
        for event in events[lo : lo + size]:
            sink.append(event)
        sink.write(sink.take())
    sink.compact(everything=True)


def test_events_come_back_in_the_order_they_arrived_across_kinds_and_batches(tmp_path):
    events = session(T0)
    record(tmp_path, events, batches=3)
    assert list(read_arrived(tmp_path, "syncron", [SYMBOL], "bars_1s", T0 - NS_PER_SECOND, None)) == events
    runs = read_recorded(tmp_path, "syncron", SYMBOL, "arrivals").to_pandas()
    assert runs["ts"].is_monotonic_increasing, "a run's ts is the latest venue time so far: never back in time"
    assert runs["count"].sum() == len(events) and set(runs["kind"]) == {"quotes", "trades", "bars_1s"}


def test_a_recording_without_arrivals_or_with_rows_missing_is_refused(tmp_path):
    record(tmp_path, session(T0))
    shutil.rmtree(tmp_path / "syncron" / SYMBOL / "bars_1s")
    with pytest.raises(DataError, match=r"its arrivals name 1 bars_1s .* the archive holds 0"):
        list(read_arrived(tmp_path, "syncron", [SYMBOL], "bars_1s", T0 - NS_PER_SECOND, None))
    shutil.rmtree(tmp_path / "syncron" / SYMBOL / "arrivals")
    with pytest.raises(DataError, match="does not say in which order its quotes, trades and bars arrived"):
        list(read_arrived(tmp_path, "syncron", [SYMBOL], "bars_1s", T0 - NS_PER_SECOND, None))
