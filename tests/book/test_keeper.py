"""BookKeeper: model book events in, what on_book / on_book_gap / on_book_resynced should see out."""

from __future__ import annotations

import pytest

from botkit.book.keeper import BookKeeper
from botkit.core.errors import ConfigError
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookDeltaBatch, BookGap, BookLevel, BookResynced, BookSnapshot

SYM = "BTCUSD"
BID, ASK = BookSide.BID, BookSide.ASK


def snap(seq: int, symbol: str = SYM, bid: float = 99.0, ask: float = 101.0) -> BookSnapshot:
    return BookSnapshot(seq, symbol, seq, (BookLevel(bid, 1.0), BookLevel(bid - 1, 2.0)),
                        (BookLevel(ask, 1.0), BookLevel(ask + 1, 2.0)))


def batch(seq: int, *levels: tuple[BookSide, float, float], symbol: str = SYM) -> BookDeltaBatch:
    return BookDeltaBatch(seq, symbol, seq, tuple(BookDelta(seq, symbol, seq, s, p, q) for s, p, q in levels))


def test_nothing_before_the_first_snapshot_then_a_view_per_update():
    books = BookKeeper([SYM], depth=3)
    assert books.apply(batch(5, (BID, 99.5, 1.0))) == ((), None), "buffered: no book yet"
    events, view = books.apply(snap(5))
    assert events == () and view is books.views[SYM] and view.in_sync and view.depth == 3
    events, view = books.apply(batch(6, (BID, 99.5, 4.0), (ASK, 101.0, 0.0)))
    assert events == () and view is not None and (view.bid, view.bid_size, view.ask) == (99.5, 4.0, 102.0)
    assert books.apply(BookDelta(7, SYM, 7, ASK, 101.5, 1.0))[1] is view, "a lone delta is a batch of one"


def test_a_batch_is_applied_whole_even_if_it_crosses_halfway():
    books = BookKeeper([SYM])
    books.apply(snap(1))
    # the bid moves above the old ask, but the same batch lifts the ask: the book never crossed
    events, view = books.apply(batch(2, (BID, 101.5, 1.0), (ASK, 101.0, 0.0), (ASK, 102.0, 0.0), (ASK, 102.5, 1.0)))
    assert events == () and view is not None and (view.bid, view.ask) == (101.5, 102.5)


def test_duplicates_give_no_view_and_other_symbols_are_ignored():
    books = BookKeeper([SYM])
    books.apply(snap(1))
    books.apply(batch(2, (BID, 99.5, 1.0)))
    assert books.apply(batch(2, (BID, 99.5, 1.0))) == ((), None)
    assert books.apply(snap(1, "ETHUSD")) == ((), None)
    assert books.book(SYM).stats.duplicates == 1


def test_a_sequence_gap_reports_once_and_the_snapshot_resyncs():
    books = BookKeeper([SYM])
    books.apply(snap(1))
    events, view = books.apply(batch(4, (BID, 99.5, 1.0)))
    assert events == (BookGap(4, SYM, 2, 4),) and view is None
    assert books.resyncing(SYM) and not books.in_sync(SYM)
    assert books.apply(batch(5, (BID, 99.6, 1.0))) == ((), None), "no view while out of sync"
    assert not books.on_feed_gap(BookGap(5, SYM, 2, 4)), "the feed's report of the same gap is not news"
    events, view = books.apply(snap(5))
    assert events == (BookResynced(5, SYM, 5),) and view is not None and view.in_sync and view.sequence == 5


def test_a_feed_gap_takes_the_book_down_until_the_feeds_snapshot():
    books = BookKeeper([SYM])
    assert not books.on_feed_gap(BookGap(1, SYM, 0, -1)), "nothing to lose before the first snapshot"
    books.apply(snap(1))
    assert books.on_feed_gap(BookGap(2, SYM, 2, -1)) and not books.in_sync(SYM)
    assert books.apply(batch(2, (BID, 99.5, 1.0))) == ((), None)
    events, view = books.apply(snap(3))
    assert events == (BookResynced(3, SYM, 3),) and view is not None and view.sequence == 3


def test_a_snapshot_while_in_sync_replaces_the_book_and_is_an_update():
    books = BookKeeper([SYM, "ETHUSD"])
    books.apply(snap(1))
    events, view = books.apply(snap(1, bid=98.0, ask=100.0))
    assert events == () and view is not None and (view.bid, view.ask) == (98.0, 100.0)
    assert not books.in_sync("ETHUSD") and not books.in_sync("NOPE") and not books.resyncing("NOPE")


def test_a_crossing_batch_takes_the_book_down():
    books = BookKeeper([SYM])
    books.apply(snap(1))
    events, view = books.apply(batch(2, (BID, 105.0, 1.0)))
    assert events == (BookGap(2, SYM, 2, 2),) and view is None


def test_needs_symbols():
    with pytest.raises(ConfigError, match="at least one symbol"):
        BookKeeper([])
