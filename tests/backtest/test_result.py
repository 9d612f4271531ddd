"""BacktestResult: statistics from the replay's arrays, pandas objects built on first access."""

import pandas as pd

import botkit
from botkit.data.synthetic import synthetic_bars
from botkit.portfolio.round_trips import round_trips

BARS = synthetic_bars(5_000, seed=21)
SPEC = {"strategy": "sma_cross", "params": {"fast": 5, "slow": 20}, "engine": "compiled"}


def test_frames_are_built_on_first_access_and_kept():
    result = botkit.backtest(SPEC, data={"BTCUSD": BARS})
    lazy = ("trades", "fills", "equity", "rejections", "prices", "orders")
    assert not set(lazy) & set(vars(result))
    assert result.stats["trades"] > 0
    trades = result.trades
    assert result.trades is trades
    assert set(lazy) & set(vars(result)) == {"trades"}
    pd.testing.assert_frame_equal(trades, round_trips(result.fills))
    assert len(result.equity) == len(BARS) and result.equity.iloc[-1] == result.stats["final_equity"]
    assert result.orders is None  # the compiled path logs no orders
    assert list(result.prices) == ["BTCUSD"]


def test_stats_need_no_frames(tmp_path):
    result = botkit.backtest(SPEC, data={"BTCUSD": BARS})
    paths = result.save(tmp_path)
    assert paths["stats"].exists() and pd.read_parquet(paths["trades"]).shape[0] == result.stats["trades"]
