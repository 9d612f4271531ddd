"""Risk limits and the kill switch in backtests: each trips on both paths, which agree with the reference.

Scripted orders (tests/backtest/scripted.py) drive ``botkit.backtest`` on the compiled and the
Python path and the same script drives the reference backtester; ``compare`` (test_equivalence)
requires equal fills, rejections with their codes, equity and kill-switch trips.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import botkit
from botkit.backtest.cli_run import run_backtest_command
from botkit.backtest.outcome import REJECT_CODES

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from reference import Bar, Scripted, Trade  # noqa: E402
from test_equivalence import compare, run_engine, to_frame  # noqa: E402

MIN = 60 * 10**9
DAY = 86_400 * 10**9
T0 = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z
SCRIPTED = f"{Path(HERE) / 'scripted.py'}:Scripted"


def flat_bars(price: float, n: int, t0: int = T0) -> list[Bar]:
    return [Bar(t0 + i * MIN, price, price, price, price, 1.0) for i in range(n)]


def bars_from_closes(closes: list[float], t0: int = T0, low: dict[int, float] | None = None) -> list[Bar]:
    """open = previous close, high/low = max/min(open, close), or ``low[i]`` where given."""
    out = []
    for i, c in enumerate(closes):
        o = closes[i - 1] if i else c
        lo = (low or {}).get(i, min(o, c))
        out.append(Bar(t0 + i * MIN, o, max(o, c), lo, c, 1.0))
    return out


def reference_script(rows: list[tuple], symbols: list[str]) -> Scripted:
    """The reference's Scripted strategy running the same script rows."""
    script: dict[tuple[str, int], list[Any]] = {}
    for number, action, side, qty, price, *inst in rows:
        symbol = symbols[inst[0] if inst else 0]
        if action == "cancel_all":
            def act(ctx: Any, s: str = symbol) -> None:
                ctx.cancel_all(s)
        else:
            def act(ctx: Any, s: str = symbol, a: str = action, sd: int = side, q: Any = qty, p: float = price) -> None:
                ctx.submit(s, sd, q, a, None if a == "market" else p)
        script.setdefault((symbol, number), []).append(act)
    return Scripted(script)


def spec_for(rows: list[tuple], data: dict[str, list[Any]], kind: str = "bars", **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "risk", "strategy": SCRIPTED, "params": {"script": rows}, "capital": 10_000.0,
        "sizing": {"fixed_quantity": 1.0}, "fees": {"maker_bps": 0.0, "taker_bps": 0.0}, "slippage": {"bps": 0.0},
        "instrument": {"tick_size": 0.0, "lot_size": 0.0}, "latency_ns": 0, "risk": {},
        "data": {"kind": kind, "symbols": list(data), **({"bar_interval": "1m"} if kind == "bars" else {})},
    }
    spec.update(changes)
    return spec


def check(rows: list[tuple], data: dict[str, list[Any]], kind: str = "bars", **changes: Any) -> Any:
    """Both paths and the reference agree; returns the compiled path's result."""
    spec = spec_for(rows, data, kind, **changes)
    compiled, python = compare(spec, data, reference_script(rows, list(data)))
    pd.testing.assert_frame_equal(compiled.rejections.drop(columns="reason"), python.rejections.drop(columns="reason"))
    assert compiled.kill_switch == python.kill_switch
    return compiled


def codes(result: Any) -> list[str]:
    return list(result.rejections.code)


# --------------------------------------------------------------------------------------------
# Limits


def test_max_gross_exposure_counts_every_symbol_at_its_last_price():
    data = {"AAA": flat_bars(100.0, 7), "BBB": flat_bars(50.0, 7)}
    rows = [
        (0, "market", 1, 10.0, 0.0, 0),  # AAA: 1000
        (1, "market", 1, 10.0, 0.0, 1),  # BBB: 1000 + 500 = 1500, at the limit
        (2, "market", 1, 1.0, 0.0, 1),  # BBB: 1000 + 550 > 1500
        (3, "market", 1, 1.0, 0.0, 0),  # AAA: 1100 + 500 > 1500
        (4, "market", -1, 5.0, 0.0, 1),  # BBB: reduces, allowed
        (5, "market", 1, 2.0, 0.0, 1),  # BBB (the sell filled): 1000 + 350
    ]
    result = check(rows, data, risk={"max_gross_exposure": 1500.0})
    assert codes(result) == ["max_gross_exposure", "max_gross_exposure"]
    assert result.rejections.symbol.tolist() == ["BBB", "AAA"]
    assert result.fills.qty.tolist() == [10.0, 10.0, 5.0, 2.0]


