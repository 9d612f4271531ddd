"""Order and cancel rates in a sliding one-second window."""

import pytest

from botkit.model.enums import Side
from botkit.risk.rates import RateWindow, max_orders_per_s
from botkit.risk.rejection import RejectCode
from botkit.risk.rules import SizedOrder

S = 1_000_000_000


def test_the_window_slides():
    window = RateWindow(2)
    assert window.take(0) and window.take(S // 2) and not window.take(S - 1)
    assert window.take(S), "the first action left the window"
    assert not window.take(S + S // 4)
    with pytest.raises(ValueError):
        RateWindow(0)


def test_the_order_rate_rule_names_its_setting():
    now = [0]
    rule = max_orders_per_s(1, lambda: now[0])
    order = SizedOrder("BTCUSD", Side.BUY, 1.0, 100.0)
    assert rule(order, None) is None  # type: ignore[arg-type]
    refused = rule(order, None)  # type: ignore[arg-type]
    assert refused is not None and refused.code is RejectCode.ORDER_RATE and refused.rule == "risk.max_orders_per_s"
    now[0] = 2 * S
    assert rule(order, None) is None  # type: ignore[arg-type]
