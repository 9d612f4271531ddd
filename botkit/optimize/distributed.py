"""Sweeps on a Dask distributed cluster: the only module of botkit that imports Dask.

The data is scattered once to every worker (``broadcast``), not sent with each task; each chunk
of combinations is one task running the same ``run_chunk`` as a local sweep, so the results are
identical to a local run. Dask re-runs the tasks of a worker that dies (its scheduler's
``allowed-failures``); a task that raises (a strategy error) is not retried: the sweep stops with
its error. The driver gathers results as they finish. ``scheduler`` connects to a running cluster
(started with ``dask scheduler`` and ``dask worker ADDRESS`` on each machine, see docs/optimize.md);
``workers`` starts a local cluster of that many processes for this sweep.

With ``scheduler``, the data of the latest sweep stays on the cluster for the next sweep of the
same data, so that neither the scatter nor the workers' preparation of it is redone (a digest of
its bytes decides: data mutated in place is sent again). This process keeps one client and one
data set per cluster: the next data set replaces it, ``release()`` or the end of the process frees
it. Each worker keeps the data it ran on (one data set) beside Dask's store, which drops spare
replicas between sweeps, so tasks do not depend on the data: a worker that has neither (started
since) answers None and gets the chunk again with the data as a dependency.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

from botkit.backtest.provenance import digest_arrays
from botkit.core.errors import ConfigError
from botkit.optimize.chunks import Columns, MarketData, SweepJob, forget_prepared, run_chunk
from botkit.optimize.runner import Chunk, OnDone

try:
    from distributed import Client, Future, LocalCluster, as_completed, get_worker
except ImportError as error:  # pragma: no cover - depends on the extra
    raise ConfigError("a Dask cluster needs the optional extra: pip install 'botkit[dask]'") from error


def data_digest(market: MarketData) -> bytes | None:
    """A fingerprint of everything a chunk reads from ``market`` (None: data that cannot be fingerprinted).

    The events' hash is the run provenance's (``digest_arrays``: each column's name, type and bytes).
    """
    if any(records.dtype.hasobject for records in market.records.values()):
        return None
    events = digest_arrays(dict(sorted(market.records.items()))).parts
    return hashlib.sha256(pickle.dumps((market.config, market.symbols, sorted(events.items())))).digest()


_ON_WORKER: dict[bytes | str, MarketData] = {}
"""On a worker: the data of the latest sweep it ran, by name (kept when Dask drops a spare replica of it)."""
_on_worker_lock = threading.Lock()


def _run_kept_chunk(name: bytes | str, key: str, job: SweepJob,
                    combos: Sequence[Mapping[str, Any]]) -> Columns | None:
    """``run_chunk`` on the data this worker keeps as ``name`` or holds as ``key``; None if it has neither."""
    with _on_worker_lock:
        market = _ON_WORKER.get(name)
        if market is None:
            try:
                held = get_worker().data[key]
            except KeyError:  # a worker started since the scatter: the driver sends the chunk again with the data
                return None
            market = _keep_on_worker(name, held)
    return run_chunk(market, job, combos)


def _run_given_chunk(name: bytes | str, market: MarketData, job: SweepJob,
                     combos: Sequence[Mapping[str, Any]]) -> Columns:
    """``run_chunk`` on ``market`` (a dependency, copied here by Dask), kept as ``name`` for the next chunks."""
    with _on_worker_lock:
        market = _keep_on_worker(name, market)
    return run_chunk(market, job, combos)


def _keep_on_worker(name: bytes | str, market: MarketData) -> MarketData:
    if name not in _ON_WORKER:
        _ON_WORKER.clear()  # one data set per worker
        _ON_WORKER[name] = market
    return _ON_WORKER[name]


def _forget_on_worker() -> None:
    """Drop the data this worker keeps between sweeps."""
    with _on_worker_lock:
        _ON_WORKER.clear()
        forget_prepared()


class _KeptData:
    """A client and the data it last scattered, kept for the next run on the same data."""

    def __init__(self, client: Any, reuse: bool = True) -> None:
        self.client = client
        self.reuse = reuse
        """Whether the next run may be on the same data (else its digest would be wasted work)."""
        self.digest: bytes | None = None
        self.data: Any = None
        self._lock = threading.Lock()

    def on_workers(self, market: MarketData) -> tuple[bytes | str, Any]:
        """The name of ``market`` on the workers and a future of it, the run's own: the kept data if it is the same.

        The name is the digest (the Dask key for data without one); data that is not the same is sent anew.
        """
        digest = data_digest(market) if self.reuse else None
        with self._lock:
            same = digest is not None and digest == self.digest
            if not (same and self.data is not None and self.data.status == "finished"):
                self.forget()
                [self.data] = self.client.scatter([market], broadcast=True, hash=False)
                self.digest = digest
            # a run holds its own reference: another thread's next data set cannot free this one under it
            return digest or self.data.key, Future(self.data.key, self.client)

    def forget(self) -> None:
        """Let the cluster free the kept data (once no task of a run still in flight needs it)."""
        if self.data is not None:
            self.data.release()
        self.data = self.digest = None

    def close(self) -> None:
        """Free the kept data, on the workers too, and disconnect."""
        self.forget()
        if self.client.status == "running":
            self.client.run(_forget_on_worker, on_error="ignore")
        self.client.close()


_kept: dict[str, _KeptData] = {}
"""The client of each ``scheduler`` this process swept on, with the data of its latest sweep there."""
_kept_lock = threading.Lock()


def release() -> None:
    """Free the data this process keeps on clusters between sweeps (on their workers too), and disconnect."""
    with _kept_lock:
        kept = list(_kept.values())
        _kept.clear()
    for each in kept:
        each.close()


atexit.register(release)


def _kept_for(scheduler: str) -> _KeptData:
    """The kept client of ``scheduler``, connected now if there is none or its connection is gone."""
    with _kept_lock:
        for address, each in list(_kept.items()):
            if each.client.status != "running":  # its scheduler went away: so did the data
                del _kept[address]
                each.client.close()
        if scheduler in _kept:
            return _kept[scheduler]
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, ValueError) as error:  # ValueError: an address Dask cannot parse
            raise ConfigError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({error})") from None
        made = _kept[scheduler] = _KeptData(client)
        return made


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
        self._own: _KeptData | None = None
        """The client of the cluster this runner started (``workers``), with its latest data."""

    @property
    def parallelism(self) -> int:
        """How many chunks run at once, for sizing chunks (the local cluster's workers; a guess for others)."""
        return self.workers or os.cpu_count() or 1

    def run(self, market: MarketData, job: SweepJob, chunks: Sequence[Chunk], on_done: OnDone) -> None:
        """Scatter the data (unless the workers hold it), submit one task per chunk and report each as it finishes."""
        if not chunks:
            return
        kept = self._kept()
        client = kept.client
        info = client.scheduler_info()
        threads = [w.get("nthreads", 1) for w in info.get("workers", {}).values()] or [1]
        # one task per worker thread; the compiled kernel then uses that worker's share of cores
        per_task = max(1, (os.cpu_count() or 1) // max(1, sum(threads))) if self.workers else job.threads
        task_job = replace(job, threads=per_task)
        name, data = kept.on_workers(market)  # held until the run ends: no other run frees it meanwhile
        # the data is no dependency of the tasks: a worker that keeps it needs no copy in Dask's store
        combos_of = {number: list(combos) for number, combos in chunks}
        futures = {
            client.submit(_run_kept_chunk, name, data.key, task_job, combos, pure=False): number
            for number, combos in combos_of.items()
        }
        try:
            finished = as_completed(futures, loop=client.loop)  # this client's loop, whichever is current
            for future in finished:
                number = futures[future]
                columns = future.result()
                if columns is None:  # its worker had not the data: again, with the data as a dependency
                    again = client.submit(_run_given_chunk, name, data, task_job, combos_of[number], pure=False)
                    futures[again] = number
                    finished.add(again)
                    continue
                on_done(number, columns)
        finally:
            client.cancel(list(futures), force=True)  # a failed chunk stops the others

    def close(self) -> None:
        """Stop the cluster this runner started, if any (a ``scheduler``'s client stays for the next sweep)."""
        if self._stack is not None:
            self._stack.close()
        self._stack = self._own = None

    def _kept(self) -> _KeptData:
        if self.scheduler is not None:
            return _kept_for(self.scheduler)
        if self._own is None:  # one cluster for every run of an optimize call (walk-forward windows)
            self._stack = ExitStack()
            self._own = _KeptData(self._stack.enter_context(self._local_client()), reuse=False)
        return self._own

    @contextmanager
    def _local_client(self) -> Iterator[Any]:
        with LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster, Client(cluster) as client:
            yield client
