"""The live/paper ledger books fills as docs/backtesting.md says."""

import pytest

from botkit.model.enums import Side
from botkit.model.orders import Fill, Liquidity
from botkit.portfolio.ledger import Ledger


def fill(side: Side, qty: float, price: float, fee: float = 0.0) -> Fill:
    return Fill(1, "o", "c", "BTCUSD", side, qty, price, fee, Liquidity.TAKER)


def test_round_trip_cash_position_pnl_fees():
    ledger = Ledger(1000.0)
    ledger.apply_fill(fill(Side.BUY, 2.0, 100.0, 0.2))
    ledger.apply_fill(fill(Side.BUY, 2.0, 110.0, 0.2))
    assert ledger.position("BTCUSD") == 4.0 and ledger.positions()[0].avg_price == pytest.approx(105.0)
    ledger.mark("BTCUSD", 120.0)
    assert ledger.unrealized_pnl() == pytest.approx(60.0)
    ledger.apply_fill(fill(Side.SELL, 4.0, 120.0, 0.5))
    assert ledger.position("BTCUSD") == 0.0
    assert ledger.realized_pnl() == pytest.approx(60.0) and ledger.fees == pytest.approx(0.9)
    assert ledger.cash() == pytest.approx(1000.0 + 60.0 - 0.9)
    assert ledger.equity() == pytest.approx(ledger.cash())


def test_flip_opens_the_remainder_at_the_fill_price_and_snapshot_round_trips():
    ledger = Ledger(0.0)
    ledger.apply_fill(fill(Side.BUY, 1.0, 100.0))
    ledger.apply_fill(fill(Side.SELL, 3.0, 90.0))
    (position,) = ledger.positions()
    assert position.qty == -2.0 and position.avg_price == 90.0 and position.realized_pnl == pytest.approx(-10.0)
    again = Ledger.from_snapshot(ledger.snapshot())
    assert again.positions() == ledger.positions() and again.cash() == ledger.cash()