def test_max_net_exposure_lets_a_hedge_through_and_refuses_what_adds_to_one_direction():
    data = {"AAA": flat_bars(100.0, 5), "BBB": flat_bars(50.0, 5)}
    rows = [
        (0, "market", 1, 5.0, 0.0, 0),  # net +500
        (1, "market", -1, 10.0, 0.0, 1),  # net 0: a hedge (gross would be 1000)
        (2, "market", 1, 10.0, 0.0, 0),  # net +1000 > 600
        (3, "market", 1, 20.0, 0.0, 1),  # BBB -10 -> +10: net +1000 > 600
        (4, "market", 1, 6.0, 0.0, 1),  # BBB -10 -> -4: net +300
    ]
    result = check(rows, data, risk={"max_net_exposure": 600.0})
    assert codes(result) == ["max_net_exposure", "max_net_exposure"]
    assert result.fills.qty.tolist() == [5.0, 10.0]  # the last buy is still working at the end


@pytest.mark.parametrize(("changes", "code"), [
    ({"risk": {"max_open_orders": 2}}, "max_open_orders"),
    ({"max_working_orders": 2}, "too_many_orders"),  # the backtest's capacity, not a risk limit
])
def test_max_open_orders_refuses_while_that_many_orders_work(changes, code):
    data = {"AAA": flat_bars(100.0, 6)}
    rows = [(0, "limit", 1, 1.0, 10.0), (1, "limit", -1, 1.0, 500.0), (2, "limit", 1, 1.0, 20.0),
            (3, "cancel_all", 0, None, 0.0), (4, "limit", 1, 1.0, 30.0)]
    if "max_working_orders" in changes:  # not a risk limit: the reference has no such setting
        spec = spec_for(rows, data, **changes)
        results = [run_engine(spec, data, engine) for engine in ("compiled", "python")]
    else:
        results = [check(rows, data, **changes)]
    for result in results:
        assert codes(result) == [code]
        assert result.rejections.ts.tolist() == [pd.Timestamp(T0 + 3 * MIN, unit="ns", tz="UTC")]


def test_reduce_only_refuses_everything_that_does_not_reduce_even_a_zero_quantity():
    data = {"AAA": flat_bars(100.0, 4)}
    rows = [(0, "market", 1, 1.0, 0.0), (1, "limit", -1, 1.0, 90.0), (2, "market", 1, 0.4, 0.0)]
    result = check(rows, data, risk={"reduce_only": True}, instrument={"tick_size": 0.0, "lot_size": 1.0})
    assert codes(result) == ["reduce_only"] * 3 and result.fills.empty


def test_working_orders_count_on_their_own_side_only():
    # A buy of 2 works for three bars (latency). A sell is judged without it: it may be canceled.
    data = {"AAA": flat_bars(100.0, 10)}
    latency = 3 * MIN
    rows = [(0, "market", 1, 2.0, 0.0), (1, "market", 1, 2.0, 0.0), (2, "market", -1, 5.0, 0.0),
            (3, "market", -1, 3.0, 0.0)]
    result = check(rows, data, latency_ns=latency, risk={"max_position": 3.0})
    assert codes(result) == ["max_position", "max_position"]  # netted, the sell of 5 would pass: |2 - 5| = 3
    assert result.fills.qty.tolist() == [2.0, 3.0]
    rows = [(0, "market", 1, 2.0, 0.0), (1, "market", -1, 2.0, 0.0), (5, "market", -1, 2.0, 0.0)]
    result = check(rows, data, latency_ns=latency, risk={"allow_short": False})
    assert codes(result) == ["no_short"]  # the working buy does not cover the sell
    assert result.fills.side.tolist() == ["buy", "sell"]


