"""Closed round trips (flat to flat, per symbol) derived from a fill log.

The rules are those of ``docs/backtesting.md``: a round trip runs from flat to flat on one symbol;
a fill that flips the position closes one round trip and opens the next, its quantity and fee split
in proportion; a round trip's PnL is its sells minus its buys minus its fees; a position still open
at the end is not a round trip.

A position whose size is below ``FLAT_TOLERANCE`` times the largest fill quantity of its symbol is
taken as flat, so ``0.1 + 0.2 - 0.3`` closes a round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from botkit.portfolio._nb import (
    I_COLS,
    I_ENTRY_TS,
    I_EXIT_TS,
    I_INST,
    I_SIGN,
    T_CASH,
    T_COLS,
    T_ENTRY_NOTIONAL,
    T_ENTRY_QTY,
    T_EXIT_NOTIONAL,
    T_EXIT_QTY,
    T_FEES,
    T_POSITION,
    walk_fills_nb,
)

FLAT_TOLERANCE = 1e-12
"""A position below this fraction of its symbol's largest fill quantity counts as flat."""

FILL_COLUMNS = ("ts", "symbol", "side", "qty", "price", "fee")
"""Columns of the fill log that round trips are derived from (others are ignored)."""

ROUND_TRIP_COLUMNS = (
    "symbol",
    "side",
    "qty",
    "entry_ts",
    "exit_ts",
    "entry_price",
    "exit_price",
    "pnl",
    "fees",
    "return",
    "duration",
)
"""Columns of the frame returned by :func:`round_trips`, in order."""

OPEN_POSITION_COLUMNS = (
    "symbol",
    "side",
    "position",
    "qty",
    "entry_ts",
    "entry_price",
    "exit_qty",
    "exit_price",
    "cash_flow",
    "fees",
    "last_price",
    "unrealized_pnl",
)
"""Columns of the frame returned by :func:`open_position_summary`, in order."""


@dataclass(frozen=True, slots=True)
class FillWalk:
    """A walked fill log: closed trips in closing order and the open trip of each symbol."""

    symbols: list[str]
    closed_ints: np.ndarray
    closed_floats: np.ndarray
    open_ints: np.ndarray
    open_floats: np.ndarray
    is_open: np.ndarray

    @property
    def pnl(self) -> np.ndarray:
        """The closed trips' PnL (sells - buys - fees), in closing order: all the statistics need."""
        pnl: np.ndarray = self.closed_floats[:, T_CASH] - self.closed_floats[:, T_FEES]
        return pnl

    def frame(self) -> pd.DataFrame:
        """The closed trips as the frame :func:`round_trips` returns."""
        ints, floats = self.closed_ints, self.closed_floats
        entry_qty = floats[:, T_ENTRY_QTY]
        entry_notional = floats[:, T_ENTRY_NOTIONAL]
        exit_qty = floats[:, T_EXIT_QTY]
        fees = floats[:, T_FEES]
        pnl = self.pnl
        entry_ts = _utc(ints[:, I_ENTRY_TS])
        exit_ts = _utc(ints[:, I_EXIT_TS])
        entry_price = entry_notional / np.where(entry_qty > 0, entry_qty, np.nan)
        exit_price = floats[:, T_EXIT_NOTIONAL] / np.where(exit_qty > 0, exit_qty, np.nan)
        symbols = np.array(self.symbols, dtype=object)
        return pd.DataFrame(
            {
                "symbol": pd.Series(symbols[ints[:, I_INST]] if len(ints) else [], dtype="str"),
                "side": pd.Series(np.where(ints[:, I_SIGN] > 0, "long", "short"), dtype="str"),
                "qty": entry_qty,
                "entry_ts": entry_ts,
                "exit_ts": exit_ts,
                "entry_price": entry_price,
                "exit_price": exit_price,
                "pnl": pnl,
                "fees": fees,
                "return": pnl / np.where(entry_notional != 0, entry_notional, np.nan),
                "duration": exit_ts - entry_ts,
            },
            columns=list(ROUND_TRIP_COLUMNS),
        )


def walk_fill_arrays(
    symbols: list[str], ts: np.ndarray, inst: np.ndarray, sides: np.ndarray, qtys: np.ndarray,
    prices: np.ndarray, fees: np.ndarray,
) -> FillWalk:
    """Walk a fill log given as arrays (``inst`` indexes ``symbols``); the rules of :func:`round_trips`.

    For fill logs botkit made itself (the backtester's), whose values need no checking.
    """
    n, n_inst = len(ts), len(symbols)
    closed_i, closed_f = np.empty((n, I_COLS), dtype=np.int64), np.empty((n, T_COLS), dtype=np.float64)
    open_i, open_f = np.zeros((n_inst, I_COLS), dtype=np.int64), np.zeros((n_inst, T_COLS), dtype=np.float64)
    is_open = np.zeros(n_inst, dtype=np.bool_)
    closed = walk_fills_nb(ts, inst, sides, qtys, prices, fees, FLAT_TOLERANCE, np.zeros(n_inst), closed_i, closed_f,
                           open_i, open_f, is_open)
    return FillWalk(list(symbols), closed_i[:closed].copy(), closed_f[:closed].copy(), open_i, open_f, is_open)


