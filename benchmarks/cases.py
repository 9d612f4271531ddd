"""The benchmark cases: each returns rows of measurements for the runner's table."""

from __future__ import annotations

from typing import Any

from benchmarks import bench_backtest, bench_paths, cold_process

Row = dict[str, Any]


def backtest_rows(quick: bool = False) -> list[Row]:
    """The backtester's rows, each with the ratio to its own baseline measured in the same run.

    The floor (a hand-fused loop) for the compiled rows, backtesting.py for the Python path, the
    kernel for tick replay end to end, and (not ``quick``) the floor process and vectorbt's cold
    process for the cold CLI.
    """
    records = bench_backtest.bars()
    rows = bench_backtest.measure(records, repeat=5 if quick else 9)
    rows.append(bench_backtest.peak_memory(records))
    rows += bench_paths.python_path(20_000 if quick else 100_000, repeat=2 if quick else 3)
    rows += bench_paths.tick_replay(1_000_000 if quick else 5_000_000, repeat=2 if quick else 3)
    if not quick:
        rows += cold_process.measure(runs=7, empty_runs=1)
    return rows


def book_case() -> list[Row]:
    """L2 book delta throughput, if the book benchmark exists."""
    try:
        from benchmarks import bench_book
    except ImportError:
        return []
    return [{"case": r["case"], "n": r.get("n", 0), "rows_per_s": r["rows_per_s"],
             "target": "≥ 500k deltas/s" if r["case"] == "l2 book deltas" else ""} for r in bench_book.run()]


def book_engine_case() -> list[Row]:
    """Book deltas through one live bot's on_market_event with on_book (``bench_engine_book``)."""
    from benchmarks import bench_engine_book

    return [{"case": r["case"], "n": r["n"], "rows_per_s": r["rows_per_s"], "target": r["target"]}
            for r in bench_engine_book.run()]


def venue_cases() -> list[Row]:
    """Syncron client figures (L2 parse + book, REST overhead), if that benchmark exists."""
    try:
        from benchmarks import bench_syncron
    except ImportError:
        return []
    rows = []
    for r in bench_syncron.run():
        if "ratio" in r["case"]:
            rows.append({"case": r["case"], "n": r["n"], "ratio": r["seconds"], "target": "≤ 1.2×"})
        elif "rows_per_s" in r:
            target = "≥ 500k deltas/s" if "SequencedBook" in r["case"] else ""
            rows.append({"case": r["case"], "n": r["n"], "rows_per_s": r["rows_per_s"], "target": target})
        else:
            rows.append({"case": r["case"], "n": r["n"], "per_call_s": r["seconds"]})
    return rows


def live_cases(quick: bool = False) -> list[Row]:
    """Live engine intent → first-byte latency against the simulator per fault profile, with chaos figures."""
    try:
        from benchmarks import bench_live
    except ImportError:
        return []
    rows = []
    for r in bench_live.run(quick=quick):
        shown = f"p50 {r['p50_ms']:.2f} / p99 {r['p99_ms']:.1f} / max {r['max_ms']:.0f} ms"
        rows.append({"case": r["case"], "n": r["n"], "shown": shown, "trades": bench_live.chaos_summary(r),
                     "target": r["target"]})
    return rows


def tick_to_order_cases(quick: bool = False) -> list[Row]:
    """WS frame → order request written and intent → written, simulator in its own process, with aiohttp's floor."""
    from benchmarks import bench_tick_to_order

    return [{"case": r["case"], "n": r["n"], "shown": r["shown"],
             "trades": f"{r['ratio']:.2f}× aiohttp floor ({r['floor_us']:.0f} µs)", "target": r["target"]}
            for r in bench_tick_to_order.run(quick=quick)]


def sweep_cases(quick: bool = False) -> list[Row]:
    """The optimizer's sweep: against the naive sweep, vectorbt's, on a LocalCluster, 100k random (``bench_sweep``)."""
    from benchmarks import bench_sweep

    return [{key: value for key, value in r.items() if key != "seconds"} for r in bench_sweep.run(quick=quick)]
