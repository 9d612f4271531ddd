"""``botkit.optimize``: a spec and a space in, one row per combination out, every bad input refused first."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import botkit
from botkit.core.errors import ConfigError
from botkit.data.synthetic import synthetic_bars
from botkit.optimize.engine import optimize
from botkit.optimize.sweep_stats import STAT_COLUMNS

BARS = synthetic_bars(20_000, seed=5)
SPEC: dict[str, Any] = {"strategy": "sma_cross", "params": {"size": 1.0}, "capital": 100_000.0,
                        "fees": {"taker_bps": 5}}
GRID = {"fast": "5:20:5", "slow": "20:60:20"}


def test_a_grid_gives_one_row_per_combination_ranked_by_the_metric() -> None:
    result = optimize(SPEC, grid=GRID, where=["fast < slow"], data={"BTCUSD": BARS}, metric="sortino")
    table = result.table
    assert len(table) == 11  # 4 x 3 = 12 pairs, (20, 20) removed by the constraint
    assert list(table.columns[:2]) == ["fast", "slow"]
    assert set(STAT_COLUMNS) <= set(table.columns)
    assert (table["fast"] < table["slow"]).all()
    ranked = result.top(11)["sortino"].to_numpy()
    finite = ranked[np.isfinite(ranked)]
    assert (np.diff(finite) <= 0).all()
    assert result.best_params == {"fast": int(result.best["fast"]), "slow": int(result.best["slow"])}
    assert result.engine.startswith("compiled sweep")


def test_rows_equal_single_backtests_of_their_params() -> None:
    result = optimize(SPEC, grid=["fast=5,8", "slow=30"], data={"BTCUSD": BARS})
    for _, row in result.table.iterrows():
        single = botkit.backtest({**SPEC, "params": {"size": 1.0, "fast": int(row["fast"]), "slow": 30}},
                                 data={"BTCUSD": BARS}).stats
        for name in ("final_equity", "sharpe", "max_drawdown", "trades", "win_rate", "fees", "exposure"):
            assert math.isclose(float(row[name]), float(single[name]), rel_tol=1e-9), name


def test_the_python_path_runs_strategies_without_a_compiled_sweep() -> None:
    result = optimize({"strategy": "momentum", "capital": 100_000.0}, grid={"lookback": [10, 30]},
                      data={"BTCUSD": BARS[:5000]})
    assert result.engine.startswith("backtest per combination")
    for _, row in result.table.iterrows():
        single = botkit.backtest({"strategy": "momentum", "params": {"lookback": int(row["lookback"])}},
                                 data={"BTCUSD": BARS[:5000]}).stats
        assert row["final_equity"] == pytest.approx(single["final_equity"], rel=1e-12)
        assert row["trades"] == single["trades"]


def test_random_search_is_reproducible_and_within_the_space() -> None:
    grid = {"fast": "2:30", "slow": "10:90"}
    first = optimize(SPEC, grid=grid, where=["fast < slow"], random=12, seed=7, data={"BTCUSD": BARS})
    again = optimize(SPEC, grid=grid, where=["fast < slow"], random=12, seed=7, data={"BTCUSD": BARS})
    pd.testing.assert_frame_equal(first.table, again.table)
    assert len(first.table) == 12
    assert first.table["fast"].between(2, 30).all() and (first.table["fast"] < first.table["slow"]).all()


def test_the_spec_optimize_section_is_the_default_space(tmp_path: Path) -> None:
    spec = {**SPEC, "optimize": {"grid": {"fast": [5, 10]}, "constraints": ["fast < slow"], "metric": "total_return"}}
    result = optimize(spec, data={"BTCUSD": BARS})
    assert list(result.table["fast"]) == [5, 10]
    assert result.metric == "total_return"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grid": {"fats": "5:10:5"}}, "did you mean 'fast'"),
        ({"grid": {"fast": "5:1:1"}}, "fast"),
        ({"grid": {"fast": "5:10:0"}}, "step"),
        ({"grid": {"fast": "0:10:5"}}, "fast=0"),
        ({"grid": {"fast": "40:60:10"}}, "add \"fast < slow\""),  # fast >= slow (50): the params model refuses
        ({"grid": GRID, "where": ["fast > 100"]}, "fast > 100"),
        ({"grid": GRID, "metric": "happiness"}, "happiness"),
        ({"grid": GRID, "where": ["fast < slow"], "walk_forward": "train=90d"}, "train=SPAN,test=SPAN"),
        ({"grid": GRID, "where": ["fast < slow"], "walk_forward": "train=90x,test=30d"}, "90x"),
        ({}, "nothing to optimize"),
    ],
)
def test_bad_spaces_are_refused_before_any_work(kwargs: dict[str, Any], message: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import botkit.optimize.engine as engine

    def no_data(*args: Any, **kw: Any) -> Any:
        raise AssertionError("data was read before the space was checked")

    if "metric" not in kwargs and "walk_forward" not in kwargs:
        monkeypatch.setattr(engine, "load_market", no_data)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("+", r"\+")):
        optimize(SPEC, data={"BTCUSD": BARS}, **kwargs)


def test_results_kept_on_disk_resume_without_rerunning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import botkit.optimize.runner as runner

    first = optimize(SPEC, grid=GRID, where=["fast < slow"], data={"BTCUSD": BARS}, out=tmp_path, chunk_size=3)
    calls: list[int] = []
    real = runner.run_chunk

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(runner, "run_chunk", counted)
    again = optimize(SPEC, grid=GRID, where=["fast < slow"], data={"BTCUSD": BARS}, out=tmp_path, chunk_size=3)
    assert calls == []
    pd.testing.assert_frame_equal(first.table, again.table)


def test_save_writes_the_table_report_and_summary(tmp_path: Path) -> None:
    result = optimize(SPEC, grid=GRID, where=["fast < slow"], data={"BTCUSD": BARS})
    paths = result.save(tmp_path)
    assert set(paths) == {"parquet", "csv", "summary", "report"}
    table = pd.read_parquet(paths["parquet"])
    assert len(table) == len(result.table) and "combination" in table.columns
    assert "<html" in paths["report"].read_text()[:200]
    assert '"best"' in paths["summary"].read_text()


def test_an_out_that_is_no_folder_is_refused_before_the_data_is_read(tmp_path: Path) -> None:
    missing = {**SPEC, "data": {"archive": str(tmp_path / "no-archive")}}  # reading it would be a DataError
    with pytest.raises(ConfigError, match="out: must be a folder, but '/dev/null' is a device or socket"):
        optimize(missing, grid=GRID, out="/dev/null")
