"""Syncron client benchmarks: L2 delta parsing into the book, and the REST round trip's overhead.

``run()`` returns rows ``{"case", "rows_per_s" or "seconds", "n"}``:

1. ``syncron L2 deltas …``: wire delta messages (JSON text, ``levels`` level changes each, as the
   ``book.{symbol}`` channel sends them) parsed with ``frames.parse_frame`` + ``frames.book_deltas``
   and applied with ``SequencedBook.on_deltas``; rows count deltas (level changes). The book has
   100 levels a side; changes fall near the top (level index exponential, mean 10), 15 % remove a
   level. The ``stream handler`` case runs the market stream's whole per-frame path (parse, book,
   top-of-book Quote when it changed). Best of 3. Target: >= 500k deltas/s on one core.
2. ``syncron REST ticker``: ``SyncronRestClient.ticker`` (signing, rate budget, retries wrapper,
   envelope and model parsing) against a bare ``aiohttp`` GET of the same URL (read the body,
   nothing else), sequential, the simulator in its own process on loopback: 40 interleaved rounds
   of 100 calls a side. The time rows are each side's best round; the ratio row is the median of
   the 40 paired round ratios (client / bare), robust to load bursts on a shared machine.
   Target: <= 1.2.

Logging is set to WARNING (as in production): the client logs every request at INFO.

Run: ``/work/venv/bin/python benchmarks/bench_syncron.py``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import random
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog

from botkit.book.sequenced import SequencedBook
from botkit.model.events import BookLevel, BookSnapshot
from botkit.venues.syncron import SyncronRestClient, SyncronSettings, frames
from botkit.venues.syncron.market_stream import SyncronMarketStream

Row = dict[str, Any]
SYMBOL = "BTCUSD"
MID = 60_000.0
TICK = 0.5
DEPTH = 100


def delta_messages(n_messages: int, levels: int, seed: int = 7) -> list[str]:
    """``n_messages`` wire delta frames with sequence 1.., ``levels`` level changes each."""
    rng = random.Random(seed)
    out = []
    for seq in range(1, n_messages + 1):
        bids, asks = [], []
        for _ in range(levels):
            offset = TICK * (1 + min(int(rng.expovariate(0.1)), 2 * DEPTH))
            size = "0" if rng.random() < 0.15 else f"{rng.uniform(0.1, 5.0):.3f}"
            if rng.random() < 0.5:
                bids.append([f"{MID - offset:.1f}", size])
            else:
                asks.append([f"{MID + offset:.1f}", size])
        data = {"symbol": SYMBOL, "seq": seq, "bids": bids, "asks": asks}
        out.append(json.dumps({"topic": f"book.{SYMBOL}", "type": "delta", "ts": 1_700_000_000_000 + seq,
                               "data": data}, separators=(",", ":")))
    return out


def snapshot() -> BookSnapshot:
    """The starting book: ``DEPTH`` levels a side around MID, at sequence 0."""
    bids = tuple(BookLevel(MID - TICK * (i + 1), 1.0) for i in range(DEPTH))
    asks = tuple(BookLevel(MID + TICK * (i + 1), 1.0) for i in range(DEPTH))
    return BookSnapshot(0, SYMBOL, 0, bids, asks)


def _best_rate(feed: Callable[[], int], repeats: int = 3) -> tuple[float, int]:
    best, n = math.inf, 0
    gc.collect()
    for _ in range(repeats):
        start = time.perf_counter()
        n = feed()
        best = min(best, time.perf_counter() - start)
    return n / best, n


def parse_and_apply(messages: list[str]) -> int:
    """Parse every frame and apply its batch to a fresh book; returns the deltas applied."""
    book = SequencedBook(SYMBOL)
    book.on_snapshot(snapshot())
    parse_frame, book_deltas, on_deltas = frames.parse_frame, frames.book_deltas, book.on_deltas
    n = 0
    for text in messages:
        batch = book_deltas(parse_frame(text), SYMBOL)  # type: ignore[arg-type]
        on_deltas(batch)
        n += len(batch)
    assert book.sequence == len(messages), book
    return n


def level_count(messages: list[str]) -> int:
    """How many level changes the messages carry."""
    return sum(len(d["bids"]) + len(d["asks"]) for d in (json.loads(m)["data"] for m in messages))


def stream_handler(messages: list[str]) -> None:
    """The market stream's per-frame path (parse, book, Quote on top-of-book change)."""
    stream = SyncronMarketStream(SyncronRestClient(SyncronSettings()), [SYMBOL], channels=("book",))
    stream.book(SYMBOL).on_snapshot(snapshot())
    loop = asyncio.new_event_loop()

    async def feed() -> None:
        handle = stream._handle
        for text in messages:
            await handle(text)

    loop.run_until_complete(feed())
    loop.close()
    assert stream.book(SYMBOL).sequence == len(messages)


