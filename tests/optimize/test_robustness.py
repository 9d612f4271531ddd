"""Robustness checks: the deflated Sharpe ratio, Monte Carlo over round trips, parameter stability."""

from __future__ import annotations

import itertools
import math

import numba as nb
import numpy as np
import pandas as pd
import pytest

from botkit.core.errors import ConfigError
from botkit.optimize.robustness import (
    deflated_sharpe,
    deflated_sharpe_from_table,
    expected_max_sharpe,
    monte_carlo,
    neighbourhood_score,
    parameter_stability,
    probabilistic_sharpe_ratio,
)

# The paper's numerical example, per period: 250 observations a year, five years of daily data.
PAPER_SR = 2.5 / math.sqrt(250)
PAPER_VARIANCE = 0.5 / 250
PAPER_MOMENTS = {"n_obs": 1250, "skew": -3.0, "kurtosis": 10.0}


# --- deflated Sharpe ratio ---------------------------------------------------------------------


def test_the_published_numerical_example():
    """Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", section "A numerical example",
    pp. 9-10 (SSRN 2460551): an annualised SR of 2.5 over T = 1250 daily returns (250 a year),
    N = 100 trials with V[{SR_n}] = 1/2 annualised, skewness -3, kurtosis 10. The paper prints
    E[max SR] = √(1/2 / 250) · (...) ≈ 0.1132 and DSR ≈ 0.9004, and notes that with only N = 46
    trials the DSR would reach 0.9505. Inputs and outputs as quoted from pp. 9-10 by two
    independent reproductions found with the code search (test files quoting "N = 100,
    V[{SR_n}] = 1/2, T=1250, g3 = -3, g4 = 10", "SR_0 ~= 0.1132 and DSR ~= 0.9004"); vectorbt's
    ``deflated_sharpe_ratio`` gives 0.90039683 on the same inputs.
    """
    result = deflated_sharpe(PAPER_SR, n_trials=100, sharpe_variance=PAPER_VARIANCE, **PAPER_MOMENTS)
    assert result.expected_max == pytest.approx(0.1132, abs=5e-5)
    assert result.dsr == pytest.approx(0.9004, abs=5e-5)
    assert result.dsr < 0.95 < result.psr_zero  # significant alone, not after 100 trials
    assert (result.sharpe, result.n_trials, result.n_obs) == (PAPER_SR, 100, 1250)
    fewer = deflated_sharpe(PAPER_SR, n_trials=46, sharpe_variance=PAPER_VARIANCE, **PAPER_MOMENTS)
    assert fewer.dsr == pytest.approx(0.9505, abs=5e-5)


def test_the_published_example_through_a_sweep_table():
    # 99 rows at 2.5 - √50 and one at 2.5: the sample variance (ddof=1) is 0.01 · 50 = 0.5.
    low = 2.5 - math.sqrt(50)
    table = pd.DataFrame({
        "fast": range(101),
        "sharpe": [low] * 49 + [2.5] + [low] * 50 + [np.nan],
        "daily_returns": [1250] * 101,
        "skew": [0.0] * 49 + [-3.0] + [0.0] * 51,
        "kurtosis": [3.0] * 49 + [10.0] + [3.0] * 51,
    })
    assert table["sharpe"].var() == pytest.approx(0.5)
    result = deflated_sharpe_from_table(table, periods_per_year=250)
    direct = deflated_sharpe(PAPER_SR, n_trials=100, sharpe_variance=PAPER_VARIANCE, **PAPER_MOMENTS)
    assert result.n_trials == 100  # the NaN row is not a trial
    assert result.sharpe == pytest.approx(direct.sharpe, rel=1e-12)
    assert result.expected_max == pytest.approx(direct.expected_max, rel=1e-9)
    assert result.dsr == pytest.approx(direct.dsr, rel=1e-9)


def test_psr_rises_with_the_sharpe_ratio_and_the_track_record():
    sharpes = np.linspace(-0.2, 0.3, 26)
    psr = [probabilistic_sharpe_ratio(s, 0.05, 500, -0.5, 5.0) for s in sharpes]
    assert all(b > a for a, b in itertools.pairwise(psr))
    assert probabilistic_sharpe_ratio(0.05, 0.05, 500, -0.5, 5.0) == 0.5
    longer = [probabilistic_sharpe_ratio(0.1, 0.0, n, 0.0, 3.0) for n in (50, 200, 1000)]
    assert longer == sorted(longer)


