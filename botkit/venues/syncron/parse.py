"""Syncron REST bodies → botkit.model objects: pure functions, the only place bodies are read.

Every shape problem (not an object, a missing field, a wrong type, a decimal that is not a finite
number, an unknown enum value) is a ``ProtocolError`` naming the endpoint and the field, e.g.
``syncron ticker: field 'data.bid' must be a decimal string, got [1]``; never a KeyError.
Decimals (strings on the wire) become floats, millisecond timestamps integer nanoseconds UTC.
The field checks live in ``botkit.venues.syncron.shapes``; WebSocket frames are read by
``botkit.venues.syncron.frames`` with the object readers here (``order_report``, ``execution``…).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.events import Bar, BookLevel, BookSnapshot, Trade
from botkit.model.instruments import Instrument
from botkit.model.orders import Fill, Liquidity, Order, OrderStatus
from botkit.model.positions import Balance, Position
from botkit.venues.syncron import wire
from botkit.venues.syncron.results import Execution, OrderReport, Ticker, TokenPair, TradeTick
from botkit.venues.syncron.shapes import (
    NS_PER_MS,
    ShapeError,
    array,
    choice,
    decimal,
    decimal_or_none,
    decimal_value,
    flag,
    get,
    integer,
    ms_as_ns,
    obj,
    reading,
    shown,
    text,
    text_or_none,
)

SIDES: Mapping[str, Side] = {wire.SIDE_BUY: Side.BUY, wire.SIDE_SELL: Side.SELL}
ORDER_TYPES: Mapping[str, OrderType] = {
    wire.TYPE_MARKET: OrderType.MARKET, wire.TYPE_LIMIT: OrderType.LIMIT, wire.TYPE_STOP: OrderType.STOP,
}
TIMES_IN_FORCE: Mapping[str, TimeInForce] = {
    wire.TIF_GTC: TimeInForce.GTC, wire.TIF_IOC: TimeInForce.IOC, wire.TIF_FOK: TimeInForce.FOK,
}
STATUSES: Mapping[str, OrderStatus] = {
    wire.STATUS_UNTRIGGERED: OrderStatus.ACCEPTED,
    wire.STATUS_NEW: OrderStatus.ACCEPTED,
    wire.STATUS_PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    wire.STATUS_FILLED: OrderStatus.FILLED,
    wire.STATUS_CANCELED: OrderStatus.CANCELED,
    wire.STATUS_EXPIRED: OrderStatus.EXPIRED,
}
LIQUIDITIES: Mapping[str, Liquidity] = {wire.LIQUIDITY_MAKER: Liquidity.MAKER, wire.LIQUIDITY_TAKER: Liquidity.TAKER}


def levels(value: object, path: str) -> tuple[BookLevel, ...]:
    """``[[price, qty], ...]`` as book levels (prices > 0, quantities >= 0)."""
    out = []
    for i, row in enumerate(array(value, path)):
        if not isinstance(row, list) or len(row) != 2:
            raise ShapeError(f"{path}[{i}]", f"must be [price, qty], got {shown(row)}")
        price = decimal_value(row[0], f"{path}[{i}][0]", positive=True)
        out.append(BookLevel(price, decimal_value(row[1], f"{path}[{i}][1]")))
    return tuple(out)


def trade_tick(value: object, path: str) -> TradeTick:
    """A public trade object."""
    o = obj(value, path)
    trade = Trade(
        ms_as_ns(o, wire.F_TS, path),
        text(o, wire.F_SYMBOL, path),
        decimal(o, wire.F_PRICE, path, positive=True),
        decimal(o, wire.F_QTY, path, positive=True),
        choice(o, wire.F_SIDE, path, SIDES),
    )
    return TradeTick(text(o, wire.F_TRADE_ID, path), trade)


_TICKER_DECIMALS = (wire.F_BID, wire.F_BID_QTY, wire.F_ASK, wire.F_ASK_QTY, wire.F_LAST, wire.F_OPEN_24H,
                    wire.F_HIGH_24H, wire.F_LOW_24H, wire.F_VOLUME_24H)
_INF = math.inf


def _plain_decimal(value: object) -> float | None:
    """A decimal string (or null) as documented, for fast paths: anything else raises."""
    if value is None:
        return None
    if type(value) is not str:
        raise TypeError
    number = float(value)
    if not 0.0 <= number < _INF:
        raise ValueError
    return number


def ticker_value(value: object, path: str) -> Ticker:
    """A ticker object (a fast path for the documented shape, the checked reader otherwise)."""
    if type(value) is dict:
        try:
            ts, symbol = value[wire.F_TS], value[wire.F_SYMBOL]
            bid, bid_qty, ask, ask_qty, last, open_, high, low, volume = map(
                _plain_decimal, [value[name] for name in _TICKER_DECIMALS])
            if (type(ts) is int and ts >= 0 and type(symbol) is str and symbol and volume is not None
                    and bid != 0.0 and ask != 0.0 and last != 0.0):
                return Ticker(ts * NS_PER_MS, symbol, bid, bid_qty, ask, ask_qty, last, open_, high, low, volume)
        except (KeyError, TypeError, ValueError):
            pass
    return _checked_ticker(value, path)


def _checked_ticker(value: object, path: str) -> Ticker:
    o = obj(value, path)
    return Ticker(
        ts=ms_as_ns(o, wire.F_TS, path),
        symbol=text(o, wire.F_SYMBOL, path),
        bid=decimal_or_none(o, wire.F_BID, path, positive=True),
        bid_qty=decimal_or_none(o, wire.F_BID_QTY, path),
        ask=decimal_or_none(o, wire.F_ASK, path, positive=True),
        ask_qty=decimal_or_none(o, wire.F_ASK_QTY, path),
        last=decimal_or_none(o, wire.F_LAST, path, positive=True),
        open_24h=decimal_or_none(o, wire.F_OPEN_24H, path),
        high_24h=decimal_or_none(o, wire.F_HIGH_24H, path),
        low_24h=decimal_or_none(o, wire.F_LOW_24H, path),
        volume_24h=decimal(o, wire.F_VOLUME_24H, path),
    )


def order_report(value: object, path: str) -> OrderReport:
    """An order object."""
    o = obj(value, path)
    status_text = text(o, wire.F_STATUS, path)
    status = choice(o, wire.F_STATUS, path, STATUSES)
    avg = decimal_or_none(o, wire.F_AVG_FILL_PRICE, path)
    order = Order(
        order_id=text(o, wire.F_ORDER_ID, path),
        client_order_id=text(o, wire.F_CLIENT_ORDER_ID, path),
        symbol=text(o, wire.F_SYMBOL, path),
        side=choice(o, wire.F_SIDE, path, SIDES),
        qty=decimal(o, wire.F_QTY, path),
        order_type=choice(o, wire.F_TYPE, path, ORDER_TYPES),
        status=status,
        ts_created=ms_as_ns(o, wire.F_CREATED_AT, path),
        limit_price=decimal_or_none(o, wire.F_PRICE, path, positive=True),
        stop_price=decimal_or_none(o, wire.F_STOP_PRICE, path, positive=True),
        time_in_force=choice(o, wire.F_TIME_IN_FORCE, path, TIMES_IN_FORCE),
        post_only=flag(o, wire.F_POST_ONLY, path),
        reduce_only=flag(o, wire.F_REDUCE_ONLY, path),
        filled_qty=decimal(o, wire.F_FILLED_QTY, path),
        avg_fill_price=avg if avg is not None else 0.0,
    )
    return OrderReport(
        order,
        status_text,
        text_or_none(o, wire.F_CANCEL_REASON, path),
        ms_as_ns(o, wire.F_UPDATED_AT, path),
        decimal(o, wire.F_FILLED_QUOTE, path),
    )


def execution(value: object, path: str) -> Execution:
    """An own fill object."""
    o = obj(value, path)
    fill = Fill(
        ts=ms_as_ns(o, wire.F_TS, path),
        order_id=text(o, wire.F_ORDER_ID, path),
        client_order_id=text(o, wire.F_CLIENT_ORDER_ID, path),
        symbol=text(o, wire.F_SYMBOL, path),
        side=choice(o, wire.F_SIDE, path, SIDES),
        qty=decimal(o, wire.F_QTY, path, positive=True),
        price=decimal(o, wire.F_PRICE, path, positive=True),
        fee=decimal(o, wire.F_FEE, path, signed=True),
        liquidity=choice(o, wire.F_LIQUIDITY, path, LIQUIDITIES),
        fill_id=text(o, wire.F_FILL_ID, path),
    )
    return Execution(fill.fill_id, text(o, wire.F_TRADE_ID, path), text(o, wire.F_FEE_ASSET, path), fill)


# --- envelope ---------------------------------------------------------------------------------


class WireError(NamedTuple):
    """The ``error`` object of an error envelope or a failed WebSocket operation."""

    code: int
    message: str
    details: Mapping[str, object]


class Envelope(NamedTuple):
    """A REST response envelope: ``data`` on success, ``error`` otherwise."""

    success: bool
    data: object
    error: WireError | None


def wire_error(value: object, path: str) -> WireError:
    """An ``error`` object: integer code, message, details object."""
    o = obj(value, path)
    message = get(o, wire.F_MESSAGE, path)
    details = get(o, wire.F_DETAILS, path) if wire.F_DETAILS in o else {}
    return WireError(
        integer(o, wire.F_CODE, path),
        message if isinstance(message, str) else shown(message),
        obj(details if details is not None else {}, f"{path}.{wire.F_DETAILS}"),
    )


def parse_envelope(body: object, endpoint: str) -> Envelope:
    """The envelope of a REST response body (already JSON-decoded)."""
    if type(body) is dict and body.get(wire.F_SUCCESS) is True and wire.F_DATA in body:
        return Envelope(True, body[wire.F_DATA], None)  # the common case, fully checked
    with reading(endpoint):
        o = obj(body, "body")
        success = flag(o, wire.F_SUCCESS, "body")
        if success:
            return Envelope(True, get(o, wire.F_DATA, "body"), None)
        return Envelope(False, None, wire_error(get(o, wire.F_ERROR, "body"), "body.error"))


# --- REST payloads (``data`` of a success envelope) -----------------------------------------


def parse_server_time(data: object, endpoint: str = "server_time") -> int:
    """``GET /v5/time``: the venue's clock, ns."""
    with reading(endpoint):
        return ms_as_ns(obj(data, "data"), wire.F_SERVER_TIME, "data")


