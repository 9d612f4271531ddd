"""The backtester end to end on hand-computed cases, through both paths, and its error handling."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import botkit
from botkit.core.errors import ConfigError, DataError, StrategyError

MIN = 60_000_000_000
T0 = 1_704_067_200_000_000_000  # 2024-01-01
SCRIPTED = f"{Path(__file__).with_name('scripted.py')}:Scripted"


def bars(rows):
    o, h, lo, c = zip(*rows, strict=True)
    ts = T0 + np.arange(len(rows)) * MIN
    return pd.DataFrame({"ts": ts, "open": o, "high": h, "low": lo, "close": c, "volume": 1.0})


BARS = bars([(100, 101, 99, 100), (102, 104, 101, 103), (103, 106, 95, 96), (97, 99, 90, 91), (92, 93, 88, 90)])


def run(script, engine, data=BARS, **spec):
    values = {"name": "hand", "strategy": SCRIPTED, "params": {"script": script},
              "engine": engine, "capital": 1000.0, **spec}
    return botkit.backtest(values, data={"BTCUSD": data})


BOTH = pytest.mark.parametrize("engine", ["compiled", "python"])


@BOTH
def test_market_order_fills_at_next_open_with_slippage_and_taker_fee(engine):
    r = run([(0, "market", 1, 2.0, 0.0), (2, "market", -1, 2.0, 0.0)], engine,
            fees={"maker_bps": 1, "taker_bps": 10}, slippage={"bps": 100})
    f = r.fills
    assert f.ts.astype("int64").tolist() == [T0 + MIN, T0 + 3 * MIN] and f.side.tolist() == ["buy", "sell"]
    assert f.price.tolist() == pytest.approx([102 * 1.01, 97 * 0.99])
    assert f.fee.tolist() == pytest.approx([2 * 102 * 1.01 * 0.001, 2 * 97 * 0.99 * 0.001])
    pnl = 2 * 97 * 0.99 - 2 * 102 * 1.01 - f.fee.sum()
    assert r.stats["final_equity"] == pytest.approx(1000 + pnl)
    assert r.stats["trades"] == 1
    assert r.trades.pnl.iloc[0] == pytest.approx(pnl)


@BOTH
def test_limit_buy_fills_at_limit_or_better_open_as_maker(engine):
    r = run([(0, "limit", 1, 1.0, 96.0)], engine, fees={"maker_bps": 2, "taker_bps": 10})
    # bar 1 low 101 > 96: no fill; bar 2 low 95 <= 96, open 103: fills at 96
    assert r.fills.price.tolist() == [96.0]
    assert r.fills.liquidity.tolist() == ["maker"]
    assert r.fills.fee.iloc[0] == pytest.approx(96 * 2e-4)
    # open position marked at the last close (90), not counted as a trade
    assert r.stats["trades"] == 0
    assert r.stats["final_equity"] == pytest.approx(1000 - 96 - 96 * 2e-4 + 90)


@BOTH
def test_stop_sell_triggers_on_low_and_fills_at_stop_or_worse_open(engine):
    r = run([(0, "market", 1, 1.0, 0.0), (1, "stop", -1, 1.0, 98.0)], engine)
    # bought at bar 1 open 102; stop sell at 98 eligible from bar 2: low 95 <= 98, open 103 -> fills at 98
    # bar 3 would gap below (open 97) but the stop is gone already
    assert r.fills.price.tolist() == [102.0, 98.0]
    assert r.stats["trades"] == 1


@BOTH
def test_stop_gap_fills_at_open(engine):
    r = run([(0, "market", 1, 1.0, 0.0), (2, "stop", -1, 1.0, 98.0)], engine)
    # stop placed at bar 2 close; bar 3 opens at 97 below the stop: fills at the open 97
    assert r.fills.price.tolist() == [102.0, 97.0]


@BOTH
def test_latency_delays_eligibility(engine):
    r = run([(0, "market", 1, 1.0, 0.0)], engine, latency_ns=MIN // 2)
    # decided at the close of bar 0 (= open of bar 1) + 30 s: first eligible bar is bar 2
    assert r.fills.price.tolist() == [103.0]


@BOTH
def test_sizing_and_lot_rounding(engine):
    r = run([(0, "market", 1, None, 0.0)], engine, sizing={"fixed_notional": 250.0},
            instrument={"lot_size": 0.1})
    # 250 / close 100 = 2.5 lots of 0.1 -> 2.5
    assert r.fills.qty.tolist() == pytest.approx([2.5])
    r = run([(0, "market", 1, None, 0.0)], engine, sizing={"fraction_of_equity": 0.333},
            instrument={"lot_size": 1.0})
    assert r.fills.qty.tolist() == pytest.approx([3.0])


@BOTH
def test_risk_rejections_reach_the_strategy_and_the_result(engine):
    r = run([(0, "market", 1, 5.0, 0.0), (1, "market", -1, 1.0, 0.0)], engine,
            risk={"max_position": 3.0, "allow_short": False})
    assert r.fills.empty
    assert r.stats["rejected_orders"] == 2
    assert len(r.rejections) == 2


def test_python_path_calls_on_order_rejected():
    from botkit.backtest.broker import SimulatedBroker  # noqa: F401 - the path under test

    r = run([(0, "market", 1, 5.0, 0.0)], "python", risk={"max_order_qty": 1.0})
    assert r.rejections.reason.iloc[0].startswith("order quantity 5 above risk.max_order_qty 1")


def test_trades_partial_fills_bounded_by_size():
    ticks = pd.DataFrame({"ts": T0 + np.arange(5) * 1000, "price": [10.0, 10.0, 10.5, 10.2, 10.1],
                          "size": [1.0, 0.4, 0.5, 5.0, 1.0], "side": [1, 1, -1, 1, 1]})
    for engine in ("compiled", "python"):
        r = botkit.backtest(
            {"strategy": SCRIPTED, "params": {"script": [(0, "market", 1, 2.0, 0.0)]},
             "engine": engine, "capital": 1000.0, "data": {"kind": "trades", "symbols": ["X"]}},
            data={"X": ticks})
        assert r.fills.qty.tolist() == pytest.approx([0.4, 0.5, 1.1])
        assert r.fills.price.tolist() == pytest.approx([10.0, 10.5, 10.2])


def test_quotes_fill_at_opposite_side_bounded_by_displayed_size():
    quotes = pd.DataFrame({"ts": T0 + np.arange(3) * 1000, "bid": [9.9, 9.8, 9.7], "bid_size": [1.0, 1.0, 1.0],
                           "ask": [10.1, 10.2, 10.3], "ask_size": [1.0, 0.5, 9.0]})
    for engine in ("compiled", "python"):
        r = botkit.backtest(
            {"strategy": SCRIPTED, "params": {"script": [(0, "market", 1, 1.0, 0.0)]},
             "engine": engine, "data": {"kind": "quotes", "symbols": ["X"]}}, data={"X": quotes})
        assert r.fills.price.tolist() == pytest.approx([10.2, 10.3])
        assert r.fills.qty.tolist() == pytest.approx([0.5, 0.5])


class Raising(botkit.Strategy):
    def on_bar(self, bar):
        raise ZeroDivisionError("boom")


class ReturnsGarbage(botkit.Strategy):
    def on_bar(self, bar):
        return 42


def test_strategy_exception_becomes_strategy_error():
    with pytest.raises(StrategyError) as info:
        botkit.backtest({"strategy": f"{__name__}:Raising"}, data={"BTCUSD": BARS})
    text = str(info.value)
    assert "'Raising'" in text and "on_bar" in text and "ZeroDivisionError: boom" in text and "Bar(" in text


def test_strategy_returning_garbage_is_a_strategy_error():
    with pytest.raises(StrategyError, match="returned 42"):
        botkit.backtest({"strategy": f"{__name__}:ReturnsGarbage"}, data={"BTCUSD": BARS})


def test_compiled_step_with_invalid_intent_is_a_strategy_error():
    with pytest.raises(StrategyError, match="invalid intent"):
        run([(1, "market", 3, 1.0, 0.0)], "compiled")


def test_engine_compiled_needs_a_compiled_step():
    with pytest.raises(ConfigError, match="has no compiled_step"):
        botkit.backtest({"strategy": "momentum", "engine": "compiled"}, data={"BTCUSD": BARS})


def test_missing_symbol_data_and_empty_range():
    with pytest.raises(ConfigError, match="no entry for symbols"):
        botkit.backtest({"strategy": "sma_cross"}, data={"ETHUSD": BARS})
    with pytest.raises(DataError, match="no bars in the requested range"):
        botkit.backtest({"strategy": "sma_cross", "data": {"start": "2030-01-01"}}, data={"BTCUSD": BARS})


@pytest.mark.parametrize("engine", ["compiled", "python"])
def test_chunk_borders_do_not_change_results(monkeypatch, engine):
    import botkit.backtest.engine as engine_module

    rng = np.random.default_rng(5)
    n = 400
    c = 100 + np.cumsum(rng.normal(0, 0.5, n))
    o = np.r_[c[0], c[:-1]]
    frame = pd.DataFrame({"ts": T0 + np.arange(n) * MIN, "open": o, "high": np.maximum(o, c) + 0.3,
                          "low": np.minimum(o, c) - 0.3, "close": c, "volume": 1.0})
    spec = {"strategy": "donchian_breakout", "params": {"entry": 10, "exit": 5}, "engine": engine,
            "fees": {"taker_bps": 3}}
    whole = botkit.backtest(spec, data={"BTCUSD": frame})
    monkeypatch.setattr(engine_module, "PROGRESS_EVERY", 7)
    seen = []
    sliced = botkit.backtest(spec, data={"BTCUSD": frame}, progress=seen.append)
    assert sum(seen) == n and max(seen) == 7
    pd.testing.assert_frame_equal(whole.fills, sliced.fills)
    pd.testing.assert_series_equal(whole.equity, sliced.equity)
    assert whole.stats["final_equity"] == sliced.stats["final_equity"]


class Lifecycle(botkit.Strategy):
    """Uses timers, fills, cancels and rejections: the Python path's callbacks."""

    def on_start(self):
        self.log = []
        self.ctx.set_timer(T0 + 2 * MIN, "wake")

    def on_bar(self, bar):
        if bar.ts == T0:
            self.resting = self.ctx.limit(1, 1.0, 50.0)   # far below: never fills
            self.ctx.buy(1.0)

    def on_timer(self, event):
        self.log.append(("timer", event.ts, self.ctx.now()))
        assert self.ctx.cancel(self.resting)
        self.ctx.sell(5.0)   # rejected: allow_short is false

    def on_order_filled(self, event):
        self.log.append(("filled", event.fill.price, self.ctx.position()))

    def on_order_canceled(self, event):
        self.log.append(("canceled", event.order.client_order_id))

    def on_order_rejected(self, event):
        self.log.append(("rejected", event.reason.split(" and ")[0]))

    def on_stop(self):
        Lifecycle.last_log = self.log