def test_psr_closed_form_for_normal_returns():
    sharpe, n = 0.1, 365
    z = sharpe * math.sqrt(n - 1) / math.sqrt(1 + sharpe**2 / 2)
    expected = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    assert probabilistic_sharpe_ratio(sharpe, 0.0, n, 0.0, 3.0) == pytest.approx(expected, rel=1e-12)


def test_one_trial_or_identical_trials_are_not_deflated():
    # The formula's Z⁻¹(1 - 1/N) is -inf at N = 1; one trial has no selection bias: E[max] = 0.
    assert expected_max_sharpe(1, 0.01) == 0.0
    assert expected_max_sharpe(500, 0.0) == 0.0
    one = deflated_sharpe(0.05, n_trials=1, sharpe_variance=0.01, n_obs=400, skew=0.0, kurtosis=3.0)
    assert one.dsr == one.psr_zero == probabilistic_sharpe_ratio(0.05, 0.0, 400, 0.0, 3.0)
    table = pd.DataFrame({"sharpe": [1.2], "daily_returns": [400], "skew": [0.0], "kurtosis": [3.0]})
    assert deflated_sharpe_from_table(table).expected_max == 0.0


def test_expected_max_grows_with_trials_and_scales_with_the_deviation():
    values = [expected_max_sharpe(n, 1.0) for n in (2, 10, 100, 1000, 10_000)]
    assert values == sorted(values) and values[0] > 0
    assert expected_max_sharpe(100, 4.0) == pytest.approx(2 * expected_max_sharpe(100, 1.0))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_obs": 1}, "n_obs must be >= 2"),
        ({"n_obs": 0}, "n_obs must be >= 2"),
        ({"n_obs": 2.5}, "n_obs must be an integer, got 2.5"),
        ({"kurtosis": 0.0}, "kurtosis must be the non-excess"),
        ({"kurtosis": 1.5, "skew": 1.0}, r"at least 1 \+ skew² = 2"),
        ({"sharpe": math.nan}, "sharpe must be finite, got nan"),
    ],
)
def test_psr_rejects_bad_inputs(kwargs, match):
    args = {"sharpe": 0.1, "benchmark": 0.0, "n_obs": 100, "skew": 0.0, "kurtosis": 3.0} | kwargs
    with pytest.raises(ConfigError, match=match):
        probabilistic_sharpe_ratio(**args)


def test_expected_max_rejects_bad_inputs():
    with pytest.raises(ConfigError, match="n_trials must be >= 1, got 0"):
        expected_max_sharpe(0, 1.0)
    with pytest.raises(ConfigError, match=r"sharpe_variance must be >= 0, got -1\.0"):
        expected_max_sharpe(10, -1.0)


def test_table_version_rejects_bad_tables():
    table = pd.DataFrame({"sharpe": [1.0, 2.0], "daily_returns": [10, 10], "skew": [0.0, 0.0], "kurtosis": [3.0, 3.0]})
    with pytest.raises(ConfigError, match="no column 'calmar'"):
        deflated_sharpe_from_table(table, metric="calmar")
    with pytest.raises(ConfigError, match="table is empty"):
        deflated_sharpe_from_table(table.iloc[:0])
    with pytest.raises(ConfigError, match="no column 'kurtosis'"):
        deflated_sharpe_from_table(table.drop(columns="kurtosis"))
    with pytest.raises(ConfigError, match="no finite value"):
        deflated_sharpe_from_table(table.assign(sharpe=np.nan))
    with pytest.raises(ConfigError, match="periods_per_year must be > 0, got 0"):
        deflated_sharpe_from_table(table, periods_per_year=0)


# --- Monte Carlo -------------------------------------------------------------------------------


def sample_pnl(n: int = 300) -> np.ndarray:
    return np.random.default_rng(42).normal(2.0, 25.0, n)


def test_shuffle_keeps_the_final_return_and_varies_the_drawdown():
    pnl = sample_pnl()
    result = monte_carlo(pnl, 10_000.0, runs=500, seed=3)
    assert len(result.final_return) == len(result.max_drawdown) == 500
    assert np.all(result.final_return == result.final_return[0])
    assert result.final_return[0] == pytest.approx(pnl.sum() / 10_000.0, rel=1e-12)
    assert len(np.unique(result.max_drawdown)) > 400
    gains = pnl[pnl > 0].sum()
    worst_order = (10_000.0 + pnl.sum()) / (10_000.0 + gains) - 1  # every gain first, then every loss
    assert np.all(result.max_drawdown <= 0) and np.all(result.max_drawdown >= worst_order - 1e-12)


