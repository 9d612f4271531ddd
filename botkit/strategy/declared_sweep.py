"""A declared strategy's step for sweeps: the user's decision on indicators computed once for a grid.

A sweep runs many params sets of one strategy over the same data. Their indicators depend only on
the data and on the parameters each indicator reads, so a sweep computes every distinct one once
(``indicator_layout.indicator_series``) into rows of a shared ``series`` matrix (one row per output,
one column per event). ``sweep_step(cls)`` is the step a sweep kernel calls for one combination at
column ``i`` (>= 1): ``(state, event, params, series, cols, i)``, where ``cols`` holds the rows of
that combination's outputs in declaration order. It hands the user's step the same named tuples as
``declared_compiled_step`` (``cls.StepParams`` and ``cls.Indicators``), read from ``series[:, i]``
(the value) and ``series[:, i - 1]`` (the value before), so a sweep decides as a single backtest does.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
from numba.extending import overload

from botkit.strategy.declared import _generated, build_params
from botkit.strategy.indicators import Reading, declared_of

SOURCE_FILE = __file__
"""This module's file: a cache of kernels built around a sweep step keys on it too."""

_steps: dict[tuple[Any, ...], Any] = {}


def output_count(cls: type[Any]) -> int:
    """How many output rows one combination of ``cls`` reads (its ``cols`` length)."""
    return sum(len(i.output._fields) if i.output is not Reading else 1 for i in declared_of(cls).values())


def sweep_step(cls: type[Any]) -> tuple[Any, Any]:
    """``(step, prepare)`` of declared ``cls`` for sweep kernels (one pair per class).

    ``prepare(params, cols)`` turns one combination's float64 params and int64 output rows into
    the values ``step(state, event, prepared_params, series, prepared_cols, i)`` takes: the
    ``cls.StepParams`` tuple and a tuple of rows, made once per run of events so that the hot
    loop reads them from registers.
    """
    user_step = cls.step
    view_cls = cls.Indicators
    params_cls = cls.StepParams
    key = (user_step, view_cls, params_cls)
    made = _steps.get(key)
    if made is None:
        made = _steps[key] = _compose(user_step, view_cls, params_cls)
        made[0].botkit_source = (user_step, repr(("sweep", view_cls.__qualname__, view_cls._fields,
                                                  view_cls._botkit_outputs, params_cls._fields)))
    return made


def _compose(user_step: Any, view_cls: type[Any], params_cls: type[Any]) -> tuple[Any, Any]:
    decide = nb.njit(inline="always")(user_step.py_func)
    n_cols = output_count_of(view_cls)

    @nb.njit(cache=False, inline="always", _nrt=False)
    def declared_sweep_step(state, event, params, series, cols, i):  # noqa: ANN001, ANN202 - numba signature
        return decide(state, event, params, build_series_view(view_cls, series, cols, i))

    @nb.njit(cache=False, inline="always", _nrt=False)
    def prepare_sweep(params, cols):  # noqa: ANN001, ANN202 - numba signature
        return build_params(params_cls, params), row_tuple(cols, n_cols)

    return declared_sweep_step, prepare_sweep


def output_count_of(view_cls: type[Any]) -> int:
    """Output rows of an Indicators class (``output_count`` of its strategy)."""
    return sum(1 if output is Reading else len(output._fields) for _start, output in view_cls._botkit_outputs)


def row_tuple(cols: np.ndarray, n: int) -> tuple[int, ...]:
    """The first ``n`` rows of ``cols`` as a tuple of unsigned ints (a constant ``n`` in compiled code)."""
    return tuple(int(cols[j]) for j in range(n))


@overload(row_tuple, inline="always")
def _row_tuple_overload(cols, n):  # noqa: ANN001, ANN202 - numba matches the signature
    count = getattr(n, "literal_value", None)
    if count is None:
        return None
    items = ", ".join(f"nb.uint64(cols[{j}])" for j in range(count))
    return _generated("cols, n", f"({items},)", {"nb": nb})


def build_series_view(cls: Any, series: np.ndarray, cols: np.ndarray, i: int) -> Any:
    """``cls`` (an Indicators class) read from rows ``cols`` of ``series`` at event ``i``."""
    values = iter(range(len(cols)))
    parts = []
    for _start, output in cls._botkit_outputs:
        n = 1 if output is Reading else len(output._fields)
        readings = [_reading(series, cols[next(values)], i) for _ in range(n)]
        parts.append(readings[0] if output is Reading else output(*readings))
    return cls(*parts)


def _reading(series: np.ndarray, row: int, i: int) -> Reading:  # the Python form of the compiled reading
    value = float(series[row, i])
    return Reading(value, float(series[row, i - 1]), value == value)


@overload(build_series_view, inline="always")
def _build_series_view_overload(cls, series, cols, i):  # noqa: ANN001, ANN202 - numba matches the signature
    made = cls.instance_class
    names: dict[str, Any] = {"made": made, "Reading": Reading, "reading": _series_reading_nb}
    parts, at = [], 0
    for _start, output in made._botkit_outputs:
        if output is Reading:
            parts.append(f"reading(series, cols[{at}], i)")
            at += 1
        else:
            names[output.__name__] = output
            inner = ", ".join(f"reading(series, cols[{at + j}], i)" for j in range(len(output._fields)))
            parts.append(f"{output.__name__}({inner})")
            at += len(output._fields)
    return _generated("cls, series, cols, i", f"made({', '.join(parts)})", names)


@nb.njit(cache=True, inline="always")
def _series_reading_nb(series, row, i):  # noqa: ANN001, ANN202 - numba
    # unsigned indices: no negative-index wraparound code in the hot loop (column i >= 1 always)
    r = nb.uint64(row)
    value = series[r, nb.uint64(i)]
    return Reading(value, series[r, nb.uint64(i) - nb.uint64(1)], value == value)
