"""The public WebSocket stream: books kept in sequence, gaps repaired, drops survived, no trade lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web

from botkit.book.keeper import BookKeeper
from botkit.book.sequenced import BookState
from botkit.core.errors import ConfigError
from botkit.model.enums import OrderType, Side
from botkit.model.events import BookDelta, BookDeltaBatch, BookGap, BookResynced, BookSnapshot, Quote, Trade
from botkit.sim.syncron import AgentConfig, running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.venues.syncron import SyncronDataClient, SyncronRestClient, SyncronSettings

from .helpers import FAST_WS, admin, collect, eventually, make_market, quiet_config, rest_for


def of(events: list[object], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


async def book_matches_venue(rest: SyncronRestClient, data: SyncronDataClient, stream, symbol: str) -> bool:
    venue = await rest.order_book(symbol, depth=200)
    book = stream.book(symbol)
    mine = book.depth()
    return (book.state is BookState.LIVE and mine is not None and book.sequence == venue.sequence
            and mine.bids == venue.bids and mine.asks == venue.asks)


@pytest.fixture
async def data(rest: SyncronRestClient) -> AsyncIterator[SyncronDataClient]:
    client = SyncronDataClient(rest=rest, ws_options=FAST_WS)
    yield client
    await client.close()


async def test_the_book_follows_the_venue_and_quotes_change_with_the_top(
    rest: SyncronRestClient, maker: SyncronRestClient, data: SyncronDataClient
) -> None:
    await make_market(maker)
    stream = data.stream(["BTCUSD"], book_events=True)
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: bool(of(events, Quote)))
    assert of(events, BookSnapshot)[0].sequence == stream.book("BTCUSD").sequence
    assert of(events, Quote)[0] == Quote(of(events, Quote)[0].ts, "BTCUSD", 59_990.0, 0.01, 60_010.0, 0.01)
    await maker.place_order("BTCUSD", Side.BUY, 0.02, price=59_995.0)  # new best bid
    await maker.place_order("BTCUSD", Side.BUY, 0.02, price=59_000.0)  # deep: top unchanged
    await rest.place_order("BTCUSD", Side.BUY, 0.005, order_type=OrderType.MARKET)  # trade at the ask
    await eventually(lambda: book_matches_venue(rest, data, stream, "BTCUSD"))
    await eventually(lambda: len(of(events, Trade)) == 1)
    quotes = of(events, Quote)
    assert [(q.bid, q.bid_size, q.ask, q.ask_size) for q in quotes] == [
        (59_990.0, 0.01, 60_010.0, 0.01), (59_995.0, 0.02, 60_010.0, 0.01), (59_995.0, 0.02, 60_010.0, 0.005)]
    assert of(events, Trade)[0][1:] == ("BTCUSD", 60_010.0, 0.005, Side.BUY)
    deltas = of(events, BookDelta)
    assert len({d.sequence for d in deltas}) == 3 and not of(events, BookGap)
    assert stream.symbols == ("BTCUSD",) and "SyncronMarketStream" in repr(stream)
    await stream.close()
    task.cancel()


async def test_a_sequence_gap_resyncs_to_the_venue_book(
    sim: RunningSim, rest: SyncronRestClient, maker: SyncronRestClient, data: SyncronDataClient
) -> None:
    stream = data.stream(["BTCUSD", "ETHUSD"], channels=("book",))
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: stream.book("BTCUSD").state is BookState.LIVE)
    await admin(sim, "/_sim/faults", {"book_skip_rate": 0.3, "book_duplicate_rate": 0.3})
    for i in range(40):
        await maker.place_order("BTCUSD", Side.BUY, 0.001 * (1 + i % 3), price=59_000.0 + 10 * i)
    await admin(sim, "/_sim/faults/reset")
    await maker.place_order("BTCUSD", Side.SELL, 0.01, price=61_000.0)  # a delta that gets through
    await eventually(lambda: book_matches_venue(rest, data, stream, "BTCUSD"))
    gaps, resyncs = of(events, BookGap), of(events, BookResynced)
    assert gaps and len(resyncs) >= len(gaps) and stream.stats.gaps == len(gaps)
    assert all(g.symbol == "BTCUSD" and g.received > g.expected for g in gaps)
    assert stream.book("BTCUSD").stats.duplicates > 0  # duplicated deltas were dropped
    assert stream.book("ETHUSD").state is BookState.LIVE
    await stream.close()
    task.cancel()


async def test_book_batches_rebuild_the_streams_book_across_gaps(
    sim: RunningSim, rest: SyncronRestClient, maker: SyncronRestClient, data: SyncronDataClient
) -> None:
    stream = data.stream(["BTCUSD"], channels=("book",), book_batches=True)
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: stream.book("BTCUSD").state is BookState.LIVE)
    await admin(sim, "/_sim/faults", {"book_skip_rate": 0.3, "book_duplicate_rate": 0.3})
    for i in range(30):
        await maker.place_order("BTCUSD", Side.BUY, 0.001 * (1 + i % 3), price=59_000.0 + 10 * i)
    await admin(sim, "/_sim/faults/reset")
    await maker.place_order("BTCUSD", Side.SELL, 0.01, price=61_000.0)
    await eventually(lambda: book_matches_venue(rest, data, stream, "BTCUSD"))
    await eventually(lambda: stream.pending == 0)
    assert of(events, BookGap) and not of(events, BookDelta), "batches, not single deltas"
    assert all(isinstance(b.deltas, tuple) and {d.sequence for d in b.deltas} == {b.sequence}
               for b in of(events, BookDeltaBatch))
    books = BookKeeper(["BTCUSD"], depth=1000)
    for event in events:
        if isinstance(event, BookGap):
            books.on_feed_gap(event)
        elif isinstance(event, BookSnapshot | BookDeltaBatch):
            books.apply(event)
    mine, theirs = books.views["BTCUSD"], stream.book("BTCUSD")
    assert mine.in_sync and mine.sequence == theirs.sequence
    depth = theirs.depth()
    assert depth is not None and mine.bids() == depth.bids and mine.asks() == depth.asks
    await stream.close()
    task.cancel()


async def test_after_a_drop_no_trade_is_lost_or_duplicated(
    sim: RunningSim, rest: SyncronRestClient, maker: SyncronRestClient
) -> None:
    gate = asyncio.Event()

    async def gated_sleep(_seconds: float) -> None:  # reconnect only when the test says so
        await gate.wait()
        gate.clear()

    data = SyncronDataClient(rest=rest, ws_options=FAST_WS, sleep=gated_sleep)
    stream = data.stream(["BTCUSD", "ETHUSD"])
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: stream.connected)
    await make_market(maker)
    await make_market(maker, "ETHUSD", 3_000.0)
    for qty in (0.001, 0.002, 0.003):
        await rest.place_order("BTCUSD", Side.BUY, qty, order_type=OrderType.MARKET)
    await eventually(lambda: len(of(events, Trade)) == 3)
    await admin(sim, "/_sim/ws/drop")
    await eventually(lambda: len(of(events, BookGap)) == 2 and not stream.connected)
    assert {g.received for g in of(events, BookGap)} == {-1} and stream.book("BTCUSD").quote() is None
    for qty in (0.0011, 0.0012, 0.0013):  # while disconnected
        await rest.place_order("BTCUSD", Side.SELL, qty, order_type=OrderType.MARKET)
    await rest.place_order("ETHUSD", Side.BUY, 0.005, order_type=OrderType.MARKET)  # its first trade
    gate.set()
    await eventually(lambda: len(of(events, Trade)) == 7 and len(of(events, BookResynced)) == 2)
    assert [t for t in of(events, Trade) if t.symbol == "ETHUSD"] == [
        tick.trade for tick in await rest.recent_trades("ETHUSD")]
    for qty in (0.0021, 0.0022):
        await rest.place_order("BTCUSD", Side.BUY, qty, order_type=OrderType.MARKET)

    async def same_tape() -> bool:
        venue = [tick.trade for tick in reversed(await rest.recent_trades("BTCUSD", 100))]
        mine = [t for t in of(events, Trade) if t.symbol == "BTCUSD"]
        return mine == venue and len(venue) == 9  # the second buy took two levels

    await eventually(same_tape)
    assert stream.stats.backfilled == 4 and stream.stats.connections == 2
    await eventually(lambda: book_matches_venue(rest, data, stream, "BTCUSD"))
    await data.close()
    task.cancel()


async def test_ticker_channel_and_every_symbol(
    rest: SyncronRestClient, maker: SyncronRestClient, data: SyncronDataClient
) -> None:
    stream = data.stream(channels=("ticker",))
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: stream.connected)
    assert set(stream.symbols) == {"BTCUSD", "ETHUSD"}
    await make_market(maker, "ETHUSD", 3_000.0)
    await eventually(lambda: any(q.symbol == "ETHUSD" and q.bid == 2_990.0 for q in of(events, Quote)))
    with pytest.raises(ConfigError, match="no book for 'ETHUSD'"):
        stream.book("ETHUSD")
    with pytest.raises(ConfigError, match="channels must be"):
        data.stream(channels=("orders",))
    await stream.close()
    task.cancel()


FRAMES = [
    "this is not JSON",
    json.dumps({"topic": "trades.BTCUSD", "type": "update", "ts": 1, "data": [{"trade_id": 5}]}),
    json.dumps({"topic": "book.BTCUSD", "type": "snapshot", "ts": 1, "data": "no book"}),
    json.dumps({"topic": "book.BTCUSD", "type": "delta", "ts": 1, "data": {"symbol": "BTCUSD", "seq": "x"}}),
    json.dumps({"op": "subscribe", "success": "maybe"}),
    json.dumps({"topic": "trades.BTCUSD", "type": "update", "ts": 2, "data": [
        {"trade_id": "t1", "symbol": "BTCUSD", "price": "100.5", "qty": "2", "side": "sell", "ts": 2}]}),
    json.dumps({"topic": "book.BTCUSD", "type": "snapshot", "ts": 3, "data": {
        "symbol": "BTCUSD", "seq": 4, "bids": [["100", "1"]], "asks": [["101", "2"]]}}),
    json.dumps({"topic": "trades.BTCUSD", "type": "update", "ts": 2, "data": [
        {"trade_id": "t1", "symbol": "BTCUSD", "price": "100.5", "qty": "2", "side": "sell", "ts": 2}]}),
]


@pytest.fixture
async def scripted_venue() -> AsyncIterator[str]:
    """A WebSocket server that acknowledges the subscribe, then sends FRAMES."""

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        op = json.loads((await ws.receive()).data)
        await ws.send_str(json.dumps({"op": "subscribe", "req_id": op["req_id"], "success": True}))
        for frame in FRAMES:
            await ws.send_str(frame)
        await ws.receive()  # hold the connection until the client leaves
        return ws

    app = web.Application()
    app.router.add_get("/v5/ws", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


async def test_malformed_frames_are_logged_and_skipped(scripted_venue: str) -> None:
    data = SyncronDataClient(SyncronSettings(endpoint=scripted_venue), ws_options=FAST_WS)
    stream = data.stream(["BTCUSD"])
    events: list[object] = []
    task = asyncio.create_task(collect(stream, events))
    await eventually(lambda: bool(of(events, Quote)))
    assert of(events, Trade) == [Trade(2_000_000, "BTCUSD", 100.5, 2.0, Side.SELL)]  # the repeat was dropped
    assert stream.stats.malformed == 5 and stream.stats.duplicates == 1
    assert "syncron" in str(stream.stats.last_error)
    assert not task.done()  # the stream lives on
    await data.close()
    await asyncio.wait_for(task, 2)


async def test_random_drops_under_a_live_market_lose_and_repeat_nothing() -> None:
    agents = AgentConfig(enabled=True, speed=30.0, step_s=0.02, taker_rate_per_s=3.0)
    async with running_sim(quiet_config(agents=agents)) as sim:
        rest = rest_for(sim)
        data = SyncronDataClient(rest=rest, ws_options=FAST_WS)
        stream = data.stream(["BTCUSD"])
        events: list[object] = []
        task = asyncio.create_task(collect(stream, events))
        await eventually(lambda: len(of(events, Trade)) >= 5)
        await admin(sim, "/_sim/faults", {"ws_drop_rate": 0.02, "book_skip_rate": 0.05})
        await eventually(lambda: stream.stats.connections >= 4, timeout=10)
        await admin(sim, "/_sim/faults/reset")
        trades = of(events, Trade)

        async def tape_agrees() -> bool:
            seen = of(events, Trade)
            venue = [tick.trade for tick in reversed(await rest.recent_trades("BTCUSD", 1000))]
            start = venue.index(seen[0])
            overlap = min(len(seen), len(venue) - start)
            return overlap >= len(trades) and seen[:overlap] == venue[start:start + overlap]

        await eventually(tape_agrees)
        await eventually(lambda: stream.book("BTCUSD").state is BookState.LIVE)
        assert stream.stats.backfilled > 0 and len(of(events, BookGap)) >= 3
        assert len(of(events, BookResynced)) >= len(of(events, BookGap)) - 1
        await data.close()
        await rest.close()
        task.cancel()


async def test_heartbeats_keep_a_quiet_connection_open() -> None:
    async with running_sim(quiet_config(ws_idle_timeout_s=0.4)) as sim:
        rest = rest_for(sim)
        beating = SyncronDataClient(rest=rest, ws_options=replace(FAST_WS, heartbeat_s=0.1)).stream(["BTCUSD"])
        silent = SyncronDataClient(rest=rest, ws_options=FAST_WS).stream(["ETHUSD"])
        tasks = [asyncio.create_task(collect(s, [])) for s in (beating, silent)]
        await asyncio.sleep(1.2)  # three idle timeouts of the venue, nothing traded
        assert beating.stats.connections == 1 and beating.stats.pongs >= 5
        assert silent.stats.connections >= 2  # closed by the venue (4000 idle timeout), reconnected
        for stream in (beating, silent):
            await stream.close()
        for task in tasks:
            task.cancel()
        await rest.close()
