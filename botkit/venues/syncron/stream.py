"""One Syncron WebSocket feed kept alive, as an async iterator of normalized events.

``SyncronFeed`` runs on the shared ``ReconnectingWebSocket``: on every (re)connect it
authenticates (for private channels) and subscribes to its topics, sends ``{"op": "ping"}``
heartbeats, reads every frame, and hands pushes to its subclass, which turns them into model
events. A reader task fills a queue the consumer iterates, so a dropped connection is reported
at once (books reset, ``BookGap``) rather than when the next message arrives.

Malformed frames are logged as a typed ``ProtocolError``, counted in ``stats`` and skipped: they
never end the stream. A refused operation that needs a person (an unknown key, a bad signature,
an unknown channel) ends the stream with its core error; a stale auth timestamp or an expired
token reconnects (which authenticates afresh).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

import structlog
from websockets.exceptions import ConnectionClosed

from botkit.core.errors import BotkitError, ProtocolError, TransientError
from botkit.venues._ratelimit import Sleep
from botkit.venues._ws import ReconnectingWebSocket, Send, WsOptions
from botkit.venues.syncron import wire
from botkit.venues.syncron.config import SyncronSettings
from botkit.venues.syncron.errors import error_for
from botkit.venues.syncron.frames import OpReply, Push, parse_frame

AuthArgs = Callable[[], Awaitable[dict[str, object]]]
"""Returns the ``args`` of a fresh ``auth`` operation (a signature, or a token)."""

DEFAULT_WS_OPTIONS = WsOptions(heartbeat_s=wire.WS_HEARTBEAT_S, idle_timeout_s=wire.WS_SERVER_IDLE_S)
"""Pings every 20 s; a connection silent for 60 s is replaced."""


def ws_options_for(settings: SyncronSettings) -> WsOptions:
    """The default WebSocket options with the settings' connect timeout."""
    return replace(DEFAULT_WS_OPTIONS, open_timeout_s=settings.connect_timeout_s,
                   max_retry_after_s=settings.max_retry_after_s)

_RECONNECT_CODES = frozenset({wire.E_TIMESTAMP_OUTSIDE_WINDOW, wire.E_TOKEN_EXPIRED})
_END = object()

log = structlog.get_logger("botkit.venues.syncron")


