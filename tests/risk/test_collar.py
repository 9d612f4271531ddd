"""The price collar rule."""

import pytest

from botkit.model.enums import Side
from botkit.risk.collar import price_collar
from botkit.risk.engine import RiskEngine
from botkit.risk.rules import SizedOrder


class FlatView:
    def position(self, symbol: str) -> float:
        return 0.0

    def working_qty(self, symbol: str) -> float:
        return 0.0

    def cash(self) -> float:
        return 1e6

    def equity(self) -> float:
        return 1e6


def test_collar_rejects_orders_priced_beyond_the_reference():
    refs = {"BTCUSD": 60_000.0}
    engine = RiskEngine([price_collar(100, refs.get)])
    assert engine.check(SizedOrder("BTCUSD", Side.BUY, 0.1, 60_500.0), FlatView()) is None
    reason = engine.check(SizedOrder("BTCUSD", Side.BUY, 0.1, 61_000.0), FlatView())
    assert reason is not None and "price_collar_bps" in reason and "166.7 bps" in reason
    assert engine.check(SizedOrder("BTCUSD", Side.SELL, 0.1, 59_000.0), FlatView()) is not None


def test_collar_without_a_reference_lets_nothing_by():
    engine = RiskEngine([price_collar(100, lambda symbol: None)])
    assert "no reference price" in (engine.check(SizedOrder("ETHUSD", Side.BUY, 1, 3000.0), FlatView()) or "")
    with pytest.raises(ValueError):
        price_collar(0, lambda s: 1.0)


def test_the_stale_data_guard_refuses_orders_on_a_frozen_feed():
    from botkit.risk.collar import stale_data_guard

    ages: dict[str, float] = {"BTCUSD": 0.05}
    engine = RiskEngine([stale_data_guard(500, ages.get)])
    order = SizedOrder("BTCUSD", Side.BUY, 0.1, 60_000.0)
    assert engine.check(order, FlatView()) is None
    ages["BTCUSD"] = 2.0
    reason = engine.check(order, FlatView())
    assert reason is not None and "2000 ms old" in reason and "max_data_age_ms 500" in reason
    assert "no market data" in (engine.check(SizedOrder("ETHUSD", Side.BUY, 1, 3000.0), FlatView()) or "")