def test_drawdowns_of_hand_made_sequences():
    # Capital 100. [+5, -10]: peak 105, trough 95 -> 95/105 - 1. [-10, +5]: the running peak starts
    # at the capital, so falling to 90 first is a 10% drawdown (from the first trade's 90 it would be 0).
    result = monte_carlo(np.array([5.0, -10.0]), 100.0, runs=64, seed=1)
    outcomes = np.unique(result.max_drawdown)
    assert outcomes == pytest.approx([-0.1, 95 / 105 - 1])
    single = monte_carlo(np.array([-10.0]), 100.0, runs=8, method="bootstrap")
    assert single.max_drawdown == pytest.approx(np.full(8, -0.1))
    assert single.final_return == pytest.approx(np.full(8, -0.1))
    # Losing more than the capital is not floored: 100 -> -80 first, or 100 -> 150 -> -30.
    deep = monte_carlo(np.array([50.0, -180.0, 0.0]), 100.0, runs=32)
    assert np.unique(deep.max_drawdown) == pytest.approx([-80 / 100 - 1, -30 / 150 - 1])
    assert deep.final_return == pytest.approx(np.full(32, -1.3))


def brute_force_drawdowns(sequences: list[tuple[float, ...]], capital: float) -> dict[float, float]:
    """Each possible drawdown's share of equally likely sequences, by the definition itself."""
    shares: dict[float, float] = {}
    for sequence in sequences:
        equity = capital + np.cumsum((0.0, *sequence))
        drawdown = round(float(np.min(equity / np.maximum.accumulate(equity) - 1)), 9)
        shares[drawdown] = shares.get(drawdown, 0.0) + 1 / len(sequences)
    return shares


@pytest.mark.parametrize("method", ["shuffle", "bootstrap"])
def test_runs_draw_orders_and_samples_uniformly(method):
    """Every permutation (shuffle) or sequence of draws (bootstrap) is equally likely, so each
    drawdown's frequency over R runs is its share of the enumerated outcomes, within 4 binomial
    standard errors √(p(1-p)/R) (a biased Fisher–Yates, j drawn from all n places, fails this).
    """
    pnl, capital, runs = (4.0, -3.0, -2.0, 1.0), 10.0, 20_000
    outcomes = itertools.permutations(pnl) if method == "shuffle" else itertools.product(pnl, repeat=len(pnl))
    expected = brute_force_drawdowns(list(outcomes), capital)
    result = monte_carlo(np.array(pnl), capital, runs=runs, seed=9, method=method)
    observed = np.round(result.max_drawdown, 9)
    assert set(np.unique(observed).tolist()) <= set(expected)
    assert len(expected) >= 5
    for drawdown, share in expected.items():
        error = math.sqrt(share * (1 - share) / runs)
        assert abs(np.mean(observed == drawdown) - share) < 4 * error, drawdown


def test_bootstrap_mean_final_return_is_the_sample_expectation():
    """A run's final return is a sum of n draws: mean n·mean(pnl)/capital = sum(pnl)/capital and
    standard deviation √n·std(pnl)/capital (ddof=0: the empirical distribution), so the mean of
    R runs has standard error √n·std/capital/√R. Four standard errors leave a false failure at
    6 in 100,000 for an arbitrary seed; the seed is fixed, so this one cannot flake.
    """
    pnl = sample_pnl()
    capital, runs = 10_000.0, 4000
    result = monte_carlo(pnl, capital, runs=runs, seed=7, method="bootstrap")
    expected = pnl.sum() / capital
    error = math.sqrt(len(pnl)) * pnl.std() / capital / math.sqrt(runs)
    assert abs(result.final_return.mean() - expected) < 4 * error
    assert result.final_return.std() == pytest.approx(math.sqrt(len(pnl)) * pnl.std() / capital, rel=0.1)
    assert len(np.unique(result.final_return)) > 0.9 * runs


def test_runs_are_reproducible_and_independent_of_the_run_count_and_threads():
    pnl = sample_pnl()
    for method in ("shuffle", "bootstrap"):
        full = monte_carlo(pnl, 5_000.0, runs=400, seed=11, method=method)
        again = monte_carlo(pnl, 5_000.0, runs=400, seed=11, method=method)
        assert np.array_equal(full.max_drawdown, again.max_drawdown)
        assert np.array_equal(full.final_return, again.final_return)
        prefix = monte_carlo(pnl, 5_000.0, runs=37, seed=11, method=method)
        assert np.array_equal(prefix.max_drawdown, full.max_drawdown[:37])
        assert np.array_equal(prefix.final_return, full.final_return[:37])
        other = monte_carlo(pnl, 5_000.0, runs=400, seed=12, method=method)
        assert not np.array_equal(other.max_drawdown, full.max_drawdown)


