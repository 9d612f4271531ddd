"""The live engine's command dispatch: queued submits and cancels to the executor, concurrently and safely.

Cancels jump ahead of new orders (``CommandQueue``) and up to ``engine.max_in_flight`` commands run
at once within the venue's rate budget; a command starts as soon as the callback that queued it
returns. Just before an order is sent it is judged again: by its
time-to-live (an order decided too long ago is dropped, never sent late), by the trading state and
by the market rules of the risk engine (collar, stale data, book resync, clock skew), since the
market may have changed while it waited. Orders the engine itself sends to close positions (the
kill switch's flatten) pass while halted.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from botkit.core.clock import Clock
from botkit.core.errors import NeedsHumanError
from botkit.execution.executor import OrderExecutor
from botkit.execution.snapshot import intent_of
from botkit.live.commands import Command, CommandQueue
from botkit.live.market import MarketState
from botkit.model.enums import OrderType
from botkit.model.order_events import OrderCanceled, OrderEvent
from botkit.model.orders import Order, OrderStatus
from botkit.portfolio.view import PortfolioView
from botkit.risk.engine import RiskEngine, TradingState
from botkit.risk.rejection import RejectCode, Rejection, rejected_event
from botkit.risk.rules import SizedOrder
from botkit.settings import EngineConfig

OnEvents = Callable[[list[OrderEvent]], None]
OnHalt = Callable[[str], None]


class CommandDispatcher:
    """Runs the engine's submit and cancel commands against the executor."""

    def __init__(self, *, config: EngineConfig, executor: OrderExecutor, risk: RiskEngine, market: MarketState,
                 view: PortfolioView, clock: Clock, counters: Counter[str], on_events: OnEvents,
                 on_halt: OnHalt) -> None:
        self.config = config
        self.executor = executor
        self.oms = executor.oms
        self.risk = risk
        self.market = market
        self.view = view
        self.clock = clock
        self.counters = counters
        self.queue = CommandQueue()
        self.stopping = False
        self.engine_orders: set[str] = set()
        """Orders the engine sends itself (flattening): they pass while halted."""
        self._on_events = on_events
        self._on_halt = on_halt
        self._in_flight: set[asyncio.Task[None]] = set()
        self._start_scheduled = False
        self._idle = asyncio.Event()
        self._failure: BaseException | None = None

    def put(self, command: Command | None) -> None:
        """Queue a command (None: the end mark, after which ``run`` returns once all is done).

        A submit starts at once when a slot is free and nothing waits (its task runs as soon as the
        caller's callback returns); other commands start from the queue, cancels first. A cancel
        queued before its submit's task ran means the order is never sent.
        """
        if command is not None and command[0] == "submit" and not self.queue \
                and len(self._in_flight) < self.config.max_in_flight:
            self._start(command)
            return
        self.queue.put_nowait(command)
        if not self._start_scheduled:
            self._start_scheduled = True
            asyncio.get_running_loop().call_soon(self._start_commands)

    async def run(self) -> None:
        """Wait until the end mark is taken and every command has finished; re-raises a command's crash.

        Cancelled, it cancels the commands in flight.
        """
        try:
            await self._idle.wait()
        except asyncio.CancelledError:
            for task in list(self._in_flight):
                task.cancel()
            raise
        if self._failure is not None:
            raise self._failure

    def _start_commands(self) -> None:
        """Start queued commands (cancels first) while fewer than ``engine.max_in_flight`` run."""
        self._start_scheduled = False
        while len(self._in_flight) < self.config.max_in_flight:
            command = self.queue.take()
            if command is None:
                break
            self._start(command)
        if self.queue.closed and not self.queue and not self._in_flight:
            self._idle.set()

    def _start(self, command: Command) -> None:
        task = asyncio.create_task(self._run(command))
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None and self._failure is None:
            self._failure = task.exception()
            self._idle.set()
            return
        self._start_commands()

    async def _run(self, command: Command) -> None:
        kind, coid = command
        try:
            if kind == "submit":
                if self.queue.cancel_queued(coid):
                    return  # canceled before it was sent: the cancel settles it without sending
                refused = self._refusal_at_send(coid)
                if refused is not None:
                    events = self.reject_unsent(coid, refused)
                else:
                    events = await self.executor.send(coid, deadline_ns=self._deadline_ns(coid))
            elif self._not_sent_yet(coid):
                events = self._cancel_unsent(coid)
            else:
                events = await self.executor.cancel(coid)
        except NeedsHumanError as error:
            self._on_halt(f"{type(error).__name__}: {error}")
            return
        self._on_events(events)

    def _refusal_at_send(self, coid: str) -> Rejection | None:
        """Why a queued order must not go out now, or None: stopping, past its time-to-live, or the risk recheck."""
        order = self.oms.get(coid)
        if order is None or order.status is not OrderStatus.PENDING:
            return None  # the executor skips it
        engine_order = coid in self.engine_orders
        if self.stopping and not engine_order:
            return Rejection(RejectCode.NOT_ACCEPTING, "engine", "not sent: the engine is stopping")
        late = self._past_time_to_live(order)
        if late is not None:
            return late
        if engine_order:
            return None
        if self.risk.state is TradingState.HALTED:
            return Rejection(RejectCode.HALTED, "engine", f"not sent: trading is halted ({self.risk.halt_reason})")
        price = self.market.order_price(order.symbol, order.side, order.order_type, order.limit_price,
                                        order.stop_price)
        if price is None:
            return Rejection(RejectCode.NO_PRICE, "engine", f"not sent: no market price for {order.symbol}")
        refused = self.risk.recheck(SizedOrder(order.symbol, order.side, order.remaining, price), self.view)
        if refused is not None:
            self.counters["risk_rechecks_refused"] += 1
            return Rejection(refused.code, refused.rule, f"not sent: {refused.message}", refused.value, refused.limit)
        return None

    def _time_to_live(self, order: Order) -> tuple[str, float]:
        """The setting that bounds how late ``order`` may be sent, and its value in seconds."""
        if order.order_type is OrderType.LIMIT:
            return "limit_intent_ttl_s", self.config.limit_intent_ttl_s
        return "intent_ttl_s", self.config.intent_ttl_s

    def _deadline_ns(self, coid: str) -> int | None:
        order = self.oms.get(coid)
        return None if order is None else order.ts_created + int(self._time_to_live(order)[1] * 1e9)

    def _past_time_to_live(self, order: Order) -> Rejection | None:
        setting, ttl = self._time_to_live(order)
        age_s = (self.clock.now_ns() - order.ts_created) / 1e9
        if age_s <= ttl:
            return None
        self.counters["intents_expired"] += 1
        return Rejection(RejectCode.TIME_TO_LIVE, f"engine.{setting}",
                         f"not sent: decided {age_s:.3f} s ago, beyond engine.{setting} {ttl:g} s "
                         "(the market has moved on)", age_s, ttl)

    def reject_unsent(self, coid: str, rejection: Rejection) -> list[OrderEvent]:
        """Reject a PENDING order that will not be sent; returns the event the OMS accepted."""
        self.executor.send_abandoned(coid)
        order = self.oms.get(coid)
        if order is None or order.status is not OrderStatus.PENDING:
            return []
        applied = self.oms.apply(rejected_event(self.clock.now_ns(), intent_of(order), rejection, source="engine"))
        return [applied] if applied is not None else []

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
