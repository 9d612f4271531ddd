"""What recording costs the live engine: its event path with and without a ``record:`` section.

``LiveEngine.on_market_event`` is timed on pre-built events (2 quotes : 1 trade, one symbol, the
SMA crossover of ``strategies/sma_cross.py`` trading on paper), best of several passes, once with
recording off and once on (every kind; the buffer is emptied between passes, outside the timing).
The writer side is timed apart: ``ArchiveRecorder.write`` of one batch (conversion + part files)
and the merge into the day file, both in the worker thread; and, with the engine's flush task
running for real, the largest delay the event loop saw while a batch was written (a probe task
sleeping 1 ms), i.e. what a flush costs the loop through the GIL.

``run()`` returns rows ``{"case", "n", "seconds" or "shown", "target"}``.
Run: ``python benchmarks/bench_recording.py``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import tempfile
import time
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import Any

import structlog
from botkit.examples.sma_cross import SmaCross, SmaCrossParams

from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import Side
from botkit.model.events import MarketEvent, Quote, Trade
from botkit.model.instruments import Instrument
from botkit.settings import validate_bot_config

Row = dict[str, Any]
SYMBOL = "BTCUSD"
T0 = 1_735_689_600 * 10**9  # 2025-01-01


class _NoData:
    venue = "bench"

    async def stream(self, symbols: Collection[str] | None = None) -> AsyncIterator[MarketEvent]:
        if False:
            yield  # pragma: no cover

    async def close(self) -> None:
        return None


def events(n: int) -> list[MarketEvent]:
    """``n`` events: two quotes then a trade, a slow random-walk-free zigzag so the SMA crosses now and then."""
    out: list[MarketEvent] = []
    for i in range(n):
        mid = 100.0 + 2.0 * math.sin(i / 500.0)
        ts = T0 + i * 1_000_000
        if i % 3 == 2:
            out.append(Trade(ts, SYMBOL, mid, 0.5, Side.BUY if i % 2 else Side.SELL))
        else:
            out.append(Quote(ts, SYMBOL, mid - 0.05, 1.0, mid + 0.05, 1.0))
    return out


def engine(tmp: Path, record: bool) -> LiveEngine:
    config: dict[str, Any] = {
        "name": "bench", "strategy": "sma_cross", "symbols": [SYMBOL], "mode": "paper", "state_dir": str(tmp / "state"),
        "sizing": {"fixed_quantity": 0.01}, "risk": {"max_clock_skew_ms": None},
    }
    if record:
        config["record"] = {"root": str(tmp / "archive"), "max_buffer_rows": 10_000_000, "flush_rows": 10_000_000}
    bot = LiveEngine(validate_bot_config(config, "bench"), strategy_cls=SmaCross,
                     params=SmaCrossParams(fast=10, slow=50, size=0.01), data=_NoData(),  # type: ignore[arg-type]
                     execution=PaperExecutionClient(queue_fills=False), instruments={SYMBOL: Instrument(SYMBOL)})
    bot._strategy_live = True
    bot._call_strategy("on_start", None)
    return bot


async def time_event_path(bot: LiveEngine, stream: list[MarketEvent]) -> float:
    """Seconds per event of one pass of ``bot.on_market_event`` over ``stream`` (orders go out after it)."""
    if bot.recording is not None:
        bot.recording.sink.take()
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    for event in stream:
        bot.on_market_event(event)
    return (time.perf_counter() - start) / len(stream)


def time_append(bot: LiveEngine, stream: list[MarketEvent], repeats: int) -> float:
    """Best seconds per event of the engine's recording hook alone, less the bare loop around it."""
    assert bot.recording is not None
    best_hook = best_loop = math.inf
    for _ in range(repeats):
        bot.recording.sink.take()
        start = time.perf_counter()
        for event in stream:
            if bot.recording is not None:
                bot.recording.append(event)
        best_hook = min(best_hook, time.perf_counter() - start)
        start = time.perf_counter()
        for event in stream:
            if event is None:
                pass
        best_loop = min(best_loop, time.perf_counter() - start)
    return max(best_hook - best_loop, 0.0) / len(stream)


async def loop_stall_during_flush(bot: LiveEngine, stream: list[MarketEvent]) -> tuple[float, float]:
    """(largest event-loop delay in s while a batch is written in the worker thread, the flush's wall time)."""
    assert bot.recording is not None
    bot.recording.sink.take()
    for event in stream:
        bot.on_market_event(event)
    worst = 0.0
    done = asyncio.Event()

    async def probe() -> None:
        nonlocal worst
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - before - 0.001)

    prober = asyncio.create_task(probe())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    await bot.recording.flush(everything=True)
    elapsed = time.perf_counter() - start
    done.set()
    await prober
    return worst, elapsed


def run(n: int = 60_000, repeats: int = 9) -> list[Row]:
    """Time the event path without and with recording, and the writer side; returns the table rows."""
    logging.disable(logging.CRITICAL)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    with tempfile.TemporaryDirectory() as tmp_name:
        return asyncio.run(_run(Path(tmp_name), events(n), repeats))


async def _run(tmp: Path, stream: list[MarketEvent], repeats: int) -> list[Row]:
    n = len(stream)
    plain = engine(tmp / "plain", record=False)
    recorded = engine(tmp / "recorded", record=True)
    off = on = math.inf
    for _ in range(repeats):  # interleaved passes, so both see the same machine state; best of each
        off = min(off, await time_event_path(plain, stream))
        on = min(on, await time_event_path(recorded, stream))
    hook = time_append(recorded, stream, repeats)
    assert recorded.recording is not None
    sink = recorded.recording.sink
    sink.take()
    for event in stream:
        sink.append(event)
    batch = sink.take()
    start = time.perf_counter()
    sink.write(batch)
    write_s = time.perf_counter() - start
    start = time.perf_counter()
    sink.compact(everything=True)
    merge_s = time.perf_counter() - start
    stall_s, flush_s = await loop_stall_during_flush(recorded, stream)
    overhead = on / off - 1.0
    verdict = "met" if hook / off <= 0.10 else "missed"
    return [
        {"case": "live event path, recording off (on_market_event, SMA strategy, paper)", "n": n,
         "shown": f"{off * 1e6:.2f} µs/event", "rows_per_s": 1 / off},
        {"case": "live event path, recording on (every kind)", "n": n, "shown": f"{on * 1e6:.2f} µs/event",
         "rows_per_s": 1 / on, "target": f"difference {overhead * 100:+.1f} % (noisy on a shared machine)"},
        {"case": "the recording hook alone (engine check + ArchiveRecorder.append)", "n": n,
         "shown": f"{hook * 1e9:.0f} ns/event",
         "target": f"≤ 10 % of the event path: {hook / off * 100:.1f} % ({verdict})"},
        {"case": "recorder write of one batch (convert + part files), worker thread", "n": n,
         "shown": f"{write_s * 1e3:.1f} ms", "rows_per_s": n / write_s},
        {"case": "recorder merge of the parts into the day files", "n": n, "shown": f"{merge_s * 1e3:.1f} ms",
         "rows_per_s": n / merge_s},
        {"case": "event-loop stall while a batch is flushed off the loop", "n": n,
         "shown": f"max {stall_s * 1e3:.1f} ms (flush {flush_s * 1e3:.0f} ms)"},
    ]


def main() -> None:
    """Print the rows."""
    for row in run():
        print(f"{row['case']:78} {row['n']:>8,} {row['shown']:>28}  {row.get('target', '')}")


if __name__ == "__main__":
    main()
