"""Numba kernel that walks a fill log into round trips; called only by ``round_trips.py``."""

from __future__ import annotations

import numba as nb
import numpy as np

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


@nb.njit(cache=True)
def _book_nb(row, sign, qty, price, fee, entering):
    if entering:
        row[T_ENTRY_QTY] += qty
        row[T_ENTRY_NOTIONAL] += qty * price
        row[T_CASH] -= sign * qty * price
    else:
        row[T_EXIT_QTY] += qty
        row[T_EXIT_NOTIONAL] += qty * price
        row[T_CASH] += sign * qty * price
    row[T_FEES] += fee


@nb.njit(cache=True)
def walk_fills_nb(ts, inst, sides, qtys, prices, fees, tolerance, n_inst):
    """Closed trips (in closing order) and the open trip of each instrument.

    Returns (closed_ints, closed_floats, open_ints, open_floats, open_mask); a trip's float row
    holds entry qty/notional, exit qty/notional, cash, fees and (open trips) the position.
    """
    n = ts.shape[0]
    closed_i = np.zeros((n, I_COLS), dtype=np.int64)
    closed_f = np.zeros((n, T_COLS), dtype=np.float64)
    open_i = np.zeros((n_inst, I_COLS), dtype=np.int64)
    open_f = np.zeros((n_inst, T_COLS), dtype=np.float64)
    is_open = np.zeros(n_inst, dtype=np.bool_)
    n_closed = 0
    for j in range(n):
        k = inst[j]
        sign = sides[j]
        qty = qtys[j]
        price = prices[j]
        fee = fees[j]
        tol = tolerance[k]
        row = open_f[k]
        if not is_open[k]:
            row[:] = 0.0
            open_i[k, I_INST] = k
            open_i[k, I_SIGN] = sign
            open_i[k, I_ENTRY_TS] = ts[j]
            _book_nb(row, sign, qty, price, fee, True)
            row[T_POSITION] = sign * qty
            is_open[k] = True
            continue
        position = row[T_POSITION]
        if sign == open_i[k, I_SIGN]:
            _book_nb(row, sign, qty, price, fee, True)
            row[T_POSITION] = position + sign * qty
            continue
        held = abs(position)
        if qty <= held + tol:
            _book_nb(row, open_i[k, I_SIGN], qty, price, fee, False)
            position += sign * qty
            row[T_POSITION] = position
            if abs(position) < tol:
                closed_i[n_closed] = open_i[k]
                closed_i[n_closed, I_EXIT_TS] = ts[j]
                closed_f[n_closed] = row
                n_closed += 1
                is_open[k] = False
            continue
        closing_fee = fee * held / qty
        _book_nb(row, open_i[k, I_SIGN], held, price, closing_fee, False)
        closed_i[n_closed] = open_i[k]
        closed_i[n_closed, I_EXIT_TS] = ts[j]
        closed_f[n_closed] = row
        n_closed += 1
        rest = qty - held
        row[:] = 0.0
        open_i[k, I_SIGN] = sign
        open_i[k, I_ENTRY_TS] = ts[j]
        _book_nb(row, sign, rest, price, fee - closing_fee, True)
        row[T_POSITION] = sign * rest
    return closed_i[:n_closed], closed_f[:n_closed], open_i, open_f, is_open
