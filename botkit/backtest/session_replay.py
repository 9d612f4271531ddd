"""The replay of a recorded bars session: bars through ``on_bar``, orders filled on the quotes, as on paper.

A bot on ``engine.market_data: bars`` gets bars it builds from the venue's trades, and on paper
its orders fill against the venue's quotes. Replaying its recording (``data.recording`` with
``data.kind: bars``) feeds the recorded quotes, trades and bars in the order the bot received them
(``botkit.data.arrived``) and does what the live engine does with each, in the same order:

- a quote: timers due by then fire; working orders of its symbol are matched against it with the
  quote fill model (docs/backtesting.md); the symbol is marked at its mid;
- a trade: nothing fills on it (paper matches quotes); it marks the symbol only until its first quote;
- a bar: the symbol is marked at its close and ``on_bar`` runs.

Time is the venue time of the last quote replayed (the stream orders fill against): an order
placed in ``on_bar`` is submitted then and becomes eligible ``latency_ns`` later, exactly as the
paper client stamps it (docs/backtesting.md, Replay parity), so it fills on the next quote at or
after that, never on one that came before the bar. ``ctx.now()`` is that time too.
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
from botkit.core.clock import NS_PER_SECOND
from botkit.data.arrived import ArrivedEvent
from botkit.model.events import Quote, Trade

PROGRESS_EVERY = 100_000


class SessionReplay(PythonReplay):
    """Replays a bars session's quotes, trades and bars in arrival order (see the module)."""

    def __init__(self, config: RunConfig, host: StrategyHost, broker: SimulatedBroker) -> None:
        super().__init__(config, host, broker)
        self.price_trail: dict[str, pd.Series] = {}
        """Quote mids per symbol (one a second) once replayed, for the report's price chart."""

    def run_events(self, events: Iterable[ArrivedEvent],
                   progress: Callable[[int], None] | None = None) -> ReplayOutcome:
        """Replay every event in order and return the outcome (``events``: quotes, trades and bars replayed)."""
        host, broker = self.host, self.broker
        index = broker.index
        interval = self.config.bar_interval_ns
        on_bar = host.hook("on_bar")
        quoted = [False] * len(index)
        trail_ts: list[list[int]] = [[] for _ in index]
        trail_px: list[list[float]] = [[] for _ in index]
        now: int | None = None  # venue time of the last quote: when an order placed now counts as submitted
        host.run_start()
        for event in events:
            k = index[event.symbol]
            self._events += 1
            if progress is not None and self._events % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
            if type(event) is Quote:
                ts = now = event.ts
                if host.timers and host.timers[0][0] <= ts:
                    host.fire_timers(ts)
                if broker.working:
                    broker.match_tick(k, ts, event.ask, event.ask_size, event.bid, event.bid_size, shared=False)
                    host.deliver_fills(ts)
                quoted[k] = True
                mid = (event.bid + event.ask) / 2.0
                equity = self._record(ts, k, mid)
                _trail(trail_ts[k], trail_px[k], ts, mid)
                if self._watching is not None:
                    self._observe(ts, equity)
            elif type(event) is Trade:
                if not quoted[k]:
                    self._record(event.ts if now is None else now, k, event.price)
            else:
                at = event.ts + interval if now is None else now
                equity = self._record(at, k, event.close)
                if self._watching is not None:
                    self._observe(at, equity)
                if not host.halted:
                    host.handle(on_bar, event, at, k, event.close, equity)
        if progress is not None and self._events % PROGRESS_EVERY:
            progress(self._events % PROGRESS_EVERY)
        host.run_stop()
        self.price_trail = {
            symbol: pd.Series(np.array(trail_px[k], dtype=np.float64),
                              index=pd.to_datetime(np.array(trail_ts[k], dtype=np.int64), unit="ns", utc=True),
                              name=symbol)
            for symbol, k in index.items()
        }
        return self._outcome()


def _trail(times: list[int], prices: list[float], ts: int, mid: float) -> None:
    """One mid per second for the report's price chart (the last of the second)."""
    if times and times[-1] // NS_PER_SECOND == ts // NS_PER_SECOND:
        times[-1], prices[-1] = ts, mid
    else:
        times.append(ts)
        prices.append(mid)
