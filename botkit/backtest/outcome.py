"""What a replay produced, in the same form for the compiled and the Python path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from botkit.backtest._enums import (
    F_FEE,
    F_INST,
    F_LIQUIDITY,
    F_ORDER,
    F_PRICE,
    F_QTY,
    F_SIDE,
    F_TS,
    LIQUIDITY_MAKER,
    LIQUIDITY_TAKER,
    R_INST,
    R_REASON,
    R_SIDE,
    R_TS,
    REJECT_BOOK_RESYNCING,
    REJECT_DAILY_LOSS,
    REJECT_HALTED,
    REJECT_MAX_DRAWDOWN,
    REJECT_MAX_GROSS_EXPOSURE,
    REJECT_MAX_NET_EXPOSURE,
    REJECT_MAX_OPEN_ORDERS,
    REJECT_MAX_ORDER_NOTIONAL,
    REJECT_MAX_ORDER_QTY,
    REJECT_MAX_POSITION,
    REJECT_NO_SHORT,
    REJECT_QTY_ZERO,
    REJECT_REDUCE_ONLY,
    REJECT_TOO_MANY_ORDERS,
)
from botkit.model.orders import Order
from botkit.portfolio.round_trips import FillWalk, walk_fill_arrays
from botkit.risk.rejection import RejectCode, Rejection

LIQUIDITY_NAMES = ["maker", "taker"]  # indexed by the kernels' liquidity codes
SIDE_NAMES = ["buy", "sell"]  # a fill's side as text: +1 buys, -1 sells
assert LIQUIDITY_NAMES.index("maker") == LIQUIDITY_MAKER and LIQUIDITY_NAMES.index("taker") == LIQUIDITY_TAKER

REJECT_CODES = {
    REJECT_QTY_ZERO: RejectCode.QTY_ZERO,
    REJECT_MAX_ORDER_QTY: RejectCode.MAX_ORDER_QTY,
    REJECT_MAX_ORDER_NOTIONAL: RejectCode.MAX_ORDER_NOTIONAL,
    REJECT_MAX_POSITION: RejectCode.MAX_POSITION,
    REJECT_NO_SHORT: RejectCode.NO_SHORT,
    REJECT_TOO_MANY_ORDERS: RejectCode.TOO_MANY_ORDERS,
    REJECT_MAX_GROSS_EXPOSURE: RejectCode.MAX_GROSS_EXPOSURE,
    REJECT_MAX_NET_EXPOSURE: RejectCode.MAX_NET_EXPOSURE,
    REJECT_MAX_OPEN_ORDERS: RejectCode.MAX_OPEN_ORDERS,
    REJECT_REDUCE_ONLY: RejectCode.REDUCE_ONLY,
    REJECT_HALTED: RejectCode.HALTED,
    REJECT_DAILY_LOSS: RejectCode.DAILY_LOSS,
    REJECT_MAX_DRAWDOWN: RejectCode.MAX_DRAWDOWN,
    REJECT_BOOK_RESYNCING: RejectCode.BOOK_RESYNCING,
}
"""The kernels' integer reasons as the stable codes of ``botkit.risk``."""
REJECT_INTS = {code: number for number, code in REJECT_CODES.items()}
"""A ``Rejection``'s code as the integer the rejection log holds (the Python path writes the same log)."""

REJECT_REASONS = {
    REJECT_QTY_ZERO: "quantity is zero after sizing and lot rounding",
    REJECT_MAX_ORDER_QTY: "order quantity above risk.max_order_qty",
    REJECT_MAX_ORDER_NOTIONAL: "order notional above risk.max_order_notional",
    REJECT_MAX_POSITION: "position would exceed risk.max_position",
    REJECT_NO_SHORT: "order would open a short position and risk.allow_short is false",
    REJECT_TOO_MANY_ORDERS: "too many working orders (max_working_orders)",
    REJECT_MAX_GROSS_EXPOSURE: "gross exposure would exceed risk.max_gross_exposure",
    REJECT_MAX_NET_EXPOSURE: "net exposure would exceed risk.max_net_exposure",
    REJECT_MAX_OPEN_ORDERS: "risk.max_open_orders orders already working",
    REJECT_REDUCE_ONLY: "risk.reduce_only is set and the order does not reduce the position",
    REJECT_HALTED: "trading is halted: the kill switch fired",
}
"""What the compiled path says about a rejection (the Python path keeps each rule's own message)."""


class KillSwitchTrip(NamedTuple):
    """When the kill switch fired (ns, the time the strategy saw the event), why (a ``RejectCode``), and its message."""

    ts: int
    code: RejectCode
    message: str

    @property
    def time(self) -> pd.Timestamp:
        """``ts`` as a UTC timestamp."""
        return pd.Timestamp(self.ts, unit="ns", tz="UTC")


