"""Every REST endpoint of the client against the simulator: typed model objects come back."""

from __future__ import annotations

import time

import pytest

from botkit.core.errors import ConfigError
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.events import Bar, BookSnapshot
from botkit.model.instruments import Instrument
from botkit.model.orders import Liquidity, OrderStatus
from botkit.sim.syncron.app import RunningSim
from botkit.venues.syncron import SyncronRestClient, SyncronSettings

from .helpers import make_market


async def test_time_and_clock_sync(rest: SyncronRestClient) -> None:
    before = rest.clock.now_ns()
    server = await rest.server_time()
    assert abs(server - before) < 2_000_000_000
    offset = await rest.sync_clock()
    assert abs(offset) < 1.0


async def test_the_clock_offset_is_measured_on_the_attempt_that_answered_not_across_retries(sim) -> None:
    """A retried time request must not put the offset off by half the backoff (signing in the venue's future)."""
    ahead_ns = 4_000_000_000

    class Jumping:
        offset_ns = 0

        def now_ns(self) -> int:
            return time.time_ns() + self.offset_ns

    clock = Jumping()

    async def backoff(seconds: float) -> None:  # a long backoff passes, and the venue recovers
        clock.offset_ns += ahead_ns
        sim.context.faults.reset()

    sim.context.faults.update({"http_error_rate": 1.0})
    client = SyncronRestClient(SyncronSettings(endpoint=sim.url), clock=clock, sleep=backoff)
    try:
        offset = await client.sync_clock()
    finally:
        await client.close()
    assert abs(offset + ahead_ns / 1e9) < 0.5, offset


async def test_instruments_carry_the_trading_rules(rest: SyncronRestClient) -> None:
    found = await rest.instruments()
    assert Instrument("BTCUSD", "syncron", "BTC", "USD", 0.1, 0.0001, 5.0) in found
    assert [i.symbol for i in await rest.instruments("ETHUSD")] == ["ETHUSD"]
    assert (await rest.instrument("ETHUSD")).lot_size == 0.001
    with pytest.raises(ConfigError, match="does not list 'NOPEUSD'"):
        await rest.instrument("NOPEUSD")


async def test_ticker_book_trades_and_klines(rest: SyncronRestClient, maker: SyncronRestClient) -> None:
    empty = await rest.ticker("BTCUSD")
    assert empty.bid is None and empty.quote() is None
    await make_market(maker)
    ticker = await rest.ticker("BTCUSD")
    assert (ticker.bid, ticker.ask, ticker.bid_qty) == (59_990.0, 60_010.0, 0.01)
    quote = ticker.quote()
    assert quote is not None and quote.mid == 60_000.0
    book = await rest.order_book("BTCUSD", depth=1)
    assert isinstance(book, BookSnapshot) and book.sequence > 0
    assert [lv.price for lv in book.bids] == [59_990.0] and [lv.price for lv in book.asks] == [60_010.0]
    full = await rest.order_book("BTCUSD")
    assert [lv.price for lv in full.bids] == [59_990.0, 59_980.0]
    await rest.place_order("BTCUSD", Side.BUY, 0.004, order_type=OrderType.MARKET)
    await rest.place_order("BTCUSD", Side.SELL, 0.002, order_type=OrderType.MARKET)
    trades = await rest.recent_trades("BTCUSD", limit=10)
    assert [(t.trade.price, t.trade.size, t.trade.side) for t in trades] == [
        (59_990.0, 0.002, Side.SELL), (60_010.0, 0.004, Side.BUY)]  # newest first
    assert len({t.trade_id for t in trades}) == 2
    bars = await rest.klines("BTCUSD", "1m", limit=5)
    assert len(bars) == 1 and isinstance(bars[0], Bar)
    assert (bars[0].open, bars[0].high, bars[0].low, bars[0].close) == (60_010.0, 60_010.0, 59_990.0, 59_990.0)
    assert bars[0].volume == pytest.approx(0.006)
    assert await rest.klines("BTCUSD", "1h", start=bars[0].ts + 3_600 * 10**9) == ()


@pytest.mark.parametrize("call", [
    lambda r: r.order_book("BTCUSD", depth=0),
    lambda r: r.recent_trades("BTCUSD", limit=1001),
    lambda r: r.klines("BTCUSD", "2m"),
    lambda r: r.get_order(),
    lambda r: r.cancel_order(order_id="a", client_order_id="b"),
    lambda r: r.place_order("BTCUSD", Side.BUY, 0.01, order_type=OrderType.MARKET, price=1.0),
    lambda r: r.place_order("BTCUSD", Side.BUY, float("nan"), price=1.0),
    lambda r: r.place_order("BTCUSD", Side.BUY, 0.01, price=1.0, client_order_id="has space"),
    lambda r: r.place_order("BTCUSD", Side.BUY, 0.01, order_type=OrderType.STOP),
])
async def test_arguments_are_checked_before_anything_is_sent(rest: SyncronRestClient, call) -> None:
    with pytest.raises(ConfigError):
        await call(rest)
    assert rest.budget.available() == rest.budget.limit  # no request was spent


async def test_limit_order_lifecycle_by_both_ids(rest: SyncronRestClient) -> None:
    placed = await rest.place_order("BTCUSD", Side.BUY, "0.0100", price="59000", client_order_id="life-1")
    order = placed.order
    assert (order.client_order_id, order.status, order.limit_price, order.qty) == ("life-1", OrderStatus.ACCEPTED,
                                                                                   59_000.0, 0.01)
    assert placed.wire_status == "new" and order.time_in_force is TimeInForce.GTC
    assert (await rest.get_order(order_id=order.order_id)).order == order
    assert (await rest.get_order(client_order_id="life-1")).order == order
    assert [r.order.order_id for r in await rest.open_orders("BTCUSD")] == [order.order_id]
    assert await rest.open_orders("ETHUSD") == ()
    canceled = await rest.cancel_order(client_order_id="life-1")
    assert canceled.order.status is OrderStatus.CANCELED and canceled.cancel_reason == "user"
    assert await rest.open_orders() == ()
    again = await rest.place_order("BTCUSD", Side.BUY, 0.01, price=59_000.0)
    assert again.order.client_order_id.startswith("bk-")  # the client always names its orders
    by_id = await rest.cancel_order(order_id=again.order.order_id)
    assert by_id.order.status is OrderStatus.CANCELED


