"""Prometheus metrics of a running bot: ``GET /metrics`` on the status server, one registry per engine.

Pull-style: ``EngineMetrics`` is a collector that reads the engine's own counters, ledger, trading
state, feeds and rate budget when Prometheus scrapes, so nothing on the event path feeds a gauge or
a counter. Only the three histograms need observations as things happen; each is a fixed array of
bucket counts (``LatencyBuckets``): one bisect and two additions, no lock (the event loop is the
only writer, and scrapes run on it too). They are fed where the engine already handles the event:

- feed latency, venue timestamp → receipt, per market event kind (``observe_market``);
- order acknowledgement latency, order decided → the venue's first answer (``on_order_event``);
- event-loop lag, measured by a small periodic task (``probe_event_loop``).

Metric names, labels and example PromQL are listed in docs/live.md ("Metrics").
"""

from __future__ import annotations

import asyncio
import bisect
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, get_args, runtime_checkable

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from botkit.core.clock import NS_PER_SECOND
from botkit.execution.executor import OrderExecutor
from botkit.execution.oms import OrderManager
from botkit.live.host import LiveStrategyHost
from botkit.model.events import MarketEvent
from botkit.model.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from botkit.portfolio.ledger import Ledger
from botkit.risk.engine import TradingState
from botkit.settings import BotConfig

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Upper bounds (s) of the feed and order-acknowledgement latency histograms."""

LOOP_LAG_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Upper bounds (s) of the event-loop lag histogram."""

LOOP_PROBE_INTERVAL_S = 0.25
"""How often the event-loop probe wakes up."""

MARKET_EVENT_KINDS = tuple(t.__name__.lower() for t in get_args(MarketEvent))
"""Label values of ``kind``: ``quote``, ``trade``, ``bar``, ``booksnapshot``, ``bookdelta``, ``bookgap``…"""

FEED_LATENCY_KINDS = tuple(k for k in MARKET_EVENT_KINDS if k != "bar")
"""Kinds stamped by the venue when sent (a bar's ``ts`` is its open time, not when it was sent)."""

ACK_OUTCOMES = ("accepted", "filled", "rejected", "canceled", "expired")
"""Label values of the acknowledgement histogram: what the venue's first answer to an order was."""

_ANSWERED_MEMORY = 4096
"""Orders remembered as answered, so that only a venue's first answer is timed (bounded memory)."""

_OUTCOME_OF: dict[type, str] = {OrderAccepted: "accepted", OrderFilled: "filled", OrderRejected: "rejected",
                                OrderCanceled: "canceled", OrderExpired: "expired"}


class LatencyBuckets:
    """A histogram's counts kept by hand: O(1) ``observe`` (fixed buckets), read by the collector at scrape."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one: above every bound (+Inf)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        """Count one observation (negative values count as 0: a venue clock a little ahead of ours)."""
        if seconds < 0.0:
            seconds = 0.0
        self.counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self.total += seconds

    def cumulative(self) -> list[tuple[str, float]]:
        """``(le, count ≤ le)`` pairs ending with ``+Inf``, as Prometheus histograms expose them."""
        out: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip(self.bounds, self.counts, strict=False):
            running += count
            out.append((repr(float(bound)), float(running)))
        out.append(("+Inf", float(running + self.counts[-1])))
        return out


@runtime_checkable
class BudgetView(Protocol):
    """What the metrics read of a client-side REST rate budget (``venues._ratelimit.RateBudget``)."""

    @property
    def limit(self) -> int:
        """Requests allowed per window."""
        ...

    def available(self) -> int:
        """Requests that may start now without waiting."""
        ...

    def blocked_for_s(self) -> float:
        """Seconds the venue told us to send nothing for that are still to run."""
        ...


@runtime_checkable
class FeedStatsView(Protocol):
    """What the metrics read of a WebSocket stream's counters (Syncron's ``FeedStats``, Sintra's ``StreamStats``)."""

    connections: int


