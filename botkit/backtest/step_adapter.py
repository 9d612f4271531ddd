"""The one adapter between a compiled step and an engine that calls it from Python, one event at a time.

The replay kernels (``_nb.py``) call a strategy's compiled step inside their loops; the live engine
calls the very same numba function once per event, from Python, through this module. Both keep one
convention, so a step cannot tell them apart:

- **state**: ``CompiledStep.new_state``, one float64 row per instrument (the symbol's index in the
  run's symbol list), engine slots first. Before each call the engine writes the symbol's position,
  the cash, the equity (cash plus positions at their marks, this event's price included) and the
  symbol's working orders, all after this event's fills. ``SLOT_REJECTED`` counts the step's refused
  intents; it grows when a refusal is known (in a backtest at once, live when ``on_order_rejected``
  arrives). Fills reach the step only through these slots.
- **event**: a ``BarRecord``, ``TradeRecord`` or ``QuoteRecord`` with the single-instrument kernels'
  field types (``ts`` and ``instrument`` int64, a trade's ``side`` int8), so the step runs the
  specialization the backtester compiled.
- **result**: ``(action, side, qty, price)``, judged by the kernels' own ``valid_intent_nb`` and decoded
  by their ``decode_action_nb``, compiled for the step's return types. At most one order per event,
  after a cancel of the symbol's working orders if the action asks for one; ``qty`` NaN leaves the
  quantity to the sizing rule; ``price`` is the limit or stop price.

The step and both helpers are compiled (or loaded from numba's cache) once per process and record
kind by ``prepare_step``; the event path calls their entry points and never compiles.
``CompiledStepStrategy`` runs a step as a ``Strategy`` through any ``StrategyContext`` (the live
host's or the backtester's Python path), so its orders take the same sizing and risk path as hooks'.
This is the seam a later redesign of steps (declared indicators) keeps: ``prepare_step``,
``StepAdapter.on_event`` and ``StepAdapter.rejected``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, NamedTuple, cast

import numpy as np
from numba import typeof, types
from numba.core.errors import NumbaError

from botkit.backtest import _nb
from botkit.backtest._enums import (
    ACTION_MAX,
    ACTION_NONE,
    ORDER_LIMIT,
    ORDER_MARKET,
    ORDER_NONE,
    ORDER_STOP,
    SLOT_CASH,
    SLOT_EQUITY,
    SLOT_POSITION,
    SLOT_REJECTED,
    SLOT_WORKING,
    BarRecord,
    QuoteRecord,
    TradeRecord,
)
from botkit.backtest._kernel_cache import enable_step_cache
from botkit.core.errors import ConfigError, StrategyError
from botkit.model.enums import OrderType, Side
from botkit.model.events import Bar, Quote, Trade
from botkit.model.order_events import OrderRejected
from botkit.model.orders import OrderIntent
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.compiled import CompiledStep

INVALID_INTENT = (
    f"returned an invalid intent: action must be 0..{ACTION_MAX}, side +1 or -1, qty NaN or a finite number "
    "> 0, price a finite number > 0 for limit and stop orders"
)
"""Why a step's result was refused (the backtester's message too)."""
PROTOCOL = "the compiled step does not fit the protocol step(state, event, params) -> (action, side, qty, price)"
"""Why a step failed to compile for a record kind (the backtester's message too)."""

StepEvent = Bar | Trade | Quote
_SAMPLES: dict[str, tuple[Any, ...]] = {
    "bars": BarRecord(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0),
    "trades": TradeRecord(0, 0, 0.0, 0.0, np.int8(1)),
    "quotes": QuoteRecord(0, 0, 0.0, 0.0, 0.0, 0.0),
}
KINDS = tuple(_SAMPLES)
"""The record kinds a step can be prepared for: ``bars``, ``trades``, ``quotes``."""
_EVENT_TYPES: dict[str, type] = {"bars": Bar, "trades": Trade, "quotes": Quote}
_EVENT_KINDS = {event_type: kind for kind, event_type in _EVENT_TYPES.items()}
_ORDER_TYPES = {ORDER_MARKET: OrderType.MARKET, ORDER_LIMIT: OrderType.LIMIT, ORDER_STOP: OrderType.STOP}
_ROW = types.float64[::1]


class StepEntry(NamedTuple):
    """A step compiled for one record kind, with the kernels' intent helpers compiled for its result."""

    call: Callable[..., tuple[Any, Any, Any, Any]]
    valid: Callable[..., bool]
    decode: Callable[..., tuple[bool, int]]


class StepDecision(NamedTuple):
    """What one call of a step asks for: cancel the symbol's working orders first, then ``intent`` if any."""

    cancel_all: bool
    intent: OrderIntent | None


_prepared: dict[tuple[Any, str], StepEntry] = {}


def prepare_step(step: Any, kind: str, strategy_name: str) -> StepEntry:
    """``step`` compiled for ``kind`` records, once per process; a step that does not fit is a StrategyError."""
    key = (step, kind)
    entry = _prepared.get(key)
    if entry is None:
        entry = _prepared[key] = _compile(step, kind, strategy_name)
    return entry


def _compile(step: Any, kind: str, strategy_name: str) -> StepEntry:
    _check_kind(kind)
    if getattr(step, "botkit_source", None) is not None:  # a declared step: botkit's wrapper, cached on the user's
        enable_step_cache(step, step, variant="declared")
    args = (_ROW, typeof(_SAMPLES[kind]), _ROW)
    try:
        call = step.compile(args)
        result = step.overloads[args].signature.return_type
        fields = tuple(getattr(result, "types", ()))
        if len(fields) != 4:
            raise StrategyError(strategy_name, "compiled_step", f"{kind} record",
                                f"{PROTOCOL}: it returns {result}, not a tuple of four")
        valid = _nb.valid_intent_nb.compile(fields)
        decode = _nb.decode_action_nb.compile(fields[:1])
    except NumbaError as error:
        raise StrategyError(strategy_name, "compiled_step", f"{kind} record",
                            f"{PROTOCOL}: {numba_reason(error)}") from error
    return StepEntry(call, valid, decode)


def numba_reason(error: NumbaError) -> str:
    """The line of a numba error that says what is wrong, and where (colours and pipeline names dropped)."""
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(error)).splitlines()]
    lines = [line for line in lines if line and not line.startswith(("Failed in ", "During: "))]
    if not lines:
        return type(error).__name__
    where = next((line.rstrip(":") for line in lines[1:] if line.startswith("File ")), None)
    return lines[0] if where is None else f"{lines[0]} ({where})"


