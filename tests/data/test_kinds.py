import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.core.clock import NS_PER_DAY, NS_PER_MINUTE, NS_PER_SECOND
from botkit.core.errors import DataError
from botkit.data.kinds import (
    bar_kind,
    base_kind,
    interval_to_ns,
    kind_interval_ns,
    kind_of_dtype,
    ns_to_interval,
    parse_kind,
)
from botkit.model.records import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE


@pytest.mark.parametrize("kind", ["trades", "quotes", "bars", "bars_1m", "bars_15s", "bars_500ms"])
def test_valid_kinds(kind):
    assert parse_kind(kind) == kind


@pytest.mark.parametrize("kind", ["bar", "bars_", "bars_0m", "bars_1x", "bars_1M", "Trades", ""])
def test_unknown_kinds_say_what_is_valid(kind):
    with pytest.raises(DataError, match=r"unknown kind .*expected trades, quotes, bars or bars_"):
        parse_kind(kind)


def test_intervals():
    assert interval_to_ns("1m") == NS_PER_MINUTE
    assert interval_to_ns("4h") == 4 * 60 * NS_PER_MINUTE
    assert interval_to_ns("1d") == NS_PER_DAY
    assert interval_to_ns("15s") == 15 * NS_PER_SECOND
    assert interval_to_ns("250ms") == 250_000_000
    with pytest.raises(DataError, match="invalid bar interval '1 m'"):
        interval_to_ns("1 m")


def test_interval_text():
    assert ns_to_interval(NS_PER_MINUTE) == "1m"
    assert ns_to_interval(90 * NS_PER_SECOND) == "90s"
    assert ns_to_interval(NS_PER_DAY) == "1d"
    assert bar_kind(3_600 * NS_PER_SECOND) == "bars_1h"
    with pytest.raises(DataError):
        ns_to_interval(1)


@given(st.integers(min_value=1, max_value=10**7).map(lambda k: k * 1_000_000))
def test_interval_round_trip(interval_ns):
    assert interval_to_ns(ns_to_interval(interval_ns)) == interval_ns


def test_base_kind_and_interval_of_kind():
    assert base_kind("bars_1h") == "bars"
    assert base_kind("trades") == "trades"
    assert base_kind("quotes") == "quotes"
    assert kind_interval_ns("bars_1m") == NS_PER_MINUTE
    assert kind_interval_ns("bars") is None
    assert kind_interval_ns("trades") is None


def test_kind_of_dtype():
    assert kind_of_dtype(BAR_DTYPE) == "bars"
    assert kind_of_dtype(TRADE_DTYPE) == "trades"
    assert kind_of_dtype(QUOTE_DTYPE) == "quotes"
    with pytest.raises(DataError, match="not BAR_DTYPE"):
        kind_of_dtype(np.dtype("f8"))
