"""The book replay: recorded order books through ``on_book``, in the event-driven Python path.

``data.kind: book`` replays what a recording of the live stream holds (``botkit.data.book_events``:
snapshots, delta batches and the feed's gaps) through a ``BookKeeper``, the class the live engine
keeps its books with, so a strategy sees the same views, gaps and resyncs as live. For each update
of a book in sync, as the live engine does on paper: working orders are matched against the new
top of book (the quote fill model of docs/backtesting.md: market orders at the opposite side plus
slippage, limits once crossed, bounded by the displayed size), equity is marked at the mid, then
``on_book`` runs. Orders never fill on the update that made the strategy place them. While a book
is out of sync it serves no prices, nothing fills against it, and new orders for it are refused
(``book_resyncing``, as live).

There is no compiled form: the compiled replay loop works on fixed record dtypes, and a book update
is a variable number of levels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from botkit.backtest.broker import SimulatedBroker
from botkit.backtest.outcome import ReplayOutcome
from botkit.backtest.replay import PythonReplay
from botkit.backtest.run_config import RunConfig
from botkit.backtest.strategy_host import StrategyHost
from botkit.book.keeper import BookKeeper
from botkit.core.clock import NS_PER_SECOND
from botkit.data.book_events import ReplayedBookEvent
from botkit.model.events import BookGap

PROGRESS_EVERY = 100_000


class BookReplay(PythonReplay):
    """Replays book events (snapshots, delta batches, feed gaps) through a strategy's ``on_book`` (see the module)."""

    def __init__(self, config: RunConfig, host: StrategyHost, broker: SimulatedBroker, books: BookKeeper) -> None:
        super().__init__(config, host, broker)
        self.books = books
        self._price_ts: list[list[int]] = [[] for _ in config.symbols]
        self._price_px: list[list[float]] = [[] for _ in config.symbols]

    def run_events(self, events: Iterable[ReplayedBookEvent],
                   progress: Callable[[int], None] | None = None) -> ReplayOutcome:
        """Replay every book event in order and return the outcome (``events``: book updates in sync)."""
        host, broker, books = self.host, self.broker, self.books
        index = broker.index
        on_book = host.hook("on_book")
        hooks = {"BookGap": host.hook("on_book_gap"), "BookResynced": host.hook("on_book_resynced")}
        host.run_start()
        seen = 0
        for event in events:
            ts = event.ts
            k = index[event.symbol]
            if host.timers and host.timers[0][0] <= ts:
                host.fire_timers(ts)
            seen += 1
            if progress is not None and seen % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
            if type(event) is BookGap:
                if books.on_feed_gap(event) and not host.halted:
                    host.handle(hooks["BookGap"], event, ts, k, broker.last[k], broker.equity())
                continue
            news, view = books.apply(event)
            for change in news:
                if not host.halted:
                    host.handle(hooks[type(change).__name__], change, ts, k, broker.last[k], broker.equity())
            if view is None:
                continue
            self._events += 1
            bid, ask = view.bid, view.ask
            if bid == bid and ask == ask:  # both sides (NaN != NaN)
                if broker.working:
                    broker.match_tick(k, ts, ask, view.ask_size, bid, view.bid_size, shared=False)
                    host.deliver_fills(ts)
                mid = (bid + ask) / 2.0
                equity = self._record(ts, k, mid)
                self._trail(k, ts, mid)
                if self._watching is not None:
                    self._observe(ts, equity)
            else:
                mid, equity = broker.last[k], broker.equity()
            if not host.halted:
                host.handle(on_book, view, ts, k, mid, equity)
        if progress is not None and seen % PROGRESS_EVERY:
            progress(seen % PROGRESS_EVERY)
        host.run_stop()
        return self._outcome()

    def _trail(self, k: int, ts: int, mid: float) -> None:
        """Keep one mid per symbol and second for the report's price chart (the last of the second)."""
        times, prices = self._price_ts[k], self._price_px[k]
        if times and times[-1] // NS_PER_SECOND == ts // NS_PER_SECOND:
            times[-1], prices[-1] = ts, mid
        else:
            times.append(ts)
            prices.append(mid)

    def prices(self) -> dict[str, pd.Series]:
        """Mid prices per symbol (one a second), indexed by UTC time."""
        return {
            symbol: pd.Series(np.array(self._price_px[k], dtype=np.float64),
                              index=pd.to_datetime(np.array(self._price_ts[k], dtype=np.int64), unit="ns", utc=True),
                              name=symbol)
            for k, symbol in enumerate(self.config.symbols)
        }
