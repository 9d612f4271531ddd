"""Declared strategies: a step that is only the decision, and hooks that read botkit's indicators.

A strategy class that declares ``indicators`` (and, for speed, a ``step``) gets from here:

- **its compiled form**: ``declared_compiled_step(cls, params)`` wraps the user's
  ``step(state, event, params, ind)`` in a step of the engines' protocol ``(state, event, params)``
  that first updates the indicators in the state row (``_indicators_nb.update_indicators_nb``),
  then calls the user's step with the params as a named tuple (``cls.StepParams``: the numeric
  fields of ``cls.Params``, None as NaN) and the readings as a named tuple (``cls.Indicators``).
  The backtest kernels, a sweep and the live step adapter all call this one wrapper, so the
  indicators are updated per event by the same code everywhere;
- **its Python hooks' readings**: ``self.indicators.fast`` inside ``on_bar``/``on_trade``/``on_quote``
  is the symbol's reading after this event, updated before the hook by the same kernel: per event
  live, a chunk of events at once in the backtester's Python path (``hook_reading_ahead``).

``declare(cls)`` (called by ``Strategy.__init_subclass__``) checks the declaration and makes those
classes when the strategy class is created, so numba can cache steps compiled for them.
"""

from __future__ import annotations

import functools
import itertools
import keyword
import operator
import types as pytypes
import typing
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numba as nb
import numpy as np
from numba import types
from numba.extending import overload

from botkit.model.events import Bar, Quote, Trade
from botkit.model.records import FIRST_USER_SLOT, BarRecord, QuoteRecord, TradeRecord
from botkit.strategy import _indicators_nb as nbi
from botkit.strategy import indicators
from botkit.strategy.compiled import CompiledStep
from botkit.strategy.indicator_layout import layout, output_pairs, plan
from botkit.strategy.indicators import Indicator, Reading, declared_of, readings

MARKET_HOOKS = ("on_bar", "on_trade", "on_quote")
"""The hooks before which botkit updates declared indicators (the events a compiled step reads)."""
_BOARD = "_botkit_indicator_board"
_UPDATE = "_botkit_indicator_update"
SOURCE_FILES = (__file__, str(Path(__file__).with_name("declared_carried.py")), nbi.__file__, indicators.__file__)
"""The files whose code a declared step runs (a cache of kernels built around it keys on them)."""


def declare(cls: type[Any]) -> None:
    """Check ``cls``'s declared indicators and step and make what they need (see the module docstring)."""
    own = cls.__dict__.get("indicators")
    if isinstance(own, Mapping):
        _check_declaration(cls, own)
        cls.indicators = IndicatorsAttribute(own)
    declared = declared_of(cls)
    step = getattr(cls, "step", None)
    if step is not None and not hasattr(step, "py_func"):
        raise TypeError(f"{cls.__name__}.step must be a @numba.njit function step(state, event, params, ind), "
                        f"got {step!r}")
    if declared or step is not None:
        if not isinstance(cls.state_size, int) or cls.state_size < 0:
            raise TypeError(f"{cls.__name__}.state_size must be an int >= 0, got {cls.state_size!r}")
        cls.StepParams = _params_class(cls)
        cls.Indicators = _view_class(cls, declared)
    if declared:
        for name in MARKET_HOOKS:
            hook = cls.__dict__.get(name)
            if hook is not None and not getattr(hook, "updates_indicators", False):
                setattr(cls, name, _with_indicators(hook))


def _check_declaration(cls: type[Any], declared: Mapping[str, Any]) -> None:
    fields = cls.Params.model_fields
    for name, indicator in declared.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise TypeError(f"{cls.__name__}.indicators: name {name!r} must be a Python identifier (no leading _)")
        if not isinstance(indicator, Indicator):
            raise TypeError(f"{cls.__name__}.indicators[{name!r}] must be an indicator (SMA, EMA, …), "
                            f"got {indicator!r}")
        for field in indicator.fields():
            if field not in fields:
                raise TypeError(f"{cls.__name__}.indicators[{name!r}] reads params.{field}, which "
                                f"{cls.Params.__name__} does not have (fields: {sorted(fields)})")


class IndicatorsAttribute:
    """``Strategy.indicators``: the declarations on the class, the current event's readings on an instance."""

    def __init__(self, declared: Mapping[str, Indicator]) -> None:
        self.declared = pytypes.MappingProxyType(dict(declared))

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self.declared
        return board_of(instance).current()


def board_of(strategy: Any) -> IndicatorBoard:
    """The strategy instance's indicator board, made on first use."""
    board = strategy.__dict__.get(_BOARD)
    if board is None:
        board = strategy.__dict__[_BOARD] = IndicatorBoard(type(strategy), strategy.params)
    return board


