"""``engine.market_data: book``: on_book against the Syncron simulator, gaps and resyncs, paper fills at the top."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from botkit.examples.book_imbalance import BookImbalance, BookImbalanceParams

from botkit.backtest.engine import backtest
from botkit.book.view import BookView
from botkit.core.errors import ConfigError
from botkit.data.book_events import write_book_events
from botkit.data.synthetic_book import synthetic_book_events
from botkit.live.build import build_engine
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import BookSide, Side
from botkit.model.events import (
    BookDelta,
    BookDeltaBatch,
    BookGap,
    BookLevel,
    BookResynced,
    BookSnapshot,
    MarketEvent,
    Quote,
)
from botkit.model.instruments import Instrument
from botkit.sim.syncron import AgentConfig, RateLimitConfig, default_config, running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.syncron import SyncronRestClient, SyncronSettings

from .helpers import ScriptedData, bot_config

SYM = "BTCUSD"


class BookWatcher(Strategy[StrategyParams]):
    """Writes down every book hook: what each view showed, and the gaps and resyncs between."""

    def on_start(self) -> None:
        self.log: list[tuple[Any, ...]] = []
        self.quotes = 0

    def on_book(self, book: BookView) -> None:
        self.log.append(("book", book.sequence, book.in_sync, book.bids(), book.asks(), book.bid < book.ask))

    def on_quote(self, quote: Quote) -> None:
        self.quotes += 1

    def on_book_gap(self, event: BookGap) -> None:
        self.log.append(("gap", event.expected, event.received))

    def on_book_resynced(self, event: BookResynced) -> None:
        self.log.append(("resynced", event.sequence))

    def books(self) -> list[tuple[Any, ...]]:
        return [entry for entry in self.log if entry[0] == "book"]


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> None:
    """Wait until ``check()`` (maybe async) is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def set_faults(sim: RunningSim, **faults: float) -> None:
    path = "/_sim/faults" if faults else "/_sim/faults/reset"
    async with aiohttp.ClientSession() as session, session.post(sim.url + path, data=json.dumps(faults)) as reply:
        assert (await reply.json())["success"]


async def test_on_book_follows_the_venue_and_a_gap_stops_it_until_the_resync(tmp_path, monkeypatch):
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: BookWatcher)
    sim_config = default_config([SYM]).model_copy(update={
        "agents": AgentConfig(enabled=False), "rate_limit": RateLimitConfig(limit=100_000, window_s=60)})
    async with running_sim(sim_config) as sim:
        config = bot_config(tmp_path, venue={"endpoint": sim.url}, engine={"market_data": "book", "book_depth": 3})
        engine = await build_engine(config, settings=SyncronSettings(endpoint=sim.url))
        rest = SyncronRestClient(SyncronSettings(endpoint=sim.url, rate_limit=100_000))
        running = asyncio.create_task(engine.run())
        try:
            await eventually(lambda: bool(getattr(engine.host.strategy, "log", None)))
            watcher: BookWatcher = engine.host.strategy

            async def agrees_with_venue() -> bool:
                venue = await rest.order_book(SYM, depth=3)
                last = watcher.books()[-1]
                return last[1] == venue.sequence and last[3] == venue.bids and last[4] == venue.asks

            for i in range(4):
                await rest.place_order(SYM, Side.BUY, 0.001 * (i + 1), price=59_000.0 + 10 * i)
                await rest.place_order(SYM, Side.SELL, 0.001 * (i + 1), price=61_000.0 - 10 * i)
                await eventually(agrees_with_venue)
            assert watcher.books()[-1][3] == (BookLevel(59_030.0, 0.004), BookLevel(59_020.0, 0.003),
                                              BookLevel(59_010.0, 0.002)), "depth 3: the best three bids"
            before_gap = len(watcher.log)
            await set_faults(sim, book_skip_rate=1.0)
            await rest.place_order(SYM, Side.BUY, 0.001, price=58_000.0)  # its delta is never sent: a gap
            await set_faults(sim)
            await rest.place_order(SYM, Side.SELL, 0.001, price=62_000.0)  # the next delta shows the gap
            await eventually(lambda: any(entry[0] == "resynced" for entry in watcher.log))
            await eventually(agrees_with_venue)
        finally:
            engine.request_stop()
            await running
            await rest.close()

    kinds = [entry[0] for entry in watcher.log]
    gap, resync = kinds.index("gap"), kinds.index("resynced")
    assert before_gap <= gap < resync and kinds.count("gap") == 1 and kinds.count("resynced") == 1
    assert kinds[gap + 1 : resync] == [], "no on_book while the book is out of sync"
    assert kinds[resync + 1] == "book", "the rebuilt book is shown right after the resync"
    books = watcher.books()
    assert all(entry[2] for entry in books), "every view on_book got was in sync"
    assert all(entry[5] for entry in books if entry[3] and entry[4]), "never a crossed book"
    sequences = [entry[1] for entry in books]
    assert sequences == sorted(sequences) and len(sequences) >= 9
    assert watcher.quotes == 0, "market_data: book calls on_book, not on_quote"
    assert engine.counters["bookdeltabatch"] >= 8 and engine.counters["booksnapshot"] == 2
    assert engine.market.quotes[SYM].bid == 59_030.0, "quotes still come from the book"


