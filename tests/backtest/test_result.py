"""BacktestResult: statistics from the replay's arrays, pandas objects built on first access."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import botkit
from botkit.core.errors import ConfigError
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


class HoldsOne(botkit.Strategy):
    """Buys one unit on the first bar and holds it: a strategy given to a dict spec as a class."""

    def on_bar(self, bar) -> None:
        if self.ctx.position(bar.symbol) == 0 and not self.ctx.open_orders():
            self.ctx.buy(1.0, bar.symbol)


def test_fills_use_utc_times_and_buy_sell_like_the_trades():
    result = botkit.backtest(SPEC, data={"BTCUSD": BARS})
    fills, trades = result.fills, result.trades
    assert str(fills["ts"].dtype) == "datetime64[ns, UTC]" == str(trades["entry_ts"].dtype)
    assert set(fills["side"]) == {"buy", "sell"} and set(fills["liquidity"]) <= {"maker", "taker"}
    assert list(fills.columns) == ["ts", "symbol", "side", "qty", "price", "fee", "liquidity", "order_id"]
    buys = fills[fills["side"] == "buy"]
    assert buys["ts"].iloc[: len(trades)].tolist() == trades["entry_ts"].tolist()  # long-only: each buy opens a trip


def test_buy_and_hold_is_the_first_to_last_price_equal_weight_and_drawn_from_the_capital():
    one = botkit.backtest(SPEC, data={"BTCUSD": BARS})
    close = BARS["close"]
    assert one.stats["buy_and_hold_return"] == close[-1] / close[0] - 1.0
    assert one.stats["excess_return"] == one.stats["total_return"] - one.stats["buy_and_hold_return"]
    curve = one.buy_and_hold
    assert curve.iloc[0] == one.spec.capital
    assert curve.iloc[-1] == one.spec.capital * (1.0 + one.stats["buy_and_hold_return"])
    other = synthetic_bars(5_000, seed=22)
    other["close"] *= 0.5
    two = botkit.backtest({**SPEC, "data": {"symbols": ["BTCUSD", "ETHUSD"]}}, data={"BTCUSD": BARS, "ETHUSD": other})
    expected = (close[-1] / close[0] + other["close"][-1] / other["close"][0]) / 2.0 - 1.0
    assert np.isclose(two.stats["buy_and_hold_return"], expected, rtol=1e-12, atol=0.0)
    assert np.isclose(two.buy_and_hold.iloc[-1], two.spec.capital * (1.0 + expected), rtol=1e-12, atol=0.0)


def test_volume_is_kept_for_the_report_and_sums_to_the_data():
    result = botkit.backtest(SPEC, data={"BTCUSD": BARS})
    assert result.volumes["BTCUSD"].sum() == BARS["volume"].sum()
    assert result.prices["BTCUSD"].iloc[[0, -1]].tolist() == [BARS["close"][0], BARS["close"][-1]]


def test_a_dict_spec_takes_the_strategy_class_and_records_its_path():
    result = botkit.backtest({"strategy": HoldsOne, "engine": "python"}, data={"BTCUSD": BARS})
    assert result.spec.strategy == f"{__name__}:HoldsOne"
    assert result.stats["open_positions"] == 1 and len(result.fills) == 1

    assert result.provenance is not None and result.provenance["strategy_class"] == f"{__name__}:HoldsOne"

    class Local(HoldsOne):  # no module:Class names it
        pass

    with pytest.raises(ConfigError, match=r"<locals>\.Local' is defined inside a function or a class"):
        botkit.backtest({"strategy": Local, "engine": "python"}, data={"BTCUSD": BARS})


def test_the_run_record_names_the_data_hash_full_params_version_and_engine():
    result = botkit.backtest(SPEC, data={"BTCUSD": BARS})
    run = result.provenance
    assert run is not None
    assert run["botkit_version"] == botkit.__version__ and run["engine"] == "compiled"
    assert run["spec"]["params"] == {"fast": 5, "slow": 20, "size": 1.0}  # the default size included
    assert run["data"]["source"] == "data=" and run["data"]["bytes"] == BARS.nbytes
    as_frame = botkit.backtest(SPEC, data={"BTCUSD": pd.DataFrame(BARS)})
    assert as_frame.provenance["data"]["sha256"] == run["data"]["sha256"]  # the same events hash alike
    changed = BARS.copy()
    changed["volume"][100] += 1.0
    other = botkit.backtest(SPEC, data={"BTCUSD": changed})
    assert other.provenance["data"]["sha256"] != run["data"]["sha256"]
    assert other.stats["trades"] == result.stats["trades"]  # one volume changed the hash, not the trades
    cut = botkit.backtest({**SPEC, "data": {"start": "2024-01-02"}}, data={"BTCUSD": BARS})
    assert cut.provenance["data"]["bytes"] < run["data"]["bytes"]  # only the events replayed are hashed


def test_saved_stats_hold_the_run_and_spec_yaml_beside_them(tmp_path):
    result = botkit.backtest(SPEC, data={"BTCUSD": BARS})
    paths = result.save(tmp_path)
    saved = json.loads(paths["stats"].read_text())
    assert saved["run"] == result.provenance and saved["trades"] == result.stats["trades"]
    assert yaml.safe_load(paths["spec"].read_text()) == result.provenance["spec"]
    fills = pd.read_parquet(paths["fills"])
    pd.testing.assert_frame_equal(fills, result.fills)


class TradesAndOverreaches(botkit.Strategy):
    """Buys one, then sells it, bar after bar; every tenth bar also asks for 5 both ways (above max_order_qty)."""

    def on_start(self) -> None:
        self.seen = 0

    def on_bar(self, bar) -> None:
        self.seen += 1
        if self.seen % 10 == 0:
            self.ctx.buy(5.0, bar.symbol)
            self.ctx.sell(5.0, bar.symbol)
        elif self.ctx.position(bar.symbol) == 0:
            self.ctx.buy(1.0, bar.symbol)
        else:
            self.ctx.sell(1.0, bar.symbol)


def test_every_frame_has_utc_times_and_buy_sell_sides_like_the_fills():
    spec = {"strategy": TradesAndOverreaches, "engine": "python", "risk": {"max_order_qty": 2.0}}
    result = botkit.backtest(spec, data={"BTCUSD": BARS[:200]})
    lazy = ("orders", "rejections", "fills")
    assert not set(lazy) & set(vars(result))  # still built on first access
    orders, rejections, fills = result.orders, result.rejections, result.fills
    assert orders is not None and len(orders) >= 100 and len(rejections) == 2 * (200 // 10)
    utc = "datetime64[ns, UTC]"
    times = [orders["ts"], rejections["ts"], fills["ts"], result.trades["entry_ts"], result.trades["exit_ts"]]
    indexes = [result.equity.index, result.buy_and_hold.index, result.prices["BTCUSD"].index,
               result.volumes["BTCUSD"].index]
    assert [str(t.dtype) for t in times + indexes] == [utc] * (len(times) + len(indexes))
    for frame in (orders, rejections, fills):
        assert frame["side"].dtype == fills["side"].dtype and set(frame["side"]) == {"buy", "sell"}
    closes = pd.to_datetime(BARS["ts"][:200] + (BARS["ts"][1] - BARS["ts"][0]), unit="ns", utc=True)
    assert rejections["ts"].tolist() == closes[9::10].repeat(2).tolist()  # decided at each tenth bar's close
    assert rejections["side"].tolist() == ["buy", "sell"] * (200 // 10)
    assert orders["side"].iloc[:2].tolist() == ["buy", "sell"] and orders["ts"].iloc[0] == closes[0]
    assert set(fills["order_id"]) <= set(orders["order_id"])
    merged = fills.merge(orders[["order_id", "side"]], on="order_id", suffixes=("", "_ordered"))
    assert (merged["side"] == merged["side_ordered"]).all() and len(merged) == len(fills)
