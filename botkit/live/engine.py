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

from botkit.core.clock import Clock, LiveClock
from botkit.core.errors import BotkitError, NeedsHumanError, StrategyError
from botkit.core.retry import RetryPolicy
from botkit.execution.executor import DEFAULT_SUBMIT_RETRY, OrderExecutor
from botkit.execution.oms import OrderManager
from botkit.execution.reconcile import PositionDifference, PositionSource, Reconciler, position_differences
from botkit.execution.snapshot import intent_of
from botkit.live.commands import Command, CommandQueue
from botkit.live.host import LiveStrategyHost
from botkit.live.lock import StateLock
from botkit.live.market import MarketState
from botkit.live.paper import PaperExecutionClient
from botkit.live.report import RunSummary, status_document, summarize
from botkit.live.state import StateStore
from botkit.live.status import StatusServer
from botkit.model.enums import OrderType
from botkit.model.events import Bar, MarketEvent, Price, Quote, Trade
from botkit.model.instruments import Instrument
from botkit.model.order_events import OrderCanceled, OrderEvent, OrderFilled, OrderRejected
from botkit.model.orders import Order, OrderStatus
from botkit.portfolio.ledger import Ledger
from botkit.risk.collar import price_collar, stale_data_guard
from botkit.risk.engine import RiskEngine, TradingState
from botkit.risk.rules import RiskRule, rules_from_limits
from botkit.settings import BotConfig
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.base import ExecutionClient, MarketDataClient

log = structlog.get_logger("botkit.live.engine")

