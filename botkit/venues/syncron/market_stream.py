"""Syncron public channels as one stream of model events, with a sequenced book per symbol.

``book.{symbol}`` snapshots and deltas drive a ``SequencedBook`` (one delta message is one
batch); the stream emits a ``Quote`` whenever the top of a live book changes, ``BookGap`` when a
sequence gap, a bad level, a crossed book or a dropped connection takes a book down, and
``BookResynced`` when a fresh snapshot brings it back (a gap is repaired by resubscribing, which
answers with a snapshot). With ``book_events`` the applied ``BookSnapshot`` and ``BookDelta``
objects are emitted too; with ``book_batches`` the snapshots and one ``BookDeltaBatch`` per applied
delta message (what an engine keeping its own book needs: a batch is applied as a unit). Either
way only what the book applied in sequence is emitted, so a consumer that applies the emitted
events rebuilds the same book: after a resync the snapshot emitted is the book as rebuilt (the
venue's snapshot plus the buffered deltas replayed on it). ``trades.{symbol}`` gives ``Trade``;
``ticker.{symbol}`` gives ``Quote``.

Trades are deduplicated by trade id. After a reconnect the stream resubscribes and fetches the
trades it missed while disconnected from ``GET /v5/market/trades`` (those after the last one it
emitted, or, for a symbol without one yet, those since the stream started), so no trade is lost
or emitted twice as long as fewer than 1000 trades a symbol were missed (more is logged).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Collection, Sequence

import structlog

from botkit.book.sequenced import NOTHING, BookState, BookUpdate, SequencedBook
from botkit.core.errors import ConfigError
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookDeltaBatch, BookGap, MarketEvent, Quote
from botkit.venues._ratelimit import Sleep
from botkit.venues._ws import WsOptions
from botkit.venues.syncron import frames, wire
from botkit.venues.syncron.rest import SyncronRestClient
from botkit.venues.syncron.results import TradeTick
from botkit.venues.syncron.stream import RecentIds, SyncronFeed

DEFAULT_CHANNELS = (wire.CHANNEL_BOOK, wire.CHANNEL_TRADES)
_BOOK, _TRADES, _TICKER, _DELTA = wire.CHANNEL_BOOK, wire.CHANNEL_TRADES, wire.CHANNEL_TICKER, wire.PUSH_DELTA
_LIVE = BookState.LIVE
_book_deltas = frames.book_deltas
_NOOP_PRICE = 5e-324
"""Price of the no-op delta that advances a book's sequence for an empty delta message."""

log = structlog.get_logger("botkit.venues.syncron")


