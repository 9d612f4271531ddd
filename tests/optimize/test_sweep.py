"""The compiled sweep gives, for every combination, the statistics of a single backtest of it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import botkit
from botkit.backtest.engine import market_records
from botkit.backtest.spec import validate_spec
from botkit.core.errors import StrategyError
from botkit.data.synthetic import synthetic_bars
from botkit.optimize.sweep import CompiledSweep, SweepData, sweepable
from botkit.optimize.sweep_stats import STAT_COLUMNS, curve_moments
from botkit.strategy.loader import build_params, load_strategy_class

BARS = synthetic_bars(20_000, seed=3)
COSTS: dict[str, Any] = {
    "capital": 100_000.0,
    "fees": {"maker_bps": 1, "taker_bps": 5},
    "slippage": {"bps": 1},
    "instrument": {"tick_size": 0.01, "lot_size": 0.0001},
}
RISKY = {**COSTS, "sizing": {"fraction_of_equity": 0.5}, "risk": {"max_order_notional": 80_000, "allow_short": False}}
KILL = {**COSTS, "risk": {"max_drawdown_pct": 0.05}}


def _sweep(strategy: str, settings_: dict[str, Any], combos: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    spec = validate_spec({"strategy": strategy, **settings_}, "test")
    config, _, records = market_records(spec, {"BTCUSD": BARS})
    cls = load_strategy_class(strategy)
    assert sweepable(cls, config) is None
    params = [build_params(cls, combo, "test") for combo in combos]
    outcome = CompiledSweep(SweepData.from_records(config, records), cls).run(params)
    assert outcome.inexact == []
    return outcome.columns


def _single(strategy: str, settings_: dict[str, Any], combo: dict[str, Any]) -> dict[str, Any]:
    result = botkit.backtest({"strategy": strategy, "params": combo, "engine": "compiled", **settings_},
                             data={"BTCUSD": BARS})
    return {**result.stats, **curve_moments(result.outcome.equity_ts, result.outcome.equity)}


def _assert_same(columns: dict[str, np.ndarray], q: int, stats: dict[str, Any], label: str) -> None:
    for name in STAT_COLUMNS:
        got, want = float(columns[name][q]), float(stats[name])
        same = got == want or (math.isnan(got) and math.isnan(want)) or math.isclose(got, want, rel_tol=1e-9,
                                                                                    abs_tol=1e-12)
        assert same, f"{label}: {name} sweep {got!r} != backtest {want!r}"


@pytest.mark.parametrize(
    ("strategy", "settings_", "combos"),
    [
        ("sma_cross", COSTS, [{"fast": f, "slow": s, "size": 1.0} for f, s in [(5, 20), (10, 50), (3, 7), (20, 21)]]),
        ("sma_cross", RISKY, [{"fast": f, "slow": s, "size": None} for f, s in [(5, 20), (10, 50)]]),
        ("sma_cross", KILL, [{"fast": 5, "slow": 20, "size": 1.0}, {"fast": 30, "slow": 90, "size": 1.0}]),
        ("bollinger_reversion", RISKY, [{"window": w, "k": k, "size": None} for w, k in [(20, 2.0), (50, 1.5),
                                                                                        (10, 3.0)]]),
        ("donchian_breakout", COSTS, [{"entry": e, "exit": x} for e, x in [(20, 10), (55, 20), (5, 5)]]),
    ],
)
def test_every_statistic_equals_a_single_backtest(strategy: str, settings_: dict[str, Any],
                                                  combos: list[dict[str, Any]]) -> None:
    columns = _sweep(strategy, settings_, combos)
    for q, combo in enumerate(combos):
        _assert_same(columns, q, _single(strategy, settings_, combo), f"{strategy} {combo}")


def test_the_kill_switch_halts_a_combination_as_it_halts_a_backtest() -> None:
    combo = {"fast": 5, "slow": 20, "size": 1.0}
    spec = validate_spec({"strategy": "sma_cross", **KILL}, "test")
    config, _, records = market_records(spec, {"BTCUSD": BARS})
    cls = load_strategy_class("sma_cross")
    outcome = CompiledSweep(SweepData.from_records(config, records), cls).run([build_params(cls, combo, "t")])
    single = botkit.backtest({"strategy": "sma_cross", "params": combo, **KILL}, data={"BTCUSD": BARS})
    assert single.kill_switch is not None
    assert outcome.kill_switch == [single.kill_switch.code.value]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(2, 120)).filter(lambda p: p[0] < p[1]), min_size=1,
                max_size=6, unique=True))
def test_random_grids_equal_single_backtests(pairs: list[tuple[int, int]]) -> None:
    combos = [{"fast": f, "slow": s, "size": 1.0} for f, s in pairs]
    columns = _sweep("sma_cross", COSTS, combos)
    for q, combo in enumerate(combos):
        _assert_same(columns, q, _single("sma_cross", COSTS, combo), str(combo))


def test_the_order_of_combinations_and_the_block_size_change_nothing() -> None:
    combos = [{"fast": f, "slow": s, "size": 1.0} for f, s in [(5, 20), (10, 50), (7, 30)]]
    spec = validate_spec({"strategy": "sma_cross", **COSTS}, "test")
    config, _, records = market_records(spec, {"BTCUSD": BARS})
    cls = load_strategy_class("sma_cross")
    data = SweepData.from_records(config, records)
    params = [build_params(cls, c, "t") for c in combos]
    forward = CompiledSweep(data, cls).run(params).columns
    backward = CompiledSweep(data, cls, block=333, threads=1).run(params[::-1]).columns
    for name in STAT_COLUMNS:
        np.testing.assert_array_equal(forward[name], backward[name][::-1])


def test_a_strategy_without_a_declared_step_is_not_sweepable() -> None:
    spec = validate_spec({"strategy": "momentum"}, "test")
    config, _, _ = market_records(spec, {"BTCUSD": BARS})
    assert "no declared compiled step" in str(sweepable(load_strategy_class("momentum"), config))


def test_an_invalid_intent_names_the_combination() -> None:
    import numba as nb
    from botkit.examples.sma_cross import SmaCrossParams

    from botkit.strategy.base import Strategy
    from botkit.strategy.indicators import SMA

    @nb.njit
    def bad_step(state, event, params, ind):
        return 1, 3, 1.0, math.nan  # side 3 is no side

    class Bad(Strategy[SmaCrossParams]):
        Params = SmaCrossParams
        indicators = {"fast": SMA("price", "fast")}  # noqa: RUF012 - the declaration form strategies use
        step = bad_step

    spec = validate_spec({"strategy": "sma_cross", **COSTS}, "test")
    config, _, records = market_records(spec, {"BTCUSD": BARS})
    with pytest.raises(StrategyError, match="invalid intent"):
        CompiledSweep(SweepData.from_records(config, records), Bad).run([SmaCrossParams(fast=5, slow=20)])
