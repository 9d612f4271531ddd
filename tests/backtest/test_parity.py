"""``compare_session``: a session like the backtest passes; each kind of difference is named, the earliest first."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import botkit
from botkit.backtest.parity import compare_session
from botkit.backtest.result import BacktestResult
from botkit.model.enums import OrderType, Side
from botkit.model.orders import Fill, Liquidity, Order, OrderStatus

SYMBOL = "BTCUSD"
FEED_LATENCY_NS = 3_000_000


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    rng = np.random.default_rng(4)
    mid = 100.0 + np.cumsum(rng.normal(0, 0.2, 300))
    ts = 1_700_000_000_000_000_000 + np.arange(300, dtype=np.int64) * 100_000_000
    frame = pd.DataFrame({"ts": ts, "bid": mid - 0.05, "bid_size": 5.0, "ask": mid + 0.05, "ask_size": 5.0})
    return botkit.backtest({"strategy": "sma_cross", "params": {"fast": 3, "slow": 8, "size": 1.0}, "engine": "python",
                            "data": {"kind": "quotes", "symbols": [SYMBOL]}, "fees": {"taker_bps": 5}},
                           data={SYMBOL: frame})


def session_of(result: BacktestResult) -> tuple[list[Order], list[Fill]]:
    """The orders and fills a live session identical to ``result`` would have (decided a feed latency later)."""
    assert result.orders is not None
    orders = [Order(f"paper-{row.order_id}", f"live-{row.order_id}", SYMBOL,
                    Side.BUY if row.side == "buy" else Side.SELL, row.qty,
                    OrderType[row.order_type.upper()], OrderStatus.FILLED, row.ts.value + FEED_LATENCY_NS)
              for row in result.orders.itertuples()]
    fills = [Fill(row.ts.value, f"paper-{row.order_id}", f"live-{row.order_id}", SYMBOL,
                  Side.BUY if row.side == "buy" else Side.SELL, row.qty,
                  row.price, row.fee, Liquidity.TAKER) for row in result.fills.itertuples()]
    return orders, fills


def test_a_session_like_the_backtest_is_identical(result):
    orders, fills = session_of(result)
    report = compare_session(orders, fills, result)
    assert report.identical and report.first_difference is None
    assert (report.live_orders, report.live_fills) == (len(result.orders), len(result.fills)) and len(fills) >= 4
    assert report.max_fill_ts_delta_ns == 0 and report.max_order_ts_delta_ns == FEED_LATENCY_NS
    assert report.summary() == f"{len(orders)} orders, {len(fills)} fills — identical to the backtest of the recording"


def test_a_fill_at_another_price_or_time_is_named(result):
    orders, fills = session_of(result)
    fills[2] = replace(fills[2], price=fills[2].price + 0.01)
    report = compare_session(orders, fills, result)
    assert not report.identical
    assert report.first_difference is not None and report.first_difference.startswith("fill 3: live ")
    assert "(price differs)" in report.first_difference
    assert report.summary().startswith("DIFFERENT from the backtest of the recording: fill 3: ")
    orders, fills = session_of(result)
    fills[1] = replace(fills[1], ts=fills[1].ts + 1)
    report = compare_session(orders, fills, result)
    assert "fill 2:" in (report.first_difference or "") and report.max_fill_ts_delta_ns == 1


def test_a_different_order_or_a_missing_one_is_named(result):
    orders, fills = session_of(result)
    orders[1] = replace(orders[1], qty=orders[1].qty * 2)
    report = compare_session(orders, fills, result)
    assert (report.first_difference or "").startswith("order 2: live market ")
    assert "(qty differs)" in (report.first_difference or "")
    orders, fills = session_of(result)
    report = compare_session(orders[:-1], [f for f in fills if f.client_order_id != orders[-1].client_order_id],
                             result)
    assert report.first_difference is not None and "only the backtest side" in report.first_difference


def test_the_earliest_difference_is_reported_first(result):
    orders, fills = session_of(result)
    orders[-1] = replace(orders[-1], side=Side(-int(orders[-1].side)))  # late: the last order
    fills[0] = replace(fills[0], qty=fills[0].qty / 2)  # early: the first fill
    report = compare_session(orders, fills, result)
    assert (report.first_difference or "").startswith("fill 1:")
