"""The ``/v5/ws`` endpoint: subscriptions, book snapshots and sequenced deltas, private pushes.

The hub listens to the exchange; each connection has its own send queue and writer task, so a
slow client never holds up the venue. WebSocket faults (skip, duplicate, delay, reorder, drop)
are applied here: book skips and duplicates per delta, private skips, duplicates and reorders per
``orders`` / ``fills`` push and connection, delay, reorder and drop per outgoing message.
Every malformed operation (bad JSON, bad ``args``, a binary frame) gets an error reply and the
connection stays open; frames are read through the same bounded parser as REST bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import WSMsgType, web

from botkit.core.clock import Clock
from botkit.logging import key_hint
from botkit.sim.syncron.accounts import Account
from botkit.sim.syncron.auth import Authenticator
from botkit.sim.syncron.errors import ApiError, ErrorCode, invalid_parameter
from botkit.sim.syncron.exchange import Exchange
from botkit.sim.syncron.faults import FaultState
from botkit.sim.syncron.inputs import MAX_BODY_BYTES, read_json_object
from botkit.sim.syncron.matching import BookChange
from botkit.sim.syncron.records import FillRecord, SimOrder, TradeRecord
from botkit.sim.syncron.schemas import BookUpdateOut, FillOut, OrderOut, TradeOut
from botkit.sim.syncron.views import book_snapshot_view, ticker_view

log = structlog.get_logger("botkit.sim.syncron")

PUBLIC_CHANNELS = ("book", "trades", "ticker")
PRIVATE_CHANNELS = ("orders", "fills")
IDLE_CLOSE_CODE = 4000
SLOW_CLOSE_CODE = 4001
MAX_QUEUED = 10_000
MAX_TOPICS = 1000
"""Most channel names one subscribe or unsubscribe may carry."""
MAX_TOPIC_CHARS = 64
MAX_REQ_ID_CHARS = 64


@dataclass(eq=False)
class WsConnection:
    """One client connection: its socket, subscriptions, account and outgoing queue."""

    ws: web.WebSocketResponse
    request: web.Request
    topics: set[str] = field(default_factory=set)
    account: Account | None = None
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    held: str | None = None
    held_private: str | None = None
    slow: bool = False

    def send(self, text: str) -> None:
        """Queue ``text``; a client that lets too much pile up is disconnected."""
        if self.slow:
            return
        if self.queue.qsize() >= MAX_QUEUED:
            self.slow = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(text)

    def abort(self) -> None:
        """Cut the TCP connection without a close frame."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