def test_one_thread_gives_what_every_thread_gives():
    # Runs are dealt to threads in blocks; no block size may change a run's result.
    pnl = sample_pnl()
    many = monte_carlo(pnl, 5_000.0, runs=301, seed=5, method="bootstrap")
    previous = nb.get_num_threads()
    nb.set_num_threads(1)
    try:
        one = monte_carlo(pnl, 5_000.0, runs=301, seed=5, method="bootstrap")
    finally:
        nb.set_num_threads(previous)
    assert np.array_equal(one.final_return, many.final_return)
    assert np.array_equal(one.max_drawdown, many.max_drawdown)


def test_summary_reports_quantiles_and_the_probability_of_a_loss():
    result = monte_carlo(np.array([-3.0, -1.0, 2.0]), 100.0, runs=2000, seed=2, method="bootstrap")
    summary = result.summary()
    assert list(summary.index) == ["final_return", "max_drawdown"]
    assert list(summary.columns) == ["mean", "5%", "25%", "50%", "75%", "95%", "prob_loss"]
    quantiles = summary.loc["final_return", ["5%", "25%", "50%", "75%", "95%"]].to_numpy()
    assert np.all(np.diff(quantiles) >= 0)
    assert summary.loc["final_return", "50%"] == np.median(result.final_return)
    # A run of three draws ends at or above 100 with two or three +2s (7 of 27 draws) or with one
    # +2 and two -1s (3 of 27, exactly 100: not a loss), so P(loss) = 17/27. Its standard error over
    # 2000 runs is 0.011; 0.03 is under three of them.
    assert summary.loc["final_return", "prob_loss"] == pytest.approx(17 / 27, abs=0.03)
    assert math.isnan(summary.loc["max_drawdown", "prob_loss"])
    assert result.prob_loss == summary.loc["final_return", "prob_loss"]
    with pytest.raises(ValueError, match="read-only"):
        result.final_return[0] = 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"runs": 0}, "runs must be >= 1, got 0"),
        ({"runs": -5}, "runs must be >= 1, got -5"),
        ({"pnl": [1.0, math.nan, 2.0]}, "pnl must be finite, got nan at index 1"),
        ({"pnl": []}, r"pnl must be a non-empty 1-D array .* shape \(0,\)"),
        ({"pnl": [[1.0, 2.0]]}, r"shape \(1, 2\)"),
        ({"initial_capital": 0.0}, "initial_capital must be > 0, got 0.0"),
        ({"method": "jackknife"}, "method must be 'shuffle' or 'bootstrap', got 'jackknife'"),
        ({"seed": -1}, "seed must be >= 0, got -1"),
    ],
)
def test_monte_carlo_rejects_bad_inputs(kwargs, match):
    args = {"pnl": [1.0, -2.0], "initial_capital": 100.0} | kwargs
    with pytest.raises(ConfigError, match=match):
        monte_carlo(**args)


# --- parameter stability -----------------------------------------------------------------------
#            slow=30  slow=40  slow=50
# fast=5       1.0      2.0      1.5
# fast=10      2.5      3.0     (hole)
# fast=20      0.5      NaN      1.0


def grid_table() -> pd.DataFrame:
    rows = [(5, 30, 1.0), (5, 40, 2.0), (5, 50, 1.5), (10, 30, 2.5), (10, 40, 3.0),
            (20, 30, 0.5), (20, 40, np.nan), (20, 50, 1.0)]
    table = pd.DataFrame(rows, columns=["fast", "slow", "sharpe"])
    table.index = [f"combo{i}" for i in range(len(table))]
    return table.sample(frac=1.0, random_state=4)  # row order must not matter


def test_parameter_stability_of_the_best_cell():
    stability = parameter_stability(grid_table(), ["fast", "slow"], "sharpe")
    assert stability.attrs == {"best_index": "combo4", "best_metric": 3.0}
    fast, slow = stability.loc["fast"], stability.loc["slow"]
    assert (fast["value"], fast["below"], fast["above"]) == (10, 5, 20)
    assert fast["metric_below"] == 2.0 and math.isnan(fast["metric_above"])  # NaN metric: absent
    assert fast["drop_below"] == pytest.approx(1 / 3)
    assert (slow["value"], slow["below"], slow["above"]) == (40, 30, 50)
    assert slow["metric_below"] == 2.5 and math.isnan(slow["metric_above"])  # the hole: absent, not 0
    assert slow["drop_below"] == pytest.approx(0.5 / 3)
    mean = (1.0 + 2.0 + 1.5 + 2.5 + 3.0 + 0.5 + 1.0) / 7  # all nine cells but the hole and the NaN
    assert stability["neighbourhood_mean"].tolist() == pytest.approx([mean, mean])
    assert stability["neighbourhood_drop"].tolist() == pytest.approx([(3 - mean) / 3] * 2)