def parse_instruments(data: object, endpoint: str = "instruments") -> tuple[Instrument, ...]:
    """``GET /v5/market/instruments``: symbols with tick size, lot size and min notional."""
    with reading(endpoint):
        out = []
        for i, item in enumerate(array(data, "data")):
            path = f"data[{i}]"
            o = obj(item, path)
            out.append(Instrument(
                symbol=text(o, wire.F_SYMBOL, path),
                venue=wire.VENUE,
                base=text(o, wire.F_BASE, path),
                quote=text(o, wire.F_QUOTE, path),
                tick_size=decimal(o, wire.F_TICK_SIZE, path, positive=True),
                lot_size=decimal(o, wire.F_LOT_SIZE, path, positive=True),
                min_notional=decimal(o, wire.F_MIN_NOTIONAL, path),
            ))
        return tuple(out)


def parse_ticker(data: object, endpoint: str = "ticker") -> Ticker:
    """``GET /v5/market/ticker``."""
    with reading(endpoint):
        return ticker_value(data, "data")


def parse_orderbook(data: object, endpoint: str = "order_book") -> BookSnapshot:
    """``GET /v5/market/orderbook``: an L2 snapshot at the venue's ``seq``."""
    with reading(endpoint):
        o = obj(data, "data")
        return BookSnapshot(
            ms_as_ns(o, wire.F_TS, "data"),
            text(o, wire.F_SYMBOL, "data"),
            integer(o, wire.F_SEQ, "data"),
            levels(get(o, wire.F_BIDS, "data"), "data.bids"),
            levels(get(o, wire.F_ASKS, "data"), "data.asks"),
        )


