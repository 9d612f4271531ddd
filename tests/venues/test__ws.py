"""The shared reconnecting WebSocket against a scripted aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from botkit.core.errors import AuthError, ConfigError, ProtocolError, RateLimited, VenueUnavailable
from botkit.core.retry import RetryPolicy
from botkit.venues._ws import ReconnectingWebSocket, WsOptions

FAST = WsOptions(
    open_timeout_s=2,
    heartbeat_s=None,
    idle_timeout_s=2,
    close_timeout_s=0.5,
    policy=RetryPolicy(base=0.01, factor=2, cap=0.05, max_attempts=4),
)


@dataclass
class WsScript:
    """Each connection gets ``per_connection`` messages, then is cut (or idles when ``hang``).

    ``frames``, when set, are sent instead of the numbered messages.
    """

    per_connection: int = 2
    frames: list[str] | None = None
    hang: bool = False
    abort: bool = True
    connections: int = 0
    received: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        self.queries.append(request.query_string)
        n = self.connections
        reader = asyncio.create_task(self._read(ws))
        await asyncio.sleep(0.02)  # let on_open's messages arrive
        for frame in self.frames if self.frames is not None else (f"c{n}m{i}" for i in range(self.per_connection)):
            await ws.send_str(frame)
        if self.hang:
            await asyncio.sleep(10)
        if self.abort and request.transport is not None:
            request.transport.abort()  # no close frame, like a network failure
        else:
            await ws.close()
        reader.cancel()
        return ws

    async def _read(self, ws: web.WebSocketResponse) -> None:
        async for message in ws:
            self.received.append(message.data)


@pytest.fixture
async def ws_server() -> AsyncIterator[tuple[str, WsScript]]:
    script = WsScript()
    app = web.Application()
    app.router.add_get("/ws", script.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"ws://{host}:{port}/ws", script
    await runner.cleanup()


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


async def take(socket_: ReconnectingWebSocket, count: int) -> list[str]:
    out = []
    async for text in socket_.messages():
        out.append(text)
        if len(out) == count:
            break
    return out


async def test_it_reconnects_after_drops_with_a_fresh_url_each_time(ws_server) -> None:
    url, script = ws_server
    urls = iter(range(100))
    sleeps = Sleeps()

    async def next_url() -> str:
        return f"{url}?n={next(urls)}"

    socket_ = ReconnectingWebSocket(venue="test", url=next_url, options=FAST, sleep=sleeps, rng=random.Random(1))
    messages = await asyncio.wait_for(take(socket_, 6), 10)
    await socket_.close()
    assert messages == ["c1m0", "c1m1", "c2m0", "c2m1", "c3m0", "c3m1"]
    assert script.queries[:3] == ["n=0", "n=1", "n=2"]
    assert socket_.connections == 3
    # nobody marked the connections healthy: the backoff grows (full jitter under the ceiling)
    assert len(sleeps.waits) == 2 and sleeps.waits[0] <= 0.01 and sleeps.waits[1] <= 0.02


async def test_mark_healthy_restarts_the_backoff(ws_server) -> None:
    url, _script = ws_server
    sleeps = Sleeps()

    async def fixed() -> str:
        return url

    socket_ = ReconnectingWebSocket(venue="test", url=fixed, options=FAST, sleep=sleeps)
    count = 0
    async for _text in socket_.messages():
        socket_.mark_healthy()
        count += 1
        if count == 8:
            break
    await socket_.close()
    assert len(sleeps.waits) == 3 and all(w <= 0.01 for w in sleeps.waits)


async def test_on_open_runs_on_every_connection(ws_server) -> None:
    url, script = ws_server

    async def fixed() -> str:
        return url

    async def subscribe(send) -> None:
        await send('{"op": "subscribe"}')

    socket_ = ReconnectingWebSocket(venue="test", url=fixed, options=FAST, on_open=subscribe, sleep=Sleeps())
    await asyncio.wait_for(take(socket_, 4), 10)
    await socket_.close()
    assert script.received[:2] == ['{"op": "subscribe"}'] * 2


async def test_a_silent_connection_is_replaced(ws_server) -> None:
    url, script = ws_server
    script.per_connection, script.hang = 1, True

    async def fixed() -> str:
        return url

    options = WsOptions(heartbeat_s=None, idle_timeout_s=0.2, close_timeout_s=0.2, policy=FAST.policy)
    socket_ = ReconnectingWebSocket(venue="test", url=fixed, options=options, sleep=Sleeps())
    assert await asyncio.wait_for(take(socket_, 2), 10) == ["c1m0", "c2m0"]
    await socket_.close()


async def test_a_requested_reconnect_drops_the_connection(ws_server) -> None:
    url, script = ws_server
    script.per_connection = 3

    async def fixed() -> str:
        return url

    socket_ = ReconnectingWebSocket(venue="test", url=fixed, options=FAST, sleep=Sleeps())
    seen = []
    async for text in socket_.messages():
        seen.append(text)
        if text == "c1m0":
            socket_.reconnect("testing")
        if len(seen) == 2:
            break
    await socket_.close()
    assert seen == ["c1m0", "c2m0"]


async def test_close_ends_the_messages(ws_server) -> None:
    url, script = ws_server
    script.per_connection, script.hang = 1, True

    async def fixed() -> str:
        return url

    socket_ = ReconnectingWebSocket(venue="test", url=fixed, options=FAST, sleep=Sleeps())
    received = []

    async def consume() -> None:
        async for text in socket_.messages():
            received.append(text)

    task = asyncio.create_task(consume())
    while not received:
        await asyncio.sleep(0.01)
    await socket_.close()
    await asyncio.wait_for(task, 5)
    assert received == ["c1m0"] and socket_.closed


async def test_it_gives_up_after_max_attempts_in_a_row() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def nowhere() -> str:
        return f"ws://127.0.0.1:{port}/ws?sessionId=secret-session"

    sleeps = Sleeps()
    socket_ = ReconnectingWebSocket(venue="test", url=nowhere, options=FAST, sleep=sleeps)
    with pytest.raises(VenueUnavailable, match="4 connections failed in a row") as caught:
        await take(socket_, 1)
    assert len(sleeps.waits) == 3
    assert "secret-session" not in str(caught.value)


async def test_errors_that_need_a_human_are_not_retried() -> None:
    async def refused() -> str:
        raise AuthError("no key")

    with pytest.raises(AuthError):
        await take(ReconnectingWebSocket(venue="test", url=refused, sleep=Sleeps()), 1)

    async def bad() -> str:
        return "not a websocket url"

    with pytest.raises(ConfigError, match="test websocket URL is invalid"):
        await take(ReconnectingWebSocket(venue="test", url=bad, sleep=Sleeps()), 1)


async def test_a_huge_retry_after_on_connect_waits_at_most_the_cap() -> None:
    calls = 0

    async def limited() -> str:
        nonlocal calls
        calls += 1
        raise RateLimited("busy", retry_after=1e9)

    sleeps = Sleeps()
    options = WsOptions(policy=RetryPolicy(base=0.01, cap=0.05, max_attempts=3), max_retry_after_s=7.0)
    socket_ = ReconnectingWebSocket(venue="test", url=limited, options=options, sleep=sleeps)
    with pytest.raises(VenueUnavailable):
        await take(socket_, 1)
    assert sleeps.waits == [7.0, 7.0]


@pytest.mark.parametrize("frame", ["[" * 100_000, "1" * 5000, "{not json"])
def test_hostile_frames_become_protocol_errors_in_both_venue_parsers(frame: str):
    from botkit.venues.sintra.parse import parse_ws_event
    from botkit.venues.syncron.frames import parse_frame

    with pytest.raises(ProtocolError):
        parse_frame(frame)
    with pytest.raises(ProtocolError):
        parse_ws_event(frame)
