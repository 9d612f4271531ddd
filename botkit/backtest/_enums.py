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

# Order types of working orders.
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
C_SIZE = 9

# Kernel return codes.
STATUS_DONE = 0
STATUS_NEED_SPACE = 1
STATUS_BAD_INTENT = 2

SIZING_FIXED_QUANTITY = 1
SIZING_FIXED_NOTIONAL = 2
SIZING_FRACTION_OF_EQUITY = 3


class KernelConfig(NamedTuple):
    """Run settings the kernels read; floats use inf for "no limit"."""

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
