"""Syncron WebSocket frames → typed pushes and operation replies, and pushes → model events.

Pure functions. A frame is either a push (``topic``, ``type``, ``ts``, ``data``) or the reply to
an operation (``op``, ``req_id``, ``success``…). Every shape problem is a ``ProtocolError`` naming
the topic (or ``websocket``) and the field. Book deltas have a fast path: the documented shape is
read with no per-field checks, and anything unusual falls back to the checked reader, which
either accepts it or names the bad field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

from botkit.core.errors import ProtocolError
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookSnapshot
from botkit.venues.syncron import wire
from botkit.venues.syncron.parse import (
    WireError,
    execution,
    levels,
    order_report,
    ticker_value,
    trade_tick,
    wire_error,
)
from botkit.venues.syncron.results import Execution, OrderReport, Ticker, TradeTick
from botkit.venues.syncron.shapes import ShapeError, array, decimal_value, get, integer, obj, reading, shown, text

_NS_PER_MS = 1_000_000
_BID = BookSide.BID
_ASK = BookSide.ASK
_new = tuple.__new__
_loads = json.loads
_WS = "websocket"


class Push(NamedTuple):
    """A server push: ``topic`` (``book.BTCUSD``, ``orders``…), ``kind`` (snapshot/delta/update)."""

    topic: str
    kind: str
    ts: int
    data: object


class OpReply(NamedTuple):
    """The answer to an operation; ``error`` is set when ``success`` is false."""

    op: str
    req_id: str | None
    success: bool
    error: WireError | None
    args: object


def parse_frame(frame: str | bytes) -> Push | OpReply:
    """One text frame as a push or an operation reply; ProtocolError if it is neither."""
    try:
        message = _loads(frame)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # huge integers, nesting too deep
        raise ProtocolError(f"{wire.VENUE} {_WS}: frame is not JSON ({type(exc).__name__}): "
                            f"{shown(frame[:60])}") from None
    if type(message) is dict:
        topic = message.get(wire.WS_TOPIC)
        kind = message.get(wire.WS_TYPE)
        ts = message.get(wire.WS_TS)
        if type(topic) is str and type(kind) is str and type(ts) is int and ts >= 0 and wire.WS_DATA in message:
            return _new(Push, (topic, kind, ts * _NS_PER_MS, message[wire.WS_DATA]))
    return _checked_frame(message)


def _checked_frame(message: object) -> Push | OpReply:
    with reading(_WS):
        o = obj(message, "frame")
        if wire.WS_TOPIC in o:
            return Push(text(o, wire.WS_TOPIC, "frame"), text(o, wire.WS_TYPE, "frame"),
                        integer(o, wire.WS_TS, "frame") * _NS_PER_MS, get(o, wire.WS_DATA, "frame"))
        op = get(o, wire.WS_OP, "frame")
        if op == wire.OP_PONG:
            return OpReply(wire.OP_PONG, _req_id(o), True, None, None)
        if not isinstance(op, str) and op is not None:
            raise ShapeError("frame.op", f"must be a string, got {shown(op)}")
        success = get(o, wire.WS_SUCCESS, "frame")
        if not isinstance(success, bool):
            raise ShapeError("frame.success", f"must be true or false, got {shown(success)}")
        error = None if success else wire_error(get(o, wire.WS_ERROR, "frame"), "frame.error")
        return OpReply(op or "", _req_id(o), success, error, o.get(wire.WS_ARGS))


def _req_id(o: Mapping[str, object]) -> str | None:
    value = o.get(wire.WS_REQ_ID)
    return None if value is None else str(value)


def topic_symbol(topic: str) -> tuple[str, str | None]:
    """``book.BTCUSD`` → ``("book", "BTCUSD")``; ``orders`` → ``("orders", None)``."""
    channel, _, symbol = topic.partition(".")
    return channel, symbol or None


# --- book ---------------------------------------------------------------------------------------


def book_snapshot(push: Push, symbol: str) -> BookSnapshot:
    """A ``book.{symbol}`` snapshot push (the full book, best first)."""
    with reading(push.topic):
        o = _book_data(push, symbol)
        return BookSnapshot(push.ts, symbol, integer(o, wire.F_SEQ, "data"),
                            levels(get(o, wire.F_BIDS, "data"), "data.bids"),
                            levels(get(o, wire.F_ASKS, "data"), "data.asks"))


def book_deltas(push: Push, symbol: str) -> list[BookDelta]:
    """A ``book.{symbol}`` delta push as one batch of BookDeltas sharing its ``seq``.

    Bids come first, then asks, each in wire order; quantity 0 removes a level.
    """
    data = push.data
    try:
        if type(data) is dict and data[wire.F_SYMBOL] == symbol:
            seq = data[wire.F_SEQ]
            if type(seq) is int and seq >= 0:
                ts = push.ts
                out: list[BookDelta] = []
                append = out.append
                for side, rows in ((_BID, data[wire.F_BIDS]), (_ASK, data[wire.F_ASKS])):
                    for row in rows:
                        if type(row) is not list or len(row) != 2:
                            raise TypeError
                        price, qty = row
                        if type(price) is not str or type(qty) is not str:
                            raise TypeError
                        append(_new(BookDelta, (ts, symbol, seq, side, float(price), float(qty))))
                return out
    except (KeyError, TypeError, ValueError):
        pass
    return _checked_deltas(push, symbol)


def _checked_deltas(push: Push, symbol: str) -> list[BookDelta]:
    with reading(push.topic):
        o = _book_data(push, symbol)
        seq = integer(o, wire.F_SEQ, "data")
        out = []
        for side, name in ((_BID, wire.F_BIDS), (_ASK, wire.F_ASKS)):
            for i, row in enumerate(array(get(o, name, "data"), f"data.{name}")):
                if not isinstance(row, list) or len(row) != 2:
                    raise ShapeError(f"data.{name}[{i}]", f"must be [price, qty], got {shown(row)}")
                price = decimal_value(row[0], f"data.{name}[{i}][0]", positive=True)
                qty = decimal_value(row[1], f"data.{name}[{i}][1]")
                out.append(BookDelta(push.ts, symbol, seq, side, price, qty))
        return out


def _book_data(push: Push, symbol: str) -> Mapping[str, object]:
    o = obj(push.data, "data")
    if get(o, wire.F_SYMBOL, "data") != symbol:
        raise ShapeError("data.symbol", f"must be {symbol!r} (the topic's), got {shown(o[wire.F_SYMBOL])}")
    return o


# --- other channels -----------------------------------------------------------------------------


def trade_ticks(push: Push) -> list[TradeTick]:
    """A ``trades.{symbol}`` push: public trades, oldest first."""
    with reading(push.topic):
        return [trade_tick(item, f"data[{i}]") for i, item in enumerate(array(push.data, "data"))]


def ticker(push: Push) -> Ticker:
    """A ``ticker.{symbol}`` push."""
    with reading(push.topic):
        return ticker_value(push.data, "data")


def order_reports(push: Push) -> list[OrderReport]:
    """An ``orders`` push: own orders after a state change."""
    with reading(push.topic):
        return [order_report(item, f"data[{i}]") for i, item in enumerate(array(push.data, "data"))]


def executions(push: Push) -> list[Execution]:
    """A ``fills`` push: own fills."""
    with reading(push.topic):
        return [execution(item, f"data[{i}]") for i, item in enumerate(array(push.data, "data"))]
