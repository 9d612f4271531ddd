"""Normalized market events: what strategies see, whatever venue or archive they came from.

Market events are ``NamedTuple`` types: frozen, slotted (no ``__dict__``), cheap to create in the
backtester's Python path, and usable inside numba kernels. Timestamps are integer nanoseconds UTC.
"""

from __future__ import annotations

from typing import NamedTuple

from botkit.model.enums import BookSide, Side


class Trade(NamedTuple):
    """One print on the tape; ``side`` is the aggressor's side."""

    ts: int
    symbol: str
    price: float
    size: float
    side: Side


class Quote(NamedTuple):
    """Best bid and ask with their sizes."""

    ts: int
    symbol: str
    bid: float
    bid_size: float
    ask: float
    ask_size: float

    @property
    def mid(self) -> float:
        """Midpoint of bid and ask."""
        return (self.bid + self.ask) / 2.0


class Bar(NamedTuple):
    """An OHLCV bar; ``ts`` is the bar's open time, the bar is known when it closes."""

    ts: int
    symbol: str
    open: float
    high: float
    low: float
    close: float
    volume: float


class BookLevel(NamedTuple):
    """One price level of an order book."""

    price: float
    size: float


class BookSnapshot(NamedTuple):
    """A full L2 book at ``sequence``: bids best (highest) first, asks best (lowest) first."""

    ts: int
    symbol: str
    sequence: int
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]


class BookDelta(NamedTuple):
    """A change of one L2 level at ``sequence``; ``size`` 0 removes the level."""

    ts: int
    symbol: str
    sequence: int
    side: BookSide
    price: float
    size: float


class BookDeltaBatch(NamedTuple):
    """The level changes of one venue message, all at ``sequence``: applied as a unit.

    A book is checked (crossed, in sequence) only after the whole batch, so a strategy never sees
    the book halfway through one. ``deltas`` share this batch's symbol and sequence.
    """

    ts: int
    symbol: str
    sequence: int
    deltas: tuple[BookDelta, ...]


class BookGap(NamedTuple):
    """A sequence gap was detected: the book stops serving quotes until it has resynced."""

    ts: int
    symbol: str
    expected: int
    received: int


class BookResynced(NamedTuple):
    """The book was rebuilt from a fresh snapshot after a gap and serves quotes again."""

    ts: int
    symbol: str
    sequence: int


class Price(NamedTuple):
    """A reference price from a price feed (e.g. Sintra), in ``quote`` currency per ``base``."""

    ts: int
    base: str
    quote: str
    price: float
    source: str


MarketEvent = Trade | Quote | Bar | BookSnapshot | BookDelta | BookDeltaBatch | BookGap | BookResynced | Price
