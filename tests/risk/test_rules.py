"""Pre-trade risk rules: what each refuses, with which code, and that a bot outside its limit can trade back in."""

from dataclasses import dataclass, field

import pytest

from botkit.model.enums import Side
from botkit.risk.rejection import RejectCode
from botkit.risk.rules import (
    RiskLimits,
    SizedOrder,
    max_gross_exposure,
    max_net_exposure,
    max_open_orders,
    max_order_notional,
    max_order_qty,
    max_position,
    no_short,
    positive_quantity,
    reduces_position,
    rules_from_limits,
)


@dataclass
class View:
    """Positions and marks per symbol; working quantity per (symbol, side), signed."""

    held: dict[str, float] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)
    working: dict[tuple[str, Side], float] = field(default_factory=dict)
    orders: int = 0

    def position(self, symbol: str) -> float:
        return self.held.get(symbol, 0.0)

    def working_qty(self, symbol: str, side: Side | None = None) -> float:
        return sum(q for (s, d), q in self.working.items() if s == symbol and side in (None, d))

    def open_order_count(self) -> int:
        return self.orders

    def symbols_held(self) -> list[str]:
        return [s for s, q in self.held.items() if q != 0.0]

    def mark(self, symbol: str) -> float | None:
        return self.marks.get(symbol)

    def cash(self) -> float:
        return 1e6

    def equity(self) -> float:
        return 1e6


def order(side: Side, qty: float, symbol: str = "BTCUSD", price: float = 60_000.0) -> SizedOrder:
    return SizedOrder(symbol, side, qty, price)


def btc(held: float = 0.0, buys: float = 0.0, sells: float = 0.0) -> View:
    """A BTCUSD position with working buys (+) and sells (−)."""
    return View({"BTCUSD": held}, {"BTCUSD": 60_000.0}, {("BTCUSD", Side.BUY): buys, ("BTCUSD", Side.SELL): sells})


def test_max_position_refuses_an_order_that_would_take_the_exposure_beyond_the_limit():
    refused = max_position(0.02)(order(Side.SELL, 0.01), btc(held=-0.015))
    assert refused is not None and refused.code is RejectCode.MAX_POSITION and refused.rule == "risk.max_position"
    assert "-0.025" in str(refused) and "max_position 0.02" in str(refused)
    assert refused.value == pytest.approx(-0.025) and refused.limit == 0.02


def test_max_position_allows_reducing_orders_when_the_bot_is_already_outside_its_limit():
    rule = max_position(0.02)
    outside = btc(held=-0.021)  # a fill after a reconnect left the bot outside its limit
    assert rule(order(Side.BUY, 0.01), outside) is None
    assert rule(order(Side.BUY, 0.001), outside) is None
    assert rule(order(Side.SELL, 0.001), outside) is not None


def test_max_position_ignores_float_noise_at_the_limit():
    assert max_position(0.02)(order(Side.SELL, 0.1 * 0.1), btc(held=-0.01 - 1e-15)) is None


def test_working_orders_count_on_the_orders_side_only():
    rule = max_position(1.0)
    # a working sell of 0.8 makes no room for a buy: it may be canceled a moment later
    assert rule(order(Side.BUY, 1.5), btc(sells=-0.8)) is not None
    # working buys add up with a buy, and do not count against a sell
    assert rule(order(Side.BUY, 0.5), btc(buys=0.6)) is not None
    assert rule(order(Side.SELL, 1.0), btc(buys=0.6)) is None
    refused = no_short(order(Side.SELL, 0.5), btc(buys=0.6))
    assert refused is not None and refused.code is RejectCode.NO_SHORT
    assert no_short(order(Side.SELL, 0.5), btc(held=0.6)) is None


def test_simple_rules_and_their_codes():
    assert positive_quantity(order(Side.BUY, 0.0), btc()).code is RejectCode.QTY_ZERO
    assert max_order_qty(1.0)(order(Side.BUY, 1.5), btc()).code is RejectCode.MAX_ORDER_QTY
    assert max_order_qty(1.0)(order(Side.BUY, 1.0), btc()) is None
    notional = max_order_notional(1000.0)(order(Side.BUY, 0.1, price=20_000.0), btc())
    assert notional.code is RejectCode.MAX_ORDER_NOTIONAL and notional.value == pytest.approx(2000.0)


