"""Sweeps on a Dask cluster give the local table exactly, survive a killed worker, and fail clearly without one.

Each test starts at most one LocalCluster of two processes (a few seconds each); the grid is small.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip(
    "distributed", reason="Dask is not installed: pip install -e '.[dask]' (or '.[test]')")

from botkit.backtest.engine import as_spec  # noqa: E402
from botkit.core.errors import ConfigError  # noqa: E402
from botkit.data.synthetic import synthetic_bars  # noqa: E402
from botkit.optimize.chunks import MarketData, load_market  # noqa: E402
from botkit.optimize.distributed import DaskRunner, data_digest, release  # noqa: E402
from botkit.optimize.engine import optimize  # noqa: E402

SPEC = {"strategy": "sma_cross", "params": {"size": 1.0}, "capital": 100_000.0}
SWEEP: dict[str, Any] = {"grid": {"fast": "5:30:5", "slow": "20:80:10"}, "where": ["fast < slow"]}
DATA = {"BTCUSD": synthetic_bars(50_000, seed=1)}
COMBOS = 38  # fast 5..30 × slow 20..80 with fast < slow
HANG_GUARD_S = 60.0
"""Far above DaskRunner's 10 s connect timeout: only a hang reaches it."""
SETTLE_S = 30.0
"""How long the scheduler may take to forget released data: only a leak reaches it."""


@pytest.fixture(scope="module")
def local_table() -> pd.DataFrame:
    table = optimize(SPEC, **SWEEP, data=DATA).table
    assert len(table) == COMBOS
    return table


@pytest.fixture
def cluster() -> Iterator[tuple[Any, Any]]:
    """A LocalCluster of two single-threaded worker processes under nannies, and a client of the test's own."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as made, distributed.Client(made) as client:
        yield made, client
        release()  # the data the sweeps left on this cluster, before it stops


def market_keys(client: Any) -> set[str]:
    """The keys of sweep data held anywhere on the cluster."""
    return {key for keys in client.has_what().values() for key in keys if str(key).startswith("MarketData")}


def settled(check: Callable[[], bool]) -> bool:
    """Whether ``check`` holds, once the scheduler has caught up (it forgets released keys in the background)."""
    deadline = time.monotonic() + SETTLE_S
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_local_cluster_gives_the_local_table_exactly(local_table: pd.DataFrame) -> None:
    result = optimize(SPEC, **SWEEP, data=DATA, workers=2)
    assert "dask local cluster (2 workers)" in result.engine
    pd.testing.assert_frame_equal(result.table, local_table, check_exact=True)


def test_a_worker_killed_mid_sweep_changes_no_result(local_table: pd.DataFrame, cluster: tuple[Any, Any]) -> None:
    made, client = cluster
    pids: dict[str, int] = client.run(os.getpid)
    killed: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if done == 0 or killed:
            return
        # after the first chunk: SIGKILL a worker that holds tasks, as a machine lost mid-task would
        processing = client.processing()
        victim = next((address for address, keys in processing.items() if keys), None)
        assert victim is not None, f"no worker busy after the first chunk ({done}/{total}): nothing to lose"
        os.kill(pids[victim], signal.SIGKILL)
        killed.update(address=victim, pid=pids[victim], lost=list(processing[victim]), done=done)

    result = optimize(SPEC, **SWEEP, data=DATA, scheduler=made.scheduler_address, chunk_size=2, progress=progress)

    assert killed and killed["done"] < COMBOS
    pd.testing.assert_frame_equal(result.table, local_table, check_exact=True)
    # the lost tasks went back from processing when their worker died, and finished elsewhere
    story = client.story(*killed["lost"], on_error="ignore")
    rerun = {entry[1] for entry in story
             if entry[0] == "scheduler" and entry[2:4] == ("processing", "released")
             and str(entry[5]).startswith("handle-worker-cleanup")}
    assert rerun, f"no task of the killed worker was re-run; its story: {story}"
    # the nanny restarted the worker: two workers again, the killed process not among them
    client.wait_for_workers(2, timeout=30)
    now = client.run(os.getpid)
    assert len(now) == 2 and killed["pid"] not in now.values()


def test_the_same_data_stays_on_the_workers_and_changed_data_replaces_it(
        local_table: pd.DataFrame, cluster: tuple[Any, Any]) -> None:
    made, client = cluster
    records = DATA["BTCUSD"].copy()
    data = {"BTCUSD": records}
    first = optimize(SPEC, **SWEEP, data=data, scheduler=made.scheduler_address)
    [kept] = market_keys(client)

    # a worker restarted between sweeps holds nothing: its chunks come back and go again with the kept data
    holders = client.who_has()[kept]
    victim = holders[0] if len(holders) > 1 else next(w for w in client.scheduler_info()["workers"] if w not in holders)
    client.restart_workers([victim])
    client.wait_for_workers(2, timeout=30)
    again = optimize(SPEC, **SWEEP, data=data, scheduler=made.scheduler_address, chunk_size=2)
    assert market_keys(client) == {kept}, "the same data was sent again"

    records["close"][-5_000:] *= 1.01  # the same array, mutated in place
    changed = optimize(SPEC, **SWEEP, data=data, scheduler=made.scheduler_address)
    assert settled(lambda: len(market_keys(client)) == 1 and kept not in market_keys(client)), \
        f"changed data not sent, or the old data not freed: {market_keys(client)}"

    for table in (first.table, again.table):
        pd.testing.assert_frame_equal(table, local_table, check_exact=True)
    assert not changed.table.equals(local_table), "the change did not reach the results: nothing tested"
    pd.testing.assert_frame_equal(changed.table, optimize(SPEC, **SWEEP, data=data).table, check_exact=True)
    release()
    assert settled(lambda: not market_keys(client)), f"release() left {market_keys(client)}"


def test_the_digest_tells_equal_data_from_changed_data() -> None:
    market = load_market(as_spec(SPEC, None)[0], DATA)
    records = market.records["BTCUSD"]
    copy = records.copy()
    assert data_digest(market) == data_digest(MarketData(market.config, market.symbols, {"BTCUSD": copy}))
    copy["volume"][17] = np.nextafter(copy["volume"][17], np.inf)
    assert data_digest(market) != data_digest(MarketData(market.config, market.symbols, {"BTCUSD": copy}))
    assert data_digest(market) != data_digest(MarketData(market.config, market.symbols, {"BTCUSD": records[1:]}))


@pytest.fixture
def closed_address() -> Iterator[str]:
    """A loopback address nothing listens on (bound, so no one else takes the port meanwhile)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"tcp://127.0.0.1:{sock.getsockname()[1]}"


def test_an_unreachable_scheduler_is_a_config_error_naming_it(closed_address: str) -> None:
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(optimize, SPEC, **SWEEP, data=DATA, scheduler=closed_address)
        with pytest.raises(ConfigError, match=f"--scheduler {closed_address}: cannot reach the Dask scheduler"):
            running.result(timeout=HANG_GUARD_S)


def test_a_malformed_scheduler_address_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"--scheduler not-an-address: .*missing port"):
        optimize(SPEC, **SWEEP, data=DATA, scheduler="not-an-address")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "needs --scheduler ADDRESS or --workers N"),
    ({"workers": 0}, "--workers must be >= 1, got 0"),
])
def test_runner_arguments_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DaskRunner(**kwargs)
