"""The seeded price and fee models: pure functions of (seed, timestamp), clustered volatility."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.sim.sintra import PriceModelConfig
from botkit.sim.sintra.config import ANCHOR_TIME_S, HISTORY_START_S
from botkit.sim.sintra.fees import FeeModel
from botkit.sim.sintra.prices import BtcPriceProcess

END_S = 1_893_456_000  # 2030-01-01
seconds = st.integers(min_value=HISTORY_START_S, max_value=END_S)


def test_the_anchor_day_opens_at_the_anchor_price() -> None:
    process = BtcPriceProcess(PriceModelConfig(anchor_price_usd=50_000.0), seed=1)
    assert math.isclose(process.usd_at(ANCHOR_TIME_S), 50_000.0, rel_tol=1e-12)


def test_same_seed_same_prices_whatever_was_asked_before() -> None:
    stamps = [HISTORY_START_S + 37, 1_600_000_123, 1_717_243_259, 1_800_000_000]
    first = BtcPriceProcess(PriceModelConfig(), seed=3)
    forward = [first.usd_at(t) for t in stamps]
    second = BtcPriceProcess(PriceModelConfig(), seed=3)
    backward = [second.usd_at(t) for t in reversed(stamps)][::-1]
    assert forward == backward


def test_different_seeds_give_different_paths() -> None:
    a = BtcPriceProcess(PriceModelConfig(), seed=1)
    b = BtcPriceProcess(PriceModelConfig(), seed=2)
    assert a.usd_at(1_700_000_000) != b.usd_at(1_700_000_000)


@settings(max_examples=60, deadline=None)
@given(ts=seconds)
def test_prices_are_positive_finite_and_join_up_at_minute_and_day_boundaries(ts: int) -> None:
    process = BtcPriceProcess(PriceModelConfig(), seed=4)
    price = process.usd_at(ts)
    assert math.isfinite(price) and price > 0
    day, second_of_day = divmod(ts, 86_400)
    path = process.day_path(day)
    minute = second_of_day // 60
    assert process.log_usd_at(ts - ts % 60) == float(path.log_prices[minute])
    # a day's last minute boundary is the next day's open
    assert float(path.log_prices[-1]) == float(process.day_path(day + 1).log_prices[0])


def test_seconds_move_a_little_inside_a_minute() -> None:
    process = BtcPriceProcess(PriceModelConfig(), seed=4)
    base = 1_717_243_200
    prices = np.array([process.usd_at(base + s) for s in range(61)])
    steps = np.abs(np.diff(np.log(prices)))
    assert steps.max() < 0.01
    assert len(set(prices.tolist())) > 50


def test_daily_volatility_clusters_and_matches_the_annual_target() -> None:
    process = BtcPriceProcess(PriceModelConfig(annual_vol=0.6), seed=4)
    days = np.arange(HISTORY_START_S, HISTORY_START_S + 3_000 * 86_400, 86_400)
    returns = np.diff([process.log_usd_at(int(t)) for t in days])
    annual = returns.std() * math.sqrt(365)
    assert 0.4 < annual < 0.85
    size = np.abs(returns - returns.mean())
    lag1 = np.corrcoef(size[:-1], size[1:])[0, 1]
    assert lag1 > 0.05, "absolute returns should be autocorrelated (volatility clustering)"


def test_volume_adds_up_over_adjacent_windows() -> None:
    process = BtcPriceProcess(PriceModelConfig(), seed=4)
    start = 1_717_200_000
    whole = process.volume_between(start, start + 2 * 86_400)
    halves = process.volume_between(start, start + 86_400) + process.volume_between(
        start + 86_400, start + 2 * 86_400
    )
    assert whole > 0
    assert math.isclose(whole, halves, rel_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(ts=seconds)
def test_fees_are_whole_rising_and_a_function_of_the_minute(ts: int) -> None:
    fees = FeeModel(seed=4)
    low, medium, high = fees.fees_at(ts)
    assert 1 <= low <= medium < high
    assert fees.fees_at(ts - ts % 60) == (low, medium, high)
    assert FeeModel(seed=4).fees_at(ts) == (low, medium, high)
