"""Response objects of the contract as pydantic models, and converters from venue state.

REST handlers and WebSocket pushes build their payloads only through these, and the OpenAPI
document takes its schemas from them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.sim.syncron.config import SymbolConfig
from botkit.sim.syncron.records import FillRecord, SimOrder, TradeRecord
from botkit.sim.syncron.tape import Candle, DayStats


def fmt_decimal(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros: ``Decimal("1E+2")`` → ``"100"``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


DecStr = Annotated[
    Decimal,
    PlainSerializer(fmt_decimal, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["60000.5"], "description": "decimal"}),
]
Level = tuple[DecStr, DecStr]

SIDE_WIRE: dict[Side, Literal["buy", "sell"]] = {Side.BUY: "buy", Side.SELL: "sell"}
TYPE_WIRE: dict[OrderType, Literal["market", "limit", "stop"]] = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
}
TIF_WIRE: dict[TimeInForce, Literal["gtc", "ioc", "fok"]] = {
    TimeInForce.GTC: "gtc",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
}
SIDE_FROM_WIRE = {v: k for k, v in SIDE_WIRE.items()}
TYPE_FROM_WIRE = {v: k for k, v in TYPE_WIRE.items()}
TIF_FROM_WIRE = {v: k for k, v in TIF_WIRE.items()}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)

    def wire(self) -> dict[str, Any]:
        """JSON-ready dict of this object."""
        return self.model_dump(mode="json")


class ServerTimeOut(_Out):
    """``GET /v5/time``."""

    server_time: int


class InstrumentOut(_Out):
    """A tradable symbol and its rules."""

    symbol: str
    base: str
    quote: str
    tick_size: DecStr
    lot_size: DecStr
    min_qty: DecStr
    min_notional: DecStr
    status: Literal["trading"] = "trading"

    @classmethod
    def of(cls, spec: SymbolConfig) -> InstrumentOut:
        """The instrument object of ``spec``."""
        return cls(
            symbol=spec.symbol,
            base=spec.base,
            quote=spec.quote,
            tick_size=spec.tick_size,
            lot_size=spec.lot_size,
            min_qty=spec.lot_size,
            min_notional=spec.min_notional,
        )


class TickerOut(_Out):
    """Top of book, last price and 24 h statistics."""

    symbol: str
    bid: DecStr | None
    bid_qty: DecStr | None
    ask: DecStr | None
    ask_qty: DecStr | None
    last: DecStr | None
    open_24h: DecStr | None
    high_24h: DecStr | None
    low_24h: DecStr | None
    volume_24h: DecStr
    ts: int

    @classmethod
    def of(
        cls,
        symbol: str,
        top: tuple[Level | None, Level | None],
        last: Decimal | None,
        day: DayStats,
        ts: int,
    ) -> TickerOut:
        """The ticker from best (price, qty) levels, the last price and the day's stats."""
        bid, ask = top
        return cls(
            symbol=symbol,
            bid=bid[0] if bid else None,
            bid_qty=bid[1] if bid else None,
            ask=ask[0] if ask else None,
            ask_qty=ask[1] if ask else None,
            last=last,
            open_24h=day.open,
            high_24h=day.high,
            low_24h=day.low,
            volume_24h=day.volume,
            ts=ts,
        )


class OrderbookOut(_Out):
    """An L2 book at ``seq``: bids highest first, asks lowest first."""

    symbol: str
    seq: int
    ts: int
    bids: list[Level]
    asks: list[Level]


class BookUpdateOut(_Out):
    """``data`` of a ``book.{symbol}`` push (snapshot or delta)."""

    symbol: str
    seq: int
    bids: list[Level]
    asks: list[Level]


class TradeOut(_Out):
    """A public trade; ``side`` is the taker's."""

    trade_id: str
    symbol: str
    price: DecStr
    qty: DecStr
    side: Literal["buy", "sell"]
    ts: int

    @classmethod
    def of(cls, t: TradeRecord) -> TradeOut:
        """The wire form of ``t``."""
        return cls(
            trade_id=t.trade_id,
            symbol=t.symbol,
            price=t.price,
            qty=t.qty,
            side=SIDE_WIRE[t.side],
            ts=t.ts,
        )


class KlineOut(_Out):
    """One OHLCV candle."""

    open_time: int
    close_time: int
    open: DecStr
    high: DecStr
    low: DecStr
    close: DecStr
    volume: DecStr

    @classmethod
    def of(cls, c: Candle) -> KlineOut:
        """The wire form of ``c``."""
        return cls(
            open_time=c.open_time,
            close_time=c.close_time,
            open=c.open,
            high=c.high,
            low=c.low,
            close=c.close,
            volume=c.volume,
        )


class TokenOut(_Out):
    """A JWT access token and its refresh token."""

    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: int
    refresh_token: str
    refresh_expires_at: int


class OrderOut(_Out):
    """An order as the contract shows it."""

    order_id: str
    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop"]
    time_in_force: Literal["gtc", "ioc", "fok"]
    price: DecStr | None
    stop_price: DecStr | None
    qty: DecStr
    filled_qty: DecStr
    filled_quote: DecStr
    avg_fill_price: DecStr | None
    status: Literal["untriggered", "new", "partially_filled", "filled", "canceled", "expired"]
    cancel_reason: str | None
    post_only: bool
    reduce_only: bool
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, o: SimOrder) -> OrderOut:
        """The wire form of ``o``."""
        return cls(
            order_id=o.order_id,
            client_order_id=o.client_order_id,
            symbol=o.symbol,
            side=SIDE_WIRE[o.side],
            type=TYPE_WIRE[o.order_type],
            time_in_force=TIF_WIRE[o.time_in_force],
            price=o.price,
            stop_price=o.stop_price,
            qty=o.qty,
            filled_qty=o.filled_qty,
            filled_quote=o.filled_quote,
            avg_fill_price=o.avg_fill_price,
            status=o.status.value,
            cancel_reason=o.cancel_reason,
            post_only=o.post_only,
            reduce_only=o.reduce_only,
            created_at=o.created_at,
            updated_at=o.updated_at,
        )


class FillOut(_Out):
    """One execution of an own order."""

    fill_id: str
    trade_id: str
    order_id: str
    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    price: DecStr
    qty: DecStr
    fee: DecStr
    fee_asset: str
    liquidity: Literal["maker", "taker"]
    ts: int

    @classmethod
    def of(cls, f: FillRecord) -> FillOut:
        """The wire form of ``f``."""
        return cls(
            fill_id=f.fill_id,
            trade_id=f.trade_id,
            order_id=f.order_id,
            client_order_id=f.client_order_id,
            symbol=f.symbol,
            side=SIDE_WIRE[f.side],
            price=f.price,
            qty=f.qty,
            fee=f.fee,
            fee_asset=f.fee_asset,
            liquidity=f.liquidity.value,
            ts=f.ts,
        )


class BalanceOut(_Out):
    """Funds in one asset."""

    asset: str
    free: DecStr
    locked: DecStr
    total: DecStr


class PositionOut(_Out):
    """Net quantity traded in a symbol, its average price and PnL."""

    symbol: str
    qty: DecStr
    avg_price: DecStr | None
    realized_pnl: DecStr
    unrealized_pnl: DecStr
    mark_price: DecStr | None


class DroppedOut(_Out):
    """How many WebSocket connections an admin drop closed."""

    dropped: int
