"""Live engine latency: strategy intent → first byte of the order request, against the Syncron simulator.

One chaos run per fault profile (``none``, ``mild``, ``harsh``; see ``tests/live/test_chaos.py``):
the real engine, venue clients and simulator over loopback in one process, a strategy sending
market and limit orders and cancels at ~90 decisions/s, two abrupt stops (kill -9 style) and a
graceful stop. "Intent" is ``Order.ts_created`` (the strategy's order call registering the order
in ``executor.prepare``); "first byte" is when aiohttp has written the ``POST /v5/order``
request headers (an ``on_request_headers_sent`` TraceConfig on the REST client's session, the
first attempt of each order). Orders never sent (refused, expired) have no latency.

``run()`` returns rows ``{"case", "n", "p50_ms", "p99_ms", "max_ms", "figures", "target", "met"}``.
Run: ``python benchmarks/bench_live.py [--quick]`` or as part of ``python -m benchmarks``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

Row = dict[str, Any]
TARGETS = {"none": (0.1, None), "mild": (50.0, 2000.0), "harsh": (None, None)}
"""Per profile: target p50 and p99 in ms (None: no target)."""


def _target(profile: str, p50: float, p99: float) -> tuple[str, str]:
    want50, want99 = TARGETS[profile]
    parts, met = [], []
    if want50 is not None:
        parts.append(f"p50 ≤ {want50:g} ms")
        met.append(p50 <= want50)
    if want99 is not None:
        parts.append(f"p99 ≤ {want99 / 1000:g} s")
        met.append(p99 <= want99)
    if not parts:
        return "", ""
    return ", ".join(parts), "met" if all(met) else "missed"


def run(quick: bool = False, seed: int = 1) -> list[Row]:
    """One chaos run per profile: ``quick`` 10 s each, else 60 s each."""
    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from tests.live.test_chaos import run_chaos  # the same run as the test suite's

    rows = []
    for profile in ("none", "mild", "harsh"):
        figures = asyncio.run(run_chaos(profile, seed, duration_s=10.0 if quick else 60.0, log_level=logging.CRITICAL))
        p50, p99, worst = figures.latency(0.5), figures.latency(0.99), figures.latency(1.0)
        target, met = _target(profile, p50, p99)
        rows.append({
            "case": f"live intent → first byte, {profile} faults ({figures.duration_s:.0f} s, 2 kills)",
            "n": figures.orders_sent, "p50_ms": p50, "p99_ms": p99, "max_ms": worst, "figures": figures,
            "target": f"{target} — {met}" if target else "", "met": met,
        })
    return rows


def chaos_summary(row: Row) -> str:
    """The chaos figures of a row, short enough for a table cell."""
    f = row["figures"]
    return (f"dup {f.duplicates}, mismatch {len(f.mismatches)}, open {f.non_terminal_local}/{f.non_terminal_venue}, "
            f"late {f.sent_after_ttl}")


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['case']:<62} n={r['n']:>5}  p50 {r['p50_ms']:8.2f} ms  p99 {r['p99_ms']:8.1f} ms  "
              f"max {r['max_ms']:8.1f} ms  {chaos_summary(r)}  {r['target']}")
        print("   ", r["figures"].line())