def test_rejections_reach_the_strategy_with_their_code():
    from botkit.backtest.strategy_host import StrategyHost

    seen: list[str] = []
    original = StrategyHost.run_stop

    def run_stop(self: StrategyHost) -> None:
        seen.extend(self.strategy.codes)
        original(self)

    data = {"AAA": flat_bars(100.0, 3)}
    spec = spec_for([(0, "market", 1, 5.0, 0.0)], data, engine="python", risk={"max_order_qty": 1.0})
    StrategyHost.run_stop = run_stop  # type: ignore[method-assign]
    try:
        result = botkit.backtest(spec, data={"AAA": to_frame(data["AAA"])})
    finally:
        StrategyHost.run_stop = original  # type: ignore[method-assign]
    assert seen == ["max_order_qty"]
    assert result.rejections.reason.iloc[0] == "order quantity 5 above risk.max_order_qty 1"


# --------------------------------------------------------------------------------------------
# The kill switch

# Long 10 from bar 1 (open 100); equity = 10 000 + 10 × (close − 100). The limit buy at 80 is
# reached at bar 7 unless the kill switch cancels it; the buy at bar 6 happens only if the
# strategy is still called.
CRASH = [100.0, 100.0, 99.0, 97.0, 95.0, 90.0, 92.0, 85.0, 88.0]
CRASH_LOW = {7: 79.0}
CRASH_ROWS = [(0, "market", 1, 10.0, 0.0), (1, "limit", 1, 1.0, 80.0), (6, "market", 1, 1.0, 0.0)]


@pytest.mark.parametrize("flatten", [False, True])
@pytest.mark.parametrize(("risk", "code", "tripped_at"), [
    ({"max_daily_loss": 40.0}, "daily_loss", 4),  # bar 4: equity 9950, 50 below the day's 10 000
    ({"max_drawdown_pct": 0.2}, "max_drawdown", 3),  # bar 3: 9970, 0.3 % below the peak 10 000
])
def test_kill_switch_cancels_working_orders_flattens_and_stops_the_strategy(risk, code, tripped_at, flatten):
    data = {"AAA": bars_from_closes(CRASH, low=CRASH_LOW)}
    result = check(CRASH_ROWS, data, risk={**risk, "flatten_on_kill": flatten})
    trip = result.kill_switch
    assert trip is not None and trip.code == code
    assert trip.ts == T0 + (tripped_at + 1) * MIN  # when the strategy would have seen the bar: its close
    assert "kill switch" in trip.message and code in result.stats["kill_switch"]
    assert result.rejections.empty  # after the trip the strategy is not called: no more intents
    if flatten:
        # sold at the next bar's open, as a market order from the trip's time
        assert result.fills.side.tolist() == ["buy", "sell"]
        assert result.fills.ts.astype("int64").tolist() == [T0 + MIN, T0 + (tripped_at + 1) * MIN]
        assert result.fills.price.tolist() == [100.0, CRASH[tripped_at]]
        assert result.stats["open_positions"] == 0 and result.stats["trades"] == 1
    else:
        assert result.fills.side.tolist() == ["buy"]  # the limit buy at 80 was canceled
        assert result.stats["open_positions"] == 1


def test_kill_switch_fires_at_the_same_time_with_latency_and_fees_on_two_symbols():
    data = {"AAA": bars_from_closes(CRASH, low=CRASH_LOW), "BBB": bars_from_closes([50.0, 51.0, 52.0, 51.0] * 3)}
    rows = [*CRASH_ROWS, (0, "market", -1, 4.0, 0.0, 1), (2, "limit", 1, 2.0, 40.0, 1)]
    result = check(rows, data, latency_ns=MIN // 2, fees={"maker_bps": 2.0, "taker_bps": 5.0},
                   slippage={"bps": 3.0}, risk={"max_daily_loss": 30.0, "flatten_on_kill": True})
    assert result.kill_switch is not None
    flattening = result.fills[result.fills.ts >= result.kill_switch.time]
    assert sorted(flattening.symbol.astype(str)) == ["AAA", "BBB"] and result.stats["open_positions"] == 0


