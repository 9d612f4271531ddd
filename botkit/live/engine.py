"""The live engine: market data → strategy → risk → executor → venue, and fills back, in one TaskGroup.

One asyncio TaskGroup runs the market-data pump, the order-event pump, the executor's command
worker, the reference-price pump, timers and housekeeping (state saves, reconciliation). Every
event is handled to completion before the next, in this order for market events (as in the
backtester): paper fills, mark prices, then the strategy hook.

A strategy that raises halts the engine (no new orders; working orders canceled when
``engine.cancel_on_halt``) instead of crashing with open risk. A stop (``request_stop``, a
signal, or the end of ``duration_s``) stops the strategy, rejects orders not yet sent, cancels
working orders (``engine.cancel_on_stop``), reconciles what is still unclear, saves the state and
closes the sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import structlog

from botkit.book.keeper import BookEvent, BookKeeper
from botkit.core.clock import Clock, LiveClock
from botkit.core.errors import BotkitError, ConfigError, NeedsHumanError, StrategyError
from botkit.core.retry import RetryPolicy
from botkit.execution.executor import DEFAULT_SUBMIT_RETRY, OrderExecutor
from botkit.execution.oms import OrderManager, fill_key
from botkit.execution.reconcile import PositionSource, Reconciler
from botkit.live.bars import BarBuilder
from botkit.live.compiled_step import live_strategy_form
from botkit.live.dispatch import CommandDispatcher
from botkit.live.halting import HaltControl
from botkit.live.host import LiveStrategyHost
from botkit.live.lock import StateLock
from botkit.live.market import MarketState
from botkit.live.metrics import EngineMetrics
from botkit.live.paper import PaperExecutionClient
from botkit.live.positions import PositionKeeper
from botkit.live.recording import SessionRecording
from botkit.live.report import RunSummary, status_document, summarize
from botkit.live.rules import market_rules, order_rules, reference_max_age_s
from botkit.live.state import StateStore
from botkit.live.status import StatusServer
from botkit.model.events import (
    Bar,
    BookDelta,
    BookDeltaBatch,
    BookGap,
    BookResynced,
    BookSnapshot,
    MarketEvent,
    Price,
    Quote,
    Trade,
)
from botkit.model.instruments import Instrument
from botkit.model.order_events import OrderCanceled, OrderEvent, OrderFilled, OrderRejected
from botkit.model.orders import Order
from botkit.portfolio.ledger import Ledger
from botkit.risk.engine import RiskEngine, TradingState
from botkit.risk.killswitch import KillSwitch, KillSwitchMemory
from botkit.settings import BotConfig, OperatorSettings
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.base import ExecutionClient, MarketDataClient, RateLimitAware, SyncAware, VenueClock

log = structlog.get_logger("botkit.live.engine")

_STOP_GRACE_S = 0.3
_BOOK_EVENTS = frozenset((BookSnapshot, BookDeltaBatch, BookDelta))
_TIMER_TICK_S = 0.05
_PAPER_TURNS = 2
"""Event-loop turns that carry a paper submit or cancel from a hook into the paper book (dispatch, then run)."""
_PAPER_MAX_TURNS = 20
_HOUSEKEEPING_TICK_S = 0.5
_FINISHED_IN_MEMORY = 10_000
"""Finished orders kept in memory (a late fill of one still finds its order); older ones are dropped at saves."""


class LiveEngine:
    """Runs one bot: a strategy on a venue's live data, orders through risk and the executor."""

    def __init__(
        self,
        config: BotConfig,
        *,
        strategy_cls: type[Strategy[Any]],
        params: StrategyParams,
        data: MarketDataClient,
        execution: ExecutionClient,
        instruments: dict[str, Instrument],
        reference: MarketDataClient | None = None,
        clock: Clock | None = None,
        retry_policy: RetryPolicy = DEFAULT_SUBMIT_RETRY,
        store: StateStore | None = None,
        restore_state: bool = True,
    ) -> None:
        self.config = config
        self.restore_state = restore_state
        self.clock = clock or LiveClock()
        self.data = data
        self.execution = execution
        self.reference = reference
        self.paper = execution if isinstance(execution, PaperExecutionClient) else None
        self.oms = OrderManager()
        self.executor = OrderExecutor(execution, self.oms, bot_name=config.name, clock=self.clock, policy=retry_policy,
                                      attempt_timeout_s=config.engine.submit_timeout_s)
        self.reconciler = Reconciler(self.executor, on_event=self._after_applied)
        self.ledger = Ledger(config.capital)
        self.market = MarketState(self.clock, reference_symbol=config.reference_symbol,
                                  max_reference_age_s=reference_max_age_s(config))
        self.clock_offset_s: float | None = None
        self.risk = RiskEngine(order_rules(config, self.clock),
                               market_rules(config, self.market, lambda: self.clock_offset_s),
                               reduce_only=config.risk.reduce_only)
        self.kill_switch = KillSwitch(config.risk.max_daily_loss, config.risk.max_drawdown_pct)
        self.store = store if store is not None else StateStore(config.state_file())
        self.lock = StateLock(self.store.path)
        self.counters: Counter[str] = Counter()
        self.bars = BarBuilder(config.engine.bar_interval_ns, grace_ns=int(config.engine.bar_grace_ms * 1e6),
                               symbols=config.symbols, counters=self.counters) \
            if config.engine.market_data == "bars" else None
        self.books = BookKeeper(config.symbols, depth=config.engine.book_levels) \
            if config.engine.market_data == "book" else None
        if self.books is not None and self.paper is not None and self.paper.match_on != "book":
            raise ConfigError(f"engine.market_data: book fills paper orders at the book's top: make the paper client "
                              f"with match_on='book', got {self.paper.match_on!r}")
        self.strategy_form = live_strategy_form(strategy_cls, params, config.engine)  # compiles a step now
        self.host = LiveStrategyHost(
            self.strategy_form.cls, params, symbols=config.symbols, instruments=instruments,
            sizing=config.sizing.rule(), risk=self.risk, ledger=self.ledger, executor=self.executor,
            market=self.market, clock=self.clock, send=self._send, max_cancels_per_s=config.risk.max_cancels_per_s,
        )
        self.dispatch = CommandDispatcher(
            config=config.engine, executor=self.executor, risk=self.risk, market=self.market, view=self.host.view,
            clock=self.clock, counters=self.counters, on_events=self._after_all, on_halt=lambda r: self._halt(r),
        )
        self.positions = PositionKeeper(
            execution, symbols=config.symbols, confirm_s=config.engine.position_confirm_s,
            tolerance=self._position_tolerance, price=self.market.mid, counters=self.counters,
        ) if isinstance(execution, PositionSource) and self.paper is None and config.engine.reconcile_positions \
            else None
        if isinstance(execution, RateLimitAware):
            limited = execution
            self.risk.reduce_while("rate limited (waiting out a 429)", lambda: limited.rate_limit_wait_s() > 0)
        self.stop_event = asyncio.Event()
        self.halts = HaltControl(
            config=config, risk=self.risk, kill_switch=self.kill_switch, ledger=lambda: self.ledger, clock=self.clock,
            counters=self.counters, executor=self.executor, dispatch=self.dispatch, host=self.host,
            position_tolerance=self._position_tolerance, save=self._save, request_stop=self.request_stop,
            stopping=lambda: self._stopping,
        )
        self._halt = self.halts.halt
        self._watch_equity = self.halts.watch_equity
        self.rearm = self.halts.rearm
        self.status_server: StatusServer | None = None
        self.last_events: dict[str, int] = {}
        self._strategy_live = False
        self._stopping = False
        self._started_ns = self.clock.now_ns()
        self._started = time.monotonic()
        self._pumps: list[asyncio.Task[None]] = []
        self._last_save = 0.0
        self._last_reconcile = 0.0
        self.metrics = EngineMetrics(self, self.clock.now_ns())
        self.recording = SessionRecording.for_bot(config, venue=data.venue, clock=self.clock,
                                                  price_venue=reference.venue if reference is not None else None)

    @property
    def halt_reason(self) -> str | None:
        """Why the bot is halted, or None."""
        return self.halts.reason

    @property
    def halt_code(self) -> str | None:
        """The halt's stable code, or None."""
        return self.halts.code

    @property
    def venue(self) -> str:
        """Where orders go: the venue's name, or ``paper (<venue> data)``."""
        return f"paper ({self.data.venue} data)" if self.paper is not None else self.execution.venue

    @property
    def state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        return self.risk.state

    def request_stop(self) -> None:
        """Ask the engine to stop gracefully (signal handlers call this)."""
        if not self.stop_event.is_set():
            log.info("engine.stop_requested")
            self.stop_event.set()

    # --- lifecycle -----------------------------------------------------------------------------
    async def run(self, duration_s: float | None = None) -> RunSummary:
        """Run until stopped (or ``duration_s`` passes); returns the run's summary."""
        self._started_ns, self._started = self.clock.now_ns(), time.monotonic()
        self._last_save = self._last_reconcile = self._started
        log.info("engine.starting", name=self.config.name, mode=self.config.mode, venue=self.venue,
                 symbols=self.config.symbols, strategy=self.host.name, strategy_path=self.strategy_form.path)
        try:
            self.lock.acquire()  # before anything is loaded or sent: one bot per state store
        except BaseException:
            await self._close()
            raise
        try:
            if self.recording is not None:
                await self.recording.start()
            await self._start()
            async with asyncio.TaskGroup() as group:
                self._pumps = [group.create_task(self._market_pump()), group.create_task(self._timer_loop()),
                               group.create_task(self._housekeeping())]
                if self.reference is not None:
                    self._pumps.append(group.create_task(self._reference_pump()))
                if self.status_server is not None:  # someone may scrape /metrics: measure the loop's lag
                    self._pumps.append(group.create_task(self.metrics.probe_event_loop()))
                order_pump = group.create_task(self._order_event_pump())
                worker = group.create_task(self.dispatch.run())
                group.create_task(self._stopper(duration_s, worker, order_pump))
        except BaseException as error:
            log.error("engine.failed", error=f"{type(error).__name__}: {error}")
            await self._emergency_stop()
            raise
        finally:
            await self._close()
            self.store.close()
            self.lock.release()
            if self.recording is not None:
                await self.recording.stop()
        summary = self.summary()
        log.info("engine.stopped", state=summary.state, orders=summary.orders_placed, fills=summary.fills)
        return summary

    async def _start(self) -> None:
        loaded = self.store.load() if self.restore_state else None
        if not self.restore_state:
            log.info("engine.state_not_restored", path=str(self.store.path), reason="fresh venue")
        latched: str | None = None
        if loaded is not None:
            self.oms.restore(loaded.orders, loaded.fill_keys)
            self.ledger = self.host.ledger = self.host.view.ledger = loaded.ledger
            log.info("engine.state_restored", open_orders=len(self.oms.open_orders()),
                     previous_state=loaded.trading_state)
            if loaded.kill_switch is not None:
                self.kill_switch.memory = KillSwitchMemory.from_dict(loaded.kill_switch)
            if loaded.trading_state == TradingState.HALTED.value:
                latched = loaded.halt_reason or "halted by an earlier run"
        try:
            await self.reconciler.reconcile(self.config.symbols)  # its events went to _after_applied
        except BotkitError as error:
            log.warning("engine.reconcile_failed", error=str(error))
        await self._check_positions()
        await self._measure_clock()
        if self.config.status_port is not None:
            self.status_server = StatusServer(self.status, port=self.config.status_port, rearm=self.rearm,
                                              arm_token=OperatorSettings().arm_token, metrics=self.metrics.registry)
            await self.status_server.start()
        if latched is not None:
            # a halt latches across restarts: no trading until a person re-arms the bot
            self._halt(f"still halted: {latched} (re-arm with: botkit arm CONFIG)")
            self.request_stop()
            return
        self._save()  # the restored and reconciled state, before the first decision is journaled
        self._strategy_live = True
        self._call_strategy("on_start", None)

    async def _stopper(self, duration_s: float | None, worker: asyncio.Task[None],
                       order_pump: asyncio.Task[None]) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop_event.wait(), duration_s)
        log.info("engine.stopping", reason="requested" if self.stop_event.is_set() else "duration reached")
        self._stopping = self.dispatch.stopping = True
        self.host.accepting_orders = False
        for task in self._pumps:
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        if self._strategy_live:
            self._call_strategy("on_stop", None)
            self._strategy_live = False
        self.dispatch.put(None)
        await worker
        await self._resolve_unclear()
        if self.config.engine.cancel_on_stop:
            for order in self.oms.open_orders():  # one by one: a failure later keeps what was booked
                self._after_all(await self.executor.cancel(order.client_order_id))
            await self._resolve_unclear()
        await asyncio.sleep(_STOP_GRACE_S)  # fills already on the wire
        order_pump.cancel()
        self._save()

    async def _emergency_stop(self) -> None:
        """Best effort after a crash: cancel working orders (if configured) and save the state."""
        if self.config.engine.cancel_on_stop:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.executor.cancel_all(), 10.0)
        with contextlib.suppress(Exception):
            self._save()

    async def _close(self) -> None:
        if self.status_server is not None:
            await self.status_server.stop()
        for client in (self.data, self.execution, self.reference):
            if client is not None:
                try:
                    await client.close()
                except Exception as error:  # closing must not hide the run's outcome
                    log.warning("engine.close_failed", client=type(client).__name__, error=str(error))

    # --- tasks ---------------------------------------------------------------------------------
    async def _market_pump(self) -> None:
        with self._halt_on_needs_human("market data"):
            stream = self.data.stream(self.config.symbols)
            self.metrics.watch_feed("market", stream)
            async for event in stream:
                self.on_market_event(event)
                if self.paper is not None:
                    await self._let_paper_orders_land()

    async def _let_paper_orders_land(self) -> None:
        """Paper: the orders and cancels decided on the last event reach the paper book before the next event.

        The paper client answers without awaiting anything, so a command takes two turns of the
        event loop; waiting for them keeps the backtester's convention (an order decided on an
        event is matched from the next one on) however the feed bunches its messages
        (docs/live.md, Replay parity). Nothing is awaited when nothing was decided.
        """
        if not (self.dispatch.queue or (self.oms.open_count() and self.oms.pending())):
            return
        for turn in range(1, _PAPER_MAX_TURNS + 1):
            await asyncio.sleep(0)
            if turn >= _PAPER_TURNS and not (self.dispatch.queue or self.oms.pending()):
                return

    async def _reference_pump(self) -> None:
        assert self.reference is not None and self.config.reference_symbol is not None
        with self._halt_on_needs_human("reference prices"):
            stream = self.reference.stream([self.config.reference_symbol])
            self.metrics.watch_feed("reference", stream)
            async for event in stream:
                if isinstance(event, Price):
                    self.on_market_event(event)
                    if self.paper is not None:
                        await self._let_paper_orders_land()

    async def _order_event_pump(self) -> None:
        with self._halt_on_needs_human("order events"):
            stream = self.execution.order_events()
            self.metrics.watch_feed("orders", stream)
            if isinstance(stream, SyncAware):
                # orders wait for the catch-up after a reconnect: until then the position may be wrong
                self.risk.reduce_while("order stream catching up", lambda: not stream.in_sync)
            async for event in stream:
                self._stamp("order_event")
                applied = self.oms.apply(event)
                if applied is not None:
                    self._after_applied(applied)

    @contextlib.contextmanager
    def _halt_on_needs_human(self, stream: str) -> Iterator[None]:
        """A stream that fails for good (bad credentials, a venue breaking its protocol) halts and stops the bot."""
        try:
            yield
        except NeedsHumanError as error:
            self._halt(f"{stream}: {type(error).__name__}: {error}")
            self.request_stop()

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(_TIMER_TICK_S)
            if self.bars is not None:  # bars whose end (plus grace) passed without a later trade
                self._deliver_bars(self.bars.on_clock(self.clock.now_ns()))
            for fired in self.host.due_timers(self.clock.now_ns()):
                self._call_strategy("on_timer", fired)

    async def _housekeeping(self) -> None:
        engine = self.config.engine
        while True:
            await asyncio.sleep(_HOUSEKEEPING_TICK_S)
            now = time.monotonic()
            if now - self._last_save >= engine.state_save_interval_s:
                self._save()
            periodic = self.reconciler.history is not None and now - self._last_reconcile >= engine.reconcile_interval_s
            if self.executor.unresolved or periodic:
                await self._resolve_unclear(force=periodic)
                if periodic:
                    await self._measure_clock()
            if self.positions is not None and self.positions.due(now):
                await self._check_positions()

    # --- event handling ------------------------------------------------------------------------
    def on_market_event(self, event: MarketEvent) -> None:
        """Handle one market event: a bar it closes (bars mode), paper fills, prices, then the strategy's hook."""
        if self.recording is not None:
            self.recording.append(event)
        kind = type(event).__name__.lower()
        self._stamp(kind)
        self.metrics.observe_market(kind, event.ts, self.last_events[kind])
        if self.bars is not None and isinstance(event, Trade):  # a trade of a later interval closes the bar
            self._deliver_bars(self.bars.on_trade(event, self.clock.now_ns()))
        if self.paper is not None:
            for filled in self.paper.on_market_event(event):
                applied = self.oms.apply(filled)
                if applied is not None:
                    self._after_applied(applied)
        wanted = self.config.engine.market_data
        if self.books is not None and type(event) in _BOOK_EVENTS:
            self._on_book_event(event)  # type: ignore[arg-type]
        elif isinstance(event, Quote):
            if self.books is None:  # else the engine's own book just did this, from the same book
                self.market.on_quote(event)
                self.ledger.mark(event.symbol, event.mid)
            if wanted in ("quotes", "both"):
                self._call_strategy("on_quote", event, event.symbol)
        elif isinstance(event, Trade):
            self.market.on_trade(event)
            if self.market.quotes.get(event.symbol) is None:
                self.ledger.mark(event.symbol, event.price)
            if wanted in ("trades", "both"):
                self._call_strategy("on_trade", event, event.symbol)
        elif isinstance(event, Bar):
            self.ledger.mark(event.symbol, event.close)
            self._call_strategy("on_bar", event, event.symbol)
        elif isinstance(event, Price):
            self.market.on_price(event)
            self._call_strategy("on_price", event)
        elif isinstance(event, BookGap):
            if self.books is None or self.books.on_feed_gap(event):  # else the engine's book reported it
                self.market.on_book_gap(event.symbol)
                self._call_strategy("on_book_gap", event, event.symbol)
        elif isinstance(event, BookResynced) and self.books is None:  # else the engine's book reports its resync
            self.market.on_book_resynced(event.symbol)
            self._call_strategy("on_book_resynced", event, event.symbol)
        self._watch_equity()

    def _on_book_event(self, event: BookEvent) -> None:
        """``market_data: book``: apply to the engine's book; then paper fills, prices and on_book at its new top."""
        assert self.books is not None
        if self.recording is not None and type(event) is BookDeltaBatch:
            for delta in event.deltas:  # the archive stores levels; the recorder takes BookDelta
                self.recording.append(delta)
        news, view = self.books.apply(event)
        for change in news:
            if type(change) is BookGap:  # seen by the engine's own book: the feed must send a snapshot
                log.warning("engine.book_gap", symbol=change.symbol, expected=change.expected,
                            received=change.received)
                self.market.on_book_gap(change.symbol)
                self._call_strategy("on_book_gap", change, change.symbol)
            else:
                self.market.on_book_resynced(change.symbol)
                self._call_strategy("on_book_resynced", change, change.symbol)
        if view is None:
            return
        top = view.quote()
        if top is not None:
            if self.paper is not None:
                for filled in self.paper.match_top(top):
                    applied = self.oms.apply(filled)
                    if applied is not None:
                        self._after_applied(applied)
            self.market.on_quote(top)
            self.ledger.mark(top.symbol, top.mid)
        self._call_strategy("on_book", view, view.symbol)

    def _deliver_bars(self, bars: list[Bar]) -> None:
        """Bars the builder closed, handled like a venue's Bar (recorded, but not timed as feed latency)."""
        for bar in bars:
            if self.recording is not None:
                self.recording.append(bar)
            self._stamp("bar")
            self.ledger.mark(bar.symbol, bar.close)
            self._call_strategy("on_bar", bar, bar.symbol)
            self._watch_equity()

    def _after_applied(self, event: OrderEvent) -> None:
        """Book an event the OMS accepted, persist it, and tell the strategy."""
        if self.recording is not None:
            self.recording.append(event)
        self.metrics.on_order_event(event, self.clock.now_ns())
        if isinstance(event, OrderFilled):
            self.ledger.apply_fill(event.fill)
            self._record(event.order, fill_key(event.fill))
            self.counters["fills"] += 1
            self._watch_equity()
            self._call_strategy("on_order_filled", event, event.fill.symbol)
            log.info("order.filled", client_order_id=event.fill.client_order_id, qty=event.fill.qty,
                     price=event.fill.price, fee=event.fill.fee, status=event.order.status.value,
                     position=self.ledger.position(event.fill.symbol))  # after the strategy: off its send path
        elif isinstance(event, OrderRejected):
            rejected = self.oms.get(event.intent.client_order_id or "")
            if rejected is not None:
                self._record(rejected)
            self._call_strategy("on_order_rejected", event, event.intent.symbol)
        else:
            self._record(event.order)
            if isinstance(event, OrderCanceled):
                self._call_strategy("on_order_canceled", event, event.order.symbol)

    def _after_all(self, events: list[OrderEvent]) -> None:
        for event in events:
            self._after_applied(event)

    def _send(self, command: tuple[Any, str]) -> None:
        if command[0] == "submit":
            order = self.oms.get(command[1])
            if order is not None:
                self._record_decision(order)  # decided orders are on disk before they can reach the venue
        self.dispatch.put(command)

    def _record_decision(self, order: Order) -> None:
        try:
            self.store.record_decision(order)
        except OSError as error:
            self.counters["state_record_failures"] += 1
            log.error("state.record_failed", path=str(self.store.db_path), error=str(error))

    def _record(self, order: Order, key: str | None = None) -> None:
        try:
            self.store.record([order], self.ledger, key)
        except OSError as error:
            self.counters["state_record_failures"] += 1
            log.error("state.record_failed", path=str(self.store.db_path), error=str(error))

    def _call_strategy(self, hook: str, event: Any, symbol: str | None = None) -> None:
        if not self._strategy_live or self.risk.halt_reason is not None:  # halted (cheaper than self.state)
            return
        try:
            self.host.call(hook, event, symbol)
        except StrategyError as error:
            log.error("strategy.failed", strategy=self.host.name, hook=hook, error=str(error))
            self._halt(str(error))

    async def _resolve_unclear(self, *, force: bool = False) -> None:
        if not (force or self.executor.unresolved):
            return
        self._last_reconcile = time.monotonic()
        try:
            await self.reconciler.reconcile(self.config.symbols)  # its events went to _after_applied
        except BotkitError as error:
            log.warning("engine.reconcile_failed", error=str(error))
            return
        await self._check_positions()

    async def _check_positions(self) -> None:
        """Compare positions with the venue's; confirmed differences are corrected and saved."""
        if self.positions is not None and await self.positions.check(self.ledger):
            self._save()

    async def _measure_clock(self) -> None:
        """Measure the venue's clock against ours (the clock-skew guard judges it)."""
        source = next((c for c in (self.execution, self.data) if isinstance(c, VenueClock)), None)
        if source is None:
            return
        try:
            self.clock_offset_s = await source.clock_offset_s()
        except BotkitError as error:
            log.warning("engine.clock_check_failed", error=str(error))

    def _position_tolerance(self, symbol: str) -> float:
        lot = self.host.instruments[symbol].lot_size
        return lot / 2 if lot > 0 else 1e-9

    def _stamp(self, kind: str) -> None:
        self.last_events[kind] = self.clock.now_ns()
        self.counters[kind] += 1

    def _save(self) -> None:
        self._last_save = time.monotonic()
        self.oms.forget_finished(_FINISHED_IN_MEMORY)
        try:
            memory = self.kill_switch.memory.to_dict() if self.kill_switch.enabled else None
            self.store.save(self.oms, self.ledger, self.state.value, self.clock.now_ns(), self.halt_reason, memory)
        except OSError as error:
            log.error("state.save_failed", path=str(self.store.path), error=str(error))

    # --- reports -------------------------------------------------------------------------------
    def run_orders(self) -> list[Any]:
        """The orders placed in this run (not restored from an earlier one)."""
        return [o for o in self.oms.orders() if o.ts_created >= self._started_ns]

    def summary(self) -> RunSummary:
        """The run's summary so far."""
        return summarize(
            name=self.config.name, mode=self.config.mode, venue=self.venue, state=self.state.value,
            duration_s=time.monotonic() - self._started, orders=self.run_orders(), ledger=self.ledger,
            risk_rejections=self.host.risk_rejections, fills=self.counters["fills"], duplicates=self.oms.duplicates,
            halt_reason=self.halt_reason,
        )

    def status(self) -> dict[str, Any]:
        """The document ``/status`` serves."""
        symbol = self.config.reference_symbol or self.config.symbols[0]
        return status_document(
            name=self.config.name, mode=self.config.mode, venue=self.venue, state=self.state.value,
            started_ns=self._started_ns, now_ns=self.clock.now_ns(), ledger=self.ledger,
            open_orders=self.oms.open_orders(), last_events=self.last_events, counters=dict(self.counters),
            halt_reason=self.halt_reason, halt_code=self.halt_code, reducing=self.risk.reducing_reasons,
            kill_switch={**self.kill_switch.memory.to_dict(), "max_daily_loss": self.config.risk.max_daily_loss,
                         "max_drawdown_pct": self.config.risk.max_drawdown_pct}
            if self.kill_switch.enabled else None,
            reference={"symbol": symbol, "price": self.market.reference(symbol),
                       "feed_age_s": self.market.reference_age_s(symbol)},
        )
