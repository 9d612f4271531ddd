"""Buy and hold: equal weights bought at each symbol's first price, cash until then."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from botkit.backtest.benchmark import buy_and_hold_curve, buy_and_hold_return, marks_of


def series(values: list[float], seconds: list[int]) -> pd.Series:
    return pd.Series(values, index=pd.to_datetime(seconds, unit="s", utc=True))


def test_each_symbol_is_bought_at_its_first_price_and_held_from_then_on() -> None:
    prices = {"A": series([1.0, 2.0], [1, 3]), "B": series([2.0, 1.0], [2, 4])}  # B starts later
    curve = buy_and_hold_curve(prices, 100.0)
    assert curve.tolist() == [100.0, 100.0, 150.0, 125.0]
    assert buy_and_hold_return(*marks_of(prices)) == curve.iloc[-1] / 100.0 - 1.0 == 0.25


def test_symbols_without_prices_are_left_out_and_none_gives_nan() -> None:
    assert buy_and_hold_return(np.array([10.0, np.nan]), np.array([15.0, np.nan])) == 0.5
    assert math.isnan(buy_and_hold_return(np.array([np.nan]), np.array([np.nan])))
    assert buy_and_hold_curve({"A": series([], [])}, 100.0).empty
