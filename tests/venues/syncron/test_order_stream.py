"""The private stream: order events in order, fills exactly once, also across a dropped connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from botkit.core.errors import ConfigError
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.order_events import OrderAccepted, OrderCanceled, OrderExpired, OrderFilled
from botkit.model.orders import OrderIntent, OrderStatus
from botkit.sim.syncron.app import RunningSim
from botkit.venues.syncron import SyncronAuthError, SyncronExecutionClient, SyncronRestClient, SyncronSettings
from botkit.venues.syncron.stream import SyncronFeed

from .helpers import FAST_WS, admin, collect, eventually, make_market, rest_for


def summary(events: list[object]) -> list[tuple[str, str, float]]:
    """(event kind, client order id, filled qty after it) of each event."""
    return [(type(e).__name__, e.order.client_order_id, round(e.order.filled_qty, 8)) for e in events]


@pytest.fixture
async def execution(rest: SyncronRestClient) -> AsyncIterator[SyncronExecutionClient]:
    client = SyncronExecutionClient(rest=rest, ws_options=FAST_WS)
    yield client
    await client.close()


@pytest.mark.parametrize("auth_mode", ["hmac", "jwt"])
async def test_a_resting_order_is_accepted_filled_twice_and_canceled(
    sim: RunningSim, maker: SyncronRestClient, auth_mode: str
) -> None:
    rest = rest_for(sim, auth_mode=auth_mode)
    execution = SyncronExecutionClient(rest=rest, ws_options=FAST_WS)
    stream = execution.order_events()
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: stream.connected)
    await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.01, OrderType.LIMIT, limit_price=59_000.0), "rest-1")
    await maker.place_order("BTCUSD", Side.SELL, 0.003, order_type=OrderType.MARKET)
    await maker.place_order("BTCUSD", Side.SELL, 0.002, order_type=OrderType.MARKET)
    await execution.cancel("rest-1")
    await eventually(lambda: len(events) == 4)
    assert summary(events) == [("OrderAccepted", "rest-1", 0.0), ("OrderFilled", "rest-1", 0.003),
                               ("OrderFilled", "rest-1", 0.005), ("OrderCanceled", "rest-1", 0.005)]
    filled = events[2]
    assert isinstance(filled, OrderFilled) and filled.order.status is OrderStatus.PARTIALLY_FILLED
    assert filled.fill.qty == 0.002 and filled.fill.price == 59_000.0 and filled.order.avg_fill_price == 59_000.0
    await execution.close()
    await rest.close()
    task.cancel()


async def test_an_ioc_remainder_expires_after_its_fills(
    execution: SyncronExecutionClient, maker: SyncronRestClient
) -> None:
    await make_market(maker)
    stream = execution.order_events()
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: stream.connected)
    await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.05, OrderType.LIMIT, limit_price=60_020.0,
                                       time_in_force=TimeInForce.IOC), "ioc-1")
    await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.001), "mkt-1")
    await eventually(lambda: len(events) == 6)
    assert summary(events) == [
        ("OrderAccepted", "ioc-1", 0.0), ("OrderFilled", "ioc-1", 0.01), ("OrderFilled", "ioc-1", 0.02),
        ("OrderExpired", "ioc-1", 0.02), ("OrderAccepted", "mkt-1", 0.0), ("OrderExpired", "mkt-1", 0.0),
    ]  # the IOC took every ask: the market order finds an empty side and expires
    assert isinstance(events[3], OrderExpired) and isinstance(events[0], OrderAccepted)
    await stream.close()
    task.cancel()


async def test_after_a_drop_missed_fills_and_ends_are_caught_up_exactly_once(
    sim: RunningSim, rest: SyncronRestClient, maker: SyncronRestClient
) -> None:
    gate = asyncio.Event()

    async def gated_sleep(_seconds: float) -> None:
        await gate.wait()
        gate.clear()

    execution = SyncronExecutionClient(rest=rest, ws_options=FAST_WS, sleep=gated_sleep)
    stream = execution.order_events()
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: stream.connected)
    for cid, price in (("a", 59_000.0), ("b", 58_900.0)):
        await execution.submit(OrderIntent("BTCUSD", Side.BUY, 0.01, OrderType.LIMIT, limit_price=price), cid)
    await maker.place_order("BTCUSD", Side.SELL, 0.004, order_type=OrderType.MARKET)  # fills a
    await eventually(lambda: len(events) == 3)
    await admin(sim, "/_sim/ws/drop")
    await eventually(lambda: not stream.connected)
    await maker.place_order("BTCUSD", Side.SELL, 0.008, order_type=OrderType.MARKET)  # a done, b 0.002
    await rest.cancel_order(client_order_id="b")  # behind the client's back
    await rest.place_order("BTCUSD", Side.BUY, 0.01, price=58_000.0, client_order_id="c")
    gate.set()
    await eventually(lambda: stream.connected and len(events) == 7)
    await maker.place_order("BTCUSD", Side.SELL, 0.001, order_type=OrderType.MARKET)  # fills c, live again
    await eventually(lambda: len(events) == 8)
    assert summary(events) == [
        ("OrderAccepted", "a", 0.0), ("OrderAccepted", "b", 0.0), ("OrderFilled", "a", 0.004),
        ("OrderAccepted", "c", 0.0), ("OrderFilled", "a", 0.01), ("OrderFilled", "b", 0.002),
        ("OrderCanceled", "b", 0.002), ("OrderFilled", "c", 0.001),
    ]
    fills = [e.fill for e in events if isinstance(e, OrderFilled)]
    venue = [e.fill for e in reversed(await rest.fills(limit=100))]
    assert sorted(fills, key=lambda f: (f.ts, f.order_id)) == sorted(venue, key=lambda f: (f.ts, f.order_id))
    assert len(fills) == len(venue) == 4
    ends = [e for e in events if isinstance(e, OrderCanceled)]
    assert [e.order.client_order_id for e in ends] == ["b"]
    assert stream.stats.connections == 2 and stream.stats.backfilled >= 2
    await execution.close()
    task.cancel()


async def test_private_channels_need_credentials_that_work(sim: RunningSim) -> None:
    wrong = rest_for(sim, api_key="sim-demo-key", api_secret="not-the-secret")
    stream = SyncronExecutionClient(rest=wrong, ws_options=FAST_WS).order_events()
    with pytest.raises(SyncronAuthError) as caught:
        await asyncio.wait_for(anext(stream), 5)
    assert caught.value.wire_code == 40103
    await stream.close()
    await wrong.close()
    bare = SyncronFeed(sim.ws_url, ["orders"], options=FAST_WS)  # no auth op at all
    with pytest.raises(SyncronAuthError) as missing:
        await asyncio.wait_for(anext(bare), 5)
    assert missing.value.wire_code == 40101
    await bare.close()
    anonymous = SyncronRestClient(SyncronSettings(endpoint="https://api.syncron.finance"))
    with pytest.raises(ConfigError, match="private: set BOTKIT_SYNCRON__API_KEY"):
        SyncronExecutionClient(rest=anonymous).order_events()
