from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from botkit.core.clock import NS_PER_DAY, NS_PER_MINUTE
from botkit.core.errors import DataError
from botkit.data import batches, parquet, scan
from botkit.data.archive import iter_archive, read_archive
from botkit.data.layout import day_path
from botkit.data.synthetic import synthetic_bars, synthetic_trades
from botkit.data.writer import write_records

from .factories import T0

NS_PER_HOUR = 60 * NS_PER_MINUTE
BARS = ("syncron", "BTC-USD", "bars_1h")
TRADES = ("syncron", "BTC-USD", "trades")
DAYS = 30
# 30 day files of 24 hourly bars, in row groups of 10 rows (3 per file).
HOURLY = synthetic_bars(DAYS * 24, start_ns=T0, interval_ns=NS_PER_HOUR, seed=3)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("batches")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "ROW_GROUP_ROWS", 10)
        write_records(root, *BARS, HOURLY, mode="overwrite")
    return root


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of at most 50 rows (two day files), read ahead even for small chunks."""
    monkeypatch.setattr(batches, "BATCH_ROWS", 50)
    monkeypatch.setattr(batches, "READ_AHEAD_MIN_ROWS", 1)


def rewrite_day(root, args, day, records):
    """Replace one day file with ``records``, written as given (no validation)."""
    pq.write_table(parquet.to_table(records), day_path(root, *args, day), row_group_size=10)


def chunks_until_error(iterator):
    chunks = []
    with pytest.raises(DataError) as info:
        for chunk in iterator:
            chunks.append(chunk)
    return chunks, str(info.value)


def test_full_read_of_many_small_files(root):
    np.testing.assert_array_equal(read_archive(root, *BARS), HOURLY)


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("chunk_rows", [1, 7, 24, 25, 49, 50, 51, 100, 719, 720, 10_000])
def test_small_chunks_over_many_files_equal_a_full_read(root, chunk_rows):
    start, end = int(HOURLY["ts"][5]), int(HOURLY["ts"][-3])  # cut mid-row-group at both ends
    full = read_archive(root, *BARS, start, end)
    np.testing.assert_array_equal(full, HOURLY[5:-3])
    chunks = list(iter_archive(root, *BARS, start, end, chunk_rows=chunk_rows))
    assert all(len(chunk) == chunk_rows for chunk in chunks[:-1])
    assert 0 < len(chunks[-1]) <= chunk_rows
    np.testing.assert_array_equal(np.concatenate(chunks), full)


@pytest.mark.parametrize("chunk_rows", [None, 24, 4_000_000])
def test_bad_row_in_the_middle_of_a_batch_names_its_file_and_row(tmp_path, chunk_rows):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    bad = HOURLY[12 * 24 : 13 * 24].copy()
    bad["high"][4], bad["low"][4] = 90.0, 95.0
    rewrite_day(tmp_path, BARS, date(2024, 1, 13), bad)
    path = day_path(tmp_path, *BARS, date(2024, 1, 13))
    expected = f"{path} row 5: high < low (high 90.0, low 95.0)"
    if chunk_rows is None:
        with pytest.raises(DataError) as info:
            read_archive(tmp_path, *BARS)
        assert str(info.value) == expected
        return
    chunks, message = chunks_until_error(iter_archive(tmp_path, *BARS, chunk_rows=chunk_rows))
    assert message == expected
    yielded = np.concatenate(chunks) if chunks else HOURLY[:0]
    if chunk_rows == 24:  # every full chunk before the bad row came out first
        np.testing.assert_array_equal(yielded, HOURLY[: 12 * 24])


@pytest.mark.usefixtures("small_batches")
def test_bad_row_in_a_read_ahead_batch_comes_after_the_rows_before_it(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    bad = HOURLY[20 * 24 : 21 * 24].copy()
    bad["volume"][23] = -1.0
    rewrite_day(tmp_path, BARS, date(2024, 1, 21), bad)
    chunks, message = chunks_until_error(iter_archive(tmp_path, *BARS, chunk_rows=24))
    path = day_path(tmp_path, *BARS, date(2024, 1, 21))
    assert message == f"{path} row 24: volume must be >= 0, got -1.0"
    np.testing.assert_array_equal(np.concatenate(chunks), HOURLY[: 20 * 24])


def test_missing_value_in_a_batch_names_its_file_and_row(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    table = parquet.to_table(HOURLY[7 * 24 : 8 * 24])
    close = table.column("close").to_pylist()
    close[17] = None
    table = table.set_column(4, pa.field("close", pa.float64()), pa.array(close))  # nullable
    path = day_path(tmp_path, *BARS, date(2024, 1, 8))
    pq.write_table(table, path)
    with pytest.raises(DataError) as info:
        read_archive(tmp_path, *BARS)
    assert str(info.value) == f"{path} row 18: close is missing"


def test_row_outside_its_day_in_a_batch(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    rewrite_day(tmp_path, BARS, date(2024, 1, 6), HOURLY[3 * 24 : 4 * 24])  # day 4's rows
    path = day_path(tmp_path, *BARS, date(2024, 1, 6))
    with pytest.raises(DataError) as info:
        read_archive(tmp_path, *BARS)
    assert str(info.value) == (
        f"{path} row 1: ts 2024-01-04T00:00:00Z is outside this file's day 2024-01-06"
    )


def test_unsorted_rows_in_a_batch_name_the_file_and_row(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    day = HOURLY[9 * 24 : 10 * 24].copy()
    day["ts"][[10, 11]] = day["ts"][[11, 10]]
    rewrite_day(tmp_path, BARS, date(2024, 1, 10), day)
    path = day_path(tmp_path, *BARS, date(2024, 1, 10))
    with pytest.raises(DataError) as info:
        read_archive(tmp_path, *BARS)
    assert str(info.value) == (
        f"{path} row 12: timestamps not sorted (ts 2024-01-10T10:00:00Z after 2024-01-10T11:00:00Z)"
    )


@pytest.mark.usefixtures("small_batches")
def test_unreadable_file_in_a_batch_raises_after_the_files_before_it(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    path = day_path(tmp_path, *BARS, date(2024, 1, 16))
    path.write_bytes(path.read_bytes()[:-20])  # truncated
    chunks, message = chunks_until_error(iter_archive(tmp_path, *BARS, chunk_rows=24))
    assert message.startswith(f"{path}: not a readable Parquet file")
    np.testing.assert_array_equal(np.concatenate(chunks), HOURLY[: 15 * 24])
    with pytest.raises(DataError, match=r"2024-01-16\.parquet: not a readable Parquet file"):
        read_archive(tmp_path, *BARS)


def test_damaged_page_in_a_batch_is_detected(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    path = day_path(tmp_path, *BARS, date(2024, 1, 5))
    data = bytearray(path.read_bytes())
    for i in range(40, 200):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"2024-01-05\.parquet: not a readable Parquet file"):
        read_archive(tmp_path, *BARS)


def test_files_of_different_schemas_in_one_batch(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    day = HOURLY[4 * 24 : 5 * 24]
    table = parquet.to_table(day)
    table = table.set_column(0, "TS", pa.array(day["ts"], type=pa.int64()))  # int ns, other name
    pq.write_table(table, day_path(tmp_path, *BARS, date(2024, 1, 5)))
    np.testing.assert_array_equal(read_archive(tmp_path, *BARS), HOURLY)


@pytest.mark.usefixtures("small_batches")
def test_files_larger_than_a_batch_are_streamed_between_batches(tmp_path):
    trades = synthetic_trades(900, start_ns=T0, interval_ns=NS_PER_DAY // 30, seed=5)
    busy = synthetic_trades(200, start_ns=T0 + 12 * NS_PER_DAY, interval_ns=10**9, seed=6)
    records = np.sort(np.concatenate([trades, busy]), order="ts", kind="stable")
    write_records(tmp_path, *TRADES, records, mode="overwrite")
    for chunk_rows in (None, 17, 10_000):
        if chunk_rows is None:
            np.testing.assert_array_equal(read_archive(tmp_path, *TRADES), records)
        else:
            chunks = list(iter_archive(tmp_path, *TRADES, chunk_rows=chunk_rows))
            np.testing.assert_array_equal(np.concatenate(chunks), records)


def test_small_chunks_open_files_only_as_they_are_reached(root, monkeypatch):
    opened = []
    original = parquet._open

    def spy(path):
        opened.append(path.name)
        return original(path)

    monkeypatch.setattr(parquet, "_open", spy)
    chunks = iter_archive(root, *BARS, chunk_rows=30)  # batches of one 24-row file
    assert len(next(chunks)) == 30
    # Day 2 is in the first chunk; its batch is complete once day 3 is seen not to fit.
    assert opened == ["2024-01-01.parquet", "2024-01-02.parquet", "2024-01-03.parquet"]


@pytest.mark.usefixtures("small_batches")
def test_damaged_page_of_a_file_decoded_when_reached(tmp_path, monkeypatch):
    monkeypatch.setattr(batches._RowBudget, "take", lambda self, rows: False)  # none ahead
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    path = day_path(tmp_path, *BARS, date(2024, 1, 9))
    data = bytearray(path.read_bytes())
    for i in range(40, 200):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    chunks, message = chunks_until_error(iter_archive(tmp_path, *BARS, chunk_rows=24))
    assert message.startswith(f"{path}: not a readable Parquet file")
    np.testing.assert_array_equal(np.concatenate(chunks), HOURLY[: 8 * 24])


def test_file_that_cannot_be_opened_raises_when_reached(root, monkeypatch):
    original = parquet._open

    def vanished(path):
        if path.name == "2024-01-11.parquet":
            raise DataError(f"{path}: file not found")  # e.g. deleted while reading
        return original(path)

    monkeypatch.setattr(parquet, "_open", vanished)
    monkeypatch.setattr(scan, "SCAN_MIN_CHUNK_ROWS", 10**9)  # the batch reader's own opening (scan: test_scan.py)
    chunks, message = chunks_until_error(iter_archive(root, *BARS, chunk_rows=100_000))
    assert message.endswith("2024-01-11.parquet: file not found")
    assert chunks == []  # one chunk would have held every row
    chunks, message = chunks_until_error(iter_archive(root, *BARS, chunk_rows=24))
    np.testing.assert_array_equal(np.concatenate(chunks), HOURLY[: 10 * 24])


def test_files_not_named_by_day_are_read_without_the_day_check(root, tmp_path):
    paths = []
    for day in (1, 2, 3):
        path = tmp_path / f"part-{day}.parquet"
        path.write_bytes(day_path(root, *BARS, date(2024, 1, day)).read_bytes())
        paths.append(path)
    rows = batches.iter_day_files(paths, "bars", start_ns=T0, end_ns=T0 + 5 * NS_PER_DAY, chunk_rows=None)
    np.testing.assert_array_equal(np.concatenate(list(rows)), HOURLY[: 3 * 24])


def test_day_files_in_older_encodings_mix_with_new_ones(tmp_path):
    write_records(tmp_path, *BARS, HOURLY, mode="overwrite")
    for day in (3, 4, 17):  # pyarrow's defaults: dictionary encoding, Arrow schema stored
        rewrite_day(tmp_path, BARS, date(2024, 1, day), HOURLY[(day - 1) * 24 : day * 24])
    np.testing.assert_array_equal(read_archive(tmp_path, *BARS), HOURLY)
    chunks = list(iter_archive(tmp_path, *BARS, chunk_rows=100_000))
    np.testing.assert_array_equal(np.concatenate(chunks), HOURLY)