def delta_cases(n_messages: int = 40_000) -> list[Row]:
    """Parse + book update throughput for 1, 10 and 20 levels per message."""
    rows = []
    for levels in (1, 10, 20):
        messages = delta_messages(n_messages // max(1, levels // 5), levels)
        rate, n = _best_rate(lambda m=messages: parse_and_apply(m))
        rows.append({"case": f"syncron L2 deltas, parse + SequencedBook ({levels} levels/msg)",
                     "rows_per_s": rate, "n": n})
    messages = delta_messages(n_messages // 2, 10)
    n = level_count(messages)
    rate, _ = _best_rate(lambda: (stream_handler(messages), n)[1])
    rows.append({"case": "syncron L2 deltas, stream handler with Quotes (10 levels/msg)", "rows_per_s": rate, "n": n})
    return rows


_SIM = """
import asyncio, logging, structlog
from botkit.sim.syncron import AgentConfig, RateLimitConfig, default_config, serve
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
config = default_config().model_copy(update={"agents": AgentConfig(enabled=False),
                                              "rate_limit": RateLimitConfig(limit=10**9, window_s=60)})
asyncio.run(serve(port=0, config=config, on_ready=lambda sim: print(sim.url, flush=True)))
"""


async def _round_trips(url: str, n: int, rounds: int) -> tuple[float, float, float]:
    """Best seconds per call of each side, and the median of the paired per-round ratios."""
    settings = SyncronSettings(endpoint=url, rate_limit=10**9)
    client = SyncronRestClient(settings)
    target = f"{url}/v5/market/ticker?symbol={SYMBOL}"
    async with aiohttp.ClientSession() as session:

        async def bare() -> None:
            async with session.get(target) as response:
                await response.read()

        async def ours() -> None:
            await client.ticker(SYMBOL)

        async def timed(call: Callable[[], Any]) -> float:
            start = time.perf_counter()
            for _ in range(n):
                await call()
            return (time.perf_counter() - start) / n

        for call in (bare, ours):  # warm up connections and caches
            await timed(call)
        pairs = []
        for i in range(rounds):  # interleaved short rounds, alternating which side goes first
            first, second = (bare, ours) if i % 2 == 0 else (ours, bare)
            a, b = await timed(first), await timed(second)
            pairs.append((a, b) if first is bare else (b, a))
    await client.close()
    ratios = sorted(o / b for b, o in pairs)
    return min(b for b, _ in pairs), min(o for _, o in pairs), ratios[len(ratios) // 2]


def rest_cases(n: int = 100, rounds: int = 40) -> list[Row]:
    """Client ticker vs bare aiohttp GET against a simulator in its own process."""
    gc.collect()
    sim = subprocess.Popen([sys.executable, "-c", _SIM], stdout=subprocess.PIPE, text=True)
    try:
        assert sim.stdout is not None
        url = sim.stdout.readline().strip()
        bare, ours, ratio = asyncio.run(_round_trips(url, n, rounds))
    finally:
        sim.terminate()
        sim.wait(10)
    return [
        {"case": "syncron REST ticker, bare aiohttp GET (best round, per call)", "seconds": bare, "n": n * rounds},
        {"case": "syncron REST ticker, SyncronRestClient (best round, per call)", "seconds": ours, "n": n * rounds},
        {"case": "syncron REST ticker, client / bare ratio (median of paired rounds)", "seconds": ratio,
         "n": n * rounds},
    ]


def run() -> list[Row]:
    """Every case; rows ``{"case", "rows_per_s" or "seconds", "n"}``."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
                        cache_logger_on_first_use=True)
    rest = rest_cases()  # first, on a small heap: the delta cases leave many objects behind
    return delta_cases() + rest


if __name__ == "__main__":
    for row in run():
        value = f"{row['rows_per_s'] / 1e3:,.0f}k/s" if "rows_per_s" in row else (
            f"{row['seconds']:.3f}" if "ratio" in row["case"] else f"{row['seconds'] * 1e6:,.0f} µs")
        print(f"{row['case']:<72} {value:>12}   n={row['n']:,}")
