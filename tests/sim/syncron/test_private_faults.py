"""Faults on the private channels (orders, fills) and 429 bursts, seen by a plain client over real sockets."""

from __future__ import annotations

import time

import aiohttp
import pytest

from botkit.sim.syncron import DEFAULT_API_KEY, DEFAULT_API_SECRET, FaultConfig, running_sim

from .conftest import Client, hmac_hex, quiet_config, ws_recv
from .test_faults import set_faults

ASK = {"symbol": "BTCUSD", "side": "sell", "type": "limit", "qty": "0.01"}


async def private_ws(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(url)
    ts = int(time.time() * 1000)
    sig = hmac_hex(DEFAULT_API_SECRET, f"{ts}GET/v5/ws")
    await ws.send_json({"op": "auth", "args": {"api_key": DEFAULT_API_KEY, "timestamp": ts, "signature": sig}})
    assert (await ws_recv(ws))["success"] is True
    await ws.send_json({"op": "subscribe", "args": ["orders"]})
    assert (await ws_recv(ws))["success"] is True
    return ws


async def order_pushes(ws: aiohttp.ClientWebSocketResponse, timeout: float = 0.3) -> list[str]:
    """Client order ids of the ``orders`` pushes that arrive until the connection stays quiet."""
    seen = []
    while True:
        try:
            msg = await ws_recv(ws, timeout)
        except TimeoutError:
            return seen
        if msg.get("topic") == "orders":
            seen.extend(o["client_order_id"] for o in msg["data"])


async def place_each(client: Client, *coids: str) -> None:
    for i, coid in enumerate(coids):
        await client.place(**ASK, price=str(61000 + i), client_order_id=coid)


async def test_private_skip_drops_the_push_but_not_the_order(sim, session, client: Client):
    ws = await private_ws(session, sim.ws_url)
    try:
        await set_faults(session, sim.url, private_skip_rate=1.0)
        await place_each(client, "skip-1")
        await set_faults(session, sim.url, private_skip_rate=0.0)
        await place_each(client, "skip-2")
        assert await order_pushes(ws) == ["skip-2"]
    finally:
        await ws.close()
    assert len(await client.ok("GET", "/v5/orders/open")) == 2  # REST still knows both


async def test_private_duplicate_sends_the_push_twice(sim, session, client: Client):
    ws = await private_ws(session, sim.ws_url)
    try:
        await set_faults(session, sim.url, private_duplicate_rate=1.0)
        await place_each(client, "dup-1")
        assert await order_pushes(ws) == ["dup-1", "dup-1"]
    finally:
        await ws.close()


async def test_private_reorder_holds_a_push_until_the_next_private_push(sim, session, client: Client):
    ws = await private_ws(session, sim.ws_url)
    try:
        await set_faults(session, sim.url, private_reorder_rate=1.0)
        await place_each(client, "re-1")
        assert await order_pushes(ws) == [], "held back"
        await set_faults(session, sim.url, private_reorder_rate=0.0)
        await place_each(client, "re-2", "re-3")
        assert await order_pushes(ws) == ["re-2", "re-1", "re-3"]
    finally:
        await ws.close()


async def test_private_faults_leave_public_channels_alone(sim, session, client: Client):
    await set_faults(session, sim.url, private_skip_rate=1.0)
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"op": "subscribe", "args": ["book.BTCUSD"]})
        assert (await ws_recv(ws))["success"] is True
        assert (await ws_recv(ws))["type"] == "snapshot"
        await place_each(client, "pub-1")
        assert (await ws_recv(ws))["type"] == "delta"


@pytest.mark.parametrize("burst", [1, 4])
async def test_a_429_burst_answers_that_many_requests_in_a_row(session, burst):
    faults = FaultConfig(http_429_rate=1.0, http_429_burst=burst, http_429_retry_after_ms=250)
    async with running_sim(quiet_config(faults=faults)) as sim:
        client = Client(session, sim.url)
        first = await client.request("GET", "/v5/time", signed=False)
        await set_faults(session, sim.url, http_429_rate=0.0)  # no new burst starts: the running one goes on
        rest = [await client.request("GET", "/v5/time", signed=False) for _ in range(burst + 1)]
    status, headers, payload = first
    assert (status, payload["error"]["code"]) == (429, 42901)
    assert payload["error"]["details"]["retry_after_ms"] == 250 and headers["Retry-After"] == "1"
    assert [s for s, _, _ in rest] == [429] * (burst - 1) + [200, 200]


async def test_a_burst_ends_when_429s_are_switched_off_by_reset(session):
    faults = FaultConfig(http_429_rate=1.0, http_429_burst=100)
    async with running_sim(quiet_config(faults=faults)) as sim:
        client = Client(session, sim.url)
        assert (await client.request("GET", "/v5/time", signed=False))[0] == 429
        async with session.post(sim.url + "/_sim/faults/reset") as r:
            assert r.status == 200
        assert (await client.request("GET", "/v5/time", signed=False))[0] == 200
