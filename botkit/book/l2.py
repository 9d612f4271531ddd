"""The L2 order book of one symbol: price levels kept from snapshots and deltas.

Each side is a dict ``price -> size`` plus a list of sort keys kept sorted with ``bisect``, best
level *last* so that the busy top of the book is cheap to insert into and delete from. Bid keys
are prices, ask keys are negated prices, so both lists ascend toward the best level.

Why not numpy arrays and a numba kernel: per-delta calls through a numba dispatcher measured about
half as fast as this structure at every depth up to 1,000 levels (``benchmarks/bench_book.py``
keeps both; ``docs/book.md`` has the figures), and a book without numba stays importable by
``botkit.sim``, whose import contract forbids numba.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence

from botkit.core.errors import ProtocolError
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookLevel, BookSnapshot, Quote

_INF = math.inf
_BID = BookSide.BID


def _invalid_level(symbol: str, what: str, price: float, size: float) -> ProtocolError:
    return ProtocolError(
        f"{symbol} book {what}: price must be finite and > 0 and size finite and >= 0, "
        f"got price={price!r} size={size!r}; resync the book from a fresh snapshot"
    )


def _other_symbol(symbol: str, what: str, other: str) -> ProtocolError:
    return ProtocolError(f"book for {symbol} got a {what} for {other}; route by symbol")


class L2Book:
    """Price levels of one symbol's order book, with best levels, depth and top-of-book quote.

    It trusts nothing it is given: prices and sizes that are NaN, infinite, negative (or a zero
    price) raise ``ProtocolError`` and leave the book as it was. It does not check sequence
    numbers; ``SequencedBook`` does that and is what a venue client should drive. A crossed book
    (best bid >= best ask) is reported by ``crossed`` and never served as a quote.
    """

    __slots__ = ("_ask_keys", "_asks", "_bid_keys", "_bids", "_sequence", "_symbol", "_ts")

    def __init__(self, symbol: str) -> None:
        self._symbol = symbol
        self._bids: dict[float, float] = {}
        self._asks: dict[float, float] = {}
        self._bid_keys: list[float] = []
        self._ask_keys: list[float] = []
        self._ts = 0
        self._sequence = -1

    # --- updates -------------------------------------------------------------------------------

    def apply_snapshot(self, snapshot: BookSnapshot) -> None:
        """Replace every level with the snapshot's; levels of size 0 are skipped.

        Raises ProtocolError (book unchanged) for another symbol, an invalid price or size, or a
        price listed twice on one side.
        """
        if snapshot.symbol != self._symbol:
            raise _other_symbol(self._symbol, "snapshot", snapshot.symbol)
        bids = self._snapshot_side(snapshot.bids, "bid")
        asks = self._snapshot_side(snapshot.asks, "ask")
        self._bids = bids
        self._asks = asks
        self._bid_keys = sorted(bids)
        self._ask_keys = sorted(-price for price in asks)
        self._ts = snapshot.ts
        self._sequence = snapshot.sequence

    def _snapshot_side(self, levels: Sequence[BookLevel], name: str) -> dict[float, float]:
        sizes: dict[float, float] = {}
        for price, size in levels:
            if not (0.0 < price < _INF and 0.0 <= size < _INF):
                raise _invalid_level(self._symbol, f"snapshot {name}", price, size)
            if price in sizes:
                raise ProtocolError(
                    f"{self._symbol} book snapshot lists {name} price {price!r} twice"
                )
            if size != 0.0:
                sizes[price] = size
        return sizes

    def apply_delta(self, delta: BookDelta) -> None:
        """Set one level to ``delta.size`` (0 removes it; removing a missing level is a no-op).

        Raises ProtocolError (book unchanged) for another symbol or an invalid price or size.
        """
        ts, symbol, sequence, side, price, size = delta
        if symbol != self._symbol:
            raise _other_symbol(self._symbol, "delta", symbol)
        if not (0.0 < price < _INF and 0.0 <= size < _INF):
            raise _invalid_level(self._symbol, f"{side.name.lower()} delta", price, size)
        self._set_level(side, price, size)
        self._ts = ts
        self._sequence = sequence

    def apply_deltas(self, deltas: Iterable[BookDelta]) -> None:
        """Apply deltas in order, all or none: every delta is checked before any is applied."""
        batch = tuple(deltas)
        self.check_deltas(batch)
        for delta in batch:
            self._set_level(delta.side, delta.price, delta.size)
        if batch:
            self._ts = batch[-1].ts
            self._sequence = batch[-1].sequence

    def check_deltas(self, deltas: Sequence[BookDelta]) -> None:
        """Raise ProtocolError if a delta is for another symbol or has an invalid price or size."""
        symbol = self._symbol
        for _, other, _, side, price, size in deltas:
            if other != symbol:
                raise _other_symbol(symbol, "delta", other)
            if not (0.0 < price < _INF and 0.0 <= size < _INF):
                raise _invalid_level(symbol, f"{side.name.lower()} delta", price, size)

    def _set_level(self, side: BookSide, price: float, size: float) -> bool:
        """Set, change or remove one level of a checked delta: the hot path.

        Returns whether the level set now touches or crosses the opposite best level; on a book
        that was not crossed before, that is exactly whether it is crossed now.
        """
        if side is _BID:
            sizes = self._bids
            keys = self._bid_keys
            other = self._ask_keys
            key = price
        else:
            sizes = self._asks
            keys = self._ask_keys
            other = self._bid_keys
            key = -price
        if size == 0.0:
            if sizes.pop(price, None) is not None:
                del keys[bisect_left(keys, key)]
            return False
        if price not in sizes:
            insort(keys, key)
        sizes[price] = size
        return bool(other) and key >= -other[-1]

    def _stamp(self, ts: int, sequence: int) -> None:
        """Record the time and sequence of the last update (for batches applied level by level)."""
        self._ts = ts
        self._sequence = sequence

    def clear(self) -> None:
        """Remove every level (the book then serves no quote until it is filled again)."""
        self._bids.clear()
        self._asks.clear()
        self._bid_keys.clear()
        self._ask_keys.clear()

    # --- reads ---------------------------------------------------------------------------------

    @property
    def symbol(self) -> str:
        """The symbol this book belongs to."""
        return self._symbol

    @property
    def ts(self) -> int:
        """Timestamp (int ns UTC) of the last snapshot or delta applied; 0 before any."""
        return self._ts

    @property
    def sequence(self) -> int:
        """Sequence of the last snapshot or delta applied (not checked here); -1 before any."""
        return self._sequence

    @property
    def bid_count(self) -> int:
        """Number of bid levels."""
        return len(self._bid_keys)

    @property
    def ask_count(self) -> int:
        """Number of ask levels."""
        return len(self._ask_keys)

    @property
    def crossed(self) -> bool:
        """Whether the best bid is at or above the best ask: the book is inconsistent."""
        bid_keys = self._bid_keys
        ask_keys = self._ask_keys
        return bool(bid_keys) and bool(ask_keys) and bid_keys[-1] >= -ask_keys[-1]

    def best_bid(self) -> BookLevel | None:
        """The highest bid level, or None if there are no bids."""
        if not self._bid_keys:
            return None
        price = self._bid_keys[-1]
        return BookLevel(price, self._bids[price])

    def best_ask(self) -> BookLevel | None:
        """The lowest ask level, or None if there are no asks."""
        if not self._ask_keys:
            return None
        price = -self._ask_keys[-1]
        return BookLevel(price, self._asks[price])

    def quote(self) -> Quote | None:
        """Top of book as a Quote stamped with ``ts``; None if a side is empty or crossed."""
        bid_keys = self._bid_keys
        ask_keys = self._ask_keys
        if not bid_keys or not ask_keys:
            return None
        bid = bid_keys[-1]
        ask = -ask_keys[-1]
        if bid >= ask:
            return None
        return Quote(self._ts, self._symbol, bid, self._bids[bid], ask, self._asks[ask])

    def mid(self) -> float | None:
        """Midpoint of best bid and best ask; None when ``quote()`` would be None."""
        bid_keys = self._bid_keys
        ask_keys = self._ask_keys
        if not bid_keys or not ask_keys or bid_keys[-1] >= -ask_keys[-1]:
            return None
        return (bid_keys[-1] - ask_keys[-1]) / 2.0

    def spread(self) -> float | None:
        """Best ask minus best bid (> 0); None when ``quote()`` would be None."""
        bid_keys = self._bid_keys
        ask_keys = self._ask_keys
        if not bid_keys or not ask_keys or bid_keys[-1] >= -ask_keys[-1]:
            return None
        return -ask_keys[-1] - bid_keys[-1]

    def bids(self, n: int | None = None) -> tuple[BookLevel, ...]:
        """The best ``n`` bid levels (all if None), highest price first."""
        keys = self._bid_keys
        top = keys[::-1] if n is None else keys[: -n - 1 : -1] if n > 0 else []
        sizes = self._bids
        return tuple(BookLevel(price, sizes[price]) for price in top)

    def asks(self, n: int | None = None) -> tuple[BookLevel, ...]:
        """The best ``n`` ask levels (all if None), lowest price first."""
        keys = self._ask_keys
        top = keys[::-1] if n is None else keys[: -n - 1 : -1] if n > 0 else []
        sizes = self._asks
        return tuple(BookLevel(-key, sizes[-key]) for key in top)

    def depth(self, n: int | None = None) -> BookSnapshot:
        """The best ``n`` levels of each side (all if None) as a snapshot at ``sequence``."""
        return BookSnapshot(self._ts, self._symbol, self._sequence, self.bids(n), self.asks(n))

    def __repr__(self) -> str:
        return (
            f"L2Book({self._symbol!r}, sequence={self._sequence}, bids={self.bid_count}, "
            f"asks={self.ask_count}, best_bid={self.best_bid()}, best_ask={self.best_ask()})"
        )
