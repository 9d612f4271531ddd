"""SequencedBook: the snapshot / delta / gap / resync state machine, by hand-written cases."""

from __future__ import annotations

import math

import pytest

from botkit.book.sequenced import NOTHING, BookState, BookUpdate, ResyncReason, SequencedBook
from botkit.core.errors import ConfigError, ProtocolError
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookGap, BookLevel, BookResynced, BookSnapshot, Quote

SYM = "BTCUSD"
BID, ASK = BookSide.BID, BookSide.ASK
BASE_BIDS = ((99.0, 1.0), (98.0, 2.0))
BASE_ASKS = ((101.0, 1.0), (102.0, 2.0))


def snap(seq: int, bids=BASE_BIDS, asks=BASE_ASKS, ts: int | None = None) -> BookSnapshot:
    return BookSnapshot(seq if ts is None else ts, SYM, seq,
                        tuple(BookLevel(p, s) for p, s in bids),
                        tuple(BookLevel(p, s) for p, s in asks))


def d(seq: int, side: BookSide = BID, price: float = 99.5, size: float = 1.0) -> BookDelta:
    return BookDelta(seq * 10, SYM, seq, side, price, size)


def live(seq: int = 10, **kwargs) -> SequencedBook:
    book = SequencedBook(SYM, **kwargs)
    assert book.on_snapshot(snap(seq)) is NOTHING
    assert book.state is BookState.LIVE
    return book


def test_starts_awaiting_and_serves_nothing():
    book = SequencedBook(SYM)
    assert book.state is BookState.AWAITING_SNAPSHOT and book.sequence == -1
    assert book.quote() is None and book.depth() is None and book.mid() is None
    assert book.best_bid() is None and book.best_ask() is None and book.spread() is None


def test_first_snapshot_goes_live_without_events():
    book = live(10)
    assert book.sequence == 10
    assert book.quote() == Quote(10, SYM, 99.0, 1.0, 101.0, 1.0)
    assert book.mid() == 100.0 and book.spread() == 2.0
    assert book.best_bid() == BookLevel(99.0, 1.0) and book.best_ask() == BookLevel(101.0, 1.0)


def test_in_sequence_deltas_apply():
    book = live(10)
    assert book.on_delta(d(11, BID, 99.5, 3.0)) is NOTHING
    assert book.on_delta(d(12, ASK, 101.0, 0.0)) is NOTHING
    assert book.sequence == 12
    assert book.quote() == Quote(120, SYM, 99.5, 3.0, 102.0, 2.0)
    depth = book.depth(1)
    assert depth is not None and depth.sequence == 12
    assert depth.bids == (BookLevel(99.5, 3.0),) and depth.asks == (BookLevel(102.0, 2.0),)


def test_duplicates_and_stale_deltas_are_ignored():
    book = live(10)
    book.on_delta(d(11, BID, 99.5, 3.0))
    before = book.depth()
    assert book.on_delta(d(11, BID, 99.5, 9.0)) is NOTHING  # duplicate
    assert book.on_delta(d(7, BID, 99.9, 9.0)) is NOTHING  # older than the snapshot
    assert book.depth() == before and book.state is BookState.LIVE
    assert book.stats.duplicates == 2


def test_gap_emits_bookgap_stops_quotes_and_asks_for_a_snapshot():
    book = live(10)
    update = book.on_delta(d(13))
    assert update.events == (BookGap(130, SYM, 11, 13),)
    assert update.needs_snapshot and update.reason is ResyncReason.GAP
    assert "expected sequence 11, got 13" in update.detail
    assert book.state is BookState.RESYNCING
    assert book.quote() is None and book.depth() is None and book.mid() is None
    assert book.buffered == 1 and book.stats.gaps == 1


def test_resync_replays_buffered_deltas_newer_than_the_snapshot():
    book = live(10)
    book.on_delta(d(13, BID, 99.3, 1.0))  # gap: 11 and 12 lost
    assert book.on_delta(d(14, BID, 99.4, 1.0)) is NOTHING  # buffered, no second request
    assert book.on_delta(d(15, ASK, 100.5, 2.0)) is NOTHING
    assert book.buffered == 3
    update = book.on_snapshot(snap(13, bids=((99.3, 1.0), (99.0, 1.0)), ts=133))
    assert update == BookUpdate((BookResynced(150, SYM, 15),))
    assert book.state is BookState.LIVE and book.sequence == 15 and book.buffered == 0
    assert book.quote() == Quote(150, SYM, 99.4, 1.0, 100.5, 2.0)
    assert book.stats.stale == 1 and book.stats.resyncs == 1
    assert book.on_delta(d(16, BID, 99.4, 0.0)) is NOTHING  # and carries on live
    assert book.best_bid() == BookLevel(99.3, 1.0)


