"""The compiled sweep: many params sets of a declared strategy over one instrument's bars, in one kernel.

``CompiledSweep(data, cls).run(param_sets)`` returns the statistics of every set as columns
(``sweep_stats.STAT_COLUMNS``), equal to what ``botkit.backtest`` gives for each set alone. The
distinct indicators of the sets are computed once per block of events for all of them; the
combinations run on numba's threads; memory is the data plus a few kilobytes per combination.
A combination whose equity leaves the positive finite range (where the running drawdown pass is
not the general one) is rerun alone by ``botkit.backtest`` (``inexact`` lists them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numba as nb
import numpy as np

from botkit.backtest._enums import (
    A_CASH,
    A_DD_FLOOR,
    A_FEES,
    A_SIZE,
    C_EQ_BUCKET,
    C_KS_CODE,
    C_KS_DAY,
    C_NEXT_ORDER,
    C_SIZE,
    F_FLOAT_COLS,
    F_INT_COLS,
    R_INT_COLS,
    W_FLOAT_COLS,
    W_INT_COLS,
)
from botkit.backtest._kernel_cache import enable_step_cache
from botkit.backtest.run_config import RunConfig
from botkit.core.errors import StrategyError
from botkit.model.records import FIRST_USER_SLOT
from botkit.optimize import _nb
from botkit.optimize.sweep_stats import RunFigures, day_index, sweep_stats
from botkit.portfolio.round_trips import FLAT_TOLERANCE
from botkit.risk.killswitch import KillSwitchMemory
from botkit.strategy.declared import step_param_values
from botkit.strategy.declared_sweep import output_count, sweep_step
from botkit.strategy.indicator_layout import distinct_indicators, series_plan
from botkit.strategy.indicators import declared_of

BLOCK = 4096
"""Events per block: a block's prices and indicator values stay in cache while every combination passes."""
FILL_ROWS = 64
"""Fills a combination buffers before they are walked into round trips."""
REJECT_ROWS = 8

_kernels: dict[Any, Any] = {}


def sweep_kernel(step: Any, prepare: Any) -> Any:
    """The sweep kernel built around ``step`` (one per process, cached on disk by the step's source)."""
    kernel = _kernels.get(step)
    if kernel is None:
        kernel = _kernels[step] = _nb.make_sweep_bars_nb(step, prepare)
        enable_step_cache(kernel, step, variant=f"sweep:{_nb.__file__}")
    return kernel


def sweepable(cls: type[Any], config: RunConfig) -> str | None:
    """Why ``cls`` on ``config`` cannot take the compiled sweep, or None if it can."""
    if getattr(cls, "step", None) is None or not hasattr(cls, "Indicators"):
        return f"{cls.__name__} has no declared compiled step (indicators and step)"
    if config.kind != "bars":
        return f"the compiled sweep replays bars (this spec replays {config.kind})"
    if len(config.instruments) != 1:
        return "the compiled sweep replays one symbol"
    if config.equity_resolution_ns > 0:
        return "the compiled sweep keeps an equity point per bar (equity_resolution is set)"
    return None


@dataclass(frozen=True)
class SweepData:
    """One instrument's bars as a sweep reads them, prepared once for every chunk of combinations."""

    config: RunConfig
    records: np.ndarray
    inputs: tuple[np.ndarray, ...]
    """(ts, open, high, low, close, volume), contiguous."""
    day: np.ndarray
    """Each event's UTC day, counted from the first event's."""
    day_last: np.ndarray
    """The index of each day's last event (-1: a day without events)."""

    @property
    def n_days(self) -> int:
        """Days from the first event's to the last's."""
        return len(self.day_last)

    @classmethod
    def from_records(cls, config: RunConfig, records: np.ndarray) -> SweepData:
        """Prepare ``records`` (bar records of one symbol) for sweeps under ``config``."""
        inputs = tuple(np.ascontiguousarray(records[name]) for name in ("ts", "open", "high", "low", "close", "volume"))
        day, n_days = day_index(inputs[0])
        day_last = np.full(n_days, -1, dtype=np.int64)
        if len(day):
            ends = np.flatnonzero(np.diff(day))  # the last event before each change of day
            day_last[day[ends]] = ends
            day_last[day[-1]] = len(day) - 1
        return cls(config, records, inputs, day, day_last)


