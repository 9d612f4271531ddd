"""The optimizer's sweep against a naive sweep, vectorbt's sweep and itself on a Dask cluster, in one run.

``python -m benchmarks.bench_sweep [--quick] [--bars N] [--repeat N] [--random N] [--skip-vectorbt]
[--skip-dask]``, on the benchmarks' seeded 1M 1-minute bars, SMA crossover, size 1, next-open market
fills, no fees; the grid fast 5..50 step 5 × slow 20..200 step 10 with fast < slow (174 combinations):

- the naive sweep (``naive_sweep.py``: the hand-fused floor loop once per combination, ``prange``
  over the combinations) and ``botkit.optimize`` on the grid, warm, interleaved, best of
  ``repeat``: combinations/s and botkit's speed-up (goal ≥ 4×); also botkit on one numba thread;
  the two must agree on every combination's trades and final equity (disagreements are printed);
- peak memory of botkit's sweep in a fresh process (goal < 1 GB), and vectorbt's own sweep of the
  grid (one column per combination) in another, with its combinations/s;
- the same sweep on a two-worker Dask LocalCluster against the local sweep, interleaved
  (goal ≤ 1.3× the local time), with the cluster's start-up and first run apart, and one
  ``optimize(workers=2)`` call as a user makes it (start-up included);
- ``--random`` combinations (100,000) of a bigger space, fast 2..301 × slow 10..2000 step 5,
  fast < slow: the overall rate, the rate chunk by chunk and the process's peak memory.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

import botkit
from benchmarks.bench_backtest import bars
from benchmarks.bench_paths import interleaved
from benchmarks.naive_sweep import naive_sweep
from benchmarks.sweep_process import CAPITAL, GRID, GRID_TEXT, SPEC, WHERE, status_bytes
from botkit.optimize.engine import optimize
from botkit.optimize.result import OptimizeResult

Row = dict[str, Any]
REPO = Path(__file__).resolve().parent.parent
RANDOM_GRID = {"fast": "2:301", "slow": "10:2000:5"}
RANDOM_SEED = 7
SPEEDUP_GOAL = 4.0
MEMORY_GOAL = 1e9
CLUSTER_GOAL = 1.3
NAIVE = "naive sweep: the floor loop per combination, prange over them"
BOTKIT = "botkit.optimize(), compiled sweep"
BOTKIT_ONE = "botkit.optimize(), compiled sweep, threads=1"
LOCAL = "botkit.optimize(), local"
CLUSTER = "botkit.optimize(), 2-worker LocalCluster (warm)"
GB = 1e9
VECTORBT_BYTES_PER_BAR = 15_500.0
"""vectorbt's peak on the grid per bar (10.8–15.3 GB on 1M bars): skipped when less memory is available."""


def _grid_sweep(records: np.ndarray, **options: Any) -> OptimizeResult:
    return optimize(SPEC, grid=GRID_TEXT, where=list(WHERE), data={"BTCUSD": records}, **options)


def _rate_row(case: str, times: list[float], bars_n: int, combos: int, **extra: Any) -> Row:
    best = min(times)
    return {"case": case, "n": combos, "bars": bars_n, "seconds": best, "median_s": float(np.median(times)),
            "comb_per_s": combos / best,
            "shown": f"{best:.2f} s (median {np.median(times):.2f}) · {combos / best:,.0f} comb/s", **extra}


def sweep_rates(records: np.ndarray, repeat: int = 5, echo: Callable[[str], None] = print) -> list[Row]:
    """The naive sweep and botkit's (all threads, then one), interleaved, best of ``repeat`` each."""
    results: dict[str, Any] = {}

    def botkit_case(threads: int | None, name: str) -> Callable[[], None]:
        def run() -> None:
            results[name] = _grid_sweep(records, threads=threads)
        return run

    def naive_case() -> None:
        results[NAIVE] = naive_sweep(records, GRID, capital=CAPITAL)

    cases = {NAIVE: naive_case, BOTKIT: botkit_case(None, BOTKIT), BOTKIT_ONE: botkit_case(1, BOTKIT_ONE)}
    warm = {}
    for name, run in cases.items():  # the first call compiles (naive) or loads the kernel from the cache (botkit)
        t = time.perf_counter()
        run()
        warm[name] = time.perf_counter() - t
    times = interleaved(cases, repeat)
    naive_best = min(times[NAIVE])
    agreement = agree(records, results[BOTKIT], *results[NAIVE], echo=echo)
    rows = [_rate_row(NAIVE, times[NAIVE], len(records), len(GRID), warmup_s=warm[NAIVE])]
    for name in (BOTKIT, BOTKIT_ONE):
        speedup = naive_best / min(times[name])
        row = _rate_row(name, times[name], len(records), len(GRID), warmup_s=warm[name], x_baseline=speedup,
                        baseline="naive's comb/s")
        if name == BOTKIT:
            row.update(target=f"≥ {SPEEDUP_GOAL:g}× naive", met=speedup >= SPEEDUP_GOAL, trades=agreement)
        rows.append(row)
    return rows


