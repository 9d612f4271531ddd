"""``python -m benchmarks``: run every case once and print one table, each row against its own baseline.

Every ratio is to a baseline measured in the same run (these machines are shared and their speed
differs from one session to the next): the hand-fused loop (the floor) for the compiled backtest
rows, backtesting.py for the Python path, the compiled kernel for tick replay end to end, the
floor process for the cold CLI, vectorbt's cold process for the CLI with an empty numba cache.
Install ``pip install -e ".[bench]"`` to have the peers measured; ``--quick`` skips the cold
processes and runs smaller data.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from benchmarks import cases


def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller data, no cold processes")
    args = parser.parse_args()
    rows = cases.backtest_rows(quick=args.quick)
    rows += cases.live_cases(quick=args.quick)  # before venue_cases, which caches loggers at WARNING
    rows += cases.tick_to_order_cases(quick=args.quick)
    rows += cases.book_case()
    rows += cases.book_engine_case()  # after the live cases: it sets the log level to WARNING
    rows += cases.venue_cases()
    rows += cases.sweep_cases(quick=args.quick)
    table = Table(title="botkit benchmarks (ratios: to the baseline named, measured in the same run)")
    columns = ("case", "rows", "time", "rows/s", "ratio to baseline", "warm-up", "trades / chaos", "target", "")
    for column in columns:
        table.add_column(column, justify="left" if column in ("case", "target", "") else "right")
    for r in rows:
        seconds = r.get("seconds")
        rate = r.get("rows_per_s") or (r["n"] / seconds if seconds else 0)
        shown = f"{seconds * 1e3:.1f} ms" if seconds and seconds < 1 else (f"{seconds:.2f} s" if seconds else "")
        if "min_s" in r:
            shown = f"{seconds:.2f} s (min {r['min_s']:.2f}, {r['runs']} runs)"
        if "per_call_s" in r:
            shown = f"{r['per_call_s'] * 1e6:.0f} µs/call"
        shown = r.get("shown", shown)
        ratio = f"{r['x_baseline']:.2f}× {r['baseline']}" if "x_baseline" in r else ""
        if "ratio" in r:
            ratio = f"{r['ratio']:.2f}× bare"
        verdict = ("met" if r["met"] else "missed") if "met" in r else ""
        table.add_row(
            r["case"], f"{r['n']:,}", shown, f"{rate / 1e6:.2f}M" if rate and "min_s" not in r else "", ratio,
            f"{r['warmup_s']:.2f} s" if "warmup_s" in r else "", str(r.get("trades", "")), r.get("target", ""),
            verdict,
        )
    Console().print(table)


if __name__ == "__main__":
    main()
