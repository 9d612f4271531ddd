"""Sweeps on a Dask distributed cluster: the only module of botkit that imports Dask.

The data is scattered once to every worker (``broadcast``), not sent with each task; each chunk
of combinations is one task running the same ``run_chunk`` as a local sweep, so the results are
identical to a local run. Dask re-runs the tasks of a worker that dies (its scheduler's
``allowed-failures``); a task that raises (a strategy error) is not retried: the sweep stops with
its error. The driver gathers results as they finish. ``scheduler`` connects to a running cluster (started with
``dask scheduler`` and ``dask worker ADDRESS`` on each machine, see docs/optimize.md);
``workers`` starts a local cluster of that many processes for this sweep.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

from botkit.core.errors import ConfigError
from botkit.optimize.chunks import MarketData, SweepJob, run_chunk
from botkit.optimize.runner import Chunk, OnDone

try:
    from distributed import Client, LocalCluster, as_completed
except ImportError as error:  # pragma: no cover - depends on the extra
    raise ConfigError("a Dask cluster needs the optional extra: pip install 'botkit[dask]'") from error



class DaskRunner:
    """Runs chunks as Dask tasks on a cluster at ``scheduler`` or on a local cluster of ``workers`` processes."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        if scheduler is None and workers is None:
            raise ConfigError("a Dask sweep needs --scheduler ADDRESS or --workers N")
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers must be >= 1, got {workers}")
        self.scheduler = scheduler
        self.workers = workers
        self._stack: ExitStack | None = None
        self._client_now: Any = None

    @property
    def parallelism(self) -> int:
        """How many chunks run at once, for sizing chunks (the local cluster's workers; a guess for others)."""
        return self.workers or os.cpu_count() or 1

    def run(self, market: MarketData, job: SweepJob, chunks: Sequence[Chunk], on_done: OnDone) -> None:
        """Scatter the data, submit one task per chunk and report each as it finishes."""
        if not chunks:
            return
        if self._client_now is None:  # one cluster for every run of an optimize call (walk-forward windows)
            self._stack = ExitStack()
            self._client_now = self._stack.enter_context(self._client())
        client = self._client_now
        info = client.scheduler_info()
        threads = [w.get("nthreads", 1) for w in info.get("workers", {}).values()] or [1]
        # one task per worker thread; the compiled kernel then uses that worker's share of cores
        per_task = max(1, (os.cpu_count() or 1) // max(1, sum(threads))) if self.workers else job.threads
        task_job = replace(job, threads=per_task)
        [data] = client.scatter([market], broadcast=True, hash=False)
        futures = {
            client.submit(run_chunk, data, task_job, list(combos), pure=False): number
            for number, combos in chunks
        }
        try:
            for future in as_completed(futures):
                on_done(futures[future], future.result())
        finally:
            client.cancel([data, *futures], force=True)  # free the workers' copy before the next run

    def close(self) -> None:
        """Disconnect from the cluster (and stop it, if this runner started it)."""
        if self._stack is not None:
            self._stack.close()
        self._stack = self._client_now = None

    @contextmanager
    def _client(self) -> Iterator[Any]:
        if self.scheduler is not None:
            try:
                client = Client(self.scheduler, timeout="10s")
            except (OSError, ValueError) as error:  # ValueError: an address Dask cannot parse
                raise ConfigError(f"--scheduler {self.scheduler}: cannot reach the Dask scheduler ({error})") from None
            with client:
                yield client
            return
        with LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster, Client(cluster) as client:
            yield client
