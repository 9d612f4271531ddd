"""Synthetic sweep tables and walk-forwards for the report's tests: a full grid, made with numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from botkit.optimize.report import WalkForwardView


def sweep_table(levels: dict[str, list[object] | np.ndarray], seed: int = 7, nan_every: int = 0) -> pd.DataFrame:
    """Every combination of ``levels`` (first parameter slowest), with sweep-like stats columns.

    ``sharpe`` is a smooth function of the parameters' positions plus noise; every
    ``nan_every``-th row has no trades (NaN sharpe and profit factor) and the row after it an
    infinite profit factor.
    """
    rng = np.random.default_rng(seed)
    names = list(levels)
    grids = np.meshgrid(*[np.arange(len(levels[n])) for n in names], indexing="ij")
    table = pd.DataFrame({n: pd.Series(levels[n]).iloc[g.ravel()].to_numpy()
                          for n, g in zip(names, grids, strict=True)})
    n = len(table)
    position = sum(g.ravel() / max(1, g.max()) * (i + 1) for i, g in enumerate(grids))
    sharpe = np.sin(position * 2.0) + rng.normal(0, 0.05, n)
    table["sharpe"] = sharpe
    table["sortino"] = sharpe * 1.4
    table["total_return"] = sharpe * 0.12
    table["cagr"] = sharpe * 0.08
    table["max_drawdown"] = -rng.uniform(0.01, 0.4, n)
    table["trades"] = rng.integers(1, 400, n)
    table["win_rate"] = rng.uniform(0.3, 0.7, n)
    table["profit_factor"] = rng.uniform(0.5, 2.5, n)
    table["exposure"] = rng.uniform(0.1, 0.9, n)
    table["fees"] = rng.uniform(10.0, 12_000.0, n)
    table["final_equity"] = 100_000.0 * (1.0 + table["total_return"])
    if nan_every:
        none = np.arange(0, n, nan_every)
        table.loc[none, ["sharpe", "sortino", "profit_factor"]] = np.nan
        table.loc[none, "trades"] = 0
        table.loc[(none + 1)[none + 1 < n], "profit_factor"] = np.inf
    return table


def walk_forward(windows: int = 4, hours: int = 4_000, seed: int = 3) -> WalkForwardView:
    """Equal test windows over ``hours`` hourly points, each chosen on the 720 hours before it."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=hours, freq="h", tz="UTC")
    edges = index[:: hours // windows].append(index[-1:])[: windows + 1]
    frame = pd.DataFrame({
        "window": np.arange(1, windows + 1),
        "train_start": edges[:-1] - pd.Timedelta(hours=720),
        "train_end": edges[:-1],
        "test_start": edges[:-1],
        "test_end": edges[1:],
        "fast": rng.choice([5, 10, 20], windows),
        "mode": rng.choice(["trend", "revert"], windows),
        "in_sample": rng.uniform(0.5, 2.0, windows),
        "out_of_sample": rng.uniform(-0.5, 1.0, windows),
    })
    frame.loc[windows - 1, "in_sample"] = 0.0  # degradation without a value
    oos = pd.Series(10_000.0 + np.cumsum(rng.normal(0, 5, hours)), index=index)
    ins = pd.Series(10_000.0 + np.cumsum(rng.normal(1, 5, hours)), index=index)
    return WalkForwardView(frame, oos, ins)