_STOP_GRACE_S = 0.3
_TIMER_TICK_S = 0.05
_HOUSEKEEPING_TICK_S = 0.5


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
        self.reconciler = Reconciler(self.executor)
        self.ledger = Ledger(config.capital)
        self.market = MarketState(self.clock, reference_symbol=config.reference_symbol,
                                  max_reference_age_s=config.reference.max_age_s if config.reference else 60.0)
        self.risk = RiskEngine(self._rules())
        self.store = store if store is not None else StateStore(config.state_file())
        self.lock = StateLock(self.store.path)
        self._commands = CommandQueue()
        self.host = LiveStrategyHost(
            strategy_cls, params, symbols=config.symbols, instruments=instruments, sizing=config.sizing.rule(),
            risk=self.risk, ledger=self.ledger, executor=self.executor, market=self.market, clock=self.clock,
            send=self._commands.put_nowait,
        )
        self.stop_event = asyncio.Event()
        self.halt_reason: str | None = None
        self.status_server: StatusServer | None = None
        self.counters: Counter[str] = Counter()
        self.last_events: dict[str, int] = {}
        self._strategy_live = False
        self._stopping = False
        self._started_ns = self.clock.now_ns()
        self._started = time.monotonic()
        self._pumps: list[asyncio.Task[None]] = []
        self._last_save = 0.0
        self._last_reconcile = 0.0
        self._suspect: dict[str, tuple[PositionDifference, float]] = {}

    def _rules(self) -> list[RiskRule]:
        rules = rules_from_limits(self.config.risk)
        if self.config.risk.price_collar_bps is not None:
            rules.append(price_collar(self.config.risk.price_collar_bps, self.market.reference))
        if self.config.risk.max_data_age_ms is not None:
            rules.append(stale_data_guard(self.config.risk.max_data_age_ms, self.market.data_age_s))
        return rules

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
                 symbols=self.config.symbols, strategy=self.host.name)
        try:
            self.lock.acquire()  # before anything is loaded or sent: one bot per state store
        except BaseException:
            await self._close()
            raise
        try:
            await self._start()
            async with asyncio.TaskGroup() as group:
                self._pumps = [group.create_task(self._market_pump()), group.create_task(self._timer_loop()),
                               group.create_task(self._housekeeping())]
                if self.reference is not None:
                    self._pumps.append(group.create_task(self._reference_pump()))
                order_pump = group.create_task(self._order_event_pump())
                worker = group.create_task(self._command_worker())
                group.create_task(self._stopper(duration_s, worker, order_pump))
        except BaseException as error:
            log.error("engine.failed", error=f"{type(error).__name__}: {error}")
            await self._emergency_stop()
            raise
        finally:
            await self._close()
            self.lock.release()
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
            if loaded.trading_state == TradingState.HALTED.value:
                latched = loaded.halt_reason or "halted by an earlier run"
        try:
            report = await self.reconciler.reconcile(self.config.symbols)
        except BotkitError as error:
            log.warning("engine.reconcile_failed", error=str(error))
        else:
            for event in report.events:
                self._after_applied(event)
        await self._check_positions()
        if self.config.status_port is not None:
            self.status_server = StatusServer(self.status, port=self.config.status_port)
            await self.status_server.start()
        if latched is not None:
            # a halt latches across restarts: no trading until a person re-arms the bot
            self._halt(f"still halted: {latched} (re-arm with: botkit arm CONFIG)")
            self.request_stop()
            return
        self._strategy_live = True
        self._call_strategy("on_start", None)

    async def _stopper(self, duration_s: float | None, worker: asyncio.Task[None],
                       order_pump: asyncio.Task[None]) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop_event.wait(), duration_s)
        log.info("engine.stopping", reason="requested" if self.stop_event.is_set() else "duration reached")
        self._stopping = True
        self.host.accepting_orders = False
        for task in self._pumps:
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        if self._strategy_live:
            self._call_strategy("on_stop", None)
            self._strategy_live = False
        self._commands.put_nowait(None)
        await worker
        await self._resolve_unclear()
        if self.config.engine.cancel_on_stop:
            for event in await self.executor.cancel_all():
                self._after_applied(event)
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
            async for event in self.data.stream(self.config.symbols):
                self.on_market_event(event)

    async def _reference_pump(self) -> None:
        assert self.reference is not None and self.config.reference_symbol is not None
        with self._halt_on_needs_human("reference prices"):
            async for event in self.reference.stream([self.config.reference_symbol]):
                if isinstance(event, Price):
                    self.on_market_event(event)

    async def _order_event_pump(self) -> None:
        with self._halt_on_needs_human("order events"):
            async for event in self.execution.order_events():
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

    async def _command_worker(self) -> None:
        """Takes commands (cancels first) and runs up to ``engine.max_in_flight`` of them at once."""
        slots = asyncio.Semaphore(self.config.engine.max_in_flight)
        in_flight: set[asyncio.Task[None]] = set()
        while True:
            await slots.acquire()  # take the next command only when it can start: a later cancel still jumps ahead
            command = await self._commands.get()
            if command is None:
                slots.release()
                break
            task = asyncio.create_task(self._run_command(command, slots))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.gather(*in_flight)

    async def _run_command(self, command: Command, slots: asyncio.Semaphore) -> None:
        kind, coid = command
        try:
            if kind == "submit" and (self._stopping or self.state is TradingState.HALTED):
                events = self._reject_unsent(coid)
            elif kind == "submit" and (late := self._past_time_to_live(coid)) is not None:
                events = self._reject_unsent(coid, late)
            elif kind == "submit":
                events = await self.executor.send(coid, deadline_ns=self._deadline_ns(coid))
            elif self._not_sent_yet(coid):
                events = self._cancel_unsent(coid)
            else:
                events = await self.executor.cancel(coid)
        except NeedsHumanError as error:
            self._halt(f"{type(error).__name__}: {error}")
            return
        finally:
            slots.release()
        for event in events:
            self._after_applied(event)

    def _not_sent_yet(self, coid: str) -> bool:
        order = self.oms.get(coid)
        return order is not None and order.status is OrderStatus.PENDING and self.executor.is_sending(coid) \
            and not self.executor.is_on_wire(coid)

    def _cancel_unsent(self, coid: str) -> list[OrderEvent]:
        """A cancel that overtook its own submit: the order is canceled here and never sent."""
        self.executor.send_abandoned(coid)
        order = self.oms.get(coid)
        applied = self.oms.apply(OrderCanceled(self.clock.now_ns(), order)) if order is not None else None
        return [applied] if applied is not None else []

    async def _timer_loop(self) -> None:
        while True:
            await asyncio.sleep(_TIMER_TICK_S)
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
            if self._suspect and now - min(seen for _, seen in self._suspect.values()) >= engine.position_confirm_s:
                await self._check_positions()

    # --- event handling ------------------------------------------------------------------------
    def on_market_event(self, event: MarketEvent) -> None:
        """Handle one market event: paper fills, prices, then the strategy's hook."""
        kind = type(event).__name__.lower()
        self._stamp(kind)
        if self.paper is not None:
            for filled in self.paper.on_market_event(event):
                applied = self.oms.apply(filled)
                if applied is not None:
                    self._after_applied(applied)
        wanted = self.config.engine.market_data
        if isinstance(event, Quote):
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

    def _after_applied(self, event: OrderEvent) -> None:
        """Book an event the OMS accepted and tell the strategy."""
        if isinstance(event, OrderFilled):
            self.ledger.apply_fill(event.fill)
            self.counters["fills"] += 1
            log.info("order.filled", client_order_id=event.fill.client_order_id, qty=event.fill.qty,
                     price=event.fill.price, fee=event.fill.fee, status=event.order.status.value,
                     position=self.ledger.position(event.fill.symbol))
            self._call_strategy("on_order_filled", event, event.fill.symbol)
        elif isinstance(event, OrderRejected):
            self._call_strategy("on_order_rejected", event, event.intent.symbol)
        elif isinstance(event, OrderCanceled):
            self._call_strategy("on_order_canceled", event, event.order.symbol)

    def _call_strategy(self, hook: str, event: Any, symbol: str | None = None) -> None:
        if not self._strategy_live or self.state is TradingState.HALTED:
            return
        try:
            self.host.call(hook, event, symbol)
        except StrategyError as error:
            log.error("strategy.failed", strategy=self.host.name, hook=hook, error=str(error))
            self._halt(str(error))

    def _halt(self, reason: str) -> None:
        if self.state is TradingState.HALTED:
            return
        self.risk.state = TradingState.HALTED
        self.host.accepting_orders = False
        self.halt_reason = reason
        log.error("engine.halted", reason=reason, cancel_working=self.config.engine.cancel_on_halt)
        if self.config.engine.cancel_on_halt:
            for order in self.oms.open_orders():
                self._commands.put_nowait(("cancel", order.client_order_id))
        self._save()  # the halt must survive a crash: it latches until a person re-arms
        if self.config.engine.on_strategy_error == "stop":
            self.request_stop()

    def _time_to_live(self, order: Order) -> tuple[str, float]:
        """The setting that bounds how late ``order`` may be sent, and its value in seconds."""
        if order.order_type is OrderType.LIMIT:
            return "limit_intent_ttl_s", self.config.engine.limit_intent_ttl_s
        return "intent_ttl_s", self.config.engine.intent_ttl_s

    def _deadline_ns(self, coid: str) -> int | None:
        order = self.oms.get(coid)
        return None if order is None else order.ts_created + int(self._time_to_live(order)[1] * 1e9)

    def _past_time_to_live(self, coid: str) -> str | None:
        """Why an order decided too long ago must not go out now, or None if it may still be sent."""
        order = self.oms.get(coid)
        if order is None:
            return None
        setting, ttl = self._time_to_live(order)
        age_s = (self.clock.now_ns() - order.ts_created) / 1e9
        if age_s <= ttl:
            return None
        self.counters["intents_expired"] += 1
        return f"not sent: decided {age_s:.3f} s ago, beyond engine.{setting} {ttl:g} s (the market has moved on)"

    def _reject_unsent(self, coid: str, reason: str = "not sent: the engine is stopping or halted") -> list[OrderEvent]:
        self.executor.send_abandoned(coid)
        order = self.oms.get(coid)
        if order is None or order.status is not OrderStatus.PENDING:
            return []
        event = OrderRejected(self.clock.now_ns(), intent_of(order), reason, source="engine")
        applied = self.oms.apply(event)
        return [applied] if applied is not None else []

    async def _resolve_unclear(self, *, force: bool = False) -> None:
        if not (force or self.executor.unresolved):
            return
        self._last_reconcile = time.monotonic()
        try:
            report = await self.reconciler.reconcile(self.config.symbols)
        except BotkitError as error:
            log.warning("engine.reconcile_failed", error=str(error))
            return
        for event in report.events:
            self._after_applied(event)
        await self._check_positions()

    async def _check_positions(self) -> None:
        """Compare positions with the venue's; a difference seen twice, unchanged, is corrected to the venue's.

        A fill can be counted by the venue before its event reaches us, so a difference is only
        believed when a second look ``engine.position_confirm_s`` later finds exactly the same numbers.
        """
        client = self.execution
        if self.paper is not None or not self.config.engine.reconcile_positions \
                or not isinstance(client, PositionSource):
            return
        try:
            venue = await client.positions()
        except BotkitError as error:
            log.warning("engine.position_check_failed", error=str(error))
            return
        now = time.monotonic()
        found = position_differences(self.ledger.position, venue, self.config.symbols, self._position_tolerance)
        previous, self._suspect = self._suspect, {}
        for difference in found:
            earlier = previous.get(difference.symbol)
            first_seen = earlier[1] if earlier is not None and earlier[0] == difference else now
            if now - first_seen < self.config.engine.position_confirm_s:
                self._suspect[difference.symbol] = (difference, first_seen)
                log.info("reconcile.position_differs", symbol=difference.symbol, local=difference.local,
                         venue=difference.venue, action="confirming")
                continue
            price = difference.venue_avg_price or self.market.mid(difference.symbol) \
                or self.ledger.last_price(difference.symbol)
            if not price:
                log.error("reconcile.position_uncorrectable", symbol=difference.symbol, reason="no price")
                continue
            self.ledger.correct_position(difference.symbol, difference.venue, price)
            self.counters["position_corrections"] += 1
            log.warning("reconcile.position_corrected", symbol=difference.symbol, local=difference.local,
                        venue=difference.venue, price=price)
        if found and not self._suspect:
            self._save()

    def _position_tolerance(self, symbol: str) -> float:
        lot = self.host.instruments[symbol].lot_size
        return lot / 2 if lot > 0 else 1e-9

    def _stamp(self, kind: str) -> None:
        self.last_events[kind] = self.clock.now_ns()
        self.counters[kind] += 1

    def _save(self) -> None:
        self._last_save = time.monotonic()
        try:
            self.store.save(self.oms, self.ledger, self.state.value, self.clock.now_ns(), self.halt_reason)
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
            halt_reason=self.halt_reason,
            reference={"symbol": symbol, "price": self.market.reference(symbol),
                       "feed_age_s": self.market.reference_age_s(symbol)},
        )
