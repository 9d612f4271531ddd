from datetime import date

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.core.clock import NS_PER_DAY, to_ns
from botkit.core.errors import ConfigError, DataError
from botkit.data import parquet
from botkit.data.archive import archive_range, iter_archive, read_archive
from botkit.data.layout import day_path
from botkit.data.synthetic import synthetic_trades
from botkit.data.writer import write_records

from .factories import T0

ARGS = ("syncron", "BTC-USD", "trades")
# About 4 days of trades, one every 2 minutes, in row groups of 128 rows (11-12 per day file).
TRADES = synthetic_trades(2_900, start_ns=T0 + 3_600 * 10**9, interval_ns=120 * 10**9, seed=7)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "ROW_GROUP_ROWS", 128)
        write_records(root, *ARGS, TRADES, mode="overwrite")
    return root


@pytest.fixture
def opened(monkeypatch):
    """The files the readers open, in order."""
    paths = []
    original = parquet._open

    def spy(path):
        paths.append(path.name)
        return original(path)

    monkeypatch.setattr(parquet, "_open", spy)
    return paths


def test_full_read_round_trip(root):
    np.testing.assert_array_equal(read_archive(root, *ARGS), TRADES)
    first, last = archive_range(root, *ARGS)
    assert (first, last) == (T0, T0 + 5 * NS_PER_DAY)


def test_range_read_filters_rows_and_opens_only_needed_days(root, opened):
    start, end = to_ns("2024-01-02T06:00:00Z"), to_ns("2024-01-03T12:00:00Z")
    rows = read_archive(root, *ARGS, "2024-01-02T06:00:00Z", "2024-01-03T12:00:00Z")
    expected = TRADES[(TRADES["ts"] >= start) & (TRADES["ts"] < end)]
    np.testing.assert_array_equal(rows, expected)
    assert opened == ["2024-01-02.parquet", "2024-01-03.parquet"]


def test_end_is_exclusive(root):
    ts = int(TRADES["ts"][100])
    rows = read_archive(root, *ARGS, int(TRADES["ts"][0]), ts)
    assert rows["ts"].max() < ts
    assert len(rows) == np.searchsorted(TRADES["ts"], ts)


def test_range_with_no_rows_is_empty(root):
    rows = read_archive(root, *ARGS, T0, T0 + 1)
    assert len(rows) == 0
    assert rows.dtype == TRADES.dtype


def test_no_files_for_range(root):
    with pytest.raises(DataError) as info:
        read_archive(root, *ARGS, "2023-01-01", "2023-01-02")
    directory = root / "syncron" / "BTC-USD" / "trades"
    assert str(info.value) == (
        f"no trades files for BTC-USD from 2023-01-01 to 2023-01-01 in {directory} "
        "(it has 2024-01-01 to 2024-01-05)"
    )


@settings(max_examples=40, deadline=None)
@given(
    chunk_rows=st.integers(1, 2_000),
    lo=st.integers(0, len(TRADES)),
    span=st.integers(1, len(TRADES)),
)
def test_chunked_read_equals_full_read(root, chunk_rows, lo, span):
    start = int(TRADES["ts"][min(lo, len(TRADES) - 1)])
    end = start + span * 120 * 10**9
    full = read_archive(root, *ARGS, start, end)
    chunks = list(iter_archive(root, *ARGS, start, end, chunk_rows=chunk_rows))
    assert all(len(c) == chunk_rows for c in chunks[:-1])
    assert max((len(c) for c in chunks), default=0) <= chunk_rows
    joined = np.concatenate(chunks) if chunks else full[:0]
    np.testing.assert_array_equal(joined, full)


def test_chunks_smaller_than_a_day_cross_day_files(root):
    chunks = list(iter_archive(root, *ARGS, chunk_rows=500))
    assert [len(c) for c in chunks] == [500] * 5 + [400]
    np.testing.assert_array_equal(np.concatenate(chunks), TRADES)


def test_chunked_reading_is_lazy_and_row_group_bounded(root, opened, monkeypatch):
    batch_sizes = []
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, **kwargs):
        batch_sizes.append((kwargs["batch_size"], len(kwargs["row_groups"])))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    chunks = iter_archive(root, *ARGS, chunk_rows=50)
    first = next(chunks)
    assert len(first) == 50
    assert opened == ["2024-01-01.parquet"]
    assert batch_sizes == [(50, 1)]  # one row group at a time, in batches of at most chunk_rows


def test_bad_day_file_raises_when_reached(tmp_path):
    write_records(tmp_path, *ARGS, TRADES, mode="overwrite")
    bad_day = day_path(tmp_path, *ARGS, date(2024, 1, 3))
    bad_day.write_bytes(b"not parquet")
    chunks = iter_archive(tmp_path, *ARGS, chunk_rows=100)
    assert len(next(chunks)) == 100
    with pytest.raises(DataError, match=r"2024-01-03.parquet: not a readable Parquet file"):
        list(chunks)


def test_rows_outside_their_day_file_are_rejected(tmp_path):
    write_records(tmp_path, *ARGS, TRADES[:10], mode="overwrite")
    wrong = day_path(tmp_path, *ARGS, date(2024, 1, 2))
    parquet.write_parquet(wrong, TRADES[:10])
    with pytest.raises(DataError) as info:
        read_archive(tmp_path, *ARGS)
    assert str(info.value) == (
        f"{wrong} row 1: ts 2024-01-01T01:00:00Z is outside this file's day 2024-01-02"
    )


def test_bad_time_argument(root):
    with pytest.raises(ConfigError, match="invalid time 'last tuesday'"):
        read_archive(root, *ARGS, "last tuesday", None)