@dataclass(frozen=True)
class SweepOutcome:
    """Statistics per combination (columns), and the combinations a single backtest must redo."""

    columns: dict[str, np.ndarray]
    inexact: list[int]
    kill_switch: list[str | None]


class CompiledSweep:
    """Runs param sets of a declared compiled strategy over ``data`` (see the module docstring)."""

    def __init__(self, data: SweepData, cls: type[Any], *, block: int = BLOCK, threads: int | None = None) -> None:
        reason = sweepable(cls, data.config)
        if reason is not None:
            raise ValueError(reason)
        self.data = data
        self.cls = cls
        self.block = block
        self.threads = threads
        self._kernel = sweep_kernel(*sweep_step(cls))

    def run(self, param_sets: Sequence[Any]) -> SweepOutcome:
        """The statistics of every params set (in order)."""
        data, cls, cfg = self.data, self.cls, self.data.config
        keys, uses = distinct_indicators(cls, param_sets)
        names = list(declared_of(cls))
        # one group per thread, dealt round-robin from the combinations sorted by the indicators they
        # read: the groups' costs even out (neighbours in that order trade alike), and each group
        # computes at most every distinct indicator once per block
        threads = max(1, min(self.threads or nb.get_num_threads(), nb.config.NUMBA_NUM_THREADS))
        n_groups = max(1, min(threads, len(param_sets)))
        by_keys = sorted(range(len(param_sets)), key=lambda q: [uses[q][name] for name in names])
        order = [q for g in range(n_groups) for q in by_keys[g::n_groups]]
        groups = [0, *np.cumsum([len(by_keys[g::n_groups]) for g in range(n_groups)]).tolist()]
        param_sets = [param_sets[q] for q in order]
        uses = [uses[q] for q in order]
        plan = series_plan(keys)
        m = len(param_sets)
        cols = np.empty((m, output_count(cls)), dtype=np.int64)
        for q, use in enumerate(uses):
            cols[q] = [plan.first[use[name]] + j for name in names for j in range(keys[use[name]].outputs)]
        group_keys = [sorted({use[name] for use in uses[lo:hi] for name in names}) for lo, hi in pairwise(groups)]
        key_at = np.concatenate(([0], np.cumsum([len(g) for g in group_keys]))).astype(np.int64)
        params = np.array([step_param_values(cls, p) for p in param_sets]).reshape(m, -1)
        arrays = _CombinationArrays(m, FIRST_USER_SLOT + getattr(cls, "state_size", 0), cfg, data.n_days)
        ts, o, h, lo, c, v = data.inputs
        previous, chunk = nb.get_num_threads(), nb.get_parallel_chunksize()
        nb.set_num_threads(threads)
        nb.set_parallel_chunksize(1)  # one group per thread
        try:
            self._kernel(
                ts, data.day, data.day_last, o, h, lo, c, v, plan.mode, plan.window, plan.source, plan.first,
                plan.n_out,
                np.repeat(plan.kstate[None], n_groups, axis=0), np.repeat(plan.rows[None], n_groups, axis=0),
                plan.specs, plan.n_spec, np.full((n_groups, plan.n_rows, self.block + 1), np.nan),
                np.asarray(groups, dtype=np.int64), key_at,
                np.array([k for g in group_keys for k in g], dtype=np.int64), cols, params,
                cfg.kernel_config(), cfg.tick_sizes(), cfg.lot_sizes(), FLAT_TOLERANCE, self.block,
                *arrays.kernel_args(),
            )
        finally:
            nb.set_num_threads(previous)
            nb.set_parallel_chunksize(chunk)
        bad = np.flatnonzero(arrays.ddi[:, _nb.I_BAD_EVENT] >= 0)
        if len(bad):
            q = int(bad[0])
            event = data.records[int(arrays.ddi[q, _nb.I_BAD_EVENT])]
            raise StrategyError(cls.__name__, "compiled_step", event,
                                f"returned an invalid intent with params {param_sets[q]!r}")
        columns = sweep_stats(arrays.figures(), capital=cfg.capital, first_ts=int(ts[0]), last_ts=int(ts[-1]),
                              events=len(ts), first_mark=float(c[0]), last_mark=float(c[-1]))
        back = np.argsort(np.asarray(order, dtype=np.int64), kind="stable")  # sorted position of each input
        inexact = sorted(order[int(q)] for q in np.flatnonzero(arrays.ddi[:, _nb.I_INEXACT] != 0))
        codes = arrays.kill_switch_codes()
        return SweepOutcome({name: values[back] for name, values in columns.items()}, inexact,
                            [codes[int(q)] for q in back])


