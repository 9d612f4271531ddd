"""Hand-computed cases for the reference backtester (tests/backtest/reference).

Every expected number below is worked out by hand in the comments next to it, from
docs/backtesting.md. These tests validate the reference, which then validates the engines.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from reference import (
    Bar,
    BollingerReversion,
    Config,
    DonchianBreakout,
    Quote,
    Scripted,
    SmaCross,
    Trade,
    config_from_spec,
    parse_interval,
    run_backtest,
)

MIN = 60 * 10**9  # one minute in ns
SEC = 10**9
T0 = 1_700_000_040 * 10**9  # a minute boundary (2023-11-14 22:14:00 UTC)


def approx(x: float) -> object:
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def mk_bars(rows: list[tuple[float, float, float, float]], t0: int = T0, step: int = MIN) -> list[Bar]:
    return [Bar(t0 + i * step, o, h, lo, c, 0.0) for i, (o, h, lo, c) in enumerate(rows)]


# open, high, low, close
BARS = mk_bars(
    [
        (100.0, 101.0, 99.0, 100.0),  # b0 at T0
        (102.0, 103.0, 101.0, 102.5),  # b1 at T0 + 1m
        (104.0, 105.0, 103.0, 104.0),  # b2 at T0 + 2m
        (103.0, 104.0, 100.0, 101.0),  # b3 at T0 + 3m
    ]
)


def run(script: dict, data: dict | list, kind: str = "bars", **cfg: object):
    if isinstance(data, list):
        data = {"AAA": data}
    cfg.setdefault("bar_interval_ns", MIN)
    strategy = Scripted(script)
    result = run_backtest(data, kind, strategy, Config(**cfg))
    return result, strategy


def fills(result) -> list[tuple]:
    """(ts, symbol, side, qty, price, fee, liquidity) of every fill."""
    return [tuple(f)[:7] for f in result.fills]


def assert_fills(result, expected: list[tuple]) -> None:
    got = fills(result)
    assert len(got) == len(expected), got
    for g, e in zip(got, expected, strict=True):
        assert g[0] == e[0], (g, e)
        assert g[1] == e[1], (g, e)
        assert g[2] == e[2], (g, e)
        assert g[3] == approx(e[3]), (g, e)
        assert g[4] == approx(e[4]), (g, e)
        assert g[5] == approx(e[5]), (g, e)
        assert g[6] == e[6], (g, e)


def buy(qty=None, sym="AAA", **kw):
    return lambda ctx: ctx.buy(sym, qty, **kw)


def sell(qty=None, sym="AAA", **kw):
    return lambda ctx: ctx.sell(sym, qty, **kw)


# --------------------------------------------------------------------------------------------
# Bars


def test_bars_market_buy_fills_next_open_with_taker_fee_and_open_position_at_end():
    res, strat = run({("AAA", 0): buy(2.0)}, BARS, maker_bps=1.0, taker_bps=5.0)
    # Bought at b0 (seen at T0 + 1m), fills at b1's open 102; fee 2 * 102 * 5e-4 = 0.102.
    assert_fills(res, [(T0 + MIN, "AAA", 1, 2.0, 102.0, 0.102, "taker")])
    # cash = 10000 - 204 - 0.102 = 9795.898
    assert res.cash == approx(9795.898)
    # equity: b0 10000 (flat); b1 9795.898 + 2*102.5 = 10000.898; b2 + 2*104 = 10003.898;
    # b3 + 2*101 = 9997.898. Stamped with the event ts: the bar open times.
    assert [t for t, _ in res.equity] == [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]
    assert [e for _, e in res.equity] == [approx(x) for x in (10000.0, 10000.898, 10003.898, 9997.898)]
    # Open at the end: marked to the last close, not a trade.
    assert res.final_equity == approx(9997.898)
    assert res.trades == 0
    assert res.positions == {"AAA": 2.0}
    assert res.fees == approx(0.102)
    # ctx.now() during on_bar is the bar's close time.
    assert [s[2] for s in strat.seen] == [T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 4 * MIN]


def test_bars_round_trip_with_bps_slippage():
    res, _ = run({("AAA", 0): buy(2.0), ("AAA", 1): sell(2.0)}, BARS, slippage_bps=10.0)
    # buy at b1 open 102 * (1 + 0.001) = 102.102; sell at b2 open 104 * (1 - 0.001) = 103.896
    assert_fills(
        res,
        [
            (T0 + MIN, "AAA", 1, 2.0, 102.102, 0.0, "taker"),
            (T0 + 2 * MIN, "AAA", -1, 2.0, 103.896, 0.0, "taker"),
        ],
    )
    # pnl = 2 * (103.896 - 102.102) = 3.588
    assert res.trades == 1
    assert res.round_trips[0].pnl == approx(3.588)
    assert res.final_equity == approx(10003.588)
    assert res.positions == {"AAA": 0.0}


def test_bars_round_trip_with_tick_slippage_and_fees():
    res, _ = run(
        {("AAA", 0): buy(2.0), ("AAA", 1): sell(2.0)},
        BARS,
        slippage_ticks=2,
        tick_size=0.5,
        taker_bps=10.0,
    )
    # buy: 102 + 2 * 0.5 = 103, fee 2 * 103 * 0.001 = 0.206
    # sell: 104 - 1 = 103, fee 0.206; pnl = 0 - 0.412
    assert_fills(
        res,
        [
            (T0 + MIN, "AAA", 1, 2.0, 103.0, 0.206, "taker"),
            (T0 + 2 * MIN, "AAA", -1, 2.0, 103.0, 0.206, "taker"),
        ],
    )
    assert res.round_trips[0].pnl == approx(-0.412)
    assert res.final_equity == approx(10000.0 - 0.412)


@pytest.mark.parametrize(
    ("side", "price", "expected"),
    [
        # b1: open 102, high 103, low 101
        (1, 101.5, 101.5),  # low 101 <= 101.5: min(102, 101.5)
        (1, 103.0, 102.0),  # limit above the open: min(102, 103) = the open
        (1, 101.0, 101.0),  # touching the low is enough
        (1, 100.0, None),  # low 101 > 100; b2 (low 103), b3 (low 100 <= 100!) -> see below
        (-1, 102.5, 102.5),  # high 103 >= 102.5: max(102, 102.5)
        (-1, 101.0, 102.0),  # limit below the open: the open
        (-1, 103.5, None),  # high 103 < 103.5; b2 high 105 >= 103.5: max(104, 103.5) = 104
    ],
)
def test_bars_limit_orders_maker_fee_no_slippage(side, price, expected):
    res, _ = run(
        {("AAA", 0): lambda ctx: ctx.submit("AAA", side, 1.0, "limit", price)},
        BARS,
        maker_bps=1.0,
        taker_bps=5.0,
        slippage_bps=50.0,
    )
    if expected is not None:
        assert_fills(res, [(T0 + MIN, "AAA", side, 1.0, expected, expected * 1e-4, "maker")])
    elif side == 1:
        # b3: open 103, low 100 <= 100 -> min(103, 100) = 100
        assert_fills(res, [(T0 + 3 * MIN, "AAA", 1, 1.0, 100.0, 0.01, "maker")])
    else:
        assert_fills(res, [(T0 + 2 * MIN, "AAA", -1, 1.0, 104.0, 0.0104, "maker")])


@pytest.mark.parametrize(
    ("side", "price", "expected_ts", "raw"),
    [
        # b1: open 102, high 103, low 101
        (1, 102.5, T0 + MIN, 102.5),  # high 103 >= 102.5: max(102, 102.5)
        (1, 101.0, T0 + MIN, 102.0),  # gapped through: max(102, 101) = the open
        (1, 104.5, T0 + 2 * MIN, 104.5),  # b1 high 103 < 104.5; b2 high 105: max(104, 104.5)
        (-1, 101.5, T0 + MIN, 101.5),  # low 101 <= 101.5: min(102, 101.5)
        (-1, 103.0, T0 + MIN, 102.0),  # gapped through: min(102, 103) = the open
        (-1, 100.5, T0 + 3 * MIN, 100.5),  # b1 low 101, b2 low 103 no; b3 low 100: min(103, 100.5)
    ],
)
def test_bars_stop_orders_slippage_and_taker_fee(side, price, expected_ts, raw):
    res, _ = run(
        {("AAA", 0): lambda ctx: ctx.submit("AAA", side, 1.0, "stop", price)},
        BARS,
        maker_bps=1.0,
        taker_bps=5.0,
        slippage_ticks=1,
        tick_size=0.25,
    )
    px = raw + side * 0.25
    assert_fills(res, [(expected_ts, "AAA", side, 1.0, px, px * 5e-4, "taker")])


def test_bars_stop_never_triggered_expires():
    res, _ = run({("AAA", 0): buy(1.0, stop=110.0)}, BARS)
    assert res.fills == []
    assert res.orders[0].status == "expired"
    assert res.final_equity == 10000.0


def test_bars_latency():
    # Bought at b0: submit_ts = T0 + 1m (b0's close). Bars fill when eligible_ts <= bar open ts.
    def first_fill_ts(latency):
        res, _ = run({("AAA", 0): buy(1.0)}, BARS, latency_ns=latency)
        return res.fills[0].ts if res.fills else None

    assert first_fill_ts(0) == T0 + MIN  # eligible T0+1m <= b1.ts
    assert first_fill_ts(1) == T0 + 2 * MIN  # eligible T0+1m+1ns > b1.ts: b2
    assert first_fill_ts(MIN) == T0 + 2 * MIN  # eligible == b2.ts: b2
    assert first_fill_ts(MIN + 1) == T0 + 3 * MIN
    assert first_fill_ts(2 * MIN + 1) is None  # after the last bar: expires
    res, _ = run({("AAA", 0): buy(1.0)}, BARS, latency_ns=1)
    assert res.fills[0].price == 104.0  # b2's open


def test_bars_fills_in_submission_order_and_only_whole_quantity():
    # Two orders from b0: a limit sell at 101 (fills at max(102, 101) = 102) and a market buy.
    # Submission order: the limit first. Bars ignore volume: whole quantities.
    res, _ = run({("AAA", 0): [sell(3.0, limit=101.0), buy(5.0)]}, BARS)
    assert_fills(
        res,
        [
            (T0 + MIN, "AAA", -1, 3.0, 102.0, 0.0, "maker"),
            (T0 + MIN, "AAA", 1, 5.0, 102.0, 0.0, "taker"),
        ],
    )
    # -3 then +2: the sell opened a short trip, the buy flipped it (closes 1 trip).
    assert res.trades == 1
    assert res.positions["AAA"] == 2.0


def test_bar_interval_is_inferred_from_the_most_common_gap():
    # Gaps 1m, 1m, 3m: bar_interval = 1m.
    bars = [
        Bar(T0, 1, 1, 1, 1),
        Bar(T0 + MIN, 1, 1, 1, 1),
        Bar(T0 + 2 * MIN, 1, 1, 1, 1),
        Bar(T0 + 5 * MIN, 1, 1, 1, 1),
    ]
    _, strat = run({}, bars, bar_interval_ns=None)
    assert [s[2] for s in strat.seen] == [T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 6 * MIN]


# --------------------------------------------------------------------------------------------
# Trades

TRADES = [
    Trade(T0, 100.0, 5.0),  # t0
    Trade(T0 + SEC, 101.0, 1.0),  # t1
    Trade(T0 + 2 * SEC, 99.0, 3.0),  # t2
    Trade(T0 + 2 * SEC, 98.0, 10.0),  # t3, same ts as t2
]


def test_trades_market_partial_fills_and_same_ts():
    res, strat = run({("AAA", 0): buy(2.0), ("AAA", 2): sell(4.0)}, TRADES, "trades", taker_bps=10.0)
    # buy 2 from t0: t1 fills 1 @ 101 (size 1), t2 fills the other 1 @ 99.
    # sell 4 from t2 (seen at t2's ts): not on t2 itself, but on t3 at the same ts, size 10.
    assert_fills(
        res,
        [
            (T0 + SEC, "AAA", 1, 1.0, 101.0, 0.101, "taker"),
            (T0 + 2 * SEC, "AAA", 1, 1.0, 99.0, 0.099, "taker"),
            (T0 + 2 * SEC, "AAA", -1, 4.0, 98.0, 0.392, "taker"),
        ],
    )
    # cash: 10000 - 101.101 - 99.099 + 392 - 0.392 = 10191.408; position -2 marked at 98.
    assert res.cash == approx(10191.408)
    assert res.final_equity == approx(10191.408 - 196.0)
    # Flip on the sell: trip 1 (+2) closed, trip 2 (-2) open.
    assert res.trades == 1
    # trip 1: sells 2 * 98 - buys 200 - fees (0.101 + 0.099 + 0.392 * 2/4) = -4 - 0.396
    assert res.round_trips[0].pnl == approx(-4.396)
    # marks: trade prices. equity after t1: 10000 - 101.101 + 1 * 101 = 9999.899
    assert res.equity[1] == (T0 + SEC, approx(9999.899))
    # ctx.now() on trades is the trade's ts.
    assert [s[2] for s in strat.seen] == [T0, T0 + SEC, T0 + 2 * SEC, T0 + 2 * SEC]


def test_trades_limit_fills_at_limit_price_with_maker_fee():
    # limit buy 3 @ 100: t1 101 > 100 no; t2 99 <= 100 -> 3 (size 3) at 100, not at 99.
    res, _ = run(
        {("AAA", 0): buy(3.0, limit=100.0)},
        TRADES,
        "trades",
        maker_bps=2.0,
        taker_bps=7.0,
        slippage_bps=100.0,
    )
    assert_fills(res, [(T0 + 2 * SEC, "AAA", 1, 3.0, 100.0, 0.06, "maker")])


def test_trades_limit_partial_then_rest():
    # limit buy 5 @ 99.5: t2 (99, size 3) fills 3 @ 99.5; t3 (98, size 10) fills 2 @ 99.5.
    res, _ = run({("AAA", 0): buy(5.0, limit=99.5)}, TRADES, "trades")
    assert_fills(
        res,
        [
            (T0 + 2 * SEC, "AAA", 1, 3.0, 99.5, 0.0, "maker"),
            (T0 + 2 * SEC, "AAA", 1, 2.0, 99.5, 0.0, "maker"),
        ],
    )


def test_trades_stop_buy_stays_triggered():
    # stop buy 2 @ 100.5 from t0: t1 101 >= 100.5 triggers, fills 1 (size 1) @ 101 + 1 tick;
    # t2 at 99 is below the stop but the stop stays triggered: 1 @ 99 + 0.01.
    res, _ = run(
        {("AAA", 0): buy(2.0, stop=100.5)},
        TRADES,
        "trades",
        slippage_ticks=1,
        tick_size=0.01,
        taker_bps=5.0,
    )
    assert_fills(
        res,
        [
            (T0 + SEC, "AAA", 1, 1.0, 101.01, 101.01 * 5e-4, "taker"),
            (T0 + 2 * SEC, "AAA", 1, 1.0, 99.01, 99.01 * 5e-4, "taker"),
        ],
    )


def test_trades_stop_sell():
    # stop sell 4 @ 99.5 from t0: t1 101 no; t2 99 <= 99.5 -> 3 @ 99*(1-0.001);
    # t3 (still triggered) -> 1 @ 98 * 0.999.
    res, _ = run({("AAA", 0): sell(4.0, stop=99.5)}, TRADES, "trades", slippage_bps=10.0)
    assert_fills(
        res,
        [
            (T0 + 2 * SEC, "AAA", -1, 3.0, 98.901, 0.0, "taker"),
            (T0 + 2 * SEC, "AAA", -1, 1.0, 97.902, 0.0, "taker"),
        ],
    )


def test_trades_orders_share_the_trade_size_in_submission_order():
    # From t0, in this order: market buy 2 (id 1), limit buy 2 @ 101 (id 2), market sell 1 (id 3).
    # t1 (101, size 1): id 1 takes 1; nothing left for id 2 and id 3.
    # t2 (99, size 3): id 1 takes its last 1, id 2 takes 2 @ 101 (limit price), nothing for id 3.
    # t3 (98, size 10): id 3 takes 1 @ 98.
    res, _ = run({("AAA", 0): [buy(2.0), buy(2.0, limit=101.0), sell(1.0)]}, TRADES, "trades")
    assert [(f.ts, f.side, f.qty, f.price, f.order_id, f.liquidity) for f in res.fills] == [
        (T0 + SEC, 1, 1.0, 101.0, 1, "taker"),
        (T0 + 2 * SEC, 1, 1.0, 99.0, 1, "taker"),
        (T0 + 2 * SEC, 1, 2.0, 101.0, 2, "maker"),
        (T0 + 2 * SEC, -1, 1.0, 98.0, 3, "taker"),
    ]
    assert res.positions["AAA"] == 3.0
    # cash = 10000 - 101 - 99 - 202 + 98 = 9696; 3 marked at 98 -> 9990
    assert res.final_equity == approx(9990.0)


def test_trades_latency():
    # latency 1.5 s: the order from t0 (T0) is eligible at T0 + 1.5 s: not t1, t2 yes.
    res, _ = run({("AAA", 0): buy(1.0)}, TRADES, "trades", latency_ns=3 * SEC // 2)
    assert_fills(res, [(T0 + 2 * SEC, "AAA", 1, 1.0, 99.0, 0.0, "taker")])
    # latency exactly 1 s: eligible == t1.ts, fills on t1.
    res, _ = run({("AAA", 0): buy(1.0)}, TRADES, "trades", latency_ns=SEC)
    assert_fills(res, [(T0 + SEC, "AAA", 1, 1.0, 101.0, 0.0, "taker")])


# --------------------------------------------------------------------------------------------
# Quotes

QUOTES = [
    Quote(T0, 99.0, 5.0, 101.0, 2.0),  # q0: mid 100
    Quote(T0 + SEC, 100.0, 1.0, 102.0, 3.0),  # q1: mid 101
    Quote(T0 + 2 * SEC, 98.0, 4.0, 99.0, 10.0),  # q2: mid 98.5
]


def test_quotes_market_orders_take_the_touch_with_displayed_size():
    # From q0: market buy 4, market sell 2 (separate sides, separate sizes).
    # q1: buy takes 3 (ask size) @ 102; sell takes 1 (bid size) @ 100.
    # q2: buy takes 1 @ 99; sell takes 1 @ 98.
    res, strat = run({("AAA", 0): [buy(4.0), sell(2.0)]}, QUOTES, "quotes", taker_bps=10.0)
    assert_fills(
        res,
        [
            (T0 + SEC, "AAA", 1, 3.0, 102.0, 0.306, "taker"),
            (T0 + SEC, "AAA", -1, 1.0, 100.0, 0.1, "taker"),
            (T0 + 2 * SEC, "AAA", 1, 1.0, 99.0, 0.099, "taker"),
            (T0 + 2 * SEC, "AAA", -1, 1.0, 98.0, 0.098, "taker"),
        ],
    )
    # cash = 10000 - 306.306 + 99.9 - 99.099 + 97.902 = 9792.397; position 2 at mid 98.5
    assert res.cash == approx(9792.397)
    assert res.final_equity == approx(9792.397 + 197.0)
    # equity after q1: cash 10000 - 306.306 + 99.9 = 9793.594, position 2 at mid 101
    assert res.equity[1][1] == approx(9793.594 + 202.0)
    assert strat.seen[0][3] == 10000.0


def test_quotes_buys_share_the_ask_size_in_submission_order_with_slippage():
    # From q0: market buy 2 (id 1), market buy 2 (id 2), bps slippage 10.
    # q1 ask 102 size 3: id 1 takes 2, id 2 takes 1 @ 102 * 1.001 = 102.102
    # q2 ask 99: id 2 takes 1 @ 99 * 1.001 = 99.099
    res, _ = run({("AAA", 0): [buy(2.0), buy(2.0)]}, QUOTES, "quotes", slippage_bps=10.0)
    assert [(f.ts, f.qty, f.price, f.order_id) for f in res.fills] == [
        (T0 + SEC, 2.0, approx(102.102), 1),
        (T0 + SEC, 1.0, approx(102.102), 2),
        (T0 + 2 * SEC, 1.0, approx(99.099), 2),
    ]


def test_quotes_limit_orders():
    # limit buy 2 @ 100: q1 ask 102 > 100 no; q2 ask 99 <= 100 -> 2 @ 100 (the limit), maker.
    # limit sell 3 @ 99.5: q1 bid 100 >= 99.5 -> min(3, bid size 1) = 1 @ 99.5; q2 bid 98 no.
    res, _ = run(
        {("AAA", 0): [buy(2.0, limit=100.0), sell(3.0, limit=99.5)]},
        QUOTES,
        "quotes",
        maker_bps=1.0,
        taker_bps=3.0,
    )
    assert_fills(
        res,
        [
            (T0 + SEC, "AAA", -1, 1.0, 99.5, 0.00995, "maker"),
            (T0 + 2 * SEC, "AAA", 1, 2.0, 100.0, 0.02, "maker"),
        ],
    )
    assert res.orders[1].remaining == 2.0 and res.orders[1].status == "expired"


def test_quotes_stop_orders():
    # stop buy 2 @ 101.5: q1 ask 102 >= 101.5 -> 2 (ask size 3) @ 102 + 2 ticks of 0.5 = 103.
    # stop sell 5 @ 99.5: q1 bid 100 no; q2 bid 98 <= 99.5 -> 4 (bid size) @ 98 - 1 = 97.
    res, _ = run(
        {("AAA", 0): [buy(2.0, stop=101.5), sell(5.0, stop=99.5)]},
        QUOTES,
        "quotes",
        slippage_ticks=2,
        tick_size=0.5,
        taker_bps=10.0,
    )
    assert_fills(
        res,
        [
            (T0 + SEC, "AAA", 1, 2.0, 103.0, 0.206, "taker"),
            (T0 + 2 * SEC, "AAA", -1, 4.0, 97.0, 0.388, "taker"),
        ],
    )


def test_quotes_stop_stays_triggered():
    quotes = [*QUOTES, Quote(T0 + 3 * SEC, 97.0, 1.0, 97.5, 5.0)]
    # stop buy 4 @ 101.5: q1 triggers (ask 102), 3 @ 102; q2 ask 99: still triggered, 1 @ 99.
    res, _ = run({("AAA", 0): buy(4.0, stop=101.5)}, quotes, "quotes")
    assert [(f.ts, f.qty, f.price) for f in res.fills] == [
        (T0 + SEC, 3.0, 102.0),
        (T0 + 2 * SEC, 1.0, 99.0),
    ]


# --------------------------------------------------------------------------------------------
# Sizing


def test_sizing_fixed_quantity_is_rounded_down_to_lot():
    res, _ = run({("AAA", 0): buy()}, BARS, sizing=("fixed_quantity", 1.7), lot_size=0.5)
    assert res.fills[0].qty == 1.5  # floor(3.4) * 0.5


@pytest.mark.parametrize(
    ("q", "lot", "lots"),
    [(0.3, 0.1, 3), (0.7, 0.1, 7), (0.29, 0.1, 2), (1.0, 0.001, 1000), (0.0999, 0.1, 0)],
)
def test_sizing_lot_rounding_ignores_representation_error(q, lot, lots):
    # 0.3 / 0.1 = 2.9999999999999996 and 0.7 / 0.1 = 6.999999999999999 in floats: still 3 and 7
    # lots. 0.0999 is 0 lots: rejected.
    res, _ = run({("AAA", 0): buy()}, BARS, sizing=("fixed_quantity", q), lot_size=lot)
    if lots:
        assert res.fills[0].qty == lots * lot
    else:
        assert reasons(res) == ["zero_quantity"]


def test_sizing_fixed_notional_uses_the_decision_close():
    # b1 close 102.5: 1000 / 102.5 = 9.7560...; lot 0.25 -> floor(39.02) * 0.25 = 9.75
    res, _ = run({("AAA", 1): buy()}, BARS, sizing=("fixed_notional", 1000.0), lot_size=0.25)
    assert res.fills[0].qty == 9.75
    assert res.fills[0].price == 104.0
    # no lot size: the exact quotient
    res, _ = run({("AAA", 1): buy()}, BARS, sizing=("fixed_notional", 1000.0))
    assert res.fills[0].qty == approx(1000.0 / 102.5)


def test_sizing_fraction_of_equity_uses_equity_after_mark_to_market():
    # b0: buy 10 (explicit) -> fills at b1 open 102: cash 8980.
    # b2: equity after marking = 8980 + 10 * 104 = 10020; 0.5 * 10020 / 104 = 48.17...;
    # lot 1 -> 48. Fills at b3 open 103.
    res, strat = run(
        {("AAA", 0): buy(10.0), ("AAA", 2): buy()},
        BARS,
        sizing=("fraction_of_equity", 0.5),
        lot_size=1.0,
    )
    assert strat.seen[2][3] == approx(10020.0)
    assert_fills(
        res,
        [
            (T0 + MIN, "AAA", 1, 10.0, 102.0, 0.0, "taker"),
            (T0 + 3 * MIN, "AAA", 1, 48.0, 103.0, 0.0, "taker"),
        ],
    )


def test_sizing_zero_after_rounding_is_rejected():
    # 50 / 100 = 0.5 -> lot 1 -> 0: rejected, the strategy is told.
    res, strat = run({("AAA", 0): buy()}, BARS, sizing=("fixed_notional", 50.0), lot_size=1.0)
    assert res.fills == []
    assert [r.reason for r in res.rejections] == ["zero_quantity"]
    assert strat.rejections == res.rejections
    assert res.rejections[0].ts == T0 + MIN


def test_explicit_quantity_is_not_sized_but_is_rounded_to_the_lot():
    res, _ = run({("AAA", 0): buy(1.3)}, BARS, sizing=("fixed_quantity", 5.0), lot_size=1.0)
    assert res.fills[0].qty == 1.0
    res, _ = run({("AAA", 0): buy(0.3)}, BARS, sizing=("fixed_quantity", 5.0), lot_size=1.0)
    assert reasons(res) == ["zero_quantity"] and not res.fills


# --------------------------------------------------------------------------------------------
# Risk


def reasons(res) -> list[str]:
    return [r.reason for r in res.rejections]


def test_risk_max_order_qty():
    res, _ = run({("AAA", 0): [buy(2.0), buy(1.0)]}, BARS, max_order_qty=1.0)
    assert reasons(res) == ["max_order_qty"]
    assert [f.qty for f in res.fills] == [1.0]


def test_risk_max_order_notional_uses_the_reference_price():
    # b0 close 100: 2 * 100 = 200 > 150 rejected even for a limit at 50 (2 * 50 = 100);
    # 1 * 100 = 100 accepted.
    res, _ = run({("AAA", 0): [buy(2.0, limit=50.0), buy(1.0)]}, BARS, max_order_notional=150.0)
    assert reasons(res) == ["max_order_notional"]
    assert [f.qty for f in res.fills] == [1.0]


def test_risk_max_position_counts_working_orders_on_the_orders_side_only():
    # b0: buy 2 (working) ok; buy 2 -> |0 + 2 + 2| = 4 > 3 rejected; sell 5 -> |0 - 5| = 5 > 3
    # rejected: the working buy makes no room for a sell (netted it would be |2 - 5| = 3);
    # sell 3 -> |0 - 3| = 3 ok. Both fill at b1: position 2 - 3 = -1.
    # b1: buy 4 -> |-1 + 4| = 3 ok; buy 1 -> |-1 + 4 + 1| = 4 > 3 rejected.
    res, _ = run(
        {("AAA", 0): [buy(2.0), buy(2.0), sell(5.0), sell(3.0)], ("AAA", 1): [buy(4.0), buy(1.0)]},
        BARS,
        max_position=3.0,
    )
    assert reasons(res) == ["max_position", "max_position", "max_position"]
    assert [(f.side, f.qty) for f in res.fills] == [(1, 2.0), (-1, 3.0), (1, 4.0)]


def test_risk_allow_short_false():
    # b0 (flat): sell 1 -> -1 < 0 rejected; buy 2 ok; sell 2 -> 0 - 2 < 0 rejected: the working buy
    # may still be canceled, so it does not count for a sell. b1 (long 2): sell 2 -> 0 ok; sell 1
    # more -> 2 - 2 - 1 = -1 rejected.
    res, _ = run(
        {("AAA", 0): [sell(1.0), buy(2.0), sell(2.0)], ("AAA", 1): [sell(2.0), sell(1.0)]}, BARS, allow_short=False
    )
    assert reasons(res) == ["allow_short", "allow_short", "allow_short"]
    assert [(f.side, f.qty) for f in res.fills] == [(1, 2.0), (-1, 2.0)]
    assert res.trades == 1


def test_risk_rules_run_in_order_first_objection_wins():
    cfg = dict(max_order_qty=5.0, max_order_notional=100.0, max_position=3.0, allow_short=False)
    # sell 10: fails all four; the first, max_order_qty, rejects. sell 4: notional 400 > 100.
    # buy 1 (notional 100) ok. sell 0.5: 0 - 0.5 (the working buy does not count for a sell) is
    # short: allow_short.
    res, _ = run({("AAA", 0): [sell(10.0), sell(4.0), buy(1.0), sell(0.5)]}, BARS, **cfg)
    assert reasons(res) == ["max_order_qty", "max_order_notional", "allow_short"]
    res, _ = run({("AAA", 0): [buy(0.75), buy(0.75), buy(0.75), buy(0.75), buy(0.75)]}, BARS, **cfg)
    # 0.75, 1.5, 2.25, 3.0 ok; 3.75 > 3: max_position
    assert reasons(res) == ["max_position"]
    assert sum(f.qty for f in res.fills) == 3.0


def test_cancel_before_place_frees_risk_and_canceled_orders_never_fill():
    def cancel_and_replace(ctx):
        assert ctx.cancel_all("AAA") == 1
        ctx.buy("AAA", 1.0, limit=101.5)

    # b0: limit buy 1 @ 90 (never fills). b1: cancel it, place limit @ 101.5: with
    # max_position 1 this is allowed because the cancel happens first. b2 low 103 no;
    # b3 low 100 <= 101.5 -> min(103, 101.5) = 101.5.
    res, _ = run({("AAA", 0): buy(1.0, limit=90.0), ("AAA", 1): cancel_and_replace}, BARS, max_position=1.0)
    assert res.rejections == []
    assert [(f.order_id, f.price) for f in res.fills] == [(2, 101.5)]
    assert res.orders[0].status == "canceled"


# --------------------------------------------------------------------------------------------
# Accounting: flips and round trips


def test_flip_splits_the_fee_and_counts_round_trips():
    # b0: buy 2 -> b1 @ 102, fee 2 * 102 * 0.001 = 0.204.
    # b1: sell 5 -> b2 @ 104, fee 0.52: closes the long (2/5 of the fee = 0.208), opens -3.
    # b2: buy 3 -> b3 @ 103, fee 0.309: closes the short.
    res, _ = run({("AAA", 0): buy(2.0), ("AAA", 1): sell(5.0), ("AAA", 2): buy(3.0)}, BARS, taker_bps=10.0)
    assert res.trades == 2
    long_trip, short_trip = res.round_trips
    # long: sells 2 * 104 - buys 2 * 102 - fees (0.204 + 0.208) = 4 - 0.412
    assert long_trip.pnl == approx(3.588)
    # short: sells 3 * 104 - buys 3 * 103 - fees (0.312 + 0.309) = 3 - 0.621
    assert short_trip.pnl == approx(2.379)
    assert (long_trip.open_ts, long_trip.close_ts) == (T0 + MIN, T0 + 2 * MIN)
    assert (short_trip.open_ts, short_trip.close_ts) == (T0 + 2 * MIN, T0 + 3 * MIN)
    # Final equity = capital + sum of trip pnls (flat at the end).
    assert res.final_equity == approx(10000.0 + 3.588 + 2.379)
    assert res.positions["AAA"] == 0.0


def test_open_short_at_end_is_marked_not_counted():
    # sell 2 from b1 -> b2 @ 104; last close 101: equity = 10000 + 208 - 202 = 10006
    res, _ = run({("AAA", 1): sell(2.0)}, BARS)
    assert res.trades == 0
    assert res.final_equity == approx(10006.0)


# --------------------------------------------------------------------------------------------
# Several symbols


def test_multi_symbol_merge_is_stable_by_symbol_order():
    a = mk_bars([(10.0, 11.0, 9.0, 10.0), (10.0, 11.0, 9.0, 10.5), (11.0, 11.5, 10.5, 11.0)])
    b = mk_bars([(50.0, 51.0, 49.0, 50.0), (52.0, 53.0, 51.0, 52.0)], t0=T0 + MIN)
    # symbols order BBB, AAA: at T0 only AAA; at T0+1m BBB before AAA; at T0+2m BBB, AAA.
    strat = Scripted(
        {
            ("AAA", 0): lambda ctx: ctx.buy("BBB", 1.0),  # fills on BBB's b0 (T0+1m)
            ("BBB", 0): lambda ctx: ctx.buy("AAA", 2.0),  # fills on AAA's b2 (T0+2m)
        }
    )
    res = run_backtest({"AAA": a, "BBB": b}, "bars", strat, Config(bar_interval_ns=MIN), symbols=["BBB", "AAA"])
    assert [(s, i) for s, i, _, _ in strat.seen] == [
        ("AAA", 0),
        ("BBB", 0),
        ("AAA", 1),
        ("BBB", 1),
        ("AAA", 2),
    ]
    # The order for BBB submitted at T0+1m (AAA b0's close) is eligible for BBB's bar at T0+1m.
    # The order for AAA submitted at T0+2m (BBB b0's close): AAA b1 (T0+1m) is before, b2 ok.
    assert fills(res) == [
        (T0 + MIN, "BBB", 1, 1.0, 50.0, 0.0, "taker"),
        (T0 + 2 * MIN, "AAA", 1, 2.0, 11.0, 0.0, "taker"),
    ]
    # cash = 10000 - 50 - 22 = 9928; final: 1 BBB @ 52 + 2 AAA @ 11 -> 10002
    assert res.final_equity == approx(10002.0)
    # equity points: AAA b0 10000; BBB b0 9950 + 50 = 10000; AAA b1: 10000;
    # BBB b1: 9950 + 52 = 10002; AAA b2: 9928 + 52 + 22 = 10002
    assert [e for _, e in res.equity] == [10000.0, 10000.0, 10000.0, 10002.0, 10002.0]
    assert res.trades == 0


def test_multi_symbol_trades_share_nothing_across_symbols():
    a = [Trade(T0, 10.0, 1.0), Trade(T0 + SEC, 10.5, 1.0)]
    b = [Trade(T0, 20.0, 1.0), Trade(T0 + SEC, 21.0, 3.0)]
    # At T0: AAA then BBB (spec order). AAA's t0 places buy 2 AAA and buy 2 BBB.
    # BBB's t0 (same ts, later event): buy 2 BBB is eligible -> 1 @ 20. Next events at T0+1s:
    # AAA t1: 1 @ 10.5 (size 1); BBB t1: the last 1 @ 21.
    strat = Scripted({("AAA", 0): [lambda ctx: ctx.buy("AAA", 2.0), lambda ctx: ctx.buy("BBB", 2.0)]})
    res = run_backtest({"AAA": a, "BBB": b}, "trades", strat, Config())
    assert fills(res) == [
        (T0, "BBB", 1, 1.0, 20.0, 0.0, "taker"),
        (T0 + SEC, "AAA", 1, 1.0, 10.5, 0.0, "taker"),
        (T0 + SEC, "BBB", 1, 1.0, 21.0, 0.0, "taker"),
    ]


# --------------------------------------------------------------------------------------------
# Reference strategies


def bars_from_closes(rows):
    return mk_bars(rows)


def test_sma_cross_hand_computed():
    # closes 10 9 8 9 10 11 10 9 8 (open = previous close, high/low +-0.5)
    closes = [10, 9, 8, 9, 10, 11, 10, 9, 8]
    rows = []
    for i, c in enumerate(closes):
        o = closes[i - 1] if i else c
        rows.append((float(o), max(o, c) + 0.5, min(o, c) - 0.5, float(c)))
    # i : sma2 / sma3 ; from i = 3 (slow):
    # 3 : 8.5 / 8.67 (prev 8.5 / 9)     no cross
    # 4 : 9.5 / 9    (prev 8.5 / 8.67)  cross above -> buy 1, fills at bar 5 open = 10
    # 5 : 10.5 / 10 ; 6 : 10.5 / 10.33 no cross
    # 7 : 9.5 / 10   (prev 10.5 / 10.33) cross below, position 1 -> sell 1, bar 8 open = 9
    strat = SmaCross(2, 3, 1.0)
    res = run_backtest({"AAA": mk_bars(rows)}, "bars", strat, Config(bar_interval_ns=MIN))
    assert fills(res) == [
        (T0 + 5 * MIN, "AAA", 1, 1.0, 10.0, 0.0, "taker"),
        (T0 + 8 * MIN, "AAA", -1, 1.0, 9.0, 0.0, "taker"),
    ]
    assert res.trades == 1
    assert res.final_equity == approx(9999.0)


def test_sma_cross_sized_by_the_spec_when_size_is_none():
    closes = [10, 9, 8, 9, 10, 11, 10, 9, 8]
    rows = [
        (
            float(closes[i - 1] if i else c),
            max(closes[i - 1] if i else c, c) + 0.5,
            min(closes[i - 1] if i else c, c) - 0.5,
            float(c),
        )
        for i, c in enumerate(closes)
    ]
    # decision at bar 4, close 10: fixed_notional 1000 / 10 = 100
    res = run_backtest(
        {"AAA": mk_bars(rows)},
        "bars",
        SmaCross(2, 3, None),
        Config(bar_interval_ns=MIN, sizing=("fixed_notional", 1000.0)),
    )
    assert [f.qty for f in res.fills] == [100.0, 100.0]
    assert res.final_equity == approx(10000.0 - 100.0)


BOLLINGER_ROWS = [
    (10.0, 10.5, 9.5, 10.0),  # 0: warm-up
    (10.0, 12.5, 9.8, 12.0),  # 1: [10, 12] mid 11 sd 1 -> limit buy @ 10
    (12.0, 12.2, 10.5, 11.0),  # 2: low 10.5 > 10 no fill; [12, 11] mid 11.5 sd .5 -> cancel, @ 11
    (11.2, 11.4, 10.6, 10.8),  # 3: low 10.6 <= 11 -> fill min(11.2, 11) = 11; close 10.8 < 10.9
    (10.8, 11.6, 10.7, 11.5),  # 4: [10.8, 11.5] mid 11.15, close 11.5 > mid -> market sell 1
    (11.4, 11.6, 11.3, 11.5),  # 5: sell fills @ open 11.4; flat: [11.5, 11.5] sd 0 -> @ 11.5
    (11.6, 11.7, 11.55, 11.6),  # 6: low 11.55 > 11.5 no fill; cancel and replace; expires
]


def test_bollinger_reversion_hand_computed():
    strat = BollingerReversion(2, 1.0, 1.0)
    # max_position 1: replacing the limit each bar is fine because the cancel comes first.
    res = run_backtest(
        {"AAA": mk_bars(BOLLINGER_ROWS)},
        "bars",
        strat,
        Config(bar_interval_ns=MIN, maker_bps=10.0, taker_bps=20.0, max_position=1.0, allow_short=False),
    )
    # buy @ 11, maker fee 0.011; sell @ 11.4, taker fee 0.0228
    assert_fills(
        res,
        [
            (T0 + 3 * MIN, "AAA", 1, 1.0, 11.0, 0.011, "maker"),
            (T0 + 5 * MIN, "AAA", -1, 1.0, 11.4, 0.0228, "taker"),
        ],
    )
    assert res.rejections == []
    assert res.trades == 1
    assert res.round_trips[0].pnl == approx(0.4 - 0.0338)
    assert [o.status for o in res.orders] == ["canceled", "filled", "filled", "canceled", "expired"]
    assert [o.price for o in res.orders if o.type == "limit"][:3] == [10.0, 11.0, 11.5]


def test_bollinger_no_order_when_lower_band_not_positive():
    # [1, 5]: mid 3 sd 2, k = 2 -> lower = -1: cancel only, no order.
    rows = [(1.0, 1.5, 0.5, 1.0), (1.0, 5.5, 0.9, 5.0), (5.0, 5.5, 0.1, 5.0)]
    res = run_backtest({"AAA": mk_bars(rows)}, "bars", BollingerReversion(2, 2.0, 1.0), Config(bar_interval_ns=MIN))
    # bar 1: no order; bar 2: [5, 5] sd 0 -> limit @ 5 (expires)
    assert [o.price for o in res.orders] == [5.0]
    assert res.fills == []


DONCHIAN_ROWS = [
    (10.0, 10.5, 9.5, 10.0),  # 0
    (10.0, 11.0, 9.8, 10.8),  # 1
    (10.8, 10.9, 10.2, 10.5),  # 2: upper = max(10.5, 11, 10.9) = 11 -> stop buy @ 11
    (10.5, 10.9, 10.3, 10.6),  # 3: high 10.9 < 11 no fill; cancel, stop @ max(11, 10.9, 10.9)
    (10.7, 11.5, 10.6, 11.4),  # 4: high 11.5 >= 11 -> max(10.7, 11) = 11; lower(2,3) = 10.2
    (11.4, 11.6, 10.0, 10.1),  # 5: lower over bars 3, 4 = 10.3 (not this bar's 10.0):
    #                               close 10.1 < 10.3 -> market sell 1
    (10.0, 10.2, 9.9, 10.1),  # 6: sell fills @ open 10.0; flat: stop @ max(11.5, 11.6, 10.2)
]


def test_donchian_breakout_hand_computed():
    strat = DonchianBreakout(3, 2, 1.0)
    res = run_backtest(
        {"AAA": mk_bars(DONCHIAN_ROWS)},
        "bars",
        strat,
        Config(bar_interval_ns=MIN, slippage_bps=100.0),
    )
    # buy @ 11 * 1.01 = 11.11, sell @ 10 * 0.99 = 9.9
    assert_fills(
        res,
        [
            (T0 + 4 * MIN, "AAA", 1, 1.0, 11.11, 0.0, "taker"),
            (T0 + 6 * MIN, "AAA", -1, 1.0, 9.9, 0.0, "taker"),
        ],
    )
    assert res.trades == 1
    assert res.final_equity == approx(10000.0 - 1.21)
    assert [o.price for o in res.orders if o.type == "stop"] == [11.0, 11.0, 11.6]
    assert [o.status for o in res.orders] == ["canceled", "filled", "filled", "expired"]


def test_donchian_gap_through_the_stop_fills_at_the_open():
    rows = [r for r in DONCHIAN_ROWS[:4]] + [(11.2, 11.5, 11.1, 11.4)]
    res = run_backtest({"AAA": mk_bars(rows)}, "bars", DonchianBreakout(3, 2, 2.0), Config(bar_interval_ns=MIN))
    assert [(f.qty, f.price) for f in res.fills] == [(2.0, 11.2)]
    assert res.final_equity == approx(10000.0 + 2 * (11.4 - 11.2))


# --------------------------------------------------------------------------------------------
# Spec translation


def test_config_from_spec():
    cfg, kind, symbols = config_from_spec(
        {
            "name": "t",
            "strategy": "sma_cross",
            "params": {"fast": 3, "slow": 7, "size": 1.0},
            "data": {"kind": "bars", "symbols": ["AAA", "BBB"], "bar_interval": "1m"},
            "capital": 5_000.0,
            "sizing": {"fraction_of_equity": 0.5},
            "fees": {"maker_bps": 1.0, "taker_bps": 5.0},
            "slippage": {"ticks": 1},
            "instrument": {"tick_size": 0.01, "lot_size": 0.001},
            "latency_ns": 7,
            "risk": {"max_position": 5.0, "allow_short": False},
        }
    )
    assert kind == "bars" and symbols == ["AAA", "BBB"]
    assert cfg == Config(
        capital=5000.0,
        bar_interval_ns=MIN,
        sizing=("fraction_of_equity", 0.5),
        maker_bps=1.0,
        taker_bps=5.0,
        slippage_ticks=1.0,
        tick_size=0.01,
        lot_size=0.001,
        latency_ns=7,
        max_position=5.0,
        allow_short=False,
    )
    assert parse_interval("1h") == 3600 * SEC and parse_interval("250ms") == SEC // 4


def test_sma_cross_exit_cancels_working_orders_first():
    # fast 1 / slow 2 (fast > slow iff the close rose), latency 1m + 1ns: an order decided at bar
    # i is eligible at ts[i+2] + 1ns, so it fills at bar i + 3.
    # bar 2: 10 after 9 -> cross above, buy 1 -> fills at bar 5 open = 12.
    # bar 6: 12 after 13 -> cross below, long -> cancel working orders (none), sell 1 (bar 9).
    # bar 7: cross above, long -> nothing. bar 8: 12 after 13 -> cross below, still long (the
    # sell is working) -> cancel it, sell 1 again -> fills at bar 11 open = 12.6.
    # bar 9: cross above, still long -> nothing. Never short, no rejection.
    closes = [10.0, 9.0, 10.0, 11.0, 12.0, 13.0, 12.0, 13.0, 12.0, 12.5, 12.6, 12.7, 12.8]
    rows = [(closes[i - 1] if i else c, 0.0, 0.0, c) for i, c in enumerate(closes)]
    rows = [(o, max(o, c), min(o, c), c) for o, _, _, c in rows]
    res = run_backtest(
        {"AAA": mk_bars(rows)},
        "bars",
        SmaCross(1, 2, 1.0),
        Config(bar_interval_ns=MIN, latency_ns=MIN + 1, allow_short=True),
    )
    assert fills(res) == [
        (T0 + 5 * MIN, "AAA", 1, 1.0, 12.0, 0.0, "taker"),
        (T0 + 11 * MIN, "AAA", -1, 1.0, 12.6, 0.0, "taker"),
    ]
    assert [o.status for o in res.orders] == ["filled", "canceled", "filled"]
    assert res.rejections == []
    assert res.trades == 1
    assert res.final_equity == approx(10000.6)
