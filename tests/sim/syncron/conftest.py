"""Fixtures for the Syncron simulator tests.

A real server on a loopback port, and a tiny hand-written signed client (plain aiohttp,
deliberately not botkit's venue client).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from botkit.sim.syncron import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    AgentConfig,
    SimConfig,
    default_config,
    running_sim,
)
from botkit.sim.syncron.app import RunningSim


class OffsetClock:
    """The wall clock plus an offset the test can move forward."""

    def __init__(self) -> None:
        self.offset_ns = 0

    def now_ns(self) -> int:
        return time.time_ns() + self.offset_ns

    def advance(self, seconds: float) -> None:
        self.offset_ns += int(seconds * 1e9)


def quiet_config(**updates: Any) -> SimConfig:
    """Default symbols and demo account, no synthetic agents (a deterministic empty book)."""
    config = default_config()
    return config.model_copy(update={"agents": AgentConfig(enabled=False), **updates})


def hmac_hex(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class Client:
    """Signs requests exactly as docs/venues/syncron.md §3.1 says."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        key: str = DEFAULT_API_KEY,
        secret: str = DEFAULT_API_SECRET,
        clock: Any = None,
    ) -> None:
        self.session = session
        self.url = url
        self.key = key
        self.secret = secret
        self.clock = clock
        self.token: str | None = None
        self.last_ts = 0

    def now_ms(self) -> int:
        return (self.clock.now_ns() if self.clock else time.time_ns()) // 1_000_000

    def fresh_ts(self) -> int:
        """A timestamp never signed before by this client (the venue refuses replayed signatures)."""
        self.last_ts = max(self.now_ms(), self.last_ts + 1)
        return self.last_ts

    def signed_headers(self, method: str, path: str, payload: str, ts: int | None = None) -> dict:
        stamp = str(ts if ts is not None else self.fresh_ts())
        return {
            "X-SYNCRON-APIKEY": self.key,
            "X-SYNCRON-TIMESTAMP": stamp,
            "X-SYNCRON-SIGNATURE": hmac_hex(self.secret, stamp + method + path + payload),
        }

    async def request(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        body: dict | None = None,
        *,
        signed: bool = True,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> tuple[int, dict, Any]:
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        raw = json.dumps(body) if body is not None else ""
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.token is not None:
            all_headers["Authorization"] = f"Bearer {self.token}"
        elif signed:
            all_headers.update(
                self.signed_headers(method, path, query if method != "POST" else raw)
            )
        all_headers.update(headers or {})
        url = self.url + path + (f"?{query}" if query else "")
        kwargs: dict[str, Any] = {"data": raw or None, "headers": all_headers}
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
        async with self.session.request(method, url, **kwargs) as resp:
            return resp.status, dict(resp.headers), await resp.json()

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        status, _, payload = await self.request(method, path, **kwargs)
        assert status == 200 and payload["success"] is True, payload
        return payload["data"]

    async def error(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict]:
        status, _, payload = await self.request(method, path, **kwargs)
        assert payload["success"] is False, payload
        assert set(payload) == {"success", "error", "timestamp"}
        return status, payload["error"]

    async def place(self, **order: Any) -> dict:
        return await self.ok("POST", "/v5/order", body=order)


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim(quiet_config()) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def client(sim: RunningSim, session: aiohttp.ClientSession) -> Client:
    return Client(session, sim.url)


async def ws_recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = 2.0) -> dict:
    msg = await ws.receive(timeout=timeout)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def ws_until(ws: aiohttp.ClientWebSocketResponse, topic: str, timeout: float = 2.0) -> dict:
    """The next push on ``topic``, skipping others."""
    while True:
        msg = await ws_recv(ws, timeout)
        if msg.get("topic") == topic:
            return msg