def agree(records: np.ndarray, result: OptimizeResult, finals: np.ndarray, fills: np.ndarray,
          echo: Callable[[str], None] = print) -> str:
    """How many combinations botkit's sweep and the naive loop agree on (round trips, final equity); prints the rest.

    The floor's round trips are its fills halved (an open position at the end is not a trip). For
    the first few that differ, a single ``botkit.backtest`` says which side the sweep is on.
    """
    table = result.table
    if list(zip(table["fast"], table["slow"], strict=True)) != GRID:
        return "botkit's table is not in grid order: not compared"
    ours_final = table["final_equity"].to_numpy(dtype=float)
    ours_trips = table["trades"].to_numpy(dtype=np.int64)
    differ = np.flatnonzero((np.abs(ours_final - finals) > 1e-9 * CAPITAL) | (ours_trips != fills // 2))
    if len(differ):
        echo(f"botkit's sweep and the naive loop differ on {len(differ)} of {len(GRID)} combinations:")
    for q in differ[:5]:
        fast, slow = GRID[q]
        single = botkit.backtest({**SPEC, "params": {"size": 1.0, "fast": fast, "slow": slow}, "engine": "compiled"},
                                 data={"BTCUSD": records}).stats
        same = "= the sweep's" if single["final_equity"] == ours_final[q] else f"{single['final_equity']:.6f}"
        echo(f"  fast {fast:>2} slow {slow:>3}: final equity {ours_final[q]:.6f} vs naive {finals[q]:.6f}, "
             f"round trips {ours_trips[q]} vs {fills[q] // 2}; botkit.backtest alone: {same}")
    if len(differ) > 5:
        echo(f"  … and {len(differ) - 5} more")
    return f"{len(GRID) - len(differ)}/{len(GRID)} agree with naive"


def _child(which: str, n_bars: int, timeout: float) -> dict[str, Any]:
    """Run ``benchmarks.sweep_process`` in a fresh interpreter; its JSON line, or {"error": ...}."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run([sys.executable, "-m", "benchmarks.sweep_process", which, "--bars", str(n_bars)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {tail}"}
    return json.loads(lines[-1])


def _available_bytes() -> float:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes (infinite where there is none)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024.0
    except OSError:
        pass
    return float("inf")


def peak_memory(n_bars: int, vectorbt: bool = True, botkit_rate: float | None = None,
                echo: Callable[[str], None] = print) -> list[Row]:
    """botkit's sweep of the grid in a fresh process, and vectorbt's where installed: peak RSS and time."""
    rows = []
    ours = _child("botkit", n_bars, timeout=600)
    if "error" in ours:
        echo(f"botkit's sweep process failed: {ours['error']}")
        return [{"case": "peak memory, botkit's sweep (fresh process)", "n": len(GRID), "shown": ours["error"]}]
    above = ours["peak"] - ours["loaded"]
    rows.append({
        "case": "peak memory, botkit's sweep (fresh process, VmHWM)", "n": len(GRID), "bars": n_bars,
        "seconds": ours["seconds"], "comb_per_s": len(GRID) / ours["seconds"], "peak_bytes": ours["peak"],
        "loaded_bytes": ours["loaded"],
        "shown": f"peak {ours['peak'] / GB:.2f} GB, {above / GB:.2f} GB above the loaded data",
        "trades": f"loaded: {ours['loaded'] / GB:.2f} GB (bars {ours['data'] / GB:.3f} GB)",
        "target": "< 1 GB peak", "met": ours["peak"] < MEMORY_GOAL,
    })
    if not vectorbt:
        return rows
    if importlib.util.find_spec("vectorbt") is None:
        echo("vectorbt is not installed (pip install -e '.[bench]'): its sweep is skipped")
        return rows
    need = VECTORBT_BYTES_PER_BAR * n_bars + GB
    available = _available_bytes()
    if available < need:
        echo(f"vectorbt's sweep skipped: it needs ~{need / GB:.0f} GB, {available / GB:.1f} GB are available")
        return rows
    peer = _child("vectorbt", n_bars, timeout=1200)
    if "error" in peer:
        echo(f"vectorbt's sweep process failed: {peer['error']}")
        return [*rows, {"case": "vectorbt's own sweep (fresh process)", "n": len(GRID), "shown": peer["error"]}]
    rate = len(GRID) / peer["seconds"]
    ours_rate = botkit_rate or len(GRID) / ours["seconds"]
    rows.append({
        "case": "vectorbt's own sweep of the grid (fresh process, once)", "n": len(GRID), "bars": n_bars,
        "seconds": peer["seconds"], "comb_per_s": rate, "peak_bytes": peer["peak"], "loaded_bytes": peer["loaded"],
        "shown": f"{peer['seconds']:.1f} s · {rate:.2f} comb/s · peak {peer['peak'] / GB:.2f} GB "
                 f"({(peer['peak'] - peer['loaded']) / GB:.2f} above the data)",
        "trades": f"botkit: {ours_rate / rate:.0f}× its comb/s at {ours['peak'] / peer['peak']:.2f}× its peak",
    })
    return rows


def on_cluster(records: np.ndarray, repeat: int = 3, echo: Callable[[str], None] = print) -> list[Row]:
    """The grid on a two-worker LocalCluster (one thread each) against the local sweep, interleaved."""
    from distributed import LocalCluster  # lazy: only this case needs Dask

    from botkit.optimize.distributed import release

    t = time.perf_counter()
    user_call = _grid_sweep(records, workers=2)  # what `--workers 2` costs: a cluster started and stopped
    user_s = time.perf_counter() - t
    t = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        start_s = time.perf_counter() - t
        address = cluster.scheduler_address
        t = time.perf_counter()
        _grid_sweep(records, scheduler=address, threads=1)  # the workers import botkit and load the kernel
        first_s = time.perf_counter() - t
        cases = {LOCAL: lambda: _grid_sweep(records),
                 CLUSTER: lambda: _grid_sweep(records, scheduler=address, threads=1)}
        times = interleaved(cases, repeat)
        release()  # the data the sweeps keep on the cluster between calls, before it stops
    local_best, cluster_best = min(times[LOCAL]), min(times[CLUSTER])
    ratio = cluster_best / local_best
    echo(f"cluster: start-up {start_s:.2f} s, first run {first_s:.2f} s, warm best {cluster_best:.2f} s; "
         f"optimize(workers=2) whole call {user_s:.2f} s ({user_call.engine})")
    return [
        _rate_row(LOCAL, times[LOCAL], len(records), len(GRID)),
        _rate_row(CLUSTER, times[CLUSTER], len(records), len(GRID), x_baseline=ratio, baseline="local time",
                  target=f"≤ {CLUSTER_GOAL:g}× local", met=ratio <= CLUSTER_GOAL,
                  trades=f"start-up {start_s:.1f} s, first run {first_s:.1f} s"),
        {"case": "botkit.optimize(workers=2): one call, cluster start-up included", "n": len(GRID),
         "bars": len(records), "seconds": user_s, "comb_per_s": len(GRID) / user_s, "x_baseline": user_s / local_best,
         "baseline": "local time", "shown": f"{user_s:.2f} s · {len(GRID) / user_s:,.0f} comb/s"},
    ]


@contextmanager
def _rss_sampler(every: float = 0.02) -> Iterator[list[int]]:
    """Samples this process's VmRSS every ``every`` seconds while open; the list ends with the highest."""
    peak = [status_bytes("VmRSS")]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(every):
            peak[0] = max(peak[0], status_bytes("VmRSS"))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def random_sweep(records: np.ndarray, n: int = 100_000, seed: int = RANDOM_SEED,
                 echo: Callable[[str], None] = print) -> list[Row]:
    """``n`` random combinations of the bigger space: overall rate, rate per chunk, peak memory of the process."""
    marks: list[tuple[float, int, int]] = []

    def progress(done: int, total: int) -> None:
        marks.append((time.perf_counter(), done, status_bytes("VmRSS")))
        if len(marks) > 1 and done * 10 // total > marks[-2][1] * 10 // total:
            echo(f"  {done:,} of {total:,} after {marks[-1][0] - t0:.0f} s")

    with suppress(OSError):  # reset VmHWM to the current RSS (Linux ≥ 4.0), so it is this sweep's peak
        Path("/proc/self/clear_refs").write_text("5")
    before = status_bytes("VmRSS")
    t0 = time.perf_counter()  # read by progress()
    with _rss_sampler() as sampled:
        result = optimize(SPEC, grid=RANDOM_GRID, where=list(WHERE), random=n, seed=seed, data={"BTCUSD": records},
                          progress=progress)
    total_s = time.perf_counter() - t0
    peak = max(sampled[0], status_bytes("VmHWM"))
    t = np.array([m[0] for m in marks])
    done = np.array([m[1] for m in marks])
    rss = np.array([m[2] for m in marks])
    chunk_rates = np.diff(done) / np.diff(t)
    windows = len(set(result.table["fast"])) + len(set(result.table["slow"]))
    sweep_s = t[-1] - t[0]
    echo(f"{len(result.table):,} random combinations ({result.space}; {windows} distinct windows): "
         f"{total_s:.1f} s, setup (sampling, validation, data) {t[0] - t0:.2f} s")
    echo("  chunks       combinations   comb/s   RSS after")
    for group in np.array_split(np.arange(1, len(t)), min(10, len(t) - 1)):
        lo, hi = int(group[0]), int(group[-1])
        rate = (done[hi] - done[lo - 1]) / (t[hi] - t[lo - 1])
        echo(f"  {lo:>4}–{hi:<4}   {done[lo - 1]:>7,}–{done[hi]:<7,}   {rate:>6,.0f}   {rss[hi] / GB:.3f} GB")
    return [{
        "case": f"{len(result.table):,} random combinations, fast 2..301 × slow 10..2000:5",
        "n": len(result.table), "bars": len(records), "seconds": total_s, "comb_per_s": len(result.table) / total_s,
        "chunk_rates": chunk_rates.tolist(), "peak_bytes": peak, "before_bytes": before,
        "shown": f"{total_s:.1f} s · {len(result.table) / total_s:,.0f} comb/s "
                 f"(chunks {chunk_rates.min():,.0f}–{chunk_rates.max():,.0f}, median {np.median(chunk_rates):,.0f})",
        "trades": f"peak {peak / GB:.2f} GB ({(peak - before) / GB:+.2f} over the start; RSS first chunk "
                  f"{rss[1] / GB:.2f}, last {rss[-1] / GB:.2f} GB); sweep alone {len(result.table) / sweep_s:,.0f}/s",
        "target": "bounded memory, steady rate (printed)",
    }]


def run(quick: bool = False, n_bars: int | None = None, repeat: int | None = None, random: int | None = None,
        vectorbt: bool = True, dask: bool = True, echo: Callable[[str], None] = print) -> list[Row]:
    """Every row of this benchmark (``quick``: 100k bars, 2,000 random combinations, 3 repeats)."""
    n_bars = n_bars or (100_000 if quick else 1_000_000)
    repeat = repeat or (3 if quick else 5)
    random = random if random is not None else (2_000 if quick else 100_000)
    records = bars(n_bars)
    echo(f"{n_bars:,} bars, {len(GRID)} combinations; load average {os.getloadavg()[0]:.2f} "
         f"on {os.cpu_count()} cores")
    rows = sweep_rates(records, repeat, echo)
    echo("rates done; peak memory in fresh processes …")
    rows += peak_memory(n_bars, vectorbt, rows[1]["comb_per_s"], echo)
    if dask:
        echo("Dask LocalCluster …")
        rows += on_cluster(records, max(3, repeat - 2), echo)
    if random:
        echo(f"{random:,} random combinations …")
        rows += random_sweep(records, random, echo=echo)
    echo(f"load average at the end {os.getloadavg()[0]:.2f}")
    return rows


def print_table(rows: list[Row]) -> None:
    """The rows as one rich table."""
    table = Table(title="botkit sweep benchmarks (ratios to the baseline named, measured in the same run)")
    for column in ("case", "comb.", "time · rate", "ratio", "warm-up", "notes", "target", ""):
        table.add_column(column, justify="right" if column in ("comb.", "ratio", "warm-up") else "left")
    for r in rows:
        ratio = f"{r['x_baseline']:.2f}× {r['baseline']}" if "x_baseline" in r else ""
        verdict = ("met" if r["met"] else "missed") if "met" in r else ""
        table.add_row(r["case"], f"{r['n']:,}", r.get("shown", ""), ratio,
                      f"{r['warmup_s']:.2f} s" if "warmup_s" in r else "", str(r.get("trades", "")),
                      r.get("target", ""), verdict)
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def main() -> None:
    """Run the sweep benchmarks and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sweep")
    parser.add_argument("--quick", action="store_true", help="100k bars, 2,000 random combinations, 3 repeats")
    parser.add_argument("--bars", type=int, default=None, help="bars (default 1,000,000; --quick 100,000)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of each interleaved case (default 5)")
    parser.add_argument("--random", type=int, default=None, help="random combinations (default 100,000; 0: skip)")
    parser.add_argument("--skip-vectorbt", action="store_true", help="no vectorbt sweep (~1.5 min, ~15 GB on 1M bars)")
    parser.add_argument("--skip-dask", action="store_true", help="no LocalCluster rows")
    args = parser.parse_args()
    rows = run(quick=args.quick, n_bars=args.bars, repeat=args.repeat, random=args.random,
               vectorbt=not args.skip_vectorbt, dask=not args.skip_dask)
    print_table(rows)


if __name__ == "__main__":
    main()