def test_python_path_callbacks_timers_cancels():
    r = botkit.backtest({"strategy": f"{__name__}:Lifecycle", "engine": "python", "risk": {"allow_short": False}},
                        data={"BTCUSD": BARS})
    log = Lifecycle.last_log
    assert log[0] == ("filled", 102.0, 1.0)
    assert log[1] == ("timer", T0 + 2 * MIN, T0 + 2 * MIN)
    assert log[2][0] == "canceled"
    assert log[3] == ("rejected", "order would leave position -4")
    assert r.fills.price.tolist() == [102.0]


@pytest.mark.parametrize("engine", ["compiled", "python"])
def test_archive_chunk_size_does_not_change_a_tick_backtest(tmp_path, engine):
    from botkit.data.synthetic import generate_archive

    for symbol, seed in (("AAA", 1), ("BBB", 2)):
        generate_archive(tmp_path, symbol=symbol, n=20_000, kind="trades", seed=seed)
    spec = {"strategy": "sma_cross", "params": {"fast": 20, "slow": 80, "size": 0.5}, "engine": engine,
            "data": {"archive": str(tmp_path), "kind": "trades", "symbols": ["AAA", "BBB"]},
            "fees": {"taker_bps": 5}, "latency_ns": 1_000_000, "risk": {"allow_short": False}}
    whole = botkit.backtest({**spec, "data": {**spec["data"], "chunk_rows": 1_000_000}})
    chunked = botkit.backtest({**spec, "data": {**spec["data"], "chunk_rows": 777}})
    assert len(whole.fills) > 10
    pd.testing.assert_frame_equal(whole.fills, chunked.fills)
    assert whole.stats["final_equity"] == chunked.stats["final_equity"]
    pd.testing.assert_series_equal(whole.equity, chunked.equity)
