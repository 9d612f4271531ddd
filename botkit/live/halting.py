"""A running bot's halts: the kill switch watched on every event, halts that cancel and flatten, and re-arming.

A halt stops new orders at once, cancels working orders (always for the kill switch, else when
``engine.cancel_on_halt``), sends the kill switch's flattening orders when ``risk.flatten_on_kill``
(engine orders, which pass while halted) and is saved before anything else happens, so it latches
across a crash until a person re-arms the bot (``botkit arm CONFIG`` or ``POST /arm``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import structlog

from botkit.core.clock import Clock
from botkit.execution.executor import OrderExecutor
from botkit.live.dispatch import CommandDispatcher
from botkit.live.host import LiveStrategyHost
from botkit.model.enums import Side
from botkit.model.orders import OrderIntent
from botkit.portfolio.ledger import Ledger
from botkit.risk.engine import RiskEngine, TradingState
from botkit.risk.killswitch import KillSwitch
from botkit.risk.rejection import Rejection
from botkit.settings import BotConfig

log = structlog.get_logger("botkit.live.engine")


class HaltControl:
    """Halts the bot (a strategy error, bad credentials, the kill switch) and lifts a halt when a person says so."""

    def __init__(
        self,
        *,
        config: BotConfig,
        risk: RiskEngine,
        kill_switch: KillSwitch,
        ledger: Callable[[], Ledger],
        clock: Clock,
        counters: Counter[str],
        executor: OrderExecutor,
        dispatch: CommandDispatcher,
        host: LiveStrategyHost,
        position_tolerance: Callable[[str], float],
        save: Callable[[], None],
        request_stop: Callable[[], None],
        stopping: Callable[[], bool],
    ) -> None:
        self.config = config
        self.risk = risk
        self.kill_switch = kill_switch
        self._ledger = ledger
        self.clock = clock
        self.counters = counters
        self.executor = executor
        self.dispatch = dispatch
        self.host = host
        self._tolerance = position_tolerance
        self._save = save
        self._request_stop = request_stop
        self._stopping = stopping
        self.reason: str | None = None
        """Why the bot is halted, or None."""
        self.code: str | None = None
        """The halt's stable code (``daily_loss``, ``max_drawdown``…; ``error`` for errors), or None."""

    def watch_equity(self) -> None:
        """Feed the kill switch; a trip halts the bot, cancels working orders and flattens if configured."""
        if not self.kill_switch.enabled or self.kill_switch.tripped is not None:
            return
        equity = self._ledger().equity()
        trip = self.kill_switch.observe(self.clock.now_ns(), equity)
        if trip is not None:
            self.counters["kill_switch_trips"] += 1
            log.error("risk.kill_switch", **trip.fields(), equity=equity)
            self.halt(trip.message, trip, cancel=True)
            if self.config.risk.flatten_on_kill:
                self._flatten()

    def halt(self, reason: str, rejection: Rejection | None = None, *, cancel: bool | None = None) -> None:
        """Halt now (once): no new orders, working orders canceled if asked, the halt saved so it latches."""
        if self.risk.state is TradingState.HALTED:
            return
        self.risk.halt(reason)
        self.code = rejection.code.value if rejection is not None else "error"
        self.host.accepting_orders = False
        self.reason = reason
        cancel = self.config.engine.cancel_on_halt if cancel is None else cancel
        log.error("engine.halted", reason=reason, code=self.code, cancel_working=cancel)
        if cancel:
            for order in self.executor.oms.open_orders():
                self.dispatch.put(("cancel", order.client_order_id))
        self._save()  # the halt must survive a crash: it latches until a person re-arms
        if self.config.engine.on_strategy_error == "stop" and rejection is None:
            self._request_stop()

    def rearm(self) -> str | None:
        """A person lifts the halt (the status endpoint's ``POST /arm``); returns the old reason, None if not halted."""
        reason = self.reason
        if reason is None:
            return None
        self.risk.rearm()
        self.kill_switch.rearm()
        self.reason = self.code = None
        self.host.accepting_orders = not self._stopping()
        self._save()
        log.warning("engine.rearmed", previous_reason=reason)
        return reason

    def _flatten(self) -> None:
        """Market orders closing every position, sent by the engine itself (they pass while halted)."""
        ledger = self._ledger()
        for symbol in self.config.symbols:
            position = ledger.position(symbol)
            if abs(position) <= self._tolerance(symbol):
                continue
            side = Side.SELL if position > 0 else Side.BUY
            order = self.executor.prepare(OrderIntent(symbol, side, abs(position), reduce_only=True, tag="kill_switch"))
            self.dispatch.engine_orders.add(order.client_order_id)
            self.dispatch.put(("submit", order.client_order_id))
            log.warning("risk.flattening", client_order_id=order.client_order_id, symbol=symbol, qty=abs(position))
