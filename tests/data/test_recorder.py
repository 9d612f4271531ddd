"""The recorder's sink: batches, atomic failures, restarts without duplicates, day rollover, bounded memory."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from botkit.core.clock import NS_PER_DAY, NS_PER_SECOND, SimulatedClock
from botkit.core.errors import DataError
from botkit.data.archive import read_archive
from botkit.data.kinds import base_kind, parse_kind
from botkit.data.parquet import ROW_GROUP_ROWS
from botkit.data.parts import MERGED_PARTS_KEY, PARTS_DIR
from botkit.data.recorded import MARK_DROPPED, MARK_STARTED, read_recorded
from botkit.data.recorder import ArchiveRecorder, RecordSpec
from botkit.model.enums import BookSide, OrderType, Side
from botkit.model.events import Bar, BookDelta, BookGap, BookLevel, BookResynced, BookSnapshot, Price, Quote, Trade
from botkit.model.order_events import OrderAccepted, OrderFilled, OrderRejected
from botkit.model.orders import Fill, Liquidity, Order, OrderIntent, OrderStatus

from .factories import T0

SYMBOL = "BTCUSD"


def trades(n: int, start: int = T0 + NS_PER_SECOND, step: int = 1_000) -> list[Trade]:
    return [Trade(start + i * step, SYMBOL, 100.0 + i % 50, 1.0 + i, Side.BUY if i % 2 else Side.SELL)
            for i in range(n)]


def recorder(root: Path, clock: SimulatedClock, **spec: object) -> ArchiveRecorder:
    return ArchiveRecorder(RecordSpec(root=root, **spec), venue="syncron", symbols=[SYMBOL],  # type: ignore[arg-type]
                           price_symbols=[SYMBOL], bot="b1", clock=clock)


def archived(root: Path, kind: str = "trades") -> np.ndarray:
    return read_archive(root, "syncron", SYMBOL, kind)


def day_file(root: Path, kind: str = "trades", day: str = "2024-01-01") -> Path:
    return root / "syncron" / SYMBOL / kind / f"{day}.parquet"


def parts_of(root: Path, kind: str = "trades") -> list[str]:
    folder = root / "syncron" / SYMBOL / kind / PARTS_DIR
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def test_append_buffers_without_io_and_asks_for_a_flush_at_flush_rows(tmp_path):
    woken = []
    sink = recorder(tmp_path / "archive", SimulatedClock(T0), flush_rows=100)
    sink.wake = lambda: woken.append(sink.buffered)
    for trade in trades(250):
        sink.append(trade)
    sink.append(object())  # not a model event: ignored
    assert woken == [100] and sink.buffered == 250
    assert not (tmp_path / "archive").exists(), "appending touched the disk"


def test_a_batch_becomes_parts_then_one_sorted_day_file(tmp_path):
    clock = SimulatedClock(T0)
    sink = recorder(tmp_path, clock, flush_rows=10)
    events = trades(30)
    tied = Trade(events[5].ts, SYMBOL, 777.0, 3.0, Side.BUY)  # same ts as an earlier trade: kept after it
    late = Trade(events[2].ts - 1, SYMBOL, 555.0, 1.0, Side.SELL)  # arrives late: sorted into place
    for event in [*events[:20], tied, late]:
        sink.append(event)
    written = sink.write(sink.take())
    assert [p.parent.name for p in written] == [PARTS_DIR] and not day_file(tmp_path).exists()
    for event in events[20:]:
        sink.append(event)
    sink.write(sink.take())
    assert len(parts_of(tmp_path)) == 2
    assert sink.compact() == [], "today's parts wait for compact_interval_s"
    clock.advance_to(T0 + 301 * NS_PER_SECOND)
    assert day_file(tmp_path) in sink.compact()
    rows = archived(tmp_path)
    assert len(rows) == 32 and parts_of(tmp_path) == []
    assert np.all(np.diff(rows["ts"]) >= 0)
    index = int(np.flatnonzero(rows["price"] == 777.0)[0])
    assert rows["ts"][index] == events[5].ts and rows["price"][index - 1] == events[5].price
    assert sink.stats.rows[("syncron", SYMBOL, "trades")] == 32


def test_market_events_are_readable_by_the_archive_readers_and_event_kinds_by_read_recorded(tmp_path):
    sink = recorder(tmp_path, SimulatedClock(T0))
    t = T0 + NS_PER_SECOND
    order = Order("o1", "b1-1", SYMBOL, Side.BUY, 0.5, OrderType.LIMIT, OrderStatus.ACCEPTED, t, limit_price=99.0)
    filled = Order("o1", "b1-1", SYMBOL, Side.BUY, 0.5, OrderType.LIMIT, OrderStatus.FILLED, t, limit_price=99.0,
                   filled_qty=0.5, avg_fill_price=99.0)
    events = [
        Quote(t, SYMBOL, 99.0, 1.0, 100.0, 2.0),
        Quote(t + 1, SYMBOL, 101.0, 1.0, 100.0, 2.0),  # crossed: refused by the archive's checks
        Bar(T0, SYMBOL, 1.0, 2.0, 0.5, 1.5, 10.0), Bar(T0, SYMBOL, 1.0, 3.0, 0.5, 2.5, 12.0),  # same ts: last wins
        BookSnapshot(t, SYMBOL, 7, (BookLevel(99.0, 1.0), BookLevel(98.0, 2.0)), (BookLevel(100.0, 3.0),)),
        BookSnapshot(t + 1, SYMBOL, 8, (), ()),
        BookDelta(t + 2, SYMBOL, 9, BookSide.ASK, 100.5, 0.0),
        BookGap(t + 3, SYMBOL, 10, 12), BookResynced(t + 4, SYMBOL, 15),
        Price(t + 5, "btc", "usd", 101.25, "sintra"),
        OrderAccepted(t + 6, order),
        OrderFilled(t + 7, filled, Fill(t + 7, "o1", "b1-1", SYMBOL, Side.BUY, 0.5, 99.0, 0.01, Liquidity.MAKER, "f1")),
        OrderRejected(t + 8, OrderIntent(SYMBOL, Side.SELL, None, client_order_id="b1-2"), "too big",
                      code="max_order_qty"),
    ]
    for event in events:
        sink.append(event)
    sink.flush(everything=True)
    assert sink.stats.invalid == 1
    quotes = archived(tmp_path, "quotes")
    assert quotes.tolist() == [(t, 99.0, 1.0, 100.0, 2.0)]
    assert archived(tmp_path, "bars_1m")["high"].tolist() == [3.0]
    snapshots = read_recorded(tmp_path, "syncron", SYMBOL, "book_snapshots").to_pylist()
    assert [(r["sequence"], r["side"], r["level"], r["price"]) for r in snapshots][:3] == [
        (7, 1, 0, 99.0), (7, 1, 1, 98.0), (7, -1, 0, 100.0)]
    assert snapshots[3]["side"] == 0 and snapshots[3]["sequence"] == 8  # an empty book is one row of side 0
    (delta,) = read_recorded(tmp_path, "syncron", SYMBOL, "book_deltas").to_pylist()
    assert (delta["sequence"], delta["side"], delta["price"], delta["size"]) == (9, -1, 100.5, 0.0)
    gaps = read_recorded(tmp_path, "syncron", SYMBOL, "gaps").to_pylist()
    assert [(g["event"], g["expected"], g["received"]) for g in gaps] == [
        ("book_gap", 10, 12), ("book_resynced", 15, 15)]
    (price,) = read_recorded(tmp_path, "sintra", SYMBOL, "prices").to_pylist()
    assert (price["price"], price["source"]) == (101.25, "sintra")
    orders = read_recorded(tmp_path, "syncron", SYMBOL, "order_events").to_pandas()
    assert orders["event"].tolist() == ["accepted", "filled", "rejected"]
    assert orders["status"].tolist() == ["accepted", "filled", "rejected"] and set(orders["bot"]) == {"b1"}
    assert orders["code"].tolist()[2] == "max_order_qty" and np.isnan(orders["qty"].tolist()[2])
    (fill,) = read_recorded(tmp_path, "syncron", SYMBOL, "fills").to_pylist()
    assert (fill["fill_id"], fill["qty"], fill["price"], fill["fee"], fill["liquidity"]) == ("f1", 0.5, 99.0, 0.01,
                                                                                           "maker")


def test_event_kinds_are_kinds_without_a_record_dtype():
    assert parse_kind("book_deltas") == "book_deltas" and parse_kind("fills") == "fills"
    with pytest.raises(DataError, match=r"event kind .*read_recorded"):
        base_kind("gaps")


def test_a_failed_day_file_write_leaves_the_archived_file_intact_and_loses_nothing(tmp_path, monkeypatch):
    clock = SimulatedClock(T0)
    sink = recorder(tmp_path, clock)
    for trade in trades(50):
        sink.append(trade)
    sink.flush(everything=True)
    before = day_file(tmp_path).read_bytes()
    for trade in trades(20, start=T0 + 2 * NS_PER_SECOND):
        sink.append(trade)
    real_write = pq.ParquetWriter.write_table

    def disk_full_half_way(self, table, row_group_size=None):
        real_write(self, table.slice(0, table.num_rows // 2), row_group_size=row_group_size)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", disk_full_half_way)
    sink.write(sink.take())  # the part write fails: kept for the next write
    assert sink.stats.write_failures == 1 and parts_of(tmp_path) == []
    monkeypatch.undo()
    sink.write([])
    assert len(parts_of(tmp_path)) == 1
    monkeypatch.setattr(pq.ParquetWriter, "write_table", disk_full_half_way)
    assert sink.compact(everything=True) == []  # the merge fails
    assert sink.stats.compact_failures == 1
    assert day_file(tmp_path).read_bytes() == before, "a failed write changed the archived file"
    assert sorted(os.listdir(day_file(tmp_path).parent)) == [PARTS_DIR, "2024-01-01.parquet"], "temp file left"
    assert len(archived(tmp_path)) == 50
    monkeypatch.undo()
    sink.compact(everything=True)
    assert len(archived(tmp_path)) == 70 and parts_of(tmp_path) == []


def test_a_restart_merges_what_a_crashed_session_left_without_duplicates(tmp_path, monkeypatch):
    clock = SimulatedClock(T0)
    first = recorder(tmp_path, clock)
    for trade in trades(40):
        first.append(trade)
    first.flush(everything=True)
    for trade in trades(30, start=T0 + 2 * NS_PER_SECOND):
        first.append(trade)
    first.write(first.take())  # parts on disk, then the process dies before merging them
    for trade in trades(5, start=T0 + 3 * NS_PER_SECOND):
        first.append(trade)
    first.write(first.take())

    # the crash happens after the merged day file is renamed into place, before its parts are deleted
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: None)
    first.compact(everything=True)
    monkeypatch.undo()
    assert len(parts_of(tmp_path)) == 2
    assert len(pq.read_metadata(day_file(tmp_path)).metadata[MERGED_PARTS_KEY.encode()]) > 0
    assert len(archived(tmp_path)) == 75

    clock.advance_to(T0 + 10 * NS_PER_SECOND)
    second = recorder(tmp_path, clock)
    second.recover()
    assert parts_of(tmp_path) == [] and len(archived(tmp_path)) == 75, "leftover parts were merged twice"
    second.mark(MARK_STARTED)
    for trade in trades(10, start=T0 + 9 * NS_PER_SECOND):
        second.append(trade)
    second.flush(everything=True)
    rows = archived(tmp_path)
    assert len(rows) == 85 and np.all(np.diff(rows["ts"]) >= 0)
    assert rows["ts"][-10:].tolist() == [t.ts for t in trades(10, start=T0 + 9 * NS_PER_SECOND)]


def test_a_crash_before_the_merge_leaves_parts_that_the_next_session_merges_once(tmp_path):
    clock = SimulatedClock(T0)
    first = recorder(tmp_path, clock)
    for trade in trades(25):
        first.append(trade)
    first.write(first.take())  # never compacted
    second = recorder(tmp_path, clock)
    assert second.recover() == [day_file(tmp_path)]
    assert second.recover() == []
    assert len(archived(tmp_path)) == 25


def test_appending_to_a_large_day_file_copies_it_group_by_group(tmp_path, monkeypatch):
    clock = SimulatedClock(T0)
    sink = recorder(tmp_path, clock, flush_rows=100_000, max_buffer_rows=200_000)
    n = ROW_GROUP_ROWS + 5_000
    for trade in trades(n, step=10):
        sink.append(trade)
    sink.flush(everything=True)
    for trade in trades(7, start=T0 + 5 * NS_PER_SECOND):
        sink.append(trade)

    def whole_read(*args: object) -> None:
        raise AssertionError("appending read the whole day file into memory")

    monkeypatch.setattr("botkit.data.parts._read_whole", whole_read)
    sink.flush(everything=True)
    assert sink.stats.compact_failures == 0
    metadata = pq.read_metadata(day_file(tmp_path))
    assert metadata.num_rows == n + 7
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [ROW_GROUP_ROWS, 5_007]
    assert len(archived(tmp_path)) == n + 7


def test_rows_before_the_archived_ones_are_merged_in_order_and_bars_stay_unique(tmp_path):
    clock = SimulatedClock(T0)
    sink = recorder(tmp_path, clock)
    minute = 60 * NS_PER_SECOND
    for i in (2, 3, 4):
        sink.append(Bar(T0 + i * minute, SYMBOL, 10.0, 11.0, 9.0, 10.0, 1.0))
    sink.flush(everything=True)
    for i, close in ((1, 10.5), (3, 10.75)):  # one earlier bar, one replacing an archived bar
        sink.append(Bar(T0 + i * minute, SYMBOL, 10.0, 11.0, 9.0, close, 2.0))
    sink.flush(everything=True)
    bars = archived(tmp_path, "bars_1m")
    assert ((bars["ts"] - T0) // minute).tolist() == [1, 2, 3, 4]
    assert bars["close"].tolist() == [10.5, 10.0, 10.75, 10.0]


def test_utc_day_rollover_starts_a_new_day_file(tmp_path):
    clock = SimulatedClock(T0 + NS_PER_DAY - 10 * NS_PER_SECOND)
    sink = recorder(tmp_path, clock)
    before_midnight = trades(5, start=T0 + NS_PER_DAY - 5 * NS_PER_SECOND, step=NS_PER_SECOND)
    after_midnight = trades(3, start=T0 + NS_PER_DAY, step=NS_PER_SECOND)
    for trade in before_midnight + after_midnight:  # one batch across midnight
        sink.append(trade)
    sink.write(sink.take())
    assert sink.compact() == []
    clock.advance_to(T0 + NS_PER_DAY + 5 * NS_PER_SECOND)
    assert sink.compact() == [day_file(tmp_path)], "the day that ended is merged at once"
    assert parts_of(tmp_path) and parts_of(tmp_path)[0].startswith("2024-01-02.")
    sink.flush(everything=True)
    assert read_archive(tmp_path, "syncron", SYMBOL, "trades", "2024-01-01", "2024-01-02")["ts"].tolist() == [
        t.ts for t in before_midnight]
    assert read_archive(tmp_path, "syncron", SYMBOL, "trades", "2024-01-02", "2024-01-03")["ts"].tolist() == [
        t.ts for t in after_midnight]


def test_memory_is_bounded_and_dropped_events_are_noted_in_gaps(tmp_path):
    sink = recorder(tmp_path, SimulatedClock(T0), flush_rows=10, max_buffer_rows=40)
    events = trades(100)
    for event in events:
        sink.append(event)
    assert sink.buffered == 40 and sink.stats.dropped == 60
    sink.flush(everything=True)
    assert len(archived(tmp_path)) == 40
    (note,) = read_recorded(tmp_path, "syncron", SYMBOL, "gaps").to_pylist()
    assert note["event"] == MARK_DROPPED and note["count"] == 60
    assert note["ts"].value == events[40].ts
    sink.append(events[0])
    assert sink.buffered == 1, "the buffer takes events again once taken"


def test_failed_writes_keep_at_most_the_buffer_bound(tmp_path, monkeypatch):
    sink = recorder(tmp_path, SimulatedClock(T0), flush_rows=10, max_buffer_rows=30)

    def disk_full(self, table, row_group_size=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", disk_full)
    for batch in range(4):
        for trade in trades(20, start=T0 + (batch + 1) * NS_PER_SECOND):
            sink.append(trade)
        sink.write(sink.take())
    assert sink.stats.write_failures == 4
    assert sum(rows.num_rows for _, rows in sink._retry) <= 30
    monkeypatch.undo()
    sink.flush(everything=True)
    kept = archived(tmp_path)
    assert len(kept) + sink.stats.discarded == 80 and len(kept) <= 30 and sink.stats.dropped == 0
    notes = read_recorded(tmp_path, "syncron", SYMBOL, "gaps").to_pylist()
    assert sum(n["count"] for n in notes if n["event"] == MARK_DROPPED) == sink.stats.discarded
