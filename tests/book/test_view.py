"""BookView: the read-only window on a sequenced book that on_book gets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.book.sequenced import SequencedBook
from botkit.book.view import BookView
from botkit.core.errors import ConfigError
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookGap, BookLevel, BookSnapshot, Quote

from .reference import ReferenceBook

SYM = "BTCUSD"
BID, ASK = BookSide.BID, BookSide.ASK


def snapshot(seq: int = 10, levels: int = 12) -> BookSnapshot:
    bids = tuple(BookLevel(100.0 - i, 1.0 + i) for i in range(levels))
    asks = tuple(BookLevel(101.0 + i, 2.0 + i) for i in range(levels))
    return BookSnapshot(seq, SYM, seq, bids, asks)


def view_of(depth: int = 5, levels: int = 12) -> tuple[SequencedBook, BookView]:
    book = SequencedBook(SYM)
    book.on_snapshot(snapshot(levels=levels))
    return book, BookView(book, depth)


def test_top_of_book_sequence_and_identity():
    _, view = view_of()
    assert (view.symbol, view.ts, view.sequence, view.in_sync, view.depth) == (SYM, 10, 10, True, 5)
    assert (view.bid, view.bid_size, view.ask, view.ask_size) == (100.0, 1.0, 101.0, 2.0)
    assert view.mid == 100.5 and view.spread == 1.0
    assert view.best_bid() == BookLevel(100.0, 1.0) and view.best_ask() == BookLevel(101.0, 2.0)
    assert view.quote() == Quote(10, SYM, 100.0, 1.0, 101.0, 2.0)
    assert "in sync" in repr(view)


def test_depth_is_capped_at_the_views_depth():
    _, view = view_of(depth=5)
    assert view.bids(3) == tuple(BookLevel(100.0 - i, 1.0 + i) for i in range(3))
    assert view.asks() == tuple(BookLevel(101.0 + i, 2.0 + i) for i in range(5))
    assert len(view.bids(50)) == 5 and view.bids(0) == () and view.asks(-1) == ()
    assert view.bid_levels == 12 and view.ask_levels == 12, "the book keeps every level"
    assert view.bid_volume(3) == 1.0 + 2.0 + 3.0 and view.ask_volume() == sum(2.0 + i for i in range(5))
    assert view.bid_volume(0) == 0.0 and view.ask_volume(100) == view.ask_volume(5)


def test_the_view_follows_the_book_and_cannot_change_it():
    book, view = view_of()
    book.on_deltas([BookDelta(11, SYM, 11, BID, 100.5, 7.0), BookDelta(11, SYM, 11, ASK, 101.0, 0.0)])
    assert (view.bid, view.bid_size, view.ask, view.sequence, view.ts) == (100.5, 7.0, 102.0, 11, 11)
    assert not any(name.startswith(("apply", "on_", "set", "clear")) for name in dir(view))
    with pytest.raises(AttributeError):
        view.bid = 1.0  # type: ignore[misc]


def test_a_book_out_of_sync_reads_empty():
    book, view = view_of()
    book.on_delta(BookDelta(20, SYM, 20, BID, 99.5, 1.0))  # skips 11..19: a gap
    assert not view.in_sync
    assert all(math.isnan(x) for x in (view.bid, view.bid_size, view.ask, view.ask_size, view.mid, view.spread))
    assert view.bids() == () and view.asks() == () and view.bid_volume() == 0.0 and view.quote() is None
    assert view.best_bid() is None and view.best_ask() is None


def test_an_empty_side_gives_nan_not_an_error():
    book = SequencedBook(SYM)
    book.on_snapshot(BookSnapshot(1, SYM, 1, (BookLevel(99.0, 1.0),), ()))
    view = BookView(book)
    assert view.in_sync and view.bid == 99.0 and math.isnan(view.ask) and math.isnan(view.mid)
    assert not view.bid_size > view.ask_size and view.ask_volume() == 0.0 and view.quote() is None


@pytest.mark.parametrize("depth", [0, 1001, 2.5, True])
def test_depth_must_be_a_sensible_int(depth):
    with pytest.raises(ConfigError, match="book depth"):
        BookView(SequencedBook(SYM), depth)


levels = st.tuples(st.sampled_from([BID, ASK]), st.integers(1, 40), st.sampled_from([0.0, 0.5, 1.0, 3.0]))


@settings(max_examples=150, deadline=None)
@given(st.lists(levels, max_size=60), st.integers(1, 12))
def test_the_view_agrees_with_a_reference_book(changes, depth):
    """Bids on ticks 1..40, asks on 41..80: never crossed, so every batch keeps the book in sync."""
    book = SequencedBook(SYM)
    reference = ReferenceBook(SYM)
    start = snapshot(1, levels=3)
    book.on_snapshot(start)
    reference.apply_snapshot(start)
    view = BookView(book, depth)
    for seq, (side, tick, size) in enumerate(changes, start=2):
        price = float(tick) if side is BID else float(tick + 100)
        delta = BookDelta(seq, SYM, seq, side, price, size)
        book.on_delta(delta)
        reference.apply(delta)
        assert view.in_sync and view.sequence == seq
        assert view.bids() == reference.sorted_bids()[:depth] and view.asks() == reference.sorted_asks()[:depth]
        assert view.bid_volume() == pytest.approx(sum(s for _, s in reference.sorted_bids()[:depth]))
        assert view.ask_volume(2) == pytest.approx(sum(s for _, s in reference.sorted_asks()[:min(2, depth)]))
        quote = reference.quote()
        assert view.quote() == quote
        if quote is not None:
            assert (view.bid, view.bid_size, view.ask, view.ask_size) == quote[2:]


def test_a_reset_takes_the_view_out_of_sync_until_the_next_snapshot():
    book, view = view_of()
    update = book.reset(99)
    assert isinstance(update.events[0], BookGap) and not view.in_sync and view.bids() == ()
    book.on_snapshot(snapshot(30))
    assert view.in_sync and view.sequence == 30 and view.bid == 100.0