def parse_trades(data: object, endpoint: str = "recent_trades") -> tuple[TradeTick, ...]:
    """``GET /v5/market/trades``: public trades in wire order (newest first)."""
    with reading(endpoint):
        return tuple(trade_tick(item, f"data[{i}]") for i, item in enumerate(array(data, "data")))


def parse_klines(data: object, symbol: str, endpoint: str = "klines") -> tuple[Bar, ...]:
    """``GET /v5/market/klines``: bars oldest first, ``ts`` the open time."""
    with reading(endpoint):
        out = []
        for i, item in enumerate(array(data, "data")):
            path = f"data[{i}]"
            o = obj(item, path)
            ms_as_ns(o, wire.F_CLOSE_TIME, path)
            out.append(Bar(
                ms_as_ns(o, wire.F_OPEN_TIME, path), symbol,
                decimal(o, wire.F_OPEN, path, positive=True), decimal(o, wire.F_HIGH, path, positive=True),
                decimal(o, wire.F_LOW, path, positive=True), decimal(o, wire.F_CLOSE, path, positive=True),
                decimal(o, wire.F_VOLUME, path),
            ))
        return tuple(out)


def parse_token_pair(data: object, endpoint: str = "issue_token") -> TokenPair:
    """``POST /v5/auth/token`` and ``/v5/auth/refresh``: a JWT pair."""
    with reading(endpoint):
        o = obj(data, "data")
        if get(o, wire.F_TOKEN_TYPE, "data") != wire.BEARER:
            raise ShapeError("data.token_type", f"must be {wire.BEARER!r}, got {shown(o[wire.F_TOKEN_TYPE])}")
        return TokenPair(
            token=text(o, wire.F_TOKEN, "data"),
            expires_at=ms_as_ns(o, wire.F_EXPIRES_AT, "data"),
            refresh_token=text(o, wire.F_REFRESH_TOKEN, "data"),
            refresh_expires_at=ms_as_ns(o, wire.F_REFRESH_EXPIRES_AT, "data"),
        )


