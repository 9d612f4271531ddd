"""What ``botkit.optimize`` returns: the table of every combination, the best, and ways to look at them."""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from botkit.backtest.spec import BacktestSpec
from botkit.core.errors import ConfigError
from botkit.core.yaml_document import YamlDocument
from botkit.data.atomic import atomic_write
from botkit.optimize.report_cells import LOWER_IS_BETTER
from botkit.optimize.sweep_stats import STAT_COLUMNS

if TYPE_CHECKING:
    from botkit.optimize.robustness import DeflatedSharpe, MonteCarloResult
    from botkit.optimize.walk_forward import WalkForwardResult


def check_metric(metric: str) -> str:
    """``metric`` if a sweep can rank by it; a ConfigError listing the choices otherwise."""
    if metric not in STAT_COLUMNS:
        raise ConfigError(f"--metric {metric!r} is not a statistic of a sweep; choose one of {', '.join(STAT_COLUMNS)}")
    return metric


def ranked(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``table`` from best to worst by ``metric``; rows without a finite value last, in their order."""
    values = table[metric].to_numpy(dtype=float)
    key = pd.Series(np.where(np.isfinite(values), values, np.nan), index=table.index)
    return table.loc[key.sort_values(ascending=metric in LOWER_IS_BETTER, na_position="last", kind="stable").index]


@dataclass
class OptimizeResult:
    """A finished sweep: ``table`` has one row per combination (its parameters, then every statistic).

    ``best`` is the best row by ``metric`` (higher is better, but for volatility, fees,
    drawdown duration and rejections); ``top(n)`` the n best; ``plot()`` writes the interactive
    report; ``save(dir)`` writes the table as Parquet and CSV with the report and a summary;
    ``walk_forward`` holds a walk-forward analysis when one was run.
    """

    spec: BacktestSpec
    table: pd.DataFrame
    params: list[str]
    metric: str
    space: str
    """The parameter space in words (axes, counts, constraints)."""
    engine: str
    note: str | None = None
    document: YamlDocument | None = None
    walk_forward: WalkForwardResult | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def lower_is_better(self) -> bool:
        """Whether the sweep minimises its metric."""
        return self.metric in LOWER_IS_BETTER

    def ranked(self) -> pd.DataFrame:
        """The table from best to worst by the metric (combinations without a finite value last, as the report)."""
        return ranked(self.table, self.metric)

    def top(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` best combinations."""
        return self.ranked().head(n)

    @property
    def best(self) -> pd.Series:
        """The best combination's row (parameters and statistics)."""
        ranked = self.ranked()
        if len(ranked) == 0 or not np.isfinite(float(ranked[self.metric].iloc[0])):
            raise ConfigError(f"no combination has a finite {self.metric}; rank by another --metric")
        return ranked.iloc[0]

    @property
    def best_params(self) -> dict[str, Any]:
        """The best combination's parameters (as the spec's ``params:`` would take them)."""
        row = self.best
        return {name: _plain(row[name]) for name in self.params}

    def deflated_sharpe(self) -> DeflatedSharpe:
        """The best Sharpe ratio deflated for the number of combinations tried (Bailey and López de Prado)."""
        from botkit.optimize.robustness import deflated_sharpe_from_table

        return deflated_sharpe_from_table(self.table)

    def monte_carlo(self, runs: int = 1000, seed: int = 0, method: str = "bootstrap") -> MonteCarloResult:
        """Monte Carlo over the round trips of the best combination (backtested again for its trades)."""
        from botkit.backtest.engine import backtest
        from botkit.optimize.robustness import monte_carlo

        data = self.extra.get("data")
        run = backtest(self.spec.with_overrides(params={**self.spec.params, **self.best_params}), data=data)
        return monte_carlo(run.trades["pnl"].to_numpy(), self.spec.capital, runs=runs, seed=seed,
                           method=method)  # type: ignore[arg-type]

    def robustness(self, runs: int = 1000) -> dict[str, Any]:
        """The deflated Sharpe ratio, parameter stability and a Monte Carlo of the best, in numbers."""
        out: dict[str, Any] = {}
        try:
            deflated = self.deflated_sharpe()
            out["deflated_sharpe"] = {"dsr": deflated.dsr, "expected_max_sharpe": deflated.expected_max,
                                      "best_sharpe": deflated.sharpe, "trials": deflated.n_trials,
                                      "days": deflated.n_obs}
        except ConfigError as error:
            out["deflated_sharpe"] = str(error)
        try:
            stability = self.stability()
            out["stability"] = {str(name): _json_ready(row.to_dict()) for name, row in stability.iterrows()}
        except (ConfigError, KeyError, ValueError) as error:
            out["stability"] = str(error)
        try:
            summary = self.monte_carlo(runs=runs).summary()
            out["monte_carlo"] = {str(name): _json_ready(row.to_dict()) for name, row in summary.iterrows()}
        except ConfigError as error:
            out["monte_carlo"] = str(error)
        return out

    def stability(self) -> pd.DataFrame:
        """How much the metric falls one grid step away from the best along each parameter."""
        from botkit.optimize.robustness import parameter_stability

        return parameter_stability(self.table, self.params, self.metric)

    def summary(self) -> dict[str, Any]:
        """What the sweep was and what it found, for ``summary.json``."""
        out: dict[str, Any] = {
            "name": self.spec.name, "strategy": self.spec.strategy, "metric": self.metric,
            "space": self.space, "combinations": len(self.table), "engine": self.engine,
            "fixed_params": self.spec.params, "spec": json.loads(self.spec.model_dump_json()),
        }
        if self.note:
            out["note"] = self.note
        try:
            out["best"] = {"params": self.best_params, "stats": {k: _plain(self.best[k]) for k in STAT_COLUMNS}}
        except ConfigError as error:
            out["best"] = str(error)
        if "robustness" in self.extra:
            out["robustness"] = self.extra["robustness"]
        if self.walk_forward is not None:
            out["walk_forward"] = self.walk_forward.summary()
        return out

    def plot(self, path: str | Path | None = None, *, top: int = 20) -> Path:
        """Write the interactive report (one self-contained HTML file) and return its path."""
        from botkit.optimize.report import write_report

        target = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="botkit-optimize-")) / "report.html"
        view = self.walk_forward.view() if self.walk_forward is not None else None
        return write_report(target, self.table.reset_index(), self.params, self.metric, title=self.title,
                            conventions=self.conventions(), walk_forward=view, top=top)

    @property
    def title(self) -> str:
        """The report's title."""
        return f"{self.spec.name}: {self.spec.strategy} sweep"

    def conventions(self) -> dict[str, str]:
        """The sweep's settings in words, for the report."""
        spec = self.spec
        return {
            "parameter space": self.space,
            "fixed parameters": ", ".join(f"{k}={v}" for k, v in spec.params.items() if k not in self.params) or "—",
            "data": f"{spec.data.kind} of {', '.join(spec.data.symbols)}",
            "costs": f"maker {spec.fees.maker_bps} bps, taker {spec.fees.taker_bps} bps, slippage "
                     f"{spec.slippage.bps} bps + {spec.slippage.ticks} ticks",
            "capital": f"{spec.capital:,.2f}",
            "engine": self.engine,
            "statistics": "as botkit backtest computes them (daily returns annualised with 365 days)",
        }

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``results.parquet``, ``results.csv``, ``summary.json`` and ``report.html`` into ``out_dir``."""
        paths = self.save_tables(out_dir)
        paths["report"] = self.plot(Path(out_dir) / "report.html")
        return paths

    def save_tables(self, out_dir: str | Path) -> dict[str, Path]:
        """``save`` without the report."""
        out = Path(out_dir)
        paths = {"parquet": out / "results.parquet", "csv": out / "results.csv", "summary": out / "summary.json"}
        table = self.table.reset_index()
        with atomic_write(paths["parquet"]) as handle:
            table.to_parquet(handle, index=False)
        with atomic_write(paths["csv"]) as handle:
            handle.write(table.to_csv(index=False).encode())
        with atomic_write(paths["summary"]) as handle:
            handle.write(json.dumps(_json_ready(self.summary()), indent=2).encode())
        if self.walk_forward is not None:
            paths.update(self.walk_forward.save(out))
        return paths


def _plain(value: Any) -> Any:
    """A numpy scalar as a Python one (JSON, YAML and params models take these)."""
    return value.item() if isinstance(value, np.generic) else value


def _json_ready(value: Any) -> Any:
    """``value`` with numpy scalars as Python ones and non-finite floats as None."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value
