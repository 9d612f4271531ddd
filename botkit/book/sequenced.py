"""The sequence state machine around an L2 book: gaps, duplicates, buffering and resyncs.

Sans-IO: ``SequencedBook`` never fetches anything. Each call returns a ``BookUpdate`` saying which
events to publish and whether the client should get a fresh snapshot (REST fetch or resubscribe)
and feed it to ``on_snapshot``. ``docs/book.md`` shows an asyncio client driving it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from botkit.book.l2 import L2Book
from botkit.core.errors import ConfigError, ProtocolError
from botkit.model.events import BookDelta, BookGap, BookLevel, BookResynced, BookSnapshot, Quote

_INF = math.inf


class BookState(StrEnum):
    """Where a SequencedBook is; only ``LIVE`` serves quotes."""

    AWAITING_SNAPSHOT = "awaiting_snapshot"
    """No snapshot yet (or none since ``reset``): deltas are buffered."""
    LIVE = "live"
    """Snapshot applied and every delta since in sequence: quotes are served."""
    RESYNCING = "resyncing"
    """A BookGap was emitted: deltas are buffered until a snapshot rebuilds the book."""


_LIVE = BookState.LIVE


class ResyncReason(StrEnum):
    """Why a SequencedBook wants a fresh snapshot."""

    GAP = "gap"
    """A delta skipped one or more sequence numbers."""
    CROSSED = "crossed"
    """Best bid >= best ask after a snapshot or a batch of deltas."""
    INVALID = "invalid"
    """A price or size was NaN, infinite or negative, or a snapshot listed a price twice."""
    OVERFLOW = "overflow"
    """The delta buffer filled up while waiting for a snapshot; the oldest deltas were dropped."""
    SNAPSHOT_TOO_OLD = "snapshot_too_old"
    """The snapshot is older than the first buffered delta, so the deltas between are missing."""
    RESET = "reset"
    """The client called ``reset``, e.g. after its connection dropped."""


class BookUpdate(NamedTuple):
    """What one call to a SequencedBook asks of the client.

    ``events``: BookGap / BookResynced to publish, in order. ``needs_snapshot``: get a fresh
    snapshot and feed it to ``on_snapshot`` (if a fetch is already under way, let it finish).
    ``reason`` and ``detail`` say why, for the log.
    """

    events: tuple[BookGap | BookResynced, ...] = ()
    needs_snapshot: bool = False
    reason: ResyncReason | None = None
    detail: str = ""


NOTHING = BookUpdate()
"""The update of a call that needs nothing from the client (the common case)."""


@dataclass(slots=True)
class BookStats:
    """Counters of what a SequencedBook dropped, lost and rebuilt, for metrics."""

    duplicates: int = 0
    """Deltas dropped because their sequence was already applied or buffered."""
    stale: int = 0
    """Buffered deltas dropped because the snapshot already contained them."""
    overflowed: int = 0
    """Buffered deltas dropped because the buffer was full."""
    gaps: int = 0
    """BookGap events emitted."""
    resyncs: int = 0
    """BookResynced events emitted."""


class SequencedBook:
    """One symbol's L2 book that applies deltas only in sequence and resyncs itself after gaps.

    Rules (Syncron's book channel, and most venues'): a snapshot carries sequence S and always
    replaces the book; deltas follow with S+1, S+2, ... A *batch* (one wire message: several
    levels sharing one sequence) is applied as a unit, and crossing is checked after it.
    Deltas with a sequence already applied are duplicates and dropped. A sequence that skips
    ahead is a gap: the book emits BookGap, stops serving quotes, buffers deltas and asks for a
    snapshot; the snapshot is applied, buffered deltas newer than it are replayed, and
    BookResynced is emitted. A crossed book or an invalid level is handled like a gap.
    """

    __slots__ = ("_book", "_buffer", "_buffered", "_last", "_max_buffer", "_state", "_stats",
                 "_symbol")

    def __init__(self, symbol: str, max_buffer: int = 10_000) -> None:
        if max_buffer < 1:
            raise ConfigError(f"book max_buffer must be >= 1 delta, got {max_buffer}")
        self._symbol = symbol
        self._book = L2Book(symbol)
        self._state = BookState.AWAITING_SNAPSHOT
        self._last = -1
        self._buffer: deque[tuple[BookDelta, ...]] = deque()
        self._buffered = 0
        self._max_buffer = max_buffer
        self._stats = BookStats()

    # --- input ---------------------------------------------------------------------------------

    def on_delta(self, delta: BookDelta) -> BookUpdate:
        """Take one delta that is a whole batch (its sequence is not shared with other deltas).

        Raises ProtocolError for a delta of another symbol (a routing bug, not venue data).
        """
        _, symbol, sequence, side, price, size = delta
        if (sequence == self._last + 1 and self._state is _LIVE and symbol == self._symbol
                and 0.0 < price < _INF and 0.0 <= size < _INF):
            book = self._book
            crossed = book._set_level(side, price, size)
            book._ts = delta.ts
            book._sequence = sequence
            self._last = sequence
            if crossed:
                return self._lose(ResyncReason.CROSSED, delta.ts, sequence, sequence,
                                  self._crossed_detail())
            return NOTHING
        return self.on_deltas((delta,))

    def on_deltas(self, deltas: Sequence[BookDelta]) -> BookUpdate:
        """Take the deltas of one or more batches, in arrival order.

        Consecutive deltas with the same sequence form one batch. Give all levels of a wire
        message in one call: fed one by one, every level after the first would be a duplicate.
        Raises ProtocolError for a delta of another symbol (a routing bug, not venue data).
        """
        if not deltas:
            return NOTHING
        symbol = self._symbol
        first = deltas[0].sequence
        one_batch = True
        for delta in deltas:
            if delta.symbol != symbol:
                raise ProtocolError(
                    f"book for {symbol} got a delta for {delta.symbol}; route by symbol"
                )
            one_batch = one_batch and delta.sequence == first
        if one_batch:
            return self._on_batch(tuple(deltas))
        events: list[BookGap | BookResynced] = []
        needs = False
        reason: ResyncReason | None = None
        detail = ""
        start = 0
        while start < len(deltas):
            sequence = deltas[start].sequence
            end = start + 1
            while end < len(deltas) and deltas[end].sequence == sequence:
                end += 1
            update = self._on_batch(tuple(deltas[start:end]))
            events.extend(update.events)
            needs = needs or update.needs_snapshot
            reason = update.reason or reason
            detail = update.detail or detail
            start = end
        if not needs and not events:
            return NOTHING
        return BookUpdate(tuple(events), needs, reason, detail)

    def on_snapshot(self, snapshot: BookSnapshot) -> BookUpdate:
        """Replace the book with ``snapshot``, replay buffered deltas newer than it, go live.

        Raises ProtocolError for a snapshot of another symbol (a routing bug, not venue data).
        """
        if snapshot.symbol != self._symbol:
            raise ProtocolError(
                f"book for {self._symbol} got a snapshot for {snapshot.symbol}; route by symbol"
            )
        book = self._book
        try:
            book.apply_snapshot(snapshot)
        except ProtocolError as error:
            return self._lose(ResyncReason.INVALID, snapshot.ts, self._last + 1,
                              snapshot.sequence, str(error))
        was = self._state
        self._last = snapshot.sequence
        if book.crossed:
            return self._lose(ResyncReason.CROSSED, snapshot.ts, snapshot.sequence,
                              snapshot.sequence, self._crossed_detail())
        update = self._replay()
        if update is not None:
            return update
        self._state = BookState.LIVE
        if was is not BookState.RESYNCING:
            return NOTHING
        self._stats.resyncs += 1
        return BookUpdate((BookResynced(book.ts, self._symbol, self._last),))

    def reset(self, ts: int) -> BookUpdate:
        """Forget levels, buffer and sequence, e.g. when the connection dropped.

        If the book was live, the update carries a BookGap with ``received`` -1 (nothing more
        will arrive on this connection) and the next snapshot emits BookResynced.
        """
        was = self._state
        self._book.clear()
        self._buffer.clear()
        self._buffered = 0
        expected = self._last + 1
        self._last = -1
        if was is not BookState.LIVE:
            return BookUpdate((), True, ResyncReason.RESET, "reset by the client")
        return self._lose(ResyncReason.RESET, ts, expected, -1, "reset by the client")

    # --- reads ---------------------------------------------------------------------------------

    @property
    def symbol(self) -> str:
        """The symbol this book belongs to."""
        return self._symbol

    @property
    def state(self) -> BookState:
        """Where the state machine is; only LIVE serves quotes."""
        return self._state

    @property
    def sequence(self) -> int:
        """Sequence of the last snapshot or batch applied; -1 before the first snapshot."""
        return self._last

    @property
    def buffered(self) -> int:
        """Number of deltas waiting in the buffer for a snapshot."""
        return self._buffered

    @property
    def stats(self) -> BookStats:
        """Counters of dropped deltas, gaps and resyncs (live object, for metrics)."""
        return self._stats

    def quote(self) -> Quote | None:
        """Top of book; None unless LIVE with both sides non-empty."""
        return self._book.quote() if self._state is BookState.LIVE else None

    def best_bid(self) -> BookLevel | None:
        """The highest bid level; None unless LIVE with bids."""
        return self._book.best_bid() if self._state is BookState.LIVE else None

    def best_ask(self) -> BookLevel | None:
        """The lowest ask level; None unless LIVE with asks."""
        return self._book.best_ask() if self._state is BookState.LIVE else None

    def mid(self) -> float | None:
        """Midpoint of best bid and ask; None whenever ``quote()`` is None."""
        return self._book.mid() if self._state is BookState.LIVE else None

    def spread(self) -> float | None:
        """Best ask minus best bid; None whenever ``quote()`` is None."""
        return self._book.spread() if self._state is BookState.LIVE else None

    def depth(self, n: int | None = None) -> BookSnapshot | None:
        """The best ``n`` levels of each side (all if None); None unless LIVE."""
        return self._book.depth(n) if self._state is BookState.LIVE else None

    def __repr__(self) -> str:
        return (
            f"SequencedBook({self._symbol!r}, state={self._state.value}, "
            f"sequence={self._last}, buffered={self._buffered})"
        )

    # --- machinery -----------------------------------------------------------------------------

    def _on_batch(self, batch: tuple[BookDelta, ...]) -> BookUpdate:
        sequence = batch[0].sequence
        if self._state is not BookState.LIVE:
            return self._hold(batch)
        if sequence <= self._last:
            self._stats.duplicates += len(batch)
            return NOTHING
        if sequence > self._last + 1:
            update = self._lose(ResyncReason.GAP, batch[0].ts, self._last + 1, sequence,
                                f"expected sequence {self._last + 1}, got {sequence}")
            self._hold(batch)
            return update
        failure = self._apply(batch)
        if failure is None:
            return NOTHING
        reason, detail = failure
        return self._lose(reason, batch[-1].ts, sequence, sequence, detail)

    def _apply(self, batch: tuple[BookDelta, ...]) -> tuple[ResyncReason, str] | None:
        """Apply one in-sequence batch; the reason and detail if it left the book unusable."""
        book = self._book
        try:
            book.check_deltas(batch)
        except ProtocolError as error:
            return ResyncReason.INVALID, str(error)
        for _, _, _, side, price, size in batch:
            book._set_level(side, price, size)
        last = batch[-1]
        book._stamp(last.ts, last.sequence)
        self._last = last.sequence
        if book.crossed:
            return ResyncReason.CROSSED, self._crossed_detail()
        return None

    def _hold(self, batch: tuple[BookDelta, ...]) -> BookUpdate:
        """Buffer a batch while not live; drop the oldest batches if the buffer overflows."""
        buffer = self._buffer
        if buffer and batch[0].sequence <= buffer[-1][0].sequence:
            self._stats.duplicates += len(batch)
            return NOTHING
        buffer.append(batch)
        self._buffered += len(batch)
        if self._buffered <= self._max_buffer:
            return NOTHING
        dropped = 0
        while self._buffered > self._max_buffer and len(buffer) > 1:
            oldest = buffer.popleft()
            self._buffered -= len(oldest)
            dropped += len(oldest)
        self._stats.overflowed += dropped
        return BookUpdate((), True, ResyncReason.OVERFLOW,
                          f"buffer of {self._max_buffer} deltas full, dropped the oldest "
                          f"{dropped}; buffered deltas now start at sequence "
                          f"{buffer[0][0].sequence}")

    def _replay(self) -> BookUpdate | None:
        """Replay buffered batches after a snapshot; an update if the book cannot go live."""
        buffer = self._buffer
        while buffer:
            batch = buffer[0]
            sequence = batch[0].sequence
            if sequence <= self._last:
                buffer.popleft()
                self._buffered -= len(batch)
                self._stats.stale += len(batch)
                continue
            if sequence > self._last + 1:
                return self._lose(ResyncReason.SNAPSHOT_TOO_OLD, batch[0].ts, self._last + 1,
                                  sequence, f"snapshot ends at sequence {self._last} but the "
                                  f"buffered deltas start at {sequence}")
            buffer.popleft()
            self._buffered -= len(batch)
            failure = self._apply(batch)
            if failure is not None:
                return self._lose(failure[0], batch[-1].ts, sequence, sequence, failure[1])
        return None

    def _lose(self, reason: ResyncReason, ts: int, expected: int, received: int,
              detail: str) -> BookUpdate:
        """Stop serving quotes and ask for a snapshot; a BookGap if the book was LIVE."""
        self._book.clear()
        was = self._state
        self._state = BookState.AWAITING_SNAPSHOT if was is BookState.AWAITING_SNAPSHOT \
            else BookState.RESYNCING
        if was is not BookState.LIVE:
            return BookUpdate((), True, reason, detail)
        self._stats.gaps += 1
        return BookUpdate((BookGap(ts, self._symbol, expected, received),), True, reason, detail)

    def _crossed_detail(self) -> str:
        return (f"book crossed at sequence {self._last}: best bid {self._book.best_bid()} >= "
                f"best ask {self._book.best_ask()}")
