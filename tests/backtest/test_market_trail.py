"""The market trail keeps every spike and all the volume of a replay in a bounded number of points."""

from __future__ import annotations

import numpy as np

from botkit.backtest.market_trail import POINTS_PER_CHUNK, MarketTrail
from botkit.model.records import BAR_DTYPE, QUOTE_DTYPE


def bars(n: int, start: int = 0) -> np.ndarray:
    records = np.zeros(n, dtype=BAR_DTYPE)
    records["ts"] = (start + np.arange(n)) * 60_000_000_000
    records["close"] = 100.0 + np.sin(np.arange(n) / 500.0)
    records["volume"] = 1.0 + (np.arange(n) % 7)
    return records


def test_a_long_chunk_is_bounded_but_keeps_its_spike_and_its_volume() -> None:
    records = bars(1_000_000)
    records["close"][777_777] = 1e6
    trail = MarketTrail(1, "bars")
    passed = list(trail.follow([(np.zeros(0, np.int16), records)]))
    assert passed[0][1] is records  # the replay sees its chunks untouched
    price = trail.prices(["BTC"])["BTC"]
    volume = trail.volumes(["BTC"])["BTC"]
    assert len(price) <= POINTS_PER_CHUNK and len(volume) <= POINTS_PER_CHUNK // 2
    assert price.max() == 1e6 and price.index.is_monotonic_increasing
    assert volume.sum() == records["volume"].sum()
    assert str(price.index.tz) == "UTC"


def test_symbols_are_kept_apart_and_short_chunks_whole() -> None:
    first, second = bars(300), bars(300, start=300)
    inst = np.tile(np.array([0, 1], np.int16), 150)
    trail = MarketTrail(2, "bars")
    list(trail.follow([(inst, first), (inst, second)]))
    prices = trail.prices(["A", "B"])
    assert len(prices["A"]) == len(prices["B"]) == 300
    np.testing.assert_array_equal(prices["B"].to_numpy()[:150], first["close"][1::2])
    volumes = trail.volumes(["A", "B"])
    assert volumes["A"].sum() + volumes["B"].sum() == first["volume"].sum() + second["volume"].sum()


def test_quotes_are_marked_at_the_mid_and_have_no_volume() -> None:
    quotes = np.zeros(4, dtype=QUOTE_DTYPE)
    quotes["ts"] = np.arange(4)
    quotes["bid"], quotes["ask"] = 99.0, 101.0
    trail = MarketTrail(1, "quotes")
    list(trail.follow([(np.zeros(0, np.int16), quotes)]))
    assert trail.prices(["X"])["X"].tolist() == [100.0] * 4
    assert trail.volumes(["X"]) == {}


def test_held_chunks_are_thinned_in_order_when_the_stream_outgrows_the_hold(monkeypatch) -> None:
    """Whether chunks are held (thinned when drawn) or thinned as they pass, the trail is the same."""
    import numpy as np

    from botkit.backtest import market_trail
    from botkit.data.synthetic import synthetic_bars

    bars = synthetic_bars(120_000, seed=2)
    chunks = [(np.zeros(0, np.int16), bars[lo : lo + 30_000]) for lo in range(0, len(bars), 30_000)]

    def trail(held: int) -> tuple[object, object]:
        monkeypatch.setattr(market_trail, "HELD_EVENTS", held)
        kept = market_trail.MarketTrail(1, "bars")
        for _ in kept.follow(chunks):
            pass
        return kept.prices(["X"])["X"], kept.volumes(["X"])["X"]

    eager_prices, eager_volume = trail(0)
    for held in (60_000, 10_000_000):
        prices, volume = trail(held)
        assert prices.equals(eager_prices) and volume.equals(eager_volume)
