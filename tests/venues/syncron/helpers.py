"""Helpers for the Syncron client tests: simulator configs, clocks, admin calls, waiting."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
from pydantic import SecretStr

from botkit.core.clock import NS_PER_SECOND
from botkit.core.retry import RetryPolicy
from botkit.model.enums import Side
from botkit.sim.syncron import AccountConfig, AgentConfig, RateLimitConfig, SimConfig, default_config
from botkit.sim.syncron.app import RunningSim
from botkit.venues._ws import WsOptions
from botkit.venues.syncron import SyncronRestClient, SyncronSettings

FAST_WS = WsOptions(
    open_timeout_s=2, heartbeat_s=None, idle_timeout_s=10, close_timeout_s=0.5,
    policy=RetryPolicy(base=0.02, factor=2, cap=0.1, max_attempts=20),
)
"""Reconnect quickly; no protocol pings (the tests drive time)."""

QUICK_RETRY = RetryPolicy(base=0.01, factor=2, cap=0.05, max_attempts=4)


MAKER_KEY = "maker-key"
MAKER_SECRET = "maker-secret"
MAKER = AccountConfig(api_key=MAKER_KEY, api_secret=SecretStr(MAKER_SECRET),
                      balances={"USD": Decimal(10_000_000), "BTC": Decimal(100), "ETH": Decimal(1000)})
"""A second account, the demo account's counterparty (so trades move the demo's position)."""


def quiet_config(**updates: Any) -> SimConfig:
    """BTCUSD and ETHUSD, the demo and maker accounts, no synthetic agents, a roomy rate limit."""
    config = default_config()
    updates.setdefault("rate_limit", RateLimitConfig(limit=100_000, window_s=60))
    updates.setdefault("accounts", (*config.accounts, MAKER))
    return config.model_copy(update={"agents": AgentConfig(enabled=False), **updates})


def with_account(config: SimConfig, account: AccountConfig) -> SimConfig:
    """``config`` with one more account."""
    return config.model_copy(update={"accounts": (*config.accounts, account)})


class OffsetClock:
    """The wall clock plus an offset; ``sleep`` moves the offset instead of waiting."""

    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset_ns = int(offset_s * NS_PER_SECOND)
        self.slept: list[float] = []

    def now_ns(self) -> int:
        return time.time_ns() + self.offset_ns

    def advance(self, seconds: float) -> None:
        self.offset_ns += int(seconds * NS_PER_SECOND)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(max(seconds, 0.0))
        await asyncio.sleep(0)


def settings_for(sim: RunningSim, **overrides: Any) -> SyncronSettings:
    """Settings pointing at the simulator (demo key, as on any loopback endpoint)."""
    overrides.setdefault("rate_limit", 100_000)
    return SyncronSettings(endpoint=sim.url, **overrides)


def rest_for(sim: RunningSim, **kwargs: Any) -> SyncronRestClient:
    """A REST client of the simulator; ``kwargs`` split into settings and client options."""
    options = {k: kwargs.pop(k) for k in ("clock", "sleep", "rng", "budget", "retry_policy") if k in kwargs}
    return SyncronRestClient(settings_for(sim, **kwargs), **options)


def maker_for(sim: RunningSim, **kwargs: Any) -> SyncronRestClient:
    """A REST client of the maker account."""
    return rest_for(sim, api_key=MAKER_KEY, api_secret=MAKER_SECRET, **kwargs)


async def make_market(maker: SyncronRestClient, symbol: str = "BTCUSD", mid: float = 60_000.0) -> None:
    """Maker orders: bids mid-10 / mid-20, asks mid+10 / mid+20, 0.01 each."""
    for offset in (10.0, 20.0):
        await maker.place_order(symbol, Side.BUY, 0.01, price=mid - offset)
        await maker.place_order(symbol, Side.SELL, 0.01, price=mid + offset)


async def admin(sim: RunningSim, path: str, body: dict[str, Any] | None = None) -> Any:
    """POST to a simulator admin route (``/_sim/...``); returns ``data``."""
    async with aiohttp.ClientSession() as session, session.post(sim.url + path, data=json.dumps(body or {})) as reply:
        payload = await reply.json()
    assert payload["success"], payload
    return payload["data"]


async def eventually(check: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0, step: float = 0.01) -> None:
    """Wait until ``check()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(step)


async def collect(stream: Any, into: list[Any]) -> None:
    """Append every event of ``stream`` to ``into`` until it ends."""
    async for event in stream:
        into.append(event)
