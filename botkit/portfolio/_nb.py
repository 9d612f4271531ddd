"""Numba kernel that walks a fill log into round trips; called only by ``round_trips.py``."""

from __future__ import annotations

import numba as nb

# Columns of the float64 trip table.
T_ENTRY_QTY = 0
T_ENTRY_NOTIONAL = 1
T_EXIT_QTY = 2
T_EXIT_NOTIONAL = 3
T_CASH = 4
T_FEES = 5
T_POSITION = 6
T_COLS = 7
# Columns of the int64 trip table.
I_INST = 0
I_SIGN = 1
I_ENTRY_TS = 2
I_EXIT_TS = 3
I_COLS = 4


@nb.njit(cache=True, inline="always")
def _book_nb(trips, k, sign, qty, price, fee, entering):
    """Book a fill (or its part) into row ``k`` of the float trip table."""
    if entering:
        trips[k, T_ENTRY_QTY] += qty
        trips[k, T_ENTRY_NOTIONAL] += qty * price
        trips[k, T_CASH] -= sign * qty * price
    else:
        trips[k, T_EXIT_QTY] += qty
        trips[k, T_EXIT_NOTIONAL] += qty * price
        trips[k, T_CASH] += sign * qty * price
    trips[k, T_FEES] += fee


@nb.njit(cache=True, inline="always")
def _close_nb(open_i, open_f, k, exit_ts, closed_i, closed_f, n_closed):
    """Copy the open trip of ``k`` into closed row ``n_closed``, with its exit time."""
    for c in range(I_COLS):
        closed_i[n_closed, c] = open_i[k, c]
    closed_i[n_closed, I_EXIT_TS] = exit_ts
    for c in range(T_COLS):
        closed_f[n_closed, c] = open_f[k, c]


@nb.njit(cache=True, inline="always")
def _open_nb(open_i, open_f, k, sign, entry_ts):
    """Start a new trip of ``k`` (side ``sign``) at ``entry_ts``."""
    for c in range(T_COLS):
        open_f[k, c] = 0.0
    open_i[k, I_INST] = k
    open_i[k, I_SIGN] = sign
    open_i[k, I_ENTRY_TS] = entry_ts


@nb.njit(cache=True)
def walk_fills_nb(ts, inst, sides, qtys, prices, fees, flat_tolerance, tolerance, closed_i, closed_f, open_i, open_f,
                  is_open):
    """Walk the fills into closed trips (in closing order) and the open trip of each instrument; the count closed.

    A position below ``flat_tolerance`` times its instrument's largest fill quantity is flat. The
    caller gives the tables, zeroed where noted: ``tolerance`` (zeros, one per instrument),
    ``closed_i``/``closed_f`` (one row per fill; every closed row is written whole), ``open_i``/
    ``open_f``/``is_open`` (zeros, one row per instrument). A trip's float row holds entry
    qty/notional, exit qty/notional, cash, fees and (open trips) the position. The tables are made
    by the caller so that nothing here allocates: one function to compile.
    """
    n = ts.shape[0]
    for j in range(n):
        tolerance[inst[j]] = max(tolerance[inst[j]], qtys[j])
    for k in range(tolerance.shape[0]):
        tolerance[k] *= flat_tolerance
    n_closed = 0
    for j in range(n):
        k = inst[j]
        sign = sides[j]
        qty = qtys[j]
        price = prices[j]
        fee = fees[j]
        tol = tolerance[k]
        if not is_open[k]:
            _open_nb(open_i, open_f, k, sign, ts[j])
            _book_nb(open_f, k, sign, qty, price, fee, True)
            open_f[k, T_POSITION] = sign * qty
            is_open[k] = True
            continue
        position = open_f[k, T_POSITION]
        if sign == open_i[k, I_SIGN]:
            _book_nb(open_f, k, sign, qty, price, fee, True)
            open_f[k, T_POSITION] = position + sign * qty
            continue
        held = abs(position)
        if qty <= held + tol:
            _book_nb(open_f, k, open_i[k, I_SIGN], qty, price, fee, False)
            position += sign * qty
            open_f[k, T_POSITION] = position
            if abs(position) < tol:
                _close_nb(open_i, open_f, k, ts[j], closed_i, closed_f, n_closed)
                n_closed += 1
                is_open[k] = False
            continue
        closing_fee = fee * held / qty
        _book_nb(open_f, k, open_i[k, I_SIGN], held, price, closing_fee, False)
        _close_nb(open_i, open_f, k, ts[j], closed_i, closed_f, n_closed)
        n_closed += 1
        rest = qty - held
        _open_nb(open_i, open_f, k, sign, ts[j])
        _book_nb(open_f, k, sign, rest, price, fee - closing_fee, True)
        open_f[k, T_POSITION] = sign * rest
    return n_closed
