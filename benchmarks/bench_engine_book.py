"""Book deltas through one live bot: ``LiveEngine.on_market_event`` with ``engine.market_data: book``.

The engine keeps the book (``BookKeeper``), matches paper orders at its top, updates prices and
marks, and calls ``on_book`` after every update. The strategy reads the top of book on every
update (``bid``, ``ask``, ``bid_size``, ``ask_size``; the *depth* case also sums the best five
levels a side), so the figure is what a real book strategy pays per delta, parse-free: the
events are pre-built, as the market stream hands them over.

Stream: ``bench_book.make_stream`` on a book of 10 levels a side, one level changed per update
(the worst case: one ``on_book`` per delta), 200k updates; best of 3, each on a fresh engine.
The *stream mix* case adds, as the Syncron stream does, a ``Quote`` event after every update
that changed the top of book (about 1 in 3 here). Rows ``{"case", "rows_per_s", "n", "events_per_s"}``
count deltas.

Run: ``python benchmarks/bench_engine_book.py`` (target: ≥ 100k deltas/s).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

from botkit.book.keeper import BookKeeper
from botkit.book.view import BookView
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.events import BookDeltaBatch, MarketEvent
from botkit.model.instruments import Instrument
from botkit.settings import validate_bot_config
from botkit.strategy.base import Strategy, StrategyParams

N_UPDATES = 200_000
DEPTH = 10
TARGET = 100_000
Row = dict[str, Any]


class TopReader(Strategy[StrategyParams]):
    """Reads the top of book on every update (and buys never: the event path is what is measured)."""

    def on_start(self) -> None:
        self.heavier = 0

    def on_book(self, book: BookView) -> None:
        if book.bid_size > 2.0 * book.ask_size and book.ask - book.bid < 5.0:
            self.heavier += 1


class DepthReader(TopReader):
    """Reads the top and sums the best five levels a side on every update."""

    def on_book(self, book: BookView) -> None:
        if book.bid_volume(5) > 2.0 * book.ask_volume(5) and book.bid < book.ask:
            self.heavier += 1


class _NoData:
    venue = "bench"

    def stream(self, symbols: Any = None) -> Any:
        raise NotImplementedError("the benchmark calls on_market_event directly")

    async def close(self) -> None:
        """Nothing to close."""


def _events(with_quotes: bool) -> list[MarketEvent]:
    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.bench_book import make_stream  # the book benchmark's stream: never crossed

    snapshot, deltas = make_stream(DEPTH, N_UPDATES)
    events: list[MarketEvent] = [snapshot]
    books = BookKeeper([snapshot.symbol], depth=DEPTH)
    books.apply(snapshot)
    last = books.views[snapshot.symbol].quote()
    for delta in deltas:
        batch = BookDeltaBatch(delta.ts, delta.symbol, delta.sequence, (delta,))
        events.append(batch)
        if with_quotes:
            _, view = books.apply(batch)
            quote = view.quote() if view is not None else None
            if quote is not None and (last is None or quote[2:] != last[2:]):
                events.append(quote)
                last = quote
    return events


def _engine(strategy: type[Strategy[Any]], state_dir: str) -> LiveEngine:
    config = validate_bot_config({
        "name": "bench", "strategy": "x:y", "symbols": ["BTCUSD"], "mode": "paper", "state_dir": state_dir,
        "engine": {"market_data": "book", "book_depth": DEPTH},
    }, "bench")
    paper = PaperExecutionClient(match_on="book", queue_fills=False)
    engine = LiveEngine(config, strategy_cls=strategy, params=StrategyParams(), data=_NoData(),  # type: ignore[arg-type]
                        execution=paper, instruments={"BTCUSD": Instrument("BTCUSD")})
    engine._strategy_live = True  # as after engine.run's start-up, without the venue round trips
    engine.host.call("on_start")
    return engine


def _measure(strategy: type[Strategy[Any]], events: list[MarketEvent], repeat: int = 3) -> float:
    best = float("inf")
    with tempfile.TemporaryDirectory() as state_dir:
        for _ in range(repeat):
            engine = _engine(strategy, state_dir)
            handle = engine.on_market_event
            started = time.perf_counter()
            for event in events:
                handle(event)
            best = min(best, time.perf_counter() - started)
            assert engine.books is not None and engine.books.views["BTCUSD"].sequence == N_UPDATES
            engine.store.close()
    return best


async def _run_all() -> list[Row]:
    rows = []
    book_only, mixed = _events(with_quotes=False), _events(with_quotes=True)
    for name, strategy, events in (("top of book", TopReader, book_only), ("top + depth 5", DepthReader, book_only),
                                   ("top of book, stream mix (+ quotes)", TopReader, mixed)):
        seconds = _measure(strategy, events)
        rows.append({"case": f"engine on_book, {name}, {DEPTH} levels", "n": N_UPDATES,
                     "rows_per_s": N_UPDATES / seconds, "events_per_s": len(events) / seconds,
                     "target": f"≥ {TARGET // 1000}k deltas/s — " + ("met" if N_UPDATES / seconds >= TARGET else
                                                                      "missed")})
    return rows


def run() -> list[Row]:
    """The benchmark rows (see the module)."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    return asyncio.run(_run_all())  # the engine wants a running loop for its dispatcher


if __name__ == "__main__":
    for r in run():
        print(f"{r['case']:<58} {r['rows_per_s'] / 1e3:7.0f}k deltas/s  {r['events_per_s'] / 1e3:7.0f}k events/s  "
              f"{1e6 / r['rows_per_s']:5.2f} µs/delta  {r['target']}")
