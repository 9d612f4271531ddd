"""One chunk of a sweep, run wherever it is sent: the local process, a process pool or a Dask worker.

A ``SweepJob`` is what every chunk shares (the spec and how to run it); ``MarketData`` is the data,
read once and sent once per worker; ``run_chunk(data, job, combos)`` returns the chunk's columns.
Declared compiled strategies on one symbol's bars take the compiled sweep (all combinations of a
chunk in one kernel); any other strategy or data runs ``botkit.backtest`` once per combination,
on data already in memory. Both give the statistics of single backtests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from botkit.backtest.engine import backtest, market_records
from botkit.backtest.run_config import RunConfig
from botkit.backtest.spec import BacktestSpec
from botkit.optimize.sweep import CompiledSweep, SweepData, sweepable
from botkit.optimize.sweep_stats import STAT_COLUMNS, curve_moments
from botkit.strategy.loader import build_params, load_strategy_class

Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class SweepJob:
    """What every chunk of one sweep shares: the spec (params are the chunk's) and the engine's settings."""

    spec: BacktestSpec
    compiled: bool
    """Whether chunks take the compiled sweep (else one ``botkit.backtest`` per combination)."""
    threads: int | None = None
    """numba threads a compiled chunk may use (None: all)."""


@dataclass(frozen=True)
class MarketData:
    """A spec's events in memory, as the chunks read them (picklable: Dask scatters it once per worker)."""

    config: RunConfig
    symbols: tuple[str, ...]
    records: Mapping[str, np.ndarray]
    """Each symbol's own records (what ``botkit.backtest(data=...)`` takes)."""

    def sweep_data(self) -> SweepData:
        """The one symbol's bars as the compiled sweep reads them."""
        return SweepData.from_records(self.config, self.records[self.symbols[0]])

    def window(self, start: int, end: int) -> MarketData:
        """The events from ``start`` (inclusive) to ``end`` (exclusive), int ns UTC: views, no copies."""
        parts = {}
        for symbol, records in self.records.items():
            ts = records["ts"]
            parts[symbol] = records[int(np.searchsorted(ts, start, "left")) : int(np.searchsorted(ts, end, "left"))]
        return MarketData(self.config, self.symbols, parts)

    @property
    def events(self) -> int:
        """Events over all symbols."""
        return sum(len(r) for r in self.records.values())


def load_market(spec: BacktestSpec, data: Mapping[str, Any] | None = None) -> MarketData:
    """Read the spec's data once (its archive, file or recording, or ``data``), split by symbol."""
    config, inst, records = market_records(spec, data)
    symbols = tuple(spec.data.symbols)
    if len(symbols) == 1:
        return MarketData(config, symbols, {symbols[0]: np.asarray(records)})
    return MarketData(config, symbols, {s: np.asarray(records[inst == k]) for k, s in enumerate(symbols)})


def plan_job(spec: BacktestSpec, market: MarketData, threads: int | None = None) -> SweepJob:
    """The job for ``spec`` on ``market``: the compiled sweep where it applies, else backtests."""
    cls = load_strategy_class(spec.strategy)
    compiled = spec.engine != "python" and sweepable(cls, market.config) is None and spec.data.recording is None
    return SweepJob(spec, compiled, threads)


def run_chunk(market: MarketData, job: SweepJob, combos: Sequence[Mapping[str, Any]]) -> Columns:
    """The statistics of ``combos`` (each a params mapping over the spec's own params), one array per column."""
    cls = load_strategy_class(job.spec.strategy)
    if not job.compiled:
        return _backtest_each(market, job.spec, combos)
    sweep = CompiledSweep(_cached_sweep_data(market), cls, threads=job.threads)
    params = [build_params(cls, {**job.spec.params, **combo}, f"backtest {job.spec.name!r}") for combo in combos]
    outcome = sweep.run(params)
    columns = dict(outcome.columns)
    columns["kill_switch"] = np.array([code or "" for code in outcome.kill_switch], dtype=object)
    if outcome.inexact:  # equity left the positive finite range: the general drawdown pass decides
        redone = _backtest_each(market, job.spec, [combos[q] for q in outcome.inexact])
        for name, values in redone.items():
            columns[name] = columns[name].astype(np.result_type(columns[name], values))
            columns[name][outcome.inexact] = values
    return columns


_SWEEP_DATA: dict[int, SweepData] = {}


def _cached_sweep_data(market: MarketData) -> SweepData:
    """The market's sweep data, prepared once per process (a worker runs many chunks on one scatter)."""
    key = id(market)
    made = _SWEEP_DATA.get(key)
    if made is None or made.records is not market.records[market.symbols[0]]:
        _SWEEP_DATA.clear()
        made = _SWEEP_DATA[key] = market.sweep_data()
    return made


def forget_prepared() -> None:
    """Drop the sweep data this process prepared (a Dask worker frees it when the driver releases the data)."""
    _SWEEP_DATA.clear()


def _backtest_each(market: MarketData, spec: BacktestSpec, combos: Sequence[Mapping[str, Any]]) -> Columns:
    """One ``botkit.backtest`` per combination on the data in memory."""
    rows = []
    for combo in combos:
        run_spec = spec.with_overrides(params={**spec.params, **combo})
        result = backtest(run_spec, data=market.records)
        rows.append({**result.stats, **curve_moments(result.outcome.equity_ts, result.outcome.equity)})
    columns: Columns = {}
    for name in STAT_COLUMNS:
        columns[name] = np.array([_number(row.get(name)) for row in rows], dtype=np.float64)
    for name in ("trades", "events", "rejected_orders", "open_positions", "daily_returns"):
        columns[name] = columns[name].astype(np.int64)
    columns["kill_switch"] = np.array([str(row.get("kill_switch", "")).split(" ")[0] for row in rows], dtype=object)
    return columns


def _number(value: Any) -> float:
    if value is None or isinstance(value, str):
        return math.nan
    return float(value)
