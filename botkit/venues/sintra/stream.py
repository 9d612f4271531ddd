"""The Sintra WebSocket price feed as an async iterator of ``botkit.model.events.Price``.

Each (re)connection first creates a fresh session when the client has a key (sessions expire
after 10 minutes, and production may refuse reuse), so Pro connections get 1-second updates and
Starter ones 10-second updates. ``data`` events become one Price per currency present (source
``"sintra"``). Malformed messages and ``error`` events are logged as typed errors, counted in
``stats`` and skipped: they never end the stream. A session the server refuses
(``SESSION_INVALID`` / ``SESSION_EXPIRED``) is replaced by reconnecting with a new one, once in a
row; after that the connection is kept at the Starter rate rather than churned.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlencode

import structlog

from botkit.core.errors import BotkitError, ProtocolError
from botkit.model.events import Price
from botkit.venues._ratelimit import Sleep
from botkit.venues._ws import ReconnectingWebSocket, WsOptions
from botkit.venues.sintra import wire
from botkit.venues.sintra.parse import parse_ws_event
from botkit.venues.sintra.results import Session, WsConnected, WsError, WsPrices

SessionFactory = Callable[[], Awaitable[Session]]

DEFAULT_WS_OPTIONS = WsOptions(idle_timeout_s=3 * wire.PLAN_WS_INTERVAL_S[wire.PLAN_STARTER] + 5)
"""Heartbeat pings every 20 s; a connection silent for 35 s (3 Starter periods) is dropped."""

log = structlog.get_logger("botkit.venues.sintra")


@dataclass(slots=True)
class StreamStats:
    """Counters of a price stream, for status pages and tests."""

    connections: int = 0
    sessions_created: int = 0
    prices: int = 0
    malformed: int = 0
    error_events: int = 0
    plan: str | None = None
    interval_s: int | None = None
    last_error: BotkitError | None = None


class WsEventError(BotkitError):
    """The Sintra WebSocket sent an ``error`` event; ``code`` is its machine-readable cause."""

    def __init__(self, message: str, error_type: str, code: str | None) -> None:
        super().__init__(f"{wire.VENUE} websocket {error_type} {code or ''}: {message}")
        self.error_type = error_type
        self.code = code


class SintraPriceStream:
    """``async for price in stream``: Sintra prices until :meth:`close`, across reconnects.

    One consumer at a time; several ``async for`` loops in a row continue the same feed.
    """

    def __init__(
        self,
        ws_url: str,
        create_session: SessionFactory | None,
        *,
        quotes: Collection[str] | None = None,
        options: WsOptions | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._ws_url = ws_url
        self._create_session = create_session
        self._quotes = None if quotes is None else frozenset(q.lower() for q in quotes)
        self._socket = ReconnectingWebSocket(
            venue=wire.VENUE,
            url=self._next_url,
            options=options or DEFAULT_WS_OPTIONS,
            sleep=sleep,
            rng=rng,
        )
        self._session_retries = 0
        self._iterator: AsyncIterator[Price] | None = None
        self.stats = StreamStats()

    def __aiter__(self) -> SintraPriceStream:
        return self

    async def __anext__(self) -> Price:
        """The next price; leaving an ``async for`` early keeps the connection for the next one."""
        if self._iterator is None:
            self._iterator = self.prices()
        return await anext(self._iterator)

    async def close(self) -> None:
        """End the stream and close the connection; safe to call twice."""
        await self._socket.close()

    async def prices(self) -> AsyncIterator[Price]:
        """Every price received (of the chosen quote currencies), in order.

        Iterating the stream itself uses one such iterator for its whole life; call this only to
        drive the feed by hand.
        """
        async for text in self._socket.messages():
            self.stats.connections = self._socket.connections
            try:
                event = parse_ws_event(text)
            except ProtocolError as error:
                self.stats.malformed += 1
                self.stats.last_error = error
                log.warning("sintra.ws_malformed", error=str(error), count=self.stats.malformed)
                continue
            if isinstance(event, WsPrices):
                self._socket.mark_healthy()
                for price in event.prices:
                    if self._quotes is None or price.quote in self._quotes:
                        self.stats.prices += 1
                        yield price
            elif isinstance(event, WsConnected):
                self._on_connected(event)
            else:
                self._on_error(event)

    async def _next_url(self) -> str:
        if self._create_session is None:
            return self._ws_url
        session = await self._create_session()
        self.stats.sessions_created += 1
        return f"{self._ws_url}?{urlencode({wire.WS_Q_SESSION: session.session_id})}"

    def _on_connected(self, event: WsConnected) -> None:
        self.stats.plan, self.stats.interval_s = event.plan, event.interval_s
        if event.plan == wire.PLAN_PRO:
            self._session_retries = 0
        log.info("sintra.ws_plan", plan=event.plan, interval_s=event.interval_s)

    def _on_error(self, event: WsError) -> None:
        error = WsEventError(event.message, event.error_type, event.code)
        self.stats.error_events += 1
        self.stats.last_error = error
        log.warning(
            "sintra.ws_error_event",
            error_type=event.error_type,
            code=event.code,
            message=event.message,
        )
        if event.code in wire.WS_SESSION_ERROR_CODES and self._create_session is not None and self._session_retries < 1:
            self._session_retries += 1
            self._socket.reconnect(f"session refused ({event.code}): reconnecting with a new one")
