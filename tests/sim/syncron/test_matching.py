"""The order book alone: price-time priority, partial fills, deltas, and invariants."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.model.enums import Side
from botkit.sim.syncron.matching import OrderBook, RestingOrder

D = Decimal


def rest(book: OrderBook, oid: str, side: Side, price: str, qty: str, account: str = "a") -> None:
    book.add(RestingOrder(oid, account, side, D(price), D(qty)))


def test_best_price_fills_first_then_time_priority():
    book = OrderBook("X")
    rest(book, "late-good", Side.SELL, "101", "1")
    rest(book, "first-at-100", Side.SELL, "100", "1")
    rest(book, "second-at-100", Side.SELL, "100", "1")
    matches = book.match(Side.BUY, D("2.5"), D("101"))
    assert [(m.maker_order_id, m.price, m.qty) for m in matches] == [
        ("first-at-100", D(100), D(1)),
        ("second-at-100", D(100), D(1)),
        ("late-good", D(101), D("0.5")),
    ]
    assert book.depth() == ([], [(D(101), D("0.5"))])
    assert "late-good" in book and "first-at-100" not in book


def test_limit_stops_matching_at_its_price():
    book = OrderBook("X")
    rest(book, "b1", Side.BUY, "99", "1")
    rest(book, "b2", Side.BUY, "98", "1")
    matches = book.match(Side.SELL, D(5), D("98.5"))
    assert [(m.maker_order_id, m.qty, m.maker_done) for m in matches] == [("b1", D(1), True)]
    assert book.best_bid() == D(98)


def test_partial_fill_keeps_the_maker_at_the_front():
    book = OrderBook("X")
    rest(book, "m1", Side.SELL, "100", "3")
    rest(book, "m2", Side.SELL, "100", "3")
    book.match(Side.BUY, D(1), None)
    matches = book.match(Side.BUY, D(3), None)
    assert [(m.maker_order_id, m.qty) for m in matches] == [("m1", D(2)), ("m2", D(1))]


def test_reduce_keeps_priority_and_cancel_removes():
    book = OrderBook("X")
    rest(book, "m1", Side.SELL, "100", "3")
    rest(book, "m2", Side.SELL, "100", "3")
    book.reduce("m1", D(1))
    assert book.depth()[1] == [(D(100), D(4))]
    assert book.match(Side.BUY, D(1), None)[0].maker_order_id == "m1"
    assert book.cancel("m2") is not None and book.cancel("m2") is None
    assert book.depth() == ([], [])


def test_walk_and_would_take_do_not_change_the_book():
    book = OrderBook("X")
    rest(book, "a1", Side.SELL, "100", "1")
    rest(book, "a2", Side.SELL, "102", "2")
    assert book.walk(Side.BUY, D(2), None) == (D(2), D(202))
    assert book.walk(Side.BUY, D(5), D(101)) == (D(1), D(100))
    assert book.would_take(Side.BUY, D(100)) and not book.would_take(Side.BUY, D("99.9"))
    assert len(book) == 2


def test_flush_reports_changed_levels_with_consecutive_seq():
    book = OrderBook("X")
    assert book.flush() is None
    rest(book, "b", Side.BUY, "99", "1")
    rest(book, "a", Side.SELL, "101", "2")
    first = book.flush()
    assert first is not None and first.seq == 1
    assert first.bids == ((D(99), D(1)),) and first.asks == ((D(101), D(2)),)
    book.match(Side.BUY, D(2), None)
    second = book.flush()
    assert second is not None and second.seq == 2 and second.asks == ((D(101), D(0)),)


orders = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=90, max_value=110),
        st.integers(min_value=1, max_value=20),
        st.booleans(),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(orders)
def test_book_is_never_crossed_after_matching(flow):
    """Incoming orders match then rest: best bid < best ask, levels sorted, prices respected."""
    book = OrderBook("X")
    for i, (side, price, qty, market) in enumerate(flow):
        limit = None if market else D(price)
        matches = book.match(side, D(qty), limit)
        taken = sum((m.qty for m in matches), D(0))
        assert taken <= qty
        if not market:
            assert all(m.price <= price if side is Side.BUY else m.price >= price for m in matches)
            if taken < qty:
                book.add(RestingOrder(f"o{i}", "a", side, D(price), D(qty) - taken))
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask
        bids, asks = book.depth()
        assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
        assert [p for p, _ in asks] == sorted(p for p, _ in asks)
        assert all(q > 0 for _, q in bids + asks)


@settings(max_examples=200, deadline=None)
@given(orders)
def test_matched_quantity_is_the_same_on_both_sides(flow):
    """Every match takes from one maker what it gives one taker: volumes balance per side."""
    book = OrderBook("X")
    rested: dict[str, tuple[Side, D]] = {}
    maker_fills: dict[str, D] = {}
    taker_total = D(0)
    for i, (side, price, qty, market) in enumerate(flow):
        matches = book.match(side, D(qty), None if market else D(price))
        for m in matches:
            assert rested[m.maker_order_id][0] is side.opposite()
            maker_fills[m.maker_order_id] = maker_fills.get(m.maker_order_id, D(0)) + m.qty
            taker_total += m.qty
        left = D(qty) - sum((m.qty for m in matches), D(0))
        if not market and left > 0:
            rested[f"o{i}"] = (side, left)
            book.add(RestingOrder(f"o{i}", "a", side, D(price), left))
    assert sum(maker_fills.values(), D(0)) == taker_total
    resting = sum((q for _, q in book.depth()[0] + book.depth()[1]), D(0))
    assert resting + sum(maker_fills.values(), D(0)) == sum((q for _, q in rested.values()), D(0))
