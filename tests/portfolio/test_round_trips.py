"""Round trips from fill logs: hand-computed cases and the equity conservation property."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.portfolio.round_trips import (
    OPEN_POSITION_COLUMNS,
    ROUND_TRIP_COLUMNS,
    open_position_summary,
    round_trips,
)

S = 1_000_000_000  # one second in ns
T0 = 1_704_067_200 * S  # 2024-01-01T00:00:00Z


def make_fills(*rows: tuple[int, str, int, float, float, float]) -> pd.DataFrame:
    """Fills from (second, symbol, side, qty, price, fee) rows."""
    return pd.DataFrame(
        {
            "ts": np.array([T0 + r[0] * S for r in rows], dtype=np.int64),
            "symbol": [r[1] for r in rows],
            "side": np.array([r[2] for r in rows], dtype=np.int64),
            "qty": np.array([r[3] for r in rows], dtype=np.float64),
            "price": np.array([r[4] for r in rows], dtype=np.float64),
            "fee": np.array([r[5] for r in rows], dtype=np.float64),
            "liquidity": ["taker"] * len(rows),
            "order_id": np.arange(len(rows), dtype=np.int64),
        }
    )


def ts(second: int) -> pd.Timestamp:
    return pd.Timestamp(T0 + second * S, unit="ns", tz="UTC")


def test_simple_long() -> None:
    trips = round_trips(make_fills((1, "BTC", 1, 2.0, 100.0, 1.0), (3, "BTC", -1, 2.0, 110.0, 1.0)))
    assert len(trips) == 1
    t = trips.iloc[0]
    assert (t["symbol"], t["side"], t["qty"]) == ("BTC", "long", 2.0)
    assert (t["entry_ts"], t["exit_ts"]) == (ts(1), ts(3))
    assert (t["entry_price"], t["exit_price"]) == (100.0, 110.0)
    assert t["pnl"] == pytest.approx(220 - 200 - 2)
    assert t["fees"] == pytest.approx(2.0)
    assert t["return"] == pytest.approx(18 / 200)
    assert t["duration"] == pd.Timedelta(seconds=2)


def test_simple_short() -> None:
    trips = round_trips(make_fills((0, "ETH", -1, 1.0, 50.0, 0.5), (60, "ETH", 1, 1.0, 40.0, 0.5)))
    t = trips.iloc[0]
    assert t["side"] == "short"
    assert (t["entry_price"], t["exit_price"]) == (50.0, 40.0)
    assert t["pnl"] == pytest.approx(50 - 40 - 1)
    assert t["return"] == pytest.approx(9 / 50)
    assert t["duration"] == pd.Timedelta(minutes=1)


def test_partial_exits_average_the_exit_price() -> None:
    trips = round_trips(
        make_fills(
            (0, "BTC", 1, 3.0, 10.0, 0.3),
            (1, "BTC", -1, 1.0, 12.0, 0.1),
            (2, "BTC", -1, 2.0, 13.0, 0.2),
        )
    )
    assert len(trips) == 1
    t = trips.iloc[0]
    assert t["qty"] == 3.0
    assert t["exit_price"] == pytest.approx((12 + 26) / 3)
    assert t["pnl"] == pytest.approx(12 + 26 - 30 - 0.6)
    assert t["exit_ts"] == ts(2)


def test_scaling_in_averages_the_entry_price() -> None:
    trips = round_trips(
        make_fills(
            (0, "BTC", 1, 1.0, 10.0, 0.0),
            (5, "BTC", 1, 3.0, 14.0, 0.0),
            (9, "BTC", -1, 4.0, 15.0, 0.0),
        )
    )
    t = trips.iloc[0]
    assert (t["qty"], t["entry_price"], t["entry_ts"]) == (4.0, 13.0, ts(0))
    assert t["pnl"] == pytest.approx(60 - 52)
    assert t["return"] == pytest.approx(8 / 52)


def test_flip_closes_one_trip_and_opens_the_next_with_the_fee_split() -> None:
    trips = round_trips(
        make_fills(
            (0, "BTC", 1, 2.0, 10.0, 0.2),
            (1, "BTC", -1, 5.0, 12.0, 1.0),  # closes 2 (fee 0.4), opens a short of 3 (fee 0.6)
            (2, "BTC", 1, 3.0, 11.0, 0.3),
        )
    )
    assert list(trips["side"]) == ["long", "short"]
    first, second = trips.iloc[0], trips.iloc[1]
    assert first["qty"] == 2.0 and second["qty"] == 3.0
    assert first["fees"] == pytest.approx(0.6)
    assert first["pnl"] == pytest.approx(24 - 20 - 0.6)
    assert second["fees"] == pytest.approx(0.9)
    assert second["pnl"] == pytest.approx(36 - 33 - 0.9)
    assert first["exit_ts"] == second["entry_ts"] == ts(1)
    assert second["entry_price"] == 12.0 and second["exit_price"] == 11.0


def test_open_position_at_the_end_is_not_a_round_trip() -> None:
    fills = make_fills(
        (0, "BTC", 1, 1.0, 10.0, 0.1),
        (1, "BTC", -1, 1.0, 11.0, 0.1),
        (2, "BTC", 1, 2.0, 12.0, 0.2),
        (3, "BTC", -1, 0.5, 13.0, 0.05),
    )
    trips = round_trips(fills)
    assert len(trips) == 1
    assert trips.iloc[0]["pnl"] == pytest.approx(11 - 10 - 0.2)
    open_ = open_position_summary(fills, {"BTC": 14.0})
    assert list(open_.columns) == list(OPEN_POSITION_COLUMNS)
    row = open_.iloc[0]
    assert (row["symbol"], row["side"], row["position"], row["qty"]) == ("BTC", "long", 1.5, 2.0)
    assert row["entry_ts"] == ts(2)
    assert (row["entry_price"], row["exit_qty"], row["exit_price"]) == (12.0, 0.5, 13.0)
    assert row["fees"] == pytest.approx(0.25)
    assert row["unrealized_pnl"] == pytest.approx(6.5 - 24 - 0.25 + 1.5 * 14)


def test_open_position_without_a_last_price_has_nan_unrealized_pnl() -> None:
    open_ = open_position_summary(make_fills((0, "BTC", -1, 1.0, 10.0, 0.0)))
    assert open_.iloc[0]["side"] == "short"
    assert open_.iloc[0]["position"] == -1.0
    assert math.isnan(open_.iloc[0]["unrealized_pnl"])


def test_interleaved_symbols_are_tracked_separately() -> None:
    trips = round_trips(
        make_fills(
            (0, "A", 1, 1.0, 10.0, 0.0),
            (1, "B", -1, 2.0, 20.0, 0.0),
            (2, "A", -1, 1.0, 12.0, 0.0),
            (3, "B", 1, 2.0, 19.0, 0.0),
            (4, "A", 1, 1.0, 13.0, 0.0),  # still open at the end
        )
    )
    assert list(trips["symbol"]) == ["A", "B"]
    assert list(trips["side"]) == ["long", "short"]
    assert list(trips["pnl"]) == pytest.approx([2.0, 2.0])
    assert list(trips["exit_ts"]) == [ts(2), ts(3)]


def test_float_residue_counts_as_flat() -> None:
    trips = round_trips(
        make_fills(
            (0, "X", 1, 0.1, 1.0, 0.0), (1, "X", 1, 0.2, 1.0, 0.0), (2, "X", -1, 0.3, 2.0, 0.0)
        )
    )
    assert len(trips) == 1
    assert open_position_summary(make_fills((0, "X", 1, 0.1, 1.0, 0.0))).shape[0] == 1


def test_flat_tolerance_is_per_symbol() -> None:
    # A huge fill in another symbol must not make a tiny position look flat.
    trips = round_trips(
        make_fills(
            (0, "BIG", 1, 1e9, 1e-6, 0.0),
            (1, "TINY", 1, 1e-4, 5e4, 0.0),
            (2, "TINY", -1, 5e-5, 5e4, 0.0),
        )
    )
    assert trips.empty
    assert open_position_summary(make_fills((1, "TINY", 1, 1e-4, 5e4, 0.0))).shape[0] == 1


def test_columns_and_dtypes_also_when_empty() -> None:
    full = round_trips(make_fills((0, "A", 1, 1.0, 10.0, 0.0), (1, "A", -1, 1.0, 11.0, 0.0)))
    empty = round_trips(make_fills())
    for frame in (full, empty):
        assert list(frame.columns) == list(ROUND_TRIP_COLUMNS)
        assert str(frame["entry_ts"].dtype) == "datetime64[ns, UTC]"
        assert str(frame["exit_ts"].dtype) == "datetime64[ns, UTC]"
        assert str(frame["duration"].dtype) == "timedelta64[ns]"
        for name in ("qty", "entry_price", "exit_price", "pnl", "fees", "return"):
            assert frame[name].dtype == np.float64
    assert full["symbol"].dtype == empty["symbol"].dtype
    assert full["side"].dtype == empty["side"].dtype


def test_datetime_ts_column_is_accepted() -> None:
    fills = make_fills((0, "A", 1, 1.0, 10.0, 0.0), (7, "A", -1, 1.0, 11.0, 0.0))
    fills["ts"] = pd.to_datetime(fills["ts"], unit="ns", utc=True)
    assert round_trips(fills).iloc[0]["duration"] == pd.Timedelta(seconds=7)


def test_bad_fill_logs_are_refused() -> None:
    fills = make_fills((0, "A", 1, 1.0, 10.0, 0.0))
    with pytest.raises(ValueError, match="fee"):
        round_trips(fills.drop(columns=["fee"]))
    with pytest.raises(ValueError, match="side"):
        round_trips(fills.assign(side=2))
    with pytest.raises(ValueError, match="qty"):
        round_trips(fills.assign(qty=0.0))


# --- property: round trips account for every unit of cash ------------------------------------

step = st.tuples(
    st.integers(0, 2),  # symbol
    st.sampled_from(["close", "flip", "buy", "sell"]),
    st.floats(0.01, 5.0),  # quantity for buy/sell
    st.floats(1.0, 1000.0),  # price
    st.floats(0.0, 0.01),  # fee rate
)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(step, max_size=60), last=st.lists(st.floats(1.0, 1000.0), min_size=3))
def test_closed_pnl_plus_open_mark_to_market_is_the_equity_change(
    steps: list[tuple[int, str, float, float, float]], last: list[float]
) -> None:
    symbols = ["A", "B", "C"]
    position = dict.fromkeys(symbols, 0.0)
    rows = []
    for i, (k, action, q, price, rate) in enumerate(steps):
        symbol, held = symbols[k], position[symbols[k]]
        if action in ("close", "flip") and held != 0:
            side = -1 if held > 0 else 1
            qty = abs(held) * (1 if action == "close" else 2)
        else:
            side, qty = (1 if action == "buy" else -1), q
        position[symbol] += side * qty
        rows.append((i, symbol, side, qty, price, qty * price * rate))
    fills = make_fills(*rows)
    last_prices = dict(zip(symbols, last, strict=False))

    # Equity change by plain accounting: cash flows of all fills plus positions at the last price.
    cash = sum(-side * qty * price - fee for _, _, side, qty, price, fee in rows)
    equity_change = cash + sum(position[s] * last_prices[s] for s in symbols)

    trips = round_trips(fills)
    open_ = open_position_summary(fills, last_prices)
    scale = 1.0 + sum(qty * price for _, _, _, qty, price, _ in rows)
    explained = trips["pnl"].sum() + open_["unrealized_pnl"].sum()
    assert explained == pytest.approx(equity_change, abs=1e-9 * scale)

    assert (trips["qty"] > 0).all()
    assert (trips["duration"] >= pd.Timedelta(0)).all()
    assert trips["fees"].sum() + open_["fees"].sum() == pytest.approx(
        sum(r[5] for r in rows), abs=1e-9 * scale
    )
    for _, own in trips.groupby("symbol"):
        assert (own["entry_ts"].iloc[1:].to_numpy() >= own["exit_ts"].iloc[:-1].to_numpy()).all()
    for symbol in symbols:
        open_rows = open_[open_["symbol"] == symbol]
        expected = position[symbol] if abs(position[symbol]) > 1e-9 else 0.0
        assert open_rows["position"].sum() == pytest.approx(expected, abs=1e-9)
