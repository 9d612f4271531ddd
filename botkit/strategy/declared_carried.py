"""A declared step for one-symbol replay kernels: the hottest indicator state carried in registers.

``declared_compiled_step`` keeps every indicator's state in the step's state row, which is what
the live adapter and a multi-symbol replay need (one row per symbol). A one-symbol replay kernel
calls the same step millions of times on one row, and then the state's round trip through memory
sets its pace: every event loads and stores each history's count and position and each average's
sum, and the position's float-to-int conversion sits on that loop-carried chain.

``carried_ops(cls)`` makes three functions for such a kernel, from the same declaration:

- ``load(row, spec)``: the carried values, read from the row and the spec once per kernel call;
- ``step(row, event, spec, carry)``: ``declared_step``'s update and decision, returning
  ``(action, side, qty, price, carry)``; histories (count, position, capacity, ring) and SMAs
  (sum, compensation, value, previous, window) live in ``carry``, every other kind in the row;
- ``store(row, carry)``: the carried values written back, before the kernel returns.

The arithmetic is the row form's own (``history_push_nb``, ``window_sum_nb``, and the row functions
for the other kinds), so a kernel gives the same figures either way; only where the state waits
between events differs.
"""

from __future__ import annotations

from typing import Any

import numba as nb

from botkit.model.records import FIRST_USER_SLOT
from botkit.strategy import _indicators_nb as nbi
from botkit.strategy.declared import _INPUT_NAMES, build_params, event_inputs
from botkit.strategy.indicator_layout import PlannedRow, plan
from botkit.strategy.indicators import Reading, declared_of

_JIT = {"cache": False, "inline": "always", "_nrt": False}


def carried_ops(cls: type[Any], decide: Any, at: int) -> tuple[Any, Any, Any] | None:
    """``(load, step, store)`` of declared ``cls`` for one-symbol kernels, or None if nothing is worth carrying.

    ``decide`` is the user's step compiled for inlining; ``at`` is where the spec starts in the
    step's params array (after the numeric params).
    """
    rows, _ = plan(list(declared_of(cls).values()), FIRST_USER_SLOT + getattr(cls, "state_size", 0))
    if not any(row.kind in (nbi.HISTORY, nbi.SMA) for row in rows):
        return None
    names: dict[str, Any] = {
        "nb": nb, "nbi": nbi, "decide": decide, "Params": cls.StepParams, "View": cls.Indicators,
        "Reading": Reading, "event_inputs": event_inputs, "build_params": build_params,
    }
    carried = _carried_names(rows)
    unpack = f"({', '.join(carried)},) = carry"
    load = _compiled("row, spec", [f"return ({', '.join(_load_items(rows, at))},)"], names, "carried_load")
    store = _compiled("row, carry", [unpack, *_store_lines(rows), "return None"], names, "carried_store")
    body = [
        "o, h, lo, c, v = event_inputs(event)",
        unpack,
        *_update_lines(rows, at),
        f"action, side, qty, price = decide(row, event, build_params(Params, spec), {_view(cls, rows, names)})",
        f"return action, side, qty, price, ({', '.join(carried)},)",
    ]
    step = _compiled("row, event, spec, carry", body, names, "carried_step")
    return load, step, store


def _carried_names(rows: list[PlannedRow]) -> list[str]:
    names: list[str] = []
    for j, row in enumerate(rows):
        if row.kind == nbi.HISTORY:
            names += [f"count{j}", f"pos{j}", f"cap{j}", f"ring{j}"]
        elif row.kind == nbi.SMA:
            names += [f"sum{j}", f"comp{j}", f"value{j}", f"prev{j}", f"n{j}", f"w{j}"]
    return names


def _load_items(rows: list[PlannedRow], at: int) -> list[str]:
    items: list[str] = []
    for j, row in enumerate(rows):
        b = at + j * nbi.SPEC_COLS
        st = row.state
        if row.kind == nbi.HISTORY:
            items += [f"row[{st}]", f"int(row[{st + 1}])", f"int(row[{st + 2}])", f"int(spec[{b + nbi.S_RING}])"]
        elif row.kind == nbi.SMA:
            window = f"spec[{b + nbi.S_WINDOW}]"
            items += [f"row[{st}]", f"row[{st + 1}]", f"row[{row.out}]", f"row[{row.out + 1}]", window,
                      f"int({window})"]
    return items


def _store_lines(rows: list[PlannedRow]) -> list[str]:
    lines: list[str] = []
    for j, row in enumerate(rows):
        st = row.state
        if row.kind == nbi.HISTORY:
            lines += [f"row[{st}] = count{j}", f"row[{st + 1}] = float(pos{j})"]
        elif row.kind == nbi.SMA:
            lines += [f"row[{st}] = sum{j}", f"row[{st + 1}] = comp{j}", f"row[{row.out}] = value{j}",
                      f"row[{row.out + 1}] = prev{j}"]
    return lines


def _update_lines(rows: list[PlannedRow], at: int) -> list[str]:
    """The update of every row in plan order: carried kinds in registers, the others as ``declared_step`` does."""
    lines: list[str] = []
    for j, row in enumerate(rows):
        x = _INPUT_NAMES[row.source]
        h = row.history
        if row.kind == nbi.HISTORY:
            lines.append(f"count{j}, pos{j} = nbi.history_push_nb(row, {x}, ring{j}, count{j}, pos{j}, cap{j})")
        elif row.kind == nbi.SMA:
            lines += [f"prev{j} = value{j}",
                      f"sum{j}, comp{j}, value{j} = nbi.window_sum_nb(row, n{j}, w{j}, {x}, sum{j}, comp{j}, "
                      f"ring{h}, count{h}, pos{h}, cap{h})"]
        else:
            call = nbi.CALLS[row.kind]
            for name, value in (("{h}", h), ("{x}", x), ("{b}", at + j * nbi.SPEC_COLS), ("{kind}", row.kind),
                                ("{out}", row.out), ("{st}", row.state)):
                call = call.replace(name, str(value))
            lines.append(call.replace("window_nb(", "nbi.window_nb(").replace("lag_nb(", "nbi.lag_nb(")
                         .replace("extremes_nb(", "nbi.extremes_nb(").replace("smoothed_nb(", "nbi.smoothed_nb("))
    return lines


def _view(cls: type[Any], rows: list[PlannedRow], names: dict[str, Any]) -> str:
    """The ``cls.Indicators`` the user's step receives: carried SMAs from registers, the rest from the row."""
    carried_at = {row.out: j for j, row in enumerate(rows) if row.kind == nbi.SMA}

    def reading(start: int) -> str:
        j = carried_at.get(start)
        if j is not None:
            return f"Reading(value{j}, prev{j}, value{j} == value{j})"
        return f"Reading(row[{start}], row[{start + 1}], row[{start}] == row[{start}])"

    parts = []
    for start, output in cls.Indicators._botkit_outputs:
        if output is Reading:
            parts.append(reading(start))
        else:
            names[output.__name__] = output
            parts.append(f"{output.__name__}({', '.join(reading(start + 2 * k) for k in range(len(output._fields)))})")
    return f"View({', '.join(parts)})"


def _compiled(args: str, body: list[str], names: dict[str, Any], name: str) -> Any:
    namespace = dict(names)
    code = f"def {name}({args}):\n" + "".join(f"    {line}\n" for line in body)
    exec(code, namespace)  # code built from the declaration's plan: slot numbers and kernel names only
    return nb.njit(**_JIT)(namespace[name])
