"""The Syncron market-data client: REST market endpoints and the public WebSocket stream.

``SyncronDataClient`` is botkit's ``MarketDataClient`` and ``InstrumentProvider`` for Syncron.
Strategies see only model objects (``Quote``, ``Trade``, ``Bar``, ``BookSnapshot``, ``BookGap``,
``BookResynced``…); the wire format stops here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from botkit.model.events import Bar, BookSnapshot, Trade
from botkit.model.instruments import Instrument
from botkit.venues.syncron import wire
from botkit.venues.syncron._client_base import SyncronClientBase
from botkit.venues.syncron.market_stream import DEFAULT_CHANNELS, SyncronMarketStream
from botkit.venues.syncron.rest import TimeLike
from botkit.venues.syncron.results import Ticker


class SyncronDataClient(SyncronClientBase):
    """Syncron market data: instruments, ticker, book, trades and klines over REST, and streams.

    Pass ``rest`` to share one REST client (session, rate budget, credentials) with a
    ``SyncronExecutionClient``; otherwise one is made from ``settings`` and closed with this client.
    """

    venue = wire.VENUE

    # --- REST ---------------------------------------------------------------------------------

    async def instruments(self) -> tuple[Instrument, ...]:
        """Every instrument the venue lists, with tick size, lot size and minimum notional."""
        return await self.rest.instruments()

    async def ticker(self, symbol: str) -> Ticker:
        """Best bid and ask, last price and 24-hour statistics (``.quote()`` gives a Quote)."""
        return await self.rest.ticker(symbol)

    async def order_book(self, symbol: str, depth: int = 50) -> BookSnapshot:
        """An L2 snapshot at the venue's book sequence."""
        return await self.rest.order_book(symbol, depth)

    async def recent_trades(self, symbol: str, limit: int = 100) -> tuple[Trade, ...]:
        """Recent public trades, oldest first."""
        ticks = await self.rest.recent_trades(symbol, limit)
        return tuple(tick.trade for tick in reversed(ticks))

    async def klines(self, symbol: str, interval: str = "1m", *, start: TimeLike | None = None,
                     end: TimeLike | None = None, limit: int = 200) -> tuple[Bar, ...]:
        """OHLCV bars, oldest first (intervals without trades are absent)."""
        return await self.rest.klines(symbol, interval, start=start, end=end, limit=limit)

    # --- streams ------------------------------------------------------------------------------

    def stream(
        self,
        symbols: Collection[str] | None = None,
        *,
        channels: Sequence[str] = DEFAULT_CHANNELS,
        book_events: bool = False,
        book_batches: bool = False,
    ) -> SyncronMarketStream:
        """Live market events of ``symbols`` (None: every listed symbol) until closed.

        ``channels`` picks ``book`` (Quotes from the sequenced book, BookGap/BookResynced),
        ``trades`` (Trade) and ``ticker`` (Quote from the ticker channel). ``book_events`` also
        emits the applied BookSnapshot and BookDelta objects; ``book_batches`` the applied
        BookSnapshot and one BookDeltaBatch per delta message (what ``engine.market_data: book`` uses).
        """
        stream = SyncronMarketStream(self.rest, symbols, channels=channels, book_events=book_events,
                                     book_batches=book_batches, options=self._ws_options, sleep=self._sleep,
                                     rng=self._rng)
        self._streams.append(stream)
        return stream
