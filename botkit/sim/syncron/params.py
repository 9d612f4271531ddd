"""Request parameters of the REST API as pydantic models.

The handlers parse with them and the OpenAPI document is generated from them, so the two cannot
drift apart.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model, model_validator

from botkit.sim.syncron.config import FaultConfig

DecimalIn = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    WithJsonSchema(
        {
            "type": ["string", "number"],
            "examples": ["0.01"],
            "description": "decimal; a string is recommended",
        }
    ),
]
SYMBOL = Field(description="symbol, e.g. BTCUSD", examples=["BTCUSD"])


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SymbolQuery(_Params):
    """Query with a required symbol."""

    symbol: str = SYMBOL


class OptionalSymbolQuery(_Params):
    """Query with an optional symbol filter."""

    symbol: str | None = Field(default=None, description="only this symbol", examples=["BTCUSD"])


class OrderbookQuery(_Params):
    """``GET /v5/market/orderbook``."""

    symbol: str = SYMBOL
    depth: int = Field(default=50, ge=1, le=200)


class TradesQuery(_Params):
    """``GET /v5/market/trades``."""

    symbol: str = SYMBOL
    limit: int = Field(default=100, ge=1, le=1000)


class KlinesQuery(_Params):
    """``GET /v5/market/klines``."""

    symbol: str = SYMBOL
    interval: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1m"
    start: int | None = Field(default=None, ge=0, description="ms, inclusive on open time")
    end: int | None = Field(default=None, ge=0, description="ms, inclusive on open time")
    limit: int = Field(default=200, ge=1, le=1000)


class PlaceOrderBody(_Params):
    """``POST /v5/order``."""

    symbol: str = SYMBOL
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop"]
    qty: DecimalIn
    price: DecimalIn | None = None
    stop_price: DecimalIn | None = None
    time_in_force: Literal["gtc", "ioc", "fok"] | None = None
    post_only: bool = False
    reduce_only: bool = False
    client_order_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,36}$")


class OrderRefQuery(_Params):
    """Exactly one of ``order_id`` and ``client_order_id``."""

    order_id: str | None = None
    client_order_id: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> OrderRefQuery:
        if (self.order_id is None) == (self.client_order_id is None):
            raise ValueError("give exactly one of order_id and client_order_id")
        return self


class FillsQuery(_Params):
    """``GET /v5/fills``."""

    symbol: str | None = Field(default=None, description="only this symbol", examples=["BTCUSD"])
    order_id: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    start: int | None = Field(default=None, ge=0, description="ms, inclusive: fills at or after")
    end: int | None = Field(default=None, ge=0, description="ms, inclusive: fills at or before (page backwards)")


class EmptyBody(_Params):
    """A body that must be empty or ``{}``."""


class RefreshBody(_Params):
    """``POST /v5/auth/refresh``."""

    refresh_token: str = Field(min_length=1)


FaultPatch: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "FaultPatch",
    __config__=ConfigDict(extra="forbid"),
    __doc__="Fault switches to change (same names and types as FaultConfig); others stay.",
    **{name: (field.annotation, None) for name, field in FaultConfig.model_fields.items()},
)
