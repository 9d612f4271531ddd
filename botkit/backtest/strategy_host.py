"""Runs one strategy instance in the Python path: its context, its hooks and what they return."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

from botkit.backtest.broker import SimulatedBroker, Working
from botkit.backtest.step_adapter import python_form
from botkit.core.errors import StrategyError
from botkit.model.enums import OrderType, Side
from botkit.model.order_events import OrderCanceled, OrderFilled
from botkit.model.orders import Fill, Liquidity, Order, OrderIntent
from botkit.risk.rejection import rejected_event
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.context import TimerFired
from botkit.strategy.declared import IndicatorBoard, board_of, hook_reading_ahead

_MAX_ROUNDS = 100


class StrategyHost:
    """The backtest's ``StrategyContext``: routes a strategy's orders to the simulated broker.

    Once ``halt`` is called (the kill switch fired) the strategy is called again only for
    ``on_stop``, as the live engine calls a halted strategy no more; what it still submits is
    refused by the halted risk engine.
    """

    def __init__(self, cls: type[Strategy[Any]], params: StrategyParams, broker: SimulatedBroker) -> None:
        self.broker = broker
        self.strategy = python_form(cls, broker.config.kind)(params, self)  # a compiled-only strategy: its step
        self.name = self.strategy.name
        self._symbols = broker.config.symbols
        self._positions, self._index = broker.positions, broker.index  # the broker changes both in place
        self.now_ns = 0
        self.event_instrument = 0
        self.ref_price = 0.0
        self.fixed_equity: float | None = broker.config.capital
        """The equity of the event being handled; None: the broker's equity now (a replay that keeps them equal)."""
        self.timers: list[tuple[int, int, str]] = []
        self._timer_seq = 0
        self.deferred: list[tuple[str, Any]] = []
        self.halted = False

    # --- engine side ---------------------------------------------------------------------------
    @property
    def event_equity(self) -> float:
        """The equity of the event being handled: what its orders are sized with."""
        equity = self.fixed_equity
        return self.broker.equity() if equity is None else equity

    def hook(self, name: str) -> Callable[[Any], Any]:
        """The strategy's bound hook ``name``."""
        return getattr(self.strategy, name)  # type: ignore[no-any-return]

    def market_hook(self, name: str) -> tuple[Callable[[Any], Any], IndicatorBoard | None]:
        """The market hook ``name`` for a replay of whole chunks, and the board that reads its indicators ahead.

        With a board, the replay sets ``self.indicators`` from ``board.ahead`` before each call (the
        hook updates none itself); without, the hook is ``hook(name)``.
        """
        reading_ahead = hook_reading_ahead(self.strategy, name)
        if reading_ahead is None:
            return self.hook(name), None
        return reading_ahead, board_of(self.strategy)

    def run_start(self) -> None:
        """Run ``on_start``."""
        self._call(self.strategy.on_start, None, "on_start")

    def run_stop(self) -> None:
        """Run ``on_stop``."""
        self._call(self.strategy.on_stop, None, "on_stop")

    def halt(self) -> None:
        """Call the strategy no more (except ``on_stop``); events it was still due are dropped."""
        self.halted = True
        self.deferred = []
        self.timers.clear()  # in place: the replay loops hold this list
        self.broker.new_fills = []

    def handle(self, hook: Callable[[Any], Any], event: Any, now: int, k: int, ref: float, equity: float) -> None:
        """Call ``hook(event)`` with the context set to the event; then deliver deferred events."""
        self.now_ns, self.event_instrument, self.ref_price, self.fixed_equity = now, k, ref, equity
        try:
            returned = hook(event)
        except StrategyError:
            raise
        except Exception as error:  # user code: any exception becomes a StrategyError
            raise StrategyError(self.name, hook.__name__, event, error) from error
        if returned is not None or self.deferred:
            self.after_hook(returned, hook.__name__, event)

    def after_hook(self, returned: Any, hook: str, event: Any) -> None:
        """Submit what a hook returned and deliver the rejections and cancels it caused."""
        if returned is not None:
            self._submit_returned(returned, hook, event)
        if self.deferred:
            self._flush()

    def deliver_fills(self, ts: int) -> None:
        """Call ``on_order_filled`` for the fills of the event just matched (``SimulatedBroker.new_fills``)."""
        fills, self.broker.new_fills = self.broker.new_fills, []
        if self.halted or not fills:
            return
        hook = self.strategy.on_order_filled
        if getattr(hook, "__func__", None) is Strategy.on_order_filled:  # nobody listens: the context as if called
            w, _, price, _, _, _ = fills[-1]
            self.now_ns, self.event_instrument, self.ref_price = ts, w.inst, price
            self.fixed_equity = self.broker.equity()
            return
        for w, qty, price, fee, maker, done in fills:
            if done:  # the broker leaves the Order of a completed fill to the delivery
                w.order = w.order.with_fill(qty, price)
            order = w.order
            fill = Fill(ts=ts, order_id=order.order_id, client_order_id=order.client_order_id, symbol=order.symbol,
                        side=Side(w.side), qty=qty, price=price, fee=fee,
                        liquidity=Liquidity.MAKER if maker else Liquidity.TAKER)
            self.handle(hook, OrderFilled(ts, order, fill), ts, w.inst, price, self.broker.equity())

    def fire_timers(self, ts: int) -> None:
        """Call ``on_timer`` for every timer due at or before ``ts``."""
        while self.timers and self.timers[0][0] <= ts:
            at, _, name = heapq.heappop(self.timers)
            event = TimerFired(at, name)
            self.handle(self.strategy.on_timer, event, at, self.event_instrument, self.ref_price, self.broker.equity())

    def _call(self, fn: Callable[[], Any], event: Any, hook: str) -> None:
        try:
            fn()
        except Exception as error:  # user code: any exception becomes a StrategyError
            raise StrategyError(self.name, hook, event, error) from error
        if self.deferred:
            self._flush()

    def _submit_returned(self, returned: Any, hook: str, event: Any) -> None:
        intents = returned if isinstance(returned, list | tuple) else [returned]
        for intent in intents:
            if not isinstance(intent, OrderIntent):
                raise StrategyError(
                    self.name, hook, event,
                    f"returned {returned!r}; hooks return None, an OrderIntent or a list of them",
                )
        for intent in intents:
            self._submit(intent)

    def _flush(self) -> None:
        if self.halted:
            self.deferred = []
            return
        for _ in range(_MAX_ROUNDS):
            deferred, self.deferred = self.deferred, []
            for kind, event in deferred:
                hook = self.strategy.on_order_rejected if kind == "rejected" else self.strategy.on_order_canceled
                self.handle(hook, event, self.now_ns, self.event_instrument, self.ref_price, self.event_equity)
            if not self.deferred:
                return
        raise StrategyError(self.name, "on_order_rejected", None, "keeps submitting orders that are rejected")

    def _submit(self, intent: OrderIntent) -> str:
        if intent.symbol not in self.broker.index:
            known = list(self._symbols)
            raise StrategyError(self.name, "order", intent, f"unknown symbol {intent.symbol!r}; trading {known}")
        k = self.broker.index[intent.symbol]
        ref = self.ref_price if k == self.event_instrument else self.broker.last[k]
        order, refused = self.broker.submit(intent, self.now_ns, ref, self.event_equity)
        if refused is not None:
            self.deferred.append(("rejected", rejected_event(self.now_ns, intent, refused)))
        return order.client_order_id

    def _cancel_events(self, canceled: list[Working]) -> None:
        for w in canceled:
            self.deferred.append(("canceled", OrderCanceled(self.now_ns, w.order)))

    def _symbol(self, symbol: str | None) -> str:
        return self._symbols[self.event_instrument] if symbol is None else symbol

    # --- StrategyContext -----------------------------------------------------------------------
    @property
    def symbols(self) -> Sequence[str]:
        """Symbols this strategy trades."""
        return self._symbols

    def now(self) -> int:
        """Current replay time in ns."""
        return self.now_ns

    def position(self, symbol: str | None = None) -> float:
        """Signed position in ``symbol`` (default: the event's)."""
        return self._positions[self.event_instrument if symbol is None else self._index[symbol]]

    def cash(self) -> float:
        """Cash."""
        return self.broker.balance

    def equity(self) -> float:
        """Cash plus positions at last prices."""
        return self.broker.equity()

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Working orders (of ``symbol``)."""
        k = None if symbol is None else self.broker.index[symbol]
        return [w.order for w in self.broker.working if k is None or w.inst == k]

    def buy(self, qty: float | None = None, symbol: str | None = None, tag: str = "") -> str:
        """Market buy."""
        return self._submit(OrderIntent(self._symbol(symbol), Side.BUY, qty, tag=tag))

    def sell(self, qty: float | None = None, symbol: str | None = None, tag: str = "") -> str:
        """Market sell."""
        return self._submit(OrderIntent(self._symbol(symbol), Side.SELL, qty, tag=tag))

    def limit(self, side: Side, qty: float | None, price: float, symbol: str | None = None, tag: str = "") -> str:
        """Limit order."""
        intent = OrderIntent(self._symbol(symbol), Side(side), qty, OrderType.LIMIT, limit_price=price, tag=tag)
        return self._submit(intent)

    def stop(self, side: Side, qty: float | None, price: float, symbol: str | None = None, tag: str = "") -> str:
        """Stop order."""
        intent = OrderIntent(self._symbol(symbol), Side(side), qty, OrderType.STOP, stop_price=price, tag=tag)
        return self._submit(intent)

    def close(self, symbol: str | None = None, tag: str = "") -> str | None:
        """Market order flattening the position; None when flat."""
        position = self.position(symbol)
        if position == 0.0:
            return None
        side = Side.SELL if position > 0 else Side.BUY
        return self._submit(OrderIntent(self._symbol(symbol), side, abs(position), tag=tag))

    def cancel(self, client_order_id: str) -> bool:
        """Cancel one working order."""
        w = self.broker.cancel(client_order_id)
        if w is not None:
            self._cancel_events([w])
        return w is not None

    def cancel_all(self, symbol: str | None = None) -> int:
        """Cancel working orders (of ``symbol``, default: the event's)."""
        canceled = self.broker.cancel_all(self.broker.index[self._symbol(symbol)])
        self._cancel_events(canceled)
        return len(canceled)

    def set_timer(self, at_ns: int, name: str) -> None:
        """Fire ``on_timer`` at ``at_ns``."""
        self._timer_seq += 1
        heapq.heappush(self.timers, (at_ns, self._timer_seq, name))