class SyncronMarketStream(SyncronFeed):
    """``async for event in stream``: Quotes, Trades, BookGap/BookResynced of ``symbols``.

    ``book(symbol)`` is the live ``SequencedBook`` (depth, mid, spread); it serves nothing while
    down. ``symbols`` None means every instrument the venue lists (fetched on first connect).
    """

    def __init__(
        self,
        rest: SyncronRestClient,
        symbols: Collection[str] | None = None,
        *,
        channels: Sequence[str] = DEFAULT_CHANNELS,
        book_events: bool = False,
        book_batches: bool = False,
        options: WsOptions | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        unknown = [c for c in channels if c not in wire.PUBLIC_CHANNELS]
        if unknown or not channels:
            raise ConfigError(f"channels must be some of {list(wire.PUBLIC_CHANNELS)}, got {list(channels)}")
        super().__init__(rest.settings.websocket_url, self._topics_of, options=options, sleep=sleep, rng=rng,
                         name="market")
        self._rest = rest
        self._symbols = None if symbols is None else list(dict.fromkeys(symbols))
        self._channels = tuple(channels)
        self._book_events = book_events
        self._book_batches = book_batches
        self._books: dict[str, SequencedBook] = {}
        self._quotes: dict[str, Quote] = {}
        self._resyncing: set[str] = set()
        self._trade_ids: dict[str, RecentIds] = {}
        self._last_trade: dict[str, str] = {}
        self._since_ns: int | None = None
        if self._symbols is not None:
            self._prepare(self._symbols)

    @property
    def symbols(self) -> tuple[str, ...]:
        """The symbols streamed (empty until resolved when ``symbols`` was None)."""
        return tuple(self._symbols or ())

    def book(self, symbol: str) -> SequencedBook:
        """The sequenced L2 book of ``symbol`` (book channel only)."""
        if symbol not in self._books:
            raise ConfigError(f"no book for {symbol!r}: stream the book channel of it (have {sorted(self._books)})")
        return self._books[symbol]

    def __aiter__(self) -> SyncronMarketStream:
        return self

    async def __anext__(self) -> MarketEvent:
        """The next market event."""
        return await super().__anext__()  # type: ignore[return-value]

    # --- feed hooks -------------------------------------------------------------------------

    def _prepare(self, symbols: Sequence[str]) -> None:
        for symbol in symbols:
            if wire.CHANNEL_BOOK in self._channels:
                self._books.setdefault(symbol, SequencedBook(symbol))
            self._trade_ids.setdefault(symbol, RecentIds())

    async def _topics_of(self) -> list[str]:
        self._since_ns = self._rest.venue_now_ns()  # trades from here on are this stream's
        if self._symbols is None:
            self._symbols = [i.symbol for i in await self._rest.instruments()]
            self._prepare(self._symbols)
        return [wire.topic(c, s) for s in self._symbols for c in self._channels]

    async def on_push(self, push: frames.Push) -> None:
        """Route a push by channel (book deltas first: they are most of the traffic)."""
        topic = push.topic
        channel, _, symbol = topic.partition(".")
        if channel == _BOOK and symbol in self._books:
            if self._on_book(push, symbol):
                await self._resync(symbol)
        elif channel == _TRADES and symbol in self._trade_ids:
            self._on_trades(frames.trade_ticks(push), symbol)
        elif channel == _TICKER and symbol:
            quote = frames.ticker(push).quote()
            if quote is not None:
                self.emit(quote)
        else:
            log.debug("syncron.ws_unexpected_topic", topic=topic, type=push.kind)

    async def on_disconnected(self, reason: str) -> None:
        """Take every book down (BookGap) until the reconnect's snapshot arrives."""
        now = self._rest.venue_now_ns()
        self._resyncing.clear()
        self._quotes.clear()
        for symbol, book in self._books.items():
            self._publish(symbol, book.reset(now))

    async def on_resubscribed(self) -> None:
        """Fetch the trades missed while disconnected, oldest first."""
        if wire.CHANNEL_TRADES not in self._channels:
            return
        since = self._since_ns or 0
        for symbol in self._trade_ids:
            ticks = await self._rest.recent_trades(symbol, wire.MAX_LIST_LIMIT)  # newest first
            last = self._last_trade.get(symbol)
            ids = [t.trade_id for t in ticks]
            if last in ids:
                missed = ticks[: ids.index(last)]
            else:  # nothing seen yet, or more missed than one page: keep what came after the start
                missed = tuple(t for t in ticks if t.trade.ts >= since)
                if last is not None and len(ticks) == wire.MAX_LIST_LIMIT:
                    log.warning("syncron.trades_backfill_incomplete", symbol=symbol, fetched=len(ticks))
            fresh = [t for t in reversed(missed) if t.trade_id not in self._trade_ids[symbol]]
            self.stats.backfilled += len(fresh)
            self._on_trades(fresh, symbol)

    # --- channels ----------------------------------------------------------------------------

    def _on_trades(self, ticks: Sequence[TradeTick], symbol: str) -> None:
        seen = self._trade_ids[symbol]
        for trade_id, trade in ticks:
            if seen.add(trade_id):
                self._last_trade[symbol] = trade_id
                self.emit(trade)
            else:
                self.stats.duplicates += 1

    def _on_book(self, push: frames.Push, symbol: str) -> bool:
        """Apply a book push; whether the book now needs a fresh snapshot."""
        book = self._books[symbol]
        kind = push.kind
        if kind == _DELTA:
            deltas = _book_deltas(push, symbol)
            if not deltas:  # a message with no levels still uses up its seq
                seq = push.data[wire.F_SEQ]  # type: ignore[index]  # checked by book_deltas
                deltas = [BookDelta(push.ts, symbol, seq, BookSide.BID, _NOOP_PRICE, 0.0)]
            before = book.sequence
            update = book.on_deltas(deltas)
            if (self._book_events or self._book_batches) and book.state is _LIVE \
                    and before == deltas[0].sequence - 1:
                if self._book_batches:
                    self.emit(BookDeltaBatch(deltas[0].ts, symbol, deltas[0].sequence, tuple(deltas)))
                if self._book_events:
                    for delta in deltas:
                        self.emit(delta)
        elif kind == wire.PUSH_SNAPSHOT:
            snapshot = frames.book_snapshot(push, symbol)
            self._resyncing.discard(symbol)
            update = book.on_snapshot(snapshot)
            if (self._book_events or self._book_batches) and book.state is _LIVE:
                # buffered deltas replayed on the snapshot were never emitted: emit the book as rebuilt
                self.emit(snapshot if book.sequence == snapshot.sequence else book.depth() or snapshot)
        else:
            log.debug("syncron.ws_unexpected_book_type", symbol=symbol, type=kind)
            return False
        needs_snapshot = update is not NOTHING and self._publish(symbol, update)
        quote = book.quote()
        if quote is not None:
            last = self._quotes.get(symbol)
            if (last is None or quote.bid != last.bid or quote.ask != last.ask or quote.bid_size != last.bid_size
                    or quote.ask_size != last.ask_size):
                self._quotes[symbol] = quote
                self.emit(quote)
        return needs_snapshot

    def _publish(self, symbol: str, update: BookUpdate) -> bool:
        """Emit a book update's events; whether it asks for a snapshot not yet asked for."""
        for event in update.events:
            self.emit(event)
            if isinstance(event, BookGap):
                self.stats.gaps += 1
                self._quotes.pop(symbol, None)
            else:
                self.stats.resyncs += 1
        if not update.needs_snapshot or symbol in self._resyncing:
            return False
        log.warning("syncron.book_resync", symbol=symbol, reason=update.reason.value if update.reason else None,
                    detail=update.detail)
        return True

    async def _resync(self, symbol: str) -> None:
        """Resubscribe to the book: the venue answers with a fresh snapshot."""
        if await self.subscribe([wire.topic(wire.CHANNEL_BOOK, symbol)]):
            self._resyncing.add(symbol)
