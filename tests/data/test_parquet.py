import errno
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from botkit.core.clock import NS_PER_MINUTE
from botkit.core.errors import DataError
from botkit.data import parquet
from botkit.data.parquet import iter_parquet, read_parquet, write_parquet

from .factories import T0, make_bars, make_trades


@pytest.fixture
def small_row_groups(monkeypatch):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 100)


def test_round_trip(tmp_path):
    bars = make_bars(1_000)
    write_parquet(tmp_path / "b.parquet", bars)
    np.testing.assert_array_equal(read_parquet(tmp_path / "b.parquet"), bars)
    assert pq.ParquetFile(tmp_path / "b.parquet").schema_arrow.field("ts").type.tz == "UTC"


def test_chunks_are_bounded_and_cover_every_row(tmp_path, small_row_groups):
    bars = make_bars(1_000)
    write_parquet(tmp_path / "b.parquet", bars)
    chunks = list(iter_parquet(tmp_path / "b.parquet", "bars", chunk_rows=30))
    assert max(len(c) for c in chunks) == 30
    np.testing.assert_array_equal(np.concatenate(chunks), bars)


def test_range_reads_only_overlapping_row_groups(tmp_path, small_row_groups, monkeypatch):
    bars = make_bars(1_000)
    write_parquet(tmp_path / "b.parquet", bars)
    groups_read = []
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, **kwargs):
        groups_read.extend(kwargs["row_groups"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    start, end = int(bars["ts"][250]), int(bars["ts"][420])
    rows = np.concatenate(
        list(iter_parquet(tmp_path / "b.parquet", "bars", start_ns=start, end_ns=end))
    )
    np.testing.assert_array_equal(rows, bars[250:420])
    assert groups_read == [2, 3, 4]


def test_errors_in_later_row_groups_name_the_file_row(tmp_path, small_row_groups):
    bars = make_bars(1_000)
    bars["volume"][567] = -3.0
    path = tmp_path / "b.parquet"
    pq.write_table(parquet.to_table(bars), path, row_group_size=100)
    with pytest.raises(DataError, match=r"b.parquet row 568: volume must be >= 0, got -3.0"):
        list(iter_parquet(path, "bars", chunk_rows=7))


def test_sortedness_checked_across_chunk_borders(tmp_path):
    bars = make_bars(10)
    bars["ts"][5] = bars["ts"][4]
    pq.write_table(parquet.to_table(bars), tmp_path / "b.parquet")
    with pytest.raises(DataError, match=r"row 6: duplicate timestamp .* at rows 5 and 6"):
        list(iter_parquet(tmp_path / "b.parquet", "bars", chunk_rows=5))


def test_failed_write_leaves_old_file_intact_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "b.parquet"
    old = make_bars(300)
    write_parquet(path, old)
    before = path.read_bytes()
    original = pq.ParquetWriter.write_table

    def write_half_then_fail(self, table, row_group_size=None):
        original(self, table.slice(0, len(table) // 2), row_group_size=row_group_size)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", write_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        write_parquet(path, make_bars(500, start_ns=T0 + 10 * NS_PER_MINUTE))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["b.parquet"]
    np.testing.assert_array_equal(read_parquet(path), old)


def test_truncated_file_is_a_data_error(tmp_path):
    path = tmp_path / "b.parquet"
    write_parquet(path, make_bars(100))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match=r"b\.parquet: not a readable Parquet file"):
        read_parquet(path)


def test_damaged_page_is_detected_by_its_checksum(tmp_path):
    path = tmp_path / "b.parquet"
    write_parquet(path, make_bars(5_000))
    data = bytearray(path.read_bytes())
    for i in range(100, 300):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"b\.parquet: not a readable Parquet file .*checksum"):
        read_parquet(path)


def test_written_encodings_and_types(tmp_path):
    path = tmp_path / "t.parquet"
    trades = make_trades([T0, T0 + 1, T0 + 2])
    write_parquet(path, trades)
    parquet_file = pq.ParquetFile(path)
    column = parquet_file.metadata.row_group(0).column
    assert "DELTA_BINARY_PACKED" in column(0).encodings  # ts
    assert "BYTE_STREAM_SPLIT" in column(1).encodings  # price
    assert not parquet_file.metadata.metadata  # no stored Arrow schema: the Parquet types suffice
    assert str(parquet_file.schema_arrow) == str(parquet.to_table(trades).schema)
    np.testing.assert_array_equal(read_parquet(path), trades)


def test_files_in_pyarrows_default_encodings_still_read(tmp_path):
    bars = make_bars(200)
    path = tmp_path / "b.parquet"
    pq.write_table(parquet.to_table(bars), path, compression="zstd", write_page_checksum=True)
    np.testing.assert_array_equal(read_parquet(path), bars)
