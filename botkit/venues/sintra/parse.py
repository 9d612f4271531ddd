"""Sintra wire JSON → typed results: pure functions, the only place bodies are read.

Every shape problem (a missing field, a wrong type, a non-finite number, a non-positive price)
is a ``ProtocolError`` naming the endpoint and the field, e.g.
``sintra list_prices: field 'body.usd.price' must be a number, got 'NaN'``; never a KeyError.
Timestamps become integer nanoseconds UTC.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import ProtocolError
from botkit.model.events import Price
from botkit.venues.sintra import wire
from botkit.venues.sintra.results import (
    Exchange,
    FeeLevel,
    FeeSnapshot,
    Pair,
    PairStats,
    PriceBoard,
    Session,
    WsConnected,
    WsError,
    WsEvent,
    WsPrices,
)

_ROOT = "body"
_QUOTE_RE = re.compile(r"[a-z]{3,4}")


class _ShapeError(Exception):
    """A shape problem at ``path``; turned into a ProtocolError by ``_reading``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem


@contextmanager
def _reading(endpoint: str) -> Iterator[None]:
    try:
        yield
    except _ShapeError as bad:
        raise ProtocolError(f"{wire.VENUE} {endpoint}: field {bad.path!r} {bad.problem}") from None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _obj(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _ShapeError(path, f"must be an object, got {_shown(value)}")
    return value


def _list(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise _ShapeError(path, f"must be an array, got {_shown(value)}")
    return value


def _get(obj: Mapping[str, object], name: str, path: str) -> object:
    if name not in obj:
        raise _ShapeError(f"{path}.{name}", "is missing")
    return obj[name]


def _text(obj: Mapping[str, object], name: str, path: str) -> str:
    value = _get(obj, name, path)
    if not isinstance(value, str) or not value:
        raise _ShapeError(f"{path}.{name}", f"must be a non-empty string, got {_shown(value)}")
    return value


def _int(obj: Mapping[str, object], name: str, path: str, minimum: int = 0) -> int:
    value = _get(obj, name, path)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _ShapeError(f"{path}.{name}", f"must be an integer >= {minimum}, got {_shown(value)}")
    return value


def _num(obj: Mapping[str, object], name: str, path: str, *, positive: bool = False) -> float:
    value = _get(obj, name, path)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _ShapeError(f"{path}.{name}", f"must be a number, got {_shown(value)}")
    if positive and value <= 0:
        raise _ShapeError(f"{path}.{name}", f"must be > 0, got {_shown(value)}")
    return float(value)


def _ns(obj: Mapping[str, object], name: str, path: str) -> int:
    return _int(obj, name, path) * NS_PER_SECOND


def _fee_levels(value: object, path: str) -> tuple[FeeLevel, ...]:
    levels = []
    for i, item in enumerate(_list(value, path)):
        where = f"{path}[{i}]"
        entry = _obj(item, where)
        levels.append(FeeLevel(_text(entry, wire.F_PRIORITY, where), _int(entry, wire.F_FEE, where)))
    return tuple(levels)


def _board(value: object, path: str) -> PriceBoard:
    prices = []
    for quote, item in _obj(value, path).items():
        where = f"{path}.{quote}"
        if not _QUOTE_RE.fullmatch(quote):
            raise _ShapeError(where, "is not a lower-case 3-4 letter currency code")
        entry = _obj(item, where)
        prices.append(
            Price(
                ts=_ns(entry, wire.F_TIMESTAMP, where),
                base=wire.BASE_CURRENCY,
                quote=quote,
                price=_num(entry, wire.F_PRICE, where, positive=True),
                source=wire.SOURCE_SINTRA,
            )
        )
    return PriceBoard(tuple(prices))


def parse_exchanges(body: object) -> tuple[Exchange, ...]:
    """*List exchanges*."""
    with _reading("list_exchanges"):
        out = []
        for i, item in enumerate(_list(body, _ROOT)):
            where = f"{_ROOT}[{i}]"
            entry = _obj(item, where)
            out.append(
                Exchange(
                    id=_text(entry, wire.F_ID, where),
                    name=_text(entry, wire.F_NAME, where),
                    url=_text(entry, wire.F_URL, where),
                )
            )
        return tuple(out)


def parse_fees(body: object) -> tuple[FeeLevel, ...]:
    """*List fees*: lowest priority first."""
    with _reading("list_fees"):
        return _fee_levels(body, _ROOT)


def parse_fee_history(body: object) -> tuple[FeeSnapshot, ...]:
    """*List fee history*: one snapshot per hour, in the order sent."""
    with _reading("list_fee_history"):
        out = []
        for i, item in enumerate(_list(body, _ROOT)):
            where = f"{_ROOT}[{i}]"
            entry = _obj(item, where)
            fees = _fee_levels(_get(entry, wire.F_FEES, where), f"{where}.{wire.F_FEES}")
            out.append(FeeSnapshot(ts=_ns(entry, wire.F_TIMESTAMP, where), fees=fees))
        return tuple(out)


def _pair(entry: Mapping[str, object], where: str) -> Pair:
    return Pair(
        pair=_text(entry, wire.F_PAIR, where),
        base=_text(entry, wire.F_BASE, where),
        quote=_text(entry, wire.F_QUOTE, where),
    )


def parse_pairs(body: object) -> tuple[Pair, ...]:
    """*List pairs*."""
    with _reading("list_pairs"):
        return tuple(_pair(_obj(item, f"{_ROOT}[{i}]"), f"{_ROOT}[{i}]") for i, item in enumerate(_list(body, _ROOT)))


def parse_pair_stats(body: object) -> PairStats:
    """*Retrieve pair*: statistics over the window the venue used."""
    with _reading("retrieve_pair"):
        entry = _obj(body, _ROOT)
        pair = _pair(entry, _ROOT)
        return PairStats(
            pair=pair.pair,
            base=pair.base,
            quote=pair.quote,
            start=_ns(entry, wire.F_FROM, _ROOT),
            end=_ns(entry, wire.F_TO, _ROOT),
            open=_num(entry, wire.F_OPEN, _ROOT, positive=True),
            high=_num(entry, wire.F_HIGH, _ROOT, positive=True),
            low=_num(entry, wire.F_LOW, _ROOT, positive=True),
            close=_num(entry, wire.F_CLOSE, _ROOT, positive=True),
            change=_num(entry, wire.F_CHANGE, _ROOT),
            change_percent=_num(entry, wire.F_CHANGE_PERCENT, _ROOT),
            volume=_num(entry, wire.F_VOLUME, _ROOT),
        )


def parse_price(body: object) -> Price:
    """*Retrieve price*; ``source`` says whether it is Sintra's or Coinbase's fallback price."""
    with _reading("retrieve_price"):
        entry = _obj(body, _ROOT)
        return Price(
            ts=_ns(entry, wire.F_TIMESTAMP, _ROOT),
            base=_text(entry, wire.F_BASE, _ROOT),
            quote=_text(entry, wire.F_QUOTE, _ROOT),
            price=_num(entry, wire.F_PRICE, _ROOT, positive=True),
            source=_text(entry, wire.F_SOURCE, _ROOT),
        )


def parse_price_board(body: object, endpoint: str = "list_prices") -> PriceBoard:
    """*List prices* (or a WebSocket ``data`` event): missing currencies are simply absent."""
    with _reading(endpoint):
        return _board(body, _ROOT)


def parse_price_history(body: object, quote: str) -> tuple[Price, ...]:
    """*List price history* of ``btc<quote>``: one Price per grid time, in the order sent."""
    with _reading("list_price_history"):
        out = []
        for i, item in enumerate(_list(body, _ROOT)):
            where = f"{_ROOT}[{i}]"
            entry = _obj(item, where)
            out.append(
                Price(
                    ts=_ns(entry, wire.F_TIMESTAMP, where),
                    base=wire.BASE_CURRENCY,
                    quote=quote,
                    price=_num(entry, wire.F_PRICE, where, positive=True),
                    source=wire.SOURCE_SINTRA,
                )
            )
        return tuple(out)


def parse_session(body: object) -> Session:
    """*Create session*."""
    with _reading("create_session"):
        entry = _obj(body, _ROOT)
        return Session(
            session_id=_text(entry, wire.F_SESSION_ID, _ROOT),
            expires_at=_ns(entry, wire.F_EXPIRES_AT, _ROOT),
        )


def parse_error_body(body: object) -> tuple[str, str, str | None] | None:
    """``(message, type, code)`` of a documented error body, or None if it has another shape."""
    if not isinstance(body, dict):
        return None
    message, error_type, code = (body.get(k) for k in (wire.F_MESSAGE, wire.F_TYPE, wire.F_CODE))
    if not isinstance(message, str) or not isinstance(error_type, str):
        return None
    return message, error_type, code if isinstance(code, str) else None


def parse_ws_event(text: str) -> WsEvent:
    """One WebSocket message; ProtocolError for anything but a well-formed documented event."""
    endpoint = "websocket"
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as exc:  # not JSON, integers over 4300 digits, nesting too deep
        raise ProtocolError(f"{wire.VENUE} {endpoint}: message is not JSON ({type(exc).__name__}): "
                            f"{_shown(text)}") from None
    with _reading(endpoint):
        event = _obj(message, "message")
        kind = _text(event, wire.F_EVENT, "message")
        data = _get(event, wire.F_DATA, "message")
        where = f"message.{wire.F_DATA}"
        if kind == wire.EVENT_DATA:
            return WsPrices(_board(data, where).prices)
        entry = _obj(data, where)
        if kind == wire.EVENT_CONNECTION:
            return WsConnected(
                plan=_text(entry, wire.F_PLAN, where),
                interval_s=_int(entry, wire.F_INTERVAL, where, minimum=1),
                message=_text(entry, wire.F_MESSAGE, where),
            )
        if kind == wire.EVENT_ERROR:
            code = entry.get(wire.F_CODE)
            if code is not None and not isinstance(code, str):
                raise _ShapeError(f"{where}.{wire.F_CODE}", f"must be a string, got {_shown(code)}")
            return WsError(
                message=_text(entry, wire.F_MESSAGE, where),
                error_type=_text(entry, wire.F_TYPE, where),
                code=code,
            )
        raise _ShapeError(f"message.{wire.F_EVENT}", f"is not a known event: {_shown(kind)}")
