import time

import numpy as np
import pytest

from botkit.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from botkit.core.errors import ConfigError
from botkit.data.archive import read_archive
from botkit.data.layout import list_days
from botkit.data.synthetic import (
    DEFAULT_START_NS,
    generate_archive,
    synthetic_bars,
    synthetic_quotes,
    synthetic_trades,
)
from botkit.data.validate import validate_records
from botkit.model.records import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE

GENERATORS = [synthetic_bars, synthetic_trades, synthetic_quotes]


@pytest.mark.parametrize("generate", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(generate):
    np.testing.assert_array_equal(generate(2_000, seed=3), generate(2_000, seed=3))
    assert not np.array_equal(generate(2_000, seed=3), generate(2_000, seed=4))


@pytest.mark.parametrize("generate", GENERATORS)
def test_generated_data_passes_validation(generate):
    records = generate(50_000, seed=11)
    validate_records(records, generate.__name__)
    assert records["ts"][0] == DEFAULT_START_NS


def test_bars_are_consistent_and_clustered():
    bars = synthetic_bars(200_000, seed=5)
    assert bars.dtype == BAR_DTYPE
    assert np.all(np.diff(bars["ts"]) == NS_PER_MINUTE)
    assert np.all(bars["high"] >= np.maximum(bars["open"], bars["close"]))
    assert np.all(bars["low"] <= np.minimum(bars["open"], bars["close"]))
    assert np.all(bars["low"] > 0) and np.all(bars["volume"] > 0)
    np.testing.assert_array_equal(bars["open"][1:], bars["close"][:-1])
    moves = np.abs(np.diff(np.log(bars["close"])))
    assert np.corrcoef(moves[:-1], moves[1:])[0, 1] > 0.1  # volatility clusters


def test_trades_and_quotes_shape():
    trades = synthetic_trades(10_000, interval_ns=NS_PER_SECOND, seed=1)
    assert trades.dtype == TRADE_DTYPE
    assert np.all(np.diff(trades["ts"]) >= 0)
    assert set(np.unique(trades["side"]).tolist()) == {-1, 1}
    assert 0.8 < np.diff(trades["ts"]).mean() / NS_PER_SECOND < 1.2
    quotes = synthetic_quotes(10_000, seed=1)
    assert quotes.dtype == QUOTE_DTYPE
    assert np.all(quotes["bid"] < quotes["ask"])


def test_a_million_bars_in_well_under_a_second():
    synthetic_bars(1_000)  # warm up
    started = time.perf_counter()
    bars = synthetic_bars(1_000_000, seed=1)
    elapsed = time.perf_counter() - started
    assert len(bars) == 1_000_000
    assert elapsed < 1.0, f"1M bars took {elapsed:.2f} s"


def test_generate_archive_writes_readable_day_files(tmp_path):
    paths = generate_archive(tmp_path, symbol="BTCUSD", n=3_000, seed=9)
    assert len(paths) == 3
    assert all(p.parent == tmp_path / "synthetic" / "BTCUSD" / "bars_1m" for p in paths)
    assert len(list_days(tmp_path, "synthetic", "BTCUSD", "bars_1m")) == 3
    np.testing.assert_array_equal(
        read_archive(tmp_path, "synthetic", "BTCUSD", "bars_1m"), synthetic_bars(3_000, seed=9)
    )


def test_generate_archive_kinds_and_intervals(tmp_path):
    [hourly] = generate_archive(tmp_path, symbol="X", kind="bars_1h", n=24)
    assert np.all(
        np.diff(read_archive(tmp_path, "synthetic", "X", "bars_1h")["ts"]) == 60 * NS_PER_MINUTE
    )
    assert hourly.name == "2024-01-01.parquet"
    generate_archive(tmp_path, symbol="X", kind="trades", n=100, venue="sim", interval_ns=10**6)
    assert len(read_archive(tmp_path, "sim", "X", "trades")) == 100
    generate_archive(tmp_path, symbol="X", kind="quotes", n=100)
    assert len(read_archive(tmp_path, "synthetic", "X", "quotes")) == 100
    with pytest.raises(ConfigError, match="does not match kind 'bars_1h'"):
        generate_archive(tmp_path, symbol="X", kind="bars_1h", n=10, interval_ns=NS_PER_MINUTE)


@pytest.mark.parametrize("n", [0, -5, 2.5])
def test_bad_sizes_rejected(n):
    with pytest.raises(ConfigError, match="number of rows must be an int >= 1"):
        synthetic_bars(n)
