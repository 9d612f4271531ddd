"""``python -m benchmarks``: run every case once and print one table with ratios to the baseline.

The baseline is vectorbt when it is installed (``pip install -e ".[bench]"``), otherwise the
figures recorded for vectorbt on the 2-core development machine (issue #2).
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from benchmarks import cases

RECORDED_VECTORBT_S = 0.137  # 1M bars, SMA 10/50, measured on the dev machine (issue #2)
def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="skip the cold-process and competitor cases")
    args = parser.parse_args()
    records = cases.bars()
    rows = [cases.compiled_kernel(records), cases.compiled_api(records), cases.python_path(records),
            cases.tick_replay()]
    if not args.quick:
        rows += cases.cold_cli()
        rows += [r for r in (cases.vectorbt_case(records), cases.backtesting_case(records)) if r]
    rows += cases.live_cases(quick=args.quick)  # before venue_cases, which caches loggers at WARNING
    rows += cases.tick_to_order_cases(quick=args.quick)
    rows += cases.book_case()
    rows += cases.book_engine_case()  # after the live cases: it sets the log level to WARNING
    rows += cases.venue_cases()
    baseline = next((r["seconds"] for r in rows if r["case"].startswith("vectorbt")), RECORDED_VECTORBT_S)
    table = Table(title=f"botkit benchmarks (baseline: vectorbt, {baseline * 1e3:.1f} ms for 1M bars)")
    columns = ("case", "rows", "time", "rows/s", "× vectorbt", "peak mem × data", "warm-up", "trades / chaos", "target")
    for column in columns:
        table.add_column(column, justify="left" if column in ("case", "target") else "right")
    for r in rows:
        seconds = r.get("seconds")
        rate = r.get("rows_per_s") or (r["n"] / seconds if seconds else 0)
        ratio = f"{baseline / seconds:.1f}" if seconds and "1M bars" in r["case"] else ""
        if "ratio" in r:
            ratio = f"{r['ratio']:.2f} (vs bare)"
        shown = f"{seconds * 1e3:.1f} ms" if seconds else ""
        if "per_call_s" in r:
            shown = f"{r['per_call_s'] * 1e6:.0f} µs/call"
        shown = r.get("shown", shown)
        table.add_row(
            r["case"], f"{r['n']:,}", shown, f"{rate / 1e6:.2f}M" if rate else "",
            ratio, f"{r['peak_mem_x']:.2f}" if "peak_mem_x" in r else "",
            f"{r['warmup_s']:.2f} s" if "warmup_s" in r else "", str(r.get("trades", "")), r.get("target", ""),
        )
    Console().print(table)


if __name__ == "__main__":
    main()
