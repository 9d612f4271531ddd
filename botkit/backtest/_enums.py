"""Integer constants and the config record shared by the backtest kernels and their wrappers."""

from __future__ import annotations

from typing import NamedTuple

from botkit.model.records import (
    ACTION_CANCEL_ALL,
    ACTION_LIMIT,
    ACTION_MARKET,
    ACTION_MAX,
    ACTION_NONE,
    ACTION_REPLACE_LIMIT,
    ACTION_REPLACE_MARKET,
    ACTION_REPLACE_STOP,
    ACTION_STOP,
    SLOT_CASH,
    SLOT_EQUITY,
    SLOT_POSITION,
    SLOT_REJECTED,
    SLOT_WORKING,
    BarRecord,
    QuoteRecord,
    TradeRecord,
)

__all__ = [
    "ACTION_CANCEL_ALL", "ACTION_LIMIT", "ACTION_MARKET", "ACTION_MAX", "ACTION_NONE",
    "ACTION_REPLACE_LIMIT", "ACTION_REPLACE_MARKET", "ACTION_REPLACE_STOP", "ACTION_STOP", "SLOT_CASH", "SLOT_EQUITY",
    "SLOT_POSITION", "SLOT_REJECTED", "SLOT_WORKING", "BarRecord", "QuoteRecord", "TradeRecord",
]

# Order types of working orders (ORDER_NONE: an action that places no order).
ORDER_NONE = 0
ORDER_MARKET = 1
ORDER_LIMIT = 2
ORDER_STOP = 3

# Columns of the int64 working-order table.
W_ID = 0
W_INST = 1
W_SIDE = 2
W_TYPE = 3
W_ELIGIBLE = 4
W_TRIGGERED = 5
W_INT_COLS = 6
# Columns of the float64 working-order table.
W_QTY = 0
W_PRICE = 1
W_FLOAT_COLS = 2

# Columns of the fill log (int64 and float64 parts).
F_TS = 0
F_ORDER = 1
F_INST = 2
F_SIDE = 3
F_LIQUIDITY = 4
F_INT_COLS = 5
F_QTY = 0
F_PRICE = 1
F_FEE = 2
F_FLOAT_COLS = 3
LIQUIDITY_MAKER = 0
LIQUIDITY_TAKER = 1

# Columns of the rejection log.
R_TS = 0
R_INST = 1
R_REASON = 2
R_SIDE = 3
R_INT_COLS = 4

# Rejection reasons.
REJECT_QTY_ZERO = 1
REJECT_MAX_ORDER_QTY = 2
REJECT_MAX_ORDER_NOTIONAL = 3
REJECT_MAX_POSITION = 4
REJECT_NO_SHORT = 5
REJECT_TOO_MANY_ORDERS = 6
REJECT_MAX_GROSS_EXPOSURE = 7
REJECT_MAX_NET_EXPOSURE = 8
REJECT_MAX_OPEN_ORDERS = 9
REJECT_REDUCE_ONLY = 10
REJECT_HALTED = 11
# Kill-switch trips (the kill-switch slots of the counters hold them).
REJECT_DAILY_LOSS = 12
REJECT_MAX_DRAWDOWN = 13
# Python path only: a book replay refuses orders while the symbol's book is out of sync (as live).
REJECT_BOOK_RESYNCING = 14

NS_PER_DAY = 86_400 * 1_000_000_000
"""The kill switch's UTC day (``botkit.risk.killswitch.NS_PER_DAY``)."""
LIMIT_TOLERANCE = 1e-9
"""Relative tolerance of position and exposure limits (``botkit.risk.rules._TOLERANCE``)."""

# Slots of the int64 counters array (state carried across chunks).
C_WORKING = 0
C_NEXT_ORDER = 1
C_FILLS = 2
C_REJECTS = 3
C_EQUITY = 4
C_EQ_BUCKET = 5
C_EXPOSED = 6
C_EVENTS = 7
C_ERROR_EVENT = 8
C_KS_DAY = 9  # the kill switch's current UTC day (-1 before the first observation)
C_KS_CODE = 10  # its trip (REJECT_DAILY_LOSS / REJECT_MAX_DRAWDOWN), 0 while not tripped
C_KS_TS = 11  # when it tripped (ns)
C_SIZE = 12

# Slots of the float64 account array (state carried across chunks).
A_CASH = 0
A_FEES = 1
A_DAY_OPEN = 2  # kill switch: equity at the first observation of the UTC day
A_PEAK = 3  # kill switch: highest equity observed
A_TRIP_EQUITY = 4  # kill switch: equity when it tripped
A_DD_FLOOR = 5  # kill switch: below this equity the drawdown is computed (a bound just above the limit)
A_SIZE = 6

# Kernel return codes.
STATUS_DONE = 0
STATUS_NEED_SPACE = 1
STATUS_BAD_INTENT = 2

SIZING_FIXED_QUANTITY = 1
SIZING_FIXED_NOTIONAL = 2
SIZING_FRACTION_OF_EQUITY = 3


class KernelConfig(NamedTuple):
    """Run settings the kernels read; floats use inf for "no limit", ``max_open_orders`` a huge int.

    ``kill_switch``: ``max_daily_loss`` or ``max_drawdown_pct`` is set (the loops test this flag only).
    """

    latency_ns: int
    bar_interval_ns: int
    equity_resolution_ns: int
    maker_bps: float
    taker_bps: float
    slippage_bps: float
    slippage_ticks: float
    sizing_mode: int
    sizing_value: float
    max_order_qty: float
    max_order_notional: float
    max_position: float
    allow_short: bool
    max_working: int
    max_gross_exposure: float
    max_net_exposure: float
    max_open_orders: int
    reduce_only: bool
    kill_switch: bool
    max_daily_loss: float
    max_drawdown_pct: float
    flatten_on_kill: bool
