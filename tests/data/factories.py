"""Small, valid record arrays for the tests of botkit.data."""

from __future__ import annotations

import numpy as np

from botkit.core.clock import NS_PER_MINUTE, to_ns
from botkit.model.records import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE

T0 = to_ns("2024-01-01T00:00:00Z")


def make_bars(n: int, start_ns: int = T0, interval_ns: int = NS_PER_MINUTE) -> np.ndarray:
    """Valid bars with closes 100, 101, ... so rows are easy to tell apart."""
    bars = np.zeros(n, dtype=BAR_DTYPE)
    bars["ts"] = start_ns + np.arange(n, dtype=np.int64) * interval_ns
    close = 100.0 + np.arange(n)
    bars["open"] = close - 0.5
    bars["close"] = close
    bars["high"] = close + 1.0
    bars["low"] = close - 1.0
    bars["volume"] = 5.0
    return bars


def make_trades(ts: list[int] | np.ndarray) -> np.ndarray:
    trades = np.zeros(len(ts), dtype=TRADE_DTYPE)
    trades["ts"] = ts
    trades["price"] = 100.0 + np.arange(len(ts))
    trades["size"] = 1.0
    trades["side"] = np.where(np.arange(len(ts)) % 2 == 0, 1, -1)
    return trades


def make_quotes(ts: list[int] | np.ndarray) -> np.ndarray:
    quotes = np.zeros(len(ts), dtype=QUOTE_DTYPE)
    quotes["ts"] = ts
    quotes["bid"] = 100.0 + np.arange(len(ts))
    quotes["ask"] = quotes["bid"] + 0.5
    quotes["bid_size"] = 2.0
    quotes["ask_size"] = 3.0
    return quotes