def _with_indicators(hook: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    @functools.wraps(hook)
    def updated_first(self: Any, event: Any) -> Any:
        state = self.__dict__
        update = state.get(_UPDATE)
        if update is None:
            update = state[_UPDATE] = board_of(self).update
        # the readings go in the instance's own ``indicators`` (shadowing the class's declarations)
        state["indicators"] = update(event)
        return hook(self, event)

    updated_first.updates_indicators = True
    return updated_first


def hook_reading_ahead(strategy: Any, name: str) -> Callable[[Any], Any] | None:
    """``strategy``'s hook ``name`` without botkit's update before it; None if it updates no indicators.

    For an engine that sets ``strategy.__dict__["indicators"]`` itself before each call, from
    ``IndicatorBoard.ahead``. A hook the hook calls that would update (an overridden parent's,
    through ``super()``) finds the readings in place, whatever event it is given.
    """
    func = getattr(type(strategy), name, None)
    if not getattr(func, "updates_indicators", False) or name in strategy.__dict__:
        return None
    state = strategy.__dict__
    state[_UPDATE] = functools.partial(_handed, strategy)
    board_of(strategy)._handed_to = state
    return func.__wrapped__.__get__(strategy)  # type: ignore[union-attr]


def _handed(strategy: Any, event: Any) -> Any:
    return strategy.indicators


_UPDATE_SIG = (types.float64[::1], types.float64[::1], types.int64, types.int64, *([types.float64] * 5))


class IndicatorBoard:
    """A Python strategy's declared indicators: one state row per symbol, updated by the kernels.

    ``update(event)`` runs the same numba update a compiled step runs (once per event object, however
    many hooks see it) and returns the readings of that event's symbol; ``current()`` is them again,
    ``of(symbol)`` any symbol's. ``ahead`` updates for a whole chunk of events at once and hands
    their readings one by one; ``current`` and ``of`` then answer as of the last reading handed.
    """

    def __init__(self, cls: type[Any], params: Any) -> None:
        declared = declared_of(cls)
        self._layout = layout(declared, params, 0)
        self._spec = self._layout.spec
        self._n = self._layout.n_rows
        self._n_values = 2 * self._layout.n_outputs
        self._read = _reader(cls.Indicators, _output_slots(declared, 0))
        self._update = nbi.update_indicators_nb.compile(_UPDATE_SIG)
        self._rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # symbol: (state row, its outputs' view)
        self._event: Any = None
        self._symbol: str | None = None
        self._row = self._layout.initial
        self._outputs = self._row[: self._n_values]
        self._current = self._read(self._outputs.tolist())
        self._view, self._slots = cls.Indicators, _output_slots(declared, 0)
        self._ahead: dict[str, tuple[np.ndarray, np.ndarray, Iterator[float]]] = {}  # symbol: chunk's pairs, ...
        self._handed_to: dict[str, Any] | None = None  # the strategy's attributes, where ``ahead``'s readings go

    def update(self, event: Bar | Trade | Quote) -> Any:
        """Feed ``event`` to its symbol's indicators (a second call with the same event does nothing)."""
        if event is self._event:
            return self._current
        if event.symbol is not self._symbol:
            rows = self._rows.get(event.symbol)
            if rows is None:
                row = self._layout.initial.copy()
                rows = self._rows[event.symbol] = (row, row[: self._n_values])
            self._symbol, (self._row, self._outputs) = event.symbol, rows
        self._update(self._row, self._spec, 0, self._n, *event_inputs(event))
        self._event = event
        self._current = current = self._read(self._outputs.tolist())
        return current

    def current(self) -> Any:
        """The readings of the last event's symbol (all cold before the first event)."""
        if self._handed_to is not None:
            return self._handed_to.get("indicators", self._current)
        return self._current

    def of(self, symbol: str) -> Any:
        """The readings of ``symbol`` (all cold before its first event)."""
        ahead = self._ahead.get(symbol)
        if ahead is not None:  # the chunk's pairs, the row's before them, and how many were taken
            pairs, before, taken = ahead
            n = len(pairs) - operator.length_hint(taken)
            return self._read((pairs[n - 1] if n else before).tolist())
        rows = self._rows.get(symbol)
        return self._read((rows[1] if rows is not None else self._layout.initial[: self._n_values]).tolist())

    def ahead(self, symbols: Sequence[str], inst: np.ndarray | None, inputs: Sequence[np.ndarray]) -> Iterator[Any]:
        """The readings after each event of a chunk, for an engine that replays the chunk from Python.

        ``inputs`` are the events' ``record_inputs``, ``inst`` their indices into ``symbols`` (None:
        all ``symbols[0]``). Each symbol's row moves past the chunk at once (indicators read market
        data only); the readings are made as they are taken, one per event, in the chunk's order.
        """
        if inst is None:
            return self._ahead_of(symbols[0], inputs)
        per_symbol: list[Iterator[Any] | None] = [None] * len(symbols)
        for k in np.unique(inst).tolist():
            at = np.flatnonzero(inst == k)
            per_symbol[k] = self._ahead_of(symbols[k], [x[at] for x in inputs])
        return map(next, map(per_symbol.__getitem__, inst.tolist()))  # type: ignore[arg-type]

    def _ahead_of(self, symbol: str, inputs: Sequence[np.ndarray]) -> Iterator[Any]:
        rows = self._rows.get(symbol)
        if rows is None:
            row = self._layout.initial.copy()
            rows = self._rows[symbol] = (row, row[: self._n_values])
        before = rows[1].copy()
        pairs = output_pairs(self._layout, rows[0], inputs)
        values = pairs[:, 0::2].T.tolist()
        first = pairs[0].tolist() if len(pairs) else []
        columns: list[Any] = []
        for j, value in enumerate(values):  # an event's previous is the value of the one before it
            columns += [value, [first[2 * j + 1], *value[:-1]] if value else []]
        taken = columns[0] = iter(columns[0])
        ready = (pairs[:, 0::2] == pairs[:, 0::2]).T.tolist()
        self._ahead[symbol] = (pairs, before, taken)
        return _views(self._view, self._slots, columns, ready)


def _reader(view: type, outputs: list[tuple[int, type]]) -> Callable[[list[float]], Any]:
    """A function building ``view`` from a row's output values, written out for its outputs (a hook's hot path).

    ``tuple.__new__`` makes each named tuple without its Python-level ``__new__``.
    """
    def reading(start: int) -> str:
        return f"new(Reading, (v[{start}], v[{start + 1}], v[{start}] == v[{start}]))"

    parts = []
    names: dict[str, Any] = {"new": tuple.__new__, "Reading": Reading, "View": view}
    for start, output in outputs:
        if output is Reading:
            parts.append(reading(start))
        else:
            names[output.__name__] = output
            inner = ", ".join(reading(start + 2 * j) for j in range(len(output._fields)))
            parts.append(f"new({output.__name__}, ({inner},))")
    return _generated("v", f"new(View, ({', '.join(parts)},))", names)  # type: ignore[return-value]


def _views(view: type, outputs: list[tuple[int, type]], columns: list[Any], ready: list[Any]) -> Iterator[Any]:
    """``view``s of a chunk's (value, previous) columns and ready columns, each made as it is taken.

    Every object is made by C iterators (``map``/``zip``), with ``tuple.__new__`` as ``_reader`` does.
    """
    def made(kind: type, fields: Iterator[tuple[Any, ...]]) -> Iterator[Any]:
        return map(tuple.__new__, itertools.repeat(kind), fields)

    def reading(j: int) -> Iterator[Any]:
        return made(Reading, zip(columns[2 * j], columns[2 * j + 1], ready[j], strict=True))

    parts = []
    for start, output in outputs:
        inner = [reading(start // 2 + j) for j in range(1 if output is Reading else len(output._fields))]
        parts.append(inner[0] if output is Reading else made(output, zip(*inner, strict=True)))
    return made(view, zip(*parts, strict=True))


def _output_slots(declared: Mapping[str, Indicator], base: int) -> list[tuple[int, type]]:
    slots, at = [], base
    for indicator in declared.values():
        slots.append((at, indicator.output))
        at += 2 * (len(indicator.output._fields) if indicator.output is not Reading else 1)
    return slots


def event_inputs(event: Any) -> tuple[float, float, float, float, float]:
    """(open, high, low, close, volume) of a Bar, Trade or Quote (or their records), as the kernels read them."""
    kind = type(event)
    if kind is Bar:  # the hooks' hot path: exact types first, then the records and subclasses
        return event.open, event.high, event.low, event.close, event.volume
    if kind is Quote:
        mid = (event.bid + event.ask) / 2.0
        return mid, mid, mid, mid, np.nan
    if isinstance(event, Bar | BarRecord):
        return event.open, event.high, event.low, event.close, event.volume
    if isinstance(event, Trade | TradeRecord):
        return event.price, event.price, event.price, event.price, event.size
    mid = (event.bid + event.ask) / 2.0
    return mid, mid, mid, mid, np.nan


@overload(event_inputs)
def _event_inputs_overload(event):  # noqa: ANN001, ANN202 - numba matches the signature of event_inputs
    kind = getattr(event, "instance_class", None)
    if kind is BarRecord:
        return lambda event: (event.open, event.high, event.low, event.close, event.volume)
    if kind is TradeRecord:
        return lambda event: (event.price, event.price, event.price, event.price, event.size)
    if kind is QuoteRecord:
        return lambda event: _quote_inputs(event.bid, event.ask)
    return None


@nb.njit(cache=True)
def _quote_inputs(bid, ask):  # noqa: ANN001, ANN202 - numba
    mid = (bid + ask) / 2.0
    return mid, mid, mid, mid, np.nan


# --- the named tuples a declared step receives ----------------------------------------------------


def numeric_fields(params_model: Any) -> tuple[str, ...]:
    """The fields of a params model a compiled step can read: int, float, bool, optionally None."""
    names = []
    for name, field in params_model.model_fields.items():
        kinds = [t for t in (typing.get_args(field.annotation) or (field.annotation,)) if t is not type(None)]
        if kinds and all(t in (int, float, bool) for t in kinds):
            names.append(name)
    return tuple(names)


def step_param_values(cls: type[Any], params: Any) -> np.ndarray:
    """``params`` as the float64 values of ``cls.StepParams`` (None as NaN)."""
    fields = cls.StepParams._fields
    return np.array([np.nan if getattr(params, f) is None else float(getattr(params, f)) for f in fields])


def _params_class(cls: type[Any]) -> type:
    params_cls = namedtuple(f"{cls.__name__}StepParams", numeric_fields(cls.Params))  # type: ignore[misc]
    return _nested_in(cls, params_cls, "StepParams")


def _view_class(cls: type[Any], declared: Mapping[str, Indicator]) -> type:
    view = namedtuple(f"{cls.__name__}Indicators", list(declared))  # type: ignore[misc]
    view._botkit_outputs = tuple(_output_slots(declared, FIRST_USER_SLOT + getattr(cls, "state_size", 0)))
    view._botkit_updates = tuple(_update_code(declared, FIRST_USER_SLOT + getattr(cls, "state_size", 0)))
    view._botkit_rows = len(plan(list(declared.values()), 0)[0])
    return _nested_in(cls, view, "Indicators")


_INPUT_NAMES = {nbi.OPEN: "o", nbi.HIGH: "h", nbi.LOW: "lo", nbi.CLOSE: "c", nbi.VOLUME: "v"}


def _update_code(declared: Mapping[str, Indicator], out_base: int) -> list[str]:
    """The lines of ``update_declared`` for ``declared``: kernel calls with the plan's fixed slots as constants."""
    rows, _ = plan(list(declared.values()), out_base)
    lines = []
    for j, row in enumerate(rows):
        b = f"at + {j * nbi.SPEC_COLS}"
        h = j if row.kind == nbi.HISTORY else row.history
        if row.kind == nbi.HISTORY:
            lines.append(f"ring{h} = int(spec[{b} + {nbi.S_RING}])")
        call = nbi.CALLS[row.kind]
        for name, value in (("{h}", h), ("{x}", _INPUT_NAMES[row.source]), ("{b}", b), ("{kind}", row.kind),
                            ("{out}", row.out), ("{st}", row.state)):
            call = call.replace(name, str(value))
        lines.append(call)
    return lines


def _nested_in(cls: type[Any], made: type, name: str) -> type:
    """Name ``made`` as ``cls.<name>``, so pickle (and numba's cache) can find it by reference."""
    made.__module__ = cls.__module__
    made.__qualname__ = f"{cls.__qualname__}.{name}"
    made.__doc__ = f"What {cls.__name__}'s compiled step receives as its {'params' if name == 'StepParams' else 'ind'}."
    return made


def build_params(cls: Any, params: Any) -> Any:
    """``cls`` (a StepParams class) filled from the first values of the float64 ``params`` array."""
    return cls(*params[: len(cls._fields)])


@overload(build_params, inline="always")
def _build_params_overload(cls, params):  # noqa: ANN001, ANN202 - numba matches build_params
    made = cls.instance_class
    args = ", ".join(f"params[{j}]" for j in range(len(made._fields)))
    return _generated("cls, params", f"made({args})", {"made": made})


def build_view(cls: Any, row: Any) -> Any:
    """``cls`` (an Indicators class) read from the output slots of a step's state ``row``."""
    return cls(*[readings(row, start, output) for start, output in cls._botkit_outputs])


@overload(build_view, inline="always")
def _build_view_overload(cls, row):  # noqa: ANN001, ANN202 - numba matches build_view
    made = cls.instance_class
    names = {"made": made, "Reading": Reading}
    parts = []
    for start, output in made._botkit_outputs:
        if output is Reading:
            parts.append(_reading_source(start))
        else:
            names[output.__name__] = output
            inner = ", ".join(_reading_source(start + 2 * j) for j in range(len(output._fields)))
            parts.append(f"{output.__name__}({inner})")
    return _generated("cls, row", f"made({', '.join(parts)})", names)


def update_declared(cls: Any, row: Any, spec: Any, at: int, o: float, h: float, lo: float, c: float,
                    v: float) -> None:
    """Update the indicators of ``cls`` (an Indicators class) whose spec starts at ``spec[at]``, in order."""
    nbi.update_indicators_nb(row, spec, at, cls._botkit_rows, o, h, lo, c, v)


@overload(update_declared, inline="always")
def _update_declared_overload(cls, row, spec, at, o, h, lo, c, v):  # noqa: ANN001, ANN202 - numba
    names = {"window_nb": nbi.window_nb, "extremes_nb": nbi.extremes_nb, "smoothed_nb": nbi.smoothed_nb,
             "lag_nb": nbi.lag_nb, "history_nb": nbi.history_nb}
    lines = [*cls.instance_class._botkit_updates, "return None"]
    return _generated("cls, row, spec, at, o, h, lo, c, v", "\n    ".join(lines), names, returns=False)


def _reading_source(start: int) -> str:
    return f"Reading(row[{start}], row[{start + 1}], row[{start}] == row[{start}])"


def _generated(args: str, body: str, names: dict[str, Any], returns: bool = True) -> Callable[..., Any]:
    """An implementation for an overload whose shape depends on a class (compiled into the caller)."""
    namespace = dict(names)
    code = f"def impl({args}):\n    {'return ' if returns else ''}{body}\n"
    exec(code, namespace)  # code built from the declaration's field counts, slots and kernel names only
    return namespace["impl"]  # type: ignore[no-any-return]


# --- the compiled form ----------------------------------------------------------------------------

_composites: dict[tuple[Any, ...], Any] = {}


def declared_compiled_step(cls: type[Any], params: Any) -> CompiledStep:
    """``cls``'s compiled form for ``params``: its step behind botkit's indicator updates."""
    user_slots = getattr(cls, "state_size", 0)
    declared = declared_of(cls)
    where = layout(declared, params, FIRST_USER_SLOT + user_slots)
    values = np.concatenate([step_param_values(cls, params), where.spec])
    initial = np.concatenate([np.zeros(user_slots), where.initial])
    return CompiledStep(step=composite_step(cls), params=values, state_size=user_slots + where.size,
                        initial_state=initial, indicators=where)


def composite_step(cls: type[Any]) -> Any:
    """The ``(state, event, params)`` step that updates ``cls``'s indicators and calls ``cls.step`` (one per class)."""
    user_step = cls.step
    view_cls = cls.Indicators
    params_cls = cls.StepParams
    key = (user_step, view_cls, params_cls)
    made = _composites.get(key)
    if made is None:
        made = _composites[key] = _compose(user_step, view_cls, params_cls, len(params_cls._fields))
        from botkit.strategy.declared_carried import carried_ops  # it builds on this module

        made.botkit_carried = carried_ops(cls, nb.njit(inline="always")(user_step.py_func), len(params_cls._fields))
        made.botkit_source = (user_step, repr((view_cls.__qualname__, view_cls._fields, view_cls._botkit_outputs,
                                               view_cls._botkit_updates, params_cls._fields)))
    return made


def _compose(user_step: Any, view_cls: type[Any], params_cls: type[Any], at: int) -> Any:
    decide = nb.njit(inline="always")(user_step.py_func)  # the user's step, inlined into this one

    # Everything the step calls is inlined into it, and it is inlined into the replay kernels (compiled
    # without reference counting, as it is when the live adapter compiles it alone: ``_nrt=False``).
    # Nothing in it allocates, and counting the row and params arrays at every inlined call would cost
    # more than the indicators. The backtester's step cache keeps it on disk, keyed on the user's step.
    @nb.njit(cache=False, inline="always", _nrt=False)
    def declared_step(state, event, params):  # noqa: ANN001, ANN202 - numba signature
        o, h, lo, c, v = event_inputs(event)
        update_declared(view_cls, state, params, at, o, h, lo, c, v)
        return decide(state, event, build_params(params_cls, params), build_view(view_cls, state))

    return declared_step