def round_trips(fills: pd.DataFrame) -> pd.DataFrame:
    """Closed round trips of a fill log, one row per trip, in the order they closed.

    ``fills`` holds one row per fill, in the order the fills happened, with columns ``ts`` (int64
    ns or datetime64), ``symbol``, ``side`` (+1 or ``'buy'``, -1 or ``'sell'``, so
    ``BacktestResult.fills`` as it is), ``qty`` (> 0), ``price`` and ``fee``. The result has the
    columns of ``ROUND_TRIP_COLUMNS``: ``side`` is ``'long'`` or ``'short'``, ``qty`` the total
    quantity entered, ``entry_price``/``exit_price`` the VWAPs of the position-increasing and
    position-reducing fills, ``pnl`` = sells - buys - fees, ``return`` = pnl / (entry_price * qty),
    ``duration`` = exit_ts - entry_ts.
    """
    return _walk(fills).frame()


def open_position_summary(
    fills: pd.DataFrame, last_prices: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """The round trips still open at the end of a fill log, one row per symbol.

    These are the positions the backtester marks to market instead of closing. ``position`` is
    signed, ``qty`` and ``entry_price`` describe all entries of the open trip, ``exit_qty`` and
    ``exit_price`` its partial exits so far, ``cash_flow`` its sells minus buys, ``fees`` its fees.
    With ``last_prices`` (symbol -> price) ``unrealized_pnl`` is cash_flow - fees + position *
    last_price, so the closed trips' PnL plus this column sums to the whole change in equity;
    without a price for a symbol both ``last_price`` and ``unrealized_pnl`` are NaN.
    """
    walk = _walk(fills)
    prices = last_prices or {}
    keep = np.flatnonzero(walk.is_open)
    ints, floats = walk.open_ints[keep], walk.open_floats[keep]
    names = [walk.symbols[k] for k in keep]
    position = floats[:, T_POSITION]
    entry_qty = floats[:, T_ENTRY_QTY]
    exit_qty = floats[:, T_EXIT_QTY]
    cash = floats[:, T_CASH]
    fees = floats[:, T_FEES]
    last = np.array([float(prices.get(symbol, np.nan)) for symbol in names], dtype=np.float64)
    return pd.DataFrame(
        {
            "symbol": pd.Series(names, dtype="str"),
            "side": pd.Series(np.where(ints[:, I_SIGN] > 0, "long", "short"), dtype="str"),
            "position": position,
            "qty": entry_qty,
            "entry_ts": _utc(ints[:, I_ENTRY_TS]),
            "entry_price": floats[:, T_ENTRY_NOTIONAL] / entry_qty,
            "exit_qty": exit_qty,
            "exit_price": floats[:, T_EXIT_NOTIONAL] / np.where(exit_qty > 0, exit_qty, np.nan),
            "cash_flow": cash,
            "fees": fees,
            "last_price": last,
            "unrealized_pnl": cash - fees + position * last,
        },
        columns=list(OPEN_POSITION_COLUMNS),
    )


def _walk(fills: pd.DataFrame) -> FillWalk:
    """Apply every fill in order, per symbol, cutting round trips at flat and at flips. O(n)."""
    ts, symbols, sides, qtys, prices, fees = _columns(fills)
    codes, names = pd.factorize(symbols, sort=False)
    return walk_fill_arrays([str(n) for n in np.asarray(names)], ts, codes, sides, qtys, prices, fees)


def _columns(
    fills: pd.DataFrame,
) -> tuple[np.ndarray, pd.Series, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fill log's columns as arrays, after checking the columns and values are usable."""
    missing = [name for name in FILL_COLUMNS if name not in fills.columns]
    if missing:
        raise ValueError(f"fills lack column(s) {missing}; expected at least {list(FILL_COLUMNS)}")
    ts_col = fills["ts"]
    if pd.api.types.is_datetime64_any_dtype(ts_col.dtype):
        ts = pd.DatetimeIndex(ts_col).as_unit("ns").asi8
    else:
        ts = ts_col.to_numpy(dtype=np.int64)
    sides = _side_signs(fills["side"])
    qtys = fills["qty"].to_numpy(dtype=np.float64)
    prices = fills["price"].to_numpy(dtype=np.float64)
    fees = fills["fee"].to_numpy(dtype=np.float64)
    if not np.isin(sides, (1, -1)).all():
        bad = sorted(set(sides.tolist()) - {1, -1})
        raise ValueError(f"fills.side must be +1 (buy) or -1 (sell), got {bad}")
    if not (np.isfinite(qtys) & (qtys > 0)).all():
        raise ValueError("fills.qty must be finite and > 0 in every row")
    if not (np.isfinite(prices).all() and np.isfinite(fees).all()):
        raise ValueError("fills.price and fills.fee must be finite in every row")
    symbols = fills["symbol"]  # categorical or strings; factorized by the caller
    return ts, symbols, sides, qtys, prices, fees


def _side_signs(column: pd.Series) -> np.ndarray:
    """A side column as +1/-1: numbers as they are, ``'buy'``/``'sell'`` text (or categories) mapped."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not isinstance(column.dtype, pd.CategoricalDtype):
        return column.to_numpy(dtype=np.int64)
    text = column.astype(str).to_numpy()
    signs = np.where(text == "buy", 1, np.where(text == "sell", -1, 0)).astype(np.int64)
    if not (signs != 0).all():
        bad = sorted(set(text[signs == 0].tolist()))
        raise ValueError(f"fills.side must be 'buy' or 'sell' (or +1/-1), got {bad}")
    return signs


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """Integer nanoseconds as a ``datetime64[ns, UTC]`` index."""
    return pd.DatetimeIndex(pd.to_datetime(ns, unit="ns", utc=True)).as_unit("ns")
