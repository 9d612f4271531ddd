"""Request parameters of the REST API as pydantic models, with bounded field types.

The handlers parse with them and the OpenAPI document is generated from them, so the two cannot
drift apart. Every field type is bounded (``inputs``): ASCII digits, finite decimals of limited
size, identifiers of limited length and alphabet, so no client value reaches the venue unchecked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    create_model,
    model_validator,
)

from botkit.sim.syncron.config import FaultConfig
from botkit.sim.syncron.inputs import bounded_decimal, bounded_int_text

MAX_TIMESTAMP_MS = 2**63 - 1
"""Largest timestamp a query accepts (any int64 ms: "the far future" is a valid ``end``)."""
MAX_TOKEN_CHARS = 4096
"""Longest token accepted (the simulator's JWTs are about 250 characters)."""

DecimalIn = Annotated[
    Decimal,
    BeforeValidator(bounded_decimal),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "examples": ["0.01"],
            "description": "decimal; a string is recommended",
        }
    ),
]
SymbolIn = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9]{1,32}$", description="symbol, e.g. BTCUSD", examples=["BTCUSD"]),
]
ClientOrderIdIn = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,36}$")]
OrderRefIn = Annotated[
    str,
    Field(min_length=1, max_length=64, description="an id to look up: one that cannot exist is 40401"),
]
TokenIn = Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_CHARS)]
CountIn = Annotated[int, BeforeValidator(bounded_int_text(4))]
TimestampIn = Annotated[
    int, BeforeValidator(bounded_int_text(19)), Field(ge=0, le=MAX_TIMESTAMP_MS)
]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SymbolQuery(_Params):
    """Query with a required symbol."""

    symbol: SymbolIn


class OptionalSymbolQuery(_Params):
    """Query with an optional symbol filter."""

    symbol: SymbolIn | None = Field(default=None, description="only this symbol")


class OrderbookQuery(_Params):
    """``GET /v5/market/orderbook``."""

    symbol: SymbolIn
    depth: CountIn = Field(default=50, ge=1, le=200)


class TradesQuery(_Params):
    """``GET /v5/market/trades``."""

    symbol: SymbolIn
    limit: CountIn = Field(default=100, ge=1, le=1000)


class KlinesQuery(_Params):
    """``GET /v5/market/klines``."""

    symbol: SymbolIn
    interval: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1m"
    start: TimestampIn | None = Field(default=None, description="ms, inclusive on open time")
    end: TimestampIn | None = Field(default=None, description="ms, inclusive on open time")
    limit: CountIn = Field(default=200, ge=1, le=1000)


class PlaceOrderBody(_Params):
    """``POST /v5/order``."""

    symbol: SymbolIn
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop"]
    qty: DecimalIn
    price: DecimalIn | None = None
    stop_price: DecimalIn | None = None
    time_in_force: Literal["gtc", "ioc", "fok"] | None = None
    post_only: StrictBool = False
    reduce_only: StrictBool = False
    client_order_id: ClientOrderIdIn | None = None


class OrderRefQuery(_Params):
    """Exactly one of ``order_id`` and ``client_order_id``."""

    order_id: OrderRefIn | None = None
    client_order_id: OrderRefIn | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> OrderRefQuery:
        if (self.order_id is None) == (self.client_order_id is None):
            raise ValueError("give exactly one of order_id and client_order_id")
        return self


class FillsQuery(_Params):
    """``GET /v5/fills``."""

    symbol: SymbolIn | None = Field(default=None, description="only this symbol")
    order_id: OrderRefIn | None = None
    limit: CountIn = Field(default=100, ge=1, le=1000)
    start: TimestampIn | None = Field(default=None, description="ms, inclusive: fills at or after")
    end: TimestampIn | None = Field(
        default=None, description="ms, inclusive: fills at or before (page backwards)"
    )


class EmptyBody(_Params):
    """A body that must be empty or ``{}``."""


class RefreshBody(_Params):
    """``POST /v5/auth/refresh``."""

    refresh_token: TokenIn


FaultPatch: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "FaultPatch",
    __config__=ConfigDict(extra="forbid"),
    __doc__="Fault switches to change (same names and types as FaultConfig); others stay.",
    **{name: (field.annotation, None) for name, field in FaultConfig.model_fields.items()},
)
