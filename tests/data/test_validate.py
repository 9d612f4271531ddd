from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.core.clock import NS_PER_DAY, NS_PER_MINUTE, to_ns
from botkit.core.errors import DataError
from botkit.data.layout import day_start_ns
from botkit.data.validate import format_ts, pieces_are_valid, validate_records

from .factories import T0, make_bars, make_quotes, make_trades


def error_of(records, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        validate_records(records, "data/x.csv", **kwargs)
    return str(info.value)


def test_valid_records_pass():
    validate_records(make_bars(100), "x")
    validate_records(make_trades([T0, T0, T0 + 1]), "x")
    validate_records(make_quotes([T0, T0, T0 + 1]), "x")
    validate_records(make_bars(0), "x")


def test_nan_names_file_row_and_column():
    bars = make_bars(20)
    bars["close"][16] = np.nan
    assert error_of(bars) == "data/x.csv row 17: close is NaN"


def test_infinite_value():
    bars = make_bars(5)
    bars["volume"][1] = np.inf
    assert error_of(bars) == "data/x.csv row 2: volume is inf"


def test_unsorted_timestamps_show_both_times():
    bars = make_bars(6)
    bars["ts"][4] = T0 + 2 * NS_PER_MINUTE
    bars["ts"][3] = T0 + 4 * NS_PER_MINUTE
    bars["ts"][4] = T0 + 3 * NS_PER_MINUTE
    assert error_of(bars) == (
        "data/x.csv row 5: timestamps not sorted "
        "(ts 2024-01-01T00:03:00Z after 2024-01-01T00:04:00Z)"
    )


def test_high_below_low():
    bars = make_bars(10)
    bars["high"][8], bars["low"][8] = 90.0, 95.0
    assert error_of(bars).startswith("data/x.csv row 9: high < low")


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("high", 101.8, "high < close (high 101.8, close 102.0)"),
        ("low", 102.0, "low > open (low 102.0, open 101.5)"),
        ("open", 110.0, "high < open (high 103.0, open 110.0)"),
        ("close", 50.0, "low > close (low 101.0, close 50.0)"),
    ],
)
def test_ohlc_consistency(field, value, problem):
    bars = make_bars(5)
    bars[field][2] = value
    assert error_of(bars) == f"data/x.csv row 3: {problem}"


def test_prices_must_be_positive():
    trades = make_trades([T0, T0 + 1, T0 + 2])
    trades["price"][2] = -1.0
    assert error_of(trades) == "data/x.csv row 3: price must be > 0, got -1.0"
    bars = make_bars(3)
    bars["low"][0] = 0.0
    assert error_of(bars) == "data/x.csv row 1: low must be > 0, got 0.0"


def test_sizes_must_not_be_negative():
    trades = make_trades([T0] * 5)
    trades["size"][3] = -2
    assert error_of(trades) == "data/x.csv row 4: size must be >= 0, got -2.0"
    trades["size"][3] = 0.0
    validate_records(trades, "x")
    bars = make_bars(3)
    bars["volume"][2] = -1
    assert error_of(bars) == "data/x.csv row 3: volume must be >= 0, got -1.0"


def test_trade_side_must_be_plus_or_minus_one():
    trades = make_trades([T0, T0 + 1])
    trades["side"][1] = 0
    assert error_of(trades) == "data/x.csv row 2: side must be +1 or -1, got 0"


def test_duplicate_bar_timestamps_rejected():
    bars = make_bars(10)
    bars["ts"][7] = bars["ts"][6]
    bars["ts"][8:] += 0  # still sorted
    assert error_of(bars) == (
        "data/x.csv row 8: duplicate timestamp 2024-01-01T00:06:00Z at rows 7 and 8"
    )


def test_duplicate_trade_and_quote_timestamps_allowed():
    validate_records(make_trades([T0, T0, T0]), "x")
    validate_records(make_quotes([T0, T0]), "x")


def test_crossed_quote_rejected_locked_allowed():
    quotes = make_quotes([T0, T0 + 1])
    quotes["ask"][1] = quotes["bid"][1]
    validate_records(quotes, "x")
    quotes["ask"][1] = quotes["bid"][1] - 0.25
    assert error_of(quotes) == "data/x.csv row 2: bid > ask (crossed quote: bid 101.0, ask 100.75)"


