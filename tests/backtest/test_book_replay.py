"""``data.kind: book``: recorded books replayed through on_book, filled by the quote fill model at the top."""

from __future__ import annotations

import asyncio
import itertools
import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from botkit.backtest.engine import backtest
from botkit.book.keeper import BookKeeper
from botkit.book.view import BookView
from botkit.core.errors import ConfigError, DataError
from botkit.data.book_events import read_book_events, write_book_events
from botkit.data.recorder import ArchiveRecorder, RecordSpec
from botkit.data.synthetic_book import generate_book_archive, synthetic_book_events
from botkit.model.events import BookDeltaBatch, BookGap, BookResynced, BookSnapshot, Quote
from botkit.model.records import QUOTE_DTYPE
from botkit.sim.syncron import AgentConfig, default_config, running_sim
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.syncron import SyncronDataClient, SyncronSettings

SYM = "BTCUSD"


class TopParams(StrategyParams):
    ratio: float = 1.5


class TopImbalance(Strategy[TopParams]):
    """The same decision from the top of book, whether it comes as a book view or as a quote."""

    Params = TopParams

    def on_book(self, book: BookView) -> None:
        self._decide(book.bid_size, book.ask_size)

    def on_quote(self, quote: Quote) -> None:
        self._decide(quote.bid_size, quote.ask_size)

    def _decide(self, bid_size: float, ask_size: float) -> None:
        if self.ctx.open_orders():
            return
        if self.ctx.position() == 0.0 and bid_size >= self.params.ratio * ask_size:
            self.ctx.buy(1.0)
        elif self.ctx.position() > 0.0 and ask_size >= bid_size:
            self.ctx.close()


class Watcher(Strategy[StrategyParams]):
    """Writes down what the replay showed it; buys on every gap (refused: the book is resyncing)."""

    seen: ClassVar[list[tuple[Any, ...]]] = []

    def on_start(self) -> None:
        Watcher.seen = []

    def on_book(self, book: BookView) -> None:
        Watcher.seen.append(("book", book.sequence, book.in_sync, book.bids(), book.asks()))

    def on_book_gap(self, event: BookGap) -> None:
        Watcher.seen.append(("gap", event.expected))
        self.ctx.buy(1.0)

    def on_book_resynced(self, event: BookResynced) -> None:
        Watcher.seen.append(("resynced", event.sequence))


def spec(archive: Path, strategy: str, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "strategy": strategy, "engine": "python", "capital": 1e6, "fees": {"taker_bps": 2},
        "data": {"archive": str(archive), "venue": "synthetic", "kind": "book", "symbols": [SYM]},
    }
    values.update(changes)
    return values


@pytest.fixture
def book_archive(tmp_path: Path) -> tuple[Path, list[Any]]:
    events = synthetic_book_events(3_000, symbol=SYM, seed=11, gap_every=500)
    write_book_events(tmp_path, "synthetic", events)
    return tmp_path, events


def quotes_of(events: list[Any]) -> np.ndarray:
    """One quote per update of the book in sync with both sides: what the book replay fills against."""
    books = BookKeeper([SYM])
    rows = []
    for event in events:
        if type(event) is BookGap:
            books.on_feed_gap(event)
            continue
        if type(event) is BookResynced:
            continue
        _, view = books.apply(event)
        if view is not None and view.quote() is not None:
            rows.append((view.ts, view.bid, view.bid_size, view.ask, view.ask_size))
    return np.array(rows, dtype=QUOTE_DTYPE)


def test_book_fills_are_the_quote_fill_model_at_the_replayed_top(book_archive):
    archive, events = book_archive
    on_book = backtest(spec(archive, f"{__name__}:TopImbalance"))
    on_quotes = backtest(spec(archive, f"{__name__}:TopImbalance", data={"kind": "quotes", "symbols": [SYM]}),
                         data={SYM: quotes_of(events)})
    assert len(on_book.fills) >= 10 and on_book.engine == "python"
    assert on_book.fills.drop(columns="order_id").equals(on_quotes.fills.drop(columns="order_id"))
    assert on_book.stats["final_equity"] == on_quotes.stats["final_equity"]
    assert on_book.stats["events"] == len(quotes_of(events))
    assert len(on_book.prices[SYM]) > 0