@dataclass(slots=True)
class FeedStats:
    """Counters of a feed, for status pages, metrics and tests."""

    connections: int = 0
    frames: int = 0
    pongs: int = 0
    malformed: int = 0
    duplicates: int = 0
    backfilled: int = 0
    gaps: int = 0
    resyncs: int = 0
    last_error: BotkitError | None = None


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Inbox:
    """Events waiting for the consumer: a deque and one waiter (cheaper than an asyncio.Queue)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[object] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: object) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> object:
        items = self._items
        while not items:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return items.popleft()

    def __len__(self) -> int:
        return len(self._items)


class RecentIds:
    """The last ``size`` ids seen, for deduplication across reconnects (bounded memory)."""

    __slots__ = ("_order", "_seen")

    def __init__(self, size: int = 100_000) -> None:
        self._order: deque[str] = deque(maxlen=size)
        self._seen: set[str] = set()

    def __contains__(self, item: str) -> bool:
        return item in self._seen

    def add(self, item: str) -> bool:
        """Remember ``item``; False if it was already seen (a duplicate)."""
        if item in self._seen:
            return False
        if len(self._order) == self._order.maxlen:
            self._seen.discard(self._order[0])
        self._order.append(item)
        self._seen.add(item)
        return True


class SyncronFeed:
    """``async for event in feed``: events of one WebSocket feed until :meth:`close`.

    Subclasses implement ``on_push`` (and may implement ``on_disconnected`` and
    ``on_resubscribed``) and call ``emit``. One consumer at a time.
    """

    def __init__(
        self,
        ws_url: str,
        topics: Sequence[str] | Callable[[], Awaitable[Sequence[str]]],
        *,
        auth: AuthArgs | None = None,
        options: WsOptions | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        name: str = "feed",
    ) -> None:
        self._ws_url = ws_url
        self._topics = topics
        self._subscribed: list[str] = []
        self._auth = auth
        self._options = options or DEFAULT_WS_OPTIONS
        self._name = name
        self._socket = ReconnectingWebSocket(
            venue=wire.VENUE, url=self._url, options=self._options, on_open=self._opened,
            on_close=self._closed, sleep=sleep, rng=rng,
        )
        self._queue = _Inbox()
        self._reader: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._send: Send | None = None
        self._req_ids = itertools.count(1)
        self._awaiting_resubscribe = False
        self._catching_up = False
        self._healthy = False
        self._finished = False
        self.stats = FeedStats()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(topics={self._subscribed!r}, connections={self.stats.connections})"

    def __aiter__(self) -> SyncronFeed:
        return self

    async def __anext__(self) -> object:
        """The next event; raises the core error that ended the feed, if any."""
        if self._reader is None and not self._finished:
            self._reader = asyncio.get_running_loop().create_task(self._read(), name=f"syncron-{self._name}")
        item = await self._queue.get()
        if item is _END:
            self._queue.put(_END)
            raise StopAsyncIteration
        if isinstance(item, _Failure):
            self._queue.put(_END)
            raise item.error
        return item

    async def close(self) -> None:
        """End the feed and close the connection; safe to call twice."""
        self._finished = True
        await self._socket.close()
        for task in (self._heartbeat, self._reader):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._queue.put(_END)

    @property
    def connected(self) -> bool:
        """Whether a connection is open now."""
        return self._send is not None

    @property
    def in_sync(self) -> bool:
        """False from a dropped connection until the reconnect has caught up on what was missed.

        Before the first connection and after ``close`` there is nothing to catch up on: True.
        """
        if self._finished or self._socket.connections == 0:
            return True
        return self._send is not None and not self._awaiting_resubscribe and not self._catching_up

    # --- for subclasses -----------------------------------------------------------------------

    def emit(self, event: object) -> None:
        """Hand ``event`` to the consumer."""
        self._queue.put(event)

    @property
    def pending(self) -> int:
        """Events received but not yet taken by the consumer."""
        return len(self._queue)

    async def on_push(self, push: Push) -> None:
        """Turn one push into events (ProtocolError for a malformed one)."""
        raise NotImplementedError

    async def on_disconnected(self, reason: str) -> None:
        """The connection dropped (before the reconnect backoff)."""

    async def on_resubscribed(self) -> None:
        """A reconnect's subscriptions were confirmed: fetch what was missed meanwhile."""

    async def subscribe(self, topics: Sequence[str]) -> bool:
        """Send a subscribe on the open connection (a book topic answers with a snapshot)."""
        return await self._op(wire.OP_SUBSCRIBE, list(topics))

    # --- machinery ----------------------------------------------------------------------------

    async def _url(self) -> str:
        if not self._subscribed:
            topics = self._topics if isinstance(self._topics, Sequence) else await self._topics()
            self._subscribed = list(dict.fromkeys(topics))
        return self._ws_url

    async def _opened(self, send: Send) -> None:
        self._send = send
        self._healthy = False
        self.stats.connections = self._socket.connections
        self._awaiting_resubscribe = self._socket.connections > 1
        if self._auth is not None:
            await self._op(wire.OP_AUTH, await self._auth())
        await self._op(wire.OP_SUBSCRIBE, self._subscribed)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        interval = self._options.heartbeat_s
        if interval:
            self._heartbeat = asyncio.get_running_loop().create_task(self._ping(send, interval))

    async def _closed(self, reason: str) -> None:
        self._send = None
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None
        if not self._finished:
            log.warning("syncron.ws_disconnected", feed=self._name, reason=reason)
            await self.on_disconnected(reason)

    async def _op(self, op: str, args: object) -> bool:
        send = self._send
        if send is None:
            return False
        message: dict[str, object] = {wire.WS_OP: op, wire.WS_REQ_ID: str(next(self._req_ids))}
        if args is not None:
            message[wire.WS_ARGS] = args
        try:
            await send(json.dumps(message, separators=(",", ":")))
        except ConnectionClosed:
            return False  # the reader sees the drop and reconnects
        return True

    async def _ping(self, send: Send, interval: float) -> None:
        ping = json.dumps({wire.WS_OP: wire.OP_PING})
        with contextlib.suppress(ConnectionClosed):  # the connection ended: its reader reconnects
            while True:
                await asyncio.sleep(interval)
                await send(ping)

    async def _read(self) -> None:
        try:
            async for frame in self._socket.messages():
                await self._handle(frame)
        except BotkitError as error:
            log.error("syncron.ws_failed", feed=self._name, error=str(error))
            self._queue.put(_Failure(error))
        finally:
            self._queue.put(_END)

    async def _handle(self, frame: str) -> None:
        self.stats.frames += 1
        try:
            message = parse_frame(frame)
            if type(message) is Push:
                await self.on_push(message)
                if not self._healthy:
                    self._healthy = True
                    self._socket.mark_healthy()
            else:
                await self._on_reply(message)  # type: ignore[arg-type]
        except ProtocolError as error:
            self.stats.malformed += 1
            self.stats.last_error = error
            log.warning("syncron.ws_malformed", feed=self._name, error=str(error), count=self.stats.malformed)
        except TransientError as error:  # a REST catch-up failed: reconnecting runs it again
            self.stats.last_error = error
            log.warning("syncron.ws_catch_up_failed", feed=self._name, error=str(error))
            self._socket.reconnect(f"catch-up failed: {error}")

    async def _on_reply(self, reply: OpReply) -> None:
        if reply.op == wire.OP_PONG:
            self.stats.pongs += 1
            return
        if reply.success:
            if reply.op == wire.OP_SUBSCRIBE and self._awaiting_resubscribe:
                self._catching_up = True
                self._awaiting_resubscribe = False
                try:
                    await self.on_resubscribed()
                finally:
                    self._catching_up = False
            return
        if reply.error is None:  # pragma: no cover - parse_frame guarantees an error object
            raise ProtocolError(f"{wire.VENUE} websocket: {reply.op} failed without an error object")
        error = error_for(reply.error, f"websocket {reply.op}")
        self.stats.last_error = error
        if reply.error.code in _RECONNECT_CODES:
            log.warning("syncron.ws_reauth", feed=self._name, code=reply.error.code)
            self._socket.reconnect(f"{reply.op} refused with {reply.error.code}: authenticating afresh")
            return
        raise error
