"""Cold processes, timed whole from outside: ``botkit backtest`` against the floor process and vectorbt.

``python -m benchmarks.cold_process [--runs N] [--empty-runs N]`` writes a 1M-bar archive (695 day
files) and a spec into a scratch folder, then times whole processes (``time.perf_counter`` around
``subprocess.run``, the child's output discarded):

- numba cache warm: the floor process (``benchmarks/floor_process.py``: interpreter, numpy, pandas,
  pyarrow and numba imports, one cached kernel, the Parquet read, the run) and
  ``python -m botkit.cli backtest`` on the same archive, A B A B … after one warm-up each, so a
  drift in the machine's speed reaches both; the median and min of each, and of the per-pair ratios;
- numba cache empty (a fresh ``NUMBA_CACHE_DIR`` for every run): ``botkit backtest`` and
  vectorbt's cold process (``benchmarks/vectorbt_process.py``, where installed), interleaved.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from botkit.data.synthetic import generate_archive

BARS = 1_000_000
Row = dict[str, Any]


def prepare(root: Path) -> tuple[Path, Path]:
    """The archive and spec the processes read: ``(spec path, directory of the bars' day files)``."""
    generate_archive(root / "data", symbol="BTCUSD", n=BARS, seed=7)
    spec = root / "spec.yaml"
    spec.write_text(
        "name: bench\nstrategy: sma_cross\nparams: {fast: 10, slow: 50, size: 1}\n"
        f"data: {{archive: {root / 'data'}, symbols: [BTCUSD], bar_interval: 1m}}\n"
        f"output: {{dir: {root / 'out'}}}\n"
    )
    return spec, root / "data" / "synthetic" / "BTCUSD" / "bars_1m"


def timed(command: list[str], cache_dir: Path) -> float:
    """Wall seconds of one whole process with ``NUMBA_CACHE_DIR=cache_dir`` (it must succeed)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    t = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def _row(case: str, times: list[float], baseline: list[float] | None, baseline_name: str, target: float,
         **extra: Any) -> Row:
    row: Row = {"case": case, "n": BARS, "seconds": statistics.median(times), "min_s": min(times),
                "runs": len(times), **extra}
    if baseline:
        ratios = [a / b for a, b in zip(times, baseline, strict=True)]
        row.update(x_baseline=statistics.median(ratios), x_baseline_min=min(ratios), baseline=baseline_name,
                   target=f"≤ {target}× {baseline_name}", met=statistics.median(ratios) <= target)
    return row


def measure(runs: int = 7, empty_runs: int = 1, peer: bool = True) -> list[Row]:
    """The cold-process rows: warm cache against the floor process, empty cache against vectorbt."""
    root = Path(tempfile.mkdtemp(prefix="botkit-cold-"))
    try:
        return _measure(root, runs, empty_runs, peer)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _measure(root: Path, runs: int, empty_runs: int, peer: bool) -> list[Row]:
    spec, bars_dir = prepare(root)
    python = sys.executable
    floor = [python, "-m", "benchmarks.floor_process", str(bars_dir)]
    cli = [python, "-m", "botkit.cli", "backtest", str(spec), "--no-progress"]
    vectorbt = [python, "-m", "benchmarks.vectorbt_process", str(bars_dir)]
    warm_cache = root / "numba-cache"
    timed(floor, warm_cache)
    timed(cli, warm_cache)
    floor_s, cli_s = [], []
    for _ in range(runs):
        floor_s.append(timed(floor, warm_cache))
        cli_s.append(timed(cli, warm_cache))
    rows = [_row("floor process: imports + cached kernel + Parquet read + run", floor_s, None, "", 0),
            _row("botkit backtest CLI, numba cache warm", cli_s, floor_s, "floor process", 1.25)]
    has_peer = peer and _has_vectorbt()
    cold_cli, cold_peer = [], []
    for index in range(empty_runs):
        cold_cli.append(timed(cli, root / f"empty-cli-{index}"))
        if has_peer:
            cold_peer.append(timed(vectorbt, root / f"empty-vbt-{index}"))
    if not empty_runs:
        return rows
    if has_peer:
        rows.append(_row("vectorbt cold process, numba cache empty", cold_peer, None, "", 0))
    rows.append(_row("botkit backtest CLI, numba cache empty", cold_cli, cold_peer or None, "vectorbt cold", 0.15))
    return rows


def _has_vectorbt() -> bool:
    try:
        import vectorbt  # noqa: F401 - only whether it is installed
    except ImportError:
        return False
    return True


def main() -> None:
    """Print the rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_process")
    parser.add_argument("--runs", type=int, default=7, help="pairs of warm-cache runs")
    parser.add_argument("--empty-runs", type=int, default=1, help="pairs of empty-cache runs (vectorbt: ~50 s each)")
    parser.add_argument("--no-peer", action="store_true", help="skip vectorbt")
    args = parser.parse_args()
    for row in measure(args.runs, args.empty_runs, peer=not args.no_peer):
        ratio = (f"median {row['x_baseline']:.2f}× (min {row['x_baseline_min']:.2f}×) {row['baseline']}"
                 if "x_baseline" in row else "")
        verdict = ("met" if row["met"] else "missed") if "met" in row else ""
        print(f"{row['case']:62} median {row['seconds']:6.2f} s  min {row['min_s']:6.2f} s  "
              f"({row['runs']} runs)  {ratio}  {row.get('target', '')} {verdict}")


if __name__ == "__main__":
    main()
