"""Walk-forward analysis: optimize on a training window, trade the winner on the window after it, move on.

Windows lie on the calendar from the first event's UTC midnight: a training span of ``train`` and
the test span of ``test`` right after it. Rolling windows move by ``test`` (training spans of
equal length); anchored windows keep their start (training grows). The last test window may be
shorter than ``test``. In each window the whole parameter space is swept over the training span,
the best combination by the metric is backtested alone over the test span (its indicators start
cold there, as a live bot started that day would), and the test spans' equity curves are
chained into one out-of-sample curve. The in-sample curve beside it is the whole period traded
with the parameters a sweep over all of it would pick: what hindsight gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from botkit.backtest.engine import backtest
from botkit.backtest.spec import BacktestSpec
from botkit.core.clock import NS_PER_DAY
from botkit.core.errors import ConfigError
from botkit.data.atomic import atomic_write
from botkit.data.kinds import interval_to_ns
from botkit.optimize.chunks import MarketData, SweepJob
from botkit.optimize.report import WalkForwardView
from botkit.optimize.result import ranked
from botkit.optimize.runner import ChunkRunner, run_sweep


@dataclass(frozen=True)
class Window:
    """One walk-forward window, int ns UTC, ends exclusive."""

    number: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int


def windows(first_ts: int, last_ts: int, train: str, test: str, *, anchored: bool = False) -> list[Window]:
    """The windows over events from ``first_ts`` to ``last_ts`` (inclusive); ConfigError when none fits."""
    train_ns, test_ns = interval_to_ns(train), interval_to_ns(test)
    start = first_ts // NS_PER_DAY * NS_PER_DAY
    end = last_ts + 1
    out: list[Window] = []
    train_start, train_end = start, start + train_ns
    while train_end < end:
        out.append(Window(len(out), train_start, train_end, train_end, min(train_end + test_ns, end)))
        train_end += test_ns
        if not anchored:
            train_start += test_ns
    if not out:
        days = (end - start) / NS_PER_DAY
        raise ConfigError(f"--walk-forward train={train}: the data spans {days:.1f} days, no room for a training "
                          f"window and a test window after it")
    return out


@dataclass
class WalkForwardResult:
    """The windows (chosen params, in-sample and out-of-sample metric, degradation) and the equity curves."""

    metric: str
    params: list[str]
    windows: pd.DataFrame
    out_of_sample_equity: pd.Series
    in_sample_equity: pd.Series | None

    def view(self) -> WalkForwardView:
        """What the report draws."""
        return WalkForwardView(self.windows, self.out_of_sample_equity, self.in_sample_equity)

    def summary(self) -> dict[str, Any]:
        """The walk-forward in numbers: windows, mean in/out-of-sample metric, out-of-sample return."""
        oos = self.out_of_sample_equity
        return {
            "windows": len(self.windows),
            "mean_in_sample": _finite_mean(self.windows["in_sample"]),
            "mean_out_of_sample": _finite_mean(self.windows["out_of_sample"]),
            "out_of_sample_return": float(oos.iloc[-1] / oos.iloc[0] - 1.0) if len(oos) else None,
        }

    def save(self, out: Path) -> dict[str, Path]:
        """Write ``walk_forward.csv`` (the windows) and ``walk_forward_equity.parquet`` (the curves)."""
        paths = {"walk_forward": out / "walk_forward.csv", "walk_forward_equity": out / "walk_forward_equity.parquet"}
        with atomic_write(paths["walk_forward"]) as handle:
            handle.write(self.windows.to_csv(index=False).encode())
        curves = pd.DataFrame({"out_of_sample": self.out_of_sample_equity})
        if self.in_sample_equity is not None:
            curves["in_sample"] = self.in_sample_equity
        with atomic_write(paths["walk_forward_equity"]) as handle:
            curves.to_parquet(handle)
        return paths


def walk_forward(spec: BacktestSpec, market: MarketData, job: SweepJob, combos: Sequence[Mapping[str, Any]],
                 names: Sequence[str], metric: str, runner: ChunkRunner, *, train: str,
                 test: str, anchored: bool, hindsight: Mapping[str, Any] | None) -> WalkForwardResult:
    """Run the walk-forward of ``combos`` (see the module docstring); ``hindsight`` the whole period's best params."""
    ts = _timestamps(market)
    rows: list[dict[str, Any]] = []
    pieces: list[pd.Series] = []
    for window in windows(int(ts[0]), int(ts[-1]), train, test, anchored=anchored):
        train_market = market.window(window.train_start, window.train_end)
        test_market = market.window(window.test_start, window.test_end)
        if train_market.events == 0 or test_market.events == 0:
            continue
        table = run_sweep(spec, train_market, job, combos, names, out=None, resume=False, chunk_size=None,
                          runner=runner)
        best = ranked(table, metric)
        chosen = {name: _plain(best.iloc[0][name]) for name in names}
        result = backtest(spec.with_overrides(params={**spec.params, **chosen}), data=test_market.records)
        pieces.append(result.equity)
        rows.append({
            "window": window.number, "train_start": _utc(window.train_start), "train_end": _utc(window.train_end),
            "test_start": _utc(window.test_start), "test_end": _utc(window.test_end), **chosen,
            "in_sample": float(best.iloc[0][metric]), "out_of_sample": float(result.stats[metric]),
        })
    if not rows:
        raise ConfigError("walk-forward: no window has data in both its training and its test span")
    frame = pd.DataFrame(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["degradation"] = frame["out_of_sample"] / frame["in_sample"]
    stitched = stitch(pieces, spec.capital)
    in_sample = None
    if hindsight is not None:
        span = market.window(int(frame["test_start"].iloc[0].value), int(ts[-1]) + 1)
        in_sample = backtest(spec.with_overrides(params={**spec.params, **hindsight}), data=span.records).equity
    return WalkForwardResult(metric, list(names), frame, stitched, in_sample)


def stitch(pieces: Sequence[pd.Series], capital: float) -> pd.Series:
    """Chain equity curves that each start from ``capital`` into one, each continuing where the last ended."""
    level = capital
    parts = []
    for piece in pieces:
        scaled = piece / capital * level
        parts.append(scaled)
        if len(scaled):
            level = float(scaled.iloc[-1])
    return pd.concat(parts) if parts else pd.Series(dtype=float)


def _timestamps(market: MarketData) -> np.ndarray:
    return np.sort(np.concatenate([np.asarray(r["ts"]) for r in market.records.values()]))


def _utc(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, unit="ns", tz="UTC")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _finite_mean(values: pd.Series) -> float | None:
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    return float(finite.mean()) if len(finite) else None