@dataclass
class ReplayOutcome:
    """Fills, rejections, equity points and final account state of one replay."""

    symbols: tuple[str, ...]
    fill_ints: np.ndarray
    fill_floats: np.ndarray
    reject_ints: np.ndarray
    equity_ts: np.ndarray
    equity: np.ndarray
    cash: float
    fees: float
    positions: np.ndarray
    last_prices: np.ndarray
    events: int
    exposed_events: int
    reject_texts: list[str] | None = None
    kill_switch: Rejection | None = None
    """Why the kill switch fired (DAILY_LOSS or MAX_DRAWDOWN), None if it did not."""
    kill_switch_ts: int | None = None
    """When it fired (ns): the time the strategy saw the event whose equity tripped it."""
    orders: list[Order] | None = None
    """The orders accepted, in submission order (the Python paths log them; the compiled path does not)."""

    @property
    def kill_switch_trip(self) -> KillSwitchTrip | None:
        """The kill switch's trip, None if it did not fire."""
        if self.kill_switch is None or self.kill_switch_ts is None:
            return None
        return KillSwitchTrip(self.kill_switch_ts, self.kill_switch.code, self.kill_switch.message)

    @property
    def final_equity(self) -> float:
        """Cash plus open positions marked at their last prices."""
        return float(self.cash + float(np.dot(self.positions, self.last_prices)))

    def fill_walk(self) -> FillWalk:
        """The fill log walked into round trips (``botkit.portfolio.round_trips``), from the arrays."""
        ints, floats = self.fill_ints, self.fill_floats
        return walk_fill_arrays(list(self.symbols), ints[:, F_TS], ints[:, F_INST], ints[:, F_SIDE], floats[:, F_QTY],
                                floats[:, F_PRICE], floats[:, F_FEE])

    def fills_frame(self) -> pd.DataFrame:
        """The fill log, in the order the fills happened, in the conventions of the trades frame.

        Columns: ts (``datetime64[ns, UTC]``), symbol (categorical), side (``"buy"``/``"sell"``,
        categorical), qty (> 0), price, fee, liquidity (``"maker"``/``"taker"``), order_id.
        """
        ints, floats = self.fill_ints, self.fill_floats
        return pd.DataFrame(
            {
                "ts": utc_times(ints[:, F_TS]),
                "symbol": pd.Categorical.from_codes(ints[:, F_INST], categories=list(self.symbols)),
                "side": side_names(ints[:, F_SIDE]),
                "qty": floats[:, F_QTY],
                "price": floats[:, F_PRICE],
                "fee": floats[:, F_FEE],
                "liquidity": pd.Categorical.from_codes(ints[:, F_LIQUIDITY], categories=LIQUIDITY_NAMES),
                "order_id": ints[:, F_ORDER].astype(np.int64),
            }
        )

    def orders_frame(self) -> pd.DataFrame | None:
        """The order log, None if not logged.

        Columns: ts (``datetime64[ns, UTC]``, when submitted), order_id, client_order_id, symbol,
        side (``"buy"``/``"sell"``, categorical), qty, order_type (market, limit, stop), limit_price and
        stop_price (NaN when absent), tag: the conventions of the fills frame.
        """
        if self.orders is None:
            return None
        nan = float("nan")
        return pd.DataFrame(
            {
                "ts": utc_times(np.array([o.ts_created for o in self.orders], dtype=np.int64)),
                "order_id": np.array([int(o.order_id) for o in self.orders], dtype=np.int64),
                "client_order_id": [o.client_order_id for o in self.orders],
                "symbol": pd.Categorical([o.symbol for o in self.orders], categories=list(self.symbols)),
                "side": side_names(np.array([int(o.side) for o in self.orders], dtype=np.int64)),
                "qty": np.array([o.qty for o in self.orders], dtype=np.float64),
                "order_type": [o.order_type.name.lower() for o in self.orders],
                "limit_price": np.array([nan if o.limit_price is None else o.limit_price for o in self.orders],
                                        dtype=np.float64),
                "stop_price": np.array([nan if o.stop_price is None else o.stop_price for o in self.orders],
                                       dtype=np.float64),
                "tag": [o.tag for o in self.orders],
            }
        )

    def rejections_frame(self) -> pd.DataFrame:
        """Rejected intents, in the conventions of the fills frame.

        Columns: ts (``datetime64[ns, UTC]``), symbol, side (``"buy"``/``"sell"``, categorical), code
        (a ``RejectCode`` value), reason (for people).
        """
        ints = self.reject_ints
        symbols = np.array(self.symbols, dtype=object)
        return pd.DataFrame(
            {
                "ts": utc_times(ints[:, R_TS]),
                "symbol": symbols[ints[:, R_INST]] if len(ints) else np.array([], dtype=object),
                "side": side_names(ints[:, R_SIDE]),
                "code": np.array([REJECT_CODES[int(r)].value for r in ints[:, R_REASON]], dtype=object),
                "reason": self.reject_texts
                if self.reject_texts is not None
                else [REJECT_REASONS[int(r)] for r in ints[:, R_REASON]],
            }
        )

    def equity_series(self) -> pd.Series:
        """Equity points indexed by UTC time."""
        return pd.Series(self.equity, index=utc_times(self.equity_ts), name="equity")


def utc_times(ns: np.ndarray) -> pd.DatetimeIndex:
    """Integer nanoseconds as ``datetime64[ns, UTC]``: the time column of every frame of a result."""
    return pd.to_datetime(np.asarray(ns, dtype=np.int64), unit="ns", utc=True)


def side_names(signs: np.ndarray) -> pd.Categorical:
    """+1/-1 as the categorical ``"buy"``/``"sell"``: the side column of every frame of a result."""
    return pd.Categorical.from_codes((np.asarray(signs) < 0).astype(np.int8), categories=SIDE_NAMES)
