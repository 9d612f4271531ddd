"""The market-state guards: price collar, stale data, book resync and clock skew."""

import pytest

from botkit.model.enums import Side
from botkit.risk.collar import book_sync_guard, clock_skew_guard, price_collar, stale_data_guard
from botkit.risk.engine import RiskEngine
from botkit.risk.rejection import RejectCode
from botkit.risk.rules import SizedOrder


class FlatView:
    def position(self, symbol: str) -> float:
        return 0.0

    def working_qty(self, symbol: str, side=None) -> float:
        return 0.0

    def open_order_count(self) -> int:
        return 0

    def symbols_held(self) -> list[str]:
        return []

    def mark(self, symbol: str) -> float | None:
        return None

    def cash(self) -> float:
        return 1e6

    def equity(self) -> float:
        return 1e6


def test_collar_rejects_orders_priced_beyond_the_reference():
    refs = {"BTCUSD": 60_000.0}
    engine = RiskEngine([], [price_collar(100, refs.get)])
    assert engine.check(SizedOrder("BTCUSD", Side.BUY, 0.1, 60_500.0), FlatView()) is None
    refused = engine.check(SizedOrder("BTCUSD", Side.BUY, 0.1, 61_000.0), FlatView())
    assert refused is not None and refused.code is RejectCode.PRICE_COLLAR and refused.rule == "risk.price_collar_bps"
    assert "166.7 bps" in str(refused) and refused.limit == 100 and refused.value == pytest.approx(166.67, abs=0.01)
    assert engine.check(SizedOrder("BTCUSD", Side.SELL, 0.1, 59_000.0), FlatView()) is not None


def test_collar_without_a_reference_lets_nothing_by():
    engine = RiskEngine([], [price_collar(100, lambda symbol: None)])
    refused = engine.check(SizedOrder("ETHUSD", Side.BUY, 1, 3000.0), FlatView())
    assert refused is not None and refused.code is RejectCode.NO_REFERENCE
    with pytest.raises(ValueError):
        price_collar(0, lambda s: 1.0)


def test_the_stale_data_guard_refuses_orders_on_a_frozen_feed():
    ages: dict[str, float] = {"BTCUSD": 0.05}
    engine = RiskEngine([], [stale_data_guard(500, ages.get)])
    order = SizedOrder("BTCUSD", Side.BUY, 0.1, 60_000.0)
    assert engine.check(order, FlatView()) is None
    ages["BTCUSD"] = 2.0
    refused = engine.check(order, FlatView())
    assert refused is not None and refused.code is RejectCode.STALE_DATA
    assert "2000 ms old" in str(refused) and "max_data_age_ms 500" in str(refused)
    assert "no market data" in str(engine.check(SizedOrder("ETHUSD", Side.BUY, 1, 3000.0), FlatView()))


def test_the_book_guard_refuses_orders_while_the_book_resyncs_and_the_recheck_applies_it_too():
    resyncing = {"BTCUSD"}
    engine = RiskEngine([], [book_sync_guard(resyncing.__contains__)])
    order = SizedOrder("BTCUSD", Side.BUY, 0.1, 60_000.0)
    assert engine.check(order, FlatView()).code is RejectCode.BOOK_RESYNCING
    assert engine.recheck(order, FlatView()).code is RejectCode.BOOK_RESYNCING
    resyncing.clear()
    assert engine.check(order, FlatView()) is None and engine.recheck(order, FlatView()) is None


def test_the_clock_skew_guard_refuses_orders_while_the_clocks_disagree():
    offset: list[float | None] = [None]
    engine = RiskEngine([], [clock_skew_guard(1_000, lambda: offset[0])])
    order = SizedOrder("BTCUSD", Side.BUY, 0.1, 60_000.0)
    assert engine.check(order, FlatView()) is None  # not measured yet
    offset[0] = -2.5
    refused = engine.check(order, FlatView())
    assert refused is not None and refused.code is RejectCode.CLOCK_SKEW and "-2500 ms" in str(refused)
    offset[0] = 0.3
    assert engine.check(order, FlatView()) is None
    with pytest.raises(ValueError):
        clock_skew_guard(0, lambda: 0.0)
