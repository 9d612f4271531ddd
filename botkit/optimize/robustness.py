"""Robustness checks for an optimisation's winner: a lucky Sharpe ratio, a lucky trade order, a lone spike.

- **Deflated Sharpe ratio** (Bailey & López de Prado, "The Deflated Sharpe Ratio: Correcting for
  Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40 (5),
  2014): the probability that the best of ``N`` trials has a true Sharpe ratio above what the best
  of ``N`` skill-less trials would show. Sharpe ratios here are **per period** (not annualised);
  ``deflated_sharpe_from_table`` converts a sweep's annualised ones.
- **Monte Carlo on round trips**: reorder (``shuffle``) or resample (``bootstrap``) a backtest's
  trade PnLs to see how much of its final return and drawdown the order of the trades decided.
- **Parameter stability**: how the metric falls one grid step away from the best cell, and a
  smoothed surface (``neighbourhood_score``) to rank by instead of the raw maximum.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numba as nb
import numpy as np
import pandas as pd

from botkit.core.errors import ConfigError
from botkit.optimize import _robustness_nb

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The quantiles ``MonteCarloResult.summary`` reports."""

_NORMAL = NormalDist()


@dataclass(frozen=True)
class DeflatedSharpe:
    """The deflated Sharpe ratio of a selected trial, with the numbers it is made of (all per period)."""

    sharpe: float
    """The selected trial's observed Sharpe ratio."""
    expected_max: float
    """``E[max SR]`` of ``n_trials`` trials without skill: the benchmark the DSR tests against."""
    psr_zero: float
    """The probabilistic Sharpe ratio against 0: the confidence before any deflation."""
    dsr: float
    """The probabilistic Sharpe ratio against ``expected_max``; 0.95 or more is the paper's bar."""
    n_trials: int
    n_obs: int


