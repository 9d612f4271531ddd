"""Public market-data routes: time, instruments, ticker, order book, trades, klines."""

from __future__ import annotations

from botkit.sim.syncron.params import (
    KlinesQuery,
    OptionalSymbolQuery,
    OrderbookQuery,
    SymbolQuery,
    TradesQuery,
)
from botkit.sim.syncron.routing import Call, Route
from botkit.sim.syncron.schemas import (
    InstrumentOut,
    KlineOut,
    OrderbookOut,
    ServerTimeOut,
    TickerOut,
    TradeOut,
)
from botkit.sim.syncron.views import orderbook_view, ticker_view


async def server_time(call: Call) -> object:
    """The server's clock, for measuring the client's offset."""
    return ServerTimeOut(server_time=call.ctx.now_ms()).wire()


async def instruments(call: Call) -> object:
    """Listed symbols and their trading rules."""
    q = call.query(OptionalSymbolQuery)
    exchange = call.ctx.exchange
    specs = (
        [exchange.market(q.symbol).spec]
        if q.symbol
        else [m.spec for m in exchange.markets.values()]
    )
    return [InstrumentOut.of(s).wire() for s in specs]


async def ticker(call: Call) -> object:
    """Best bid and ask, last price and 24 h stats of one symbol."""
    return ticker_view(call.ctx.exchange, call.query(SymbolQuery).symbol).wire()


async def orderbook(call: Call) -> object:
    """An L2 snapshot with the book's sequence number."""
    q = call.query(OrderbookQuery)
    return orderbook_view(call.ctx.exchange, q.symbol, q.depth).wire()


async def trades(call: Call) -> object:
    """Recent public trades, newest first."""
    q = call.query(TradesQuery)
    tape = call.ctx.exchange.market(q.symbol).tape
    return [TradeOut.of(t).wire() for t in tape.recent(q.limit)]


async def klines(call: Call) -> object:
    """OHLCV candles built from the simulator's trades, oldest first."""
    q = call.query(KlinesQuery)
    tape = call.ctx.exchange.market(q.symbol).tape
    return [KlineOut.of(c).wire() for c in tape.klines(q.interval, q.start, q.end, q.limit)]


MARKET_ROUTES = (
    Route(
        "GET", "/v5/time", server_time, "Server time", "public", "market", response=ServerTimeOut
    ),
    Route(
        "GET",
        "/v5/market/instruments",
        instruments,
        "Instruments and trading rules",
        "public",
        "market",
        query=OptionalSymbolQuery,
        response=InstrumentOut,
        many=True,
    ),
    Route(
        "GET",
        "/v5/market/ticker",
        ticker,
        "Ticker of one symbol",
        "public",
        "market",
        query=SymbolQuery,
        response=TickerOut,
    ),
    Route(
        "GET",
        "/v5/market/orderbook",
        orderbook,
        "L2 order book snapshot",
        "public",
        "market",
        query=OrderbookQuery,
        response=OrderbookOut,
    ),
    Route(
        "GET",
        "/v5/market/trades",
        trades,
        "Recent public trades",
        "public",
        "market",
        query=TradesQuery,
        response=TradeOut,
        many=True,
    ),
    Route(
        "GET",
        "/v5/market/klines",
        klines,
        "OHLCV candles",
        "public",
        "market",
        query=KlinesQuery,
        response=KlineOut,
        many=True,
    ),
)
"""Market-data routes, in the order the contract lists them."""
