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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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


@dataclass(slots=True)
class _Trip:
    """A round trip being built: what went in, what came out, and the cash it moved."""

    sign: int
    entry_ts: int
    entry_qty: float = 0.0
    entry_notional: float = 0.0
    exit_qty: float = 0.0
    exit_notional: float = 0.0
    cash: float = 0.0
    fees: float = 0.0

    def add(self, qty: float, price: float, fee: float, entering: bool) -> None:
        """Book ``qty`` at ``price`` with ``fee`` as an entry (increases) or an exit (reduces)."""
        if entering:
            self.entry_qty += qty
            self.entry_notional += qty * price
            self.cash -= self.sign * qty * price
        else:
            self.exit_qty += qty
            self.exit_notional += qty * price
            self.cash += self.sign * qty * price
        self.fees += fee


@dataclass(slots=True)
class _Walk:
    """The result of walking a fill log: closed trips in closing order and open trips by symbol."""

    closed: list[tuple[str, _Trip, int]] = field(default_factory=list)
    open: dict[str, tuple[_Trip, float]] = field(default_factory=dict)


def round_trips(fills: pd.DataFrame) -> pd.DataFrame:
    """Closed round trips of a fill log, one row per trip, in the order they closed.

    ``fills`` holds one row per fill, in the order the fills happened, with columns ``ts`` (int64
    ns or datetime64), ``symbol``, ``side`` (+1 buy, -1 sell), ``qty`` (> 0), ``price`` and
    ``fee``. The result has the columns of ``ROUND_TRIP_COLUMNS``: ``side`` is ``'long'`` or
    ``'short'``, ``qty`` the total quantity entered, ``entry_price``/``exit_price`` the VWAPs of
    the position-increasing and position-reducing fills, ``pnl`` = sells - buys - fees,
    ``return`` = pnl / (entry_price * qty), ``duration`` = exit_ts - entry_ts.
    """
    rows = _walk(fills).closed
    entry_qty = np.array([t.entry_qty for _, t, _ in rows], dtype=np.float64)
    entry_notional = np.array([t.entry_notional for _, t, _ in rows], dtype=np.float64)
    exit_qty = np.array([t.exit_qty for _, t, _ in rows], dtype=np.float64)
    exit_notional = np.array([t.exit_notional for _, t, _ in rows], dtype=np.float64)
    fees = np.array([t.fees for _, t, _ in rows], dtype=np.float64)
    pnl = np.array([t.cash for _, t, _ in rows], dtype=np.float64) - fees
    entry_ts = _utc(np.array([t.entry_ts for _, t, _ in rows], dtype=np.int64))
    exit_ts = _utc(np.array([ts for _, _, ts in rows], dtype=np.int64))
    entry_price = entry_notional / np.where(entry_qty > 0, entry_qty, np.nan)
    exit_price = exit_notional / np.where(exit_qty > 0, exit_qty, np.nan)
    return pd.DataFrame(
        {
            "symbol": pd.Series([s for s, _, _ in rows], dtype="str"),
            "side": pd.Series([_side_name(t.sign) for _, t, _ in rows], dtype="str"),
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
    items = list(walk.open.items())
    trips = [trip for _, (trip, _) in items]
    position = np.array([pos for _, (_, pos) in items], dtype=np.float64)
    entry_qty = np.array([t.entry_qty for t in trips], dtype=np.float64)
    exit_qty = np.array([t.exit_qty for t in trips], dtype=np.float64)
    cash = np.array([t.cash for t in trips], dtype=np.float64)
    fees = np.array([t.fees for t in trips], dtype=np.float64)
    last = np.array([float(prices.get(symbol, np.nan)) for symbol, _ in items], dtype=np.float64)
    return pd.DataFrame(
        {
            "symbol": pd.Series([symbol for symbol, _ in items], dtype="str"),
            "side": pd.Series([_side_name(t.sign) for t in trips], dtype="str"),
            "position": position,
            "qty": entry_qty,
            "entry_ts": _utc(np.array([t.entry_ts for t in trips], dtype=np.int64)),
            "entry_price": np.array([t.entry_notional for t in trips]) / entry_qty,
            "exit_qty": exit_qty,
            "exit_price": np.array([t.exit_notional for t in trips])
            / np.where(exit_qty > 0, exit_qty, np.nan),
            "cash_flow": cash,
            "fees": fees,
            "last_price": last,
            "unrealized_pnl": cash - fees + position * last,
        },
        columns=list(OPEN_POSITION_COLUMNS),
    )


def _walk(fills: pd.DataFrame) -> _Walk:
    """Apply every fill in order, per symbol, cutting round trips at flat and at flips. O(n)."""
    ts, symbols, sides, qtys, prices, fees = _columns(fills)
    tolerance = {
        symbol: FLAT_TOLERANCE * float(q)
        for symbol, q in pd.Series(qtys).groupby(pd.Series(symbols), sort=False).max().items()
    }
    walk = _Walk()
    trips: dict[str, _Trip] = {}
    positions: dict[str, float] = {}
    for t, symbol, sign, qty, price, fee in zip(
        ts.tolist(),
        symbols,
        sides.tolist(),
        qtys.tolist(),
        prices.tolist(),
        fees.tolist(),
        strict=True,
    ):
        tol = tolerance[symbol]
        trip = trips.get(symbol)
        if trip is None:
            trip = trips[symbol] = _Trip(sign=sign, entry_ts=t)
            trip.add(qty, price, fee, entering=True)
            positions[symbol] = sign * qty
            continue
        position = positions[symbol]
        if sign == trip.sign:
            trip.add(qty, price, fee, entering=True)
            positions[symbol] = position + sign * qty
            continue
        held = abs(position)
        if qty <= held + tol:
            trip.add(qty, price, fee, entering=False)
            position += sign * qty
            if abs(position) < tol:
                walk.closed.append((symbol, trip, t))
                del trips[symbol]
                del positions[symbol]
            else:
                positions[symbol] = position
            continue
        closing_fee = fee * held / qty
        trip.add(held, price, closing_fee, entering=False)
        walk.closed.append((symbol, trip, t))
        rest = qty - held
        trip = trips[symbol] = _Trip(sign=sign, entry_ts=t)
        trip.add(rest, price, fee - closing_fee, entering=True)
        positions[symbol] = sign * rest
    walk.open = {symbol: (trip, positions[symbol]) for symbol, trip in trips.items()}
    return walk


def _columns(
    fills: pd.DataFrame,
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fill log's columns as arrays, after checking the columns and values are usable."""
    missing = [name for name in FILL_COLUMNS if name not in fills.columns]
    if missing:
        raise ValueError(f"fills lack column(s) {missing}; expected at least {list(FILL_COLUMNS)}")
    ts_col = fills["ts"]
    if pd.api.types.is_datetime64_any_dtype(ts_col.dtype):
        ts = pd.DatetimeIndex(ts_col).as_unit("ns").asi8
    else:
        ts = ts_col.to_numpy(dtype=np.int64)
    sides = fills["side"].to_numpy(dtype=np.int64)
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
    symbols = [str(s) for s in fills["symbol"].tolist()]
    return ts, symbols, sides, qtys, prices, fees


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """Integer nanoseconds as a ``datetime64[ns, UTC]`` index."""
    return pd.DatetimeIndex(pd.to_datetime(ns, unit="ns", utc=True)).as_unit("ns")


def _side_name(sign: int) -> str:
    """'long' for +1, 'short' for -1."""
    return "long" if sign > 0 else "short"