def probabilistic_sharpe_ratio(sharpe: float, benchmark: float, n_obs: int, skew: float, kurtosis: float) -> float:
    """The probability that the true Sharpe ratio exceeds ``benchmark``, given an observed one.

    ``Z[(SR - SR*) √(T - 1) / √(1 - γ₃ SR + (γ₄ - 1) / 4 · SR²)]`` with ``T = n_obs`` returns of skewness
    γ₃ and **non-excess** kurtosis γ₄ (normal = 3); both Sharpe ratios per period.
    """
    sharpe, benchmark = _finite("sharpe", sharpe), _finite("benchmark", benchmark)
    n_obs = _count("n_obs", n_obs, minimum=2, why="to estimate a Sharpe ratio's variance")
    skew, kurtosis = _finite("skew", skew), _finite("kurtosis", kurtosis)
    floor = 1.0 + skew * skew  # Pearson: kurtosis >= 1 + skew² for every distribution
    if kurtosis < floor * (1.0 - 1e-9):
        raise ConfigError(f"kurtosis must be the non-excess fourth moment (normal = 3), at least 1 + skew² = "
                          f"{floor:g}, got {kurtosis!r} (an excess kurtosis?)")
    spread = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe
    gap = sharpe - benchmark
    if spread <= 0.0:  # only on the boundary of possible moments: the estimate has no variance
        return 1.0 if gap > 0 else 0.0 if gap < 0 else 0.5
    z = gap * math.sqrt(n_obs - 1) / math.sqrt(spread)
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """The paper's ``E[max SR_n]`` of ``n_trials`` trials whose true Sharpe ratio is 0 (per period).

    ``√V · ((1 - γ) Z⁻¹[1 - 1/N] + γ Z⁻¹[1 - 1/(N e)])``, γ the Euler–Mascheroni constant and ``V``
    the variance of the trials' Sharpe ratios. At ``N = 1`` the formula gives -∞ (``Z⁻¹(0)``); one
    trial has nothing to select from, so its expected maximum is its mean, 0, and the DSR is the
    PSR against 0. Zero variance (identical trials) also gives 0.
    """
    n_trials = _count("n_trials", n_trials, minimum=1, why="")
    sharpe_variance = _finite("sharpe_variance", sharpe_variance)
    if sharpe_variance < 0:
        raise ConfigError(f"sharpe_variance must be >= 0, got {sharpe_variance!r}")
    if n_trials == 1 or sharpe_variance == 0:
        return 0.0
    gamma = np.euler_gamma
    z = (1 - gamma) * _NORMAL.inv_cdf(1 - 1 / n_trials) + gamma * _NORMAL.inv_cdf(1 - 1 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * z


def deflated_sharpe(
    sharpe: float, *, n_trials: int, sharpe_variance: float, n_obs: int, skew: float, kurtosis: float
) -> DeflatedSharpe:
    """The deflated Sharpe ratio of the best of ``n_trials`` (per-period Sharpe ratios and variance).

    ``n_trials`` should count independent trials; the trials of a grid are correlated, so counting
    them all overstates the benchmark and errs on the side of rejecting.
    """
    sharpe = _finite("sharpe", sharpe)
    benchmark = expected_max_sharpe(n_trials, sharpe_variance)
    return DeflatedSharpe(
        sharpe=sharpe,
        expected_max=benchmark,
        psr_zero=probabilistic_sharpe_ratio(sharpe, 0.0, n_obs, skew, kurtosis),
        dsr=probabilistic_sharpe_ratio(sharpe, benchmark, n_obs, skew, kurtosis),
        n_trials=int(n_trials),
        n_obs=int(n_obs),
    )


def deflated_sharpe_from_table(
    table: pd.DataFrame, metric: str = "sharpe", periods_per_year: float = 365
) -> DeflatedSharpe:
    """The deflated Sharpe ratio of a sweep's best row (by ``metric``, an annualised Sharpe ratio).

    The trials are the rows with a finite ``metric`` (a row without one, e.g. without two daily
    returns, never had a Sharpe ratio to select); ratios are de-annualised by
    ``√periods_per_year`` and their variance (``ddof=1``; 0 for one trial) is the paper's ``V``.
    ``n_obs``, ``skew`` and ``kurtosis`` come from the best row's ``daily_returns``, ``skew`` and
    ``kurtosis`` columns.
    """
    _check_table(table, [metric, "daily_returns", "skew", "kurtosis"])
    periods_per_year = _finite("periods_per_year", periods_per_year)
    if periods_per_year <= 0:
        raise ConfigError(f"periods_per_year must be > 0, got {periods_per_year!r}")
    values = _metric_values(table, metric)
    trials = values[np.isfinite(values)] / math.sqrt(periods_per_year)
    if len(trials) == 0:
        raise ConfigError(f"metric {metric!r} has no finite value in the table ({len(table)} rows)")
    variance = float(np.var(trials, ddof=1)) if len(trials) > 1 else 0.0
    best = table.iloc[int(np.nanargmax(np.where(np.isfinite(values), values, np.nan)))]
    return deflated_sharpe(float(trials.max()), n_trials=len(trials), sharpe_variance=variance,
                           n_obs=best["daily_returns"], skew=best["skew"], kurtosis=best["kurtosis"])


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Per-run final returns and maximum drawdowns of a Monte Carlo over round trips (read-only arrays)."""

    method: str
    final_return: np.ndarray
    """``final equity / initial capital - 1`` of each run."""
    max_drawdown: np.ndarray
    """The smallest ``equity / running peak - 1`` of each run (≤ 0)."""

    @property
    def prob_loss(self) -> float:
        """The share of runs that end below the initial capital."""
        return float(np.mean(self.final_return < 0))

    def summary(self) -> pd.DataFrame:
        """Mean and quantiles (``QUANTILES``) of both figures, and the probability of a loss.

        Rows ``final_return`` and ``max_drawdown``; ``prob_loss`` is the final return's (NaN in
        the drawdown's row).
        """
        rows: dict[str, list[float]] = {}
        for name, values in (("final_return", self.final_return), ("max_drawdown", self.max_drawdown)):
            rows[name] = [float(np.mean(values)), *np.quantile(values, QUANTILES).tolist()]
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=["mean", *(f"{q:.0%}" for q in QUANTILES)])
        frame["prob_loss"] = [self.prob_loss, np.nan]
        return frame


def monte_carlo(
    pnl: np.ndarray,
    initial_capital: float,
    runs: int = 1000,
    seed: int = 0,
    method: Literal["shuffle", "bootstrap"] = "shuffle",
) -> MonteCarloResult:
    """Final return and maximum drawdown of ``runs`` reorderings or resamplings of round-trip PnLs.

    ``shuffle`` permutes the trades (every run ends where the backtest ended; the drawdown is what
    varies). ``bootstrap`` draws ``len(pnl)`` trades with replacement (both vary). A run's equity
    is ``initial_capital + cumulative PnL``, one point before the first trade and one after each,
    not floored at 0. Its drawdown is botkit's ``value / running peak - 1`` with the running peak
    starting at the initial capital: the first point is the capital, so this is also botkit's
    "peak starts at the first equity point", and a first losing trade is a drawdown.

    Reproducible: run ``r``'s result depends only on ``seed`` and ``r``, so ``runs=100`` gives the
    first 100 runs of ``runs=1000``, whatever the thread count. Memory is O(runs + threads × trades);
    no runs × trades array is built. A shuffle's final equity is the sample's, computed once
    (``capital + math.fsum(pnl)``): the running sum in a run's order differs from it only by rounding.
    """
    values = _pnl_array(pnl)
    capital = _finite("initial_capital", initial_capital)
    if capital <= 0:
        raise ConfigError(f"initial_capital must be > 0, got {initial_capital!r}")
    runs = _count("runs", runs, minimum=1, why="")
    seed = _count("seed", seed, minimum=0, why="")
    if seed >= 2**64:
        raise ConfigError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    if method not in ("shuffle", "bootstrap"):
        raise ConfigError(f"method must be 'shuffle' or 'bootstrap', got {method!r}")
    final_equity, max_drawdown = np.empty(runs), np.empty(runs)
    blocks = max(1, min(nb.get_num_threads(), runs))
    _robustness_nb.resample_runs_nb(values, capital, np.uint64(seed), method == "bootstrap", blocks,
                                    final_equity, max_drawdown)
    if method == "shuffle":
        final_equity[:] = capital + math.fsum(values)
    final_return = final_equity / capital - 1.0
    final_return.setflags(write=False)
    max_drawdown.setflags(write=False)
    return MonteCarloResult(method, final_return, max_drawdown)


def parameter_stability(table: pd.DataFrame, params: Sequence[str], metric: str) -> pd.DataFrame:
    """How ``metric`` changes one grid step away from the best row, parameter by parameter.

    The best row has the largest finite ``metric`` (NaN and ±inf are missing values; ties go to
    the first row). A parameter's grid is its sorted distinct values in the table, and a step
    moves one place along it with the other parameters fixed; a combination the table lacks (a
    constrained grid's hole) or whose metric is missing is absent, never 0. One row per parameter:

    ``value`` (the best row's), ``below`` / ``above`` (the neighbouring grid values, None at an
    edge; object columns, so each parameter keeps its type), ``metric_below`` / ``metric_above``
    (NaN when absent), ``drop_below`` / ``drop_above`` (``(best - neighbour) / |best|``), and
    ``neighbourhood_mean`` / ``neighbourhood_drop``, the same in every row: the mean over the best
    row's whole neighbourhood (every combination within one step on every axis, itself included)
    and its relative drop. ``attrs`` holds ``best_index`` (the table's label) and ``best_metric``.
    """
    grid = _Grid(table, params, metric)
    finite = np.isfinite(grid.values)
    if not finite.any():
        raise ConfigError(f"metric {metric!r} has no finite value in the table ({len(table)} rows)")
    best = int(np.argmax(np.where(finite, grid.values, -np.inf)))
    best_metric = float(grid.values[best])
    here = grid.coords[best]
    mean = float(grid.neighbourhood_means(here[None, :])[0])
    values: dict[str, list[object]] = {"value": [], "below": [], "above": []}
    metrics: dict[str, list[float]] = {"below": [], "above": []}
    for axis, axis_values in enumerate(grid.axes):
        values["value"].append(axis_values[here[axis]])
        for side, step in (("below", -1), ("above", 1)):
            there = here.copy()
            there[axis] += step
            values[side].append(axis_values[there[axis]] if 0 <= there[axis] < len(axis_values) else None)
            metrics[side].append(float(grid.metric_at(there[None, :])[0]))
    frame = pd.DataFrame({name: pd.Series(column, dtype=object) for name, column in values.items()})
    with np.errstate(divide="ignore", invalid="ignore"):
        for side, column in metrics.items():
            frame[f"metric_{side}"] = column
        for side, column in metrics.items():
            frame[f"drop_{side}"] = (best_metric - np.asarray(column)) / abs(best_metric)
        frame["neighbourhood_mean"] = mean
        frame["neighbourhood_drop"] = np.float64(best_metric - mean) / abs(best_metric)
    frame.index = pd.Index(grid.params, name="param")
    frame.attrs.update(best_index=table.index[best], best_metric=best_metric)
    return frame


def neighbourhood_score(table: pd.DataFrame, params: Sequence[str], metric: str) -> pd.Series:
    """Every row's mean ``metric`` over its neighbourhood: a smoothed surface to rank by.

    The neighbourhood is every combination within one grid step on every axis, the row itself
    included (``parameter_stability`` defines the grid); absent combinations and missing metrics
    are left out of the mean, not counted as 0. A row whose own metric is missing scores NaN, as
    nothing was measured there. In a random search, where values rarely repeat, most rows have no
    neighbours and score their own metric. Cost: ``3**len(params)`` look-ups per row.
    """
    grid = _Grid(table, params, metric)
    scores = grid.neighbourhood_means(grid.coords)
    scores[~np.isfinite(grid.values)] = np.nan
    return pd.Series(scores, index=table.index, name=f"{metric}_neighbourhood")


class _Grid:
    """A sweep table's rows as integer coordinates on its parameters' sorted distinct values."""

    def __init__(self, table: pd.DataFrame, params: Sequence[str], metric: str) -> None:
        if isinstance(params, str) or not isinstance(params, Sequence) or len(params) == 0:
            raise ConfigError(f"params must be a non-empty sequence of column names, got {params!r}")
        if len(set(params)) != len(params) or metric in params:
            raise ConfigError(f"params must be distinct columns other than the metric {metric!r}, got {list(params)!r}")
        _check_table(table, [*params, metric])
        self.params = list(params)
        self.values = _metric_values(table, metric)
        codes: list[np.ndarray] = []
        self.axes: list[list[object]] = []
        for name in self.params:
            column = table[name]
            if column.isna().any():
                raise ConfigError(f"parameter column {name!r} has missing values ({int(column.isna().sum())} rows)")
            try:
                code, uniques = pd.factorize(column, sort=True)
            except TypeError as exc:
                raise ConfigError(f"parameter column {name!r} mixes values that cannot be ordered: {exc}") from exc
            codes.append(code.astype(np.int64))
            self.axes.append(list(uniques))
        self.coords = np.column_stack(codes)
        self._index = pd.MultiIndex.from_arrays(codes)
        if self._index.has_duplicates:
            raise ConfigError(f"table has {int(self._index.duplicated().sum())} repeated combinations of "
                              f"{self.params!r}; one row per combination is needed")

    def metric_at(self, coords: np.ndarray) -> np.ndarray:
        """The metric at each row of ``coords`` (NaN where the table has no such combination)."""
        found = self._index.get_indexer(pd.MultiIndex.from_arrays(list(coords.T)))
        return np.where(found >= 0, self.values[found], np.nan)

    def neighbourhood_means(self, coords: np.ndarray) -> np.ndarray:
        """The mean finite metric within one step of each row of ``coords`` (NaN where there is none)."""
        total = np.zeros(len(coords))
        count = np.zeros(len(coords))
        for offset in itertools.product((-1, 0, 1), repeat=coords.shape[1]):
            found = self.metric_at(coords + np.asarray(offset))
            present = np.isfinite(found)
            total[present] += found[present]
            count[present] += 1
        with np.errstate(invalid="ignore"):
            return total / count


def _check_table(table: object, columns: Sequence[str]) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(f"table must be a pandas DataFrame (a sweep's results), got {type(table).__name__}")
    if table.empty:
        raise ConfigError("table is empty: a sweep with no rows has nothing to check")
    missing = [name for name in columns if name not in table.columns]
    if missing:
        raise ConfigError(f"table has no column {missing[0]!r} (columns: {list(table.columns)!r})")


def _metric_values(table: pd.DataFrame, metric: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(table[metric]) or pd.api.types.is_bool_dtype(table[metric]):
        raise ConfigError(f"metric {metric!r} must be a numeric column, got dtype {table[metric].dtype}")
    values: np.ndarray = table[metric].to_numpy(dtype=float, na_value=np.nan)
    return values


def _pnl_array(pnl: object) -> np.ndarray:
    try:
        values = np.ascontiguousarray(pnl, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"pnl must be an array of round-trip PnLs, got {type(pnl).__name__}: {exc}") from exc
    if values.ndim != 1 or len(values) == 0:
        raise ConfigError(f"pnl must be a non-empty 1-D array of round-trip PnLs, got shape {values.shape}")
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise ConfigError(f"pnl must be finite, got {float(values[bad[0]])!r} at index {int(bad[0])} ({len(bad)} such)")
    return values


def _finite(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be finite, got {value!r}")
    return number


def _count(name: str, value: object, *, minimum: int, why: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise ConfigError(f"{name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be >= {minimum}{' ' + why if why else ''}, got {value!r}")
    return number