def test_daily_loss_counts_from_the_first_equity_of_each_utc_day():
    # Bars from 23:55: the loss of the first day (30) does not carry into the next, which opens at
    # the equity of the bar seen at 00:00. Day two then loses 45 more: the switch fires.
    closes = [100.0, 100.0, 99.0, 98.0, 97.0, 97.0, 96.0, 95.0, 94.0, 93.0, 92.5, 92.0]
    data = {"AAA": bars_from_closes(closes, t0=T0 - 5 * MIN)}
    rows = [(0, "market", 1, 10.0, 0.0)]
    result = check(rows, data, risk={"max_daily_loss": 40.0})
    assert result.kill_switch is not None and result.kill_switch.code == "daily_loss"
    assert result.kill_switch.ts == T0 + 5 * MIN  # 97 at 00:00 opens the day; 92.5 is 45 below
    assert "day opened at 9970" in result.kill_switch.message


def test_kill_switch_on_trades_flattens_with_partial_fills():
    prices = [100.0, 100.0, 99.0, 98.0, 96.0, 95.0, 95.0, 94.0, 94.5]
    sizes = [5.0, 5.0, 5.0, 5.0, 5.0, 2.0, 1.5, 3.0, 10.0]
    data = {"AAA": [Trade(T0 + i * 10**9, p, s) for i, (p, s) in enumerate(zip(prices, sizes, strict=True))]}
    rows = [(0, "market", 1, 5.0, 0.0), (2, "limit", 1, 1.0, 94.5)]
    result = check(rows, data, kind="trades", risk={"max_daily_loss": 20.0, "flatten_on_kill": True})
    assert result.kill_switch is not None and result.kill_switch.ts == T0 + 4 * 10**9
    assert result.fills.qty.tolist() == [5.0, 2.0, 1.5, 1.5]  # the flattening sell of 5 in three parts


@pytest.mark.parametrize("engine", ["compiled", "python"])
def test_kill_switch_state_carries_across_chunks(monkeypatch, engine):
    import botkit.backtest.engine as engine_module

    closes = [100.0 + (i % 7) - 0.4 * i for i in range(120)]
    frame = to_frame(bars_from_closes(closes))
    spec = spec_for([(0, "market", 1, 10.0, 0.0), (40, "limit", 1, 1.0, 60.0)], {"AAA": []}, engine=engine,
                    risk={"max_drawdown_pct": 2.0, "flatten_on_kill": True})
    whole = botkit.backtest(spec, data={"AAA": frame})
    monkeypatch.setattr(engine_module, "PROGRESS_EVERY", 7)
    sliced = botkit.backtest(spec, data={"AAA": frame}, progress=lambda n: None)
    assert whole.kill_switch is not None and whole.kill_switch == sliced.kill_switch
    pd.testing.assert_frame_equal(whole.fills, sliced.fills)
    pd.testing.assert_series_equal(whole.equity, sliced.equity)


class ActsAfterTheTrip(botkit.Strategy):
    """Buys 10, then counts the calls it gets; submits once more in on_stop."""

    calls: ClassVar[list[str]] = []

    def on_bar(self, bar):
        ActsAfterTheTrip.calls.append("bar")
        if self.ctx.position() == 0 and not self.ctx.open_orders():
            self.ctx.buy(10.0)

    def on_order_filled(self, event):
        ActsAfterTheTrip.calls.append("filled")

    def on_order_canceled(self, event):
        ActsAfterTheTrip.calls.append("canceled")

    def on_stop(self):
        ActsAfterTheTrip.calls.append("stop")
        self.ctx.buy(1.0)