def test_snapshot_older_than_the_buffer_asks_again():
    book = live(10)
    book.on_delta(d(20))
    book.on_delta(d(21))
    update = book.on_snapshot(snap(15))  # 16..19 are missing
    assert update.needs_snapshot and update.reason is ResyncReason.SNAPSHOT_TOO_OLD
    assert update.events == ()  # the BookGap was already sent
    assert book.state is BookState.RESYNCING and book.quote() is None
    assert book.buffered == 2
    update = book.on_snapshot(snap(20))
    assert update.events == (BookResynced(210, SYM, 21),)
    assert book.state is BookState.LIVE and book.sequence == 21


def test_deltas_before_the_first_snapshot_are_buffered_then_replayed_without_events():
    book = SequencedBook(SYM)
    for seq in (9, 10, 11, 12):
        assert book.on_delta(d(seq, ASK, 100.0 + seq / 10, 1.0)) is NOTHING
    assert book.buffered == 4 and book.quote() is None
    assert book.on_snapshot(snap(10)) is NOTHING  # 9 and 10 stale, 11 and 12 replayed
    assert book.state is BookState.LIVE and book.sequence == 12
    assert book.best_ask() == BookLevel(101.0, 1.0)
    assert [level.price for level in book.depth().asks] == [101.0, 101.1, 101.2, 102.0]


def test_buffer_drops_duplicates_while_waiting():
    book = SequencedBook(SYM)
    book.on_delta(d(11))
    book.on_delta(d(11))
    book.on_delta(d(12))
    book.on_delta(d(11))
    assert book.buffered == 2 and book.stats.duplicates == 2


def test_buffer_overflow_drops_the_oldest_and_asks_for_a_snapshot():
    book = SequencedBook(SYM, max_buffer=3)
    for seq in (11, 12, 13):
        assert book.on_delta(d(seq)) is NOTHING
    update = book.on_delta(d(14))
    assert update.needs_snapshot and update.reason is ResyncReason.OVERFLOW
    assert book.buffered == 3 and book.stats.overflowed == 1
    assert book.on_snapshot(snap(10)).reason is ResyncReason.SNAPSHOT_TOO_OLD  # 11 was dropped
    assert book.on_snapshot(snap(11)) is NOTHING
    assert book.state is BookState.LIVE and book.sequence == 14


def test_overflow_during_a_resync():
    book = live(10, max_buffer=2)
    book.on_delta(d(12))
    book.on_delta(d(13))
    update = book.on_delta(d(14))
    assert update.reason is ResyncReason.OVERFLOW and update.needs_snapshot and not update.events
    assert book.buffered == 2


def test_crossed_book_after_a_delta_is_treated_like_a_gap():
    book = live(10)
    update = book.on_delta(d(11, BID, 101.0, 1.0))  # bid == best ask: locked
    assert update.events == (BookGap(110, SYM, 11, 11),)
    assert update.needs_snapshot and update.reason is ResyncReason.CROSSED
    assert "crossed at sequence 11" in update.detail
    assert book.state is BookState.RESYNCING and book.quote() is None
    book.on_delta(d(12, ASK, 100.5, 1.0))
    assert book.on_snapshot(snap(11)).events == (BookResynced(120, SYM, 12),)
    assert book.quote().ask == 100.5


def test_a_batch_may_cross_transiently_inside_but_not_at_its_end():
    book = live(10)
    batch = [BookDelta(5, SYM, 11, BID, 101.5, 1.0),  # crosses the 101.0 ask for a moment
             BookDelta(5, SYM, 11, ASK, 101.0, 0.0),
             BookDelta(5, SYM, 11, ASK, 102.0, 0.0),
             BookDelta(5, SYM, 11, ASK, 103.0, 4.0)]
    assert book.on_deltas(batch) is NOTHING
    assert book.quote() == Quote(5, SYM, 101.5, 1.0, 103.0, 4.0)
    update = book.on_deltas([BookDelta(6, SYM, 12, ASK, 100.0, 1.0),
                             BookDelta(6, SYM, 12, ASK, 99.5, 1.0)])
    assert update.reason is ResyncReason.CROSSED and update.events == (BookGap(6, SYM, 12, 12),)


