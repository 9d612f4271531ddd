"""A price-time priority order book for one symbol, in plain Python with sorted price levels.

The book knows resting orders only by id, account, side, price and remaining quantity; order
types, funds and positions are the exchange's business. Every change to a level's total size is
remembered until ``flush`` turns the changes into one sequenced L2 delta.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from botkit.model.enums import BookSide, Side

ZERO = Decimal(0)
Level = tuple[Decimal, Decimal]


@dataclass(slots=True)
class RestingOrder:
    """An order's remaining quantity waiting on the book at ``price``."""

    order_id: str
    account_id: str
    side: Side
    price: Decimal
    qty: Decimal


@dataclass(frozen=True, slots=True)
class Match:
    """One execution against a resting (maker) order, at the maker's price."""

    maker_order_id: str
    maker_account_id: str
    price: Decimal
    qty: Decimal
    maker_done: bool


@dataclass(frozen=True, slots=True)
class BookChange:
    """The L2 levels that changed since the previous change, with the new sequence number."""

    seq: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


class _BookSide:
    """Levels of one side: FIFO queues per price and a sorted list of prices."""

    def __init__(self, side: BookSide) -> None:
        self.side = side
        self.queues: dict[Decimal, deque[RestingOrder]] = {}
        self.sizes: dict[Decimal, Decimal] = {}
        self.prices: list[Decimal] = []  # ascending

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.side is BookSide.BID else self.prices[0]

    def prices_best_first(self) -> Iterator[Decimal]:
        return reversed(self.prices) if self.side is BookSide.BID else iter(self.prices)

    def add(self, order: RestingOrder) -> None:
        queue = self.queues.get(order.price)
        if queue is None:
            queue = self.queues[order.price] = deque()
            self.sizes[order.price] = ZERO
            bisect.insort(self.prices, order.price)
        queue.append(order)
        self.sizes[order.price] += order.qty

    def shrink(self, order: RestingOrder, by: Decimal) -> None:
        """Take ``by`` off ``order``; drop the order, and the level if empty, when it reaches 0."""
        order.qty -= by
        self.sizes[order.price] -= by
        if order.qty <= ZERO:
            queue = self.queues[order.price]
            queue.remove(order)
            if not queue:
                del self.queues[order.price]
                del self.sizes[order.price]
                del self.prices[bisect.bisect_left(self.prices, order.price)]


def _crosses(taker: Side, limit: Decimal | None, level: Decimal) -> bool:
    if limit is None:
        return True
    return level <= limit if taker is Side.BUY else level >= limit


class OrderBook:
    """Price-time priority book of one symbol: best price first, then first come first served."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.seq = 0
        self._bids = _BookSide(BookSide.BID)
        self._asks = _BookSide(BookSide.ASK)
        self._orders: dict[str, RestingOrder] = {}
        self._changed: dict[tuple[BookSide, Decimal], None] = {}

    def _side(self, side: Side) -> _BookSide:
        return self._bids if side is Side.BUY else self._asks

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def __len__(self) -> int:
        return len(self._orders)

    def best_bid(self) -> Decimal | None:
        """Highest bid price, None if no bids."""
        return self._bids.best()

    def best_ask(self) -> Decimal | None:
        """Lowest ask price, None if no asks."""
        return self._asks.best()

    def level_size(self, side: BookSide, price: Decimal) -> Decimal:
        """Total resting quantity at ``price`` on ``side`` (0 if no such level)."""
        book = self._bids if side is BookSide.BID else self._asks
        return book.sizes.get(price, ZERO)

    def would_take(self, side: Side, price: Decimal) -> bool:
        """Whether a limit order at ``price`` would match at once (post-only check)."""
        best = self._side(side.opposite()).best()
        return best is not None and _crosses(side, price, best)

    def walk(self, side: Side, qty: Decimal, limit: Decimal | None) -> tuple[Decimal, Decimal]:
        """(quantity, quote cost) an order would fill right now, without changing the book."""
        filled = cost = ZERO
        book = self._side(side.opposite())
        for price in book.prices_best_first():
            if filled >= qty or not _crosses(side, limit, price):
                break
            take = min(qty - filled, book.sizes[price])
            filled += take
            cost += take * price
        return filled, cost

    def match(self, side: Side, qty: Decimal, limit: Decimal | None) -> list[Match]:
        """Fill up to ``qty`` of an incoming order against the opposite side, best price first."""
        matches: list[Match] = []
        book = self._side(side.opposite())
        left = qty
        while left > ZERO:
            price = book.best()
            if price is None or not _crosses(side, limit, price):
                break
            maker = book.queues[price][0]
            take = min(left, maker.qty)
            book.shrink(maker, take)
            left -= take
            done = maker.qty <= ZERO
            if done:
                del self._orders[maker.order_id]
            self._changed[(book.side, price)] = None
            matches.append(Match(maker.order_id, maker.account_id, price, take, done))
        return matches

    def add(self, order: RestingOrder) -> None:
        """Rest ``order`` at the back of its price level's queue."""
        if order.order_id in self._orders:
            raise ValueError(f"order {order.order_id} is already on the {self.symbol} book")
        if order.qty <= ZERO:
            raise ValueError(f"cannot rest order {order.order_id} with qty {order.qty}")
        self._side(order.side).add(order)
        self._orders[order.order_id] = order
        self._changed[(self._side(order.side).side, order.price)] = None

    def cancel(self, order_id: str) -> RestingOrder | None:
        """Take ``order_id`` off the book; None if it is not resting."""
        order = self._orders.pop(order_id, None)
        if order is not None:
            book = self._side(order.side)
            self._changed[(book.side, order.price)] = None
            book.shrink(order, order.qty)
        return order

    def reduce(self, order_id: str, new_qty: Decimal) -> None:
        """Lower a resting order's quantity to ``new_qty`` (> 0), keeping its time priority."""
        order = self._orders[order_id]
        if not ZERO < new_qty <= order.qty:
            raise ValueError(f"reduce {order_id}: new qty {new_qty} not in (0, {order.qty}]")
        book = self._side(order.side)
        book.shrink(order, order.qty - new_qty)
        self._changed[(book.side, order.price)] = None

    def depth(self, n: int | None = None) -> tuple[list[Level], list[Level]]:
        """Aggregated (price, size) levels, best first, at most ``n`` per side."""
        out: list[list[Level]] = []
        for book in (self._bids, self._asks):
            levels: list[Level] = []
            for price in book.prices_best_first():
                if n is not None and len(levels) >= n:
                    break
                levels.append((price, book.sizes[price]))
            out.append(levels)
        return out[0], out[1]

    def flush(self) -> BookChange | None:
        """The levels changed since the last flush as one delta with the next ``seq``, or None."""
        if not self._changed:
            return None
        bids: list[Level] = []
        asks: list[Level] = []
        for side, price in self._changed:
            size = self.level_size(side, price)
            (bids if side is BookSide.BID else asks).append((price, size))
        self._changed.clear()
        self.seq += 1
        bids.sort(reverse=True)
        asks.sort()
        return BookChange(self.seq, tuple(bids), tuple(asks))
