"""The send deadline is kept while a request waits for a connection (a real server on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from botkit.core.clock import LiveClock
from botkit.venues._deadline_connector import DeadlineConnector, request_deadline
from botkit.venues.base import SendDeadline, SendDeadlinePassed

HOLD_S = 0.3


@pytest.fixture
async def slow_server() -> AsyncIterator[tuple[str, list[str]]]:
    """Answers each request after ``HOLD_S``; records the paths it received."""
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.path)
        await asyncio.sleep(HOLD_S)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/{name}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", seen
    await runner.cleanup()


def deadline_in(seconds: float) -> SendDeadline:
    clock = LiveClock()
    return SendDeadline(clock.now_ns() + int(seconds * 1e9), clock)


async def test_a_request_whose_deadline_passes_while_it_waits_for_a_connection_is_never_sent(slow_server):
    url, seen = slow_server
    async with aiohttp.ClientSession(connector=DeadlineConnector(limit=1)) as session:

        async def get(name: str, deadline: SendDeadline | None) -> str:
            with request_deadline(deadline):
                async with session.get(f"{url}/{name}") as response:
                    return await response.text()

        busy = asyncio.create_task(get("first", None))  # holds the only connection for HOLD_S
        await asyncio.sleep(0.05)
        with pytest.raises(SendDeadlinePassed, match="waited for a connection"):
            await get("late", deadline_in(0.1))
        assert await busy == "ok"
        async with asyncio.timeout(5):  # the refused connection went back to the pool
            assert await get("after", deadline_in(5.0)) == "ok"
    assert seen == ["/first", "/after"], "the late request never reached the server"


async def test_without_a_deadline_requests_wait_for_their_connection(slow_server):
    url, seen = slow_server
    async with aiohttp.ClientSession(connector=DeadlineConnector(limit=1)) as session:

        async def get(name: str) -> int:
            async with session.get(f"{url}/{name}") as response:
                return response.status

        assert await asyncio.gather(get("a"), get("b")) == [200, 200]
    assert sorted(seen) == ["/a", "/b"]