class _CombinationArrays:
    """The per-combination state a sweep kernel reads and leaves (combination first)."""

    def __init__(self, m: int, state_width: int, cfg: RunConfig, n_days: int) -> None:
        rows = max(cfg.max_working, 1)
        self.states = np.zeros((m, state_width))
        self.accts = np.zeros((m, A_SIZE))
        self.accts[:, A_CASH] = cfg.capital
        self.accts[:, A_DD_FLOOR] = -np.inf
        self.poss = np.zeros((m, 1))
        self.lasts = np.zeros((m, 1))
        self.wi = np.zeros((m, rows, W_INT_COLS), dtype=np.int64)  # zero pages: touched only as orders come
        self.wf = np.zeros((m, rows, W_FLOAT_COLS))
        self.fi = np.zeros((m, FILL_ROWS, F_INT_COLS), dtype=np.int64)
        self.ff = np.zeros((m, FILL_ROWS, F_FLOAT_COLS))
        self.ri = np.zeros((m, REJECT_ROWS, R_INT_COLS), dtype=np.int64)
        self.counters = np.zeros((m, C_SIZE), dtype=np.int64)
        self.counters[:, C_NEXT_ORDER] = 1
        self.counters[:, C_EQ_BUCKET] = np.iinfo(np.int64).min
        self.counters[:, C_KS_DAY] = KillSwitchMemory().day
        self.trips = np.zeros((m, _nb.T_COLS))
        self.ddf = np.zeros((m, _nb.D_COLS))
        self.ddi = np.zeros((m, _nb.I_COLS), dtype=np.int64)
        self.ddi[:, _nb.I_DAY] = -1
        self.ddi[:, _nb.I_BAD_EVENT] = -1
        self.daily = np.full((m, n_days), np.nan)

    def kernel_args(self) -> tuple[np.ndarray, ...]:
        """The arrays in the kernel's order."""
        return (self.states, self.accts, self.poss, self.lasts, self.wi, self.wf, self.fi, self.ff, self.ri,
                self.counters, self.trips, self.ddf, self.ddi, self.daily)

    def figures(self) -> RunFigures:
        """What the kernel left, as ``sweep_stats`` reads it."""
        ddf, ddi = self.ddf, self.ddi
        return RunFigures(
            cash=self.accts[:, A_CASH], fees=self.accts[:, A_FEES], position=self.poss[:, 0],
            last_price=self.lasts[:, 0], max_dd=ddf[:, _nb.D_MAX_DD], reign_min=ddf[:, _nb.D_REIGN_MIN],
            peak=ddf[:, _nb.D_PEAK], points=ddi[:, _nb.I_POINTS], last_peak=ddi[:, _nb.I_LAST_PEAK],
            last_peak_ts=ddi[:, _nb.I_LAST_PEAK_TS], longest=ddi[:, _nb.I_LONGEST], any_spell=ddi[:, _nb.I_ANY_SPELL],
            exposed=ddi[:, _nb.I_EXPOSED], rejects=ddi[:, _nb.I_REJECTS],
            trips=self.trips[:, _nb.T_COUNT : _nb.T_WORST + 1], daily=self.daily,
        )

    def kill_switch_codes(self) -> list[str | None]:
        """The kill switch's trip code per combination (None where it did not fire)."""
        from botkit.backtest.outcome import REJECT_CODES  # lazy: outcome imports pandas

        return [REJECT_CODES[int(code)].value if code else None for code in self.counters[:, C_KS_CODE]]
