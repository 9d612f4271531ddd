"""Pre-trade risk rules: what each refuses, and that a bot outside its limit can always trade back in."""

from dataclasses import dataclass

from botkit.model.enums import Side
from botkit.risk.rules import SizedOrder, max_position


@dataclass
class View:
    held: float = 0.0
    working: float = 0.0

    def position(self, symbol: str) -> float:
        return self.held

    def working_qty(self, symbol: str) -> float:
        return self.working

    def cash(self) -> float:
        return 1e6

    def equity(self) -> float:
        return 1e6


def order(side: Side, qty: float) -> SizedOrder:
    return SizedOrder("BTCUSD", side, qty, 60_000.0)


def test_max_position_refuses_an_order_that_would_take_the_exposure_beyond_the_limit():
    reason = max_position(0.02)(order(Side.SELL, 0.01), View(held=-0.015))
    assert reason is not None and "-0.025" in reason and "max_position 0.02" in reason


def test_max_position_allows_reducing_orders_when_the_bot_is_already_outside_its_limit():
    rule = max_position(0.02)
    outside = View(held=-0.021)  # an offsetting working order was canceled
    assert rule(order(Side.BUY, 0.01), outside) is None
    assert rule(order(Side.BUY, 0.001), outside) is None
    assert rule(order(Side.SELL, 0.001), outside) is not None


def test_max_position_ignores_float_noise_at_the_limit():
    assert max_position(0.02)(order(Side.SELL, 0.1 * 0.1), View(held=-0.01 - 1e-15)) is None
