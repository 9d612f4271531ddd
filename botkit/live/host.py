"""The live ``StrategyContext``: runs one strategy's hooks and turns its orders into executor work.

Hooks are called synchronously from the engine's event loop, one event at a time, like the
backtester's Python path (``backtest/strategy_host.py``). An order call sizes the intent (the
config's sizing rule, rounded down to the lot), checks it against the risk engine, registers it as
PENDING in the OMS and queues it for the executor; it returns the client order id at once.
Rejections and cancels are delivered to the strategy after the hook returns, never inside it.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import structlog

from botkit.core.clock import Clock
from botkit.core.errors import StrategyError
from botkit.execution.executor import OrderExecutor
from botkit.live.commands import Command
from botkit.live.market import MarketState
from botkit.model.enums import OrderType, Side
from botkit.model.instruments import Instrument
from botkit.model.order_events import OrderRejected
from botkit.model.orders import Order, OrderIntent
from botkit.portfolio.ledger import Ledger
from botkit.risk.engine import RiskEngine
from botkit.risk.rates import RateWindow, cancel_rate_rejection
from botkit.risk.rejection import RejectCode, Rejection, rejected_event
from botkit.risk.rules import SizedOrder
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.context import TimerFired

log = structlog.get_logger("botkit.live.host")

_MAX_ROUNDS = 100


class LivePortfolioView:
    """The ``PortfolioView`` risk rules see: the ledger's positions and the OMS's working orders."""

    def __init__(self, ledger: Ledger, executor: OrderExecutor) -> None:
        self.ledger = ledger
        self.executor = executor

    def position(self, symbol: str) -> float:
        """Signed position in ``symbol``."""
        return self.ledger.position(symbol)

    def working_qty(self, symbol: str, side: Side | None = None) -> float:
        """Signed remaining quantity of open orders of ``symbol`` (of ``side`` only, if given)."""
        return self.executor.oms.working_qty(symbol, side)

    def open_order_count(self) -> int:
        """Open orders, all symbols, including those still being sent."""
        return self.executor.oms.open_count()

    def symbols_held(self) -> list[str]:
        """Symbols with a non-zero position."""
        return [p.symbol for p in self.ledger.positions() if p.qty != 0.0]

    def mark(self, symbol: str) -> float | None:
        """The last price ``symbol`` was marked at."""
        return self.ledger.last_price(symbol)

    def cash(self) -> float:
        """Cash."""
        return self.ledger.cash()

    def equity(self) -> float:
        """Cash plus positions at last prices."""
        return self.ledger.equity()


class LiveStrategyHost:
    """One strategy instance with its live context: sizing, risk, OMS registration, timers."""

    def __init__(
        self,
        cls: type[Strategy[Any]],
        params: StrategyParams,
        *,
        symbols: Sequence[str],
        instruments: dict[str, Instrument],
        sizing: tuple[str, float],
        risk: RiskEngine,
        ledger: Ledger,
        executor: OrderExecutor,
        market: MarketState,
        clock: Clock,
        send: Callable[[Command], None],
        max_cancels_per_s: int | None = None,
    ) -> None:
        self._symbols = list(symbols)
        self.instruments = instruments
        self.sizing = sizing
        self.risk = risk
        self.ledger = ledger
        self.executor = executor
        self.market = market
        self.clock = clock
        self.view = LivePortfolioView(ledger, executor)
        self._send = send
        self.event_symbol = self._symbols[0]
        self.timers: list[tuple[int, int, str]] = []
        self._timer_seq = 0
        self.deferred: list[OrderRejected] = []
        self.accepting_orders = True
        self.risk_rejections = 0
        self.rejections_by_code: Counter[str] = Counter()
        self.intents = 0
        self.cancels_refused = 0
        self._cancel_rate = RateWindow(max_cancels_per_s) if max_cancels_per_s is not None else None
        self.strategy = cls(params, self)
        self.name = self.strategy.name

    # --- engine side ---------------------------------------------------------------------------
    def call(self, hook: str, event: Any = None, symbol: str | None = None) -> None:
        """Run ``hook(event)`` (or ``hook()`` for on_start/on_stop) and submit what it returns.

        Deferred rejections are delivered afterwards; any exception from user code becomes a
        ``StrategyError``.
        """
        if symbol is not None:
            self.event_symbol = symbol
        fn = getattr(self.strategy, hook)
        try:
            returned = fn() if hook in ("on_start", "on_stop") else fn(event)
        except StrategyError:
            raise
        except Exception as error:  # user code: any exception becomes a StrategyError
            raise StrategyError(self.name, hook, event, error) from error
        if returned is not None:
            self._submit_returned(returned, hook, event)
        self._flush()

    def due_timers(self, now_ns: int) -> list[TimerFired]:
        """Pop the timers due at ``now_ns``."""
        due = []
        while self.timers and self.timers[0][0] <= now_ns:
            at, _, name = heapq.heappop(self.timers)
            due.append(TimerFired(at, name))
        return due

    def _submit_returned(self, returned: Any, hook: str, event: Any) -> None:
        intents = returned if isinstance(returned, list | tuple) else [returned]
        for intent in intents:
            if not isinstance(intent, OrderIntent):
                raise StrategyError(self.name, hook, event,
                                    f"returned {returned!r}; hooks return None, an OrderIntent or a list of them")
        for intent in intents:
            self._submit(intent)

    def _flush(self) -> None:
        for _ in range(_MAX_ROUNDS):
            deferred, self.deferred = self.deferred, []
            for event in deferred:
                self.call("on_order_rejected", event)
            if not self.deferred:
                return
        raise StrategyError(self.name, "on_order_rejected", None, "keeps submitting orders that are rejected")

    def _submit(self, intent: OrderIntent) -> str:
        if intent.symbol not in self.instruments:
            known = self._symbols
            raise StrategyError(self.name, "order", intent, f"unknown symbol {intent.symbol!r}; trading {known}")
        self.intents += 1
        coid = intent.client_order_id or self.executor.new_client_order_id()
        instrument = self.instruments[intent.symbol]
        intent = replace(intent, client_order_id=coid, limit_price=_tick(instrument, intent.limit_price),
                         stop_price=_tick(instrument, intent.stop_price))
        price = self.market.order_price(intent.symbol, intent.side, intent.order_type, intent.limit_price,
                                        intent.stop_price)
        refused: Rejection | None
        if not self.accepting_orders:
            refused = Rejection(RejectCode.NOT_ACCEPTING, "engine",
                                "the engine is not accepting new orders (halted or stopping)")
        elif price is None:
            refused = Rejection(RejectCode.NO_PRICE, "engine", f"no market price for {intent.symbol} yet")
        else:
            qty = self._size(intent, instrument, price)
            refused = self.risk.check(SizedOrder(intent.symbol, intent.side, qty, price), self.view)
            if refused is None and instrument.min_notional > 0 and qty * price < instrument.min_notional:
                refused = Rejection(RejectCode.MIN_NOTIONAL, "instrument.min_notional",
                                    f"order notional {qty * price:g} below the venue minimum "
                                    f"{instrument.min_notional:g}", qty * price, instrument.min_notional)
            if refused is None:
                order = self.executor.prepare(replace(intent, qty=qty))
                self._send(("submit", order.client_order_id))
                log.debug("order.intent", client_order_id=coid, symbol=intent.symbol, side=intent.side.name.lower(),
                          qty=qty, type=intent.order_type.name.lower(), ref_price=price)
                return coid
        assert refused is not None
        self.risk_rejections += 1
        self.rejections_by_code[refused.code.value] += 1
        log.info("order.rejected", client_order_id=coid, symbol=intent.symbol, source="risk", **refused.fields())
        self.deferred.append(rejected_event(self.clock.now_ns(), intent, refused))
        return coid

    def _size(self, intent: OrderIntent, instrument: Instrument, price: float) -> float:
        """The backtester's sizing: the rule when qty is None, rounded down to the lot, snapped to a close."""
        qty = intent.qty
        if qty is None:
            rule, value = self.sizing
            if rule == "fixed_quantity":
                qty = value
            elif rule == "fixed_notional":
                qty = value / price
            else:
                qty = value * self.ledger.equity() / price
        if instrument.lot_size > 0.0:
            qty = math.floor(qty / instrument.lot_size + 1e-9) * instrument.lot_size
            qty = round(qty, 12)
        position = self.ledger.position(intent.symbol)
        held = abs(position)
        if int(intent.side) * position < 0.0 and abs(qty - held) <= 1e-9 * max(1.0, held):
            qty = held
        return qty

    def _symbol(self, symbol: str | None) -> str:
        return self.event_symbol if symbol is None else symbol

    # --- StrategyContext -----------------------------------------------------------------------
    @property
    def symbols(self) -> Sequence[str]:
        """Symbols this strategy trades."""
        return self._symbols

    def now(self) -> int:
        """Wall-clock time in ns UTC."""
        return self.clock.now_ns()

    def position(self, symbol: str | None = None) -> float:
        """Signed position in ``symbol`` (default: the event's)."""
        return self.ledger.position(self._symbol(symbol))

    def cash(self) -> float:
        """Cash."""
        return self.ledger.cash()

    def equity(self) -> float:
        """Cash plus positions at last prices."""
        return self.ledger.equity()

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open orders (of ``symbol``), including those still being sent."""
        return self.executor.oms.open_orders(symbol)

    def buy(self, qty: float | None = None, symbol: str | None = None, tag: str = "") -> str:
        """Market buy."""
        return self._submit(OrderIntent(self._symbol(symbol), Side.BUY, qty, tag=tag))

    def sell(self, qty: float | None = None, symbol: str | None = None, tag: str = "") -> str:
        """Market sell."""
        return self._submit(OrderIntent(self._symbol(symbol), Side.SELL, qty, tag=tag))

    def limit(self, side: Side, qty: float | None, price: float, symbol: str | None = None, tag: str = "") -> str:
        """Limit order at ``price`` (rounded to the tick)."""
        return self._submit(OrderIntent(self._symbol(symbol), Side(side), qty, OrderType.LIMIT, limit_price=price,
                                        tag=tag))

    def stop(self, side: Side, qty: float | None, price: float, symbol: str | None = None, tag: str = "") -> str:
        """Stop order at ``price``."""
        return self._submit(OrderIntent(self._symbol(symbol), Side(side), qty, OrderType.STOP, stop_price=price,
                                        tag=tag))

    def close(self, symbol: str | None = None, tag: str = "") -> str | None:
        """Market order flattening the position; None when flat."""
        position = self.position(symbol)
        if position == 0.0:
            return None
        side = Side.SELL if position > 0 else Side.BUY
        return self._submit(OrderIntent(self._symbol(symbol), side, abs(position), tag=tag))

    def cancel(self, client_order_id: str) -> bool:
        """Ask the venue to cancel an open order; ``on_order_canceled`` follows when it is done."""
        order = self.executor.oms.get(client_order_id)
        if order is None or not order.status.is_open or not self._cancel_allowed(client_order_id):
            return False
        self._send(("cancel", client_order_id))
        return True

    def cancel_all(self, symbol: str | None = None) -> int:
        """Cancel every open order (of ``symbol``, default: the event's); returns how many cancels went out."""
        sent = 0
        for order in self.executor.oms.open_orders(self._symbol(symbol)):
            if not self._cancel_allowed(order.client_order_id):
                break
            self._send(("cancel", order.client_order_id))
            sent += 1
        return sent

    def _cancel_allowed(self, client_order_id: str) -> bool:
        """Whether ``risk.max_cancels_per_s`` lets one more strategy cancel through now."""
        if self._cancel_rate is None or self._cancel_rate.take(self.clock.now_ns()):
            return True
        self.cancels_refused += 1
        log.info("order.cancel_refused", client_order_id=client_order_id,
                 **cancel_rate_rejection(self._cancel_rate.per_second).fields())
        return False

    def set_timer(self, at_ns: int, name: str) -> None:
        """Fire ``on_timer`` once the wall clock reaches ``at_ns``."""
        self._timer_seq += 1
        heapq.heappush(self.timers, (at_ns, self._timer_seq, name))


def _tick(instrument: Instrument, price: float | None) -> float | None:
    if price is None or instrument.tick_size <= 0:
        return price
    return round(instrument.round_price(price), 10)