def test_a_batch_is_one_sequence_number():
    book = live(10)
    batch = [BookDelta(5, SYM, 11, BID, 99.5, 1.0), BookDelta(5, SYM, 11, ASK, 100.5, 1.0)]
    assert book.on_deltas(batch) is NOTHING
    assert book.quote() == Quote(5, SYM, 99.5, 1.0, 100.5, 1.0)
    assert book.on_deltas([BookDelta(6, SYM, 11, BID, 99.7, 9.0)]) is NOTHING  # duplicate
    assert book.best_bid() == BookLevel(99.5, 1.0)


def test_on_deltas_splits_several_batches_and_merges_their_updates():
    book = live(10)
    update = book.on_deltas([d(11, BID, 99.1), d(12, BID, 99.2), d(14, BID, 99.4), d(15)])
    assert update.events == (BookGap(140, SYM, 13, 14),) and update.needs_snapshot
    assert book.buffered == 2
    assert book.on_deltas([]) is NOTHING


def test_invalid_delta_resyncs_instead_of_serving_it():
    book = live(10)
    update = book.on_delta(d(11, BID, math.nan, 1.0))
    assert update.reason is ResyncReason.INVALID and update.events == (BookGap(110, SYM, 11, 11),)
    assert book.quote() is None
    update = book.on_deltas([BookDelta(1, SYM, 12, ASK, 101.0, -1.0)])  # buffered, not applied
    assert update is NOTHING
    assert book.on_snapshot(snap(11)).reason is ResyncReason.INVALID  # replaying 12 fails
    assert book.state is BookState.RESYNCING and book.buffered == 0
    assert book.on_snapshot(snap(12)).events == (BookResynced(12, SYM, 12),)


def test_invalid_or_crossed_snapshot_asks_again():
    book = live(10)
    update = book.on_snapshot(snap(12, bids=((math.inf, 1.0),)))
    assert update.reason is ResyncReason.INVALID and update.events == (BookGap(12, SYM, 11, 12),)
    update = book.on_snapshot(snap(13, bids=((102.0, 1.0),)))
    assert update.reason is ResyncReason.CROSSED and update.needs_snapshot and not update.events
    assert book.quote() is None
    assert book.on_snapshot(snap(14)).events == (BookResynced(14, SYM, 14),)


def test_a_snapshot_while_live_replaces_the_book():
    book = live(10)
    book.on_delta(d(11))
    assert book.on_snapshot(snap(30, bids=((95.0, 1.0),))) is NOTHING
    assert book.sequence == 30 and book.best_bid() == BookLevel(95.0, 1.0)
    assert book.on_delta(d(31, BID, 96.0)) is NOTHING and book.best_bid().price == 96.0


def test_reset_forgets_everything_and_announces_a_gap_when_live():
    book = live(10)
    book.on_delta(d(11))
    update = book.reset(ts=999)
    assert update == BookUpdate((BookGap(999, SYM, 12, -1),), True, ResyncReason.RESET,
                                "reset by the client")
    assert book.state is BookState.RESYNCING and book.sequence == -1 and book.quote() is None
    assert book.on_snapshot(snap(5)).events == (BookResynced(5, SYM, 5),)  # venue restarted at 5
    fresh = SequencedBook(SYM)
    fresh.on_delta(d(3))
    assert fresh.reset(ts=1).events == () and fresh.buffered == 0
    assert fresh.state is BookState.AWAITING_SNAPSHOT


def test_other_symbols_are_a_routing_bug():
    book = live(10)
    with pytest.raises(ProtocolError, match="route by symbol"):
        book.on_delta(BookDelta(1, "ETHUSD", 11, BID, 99.0, 1.0))
    with pytest.raises(ProtocolError, match="route by symbol"):
        book.on_deltas([d(11), BookDelta(1, "ETHUSD", 11, BID, 99.0, 1.0)])
    with pytest.raises(ProtocolError, match="route by symbol"):
        book.on_snapshot(BookSnapshot(1, "ETHUSD", 11, (), ()))
    assert book.sequence == 10 and book.state is BookState.LIVE


def test_max_buffer_must_be_positive():
    with pytest.raises(ConfigError, match="max_buffer"):
        SequencedBook(SYM, max_buffer=0)


def test_repr_names_state_and_sequence():
    assert repr(live(10)) == "SequencedBook('BTCUSD', state=live, sequence=10, buffered=0)"
