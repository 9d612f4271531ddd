"""The WebSocket API over a real socket.

Subscribe, snapshot then consecutive deltas, private channels after auth, heartbeat, idle close.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botkit.sim.syncron import DEFAULT_API_KEY, DEFAULT_API_SECRET, running_sim

from .conftest import Client, hmac_hex, quiet_config, ws_recv, ws_until

D = Decimal


def apply(book: dict[str, dict[D, D]], data: dict) -> None:
    for side in ("bids", "asks"):
        for price, qty in data[side]:
            if D(qty) == 0:
                book[side].pop(D(price), None)
            else:
                book[side][D(price)] = D(qty)


async def test_book_snapshot_then_consecutive_deltas(sim, session, client: Client):
    await client.place(symbol="BTCUSD", side="buy", type="limit", qty="0.01", price="59000")
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"op": "subscribe", "req_id": "s1", "args": ["book.BTCUSD"]})
        ack = await ws_recv(ws)
        assert ack == {"op": "subscribe", "req_id": "s1", "success": True, "args": ["book.BTCUSD"]}
        snap = await ws_recv(ws)
        assert snap["topic"] == "book.BTCUSD" and snap["type"] == "snapshot"
        assert snap["data"]["bids"] == [["59000", "0.01"]]
        book = {"bids": {}, "asks": {}}
        apply(book, snap["data"])
        seq = snap["data"]["seq"]
        for i in range(5):
            await client.place(
                symbol="BTCUSD", side="sell", type="limit", qty="0.01", price=str(61000 + i)
            )
        await client.place(symbol="BTCUSD", side="sell", type="market", qty="0.01")
        for _ in range(6):
            delta = await ws_until(ws, "book.BTCUSD")
            assert delta["type"] == "delta"
            assert delta["data"]["seq"] == seq + 1
            seq = delta["data"]["seq"]
            apply(book, delta["data"])
        rest = await client.ok(
            "GET", "/v5/market/orderbook", params={"symbol": "BTCUSD"}, signed=False
        )
        assert rest["seq"] == seq
        assert sorted(book["asks"].items()) == [(D(p), D(q)) for p, q in rest["asks"]]
        assert book["bids"] == {}


async def test_trades_and_ticker_channels(sim, session, client: Client):
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"op": "subscribe", "args": ["trades.BTCUSD", "ticker.BTCUSD"]})
        assert (await ws_recv(ws))["success"] is True
        await client.place(symbol="BTCUSD", side="sell", type="limit", qty="0.01", price="61000")
        ticker = await ws_until(ws, "ticker.BTCUSD")
        assert ticker["data"]["ask"] == "61000" and ticker["data"]["bid"] is None
        await client.place(symbol="BTCUSD", side="buy", type="market", qty="0.01")
        trades = await ws_until(ws, "trades.BTCUSD")
        assert [(t["price"], t["qty"], t["side"]) for t in trades["data"]] == [
            ("61000", "0.01", "buy")
        ]


async def test_errors_and_ping(sim, session):
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"op": "subscribe", "req_id": 1, "args": ["book.NOPE"]})
        reply = await ws_recv(ws)
        assert reply["success"] is False and reply["error"]["code"] == 40001
        await ws.send_json({"op": "subscribe", "req_id": 2, "args": ["orders"]})
        assert (await ws_recv(ws))["error"]["code"] == 40101
        await ws.send_str("not json")
        assert (await ws_recv(ws))["error"]["code"] == 40001
        await ws.send_json({"op": "ping", "req_id": "p"})
        pong = await ws_recv(ws)
        assert pong["op"] == "pong" and pong["req_id"] == "p" and pong["timestamp"] > 0


async def test_private_channels_after_signature_auth(sim, session, client: Client):
    async with session.ws_connect(sim.ws_url) as ws:
        ts = int(time.time() * 1000)
        bad = {"api_key": DEFAULT_API_KEY, "timestamp": ts, "signature": "00"}
        await ws.send_json({"op": "auth", "req_id": "a0", "args": bad})
        assert (await ws_recv(ws))["error"]["code"] == 40103
        sig = hmac_hex(DEFAULT_API_SECRET, f"{ts}GET/v5/ws")
        await ws.send_json(
            {
                "op": "auth",
                "req_id": "a1",
                "args": {"api_key": DEFAULT_API_KEY, "timestamp": ts, "signature": sig},
            }
        )
        assert await ws_recv(ws) == {"op": "auth", "req_id": "a1", "success": True}
        await ws.send_json({"op": "subscribe", "args": ["orders", "fills"]})
        assert (await ws_recv(ws))["success"] is True
        placed = await client.place(
            symbol="BTCUSD",
            side="sell",
            type="limit",
            qty="0.01",
            price="61000",
            client_order_id="ws-1",
        )
        update = await ws_until(ws, "orders")
        assert update["data"][0]["client_order_id"] == "ws-1"
        assert update["data"][0]["status"] == "new"
        taker = await client.place(symbol="BTCUSD", side="buy", type="market", qty="0.01")
        fills = await ws_until(ws, "fills")
        by_order = {f["order_id"]: f["liquidity"] for f in fills["data"]}
        assert by_order == {placed["order_id"]: "maker", taker["order_id"]: "taker"}


async def test_token_auth_on_ws(sim, session, client: Client):
    token = (await client.ok("POST", "/v5/auth/token"))["token"]
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"op": "auth", "args": {"token": token}})
        assert (await ws_recv(ws))["success"] is True
        await ws.send_json({"op": "subscribe", "args": ["orders"]})
        assert (await ws_recv(ws))["success"] is True


async def test_upgrade_carries_rate_limit_headers(sim, session):
    async with session.ws_connect(sim.ws_url) as ws:
        assert "X-SYNCRON-RATELIMIT-REMAINING" in ws._response.headers


async def test_idle_connection_is_closed_with_4000(session):
    async with (
        running_sim(quiet_config(ws_idle_timeout_s=0.3)) as sim,
        session.ws_connect(sim.ws_url) as ws,
    ):
        msg = await ws.receive(timeout=3)
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4000


async def test_shutdown_closes_open_websockets_with_1001(session):
    async with running_sim(quiet_config()) as sim:
        ws = await session.ws_connect(sim.ws_url)
        await ws.send_json({"op": "subscribe", "args": ["book.BTCUSD"]})
        assert (await ws_recv(ws))["success"] is True
    snapshot, close = await ws.receive(timeout=2), await ws.receive(timeout=2)
    assert snapshot.type is aiohttp.WSMsgType.TEXT
    assert close.type is aiohttp.WSMsgType.CLOSE and close.data == 1001
    await ws.close()


def _signed_args(**changes: Any) -> dict[str, Any]:
    ts = int(time.time() * 1000)
    args = {"api_key": DEFAULT_API_KEY, "timestamp": ts, "signature": hmac_hex(DEFAULT_API_SECRET, f"{ts}GET/v5/ws")}
    return {**args, **changes}


class Signed(dict[str, Any]):
    """Changes to freshly signed auth args, applied when the test runs (a signature is valid 5 s)."""


BAD_AUTH_ARGS = [
    ("not an object", ["x"], 40001, "args"),
    ("unknown field", Signed({"extra": 1}), 40001, "args.extra"),
    ("missing signature", {"api_key": DEFAULT_API_KEY, "timestamp": 1}, 40101, None),
    ("token not a string", {"token": {"a": 1}}, 40001, "args.token"),
    ("non-ASCII token", {"token": "é.é.é"}, 40106, None),
    ("lone surrogate token", {"token": "a.\ud800.b"}, 40106, None),
    ("api key a list", Signed({"api_key": ["x"]}), 40001, "args.api_key"),
    ("5000-digit timestamp text", Signed({"timestamp": "1" * 5000}), 40001, "args.timestamp"),
    ("5000-digit timestamp number", Signed({"timestamp": 10**4000}), 40001, "message"),
    ("20-digit timestamp number", Signed({"timestamp": 10**19}), 40001, "args.timestamp"),
    ("superscript timestamp", Signed({"timestamp": "²"}), 40001, "args.timestamp"),
    ("Arabic-Indic timestamp", Signed({"timestamp": "١٢٣"}), 40001, "args.timestamp"),
    ("boolean timestamp", Signed({"timestamp": True}), 40001, "args.timestamp"),
    ("float timestamp", Signed({"timestamp": 1.5}), 40001, "args.timestamp"),
    ("non-ASCII signature", Signed({"signature": "é" * 64}), 40103, None),
    ("signature a number", Signed({"signature": 12}), 40001, "args.signature"),
    ("unknown key", Signed({"api_key": "nope"}), 40102, None),
]


@pytest.mark.parametrize(
    ("args", "code", "parameter"), [c[1:] for c in BAD_AUTH_ARGS], ids=[c[0] for c in BAD_AUTH_ARGS]
)
async def test_bad_auth_args_get_an_error_reply_and_the_connection_stays(
    sim, session, args: object, code: int, parameter: str | None
):
    async with session.ws_connect(sim.ws_url) as ws:
        sent = _signed_args(**args) if isinstance(args, Signed) else args
        await ws.send_json({"op": "auth", "req_id": "a", "args": sent})
        reply = await ws_recv(ws)
        unreadable = parameter == "message"  # the frame itself was refused: no op to echo
        assert (reply["op"], reply["req_id"], reply["success"]) == (
            (None, None, False) if unreadable else ("auth", "a", False)
        )
        assert reply["error"]["code"] == code and reply["error"]["details"].get("parameter") == parameter
        await ws.send_json({"op": "auth", "req_id": "b", "args": _signed_args()})
        assert await ws_recv(ws) == {"op": "auth", "req_id": "b", "success": True}


async def test_malformed_frames_get_error_replies_and_the_connection_stays(sim, session):
    async with session.ws_connect(sim.ws_url) as ws:
        frames = ["[" * 50_000, '{"op": "ping", "op": "ping"}', '{"op": NaN}', "[]", '{"op": "ping", "req_id": [1]}']
        for frame in frames:
            await ws.send_str(frame)
            reply = await ws_recv(ws)
            assert reply["success"] is False and reply["error"]["code"] == 40001, frame[:20]
        await ws.send_bytes(b"{}")
        assert (await ws_recv(ws))["error"]["code"] == 40001
        await ws.send_json({"op": "subscribe", "req_id": "s", "args": ["x" * 100]})
        assert (await ws_recv(ws))["error"]["code"] == 40001
        await ws.send_json({"op": "ping", "req_id": 7})
        assert (await ws_recv(ws))["op"] == "pong"


ws_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    op=st.sampled_from(["auth", "subscribe", "unsubscribe", "ping"]) | ws_values,
    args=st.dictionaries(st.sampled_from(["token", "api_key", "timestamp", "signature"]), ws_values) | ws_values,
    req_id=ws_values,
)
async def test_fuzzed_operations_are_answered_never_with_50001(sim, op: object, args: object, req_id: object):
    async with aiohttp.ClientSession() as session, session.ws_connect(sim.ws_url) as ws:
        await ws.send_str(json.dumps({"op": op, "req_id": req_id, "args": args}))
        reply = await ws_recv(ws)
        assert reply.get("error", {}).get("code") != 50001, reply
        await ws.send_json({"op": "ping"})
        assert (await ws_recv(ws))["op"] == "pong"