class EngineView(Protocol):
    """The parts of ``LiveEngine`` the collector reads at scrape time."""

    config: BotConfig
    counters: Counter[str]
    last_events: dict[str, int]
    ledger: Ledger
    oms: OrderManager
    executor: OrderExecutor
    host: LiveStrategyHost
    data: Any
    execution: Any
    reference: Any
    halt_code: str | None
    clock_offset_s: float | None

    @property
    def venue(self) -> str:
        """Where orders go."""
        ...

    @property
    def state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        ...


class EngineMetrics:
    """One engine's metrics: its own ``CollectorRegistry`` (never the global one) with itself as collector."""

    def __init__(self, engine: EngineView, now_ns: int) -> None:
        self.engine = engine
        self.started_ns = now_ns
        self.feed_latency = {kind: LatencyBuckets(LATENCY_BUCKETS_S) for kind in FEED_LATENCY_KINDS}
        self.ack_latency = {outcome: LatencyBuckets(LATENCY_BUCKETS_S) for outcome in ACK_OUTCOMES}
        self.loop_lag = LatencyBuckets(LOOP_LAG_BUCKETS_S)
        self.loop_lag_last_s = 0.0
        self.rejections: Counter[tuple[str, str]] = Counter()
        """Rejections the engine saw as order events, by (code, source); the host counts risk refusals."""
        self.feeds: dict[str, Any] = {}
        """Streams that keep connection stats (``FeedStatsView``), by name."""
        self._answered: dict[str, None] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    # --- fed by the engine -----------------------------------------------------------------------
    def observe_market(self, kind: str, venue_ts_ns: int, received_ns: int) -> None:
        """A market event of ``kind`` stamped ``venue_ts_ns`` by the venue arrived at ``received_ns``."""
        buckets = self.feed_latency.get(kind)
        if buckets is not None:
            buckets.observe((received_ns - venue_ts_ns) / NS_PER_SECOND)

    def on_order_event(self, event: OrderEvent, now_ns: int) -> None:
        """An order event the OMS applied: count rejections, time the venue's first answer to an order."""
        if isinstance(event, OrderRejected):
            self.rejections[(event.code or event.source, event.source)] += 1
            if event.source != "venue":
                return  # refused here, never answered by the venue
            order = self.engine.oms.get(event.intent.client_order_id or "")
        else:
            order = event.order
            if not order.order_id:
                return  # never reached the venue (a cancel that overtook its own submit)
        if order is None or order.ts_created < self.started_ns or order.client_order_id in self._answered:
            return  # restored from an earlier run, or answered before
        self._answered[order.client_order_id] = None
        if len(self._answered) > _ANSWERED_MEMORY:
            del self._answered[next(iter(self._answered))]
        self.ack_latency[_OUTCOME_OF[type(event)]].observe((now_ns - order.ts_created) / NS_PER_SECOND)

    def watch_feed(self, name: str, stream: object) -> None:
        """Report reconnects of ``stream`` (``market``, ``orders``, ``reference``) if it keeps connection stats."""
        if isinstance(getattr(stream, "stats", None), FeedStatsView):
            self.feeds[name] = stream

    async def probe_event_loop(self, interval_s: float = LOOP_PROBE_INTERVAL_S) -> None:
        """Measure how late the event loop wakes a sleeper, every ``interval_s``, until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(interval_s)
            self.loop_lag_last_s = max(0.0, loop.time() - start - interval_s)
            self.loop_lag.observe(self.loop_lag_last_s)

    # --- the collector ---------------------------------------------------------------------------
    def collect(self) -> Iterator[Metric]:
        """Every metric, read from the engine now (called by the registry at each scrape)."""
        yield from self._identity()
        yield from self._market()
        yield from self._orders()
        yield from self._portfolio()
        yield from self._health()

    def _identity(self) -> Iterator[Metric]:
        engine = self.engine
        info = GaugeMetricFamily("botkit_bot_info", "The bot: name, mode, venue and strategy (value 1)",
                                 labels=["name", "mode", "venue", "strategy"])
        info.add_metric([engine.config.name, engine.config.mode, engine.venue, engine.host.name], 1.0)
        yield info
        yield GaugeMetricFamily("botkit_start_time_seconds", "When the engine was made (Unix time)",
                                value=self.started_ns / NS_PER_SECOND)

    def _market(self) -> Iterator[Metric]:
        counters = self.engine.counters
        events = CounterMetricFamily("botkit_market_events", "Market events handled, by kind", labels=["kind"])
        for kind in MARKET_EVENT_KINDS:
            events.add_metric([kind], float(counters[kind]))
        yield events
        last = GaugeMetricFamily("botkit_last_event_timestamp_seconds",
                                 "When the last event of each kind arrived (Unix time)", labels=["kind"])
        for kind, ts in sorted(self.engine.last_events.items()):
            last.add_metric([kind], ts / NS_PER_SECOND)
        yield last
        yield _histogram("botkit_feed_latency_seconds", "Venue timestamp to receipt of market events, by kind",
                         "kind", self.feed_latency.items())
        yield CounterMetricFamily("botkit_book_gaps", "Sequence gaps in the order book (a resync follows)",
                                  value=float(counters["bookgap"]))
        yield CounterMetricFamily("botkit_book_resyncs", "Order books rebuilt after a gap",
                                  value=float(counters["bookresynced"]))

    def _orders(self) -> Iterator[Metric]:
        engine = self.engine
        yield CounterMetricFamily("botkit_order_intents", "Orders the strategy asked for (passed or refused)",
                                  value=float(engine.host.intents))
        yield CounterMetricFamily("botkit_orders_submitted", "Orders handed to the venue (or the paper book)",
                                  value=float(engine.executor.submitted))
        rejections = CounterMetricFamily("botkit_order_rejections", "Orders refused, by stable code and by source "
                                         "(risk at decision, engine before sending, venue)", labels=["code", "source"])
        merged = self.rejections + Counter({(code, "risk"): n for code, n in engine.host.rejections_by_code.items()})
        for (code, source), n in sorted(merged.items()):
            rejections.add_metric([code, source], float(n))
        yield rejections
        yield _histogram("botkit_order_ack_latency_seconds", "Order decided to the venue's first answer, by outcome",
                         "outcome", self.ack_latency.items())
        yield CounterMetricFamily("botkit_fills", "Fills booked", value=float(engine.counters["fills"]))
        yield CounterMetricFamily("botkit_order_events", "Events received on the venue's order stream",
                                  value=float(engine.counters["order_event"]))
        yield CounterMetricFamily("botkit_duplicate_order_events", "Order events ignored as already applied",
                                  value=float(engine.oms.duplicates))
        yield GaugeMetricFamily("botkit_open_orders", "Orders that can still fill, including those being sent",
                                value=float(len(engine.oms.open_orders())))

    def _portfolio(self) -> Iterator[Metric]:
        engine, ledger = self.engine, self.engine.ledger
        position = GaugeMetricFamily("botkit_position", "Signed position, base units", labels=["symbol"])
        mark = GaugeMetricFamily("botkit_mark_price", "The price positions are marked at", labels=["symbol"])
        for symbol in engine.config.symbols:
            position.add_metric([symbol], ledger.position(symbol))
            price = ledger.last_price(symbol)
            if price is not None:
                mark.add_metric([symbol], price)
        yield position
        yield mark
        yield GaugeMetricFamily("botkit_realized_pnl", "Realized PnL before fees (quote currency)",
                                value=ledger.realized_pnl())
        yield GaugeMetricFamily("botkit_unrealized_pnl", "Unrealized PnL at mark prices (quote currency)",
                                value=ledger.unrealized_pnl())
        yield GaugeMetricFamily("botkit_equity", "Cash plus positions at mark prices", value=ledger.equity())
        yield GaugeMetricFamily("botkit_cash", "Cash (quote currency)", value=ledger.cash())
        yield GaugeMetricFamily("botkit_fees", "Fees paid so far (a gauge: maker rebates can lower it)",
                                value=ledger.fees)

    def _health(self) -> Iterator[Metric]:
        engine = self.engine
        state = GaugeMetricFamily("botkit_trading_state", "1 for the current trading state, 0 for the others",
                                  labels=["state"])
        for candidate in TradingState:
            state.add_metric([candidate.value], 1.0 if engine.state is candidate else 0.0)
        yield state
        halt = GaugeMetricFamily("botkit_halt_info", "Present (1) while halted, with the halt's code", labels=["code"])
        if engine.state is TradingState.HALTED:
            halt.add_metric([engine.halt_code or "error"], 1.0)
        yield halt
        for key, name, doc in (("kill_switch_trips", "botkit_kill_switch_trips", "Kill-switch trips"),
                               ("position_corrections", "botkit_position_corrections",
                                "Positions corrected to the venue's after a confirmed difference"),
                               ("state_record_failures", "botkit_state_write_failures",
                                "Order or fill events that could not be written to the state store")):
            yield CounterMetricFamily(name, doc, value=float(engine.counters[key]))
        yield _histogram("botkit_event_loop_lag_seconds", "How late the event loop woke a sleeper", None,
                         [("", self.loop_lag)])
        yield GaugeMetricFamily("botkit_event_loop_lag_last_seconds", "The event-loop probe's last measurement",
                                value=self.loop_lag_last_s)
        if engine.clock_offset_s is not None:
            yield GaugeMetricFamily("botkit_venue_clock_offset_seconds", "The venue's clock minus ours",
                                    value=engine.clock_offset_s)
        yield from self._feeds()
        yield from self._budgets()

    def _feeds(self) -> Iterator[Metric]:
        reconnects = CounterMetricFamily("botkit_feed_reconnects", "WebSocket reconnections, by stream",
                                         labels=["feed"])
        connected = GaugeMetricFamily("botkit_feed_connected", "1 while the stream's WebSocket is open",
                                      labels=["feed"])
        for name, stream in sorted(self.feeds.items()):
            reconnects.add_metric([name], float(max(0, stream.stats.connections - 1)))
            is_open = getattr(stream, "connected", None)
            if isinstance(is_open, bool):
                connected.add_metric([name], 1.0 if is_open else 0.0)
        yield reconnects
        yield connected

    def _budgets(self) -> Iterator[Metric]:
        limit = GaugeMetricFamily("botkit_rate_limit_limit", "REST requests allowed per window", labels=["client"])
        remaining = GaugeMetricFamily("botkit_rate_limit_remaining", "REST requests that may start now",
                                      labels=["client"])
        blocked = GaugeMetricFamily("botkit_rate_limit_blocked_seconds",
                                    "Seconds a 429's Retry-After still forbids sending", labels=["client"])
        for client, budget in self.budgets():
            limit.add_metric([client], float(budget.limit))
            remaining.add_metric([client], float(budget.available()))
            blocked.add_metric([client], budget.blocked_for_s())
        yield limit
        yield remaining
        yield blocked

    def budgets(self) -> list[tuple[str, BudgetView]]:
        """The REST budgets of the engine's clients by role, each once (data and execution often share one)."""
        found: list[tuple[str, BudgetView]] = []
        for role, client in (("execution", self.engine.execution), ("data", self.engine.data),
                             ("reference", self.engine.reference)):
            budget = getattr(getattr(client, "rest", None), "budget", None)
            if isinstance(budget, BudgetView) and all(budget is not seen for _, seen in found):
                found.append((role, budget))
        return found


def _histogram(name: str, doc: str, label: str | None,
               series: Iterable[tuple[str, LatencyBuckets]]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=[label] if label is not None else None)
    for value, buckets in series:
        family.add_metric([value] if label is not None else [], buckets.cumulative(), buckets.total)
    return family