def deltas(seq: int, *levels: tuple[BookSide, float, float]) -> BookDeltaBatch:
    return BookDeltaBatch(seq, SYM, seq, tuple(BookDelta(seq, SYM, seq, s, p, q) for s, p, q in levels))


def start_book(seq: int = 1) -> BookSnapshot:
    return BookSnapshot(seq, SYM, seq, (BookLevel(99.0, 1.0), BookLevel(98.0, 1.0)),
                        (BookLevel(101.0, 1.0), BookLevel(102.0, 1.0)))


def scripted_engine(tmp_path, strategy: type[Strategy[Any]], params: StrategyParams, events: list[MarketEvent],
                    **config: Any) -> LiveEngine:
    cfg = bot_config(tmp_path, engine={"market_data": "book"}, **config)
    paper = PaperExecutionClient(maker_bps=1, taker_bps=2, match_on="book", queue_fills=False)
    return LiveEngine(cfg, strategy_cls=strategy, params=params, data=ScriptedData(events, gap_s=0.001),
                      execution=paper, instruments={SYM: Instrument(SYM)})


async def test_a_gap_the_engines_book_sees_itself_is_reported_once(tmp_path):
    events: list[MarketEvent] = [
        start_book(1), deltas(2, (BookSide.BID, 99.5, 1.0)),
        deltas(4, (BookSide.BID, 99.6, 1.0)),  # 3 is missing: the engine's book sees the gap
        BookGap(4, SYM, 3, 4),  # the feed says so too: not news
        deltas(5, (BookSide.BID, 99.7, 1.0)),  # no on_book: out of sync
        BookSnapshot(6, SYM, 5, (BookLevel(99.7, 1.0),), (BookLevel(101.0, 1.0),)), BookResynced(6, SYM, 5),
        deltas(6, (BookSide.ASK, 100.5, 2.0)),
    ]
    engine = scripted_engine(tmp_path, BookWatcher, StrategyParams(), events)
    await engine.run(duration_s=0.3)
    log = engine.host.strategy.log
    assert [entry[:2] for entry in log] == [("book", 1), ("book", 2), ("gap", 3), ("resynced", 5), ("book", 5),
                                            ("book", 6)]
    assert log[-1][4] == (BookLevel(100.5, 2.0), BookLevel(101.0, 1.0))
    assert not engine.market.resyncing(SYM)


async def test_paper_on_book_fills_like_the_book_backtest(tmp_path):
    """The same recorded book, on paper (scripted feed) and in a backtest: the same fills."""
    events = synthetic_book_events(250, symbol=SYM, seed=3, interval_ns=1_000_000, gap_every=60)
    params = BookImbalanceParams(levels=3, ratio=1.5, size=1.0)
    engine = scripted_engine(tmp_path, BookImbalance, params, events, capital=1e6)
    summary = await engine.run(duration_s=1.5)
    write_book_events(tmp_path / "archive", "synthetic", events)
    result = backtest({
        "strategy": "strategies/book_imbalance.py:BookImbalance", "params": params.model_dump(),
        "data": {"archive": str(tmp_path / "archive"), "venue": "synthetic", "kind": "book", "symbols": [SYM]},
        "capital": 1e6, "fees": {"maker_bps": 1, "taker_bps": 2}, "output": {"dir": str(tmp_path / "report")},
    })
    assert engine.paper is not None
    paper = [(f.ts, int(f.side), f.qty, f.price, f.fee) for f in await engine.paper.fills()]
    backtested = [(ts.value, 1 if side == "buy" else -1, qty, price, fee) for ts, side, qty, price, fee
                  in result.fills[["ts", "side", "qty", "price", "fee"]].itertuples(index=False, name=None)]
    assert summary.fills >= 4 and len(paper) == summary.fills
    assert backtested == paper
    assert engine.host.strategy.gaps >= 1, "the recorded outages reached on_book_gap"


async def test_book_mode_wants_a_paper_client_that_fills_at_the_book(tmp_path):
    cfg = bot_config(tmp_path, engine={"market_data": "book"})
    with pytest.raises(ConfigError, match="match_on='book'"):
        LiveEngine(cfg, strategy_cls=BookWatcher, params=StrategyParams(), data=ScriptedData([]),
                   execution=PaperExecutionClient(), instruments={SYM: Instrument(SYM)})
