"""The WebSocket machinery every venue client shares: connect, read, reconnect, forever.

``ReconnectingWebSocket.messages()`` yields the text of every message across connections. Before
each connection it asks the venue for a fresh URL (a venue may need a new session or token per
connection), then runs the venue's ``on_open`` hook (to subscribe, or resubscribe after a
reconnect). Heartbeats are WebSocket pings; a connection that sends nothing for
``idle_timeout_s`` is treated as dead. After a drop it reconnects with exponential backoff and full
jitter (``botkit.core.retry.backoff_delay``); the backoff starts over once the venue calls
:meth:`ReconnectingWebSocket.mark_healthy` (e.g. on the first good data message), and
``VenueUnavailable`` is raised after ``policy.max_attempts`` failures in a row.

Frames are passed on as text; each venue's parser turns a hostile one into a ``ProtocolError``
and its stream logs and skips it, so one bad frame never ends the feed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass

import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from botkit.core.errors import ConfigError, RateLimited, TransientError, VenueUnavailable
from botkit.core.retry import DEFAULT_MAX_RETRY_AFTER_S, RetryPolicy, backoff_delay
from botkit.venues._ratelimit import Sleep

UrlFactory = Callable[[], Awaitable[str]]
"""Returns the URL of the next connection (may create a session first)."""

Send = Callable[[str], Awaitable[None]]
OnOpen = Callable[[Send], Awaitable[None]]
"""Called with a ``send`` function after every connect: subscribe or resubscribe here."""

OnClose = Callable[[str], Awaitable[None]]
"""Called with the reason after an opened connection ended, before the reconnect backoff."""

DEFAULT_WS_RETRY = RetryPolicy(base=0.5, factor=2.0, cap=30.0, max_attempts=20)
"""Reconnects of a feed: backoff from 0.5 s up to 30 s; give up after 20 failures in a row."""

log = structlog.get_logger("botkit.venues")

@dataclass(frozen=True, slots=True)
class WsOptions:
    """Timeouts, heartbeat and reconnect policy of a reconnecting WebSocket (wall-clock seconds)."""

    open_timeout_s: float = 10.0
    heartbeat_s: float | None = 20.0
    idle_timeout_s: float | None = 60.0
    close_timeout_s: float = 2.0
    max_message_bytes: int = 1 << 20
    policy: RetryPolicy = DEFAULT_WS_RETRY
    max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S
    """The longest a rate-limited connect waits before the next attempt, whatever the venue said."""


class ReconnectingWebSocket:
    """One logical WebSocket feed of a venue, kept alive across drops."""

    def __init__(
        self,
        *,
        venue: str,
        url: UrlFactory,
        options: WsOptions | None = None,
        on_open: OnOpen | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        on_close: OnClose | None = None,
    ) -> None:
        self.venue = venue
        self._url = url
        self._options = options or WsOptions()
        self._on_open = on_open
        self._on_close = on_close
        self._sleep = sleep
        self._rng = rng
        self._ws: ClientConnection | None = None
        self._closed = False
        self._reconnect_reason: str | None = None
        self._failures = 0
        self.connections = 0
        """How many connections were opened so far."""

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def mark_healthy(self) -> None:
        """The current connection delivers what it should: the next drop backs off from scratch."""
        self._failures = 0

    def reconnect(self, reason: str) -> None:
        """Drop the current connection after the message being handled, and connect again."""
        self._reconnect_reason = reason

    async def close(self) -> None:
        """Stop: close the connection and end :meth:`messages`; safe to call twice."""
        self._closed = True
        if self._ws is not None:
            await self._ws.close()

    async def messages(self) -> AsyncIterator[str]:
        """The text of every message received, across reconnects, until :meth:`close`."""
        while not self._closed:
            problem = "connection ended"
            retry_after: float | None = None
            url = ""
            self._reconnect_reason = None
            try:
                url = await self._url()
                async with aclosing(self._read(url)) as connection:
                    async for text in connection:
                        yield text
                if self._reconnect_reason is not None:
                    problem, self._reconnect_reason = self._reconnect_reason, None
            except ConnectionClosed as exc:
                problem = f"closed: code {exc.rcvd.code if exc.rcvd else 'none (dropped)'}"
            except InvalidURI:
                raise ConfigError(f"{self.venue} websocket URL is invalid: {_without_query(url)!r}") from None
            except RateLimited as exc:
                problem, retry_after = str(exc), exc.retry_after
            except (TransientError, InvalidHandshake, OSError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            finally:
                opened, self._ws = self._ws is not None, None
            if opened and self._on_close is not None:
                await self._on_close(problem)
            if self._closed:
                break
            await self._back_off(problem, retry_after)

    async def _read(self, url: str) -> AsyncGenerator[str, None]:
        """Messages of one connection, until it drops, idles out or a reconnect is requested."""
        options = self._options
        async with connect(
            url,
            open_timeout=options.open_timeout_s,
            ping_interval=options.heartbeat_s,
            ping_timeout=options.heartbeat_s,
            close_timeout=options.close_timeout_s,
            max_size=options.max_message_bytes,
            proxy=None,
        ) as ws:
            self._ws = ws
            self.connections += 1
            log.info(f"{self.venue}.ws_connected", url=_without_query(url), failures=self._failures)
            if self._on_open is not None:
                await self._on_open(ws.send)
            while not self._closed and self._reconnect_reason is None:
                try:
                    async with asyncio.timeout(options.idle_timeout_s):  # inline, no task per message
                        message = await ws.recv()
                except TimeoutError:
                    self.reconnect(f"no message for {options.idle_timeout_s} s")
                    break
                if isinstance(message, bytes):
                    message = message.decode("utf-8", errors="replace")
                yield message

    async def _back_off(self, problem: str, retry_after: float | None) -> None:
        self._failures += 1
        policy = self._options.policy
        if self._failures >= policy.max_attempts:
            raise VenueUnavailable(
                f"{self.venue} websocket: {self._failures} connections failed in a row; last: {problem}"
            )
        delay = backoff_delay(self._failures - 1, policy, self._rng)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._options.max_retry_after_s))
        log.warning(
            f"{self.venue}.ws_reconnecting",
            reason=problem,
            failures=self._failures,
            delay_s=round(delay, 3),
        )
        await self._sleep(delay)


def _without_query(url: str) -> str:
    """A URL fit for logs: the query (which may hold a session id) is cut off."""
    return url.split("?", 1)[0]