def test_on_book_never_sees_a_book_out_of_sync_and_gaps_refuse_orders(book_archive):
    archive, events = book_archive
    result = backtest(spec(archive, f"{__name__}:Watcher", data={
        "archive": str(archive), "venue": "synthetic", "kind": "book", "symbols": [SYM], "book_depth": 4}))
    seen = Watcher.seen
    gaps = sum(type(e) is BookGap for e in events)
    assert gaps >= 2 and [k for k, *_ in seen].count("gap") == gaps == [k for k, *_ in seen].count("resynced")
    kinds = [entry[0] for entry in seen]
    for i, kind in enumerate(kinds):
        if kind == "gap":
            assert kinds[i + 1] == "resynced", "no on_book between a gap and its resync"
    books = [entry for entry in seen if entry[0] == "book"]
    assert all(entry[2] for entry in books) and all(len(entry[3]) <= 4 and len(entry[4]) <= 4 for entry in books)
    assert all(b[1] > a[1] for a, b in itertools.pairwise(books)), "each update is newer"
    assert len(result.fills) == 0 and set(result.rejections["code"]) == {"book_resyncing"}
    assert len(result.rejections) == gaps


def test_the_cli_generator_and_a_day_window(tmp_path):
    generate_book_archive(tmp_path, symbol=SYM, n=2_000, start_ns=1_704_153_590_000_000_000, seed=1)  # over midnight
    days = sorted(p.name for p in (tmp_path / "synthetic" / SYM / "book_deltas").iterdir())
    assert days == ["2024-01-01.parquet", "2024-01-02.parquet"]
    every = list(read_book_events(tmp_path, "synthetic", [SYM]))
    assert type(every[0]) is BookSnapshot and all(type(e) is BookDeltaBatch for e in every[1:])
    assert [e.sequence for e in every] == list(range(1, 2_002))
    later = list(read_book_events(tmp_path, "synthetic", [SYM], start="2024-01-02"))
    assert 0 < len(later) < len(every) and later[0].ts >= 1_704_153_600_000_000_000
    result = backtest(spec(tmp_path, "strategies/book_imbalance.py:BookImbalance", params={"ratio": 2.0}))
    assert result.stats["events"] == 2_001 and math.isfinite(result.stats["final_equity"])


def test_specs_that_cannot_replay_a_book_say_why(tmp_path):
    generate_book_archive(tmp_path, symbol=SYM, n=10)
    strategy = f"{__name__}:Watcher"
    with pytest.raises(ConfigError, match="Python path"):
        backtest(spec(tmp_path, strategy, engine="compiled"))
    with pytest.raises(ConfigError, match=r"data\.archive"):
        backtest(spec(tmp_path, strategy), data={SYM: np.zeros(0, QUOTE_DTYPE)})
    with pytest.raises(ConfigError, match="book_depth"):
        backtest(spec(tmp_path, strategy, data={"kind": "quotes", "book_depth": 5}))
    with pytest.raises(ConfigError, match=r"data\.archive"):
        backtest(spec(tmp_path, strategy, data={"kind": "book", "file": "x.parquet"}))
    with pytest.raises(DataError, match="no recorded book for ETHUSD"):
        backtest(spec(tmp_path, strategy, data={**spec(tmp_path, strategy)["data"], "symbols": ["ETHUSD"]}))
    with pytest.raises(DataError, match="no recorded book"):
        backtest(spec(tmp_path, strategy, data={**spec(tmp_path, strategy)["data"], "start": "2030-01-01"}))


async def test_a_book_recorded_from_the_simulator_replays_to_the_same_book(tmp_path):
    """The recorder's book_* files (from the stream's book events) rebuild exactly the stream's own book."""
    sim_config = default_config([SYM]).model_copy(update={"agents": AgentConfig(speed=20.0, step_s=0.02, seed=5)})
    recorder = ArchiveRecorder(RecordSpec(root=tmp_path, kinds=["book"]), venue="syncron", symbols=[SYM])
    async with running_sim(sim_config) as sim:
        data = SyncronDataClient(SyncronSettings(endpoint=sim.url))
        stream = data.stream([SYM], channels=("book",), book_events=True)
        received = 0
        try:
            async for event in stream:
                recorder.append(event)
                received += 1
                if received == 400:
                    break
            await stream.close()
            async for event in stream:  # what was already received when it closed
                recorder.append(event)
            live = stream.book(SYM).depth()
        finally:
            await data.close()
    await asyncio.to_thread(recorder.flush, everything=True)
    books = BookKeeper([SYM], depth=1000)
    updates = 0
    for event in read_book_events(tmp_path, "syncron", [SYM]):
        if type(event) is BookGap:
            books.on_feed_gap(event)
        else:
            updates += books.apply(event)[1] is not None
    view = books.views[SYM]
    assert live is not None and view.in_sync and view.sequence == live.sequence
    assert view.bids() == live.bids and view.asks() == live.asks
    result = backtest(spec(tmp_path, f"{__name__}:TopImbalance", data={
        "archive": str(tmp_path), "venue": "syncron", "kind": "book", "symbols": [SYM]}))
    assert result.stats["events"] == updates > 10, "every recorded update is replayed through on_book"
