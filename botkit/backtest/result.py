"""What a backtest returns: stats, trades, fills, equity, and ways to look at them."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from botkit.backtest.outcome import KillSwitchTrip, ReplayOutcome
from botkit.backtest.report import write_report
from botkit.backtest.spec import BacktestSpec
from botkit.backtest.stats import compute_stats, stats_to_json
from botkit.data.atomic import atomic_write
from botkit.portfolio.round_trips import round_trips


@dataclass
class BacktestResult:
    """The outcome of ``botkit.backtest``: ``stats`` (dict), ``trades``, ``fills``, ``equity`` (pandas).

    ``rejections`` has one row per refused intent (``code`` is a ``botkit.risk.rejection.RejectCode``
    value); ``kill_switch`` says when and why the kill switch fired, None if it did not.
    """

    spec: BacktestSpec
    stats: dict[str, Any]
    trades: pd.DataFrame
    fills: pd.DataFrame
    rejections: pd.DataFrame
    equity: pd.Series
    prices: dict[str, pd.Series]
    engine: str
    kill_switch: KillSwitchTrip | None = None

    @classmethod
    def from_outcome(
        cls, spec: BacktestSpec, outcome: ReplayOutcome, prices: dict[str, pd.Series], engine: str
    ) -> BacktestResult:
        """Derive trades and statistics from a replay's outcome."""
        fills = outcome.fills_frame()
        trades = round_trips(fills)
        equity = outcome.equity_series()
        exposure = outcome.exposed_events / outcome.events if outcome.events else 0.0
        stats = compute_stats(
            equity, trades, initial_capital=spec.capital, fees=outcome.fees, exposure=exposure
        )
        stats["final_equity"] = outcome.final_equity
        stats["total_return"] = outcome.final_equity / spec.capital - 1.0
        stats["events"] = outcome.events
        stats["rejected_orders"] = len(outcome.reject_ints)
        stats["open_positions"] = int((outcome.positions != 0).sum())
        stats["engine"] = engine
        trip = outcome.kill_switch_trip
        if trip is not None:
            stats["kill_switch"] = f"{trip.code.value} at {trip.time.isoformat()}"
        return cls(spec, stats, trades, fills, outcome.rejections_frame(), equity, prices, engine, trip)

    @property
    def title(self) -> str:
        """A one-line description of the run."""
        symbols = ",".join(self.spec.data.symbols)
        return f"{self.spec.name}: {self.spec.strategy} on {symbols} ({self.spec.data.kind})"

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write stats.json, trades.parquet, fills.parquet and report.html into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "stats": out / "stats.json",
            "trades": out / "trades.parquet",
            "fills": out / "fills.parquet",
            "report": out / "report.html",
        }
        with atomic_write(paths["stats"]) as handle:
            handle.write(stats_to_json(self.stats).encode())
        for key in ("trades", "fills"):
            frame: pd.DataFrame = getattr(self, key)
            with atomic_write(paths[key]) as handle:
                frame.to_parquet(handle, index=False)
        self.plot(paths["report"])
        return paths

    def plot(self, path: str | Path | None = None) -> Path:
        """Write the self-contained HTML report (to a temporary file by default) and return its path.

        In Jupyter the report is also shown inline.
        """
        target = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="botkit-")) / "report.html"
        write_report(
            target, title=self.title, stats=self.stats, equity=self.equity, trades=self.trades,
            prices=self.prices, kill_switch=self.kill_switch,
        )
        _show_in_notebook(target)
        return target


def _show_in_notebook(path: Path) -> None:
    try:
        from IPython import get_ipython  # optional: only inside notebooks
        from IPython.display import HTML, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(HTML(path.read_text(encoding="utf-8")))
