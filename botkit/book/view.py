"""The read-only view of one symbol's order book that ``Strategy.on_book`` receives.

``BookView`` wraps a ``SequencedBook`` and lets a strategy read it without copying it: best bid
and ask with their sizes, the best ``n`` levels of each side (``n`` at most the view's ``depth``),
volumes over the top levels, the sequence number, whether the book is in sync, the symbol and
the time of the last update. It has no way to change the book.

It is a *view*, not a snapshot: it always shows the book as it is now. Read it inside the hook;
what ``bids(n)`` and ``asks(n)`` return are tuples of ``BookLevel`` (copies), safe to keep.

A book that is not in sync holds no levels (``SequencedBook`` clears them when it loses sync),
so every read of such a view is empty: NaN prices and sizes, empty tuples, zero volumes.
"""

from __future__ import annotations

import math

from botkit.book.sequenced import BookState, SequencedBook
from botkit.core.errors import ConfigError
from botkit.model.events import BookLevel, Quote

_NAN = math.nan
_LIVE = BookState.LIVE
MAX_DEPTH = 1_000
"""The most levels a view may serve per side."""


class BookView:
    """What ``on_book`` sees of a symbol's L2 book: top of book, depth to ``depth`` levels, sync state.

    Prices and sizes of an empty side are NaN (comparisons with NaN are False, so a rule such as
    ``book.bid_size > book.ask_size`` simply does not fire). ``n`` of None means ``depth``.
    """

    __slots__ = ("_depth", "_l2", "_sequenced")

    def __init__(self, book: SequencedBook, depth: int = 10) -> None:
        if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
            raise ConfigError(f"book depth must be an int from 1 to {MAX_DEPTH} levels, got {depth!r}")
        self._sequenced = book
        self._l2 = book._book  # fixed for the book's lifetime; its level lists are read directly
        self._depth = depth

    # --- identity and state --------------------------------------------------------------------

    @property
    def symbol(self) -> str:
        """The symbol of the book."""
        return self._l2._symbol

    @property
    def ts(self) -> int:
        """Venue time (int ns UTC) of the last snapshot or batch applied; 0 before any."""
        return self._l2._ts

    @property
    def sequence(self) -> int:
        """Sequence number of the last snapshot or batch applied; -1 before the first snapshot."""
        return self._sequenced._last

    @property
    def in_sync(self) -> bool:
        """Whether the book is live: built from a snapshot and every batch since, in sequence."""
        return self._sequenced._state is _LIVE

    @property
    def depth(self) -> int:
        """The most levels per side this view serves (``engine.book_depth`` / ``data.book_depth``)."""
        return self._depth

    # --- top of book ---------------------------------------------------------------------------

    @property
    def bid(self) -> float:
        """Best (highest) bid price; NaN without bids."""
        keys = self._l2._bid_keys
        return keys[-1] if keys else _NAN

    @property
    def bid_size(self) -> float:
        """Size at the best bid; NaN without bids."""
        l2 = self._l2
        keys = l2._bid_keys
        return l2._bids[keys[-1]] if keys else _NAN

    @property
    def ask(self) -> float:
        """Best (lowest) ask price; NaN without asks."""
        keys = self._l2._ask_keys
        return -keys[-1] if keys else _NAN

    @property
    def ask_size(self) -> float:
        """Size at the best ask; NaN without asks."""
        l2 = self._l2
        keys = l2._ask_keys
        return l2._asks[-keys[-1]] if keys else _NAN

    @property
    def mid(self) -> float:
        """Midpoint of best bid and ask; NaN when a side is empty."""
        l2 = self._l2
        bids, asks = l2._bid_keys, l2._ask_keys
        return (bids[-1] - asks[-1]) / 2.0 if bids and asks else _NAN

    @property
    def spread(self) -> float:
        """Best ask minus best bid; NaN when a side is empty."""
        l2 = self._l2
        bids, asks = l2._bid_keys, l2._ask_keys
        return -asks[-1] - bids[-1] if bids and asks else _NAN

    def best_bid(self) -> BookLevel | None:
        """The best bid level, or None without bids."""
        return self._l2.best_bid()

    def best_ask(self) -> BookLevel | None:
        """The best ask level, or None without asks."""
        return self._l2.best_ask()

    def quote(self) -> Quote | None:
        """Top of book as a Quote stamped ``ts``; None when a side is empty."""
        return self._l2.quote()

    # --- depth ---------------------------------------------------------------------------------

    @property
    def bid_levels(self) -> int:
        """Bid levels the book holds (may exceed ``depth``)."""
        return len(self._l2._bid_keys)

    @property
    def ask_levels(self) -> int:
        """Ask levels the book holds (may exceed ``depth``)."""
        return len(self._l2._ask_keys)

    def bids(self, n: int | None = None) -> tuple[BookLevel, ...]:
        """The best ``n`` bid levels (at most ``depth``), highest price first."""
        return self._l2.bids(self._levels(n))

    def asks(self, n: int | None = None) -> tuple[BookLevel, ...]:
        """The best ``n`` ask levels (at most ``depth``), lowest price first."""
        return self._l2.asks(self._levels(n))

    def bid_volume(self, n: int | None = None) -> float:
        """Total size of the best ``n`` bid levels (at most ``depth``); 0 without bids."""
        n = self._levels(n)
        l2 = self._l2
        return math.fsum(map(l2._bids.__getitem__, l2._bid_keys[-n:])) if n else 0.0

    def ask_volume(self, n: int | None = None) -> float:
        """Total size of the best ``n`` ask levels (at most ``depth``); 0 without asks."""
        n = self._levels(n)
        l2 = self._l2
        sizes = l2._asks
        return math.fsum([sizes[-key] for key in l2._ask_keys[-n:]]) if n else 0.0

    def _levels(self, n: int | None) -> int:
        depth = self._depth
        if n is None or n >= depth:
            return depth
        return n if n > 0 else 0

    def __repr__(self) -> str:
        state = "in sync" if self.in_sync else "out of sync"
        return (f"BookView({self.symbol!r}, sequence={self.sequence}, {state}, bid={self.bid}x{self.bid_size}, "
                f"ask={self.ask}x{self.ask_size}, depth={self._depth})")