class StepAdapter:
    """One compiled step and its state, called from Python one event at a time (see the module docstring)."""

    def __init__(self, compiled: CompiledStep, symbols: Sequence[str], kinds: Iterable[str],
                 strategy_name: str) -> None:
        self.compiled = compiled
        self.strategy_name = strategy_name
        self.params = np.ascontiguousarray(compiled.params, dtype=np.float64)
        self.n_instruments = len(symbols)
        self.state = compiled.new_state(self.n_instruments)
        self._rows = list(self.state)  # one view per instrument, made once
        self.symbols = list(symbols)
        self._entries = {_EVENT_TYPES[_check_kind(kind)]: prepare_step(compiled.step, kind, strategy_name)
                         for kind in kinds}

    def reset(self) -> None:
        """Fresh state: engine slots zero, user slots at the step's initial values."""
        self.state = self.compiled.new_state(self.n_instruments)
        self._rows = list(self.state)

    def on_event(self, event: StepEvent, k: int, position: float, cash: float, equity: float,
                 working: int) -> StepDecision | None:
        """Write the engine slots of row ``k``, call the step on ``event`` and decode its result (None: no action)."""
        entry = self._entries.get(type(event))
        if entry is None:
            raise StrategyError(self.strategy_name, "compiled_step", event,
                                f"not prepared for {_EVENT_KINDS.get(type(event), type(event).__name__)} "
                                f"(prepared: {sorted(_EVENT_KINDS[t] for t in self._entries)})")
        row = self._rows[k]
        row[SLOT_POSITION] = position
        row[SLOT_CASH] = cash
        row[SLOT_EQUITY] = equity
        row[SLOT_WORKING] = working
        result = entry.call(row, _record(event, k), self.params)
        if result[0] == ACTION_NONE:
            return None
        return self.decode(entry, result, self.symbols[k], event)

    def decode(self, entry: StepEntry, result: tuple[Any, Any, Any, Any], symbol: str,
               event: object) -> StepDecision:
        """What ``result`` asks for, judged and decoded as the kernels do; an invalid one is a StrategyError."""
        action, side, qty, price = result
        if not entry.valid(action, side, qty, price):
            raise StrategyError(self.strategy_name, "compiled_step", event, f"{INVALID_INTENT}; got {result!r}")
        cancel_first, order_type = entry.decode(action)
        if order_type == ORDER_NONE:
            return StepDecision(bool(cancel_first), None)
        kind = _ORDER_TYPES[order_type]
        level = float(price)
        intent = OrderIntent(
            symbol, Side(int(side)), None if math.isnan(qty) else float(qty), kind,
            limit_price=level if kind is OrderType.LIMIT else None,
            stop_price=level if kind is OrderType.STOP else None,
        )
        return StepDecision(bool(cancel_first), intent)

    def rejected(self, k: int) -> None:
        """One of the step's intents for instrument ``k`` was refused: the step sees it in ``SLOT_REJECTED``."""
        self.state[k, SLOT_REJECTED] += 1.0


def _check_kind(kind: str) -> str:
    if kind not in _EVENT_TYPES:
        raise ValueError(f"record kind must be one of {KINDS}, got {kind!r}")
    return kind


def _record(event: StepEvent, k: int) -> tuple[Any, ...]:
    """The record the kernels build for ``event`` of instrument ``k`` (the entry point unboxes the field types).

    ``tuple.__new__`` makes the named tuple without its Python-level ``__new__`` (a third of the cost).
    """
    if type(event) is Bar:
        return _new(BarRecord, (event.ts, k, event.open, event.high, event.low, event.close, event.volume))
    if type(event) is Quote:
        return _new(QuoteRecord, (event.ts, k, event.bid, event.bid_size, event.ask, event.ask_size))
    return _new(TradeRecord, (event.ts, k, event.price, event.size, event.side))


