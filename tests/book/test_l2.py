"""L2Book: levels from snapshots and deltas, best levels, depth, quotes, crossed and bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.book.l2 import L2Book
from botkit.core.errors import ProtocolError
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookLevel, BookSnapshot, Quote

from .reference import ReferenceBook

SYM = "BTCUSD"
BID, ASK = BookSide.BID, BookSide.ASK


def snap(bids: list[tuple[float, float]], asks: list[tuple[float, float]], seq: int = 10,
         ts: int = 1) -> BookSnapshot:
    return BookSnapshot(ts, SYM, seq, tuple(BookLevel(p, s) for p, s in bids),
                        tuple(BookLevel(p, s) for p, s in asks))


def delta(side: BookSide, price: float, size: float, seq: int = 11, ts: int = 2) -> BookDelta:
    return BookDelta(ts, SYM, seq, side, price, size)


@pytest.fixture
def book() -> L2Book:
    b = L2Book(SYM)
    b.apply_snapshot(snap([(99.0, 1.0), (98.0, 2.0), (97.0, 3.0)],
                          [(101.0, 1.5), (102.0, 2.5), (103.0, 3.5)]))
    return b


def test_empty_book_serves_nothing():
    b = L2Book(SYM)
    assert b.best_bid() is None and b.best_ask() is None
    assert b.quote() is None and b.mid() is None and b.spread() is None
    assert not b.crossed
    assert b.depth(5) == BookSnapshot(0, SYM, -1, (), ())


def test_snapshot_sets_levels_best_first_whatever_the_input_order():
    b = L2Book(SYM)
    b.apply_snapshot(snap([(98.0, 2.0), (99.0, 1.0), (97.0, 0.0)], [(102.0, 2.0), (101.0, 1.0)]))
    assert b.bids() == (BookLevel(99.0, 1.0), BookLevel(98.0, 2.0))  # size 0 skipped
    assert b.asks() == (BookLevel(101.0, 1.0), BookLevel(102.0, 2.0))
    assert (b.sequence, b.ts, b.bid_count, b.ask_count) == (10, 1, 2, 2)


def test_best_levels_quote_mid_spread(book: L2Book):
    assert book.best_bid() == BookLevel(99.0, 1.0)
    assert book.best_ask() == BookLevel(101.0, 1.5)
    assert book.quote() == Quote(1, SYM, 99.0, 1.0, 101.0, 1.5)
    assert book.mid() == 100.0
    assert book.spread() == 2.0


def test_insert_new_best_and_inner_levels(book: L2Book):
    book.apply_delta(delta(BID, 99.5, 4.0))
    book.apply_delta(delta(ASK, 102.5, 0.5, seq=12, ts=3))
    assert book.best_bid() == BookLevel(99.5, 4.0)
    assert book.asks() == (BookLevel(101.0, 1.5), BookLevel(102.0, 2.5), BookLevel(102.5, 0.5),
                           BookLevel(103.0, 3.5))
    assert (book.sequence, book.ts) == (12, 3)
    assert book.quote() == Quote(3, SYM, 99.5, 4.0, 101.0, 1.5)


def test_update_changes_size_only(book: L2Book):
    book.apply_delta(delta(BID, 98.0, 7.0))
    assert book.bids() == (BookLevel(99.0, 1.0), BookLevel(98.0, 7.0), BookLevel(97.0, 3.0))
    assert book.bid_count == 3


def test_size_zero_removes_a_level_and_a_missing_level_is_a_noop(book: L2Book):
    book.apply_delta(delta(ASK, 101.0, 0.0))
    assert book.best_ask() == BookLevel(102.0, 2.5)
    book.apply_delta(delta(ASK, 150.0, 0.0))
    book.apply_delta(delta(BID, 101.0, 0.0))  # an ask price, on the bid side: not there
    assert book.ask_count == 2 and book.bid_count == 3


def test_removing_the_last_level_of_a_side_stops_the_quote(book: L2Book):
    for price in (99.0, 98.0, 97.0):
        book.apply_delta(delta(BID, price, 0.0))
    assert book.best_bid() is None
    assert book.quote() is None and book.mid() is None and book.spread() is None
    assert book.best_ask() == BookLevel(101.0, 1.5)


def test_depth_gives_n_levels_each_side(book: L2Book):
    top = book.depth(2)
    assert top == BookSnapshot(1, SYM, 10, (BookLevel(99.0, 1.0), BookLevel(98.0, 2.0)),
                               (BookLevel(101.0, 1.5), BookLevel(102.0, 2.5)))
    assert book.depth(0).bids == () and book.depth(0).asks == ()
    assert len(book.depth(50).bids) == 3
    assert book.depth() == book.depth(3)


def test_crossed_and_locked_books_serve_no_quote(book: L2Book):
    book.apply_delta(delta(BID, 101.0, 1.0))  # locked: bid == ask
    assert book.crossed
    assert book.quote() is None and book.mid() is None and book.spread() is None
    assert book.best_bid() == BookLevel(101.0, 1.0)  # the raw levels stay readable
    book.apply_delta(delta(BID, 101.0, 0.0))
    assert not book.crossed and book.quote() is not None
    book.apply_delta(delta(ASK, 98.5, 1.0))  # crossed from the ask side
    assert book.crossed and book.quote() is None


def test_crossed_snapshot_is_reported():
    b = L2Book(SYM)
    b.apply_snapshot(snap([(100.0, 1.0)], [(99.0, 1.0)]))
    assert b.crossed and b.quote() is None


@pytest.mark.parametrize(("price", "size"), [
    (math.nan, 1.0), (100.0, math.nan), (-1.0, 1.0), (0.0, 1.0), (100.0, -0.5),
    (math.inf, 1.0), (100.0, math.inf),
])
def test_invalid_delta_raises_and_leaves_the_book_unchanged(book: L2Book, price, size):
    before = book.depth()
    with pytest.raises(ProtocolError, match="price must be finite"):
        book.apply_delta(delta(BID, price, size))
    with pytest.raises(ProtocolError):
        book.apply_deltas([delta(ASK, 104.0, 1.0), delta(ASK, price, size)])
    assert book.depth() == before


@pytest.mark.parametrize(("price", "size"), [(math.nan, 1.0), (100.0, -1.0), (-5.0, 1.0)])
def test_invalid_snapshot_raises_and_leaves_the_book_unchanged(book: L2Book, price, size):
    before = book.depth()
    with pytest.raises(ProtocolError):
        book.apply_snapshot(snap([(price, size)], [(101.0, 1.0)], seq=50))
    assert book.depth() == before


def test_snapshot_listing_a_price_twice_is_refused(book: L2Book):
    with pytest.raises(ProtocolError, match="twice"):
        book.apply_snapshot(snap([(99.0, 1.0), (99.0, 2.0)], []))


def test_other_symbol_is_refused(book: L2Book):
    with pytest.raises(ProtocolError, match="route by symbol"):
        book.apply_delta(BookDelta(1, "ETHUSD", 11, BID, 99.0, 1.0))
    with pytest.raises(ProtocolError, match="route by symbol"):
        book.apply_snapshot(BookSnapshot(1, "ETHUSD", 11, (), ()))


def test_apply_deltas_applies_in_order(book: L2Book):
    book.apply_deltas([delta(BID, 99.5, 1.0, seq=11), delta(BID, 99.5, 0.0, seq=12, ts=3),
                       delta(BID, 99.7, 2.0, seq=13, ts=4)])
    assert book.best_bid() == BookLevel(99.7, 2.0)
    assert (book.sequence, book.ts) == (13, 4)


def test_clear_empties_both_sides(book: L2Book):
    book.clear()
    assert book.bid_count == book.ask_count == 0 and book.quote() is None


# --- property: the book equals a dict-based reference after every update -----------------------

prices = st.integers(1, 40).map(lambda i: i * 0.5)
sizes = st.one_of(st.just(0.0), st.floats(0.001, 1e6, allow_nan=False))
deltas = st.builds(lambda side, price, size: (side, price, size),
                   st.sampled_from([BID, ASK]), prices, sizes)
snapshots = st.tuples(st.dictionaries(prices, sizes, max_size=15),
                      st.dictionaries(prices, sizes, max_size=15))
ops = st.lists(st.one_of(deltas, deltas, deltas, snapshots), max_size=80)


def assert_same(book: L2Book, ref: ReferenceBook) -> None:
    assert book.bids() == ref.sorted_bids()
    assert book.asks() == ref.sorted_asks()
    assert book.crossed == ref.crossed
    assert book.quote() == ref.quote()
    best_bid = ref.sorted_bids()[:1]
    best_ask = ref.sorted_asks()[:1]
    assert book.best_bid() == (best_bid[0] if best_bid else None)
    assert book.best_ask() == (best_ask[0] if best_ask else None)
    quote = ref.quote()
    assert book.mid() == (None if quote is None else (quote.bid + quote.ask) / 2.0)
    assert book.spread() == (None if quote is None else quote.ask - quote.bid)
    assert book.depth(3) == BookSnapshot(ref.ts, SYM, ref.sequence, ref.sorted_bids()[:3],
                                         ref.sorted_asks()[:3])


@settings(max_examples=150, deadline=None)
@given(ops)
def test_book_matches_reference_at_every_step(operations):
    book, ref = L2Book(SYM), ReferenceBook(SYM)
    for seq, op in enumerate(operations):
        if isinstance(op[0], dict):
            bids, asks = op
            snapshot = snap(sorted(bids.items()), sorted(asks.items()), seq=seq, ts=seq)
            book.apply_snapshot(snapshot)
            ref.apply_snapshot(snapshot)
        else:
            d = delta(*op, seq=seq, ts=seq)
            book.apply_delta(d)
            ref.apply(d)
        assert_same(book, ref)