class WsHub:
    """All WebSocket connections of one app; implements the exchange's listener protocol."""

    def __init__(
        self,
        exchange: Exchange,
        auth: Authenticator,
        faults: FaultState,
        clock: Clock,
        idle_timeout_s: float,
    ) -> None:
        self._exchange = exchange
        self._auth = auth
        self._faults = faults
        self._clock = clock
        self._idle_timeout_s = idle_timeout_s
        self._connections: set[WsConnection] = set()

    def _now_ms(self) -> int:
        return self._clock.now_ns() // 1_000_000

    def _push(self, topic: str, kind: str, data: object) -> str:
        return _dumps({"topic": topic, "type": kind, "ts": self._now_ms(), "data": data})

    def _subscribers(self, topic: str, account_id: str | None = None) -> list[WsConnection]:
        return [
            c
            for c in self._connections
            if topic in c.topics
            and (account_id is None or (c.account and c.account.account_id == account_id))
        ]

    # ---------------------------------------------------------------- exchange listener
    def on_book(self, symbol: str, change: BookChange) -> None:
        """Send a delta to the book's subscribers, unless a fault skips or duplicates it."""
        topic = f"book.{symbol}"
        cfg = self._faults.config
        if self._faults.roll(cfg.book_skip_rate):
            log.info("sim.fault.book_skip", symbol=symbol, seq=change.seq)
            return
        conns = self._subscribers(topic)
        if not conns:
            return
        data = BookUpdateOut(
            symbol=symbol, seq=change.seq, bids=list(change.bids), asks=list(change.asks)
        ).wire()
        text = self._push(topic, "delta", data)
        copies = 2 if self._faults.roll(cfg.book_duplicate_rate) else 1
        for conn in conns:
            for _ in range(copies):
                conn.send(text)

    def on_trades(self, symbol: str, trades: Sequence[TradeRecord]) -> None:
        """Send new public trades."""
        self._fan_out(f"trades.{symbol}", None, lambda: [TradeOut.of(t).wire() for t in trades])

    def on_ticker(self, symbol: str) -> None:
        """Send the ticker after its top of book or last price changed."""
        self._fan_out(f"ticker.{symbol}", None, lambda: ticker_view(self._exchange, symbol).wire())

    def on_orders(self, account_id: str, orders: Sequence[SimOrder]) -> None:
        """Send order updates to the owner's authenticated connections (private faults apply)."""
        self._fan_out_private("orders", account_id, lambda: [OrderOut.of(o).wire() for o in orders])

    def on_fills(self, account_id: str, fills: Sequence[FillRecord]) -> None:
        """Send fills to the owner's authenticated connections (private faults apply)."""
        self._fan_out_private("fills", account_id, lambda: [FillOut.of(f).wire() for f in fills])

    def _fan_out(self, topic: str, account_id: str | None, build: Callable[[], object]) -> None:
        conns = self._subscribers(topic, account_id)
        if conns:
            text = self._push(topic, "update", build())
            for conn in conns:
                conn.send(text)

    def _fan_out_private(self, topic: str, account_id: str, build: Callable[[], object]) -> None:
        """Send a private push to each connection: skipped, duplicated or held back by the dice.

        A held-back push goes out right after the next private push to that connection (or
        never, if the connection ends first).
        """
        conns = self._subscribers(topic, account_id)
        if not conns:
            return
        text = self._push(topic, "update", build())
        faults, cfg = self._faults, self._faults.config
        for conn in conns:
            if faults.roll(cfg.private_skip_rate):
                log.info("sim.fault.private_skip", topic=topic)
                continue
            copies = 2 if faults.roll(cfg.private_duplicate_rate) else 1
            held, conn.held_private = conn.held_private, None
            if held is None and faults.roll(cfg.private_reorder_rate):
                log.info("sim.fault.private_reorder", topic=topic)
                conn.held_private = text
                copies -= 1
            for _ in range(copies):
                conn.send(text)
            if held is not None:
                conn.send(held)

    # ---------------------------------------------------------------- connections
    async def handle(
        self, request: web.Request, headers: Mapping[str, str] | None = None
    ) -> web.StreamResponse:
        """Serve one WebSocket connection until the client leaves, idles or is dropped."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=MAX_BODY_BYTES)
        ws.headers.update(headers or {})
        await ws.prepare(request)
        conn = WsConnection(ws, request)
        self._connections.add(conn)
        writer = asyncio.create_task(self._write(conn), name="syncron-ws-writer")
        log.info("sim.ws.connected", peer=request.remote)
        try:
            while True:
                try:
                    msg = await ws.receive(timeout=self._idle_timeout_s)
                except TimeoutError:
                    await ws.close(code=IDLE_CLOSE_CODE, message=b"idle timeout")
                    break
                if msg.type is WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    error = invalid_parameter("message", "frames must be JSON text, not binary")
                    conn.send(_dumps({"op": None, "req_id": None, "success": False, "error": error.to_wire()}))
                else:  # close, error (e.g. a frame over max_msg_size: closed with 1009)
                    break
        finally:
            self._connections.discard(conn)
            conn.queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await asyncio.wait_for(writer, 1.0)
            log.info("sim.ws.disconnected", peer=request.remote)
        return ws

    async def _write(self, conn: WsConnection) -> None:
        faults = self._faults
        try:
            while (text := await conn.queue.get()) is not None:
                cfg = faults.config
                if cfg.ws_delay_ms:
                    await asyncio.sleep(cfg.ws_delay_ms / 1000)
                if conn.held is None and faults.roll(cfg.ws_reorder_rate):
                    conn.held = text
                    continue
                await conn.ws.send_str(text)
                if conn.held is not None:
                    held, conn.held = conn.held, None
                    await conn.ws.send_str(held)
                if faults.roll(cfg.ws_drop_rate):
                    log.info("sim.fault.ws_drop", peer=conn.request.remote)
                    conn.abort()
                    return
            if conn.slow and not conn.ws.closed:
                log.info("sim.ws.slow_consumer", peer=conn.request.remote)
                await conn.ws.close(code=SLOW_CLOSE_CODE, message=b"slow consumer")
        except (ConnectionError, RuntimeError):
            conn.abort()

    def drop_all(self) -> int:
        """Cut every connection now (fault injection); returns how many."""
        conns = list(self._connections)
        for conn in conns:
            conn.abort()
        return len(conns)

    async def close_all(self) -> None:
        """Close every connection with 1001 (server going away), at shutdown."""
        for conn in list(self._connections):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.close(code=1001, message=b"server shutdown")

    # ---------------------------------------------------------------- operations
    def _on_text(self, conn: WsConnection, text: str) -> None:
        """Answer one operation; every input problem is an error reply, never a closed socket."""
        try:
            message = read_json_object(text, "message")
        except ApiError as error:
            conn.send(_dumps({"op": None, "req_id": None, "success": False, "error": error.to_wire()}))
            return
        op, args = message.get("op"), message.get("args")
        reply: dict[str, Any] = {"op": op if _is_short_text(op) else None, "req_id": None}
        try:
            reply["req_id"] = _req_id(message.get("req_id"))
            self._run_op(conn, op, args, reply)
        except ApiError as error:
            conn.send(_dumps({**reply, "success": False, "error": error.to_wire()}))
        except Exception:  # the server boundary, as for REST: a simulator bug answers 50001
            log.exception("sim.ws.internal_error", op=reply["op"])
            error = ApiError(ErrorCode.INTERNAL_ERROR, "internal error")
            conn.send(_dumps({**reply, "success": False, "error": error.to_wire()}))

    def _run_op(
        self, conn: WsConnection, op: object, args: object, reply: dict[str, Any]
    ) -> None:
        req_id = reply["req_id"]
        if op == "ping":
            conn.send(_dumps({"op": "pong", "req_id": req_id, "timestamp": self._now_ms()}))
        elif op == "auth":
            conn.account = self._auth.authenticate_ws(args)
            log.info("sim.ws.authenticated", account=key_hint(conn.account.account_id))
            conn.send(_dumps({**reply, "success": True}))
        elif op == "subscribe":
            topics = self._check_topics(conn, args)
            conn.send(_dumps({**reply, "success": True, "args": topics}))
            for topic in topics:
                conn.topics.add(topic)
                if topic.startswith("book."):
                    snapshot = book_snapshot_view(self._exchange, topic[5:]).wire()
                    conn.send(self._push(topic, "snapshot", snapshot))
        elif op == "unsubscribe":
            topics = self._check_topics(conn, args)
            conn.topics.difference_update(topics)
            conn.send(_dumps({**reply, "success": True, "args": topics}))
        else:
            raise invalid_parameter("op", "must be subscribe, unsubscribe, auth or ping")

    def _check_topics(self, conn: WsConnection, args: object) -> list[str]:
        if (
            not isinstance(args, list)
            or not 0 < len(args) <= MAX_TOPICS
            or not all(isinstance(a, str) and len(a) <= MAX_TOPIC_CHARS for a in args)
        ):
            raise invalid_parameter(
                "args",
                f"must be a list of 1..{MAX_TOPICS} channel names of at most {MAX_TOPIC_CHARS} characters",
            )
        for topic in args:
            channel, _, symbol = topic.partition(".")
            if channel in PRIVATE_CHANNELS and not symbol:
                if conn.account is None:
                    raise ApiError(
                        ErrorCode.MISSING_CREDENTIALS, f"authenticate before subscribing to {topic}"
                    )
            elif channel not in PUBLIC_CHANNELS or symbol not in self._exchange.markets:
                raise ApiError(
                    ErrorCode.INVALID_PARAMETER,
                    f"unknown channel: {topic}",
                    {"parameter": "args", "reason": f"unknown channel {topic}"},
                )
        return list(dict.fromkeys(args))


def _is_short_text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_REQ_ID_CHARS


def _req_id(value: object) -> str | int | None:
    """The ``req_id`` to echo: absent, a short string or an integer; else ``40001``."""
    if value is None or (isinstance(value, str) and len(value) <= MAX_REQ_ID_CHARS):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
        return value
    raise invalid_parameter("req_id", f"must be a string of at most {MAX_REQ_ID_CHARS} characters")
