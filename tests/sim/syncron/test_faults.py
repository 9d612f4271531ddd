"""Fault injection through the admin endpoint, observed by a client over real sockets."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from botkit.sim.syncron import FaultConfig, running_sim

from .conftest import Client, quiet_config, ws_recv, ws_until

ASK = {"symbol": "BTCUSD", "side": "sell", "type": "limit", "qty": "0.01"}


async def set_faults(session: aiohttp.ClientSession, url: str, **switches: object) -> dict:
    async with session.post(url + "/_sim/faults", json=switches) as r:
        payload = await r.json()
        assert r.status == 200, payload
        return payload["data"]


async def subscribe_book(ws: aiohttp.ClientWebSocketResponse) -> int:
    await ws.send_json({"op": "subscribe", "args": ["book.BTCUSD"]})
    assert (await ws_recv(ws))["success"] is True
    snapshot = await ws_recv(ws)
    assert snapshot["type"] == "snapshot"
    return snapshot["data"]["seq"]


async def test_skipped_sequence_number_is_a_visible_gap(sim, session, client: Client):
    async with session.ws_connect(sim.ws_url) as ws:
        seq = await subscribe_book(ws)
        await client.place(**ASK, price="61000")
        assert (await ws_until(ws, "book.BTCUSD"))["data"]["seq"] == seq + 1
        await set_faults(session, sim.url, book_skip_rate=1.0)
        await client.place(**ASK, price="61001")
        await set_faults(session, sim.url, book_skip_rate=0.0)
        await client.place(**ASK, price="61002")
        delta = await ws_until(ws, "book.BTCUSD")
        assert delta["data"]["seq"] == seq + 3  # seq + 2 never arrived: a gap
        assert delta["data"]["asks"] == [["61002", "0.01"]]
        # the cure: subscribe again for a fresh snapshot at the current seq
        assert await subscribe_book(ws) == seq + 3


async def test_duplicated_delta(sim, session, client: Client):
    async with session.ws_connect(sim.ws_url) as ws:
        seq = await subscribe_book(ws)
        await set_faults(session, sim.url, book_duplicate_rate=1.0)
        await client.place(**ASK, price="61000")
        first, second = await ws_until(ws, "book.BTCUSD"), await ws_until(ws, "book.BTCUSD")
        assert first == second and first["data"]["seq"] == seq + 1


async def test_http_5xx_and_429_injection(sim, session, client: Client):
    await set_faults(session, sim.url, http_error_rate=1.0)
    status, error = await client.error("GET", "/v5/time", signed=False)
    assert (status, error["code"]) == (503, 50301)
    await set_faults(session, sim.url, http_error_rate=0.0, http_429_rate=1.0)
    status, headers, payload = await client.request("GET", "/v5/time", signed=False)
    assert (status, payload["error"]["code"]) == (429, 42901) and "Retry-After" in headers
    async with session.post(sim.url + "/_sim/faults/reset") as r:
        assert (await r.json())["data"]["http_429_rate"] == 0
    assert await client.ok("GET", "/v5/time", signed=False)


async def test_half_the_requests_fail_with_a_seeded_rate(session):
    async with running_sim(quiet_config(faults=FaultConfig(http_error_rate=0.5, seed=3))) as sim:
        client = Client(session, sim.url)
        statuses = [(await client.request("GET", "/v5/time", signed=False))[0] for _ in range(60)]
    assert set(statuses) == {200, 503}
    assert 15 <= statuses.count(503) <= 45


async def test_order_accepted_but_response_times_out(sim, session, client: Client):
    await set_faults(session, sim.url, order_timeout_rate=1.0, order_timeout_s=5.0)
    order = {**ASK, "price": "61000", "client_order_id": "lost-1"}
    with pytest.raises(TimeoutError):
        await client.request("POST", "/v5/order", body=order, timeout=0.3)
    await set_faults(session, sim.url, order_timeout_rate=0.0)
    found = await client.ok("GET", "/v5/order", params={"client_order_id": "lost-1"})
    assert found["status"] == "new"
    assert (await client.place(**order))["order_id"] == found["order_id"]  # safe retry
    assert len(await client.ok("GET", "/v5/orders/open")) == 1


async def test_admin_drop_cuts_websockets(sim, session):
    async with session.ws_connect(sim.ws_url) as ws:
        await subscribe_book(ws)
        async with session.post(sim.url + "/_sim/ws/drop") as r:
            assert (await r.json())["data"] == {"dropped": 1}
        msg = await ws.receive(timeout=2)
        assert msg.type in (
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
            aiohttp.WSMsgType.CLOSE,
        )


async def test_drop_rate_cuts_after_a_message(sim, session):
    await set_faults(session, sim.url, ws_drop_rate=1.0)
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"op": "ping"})
        assert (await ws_recv(ws))["op"] == "pong"
        msg = await ws.receive(timeout=2)
        assert msg.type in (
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
            aiohttp.WSMsgType.CLOSE,
        )


async def test_reorder_and_delay(sim, session):
    await set_faults(session, sim.url, ws_reorder_rate=1.0, ws_delay_ms=50)
    async with session.ws_connect(sim.ws_url) as ws:
        started = asyncio.get_running_loop().time()
        await ws.send_json({"op": "ping", "req_id": "1"})
        await ws.send_json({"op": "ping", "req_id": "2"})
        got = [(await ws_recv(ws))["req_id"], (await ws_recv(ws))["req_id"]]
        assert got == ["2", "1"]
        assert asyncio.get_running_loop().time() - started >= 0.1


async def test_invalid_switch_is_40001(sim, session):
    async with session.post(sim.url + "/_sim/faults", json={"http_error_rate": 2}) as r:
        payload = await r.json()
    assert r.status == 400 and payload["error"]["details"]["parameter"] == "http_error_rate"
    async with session.post(sim.url + "/_sim/faults", json={"nope": 1}) as r:
        assert r.status == 400