def test_an_edge_has_no_neighbour_beyond_it():
    table = grid_table()
    table.loc["combo0", "sharpe"] = 9.0  # the best is now the (5, 30) corner
    stability = parameter_stability(table, ["fast", "slow"], "sharpe")
    assert stability.loc["fast", "below"] is None and math.isnan(stability.loc["fast", "metric_below"])
    assert stability.loc["fast", "metric_above"] == 2.5
    assert stability.loc["slow", "metric_above"] == 2.0
    assert stability.loc["fast", "neighbourhood_mean"] == pytest.approx((9.0 + 2.0 + 2.5 + 3.0) / 4)
    table.loc["combo1", "sharpe"] = 10.0  # (5, 40): an edge on one axis only
    stability = parameter_stability(table, ["fast", "slow"], "sharpe")
    assert stability.loc["fast", "below"] is None and stability.loc["slow", "below"] == 30
    assert type(stability.loc["slow", "below"]) is not float  # grid values keep their type


def test_neighbourhood_score_smooths_every_row():
    table = grid_table()
    score = neighbourhood_score(table, ["fast", "slow"], "sharpe")
    assert list(score.index) == list(table.index)
    by_cell = {(f, s): score[label] for label, f, s in zip(table.index, table["fast"], table["slow"], strict=True)}
    assert by_cell[(5, 30)] == pytest.approx((1.0 + 2.0 + 2.5 + 3.0) / 4)
    assert by_cell[(20, 50)] == pytest.approx((3.0 + 1.0) / 2)  # hole and NaN neighbours left out
    assert by_cell[(10, 40)] == pytest.approx(11.5 / 7)
    assert math.isnan(by_cell[(20, 40)])  # nothing was measured there
    assert by_cell[(10, 30)] == pytest.approx((1.0 + 2.0 + 2.5 + 3.0 + 0.5) / 5)


def test_a_single_valued_axis_and_a_single_parameter_work():
    table = grid_table().assign(fee=0.001)
    three = neighbourhood_score(table, ["fast", "slow", "fee"], "sharpe")
    two = neighbourhood_score(table, ["fast", "slow"], "sharpe")
    assert three.to_numpy() == pytest.approx(two.to_numpy(), nan_ok=True)
    line = pd.DataFrame({"n": [3, 1, 2, 4], "sharpe": [1.0, 0.0, 2.0, 5.0]})
    assert neighbourhood_score(line, ["n"], "sharpe").tolist() == pytest.approx([8 / 3, 1.0, 1.0, 3.0])


@pytest.mark.parametrize(
    ("params", "metric", "match"),
    [
        (["fast", "slow"], "calmar", "no column 'calmar'"),
        (["fast", "lag"], "sharpe", "no column 'lag'"),
        ("fast", "sharpe", "params must be a non-empty sequence of column names, got 'fast'"),
        ([], "sharpe", "params must be a non-empty sequence"),
        (["fast", "fast"], "sharpe", "params must be distinct"),
    ],
)
def test_parameter_stability_rejects_bad_arguments(params, metric, match):
    with pytest.raises(ConfigError, match=match):
        parameter_stability(grid_table(), params, metric)


def test_parameter_stability_rejects_bad_tables():
    table = grid_table()
    with pytest.raises(ConfigError, match="table is empty"):
        parameter_stability(table.iloc[:0], ["fast", "slow"], "sharpe")
    with pytest.raises(ConfigError, match="no finite value"):
        parameter_stability(table.assign(sharpe=np.nan), ["fast", "slow"], "sharpe")
    with pytest.raises(ConfigError, match="1 repeated combinations"):
        neighbourhood_score(pd.concat([table, table.iloc[:1]]), ["fast", "slow"], "sharpe")
    with pytest.raises(ConfigError, match="must be a numeric column"):
        neighbourhood_score(table.assign(sharpe="high"), ["fast", "slow"], "sharpe")
    with pytest.raises(ConfigError, match="must be a pandas DataFrame"):
        neighbourhood_score(table.to_dict(), ["fast", "slow"], "sharpe")
