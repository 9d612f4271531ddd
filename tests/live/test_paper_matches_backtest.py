"""Paper trading and the backtester agree on the same quotes: same fills, prices and fees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from botkit.examples.sma_cross import SmaCross, SmaCrossParams

import botkit
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import Side
from botkit.model.events import Quote
from botkit.model.instruments import Instrument

from .helpers import ScriptedData, bot_config


def random_quotes(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mid = 100.0 + np.cumsum(rng.normal(0, 0.2, n))
    spread = 0.05 + rng.random(n) * 0.05
    ts = 1_700_000_000_000_000_000 + np.arange(n, dtype=np.int64) * 1_000_000_000
    return pd.DataFrame({"ts": ts, "bid": mid - spread, "bid_size": 5.0, "ask": mid + spread, "ask_size": 5.0})


async def test_paper_fills_equal_backtest_fills_on_the_same_quotes(tmp_path):
    frame = random_quotes()
    spec = {
        "strategy": "sma_cross", "params": {"fast": 3, "slow": 8, "size": 1.0}, "engine": "python",
        "data": {"kind": "quotes", "symbols": ["BTCUSD"]}, "fees": {"maker_bps": 1, "taker_bps": 5},
        "capital": 100_000,
    }
    result = botkit.backtest(spec, data={"BTCUSD": frame})
    assert len(result.fills) >= 4

    events = [Quote(int(r.ts), "BTCUSD", r.bid, r.bid_size, r.ask, r.ask_size) for r in frame.itertuples()]
    config = bot_config(tmp_path, capital=100_000, paper={"fees": {"maker_bps": 1, "taker_bps": 5}})
    paper = PaperExecutionClient(maker_bps=1, taker_bps=5, queue_fills=False)
    engine = LiveEngine(config, strategy_cls=SmaCross, params=SmaCrossParams(fast=3, slow=8, size=1.0),
                        data=ScriptedData(events, gap_s=0.001), execution=paper,
                        instruments={"BTCUSD": Instrument("BTCUSD")})
    await engine.run(duration_s=len(events) * 0.001 + 1.0)
    paper_fills = await paper.fills()

    assert len(paper_fills) == len(result.fills)
    for fill, row in zip(paper_fills, result.fills.itertuples(), strict=True):
        assert fill.ts == row.ts.value and fill.side == (Side.BUY if row.side == "buy" else Side.SELL)
        assert fill.price == pytest.approx(row.price, rel=1e-12)
        assert fill.qty == pytest.approx(row.qty) and fill.fee == pytest.approx(row.fee, rel=1e-12)
    last_mid = float(frame.iloc[-1][["bid", "ask"]].mean())
    paper_equity = engine.ledger.cash() + engine.ledger.position("BTCUSD") * last_mid
    assert paper_equity == pytest.approx(float(result.equity.iloc[-1]), rel=1e-12)
