"""The risk engine's trading state: halted, reducing for a reason or while a condition holds, active."""

from botkit.model.enums import Side
from botkit.risk.engine import RiskEngine, TradingState
from botkit.risk.rejection import RejectCode
from botkit.risk.rules import SizedOrder


class LongView:
    """Long 2 units, one working sell of 0.5."""

    def position(self, symbol: str) -> float:
        return 2.0

    def working_qty(self, symbol: str, side: Side | None = None) -> float:
        return -0.5 if side in (None, Side.SELL) else 0.0

    def open_order_count(self) -> int:
        return 1

    def symbols_held(self) -> list[str]:
        return ["BTCUSD"]

    def mark(self, symbol: str) -> float | None:
        return 100.0

    def cash(self) -> float:
        return 0.0

    def equity(self) -> float:
        return 200.0


def test_reducing_allows_only_orders_that_bring_the_position_nearer_to_zero():
    engine = RiskEngine([], reduce_only=True)
    assert engine.state is TradingState.REDUCING and engine.reducing_reasons == ["risk.reduce_only"]
    view = LongView()
    assert engine.check(SizedOrder("BTCUSD", Side.SELL, 1.5, 100.0), view) is None
    refused = engine.check(SizedOrder("BTCUSD", Side.SELL, 1.6, 100.0), view)
    assert refused is not None and refused.code is RejectCode.REDUCE_ONLY, "with the working sell it would flip"
    assert engine.check(SizedOrder("BTCUSD", Side.BUY, 0.1, 100.0), view).code is RejectCode.REDUCE_ONLY
    own = SizedOrder("BTCUSD", Side.SELL, 0.5, 100.0)
    assert engine.recheck(own, view) is None, "its own working quantity is not counted twice"


def test_a_condition_makes_the_engine_reducing_while_it_holds_and_a_halt_overrides_everything():
    waiting = [True]
    engine = RiskEngine([])
    engine.reduce_while("rate limited", lambda: waiting[0])
    assert engine.state is TradingState.REDUCING and engine.reducing_reasons == ["rate limited"]
    waiting[0] = False
    assert engine.state is TradingState.ACTIVE
    engine.halt("kill switch")
    refused = engine.check(SizedOrder("BTCUSD", Side.SELL, 0.1, 100.0), LongView())
    assert engine.state is TradingState.HALTED and refused.code is RejectCode.HALTED and "kill switch" in str(refused)
    engine.rearm()
    assert engine.state is TradingState.ACTIVE
