"""The Sintra WebSocket price feed against the simulator (sped up 50×: a 10 s tick is 0.2 s)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import aiohttp
import pytest
import structlog

from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import ProtocolError
from botkit.core.retry import RetryPolicy
from botkit.model.events import Price
from botkit.sim.sintra import DEMO_API_KEY, FaultConfig, SintraSimServer, run_sintra_sim
from botkit.venues._ws import WsOptions
from botkit.venues.sintra import Session, SintraDataClient, SintraPriceStream, WsEventError

from .helpers import SUPPORTED, client_for, clock_at, roomy_config

SPEED = 50.0
FAST = WsOptions(
    open_timeout_s=5,
    heartbeat_s=None,
    idle_timeout_s=5,
    close_timeout_s=0.5,
    policy=RetryPolicy(base=0.01, factor=2, cap=0.1, max_attempts=10),
)


@pytest.fixture
async def fast_sim() -> AsyncIterator[SintraSimServer]:
    async with run_sintra_sim(roomy_config(), clock=clock_at(speed=SPEED)) as server:
        yield server


def real_time_client(sim: SintraSimServer, key: str | None = DEMO_API_KEY) -> SintraDataClient:
    """A client on the simulator's clock whose (rare) waits really wait: the feed runs live."""
    return client_for(sim, key=key, sleep=asyncio.sleep)


async def take(stream: SintraPriceStream, count: int, timeout: float = 10) -> list[Price]:
    async def run() -> list[Price]:
        out = []
        async for price in stream:
            out.append(price)
            if len(out) == count:
                break
        return out

    return await asyncio.wait_for(run(), timeout)


def update_times(prices: list[Price]) -> list[int]:
    """The distinct update timestamps, in seconds."""
    return sorted({p.ts // NS_PER_SECOND for p in prices})


async def test_without_a_session_updates_come_every_10_seconds(fast_sim: SintraSimServer) -> None:
    async with real_time_client(fast_sim, key=None) as client:
        stream = client.stream_prices(options=FAST)
        prices = await take(stream, 3 * len(SUPPORTED))
    assert stream.stats.plan == "starter" and stream.stats.interval_s == 10
    assert stream.stats.sessions_created == 0
    times = update_times(prices)
    assert [b - a for a, b in itertools.pairwise(times)] == [10, 10]
    assert {p.quote for p in prices} == SUPPORTED
    assert all(p.base == "btc" and p.source == "sintra" and p.price > 0 for p in prices)


async def test_with_a_session_updates_come_every_second(fast_sim: SintraSimServer) -> None:
    async with real_time_client(fast_sim) as client:
        stream = client.stream_prices({"usd"}, options=FAST)
        prices = await take(stream, 5)
    assert stream.stats.plan == "pro" and stream.stats.interval_s == 1
    assert stream.stats.sessions_created == 1
    assert {p.quote for p in prices} == {"usd"}
    times = update_times(prices)
    assert [b - a for a, b in itertools.pairwise(times)] == [1, 1, 1, 1]


async def test_a_reconnect_after_expiry_creates_a_fresh_session(
    fast_sim: SintraSimServer,
) -> None:
    async with real_time_client(fast_sim) as client, aiohttp.ClientSession() as admin:
        stream = client.stream_prices({"usd"}, options=FAST)
        before = await take(stream, 2)
        fast_sim.clock.advance(601)  # the first session has expired...
        async with admin.post(f"{fast_sim.admin_url}/ws/drop") as dropped:  # ...and the line drops
            assert (await dropped.json())["dropped"] == 1
        with structlog.testing.capture_logs() as logs:
            after = await take(stream, 4)
    assert stream.stats.sessions_created == 2 and stream.stats.connections == 2
    assert stream.stats.error_events == 0, "the old session was not reused"
    assert stream.stats.plan == "pro"
    assert [b - a for a, b in itertools.pairwise(update_times(after))] == [1, 1, 1]
    assert after[0].ts >= before[-1].ts + 600 * NS_PER_SECOND
    assert [e for e in logs if e["event"] == "sintra.ws_reconnecting"]


async def test_a_refused_session_is_replaced_once_then_starter_updates_go_on(
    fast_sim: SintraSimServer,
) -> None:
    async with real_time_client(fast_sim) as client:

        async def bogus_session() -> Session:
            return Session(session_id="not-a-session", expires_at=0)

        stream = SintraPriceStream(client.ws_url, bogus_session, quotes={"usd"}, options=FAST)
        with structlog.testing.capture_logs() as logs:
            prices = await take(stream, 3)
        await stream.close()
    assert stream.stats.error_events == 2 and stream.stats.sessions_created == 2
    assert isinstance(stream.stats.last_error, WsEventError)
    assert stream.stats.last_error.code == "SESSION_INVALID"
    assert stream.stats.plan == "starter"
    assert [b - a for a, b in itertools.pairwise(update_times(prices))] == [10, 10]
    errors = [e for e in logs if e["event"] == "sintra.ws_error_event"]
    assert [e["code"] for e in errors] == ["SESSION_INVALID"] * 2


async def test_malformed_events_are_logged_counted_and_skipped() -> None:
    config = roomy_config(faults=FaultConfig(ws_malformed_rate=0.5, seed=2))
    async with (
        run_sintra_sim(config, clock=clock_at(speed=SPEED)) as sim,
        real_time_client(sim) as client,
    ):
        stream = client.stream_prices(options=FAST)
        with structlog.testing.capture_logs() as logs:
            prices = await take(stream, 6 * len(SUPPORTED))
    assert stream.stats.malformed >= 3
    assert isinstance(stream.stats.last_error, ProtocolError | WsEventError)
    malformed = [e for e in logs if e["event"] == "sintra.ws_malformed"]
    assert len(malformed) == stream.stats.malformed
    assert all(e["error"].startswith("sintra websocket: ") for e in malformed)
    assert all(isinstance(p, Price) and p.price > 0 for p in prices)
    assert stream.stats.connections >= 1


async def test_dropped_connections_are_reconnected() -> None:
    config = roomy_config(faults=FaultConfig(ws_drop_after=2))
    async with (
        run_sintra_sim(config, clock=clock_at(speed=SPEED)) as sim,
        real_time_client(sim) as client,
    ):
        stream = client.stream_prices({"eur"}, options=FAST)
        prices = await take(stream, 5)
    assert stream.stats.connections >= 3 and stream.stats.sessions_created >= 3
    assert {p.quote for p in prices} == {"eur"}


async def test_market_data_client_stream_takes_symbols(fast_sim: SintraSimServer) -> None:
    async with real_time_client(fast_sim) as client:
        events = client.stream(["BTCGBP"])
        first = await asyncio.wait_for(anext(events), 10)
        await client.close()  # closing the client ends its streams
        rest = [event async for event in events]
    assert isinstance(first, Price) and first.quote == "gbp"
    assert all(p.quote == "gbp" for p in rest)
