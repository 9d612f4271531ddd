"""Running a sweep's chunks (``run_sweep``), and where they run on one machine: here or on a process pool.

The compiled sweep runs in this process: its kernel already uses every core (numba threads), and
the data stays where it was read. Strategies without a compiled sweep run ``botkit.backtest`` per
combination on a process pool, each worker receiving the data once when it starts. Both call
``on_done(chunk, columns)`` as chunks finish, in whatever order they finish.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from botkit.backtest.spec import BacktestSpec
from botkit.core.errors import ConfigError
from botkit.optimize.chunks import Columns, MarketData, SweepJob, run_chunk
from botkit.optimize.store import ResultStore, chunk_frame, sweep_digest

Chunk = tuple[int, Sequence[Mapping[str, Any]]]
"""A chunk's number and its combinations."""
OnDone = Callable[[int, Columns], None]
Progress = Callable[[int, int], None]
"""Called with (combinations done, combinations in all) as chunks finish."""
COMPILED_CHUNK = 512
"""Combinations per chunk on the compiled sweep: enough to share each block of data widely."""


class ChunkRunner(Protocol):
    """Runs chunks of one sweep and reports each as it finishes."""

    def run(self, market: MarketData, job: SweepJob, chunks: Sequence[Chunk], on_done: OnDone) -> None:
        """Run every chunk; ``on_done`` is called once per chunk, in completion order."""
        ...


class InProcessRunner:
    """Chunks one after the other in this process (the compiled sweep's kernel is parallel itself)."""

    def run(self, market: MarketData, job: SweepJob, chunks: Sequence[Chunk], on_done: OnDone) -> None:
        """Run every chunk here, in order."""
        for number, combos in chunks:
            on_done(number, run_chunk(market, job, combos))


class ProcessPoolRunner:
    """Chunks on ``workers`` processes, each holding the data from its start (``botkit.backtest`` per combination)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def run(self, market: MarketData, job: SweepJob, chunks: Sequence[Chunk], on_done: OnDone) -> None:
        """Run every chunk on the pool, at most two per worker in flight (bounded memory for results)."""
        with ProcessPoolExecutor(max_workers=self.workers, initializer=_keep, initargs=(market,)) as pool:
            pending: dict[Future[Columns], int] = {}
            queue = list(chunks)
            while queue or pending:
                while queue and len(pending) < 2 * self.workers:
                    number, combos = queue.pop(0)
                    pending[pool.submit(_run_kept, job, list(combos))] = number
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    on_done(pending.pop(future), future.result())


_KEPT: list[MarketData] = []


def _keep(market: MarketData) -> None:
    """Pool initializer: keep the data for every chunk this worker runs."""
    _KEPT[:] = [market]


def _run_kept(job: SweepJob, combos: list[Mapping[str, Any]]) -> Columns:
    return run_chunk(_KEPT[0], job, combos)


def run_sweep(spec: BacktestSpec, market: MarketData, job: SweepJob, combos: Sequence[Mapping[str, Any]],
              names: Sequence[str], *, out: str | Path | None, resume: bool, chunk_size: int | None,
              runner: ChunkRunner, progress: Progress | None = None) -> pd.DataFrame:
    """Run ``combos`` in chunks with ``runner`` (resuming from ``out``) and return the table in combination order."""
    size = chunk_size or _chunk_size(job, len(combos), runner)
    if size < 1:
        raise ConfigError(f"chunk_size must be >= 1, got {size}")
    parallelism = getattr(runner, "parallelism", None) or 1
    positions = chunk_positions(len(combos), size, parallelism)
    chunks: list[Chunk] = [(k, [combos[i] for i in where]) for k, where in enumerate(positions)]
    store = None
    frames: list[pd.DataFrame] = []
    if out is not None:
        layout = f"{size} dealt" if dealt(len(combos), size, parallelism) else str(size)
        digest = sweep_digest(spec.model_dump_json(), combos, layout, market.records)
        store = ResultStore(Path(out), digest, resume=resume)
        finished = store.finished() & {k for k, _ in chunks}
        frames = store.read(finished)
        chunks = [chunk for chunk in chunks if chunk[0] not in finished]
    done = sum(len(f) for f in frames)
    if progress is not None:
        progress(done, len(combos))

    def on_done(number: int, columns: Columns) -> None:
        nonlocal done
        frame = chunk_frame(names, [combos[i] for i in positions[number]], positions[number], columns)
        if store is not None:
            store.write(number, frame)
        frames.append(frame)
        done += len(frame)
        if progress is not None:
            progress(done, len(combos))

    runner.run(market, job, chunks, on_done)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.sort_values("combination").set_index("combination")


def chunk_positions(n: int, size: int, parallelism: int) -> list[np.ndarray]:
    """Which combinations each chunk holds: runs of ``size``, or dealt in turn when the chunks fill one round.

    When there are no more chunks than ``2 * parallelism``, every chunk is a round of the last wave and
    contiguous runs of the grid would give one worker all its cheap corners; dealing the combinations
    round-robin gives each chunk a like mix. Otherwise runs keep a chunk's indicators few.
    """
    count = math.ceil(n / size) if n else 0
    if dealt(n, size, parallelism):
        return [np.arange(k, n, count, dtype=np.int64) for k in range(count)]
    return [np.arange(lo, min(lo + size, n), dtype=np.int64) for lo in range(0, n, size)]


def dealt(n: int, size: int, parallelism: int) -> bool:
    """Whether ``chunk_positions`` deals the combinations in turn (part of a resumable sweep's fingerprint)."""
    count = math.ceil(n / size) if n else 0
    return 1 < count <= 2 * parallelism


def _chunk_size(job: SweepJob, n: int, runner: ChunkRunner) -> int:
    """Chunks big enough to share data and indicators, small enough for progress and a fair spread."""
    parallel = getattr(runner, "parallelism", None) or (1 if job.compiled else os.cpu_count() or 1)
    if job.compiled:
        return max(1, min(COMPILED_CHUNK, math.ceil(n / parallel)))
    return max(1, min(64, math.ceil(n / (4 * parallel))))


def local_runner(job: SweepJob, workers: int | None) -> ChunkRunner:
    """The runner for ``job`` on this machine."""
    return InProcessRunner() if job.compiled else ProcessPoolRunner(workers)