def two_symbols(btc_held: float, eth_held: float, **working: float) -> View:
    return View({"BTCUSD": btc_held, "ETHUSD": eth_held}, {"BTCUSD": 60_000.0, "ETHUSD": 3_000.0},
                {("BTCUSD", Side.BUY): working.get("buys", 0.0), ("BTCUSD", Side.SELL): working.get("sells", 0.0)})


def test_gross_exposure_counts_other_symbols_at_their_marks_and_the_order_at_its_price():
    rule = max_gross_exposure(10_000.0)
    view = two_symbols(0.0, -2.0)  # short 6 000 of ETH
    assert rule(order(Side.BUY, 0.05, price=60_000.0), view) is None  # 6 000 + 3 000
    refused = rule(order(Side.BUY, 0.1, price=60_000.0), view)  # 6 000 + 6 000
    assert refused is not None and refused.code is RejectCode.MAX_GROSS_EXPOSURE
    assert refused.value == pytest.approx(12_000.0) and refused.limit == 10_000.0
    # working buys on the order's side count; a working sell does not lower it
    assert rule(order(Side.BUY, 0.05), two_symbols(0.0, -2.0, buys=0.02)) is not None
    assert rule(order(Side.BUY, 0.1), two_symbols(0.0, -2.0, sells=-0.1)) is not None


def test_gross_exposure_lets_an_order_through_that_lowers_it():
    rule = max_gross_exposure(10_000.0)
    over = two_symbols(0.2, -2.0)  # 12 000 + 6 000
    assert rule(order(Side.SELL, 0.1), over) is None
    assert rule(order(Side.SELL, 0.5), over) is not None, "flipping to short 0.3 (18 000) adds gross exposure"


def test_net_exposure_lets_hedges_through():
    rule = max_net_exposure(5_000.0)
    view = two_symbols(0.0, -2.0)  # net -6 000: outside, but a buy brings it nearer to zero
    assert rule(order(Side.BUY, 0.1), view) is None  # net 0
    assert rule(order(Side.BUY, 0.2), view) is None  # net +6 000: outside, but no farther from zero
    refused = rule(order(Side.BUY, 0.25), view)  # net +9 000
    assert refused is not None and refused.code is RejectCode.MAX_NET_EXPOSURE and refused.value == pytest.approx(9000)
    assert rule(order(Side.SELL, 0.01), view).code is RejectCode.MAX_NET_EXPOSURE


def test_max_open_orders_counts_all_symbols():
    rule = max_open_orders(2)
    assert rule(order(Side.BUY, 1.0), View(orders=1)) is None
    refused = rule(order(Side.BUY, 1.0), View(orders=2))
    assert refused is not None and refused.code is RejectCode.MAX_OPEN_ORDERS and refused.limit == 2.0


def test_reduces_position_counts_working_orders_on_the_orders_side():
    assert reduces_position(order(Side.SELL, 1.0), btc(held=1.0))
    assert not reduces_position(order(Side.SELL, 1.1), btc(held=1.0)), "it would flip the position"
    assert not reduces_position(order(Side.SELL, 0.6), btc(held=1.0, sells=-0.5))
    assert reduces_position(order(Side.SELL, 0.6), btc(held=1.0, buys=0.5)), "working buys do not matter"
    assert not reduces_position(order(Side.BUY, 0.1), btc(held=1.0))
    assert not reduces_position(order(Side.BUY, 0.1), btc())
    assert reduces_position(order(Side.SELL, 0.5), btc(held=1.0, sells=-1.0), own_working=0.5)


def test_rules_from_limits_in_the_kernels_order():
    limits = RiskLimits(max_order_qty=1, max_order_notional=10, max_position=1, allow_short=False,
                        max_gross_exposure=5, max_net_exposure=5, max_open_orders=3)
    breaks_all = order(Side.SELL, 2.0)
    verdicts = [rule(breaks_all, View(orders=3)) for rule in rules_from_limits(limits)]
    assert verdicts[0] is None, "the quantity is positive"
    assert [v.code for v in verdicts[1:] if v is not None] == [
        RejectCode.MAX_ORDER_QTY, RejectCode.MAX_ORDER_NOTIONAL, RejectCode.MAX_POSITION, RejectCode.NO_SHORT,
        RejectCode.MAX_GROSS_EXPOSURE, RejectCode.MAX_NET_EXPOSURE, RejectCode.MAX_OPEN_ORDERS,
    ]
    assert len(rules_from_limits(RiskLimits())) == 1
