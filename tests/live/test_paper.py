"""Paper fills follow the backtester's quote and trade conventions."""

from __future__ import annotations

import pytest

from botkit.core.errors import NotFoundError, OrderRejected
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import OrderType, Side
from botkit.model.events import Quote, Trade
from botkit.model.orders import Liquidity, OrderIntent, OrderStatus


def quote(ts: int, bid: float, ask: float, size: float = 1.0) -> Quote:
    return Quote(ts, "BTCUSD", bid, size, ask, size)


async def test_market_orders_fill_at_the_opposite_side_of_the_next_quote_with_fees_and_slippage():
    paper = PaperExecutionClient(maker_bps=1, taker_bps=5, slippage_bps=10)
    await paper.submit(OrderIntent("BTCUSD", Side.BUY, 0.5), "b-1")
    await paper.submit(OrderIntent("BTCUSD", Side.SELL, 0.25), "s-1")
    (buy, sell) = paper.on_market_event(quote(1, 99.0, 101.0))
    assert buy.fill.price == pytest.approx(101.0 * 1.001) and buy.fill.liquidity is Liquidity.TAKER
    assert buy.fill.fee == pytest.approx(0.5 * 101.0 * 1.001 * 5 / 10_000)
    assert sell.fill.price == pytest.approx(99.0 * 0.999)
    assert buy.order.status is OrderStatus.FILLED and await paper.open_orders() == []


async def test_limit_orders_fill_at_their_price_when_the_quote_crosses_bounded_by_size():
    paper = PaperExecutionClient(maker_bps=1, taker_bps=5)
    await paper.submit(OrderIntent("BTCUSD", Side.BUY, 2.0, OrderType.LIMIT, limit_price=100.0), "b-1")
    assert paper.on_market_event(quote(1, 99.0, 100.5)) == []
    (partial,) = paper.on_market_event(quote(2, 98.0, 99.5, size=1.5))
    assert partial.fill.price == 100.0 and partial.fill.qty == 1.5 and partial.fill.liquidity is Liquidity.MAKER
    assert partial.order.status is OrderStatus.PARTIALLY_FILLED
    (rest,) = paper.on_market_event(quote(3, 98.0, 99.0, size=5.0))
    assert rest.fill.qty == 0.5 and rest.order.status is OrderStatus.FILLED
    assert rest.fill.fee == pytest.approx(0.5 * 100.0 * 1 / 10_000)


async def test_stop_triggers_once_and_trades_mode_uses_trade_prices():
    paper = PaperExecutionClient(match_on="trades")
    await paper.submit(OrderIntent("BTCUSD", Side.SELL, 1.0, OrderType.STOP, stop_price=95.0), "s-1")
    assert paper.on_market_event(Trade(1, "BTCUSD", 96.0, 1.0, Side.BUY)) == []
    assert paper.on_market_event(quote(2, 90.0, 91.0)) == [], "quotes are ignored when matching on trades"
    (fill,) = paper.on_market_event(Trade(3, "BTCUSD", 94.0, 0.4, Side.SELL))
    assert fill.fill.price == 94.0 and fill.fill.qty == 0.4
    (fill,) = paper.on_market_event(Trade(4, "BTCUSD", 97.0, 2.0, Side.BUY))
    assert fill.fill.price == 97.0 and fill.order.status is OrderStatus.FILLED, "a triggered stop stays triggered"


async def test_idempotent_submit_cancel_and_event_stream():
    paper = PaperExecutionClient()
    first = await paper.submit(OrderIntent("BTCUSD", Side.BUY, 1.0, OrderType.LIMIT, limit_price=90.0), "b-1")
    again = await paper.submit(OrderIntent("BTCUSD", Side.BUY, 1.0, OrderType.LIMIT, limit_price=90.0), "b-1")
    assert first is again and len(await paper.open_orders()) == 1
    canceled = await paper.cancel("b-1")
    assert canceled.status is OrderStatus.CANCELED
    with pytest.raises(OrderRejected):
        await paper.cancel("b-1")
    with pytest.raises(NotFoundError):
        await paper.cancel("nope")
    await paper.submit(OrderIntent("BTCUSD", Side.BUY, 1.0), "b-2")
    paper.on_market_event(quote(1, 99.0, 100.0))
    await paper.close()
    events = [e async for e in paper.order_events()]
    assert len(events) == 1 and events[0].fill.client_order_id == "b-2"
