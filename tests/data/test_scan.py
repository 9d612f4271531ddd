"""Whole day files in one Arrow scan: the batch reader's rows and errors, with less work per file."""

from datetime import date

import numpy as np
import pyarrow.parquet as pq
import pytest

from botkit.core.clock import NS_PER_MINUTE
from botkit.core.errors import DataError
from botkit.data import archive, batches, parquet, scan
from botkit.data.archive import iter_archive, read_archive
from botkit.data.layout import day_path
from botkit.data.synthetic import synthetic_bars
from botkit.data.writer import write_records

from .factories import T0

BARS = ("syncron", "BTC-USD", "bars_1h")
HOURLY = synthetic_bars(20 * 24, start_ns=T0, interval_ns=60 * NS_PER_MINUTE, seed=4)


@pytest.fixture
def root(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    return tmp_path


@pytest.fixture
def counted(monkeypatch):
    """How many files the batch reader was handed (the scan's fallback), in a list."""
    handed: list[int] = []
    original = batches.iter_day_files

    def spy(paths, *args, **kwargs):
        paths = list(paths)
        handed.append(len(paths))
        return original(paths, *args, **kwargs)

    monkeypatch.setattr(scan, "iter_day_files", spy)
    monkeypatch.setattr(archive, "iter_day_files", spy)
    return handed


def read_until_error(chunks_iter):
    chunks = []
    with pytest.raises(DataError) as info:
        chunks.extend(chunks_iter)
    return chunks, str(info.value)


def test_whole_archive_is_read_by_one_scan(root, counted):
    np.testing.assert_array_equal(read_archive(root, *BARS), HOURLY)
    assert counted == []


@pytest.mark.parametrize("chunk_rows", [1, 24, 50, 100, 480, 10_000])
def test_groups_of_whole_files_rechunked_equal_the_data(root, counted, monkeypatch, chunk_rows):
    monkeypatch.setattr(scan, "SCAN_MIN_CHUNK_ROWS", 1)
    chunks = list(iter_archive(root, *BARS, chunk_rows=chunk_rows))
    assert all(len(c) == chunk_rows for c in chunks[:-1])
    np.testing.assert_array_equal(np.concatenate(chunks), HOURLY)
    assert counted == []


def test_part_of_a_day_goes_to_the_batch_reader(root, counted):
    rows = read_archive(root, *BARS, start="2024-01-03T05:00:00Z", end="2024-01-09")
    np.testing.assert_array_equal(rows, HOURLY[2 * 24 + 5 : 8 * 24])
    assert counted == [6]


def test_bad_row_hands_its_group_to_the_batch_reader_with_the_same_error(root, counted, monkeypatch):
    monkeypatch.setattr(scan, "SCAN_MIN_CHUNK_ROWS", 1)
    day = HOURLY[11 * 24 : 12 * 24].copy()
    day["close"][5] = np.nan
    pq.write_table(parquet.to_table(day), day_path(root, *BARS, date(2024, 1, 12)))
    chunks, message = read_until_error(iter_archive(root, *BARS, chunk_rows=48))  # groups of two files
    assert message == f"{day_path(root, *BARS, date(2024, 1, 12))} row 6: close is NaN"
    assert counted == [10]  # from the first file of the failing group (days 11 and 12) on
    monkeypatch.setattr(scan, "SCAN_MIN_CHUNK_ROWS", 10**9)  # the batch reader alone
    alone, alone_message = read_until_error(iter_archive(root, *BARS, chunk_rows=48))
    assert alone_message == message
    np.testing.assert_array_equal(np.concatenate(chunks), np.concatenate(alone))
    assert len(np.concatenate(chunks)) == 5 * 48  # the full chunks before the bad row


def test_empty_day_file_is_refused_as_the_batch_reader_refuses_it(root, counted):
    path = day_path(root, *BARS, date(2024, 1, 7))
    pq.write_table(parquet.to_table(HOURLY[:0]), path)
    with pytest.raises(DataError, match="no rows"):
        read_archive(root, *BARS)
    assert counted == [20]


def test_file_that_vanishes_after_listing_raises_when_reached(root, monkeypatch):
    listed = archive.day_files

    def list_then_vanish(*args):
        paths = listed(*args)
        paths[9].unlink()  # deleted between listing and reading
        return paths

    monkeypatch.setattr(archive, "day_files", list_then_vanish)
    with pytest.raises(DataError, match=r"2024-01-10\.parquet"):
        read_archive(root, *BARS)


def test_damaged_page_is_an_error_not_wrong_numbers(root):
    path = day_path(root, *BARS, date(2024, 1, 5))
    data = bytearray(path.read_bytes())
    for i in range(40, 200):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"2024-01-05\.parquet: not a readable Parquet file"):
        read_archive(root, *BARS)
