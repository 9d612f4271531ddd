"""Order bodies: plain decimal text, grid rounding, and what each order type may carry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.core.errors import ConfigError
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.instruments import Instrument
from botkit.model.orders import OrderIntent
from botkit.venues.syncron.orders import (
    check_client_order_id,
    decimal_text,
    intent_body,
    new_client_order_id,
    on_grid,
)

BTC = Instrument("BTCUSD", "syncron", "BTC", "USD", 0.1, 0.0001, 5.0)


@pytest.mark.parametrize(("value", "text"), [
    (1e-05, "0.00001"), (0.1 + 0.2, "0.30000000000000004"), (60000.0, "60000"), (Decimal("1E+2"), "100"),
    ("0.0100", "0.01"), (3, "3"),
])
def test_decimal_text_never_uses_exponents(value: object, text: str) -> None:
    assert decimal_text("qty", value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), "abc", True, None])
def test_decimal_text_refuses_what_is_not_a_positive_number(value: object) -> None:
    with pytest.raises(ConfigError, match="qty"):
        decimal_text("qty", value)  # type: ignore[arg-type]


@given(st.floats(min_value=0.0001, max_value=1e6))
def test_grid_rounding_gives_whole_lots(qty: float) -> None:
    text = on_grid(qty, 0.0001, down=True)
    units = Decimal(text) / Decimal("0.0001")
    assert units == units.to_integral_value() and Decimal(text) <= Decimal(repr(qty)) + Decimal("1e-9")


def test_intent_bodies() -> None:
    body = intent_body(OrderIntent("BTCUSD", Side.BUY, 0.1 + 0.2, OrderType.LIMIT, limit_price=60_000.06), "c1", BTC)
    assert body == {"symbol": "BTCUSD", "side": "buy", "type": "limit", "qty": "0.3", "price": "60000.1",
                    "time_in_force": "gtc", "client_order_id": "c1"}
    market = intent_body(OrderIntent("BTCUSD", Side.SELL, 0.5), "c2", BTC)
    assert "time_in_force" not in market and "price" not in market  # GTC is not for market orders
    stop = intent_body(OrderIntent("BTCUSD", Side.SELL, 0.5, OrderType.STOP, stop_price=50_000.0,
                                   time_in_force=TimeInForce.FOK), "c3")
    assert stop["stop_price"] == "50000" and stop["time_in_force"] == "fok"
    flags = intent_body(OrderIntent("BTCUSD", Side.BUY, 1.0, OrderType.LIMIT, limit_price=1.0, post_only=True,
                                    reduce_only=True), "c4")
    assert flags["post_only"] is True and flags["reduce_only"] is True
    with pytest.raises(ConfigError, match="no qty"):
        intent_body(OrderIntent("BTCUSD", Side.BUY, None), "c5")
    with pytest.raises(ConfigError, match="qty must be"):
        intent_body(OrderIntent("BTCUSD", Side.BUY, 0.00001), "c6", BTC)  # rounds down to nothing
    with pytest.raises(ConfigError, match="post_only"):
        intent_body(OrderIntent("BTCUSD", Side.BUY, 1.0, post_only=True), "c7")


def test_client_order_ids() -> None:
    generated = {new_client_order_id() for _ in range(100)}
    assert len(generated) == 100 and all(check_client_order_id(c) for c in generated)
    for bad in ("", "x" * 37, "a b", "é"):
        with pytest.raises(ConfigError, match="client_order_id"):
            check_client_order_id(bad)
