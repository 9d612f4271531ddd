"""Sessions and the WebSocket feed: intervals per plan, connection/data/error events, expiry."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import aiohttp
import pytest

from botkit.sim.sintra import SintraSimServer, run_sintra_sim

from .helpers import (
    PRO,
    T0_S,
    clock_at,
    data_events,
    event_times,
    fetch,
    next_event,
    roomy_config,
)

SPEED = 50.0  # simulator seconds per wall second: a 10 s Starter tick takes 0.2 s
SUPPORTED = {"usd", "eur", "gbp", "jpy", "cad", "aud", "chf"}


@pytest.fixture
async def fast_sim() -> AsyncIterator[SintraSimServer]:
    async with run_sintra_sim(roomy_config(), clock=clock_at(speed=SPEED)) as server:
        yield server


async def new_session(http: aiohttp.ClientSession, sim: SintraSimServer) -> str:
    status, body, _ = await fetch(http, f"{sim.base_url}/sessions", PRO, "POST")
    assert status == 201
    session_id: str = body["sessionId"]
    return session_id


async def test_create_session_lasts_ten_minutes(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/sessions", PRO, "POST")
    assert status == 201
    assert set(body) == {"sessionId", "expires_at"}
    assert isinstance(body["sessionId"], str) and len(body["sessionId"]) >= 16
    assert abs(body["expires_at"] - (T0_S + 600)) <= 2


async def test_without_a_session_updates_come_every_10_seconds(
    fast_sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(fast_sim.ws_url) as ws:
        hello = await next_event(ws)
        assert hello["event"] == "connection"
        assert hello["data"]["plan"] == "starter" and hello["data"]["interval"] == 10
        assert isinstance(hello["data"]["message"], str)
        events = await data_events(ws, 3)
    times = event_times(events)
    assert all(t % 10 == 0 for t in times)
    assert [b - a for a, b in itertools.pairwise(times)] == [10, 10]
    for event in events:
        assert set(event["data"]) == SUPPORTED
        assert all(entry["price"] > 0 for entry in event["data"].values())


async def test_with_a_session_updates_come_every_second(
    fast_sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    session_id = await new_session(http, fast_sim)
    async with http.ws_connect(f"{fast_sim.ws_url}?sessionId={session_id}") as ws:
        hello = await next_event(ws)
        assert hello["data"]["plan"] == "pro" and hello["data"]["interval"] == 1
        times = event_times(await data_events(ws, 5))
    assert [b - a for a, b in itertools.pairwise(times)] == [1, 1, 1, 1]


async def test_data_events_match_the_rest_prices(
    fast_sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    session_id = await new_session(http, fast_sim)
    async with http.ws_connect(f"{fast_sim.ws_url}?sessionId={session_id}") as ws:
        await next_event(ws)
        (event,) = await data_events(ws, 1)
    ts = event["data"]["usd"]["timestamp"]
    assert event["data"] == fast_sim.state.market.all_prices(ts)
    _, rest, _ = await fetch(http, f"{fast_sim.base_url}/prices")
    assert set(rest) == set(event["data"])
    assert {k: set(v) for k, v in rest.items()} == {k: set(v) for k, v in event["data"].items()}


async def test_an_unknown_session_gets_an_error_event_and_starter_updates(
    fast_sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{fast_sim.ws_url}?sessionId=not-a-session") as ws:
        hello = await next_event(ws)
        assert hello["event"] == "connection" and hello["data"]["interval"] == 10
        error = await next_event(ws)
        assert error["event"] == "error"
        assert error["data"]["type"] == "AuthenticationError"
        assert error["data"]["code"] == "SESSION_INVALID"
        assert isinstance(error["data"]["message"], str)
        times = event_times(await data_events(ws, 2))
    assert times[1] - times[0] == 10


async def test_an_expired_session_is_refused_at_connect(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    session_id = await new_session(http, sim)
    sim.clock.advance(601)
    async with http.ws_connect(f"{sim.ws_url}?sessionId={session_id}") as ws:
        hello = await next_event(ws)
        assert hello["data"]["plan"] == "starter"
        error = await next_event(ws)
        assert error["event"] == "error" and error["data"]["code"] == "SESSION_EXPIRED"


async def test_a_session_may_open_several_connections_until_it_expires(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    session_id = await new_session(http, sim)
    for _ in range(2):
        async with http.ws_connect(f"{sim.ws_url}?sessionId={session_id}") as ws:
            assert (await next_event(ws))["data"]["plan"] == "pro"


async def test_an_open_connection_outlives_its_session(
    fast_sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    session_id = await new_session(http, fast_sim)
    async with http.ws_connect(f"{fast_sim.ws_url}?sessionId={session_id}") as ws:
        await next_event(ws)
        before = event_times(await data_events(ws, 2))
        fast_sim.clock.advance(601)
        after = event_times(await data_events(ws, 4))
    assert after[0] >= before[-1] + 600
    assert [b - a for a, b in itertools.pairwise(after[1:])] == [1, 1]


async def test_shutdown_sends_an_error_event_and_closes_with_1001(
    http: aiohttp.ClientSession,
) -> None:
    received: list[aiohttp.WSMessage] = []

    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            received.append(message)

    async with run_sintra_sim(roomy_config(), clock=clock_at(speed=SPEED)) as sim:
        ws = await http.ws_connect(sim.ws_url)
        reader = asyncio.create_task(read(ws))
        await asyncio.sleep(0.05)
    await asyncio.wait_for(reader, 5)
    assert ws.closed and ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
    last = received[-1].json()
    assert last["event"] == "error"
    assert last["data"] == {
        "message": "Server is shutting down",
        "type": "ConnectionError",
        "code": "SERVER_SHUTDOWN",
    }


async def test_client_messages_are_ignored(
    fast_sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(fast_sim.ws_url) as ws:
        await next_event(ws)
        await ws.send_str('{"event": "subscribe", "data": {"pair": "btcusd"}}')
        await ws.send_str("garbage")
        assert len(await data_events(ws, 1)) == 1


async def test_a_simulator_bug_closes_the_connection_with_1011(
    fast_sim: SintraSimServer, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(fast_sim.state.market, "all_prices", broken)
    async with http.ws_connect(fast_sim.ws_url) as ws:
        await next_event(ws)
        message = await ws.receive(timeout=5)
        assert message.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == aiohttp.WSCloseCode.INTERNAL_ERROR
