"""The numeric form of market events that compiled code sees.

Archives are read into numpy structured arrays with these dtypes; compiled strategy steps receive
the matching ``*Record`` named tuples, one per event. ``instrument`` is the index of the symbol in
the backtest's symbol list, so records carry no strings.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

BAR_DTYPE = np.dtype(
    [("ts", "i8"), ("open", "f8"), ("high", "f8"), ("low", "f8"), ("close", "f8"), ("volume", "f8")]
)
TRADE_DTYPE = np.dtype([("ts", "i8"), ("price", "f8"), ("size", "f8"), ("side", "i1")])
QUOTE_DTYPE = np.dtype(
    [("ts", "i8"), ("bid", "f8"), ("bid_size", "f8"), ("ask", "f8"), ("ask_size", "f8")]
)


class BarRecord(NamedTuple):
    """A bar as a compiled step sees it."""

    ts: int
    instrument: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class TradeRecord(NamedTuple):
    """A trade as a compiled step sees it; ``side`` is +1 (buyer aggressed) or -1."""

    ts: int
    instrument: int
    price: float
    size: float
    side: int


class QuoteRecord(NamedTuple):
    """A top-of-book quote as a compiled step sees it."""

    ts: int
    instrument: int
    bid: float
    bid_size: float
    ask: float
    ask_size: float


# What a compiled step returns: a tuple (action, side, qty, price).
# side is +1 (buy) or -1 (sell); qty NaN means "size it for me"; price is the limit or stop price.
ACTION_NONE = 0
ACTION_MARKET = 1
ACTION_LIMIT = 2
ACTION_STOP = 3
ACTION_CANCEL_ALL = 4
ACTION_REPLACE_LIMIT = 5
ACTION_REPLACE_STOP = 6
ACTION_REPLACE_MARKET = 7
ACTION_MAX = 7

# The engine fills the first slots of a compiled step's state row before each call.
SLOT_POSITION = 0
SLOT_CASH = 1
SLOT_EQUITY = 2
SLOT_REJECTED = 3
SLOT_WORKING = 4
FIRST_USER_SLOT = 5