async def test_the_same_client_order_id_returns_the_original_order(rest: SyncronRestClient) -> None:
    first = await rest.place_order("BTCUSD", Side.BUY, 0.01, price=59_000.0, client_order_id="same")
    second = await rest.place_order("BTCUSD", Side.BUY, 0.05, price=58_000.0, client_order_id="same")
    assert second.order == first.order
    assert len(await rest.open_orders()) == 1


async def test_market_ioc_fok_and_fills(rest: SyncronRestClient, maker: SyncronRestClient) -> None:
    await make_market(maker)
    market = await rest.place_order("BTCUSD", Side.BUY, 0.015, order_type=OrderType.MARKET)
    assert market.order.status is OrderStatus.FILLED and market.order.time_in_force is TimeInForce.IOC
    assert market.order.avg_fill_price == pytest.approx((0.01 * 60_010 + 0.005 * 60_020) / 0.015)
    assert market.filled_quote == pytest.approx(0.01 * 60_010 + 0.005 * 60_020)
    ioc = await rest.place_order("BTCUSD", Side.SELL, 0.05, price=59_985.0, time_in_force=TimeInForce.IOC)
    assert ioc.order.status is OrderStatus.EXPIRED and ioc.order.filled_qty == pytest.approx(0.01)
    fok = await rest.place_order("BTCUSD", Side.SELL, 1.0, price=59_000.0, time_in_force=TimeInForce.FOK)
    assert fok.order.status is OrderStatus.EXPIRED and fok.order.filled_qty == 0
    fills = await rest.fills("BTCUSD", limit=100)
    assert len(fills) == 3 and len({f.fill_id for f in fills}) == 3
    assert {f.fill.liquidity for f in fills} == {Liquidity.TAKER}
    assert all(f.fee_asset == "USD" and f.fill.fee > 0 for f in fills)
    maker_fills = await maker.fills()
    assert {f.fill.liquidity for f in maker_fills} == {Liquidity.MAKER} and len(maker_fills) == 3
    only = await rest.fills(order_id=market.order.order_id)
    assert {f.fill.order_id for f in only} == {market.order.order_id} and len(only) == 2
    assert len(await rest.fills(limit=1)) == 1


async def test_stop_post_only_and_reduce_only(rest: SyncronRestClient, maker: SyncronRestClient) -> None:
    await make_market(maker)
    await rest.place_order("BTCUSD", Side.BUY, 0.001, order_type=OrderType.MARKET)  # last = 60010, long 0.001
    stop = await rest.place_order("BTCUSD", Side.SELL, 0.002, order_type=OrderType.STOP, stop_price=59_000.0)
    assert stop.wire_status == "untriggered" and stop.order.status is OrderStatus.ACCEPTED
    assert stop.order.stop_price == 59_000.0 and stop.order.time_in_force is TimeInForce.IOC
    stop_limit = await rest.place_order("BTCUSD", Side.BUY, 0.002, order_type=OrderType.STOP,
                                        stop_price=61_000.0, price=61_100.0)
    assert stop_limit.order.limit_price == 61_100.0 and stop_limit.order.time_in_force is TimeInForce.GTC
    maker = await rest.place_order("BTCUSD", Side.BUY, 0.01, price=59_995.0, post_only=True)
    assert maker.order.post_only and maker.order.status is OrderStatus.ACCEPTED
    reduce = await rest.place_order("BTCUSD", Side.SELL, 0.5, price=70_000.0, reduce_only=True)
    assert reduce.order.reduce_only and reduce.order.qty == 0.001  # cut to the position


async def test_cancel_all_balances_and_positions(rest: SyncronRestClient, maker: SyncronRestClient) -> None:
    balances = {b.asset: b for b in await rest.balances()}
    assert balances["USD"].free == 100_000 and balances["BTC"].free == 1.0 and balances["USD"].locked == 0
    await make_market(rest)
    locked = {b.asset: b for b in await rest.balances()}
    assert locked["USD"].locked > 0 and locked["BTC"].locked == pytest.approx(0.02)
    assert locked["USD"].total == locked["USD"].free + locked["USD"].locked
    canceled = await rest.cancel_all("BTCUSD")
    assert len(canceled) == 4 and all(r.order.status is OrderStatus.CANCELED for r in canceled)
    assert await rest.cancel_all() == ()
    positions = {p.symbol: p for p in await rest.positions()}
    assert positions["BTCUSD"].qty == 0 and positions["BTCUSD"].avg_price == 0.0
    await make_market(maker)
    await rest.place_order("BTCUSD", Side.SELL, 0.005, order_type=OrderType.MARKET)
    (short,) = await rest.positions("BTCUSD")
    assert short.qty == pytest.approx(-0.005) and short.avg_price == 59_990.0


async def test_one_session_for_every_call_and_close_twice(sim: RunningSim, rest: SyncronRestClient) -> None:
    await rest.ticker("BTCUSD")
    session = rest._http._session
    await rest.balances()
    assert rest._http._session is session
    assert repr(rest).startswith("SyncronRestClient(rest_url='http://127.0.0.1:")
    await rest.close()
    await rest.close()
