"""Order books kept from model book events, one per symbol: what ``on_book`` is served from.

``BookKeeper`` applies ``BookSnapshot``, ``BookDeltaBatch`` and ``BookDelta`` events in arrival
order to a ``SequencedBook`` per symbol and says, for each, whether the strategy should now see
``on_book`` (the book changed and is in sync) and which ``BookGap`` / ``BookResynced`` to deliver.
The live engine feeds it what the venue's market stream emits; the backtester feeds it what the
archive recorded (``botkit.data.book_events``). The same class in both places means a strategy
sees the same books, the same gaps and the same resyncs on the same data.

A feed that keeps its own sequenced book (Syncron's does, and repairs gaps itself) also reports
its gaps: ``on_feed_gap`` takes the book down at once, and the feed's next snapshot brings it back.
"""

from __future__ import annotations

from collections.abc import Sequence

from botkit.book.sequenced import NOTHING, BookState, SequencedBook
from botkit.book.view import BookView
from botkit.core.errors import ConfigError
from botkit.model.events import BookDelta, BookDeltaBatch, BookGap, BookResynced, BookSnapshot

BookEvent = BookSnapshot | BookDeltaBatch | BookDelta
"""The events a BookKeeper applies."""

BookNews = tuple[tuple[BookGap | BookResynced, ...], BookView | None]
"""What applying one event means for the strategy: gaps/resyncs to deliver, and the view for on_book (or None)."""

_QUIET: BookNews = ((), None)
_LIVE = BookState.LIVE


class BookKeeper:
    """A ``SequencedBook`` and a ``BookView`` per symbol, fed with model book events (see the module).

    ``apply`` returns ``(events, view)``: ``events`` are the BookGap / BookResynced the event
    caused, in order; ``view`` is the symbol's view when the book changed and is in sync (call
    ``on_book`` with it), else None. Nothing is returned for symbols not kept.
    """

    __slots__ = ("_books", "_changed", "views")

    def __init__(self, symbols: Sequence[str], *, depth: int = 10, max_buffer: int = 10_000) -> None:
        if not symbols:
            raise ConfigError("a BookKeeper needs at least one symbol, got none")
        self._books = {symbol: SequencedBook(symbol, max_buffer) for symbol in symbols}
        self.views: dict[str, BookView] = {s: BookView(book, depth) for s, book in self._books.items()}
        """The view of each symbol's book (live objects: they show the book as it is now)."""
        self._changed: dict[str, BookNews] = {s: ((), view) for s, view in self.views.items()}

    def book(self, symbol: str) -> SequencedBook:
        """The sequenced book of ``symbol`` (for its stats and state)."""
        return self._books[symbol]

    def in_sync(self, symbol: str) -> bool:
        """Whether the book of ``symbol`` is live (a symbol not kept is never in sync)."""
        book = self._books.get(symbol)
        return book is not None and book.state is _LIVE

    def resyncing(self, symbol: str) -> bool:
        """Whether the book of ``symbol`` lost sync and waits for a snapshot (not before the first one)."""
        book = self._books.get(symbol)
        return book is not None and book.state is BookState.RESYNCING

    def apply(self, event: BookEvent) -> BookNews:
        """Apply one book event; what the strategy should be told (see the class)."""
        book = self._books.get(event.symbol)
        if book is None:
            return _QUIET
        before = book._last
        if type(event) is BookDeltaBatch:
            deltas = event.deltas
            update = book.on_delta(deltas[0]) if len(deltas) == 1 else book.on_deltas(deltas)
        elif type(event) is BookDelta:
            update = book.on_delta(event)
        else:
            update = book.on_snapshot(event)
            if update is NOTHING and book._state is _LIVE:
                return self._changed[event.symbol]  # a snapshot always replaces the book
        if update is NOTHING:
            return self._changed[event.symbol] if book._last != before else _QUIET
        return update.events, self.views[event.symbol] if book._state is _LIVE else None

    def on_feed_gap(self, gap: BookGap) -> bool:
        """The feed lost its book of ``gap.symbol``: take ours down too; whether it was in sync.

        Deliver the feed's BookGap to the strategy only when this returns True: a book that
        already knew (it saw the gap in the sequence numbers itself) reported it then.
        """
        book = self._books.get(gap.symbol)
        if book is None or book.state is not _LIVE:
            return False
        book.reset(gap.ts)
        return True