def test_a_halted_strategy_is_called_only_for_on_stop_and_what_it_submits_is_halted():
    ActsAfterTheTrip.calls = []
    frame = to_frame(bars_from_closes(CRASH))
    result = botkit.backtest({"strategy": f"{__name__}:ActsAfterTheTrip", "engine": "python",
                              "risk": {"max_daily_loss": 40.0, "flatten_on_kill": True}}, data={"BTCUSD": frame})
    # bars 0-3, the entry's fill at bar 1; the trip at bar 4 (no call), the flattening fill unseen
    assert ActsAfterTheTrip.calls == ["bar", "filled", "bar", "bar", "bar", "stop"]
    assert codes(result) == ["halted"] and result.fills.side.tolist() == ["buy", "sell"]


# --------------------------------------------------------------------------------------------
# What a user sees


def test_report_and_cli_show_the_kill_switch(tmp_path, capsys):
    frame = to_frame(bars_from_closes(CRASH, low=CRASH_LOW))
    frame.to_parquet(tmp_path / "bars.parquet", index=False)
    (tmp_path / "spec.yaml").write_text(
        f"name: crash\nstrategy: {SCRIPTED}\nparams: {{script: [[0, market, 1, 10.0, 0.0]]}}\n"
        f"data: {{file: {tmp_path / 'bars.parquet'}, symbols: [AAA], bar_interval: 1m}}\n"
        "risk: {max_daily_loss: 40, flatten_on_kill: true}\n"
    )
    assert run_backtest_command(tmp_path / "spec.yaml", data=None, params={}, start=None, end=None,
                                out=tmp_path / "out", engine=None, progress=False) == 0
    out = capsys.readouterr().out
    assert "kill switch fired at 2024-01-01T00:05:00+00:00 (daily_loss)" in " ".join(out.split())
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Kill switch fired at 2024-01-01T00:05:00+00:00 (daily_loss): kill switch: loss today 50" in html
    assert html.count('"name":"kill_switch"') == 1  # the ◆ on the equity chart
    clean = botkit.backtest({"strategy": SCRIPTED, "params": {"script": []}}, data={"BTCUSD": frame})
    assert clean.kill_switch is None and "kill_switch" not in clean.stats
    assert '"name":"kill_switch"' not in Path(clean.plot(tmp_path / "clean.html")).read_text()


# --------------------------------------------------------------------------------------------
# The kernel's kill switch is botkit.risk's, observation for observation


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, DAY // 3), st.floats(-0.02, 0.02)), min_size=1, max_size=60),
    daily=st.one_of(st.none(), st.sampled_from([1.0, 10.0, 50.0, 100.0])),
    drawdown=st.one_of(st.none(), st.sampled_from([0.1, 0.5, 1.0, 2.0, 100.0])),
)
def test_kernel_kill_switch_matches_the_risk_kill_switch(steps, daily, drawdown):
    import numpy as np

    from botkit.backtest import _enums, _nb
    from botkit.backtest.run_config import RunConfig
    from botkit.model.instruments import Instrument

    assume(daily is not None or drawdown is not None)  # the kernels call it only then
    config = RunConfig(kind="bars", instruments=(Instrument("X"),), capital=1000.0,
                       max_daily_loss=math.inf if daily is None else daily,
                       max_drawdown_pct=math.inf if drawdown is None else drawdown)
    cfg = config.kernel_config()
    switch = config.kill_switch()
    counters = np.zeros(_enums.C_SIZE, np.int64)
    counters[_enums.C_KS_DAY] = -1
    acct = np.zeros(_enums.A_SIZE)
    acct[_enums.A_DD_FLOOR] = -np.inf
    now, equity = T0, 1000.0
    for gap, change in steps:
        now += gap
        equity = equity * (1.0 + change)
        if drawdown is not None and change == 0.0 and switch.memory.peak_equity > 0:
            equity = switch.memory.peak_equity * (1.0 - drawdown / 100.0)  # exactly at the limit
        expected = switch.observe(now, equity)
        got = _nb.kill_switch_nb(now, equity, cfg, counters, acct)
        assert (got != 0) == (expected is not None), (now, equity)
        if expected is not None:
            assert REJECT_CODES[got] is expected.code
            return
        memory = switch.memory
        assert counters[_enums.C_KS_DAY] == memory.day and acct[_enums.A_DAY_OPEN] == memory.day_open_equity
        assert acct[_enums.A_PEAK] == memory.peak_equity