def test_earliest_row_wins_and_check_order_breaks_ties():
    bars = make_bars(10)
    bars["close"][6] = np.nan
    bars["volume"][3] = -1.0
    assert "row 4: volume" in error_of(bars)
    bars["open"][3] = np.nan
    assert error_of(bars) == "data/x.csv row 4: open is NaN"


def test_first_row_and_prev_ts_check_across_chunk_borders():
    bars = make_bars(4, start_ns=T0 + 10 * NS_PER_MINUTE)
    message = error_of(bars, first_row=101, prev_ts=int(bars["ts"][0]))
    assert message == (
        "data/x.csv row 101: duplicate timestamp 2024-01-01T00:10:00Z at rows 100 and 101"
    )
    message = error_of(bars, first_row=101, prev_ts=int(bars["ts"][1]))
    assert message.startswith("data/x.csv row 101: timestamps not sorted")
    validate_records(bars, "x", first_row=101, prev_ts=int(bars["ts"][0]) - 1)
    trades = make_trades([T0, T0])
    validate_records(trades, "x", prev_ts=T0)


def test_day_check():
    bars = make_bars(3, start_ns=to_ns("2024-01-01T23:58:00Z"))
    validate_records(bars[:2], "x", day=date(2024, 1, 1))
    assert error_of(bars, day=date(2024, 1, 1)) == (
        "data/x.csv row 3: ts 2024-01-02T00:00:00Z is outside this file's day 2024-01-01"
    )


def test_format_ts_is_exact():
    assert format_ts(T0) == "2024-01-01T00:00:00Z"
    assert format_ts(T0 + 5_000_000) == "2024-01-01T00:00:00.005Z"
    assert format_ts(T0 + 7) == "2024-01-01T00:00:00.000000007Z"


def _valid_part(kind, day_start, ts):
    if kind == "bars":
        return make_bars(len(ts), start_ns=day_start)
    return make_trades(ts) if kind == "trades" else make_quotes(ts)


def _pieces(draw, kind):
    """Valid pieces of ``kind``'s records, each inside its own UTC day, then randomly damaged."""
    parts, days = [], []
    for _ in range(draw(st.integers(1, 4))):
        day = date(2024, 1, draw(st.integers(1, 28)))
        minutes = draw(st.lists(st.integers(0, 50), max_size=6, unique=True))
        ts = [day_start_ns(day) + m * NS_PER_MINUTE for m in sorted(minutes)]
        parts.append(_valid_part(kind, day_start_ns(day), ts))
        days.append(day)
    records = np.concatenate(parts)
    for _ in range(draw(st.integers(0, 2))):
        if not len(records):
            break
        i = draw(st.integers(0, len(records) - 1))
        name = draw(st.sampled_from(records.dtype.names))
        if name == "ts":
            records["ts"][i] += draw(st.sampled_from([-NS_PER_DAY, -NS_PER_MINUTE, 0, NS_PER_DAY]))
            if i and draw(st.booleans()):
                records["ts"][i] = records["ts"][i - 1]
        elif name == "side":
            records["side"][i] = draw(st.sampled_from([-1, 0, 1, 2]))
        else:
            records[name][i] = draw(st.sampled_from([np.nan, np.inf, -1.0, 0.0, 1e9, 2.0]))
    starts = np.cumsum([0] + [len(p) for p in parts[:-1]])
    return records, starts, days


@settings(max_examples=300, deadline=None)
@given(data=st.data(), kind=st.sampled_from(["bars", "trades", "quotes"]))
def test_pieces_are_valid_agrees_with_validating_each_piece(data, kind):
    records, starts, days = _pieces(data.draw, kind)
    ends = [*starts[1:], len(records)]
    each_valid = True
    for lo, hi, day in zip(starts, ends, days, strict=True):
        try:
            validate_records(records[lo:hi], "x", day=day)
        except DataError:
            each_valid = False
    columns = {name: np.ascontiguousarray(records[name]) for name in records.dtype.names}
    assert pieces_are_valid(columns, kind, starts, days) == each_valid
