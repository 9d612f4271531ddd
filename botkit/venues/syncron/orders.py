"""Order requests on the wire: decimal text, client order ids, and the ``POST /v5/order`` body.

Checks what the contract makes checkable before sending (a client order id's pattern, a finite
positive quantity, which fields each order type takes) and raises ``ConfigError`` naming the
argument, so no request is spent on an order the venue would refuse for its shape. Trading rules
(tick, lot, min notional) are the venue's to check; ``intent_body`` rounds to them when it is
given the instrument.
"""

from __future__ import annotations

import math
import re
import uuid
from decimal import Decimal, InvalidOperation

from botkit.core.errors import ConfigError
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.instruments import Instrument
from botkit.model.orders import OrderIntent
from botkit.venues.syncron import wire

DecimalLike = Decimal | float | int | str
"""What order arguments accept for decimals: a float, an int, a Decimal or decimal text."""

SIDE_TEXT = {Side.BUY: wire.SIDE_BUY, Side.SELL: wire.SIDE_SELL}
TYPE_TEXT = {OrderType.MARKET: wire.TYPE_MARKET, OrderType.LIMIT: wire.TYPE_LIMIT, OrderType.STOP: wire.TYPE_STOP}
TIF_TEXT = {TimeInForce.GTC: wire.TIF_GTC, TimeInForce.IOC: wire.TIF_IOC, TimeInForce.FOK: wire.TIF_FOK}
_CLIENT_ID = re.compile(wire.CLIENT_ORDER_ID_PATTERN)
CLIENT_ID_PREFIX = "bk-"


def new_client_order_id() -> str:
    """A fresh client order id (``bk-`` and 24 hex digits), unique per account in practice."""
    return CLIENT_ID_PREFIX + uuid.uuid4().hex[:24]


def check_client_order_id(value: str) -> str:
    """``value`` if it is 1-36 characters of ``[A-Za-z0-9_-]``, else ConfigError."""
    if not isinstance(value, str) or _CLIENT_ID.fullmatch(value) is None:
        raise ConfigError(f"client_order_id must be 1-36 characters of [A-Za-z0-9_-], got {value!r}")
    return value


def decimal_text(name: str, value: DecimalLike, *, positive: bool = True) -> str:
    """``value`` as plain decimal text (no exponent): ``1e-05`` → ``"0.00001"``."""
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise ConfigError(f"{name} must be a decimal number, got {value!r}") from None
    if not number.is_finite() or (positive and number <= 0):
        raise ConfigError(f"{name} must be a finite number{' > 0' if positive else ''}, got {value!r}")
    text = format(number.normalize(), "f")
    return text if text not in ("-0", "") else "0"


def on_grid(value: float, step: float, *, down: bool) -> str:
    """``value`` on a grid of ``step`` (rounded down or to nearest), as text with ``step``'s decimals."""
    if step <= 0:
        return decimal_text("value", value)
    units = math.floor(value / step + 1e-9) if down else round(value / step)
    places = max(0, -Decimal(repr(step)).normalize().as_tuple().exponent)  # type: ignore[operator]
    return format(Decimal(units) * Decimal(repr(step)), f".{places}f")


def order_body(
    symbol: str,
    side: Side,
    qty: DecimalLike,
    *,
    order_type: OrderType,
    price: DecimalLike | None,
    stop_price: DecimalLike | None,
    time_in_force: TimeInForce | None,
    post_only: bool,
    reduce_only: bool,
    client_order_id: str,
) -> dict[str, object]:
    """The JSON body of ``POST /v5/order``; ConfigError for a combination the contract forbids."""
    if order_type is OrderType.MARKET and price is not None:
        raise ConfigError("price must be None for market orders")
    if order_type is OrderType.LIMIT and price is None:
        raise ConfigError("a limit order needs a price")
    if order_type is OrderType.STOP and stop_price is None:
        raise ConfigError("a stop order needs a stop_price")
    if order_type is not OrderType.STOP and stop_price is not None:
        raise ConfigError("only stop orders take a stop_price")
    if post_only and (order_type is not OrderType.LIMIT or time_in_force not in (None, TimeInForce.GTC)):
        raise ConfigError("post_only is only for limit orders with time_in_force GTC")
    body: dict[str, object] = {
        wire.F_SYMBOL: symbol,
        wire.F_SIDE: SIDE_TEXT[Side(side)],
        wire.F_TYPE: TYPE_TEXT[OrderType(order_type)],
        wire.F_QTY: decimal_text("qty", qty),
    }
    if price is not None:
        body[wire.F_PRICE] = decimal_text("price", price)
    if stop_price is not None:
        body[wire.F_STOP_PRICE] = decimal_text("stop_price", stop_price)
    if time_in_force is not None:
        body[wire.F_TIME_IN_FORCE] = TIF_TEXT[TimeInForce(time_in_force)]
    if post_only:
        body[wire.F_POST_ONLY] = True
    if reduce_only:
        body[wire.F_REDUCE_ONLY] = True
    body[wire.F_CLIENT_ORDER_ID] = check_client_order_id(client_order_id)
    return body


def intent_body(intent: OrderIntent, client_order_id: str, instrument: Instrument | None = None) -> dict[str, object]:
    """The ``POST /v5/order`` body for a strategy's intent.

    With ``instrument``, the quantity is rounded down to the lot size and prices to the nearest
    tick, written with the grid's decimals (no float noise such as ``0.30000000000000004``). The
    model's default GTC is left to the venue's default where the contract forbids it (market and
    stop-market orders are IOC).
    """
    if intent.qty is None:
        raise ConfigError(f"order intent for {intent.symbol} has no qty: size it before submitting")
    qty: DecimalLike = intent.qty
    price: DecimalLike | None = intent.limit_price if intent.order_type is not OrderType.MARKET else None
    stop: DecimalLike | None = intent.stop_price if intent.order_type is OrderType.STOP else None
    if instrument is not None:
        qty = on_grid(intent.qty, instrument.lot_size, down=True)
        price = on_grid(float(price), instrument.tick_size, down=False) if price is not None else None
        stop = on_grid(float(stop), instrument.tick_size, down=False) if stop is not None else None
    tif: TimeInForce | None = intent.time_in_force
    if tif is TimeInForce.GTC and (intent.order_type is OrderType.MARKET or (
            intent.order_type is OrderType.STOP and price is None)):
        tif = None
    return order_body(
        intent.symbol, intent.side, qty, order_type=intent.order_type, price=price, stop_price=stop,
        time_in_force=tif, post_only=intent.post_only, reduce_only=intent.reduce_only,
        client_order_id=client_order_id,
    )