def parse_order(data: object, endpoint: str = "order") -> OrderReport:
    """An order object (place, query, cancel)."""
    with reading(endpoint):
        return order_report(data, "data")


def parse_orders(data: object, endpoint: str = "open_orders") -> tuple[OrderReport, ...]:
    """A list of order objects (open orders, cancel all)."""
    with reading(endpoint):
        return tuple(order_report(item, f"data[{i}]") for i, item in enumerate(array(data, "data")))


def parse_fills(data: object, endpoint: str = "fills") -> tuple[Execution, ...]:
    """``GET /v5/fills``: own fills in wire order (newest first)."""
    with reading(endpoint):
        return tuple(execution(item, f"data[{i}]") for i, item in enumerate(array(data, "data")))


def parse_balances(data: object, endpoint: str = "balances") -> tuple[Balance, ...]:
    """``GET /v5/account/balances``."""
    with reading(endpoint):
        out = []
        for i, item in enumerate(array(data, "data")):
            path = f"data[{i}]"
            o = obj(item, path)
            decimal(o, wire.F_TOTAL, path)
            out.append(Balance(text(o, wire.F_ASSET, path), decimal(o, wire.F_FREE, path),
                               decimal(o, wire.F_LOCKED, path)))
        return tuple(out)


def parse_positions(data: object, endpoint: str = "positions") -> tuple[Position, ...]:
    """``GET /v5/account/positions``: signed quantity, average price (0 when flat), realized PnL."""
    with reading(endpoint):
        out = []
        for i, item in enumerate(array(data, "data")):
            path = f"data[{i}]"
            o = obj(item, path)
            decimal(o, wire.F_UNREALIZED_PNL, path, signed=True)
            decimal_or_none(o, wire.F_MARK_PRICE, path)
            avg = decimal_or_none(o, wire.F_AVG_PRICE, path)
            out.append(Position(text(o, wire.F_SYMBOL, path), decimal(o, wire.F_QTY, path, signed=True),
                                avg if avg is not None else 0.0,
                                decimal(o, wire.F_REALIZED_PNL, path, signed=True)))
        return tuple(out)
