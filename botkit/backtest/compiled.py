"""The compiled path: typed Python wrapper that runs a strategy's compiled step in the numba kernels."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numba.core.errors import NumbaError

from botkit.backtest import _nb
from botkit.backtest._enums import (
    A_CASH,
    A_DAY_OPEN,
    A_DD_FLOOR,
    A_FEES,
    A_PEAK,
    A_SIZE,
    A_TRIP_EQUITY,
    C_EQ_BUCKET,
    C_EQUITY,
    C_EXPOSED,
    C_FILLS,
    C_KS_CODE,
    C_KS_DAY,
    C_KS_TS,
    C_NEXT_ORDER,
    C_REJECTS,
    C_SIZE,
    F_FLOAT_COLS,
    F_INT_COLS,
    R_INT_COLS,
    STATUS_BAD_INTENT,
    STATUS_DONE,
    STATUS_NEED_SPACE,
    W_FLOAT_COLS,
    W_INT_COLS,
)
from botkit.backtest._kernel_cache import enable_step_cache
from botkit.backtest.outcome import REJECT_CODES, ReplayOutcome
from botkit.backtest.run_config import RunConfig
from botkit.backtest.step_adapter import INVALID_INTENT, PROTOCOL, numba_reason
from botkit.core.errors import StrategyError
from botkit.risk.killswitch import KillSwitchMemory
from botkit.risk.rejection import Rejection
from botkit.strategy.compiled import CompiledStep

Chunk = tuple[np.ndarray, np.ndarray]
_FACTORIES = {
    "bars": _nb.make_replay_bars_nb,
    "trades": _nb.make_replay_trades_nb,
    "quotes": _nb.make_replay_quotes_nb,
}
_COLUMNS = {
    "bars": ("ts", "open", "high", "low", "close", "volume"),
    "trades": ("ts", "price", "size", "side"),
    "quotes": ("ts", "bid", "bid_size", "ask", "ask_size"),
}
_kernels: dict[tuple[str, Any], Any] = {}


def replay_kernel(kind: str, step: Any, multi: bool) -> Any:
    """The replay kernel for ``kind`` built around ``step`` (one per process, cached on disk).

    ``multi``: several instruments; the single-instrument kernel skips the per-event lookups.
    """
    key = (kind, step, multi)
    if key not in _kernels:
        kernel = _FACTORIES[kind](step, multi)
        enable_step_cache(kernel, step, variant=f"{kind}:{multi}")
        _kernels[key] = kernel
    return _kernels[key]


INITIAL_FILLS = 65_536
"""Fill rows a replay starts with."""
RESERVED_FILLS = 1 << 24
"""At most this many fill rows (1 GiB of virtual memory) are reserved ahead of a chunk; more grow as they come."""


class CompiledReplay:
    """Replays chunks of events through a compiled step with no Python between events."""

    def __init__(self, config: RunConfig, compiled: CompiledStep, strategy_name: str) -> None:
        self.config = config
        self.compiled = compiled
        self.strategy_name = strategy_name
        self._kernel = replay_kernel(config.kind, compiled.step, len(config.instruments) > 1)
        n_inst = len(config.instruments)
        self._state = compiled.new_state(n_inst)
        self._pos = np.zeros(n_inst)
        self._last = np.zeros(n_inst)
        self._acct = np.zeros(A_SIZE)
        self._acct[A_CASH] = config.capital
        self._acct[A_DD_FLOOR] = -np.inf
        rows = max(config.max_working, n_inst)  # the kill switch's flattening orders always fit
        self._wi = np.zeros((rows, W_INT_COLS), dtype=np.int64)
        self._wf = np.zeros((rows, W_FLOAT_COLS), dtype=np.float64)
        self._fi = np.zeros((INITIAL_FILLS, F_INT_COLS), dtype=np.int64)
        self._ff = np.zeros((INITIAL_FILLS, F_FLOAT_COLS), dtype=np.float64)
        self._ri = np.zeros((256, R_INT_COLS), dtype=np.int64)
        self._counters = np.zeros(C_SIZE, dtype=np.int64)
        self._counters[C_NEXT_ORDER] = 1
        self._counters[C_EQ_BUCKET] = np.iinfo(np.int64).min
        self._counters[C_KS_DAY] = KillSwitchMemory().day

    def run(self, chunks: Iterable[Chunk], progress: Callable[[int], None] | None = None) -> ReplayOutcome:
        """Replay every chunk ``(instrument_index, records)`` in order and return the outcome."""
        events = 0
        eq_ts: list[np.ndarray] = []
        eq_val: list[np.ndarray] = []
        for inst, records in chunks:
            ts_part, val_part = self._run_chunk(inst, records)
            if eq_ts and self._same_bucket(eq_ts[-1][-1], ts_part[0]):
                eq_ts[-1], eq_val[-1] = eq_ts[-1][:-1], eq_val[-1][:-1]
            eq_ts.append(ts_part)
            eq_val.append(val_part)
            events += len(records)
            if progress is not None:
                progress(len(records))
        counters = self._counters
        trip = self._kill_switch_trip()
        return ReplayOutcome(
            symbols=self.config.symbols,
            fill_ints=self._fi[: counters[C_FILLS]],  # views: a replay runs once, its buffers are the outcome's
            fill_floats=self._ff[: counters[C_FILLS]],
            reject_ints=self._ri[: counters[C_REJECTS]],
            equity_ts=_joined(eq_ts, np.int64),
            equity=_joined(eq_val, np.float64),
            cash=float(self._acct[A_CASH]),
            fees=float(self._acct[A_FEES]),
            positions=self._pos.copy(),
            last_prices=self._last.copy(),
            events=events,
            exposed_events=int(counters[C_EXPOSED]),
            kill_switch=trip,
            kill_switch_ts=int(counters[C_KS_TS]) if trip is not None else None,
        )

    def _kill_switch_trip(self) -> Rejection | None:
        """The kernel's trip as the rejection ``KillSwitch`` gives for it (same message and numbers).

        The kernel keeps the memory after the tripping observation; observing the tripping equity
        again with that memory takes the same branch with the same numbers.
        """
        code = int(self._counters[C_KS_CODE])
        if code == 0:
            return None
        memory = KillSwitchMemory(int(self._counters[C_KS_DAY]), float(self._acct[A_DAY_OPEN]),
                                  float(self._acct[A_PEAK]))
        trip = self.config.kill_switch(memory).observe(int(self._counters[C_KS_TS]), float(self._acct[A_TRIP_EQUITY]))
        if trip is None or trip.code is not REJECT_CODES[code]:
            raise AssertionError(f"kernel kill switch ({REJECT_CODES[code]}) disagrees with botkit.risk.KillSwitch")
        return trip

    def _same_bucket(self, previous_ts: int, next_ts: int) -> bool:
        res = self.config.equity_resolution_ns
        return res > 0 and previous_ts // res == next_ts // res

    def _run_chunk(self, inst: np.ndarray, records: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(records)
        self._reserve_fills(n)
        bar_times = self.config.kind == "bars" and self.config.equity_resolution_ns <= 0
        eq_ts = np.empty(1 if bar_times else n, dtype=np.int64)  # bars: the equity times are the bar times
        eq_val = np.empty(n, dtype=np.float64)
        columns = [records[name] for name in _COLUMNS[self.config.kind]]  # strided views: no copies
        inst = np.ascontiguousarray(inst, dtype=np.int16) if len(inst) else np.zeros(1, np.int16)
        self._counters[C_EQUITY] = 0
        start = 0
        while True:
            status, start = self._call(columns, inst, start, eq_ts, eq_val)
            if status == STATUS_DONE:
                break
            if status == STATUS_NEED_SPACE:
                self._grow()
            elif status == STATUS_BAD_INTENT:
                raise StrategyError(self.strategy_name, "compiled_step", records[start], INVALID_INTENT)
        used = int(self._counters[C_EQUITY])
        if bar_times:
            return columns[0][:used], eq_val[:used]
        return eq_ts[:used], eq_val[:used]

    def _call(self, columns: list[np.ndarray], inst: np.ndarray, start: int,
              eq_ts: np.ndarray, eq_val: np.ndarray) -> tuple[int, int]:
        cfg = self.config
        try:
            status, index = self._kernel(
                columns[0], inst, *columns[1:], start, len(cfg.instruments), cfg.kernel_config(), cfg.tick_sizes(),
                cfg.lot_sizes(), self._state, self.compiled.params, self._pos, self._last, self._acct,
                self._wi, self._wf, self._fi, self._ff, self._ri, self._counters, eq_ts, eq_val,
            )
        except NumbaError as error:
            raise StrategyError(self.strategy_name, "compiled_step", "compilation",
                                f"{PROTOCOL}: {numba_reason(error)}") from error
        return int(status), int(index)

    def _reserve_fills(self, n_events: int) -> None:
        """Room for a fill per event of the chunk (up to RESERVED_FILLS) before the kernel runs.

        Zero pages cost nothing until the kernel writes a fill into them, so the room is virtual
        memory; growing while the kernel runs would copy every fill made so far (fill-heavy tick
        data grew three times, a fifth of its replay's time).
        """
        used = int(self._counters[C_FILLS])
        want = used + min(n_events, RESERVED_FILLS)
        if want > len(self._fi):
            self._fi = _grown(self._fi, want, used)
            self._ff = _grown(self._ff, want, used)

    def _grow(self) -> None:
        # grow 4x: tick data can make millions of partial fills, so few and large steps
        fills, rejects = int(self._counters[C_FILLS]), int(self._counters[C_REJECTS])
        self._fi = _grown(self._fi, 4 * len(self._fi), fills)
        self._ff = _grown(self._ff, 4 * len(self._ff), fills)
        self._ri = _grown(self._ri, 2 * len(self._ri), rejects)


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """The chunks' equity parts as one array (no copy for a single chunk)."""
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _grown(buffer: np.ndarray, rows: int, used: int) -> np.ndarray:
    """``buffer`` with room for ``rows`` rows and its first ``used`` copied; the rest are zero pages until written."""
    out = np.zeros((rows, buffer.shape[1]), dtype=buffer.dtype)
    out[:used] = buffer[:used]
    return out
