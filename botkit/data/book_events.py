"""Recorded order books read back as model events, and synthetic ones written as if recorded.

The archive keeps a symbol's book as two event kinds (``botkit.data.kinds.EVENT_COLUMNS``):
``book_snapshots`` (one row per level: ``ts, sequence, side, level, price, size``; a snapshot with
no levels is one row of side 0) and ``book_deltas`` (one row per changed level: ``ts, sequence,
side, price, size``; the rows of one venue message share a sequence); the feed's book gaps are
``book_gap`` rows of ``gaps``. ``read_book_events`` turns them back into ``BookSnapshot``,
``BookDeltaBatch`` (consecutive delta rows with equal sequence form one batch) and ``BookGap``
events in time order, one UTC day at a time, so memory holds one day of one symbol's rows. The
backtester replays these through a ``BookKeeper``, as the live engine applies what the venue
sends. (``book_resynced`` rows are not needed: the snapshot that follows a gap brings the book back.)

Three tables lose the order in which their rows arrived within one timestamp, so events with
equal ``ts`` are ordered deltas, then gaps, then snapshots: a delta that really came after a
snapshot is then buffered by the sequenced book and replayed on the snapshot, the same result.

``write_book_events`` stores model book events exactly as the recorder would (the recorder's own
tables, ``botkit.data.recorded.tables_of``), overwriting the day files they touch: how
``botkit data generate --book`` writes the synthetic book of ``botkit.data.synthetic_book``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from botkit.core.clock import NS_PER_DAY
from botkit.core.errors import DataError
from botkit.data.archive import TimeLike, time_to_ns
from botkit.data.layout import check_name, day_file_name, day_start_ns, kind_dir, list_days
from botkit.data.parts import split_by_day, write_table
from botkit.data.recorded import GAP_BOOK, read_recorded, tables_of
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookDeltaBatch, BookGap, BookLevel, BookSnapshot

BOOK_KINDS = ("book_snapshots", "book_deltas")
"""The archive kinds that hold a recorded book (a spec's ``data.kind: book`` reads both, and ``gaps``)."""

ReplayedBookEvent = BookSnapshot | BookDeltaBatch | BookGap
_RANK = {BookDeltaBatch: 0, BookGap: 1, BookSnapshot: 2}
_SIDES = {1: BookSide.BID, -1: BookSide.ASK}
_new_delta = BookDelta._make
_new_level = BookLevel._make


def book_days(root: str | Path, venue: str, symbol: str) -> list[int]:
    """Start (ns) of each UTC day with recorded book rows of ``symbol``, sorted."""
    days = {day for kind in BOOK_KINDS for day in list_days(root, venue, symbol, kind)}
    return [day_start_ns(day) for day in sorted(days)]


def read_book_events(
    root: str | Path, venue: str, symbols: Sequence[str], start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> Iterator[ReplayedBookEvent]:
    """The recorded book snapshots, delta batches and gaps of ``symbols`` with ``start <= ts < end``, in time order.

    Events with equal ``ts`` keep symbol order (and within a symbol: deltas, gaps, snapshots; see
    the module). Raises DataError up front if a symbol has no book data at all.
    """
    start_ns = None if start is None else time_to_ns(start)
    end_ns = None if end is None else time_to_ns(end)
    streams = []
    for symbol in symbols:
        days = book_days(root, venue, symbol)
        if not days:
            where = kind_dir(root, venue, symbol, "book_deltas").parent
            raise DataError(f"no recorded book for {symbol} in {where} (no book_snapshots or book_deltas day files): "
                            "record it (botkit record, with record.kinds including book) or generate it "
                            "(botkit data generate --book N)")
        streams.append(_symbol_events(root, venue, symbol, days, start_ns, end_ns))
    return heapq.merge(*streams, key=_ts)


def _ts(event: ReplayedBookEvent) -> int:
    return event.ts


def _order(event: ReplayedBookEvent) -> tuple[int, int]:
    return event.ts, _RANK[type(event)]


def _symbol_events(root: str | Path, venue: str, symbol: str, days: list[int], start_ns: int | None,
                   end_ns: int | None) -> Iterator[ReplayedBookEvent]:
    stored = {kind: {day_start_ns(d) for d in list_days(root, venue, symbol, kind)} for kind in (*BOOK_KINDS, "gaps")}
    for day in days:
        lo = day if start_ns is None else max(day, start_ns)
        hi = day + NS_PER_DAY if end_ns is None else min(day + NS_PER_DAY, end_ns)
        if hi <= lo:
            continue
        snapshots, deltas, gaps = (read_recorded(root, venue, symbol, kind, lo, hi) if day in stored[kind] else None
                                   for kind in (*BOOK_KINDS, "gaps"))
        yield from heapq.merge(_batches(deltas, symbol), _gaps(gaps, symbol), _snapshots(snapshots, symbol),
                               key=_order)


def _columns(table: pa.Table, names: Sequence[str]) -> list[list[Any]]:
    return [table.column(name).cast(pa.int64()).to_pylist() if name == "ts" else table.column(name).to_pylist()
            for name in names]


def _batches(table: pa.Table | None, symbol: str) -> Iterator[BookDeltaBatch]:
    """Consecutive delta rows with equal sequence as one batch each."""
    if table is None or table.num_rows == 0:
        return
    ts, sequence, side, price, size = _columns(table, ("ts", "sequence", "side", "price", "size"))
    n = len(ts)
    i = 0
    while i < n:
        seq = sequence[i]
        j = i + 1
        while j < n and sequence[j] == seq:
            j += 1
        try:
            deltas = tuple(_new_delta((ts[k], symbol, seq, _SIDES[side[k]], price[k], size[k])) for k in range(i, j))
        except KeyError:
            raise DataError(f"book_deltas of {symbol}: side must be 1 (bid) or -1 (ask), got "
                            f"{[side[k] for k in range(i, j)]} at sequence {seq}") from None
        yield BookDeltaBatch(ts[i], symbol, seq, deltas)
        i = j


def _gaps(table: pa.Table | None, symbol: str) -> Iterator[BookGap]:
    """The feed's book gaps (``book_gap`` rows; the recorder's own notes are skipped)."""
    if table is None or table.num_rows == 0:
        return
    ts, event, expected, received = _columns(table, ("ts", "event", "expected", "received"))
    for at, name, wanted, got in zip(ts, event, expected, received, strict=True):
        if name == GAP_BOOK:
            yield BookGap(at, symbol, wanted, got)


def _snapshots(table: pa.Table | None, symbol: str) -> Iterator[BookSnapshot]:
    """Consecutive level rows with equal ts and sequence as one snapshot each (side 0: no levels)."""
    if table is None or table.num_rows == 0:
        return
    ts, sequence, side, price, size = _columns(table, ("ts", "sequence", "side", "price", "size"))
    n = len(ts)
    i = 0
    while i < n:
        at, seq = ts[i], sequence[i]
        bids: list[BookLevel] = []
        asks: list[BookLevel] = []
        j = i
        while j < n and ts[j] == at and sequence[j] == seq:
            if side[j] == 1:
                bids.append(_new_level((price[j], size[j])))
            elif side[j] == -1:
                asks.append(_new_level((price[j], size[j])))
            elif side[j] != 0:
                raise DataError(f"book_snapshots of {symbol}: side must be 1, -1 or 0 (empty), got {side[j]} "
                                f"at sequence {seq}")
            j += 1
        yield BookSnapshot(at, symbol, seq, tuple(bids), tuple(asks))
        i = j


def write_book_events(root: str | Path, venue: str, events: Iterable[object]) -> list[Path]:
    """Write model book events (snapshots, deltas, batches, gaps) as recorded day files; returns them.

    A ``BookDeltaBatch`` is stored as its deltas. Day files the events touch are overwritten.
    """
    check_name("venue", venue)
    flat: list[object] = []
    for event in events:
        if type(event) is BookDeltaBatch:
            flat.extend(event.deltas)
        else:
            flat.append(event)
    converted = tables_of(flat, venue=venue, price_venue=venue, bot="", bar_kind="bars_1m")
    written = []
    for key, table in converted.tables.items():
        directory = kind_dir(root, key.venue, key.symbol, key.kind)
        directory.mkdir(parents=True, exist_ok=True)
        for day, rows in split_by_day(table):
            path = directory / day_file_name(day)
            write_table(path, rows)
            written.append(path)
    return written