_new = tuple.__new__


def has_compiled_form(cls: type[Strategy[Any]]) -> bool:
    """Whether ``cls`` has a compiled step: a declared ``step`` or its own ``compiled_step``."""
    return cls.step is not None or getattr(cls.compiled_step, "__func__", None) is not Strategy.compiled_step.__func__


def python_form(cls: type[Strategy[Any]], kind: str) -> type[Strategy[Any]]:
    """The class an engine calling hooks from Python runs for ``kind`` events.

    ``cls`` itself when it has Python market hooks (or no compiled step, or ``kind`` is one no step
    reads); a strategy written only as a compiled step runs that step through ``CompiledStepStrategy``.
    """
    if cls.has_hooks() or not has_compiled_form(cls):
        return cls
    if kind not in _EVENT_TYPES:
        raise ConfigError(f"strategy {cls.__name__} is written only as a compiled step, which reads "
                          f"{', '.join(KINDS)}; it cannot run on {kind}")
    return _adapter_class(cls, (kind,))


@functools.cache
def _adapter_class(cls: type[Strategy[Any]], kinds: tuple[str, ...]) -> type[CompiledStepStrategy]:
    return CompiledStepStrategy.of(cls, kinds)


class CompiledStepStrategy(Strategy[StrategyParams]):
    """A strategy's compiled step run as a ``Strategy``: each market hook calls the step once.

    ``CompiledStepStrategy.of(SmaCross, ("bars",))`` is a class a host instantiates like ``SmaCross``
    (same ``Params``, same name in logs and errors). Its hooks fill the engine slots from the context
    (``position``, ``cash``, ``equity``, ``open_orders``), then act through the context as a Python
    hook would: ``ctx.cancel_all`` when the step asks, then ``ctx.buy``/``sell``/``limit``/``stop``,
    so the host sizes, risk-checks and sends the order like any hook's. ``on_order_rejected`` counts
    the refusal into the step's ``SLOT_REJECTED``.
    """

    source: ClassVar[type[Strategy[Any]]]
    kinds: ClassVar[tuple[str, ...]]

    @classmethod
    def of(cls, source: type[Strategy[Any]], kinds: Iterable[str]) -> type[CompiledStepStrategy]:
        """The class that runs ``source``'s compiled step on ``kinds`` records (``bars``, ``trades``, ``quotes``)."""
        kinds = tuple(kinds)
        for kind in kinds:
            _check_kind(kind)
        namespace = {"source": source, "kinds": kinds, "Params": source.Params, "__module__": __name__,
                     "__doc__": f"The compiled step of {source.__qualname__}, on {', '.join(kinds)}."}
        return cast("type[CompiledStepStrategy]", type(f"{source.__name__}CompiledStep", (cls,), namespace))

    adapter: StepAdapter

    @property
    def name(self) -> str:
        """The source strategy's name."""
        return self.source.__name__

    def on_start(self) -> None:
        """The step's fresh state, one row per symbol of the context (compiled already if ``prepare_step`` ran)."""
        compiled = self.source.compiled_step(self.params)
        if compiled is None:
            raise StrategyError(self.name, "compiled_step", self.params, "returned None: there is no compiled form")
        symbols = self.ctx.symbols
        self.adapter = StepAdapter(compiled, symbols, self.kinds, self.name)
        self._index = {symbol: k for k, symbol in enumerate(symbols)}

    def on_bar(self, bar: Bar) -> None:
        """Call the step on the bar."""
        self._step(bar, bar.symbol)

    def on_trade(self, trade: Trade) -> None:
        """Call the step on the trade."""
        self._step(trade, trade.symbol)

    def on_quote(self, quote: Quote) -> None:
        """Call the step on the quote."""
        self._step(quote, quote.symbol)

    def on_order_rejected(self, event: OrderRejected) -> None:
        """A refused intent: counted where the step sees it."""
        k = self._index.get(event.intent.symbol)
        if k is not None:
            self.adapter.rejected(k)

    def _step(self, event: StepEvent, symbol: str) -> None:
        ctx = self.ctx
        decision = self.adapter.on_event(event, self._index[symbol], ctx.position(symbol), ctx.cash(), ctx.equity(),
                                         len(ctx.open_orders(symbol)))
        if decision is None:
            return
        if decision.cancel_all:
            ctx.cancel_all(symbol)
        intent = decision.intent
        if intent is None:
            return
        if intent.order_type is OrderType.LIMIT:
            ctx.limit(intent.side, intent.qty, intent.limit_price or 0.0, symbol)
        elif intent.order_type is OrderType.STOP:
            ctx.stop(intent.side, intent.qty, intent.stop_price or 0.0, symbol)
        elif intent.side is Side.BUY:
            ctx.buy(intent.qty, symbol)
        else:
            ctx.sell(intent.qty, symbol)
