import errno
import os

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.core.clock import NS_PER_DAY, NS_PER_MINUTE, to_ns
from botkit.core.errors import ConfigError, DataError
from botkit.data.layout import day_path, list_days
from botkit.data.parquet import read_parquet
from botkit.data.writer import merge_records, split_by_day, write_records

from .factories import T0, make_bars, make_trades

ROOT_ARGS = ("syncron", "BTC-USD", "bars_1m")


def test_split_by_day():
    bars = make_bars(2 * 1440 + 5, start_ns=T0 - 2 * NS_PER_MINUTE)
    pieces = list(split_by_day(bars))
    assert [str(day) for day, _ in pieces] == [
        "2023-12-31",
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
    ]
    assert [len(rows) for _, rows in pieces] == [2, 1440, 1440, 3]
    np.testing.assert_array_equal(np.concatenate([rows for _, rows in pieces]), bars)
    assert list(split_by_day(bars[:0])) == []


def test_write_then_read_each_day(tmp_path):
    bars = make_bars(2 * 1440, start_ns=T0 + 720 * NS_PER_MINUTE)
    paths = write_records(tmp_path, *ROOT_ARGS, bars, mode="overwrite")
    assert [p.name for p in paths] == [
        "2024-01-01.parquet",
        "2024-01-02.parquet",
        "2024-01-03.parquet",
    ]
    np.testing.assert_array_equal(np.concatenate([read_parquet(p) for p in paths]), bars)
    assert sorted(os.listdir(paths[0].parent)) == [p.name for p in paths]


def test_overwrite_replaces_touched_days_only(tmp_path):
    write_records(tmp_path, *ROOT_ARGS, make_bars(3 * 1440), mode="overwrite")
    second_day = make_bars(10, start_ns=T0 + NS_PER_DAY)
    write_records(tmp_path, *ROOT_ARGS, second_day, mode="overwrite")
    assert (
        len(read_parquet(day_path(tmp_path, *ROOT_ARGS, list_days(tmp_path, *ROOT_ARGS)[1]))) == 10
    )
    assert (
        len(read_parquet(day_path(tmp_path, *ROOT_ARGS, list_days(tmp_path, *ROOT_ARGS)[2])))
        == 1440
    )


def test_merge_dedupes_bars_on_ts_new_rows_win(tmp_path):
    old = make_bars(10)
    write_records(tmp_path, *ROOT_ARGS, old)
    new = make_bars(10, start_ns=T0 + 5 * NS_PER_MINUTE)
    new["close"] += 0.25
    [path] = write_records(tmp_path, *ROOT_ARGS, new, mode="merge")
    merged = read_parquet(path)
    assert len(merged) == 15
    assert np.all(np.diff(merged["ts"]) == NS_PER_MINUTE)
    np.testing.assert_array_equal(merged[:5], old[:5])
    np.testing.assert_array_equal(merged[5:], new)


def test_merge_inserts_trades_sorted_without_dedupe(tmp_path):
    args = ("syncron", "BTC-USD", "trades")
    write_records(tmp_path, *args, make_trades([T0, T0 + 10, T0 + 20]))
    [path] = write_records(tmp_path, *args, make_trades([T0 + 10, T0 + 15]), mode="merge")
    merged = read_parquet(path)
    assert merged["ts"].tolist() == [T0, T0 + 10, T0 + 10, T0 + 15, T0 + 20]
    assert merged["price"].tolist() == [100.0, 101.0, 100.0, 101.0, 102.0]  # old row first on a tie


def test_invalid_records_write_nothing(tmp_path):
    bars = make_bars(2 * 1440)
    bars["close"][2000] = np.nan
    with pytest.raises(
        DataError, match=r"^records for syncron/BTC-USD/bars_1m row 2001: close is NaN$"
    ):
        write_records(tmp_path, *ROOT_ARGS, bars)
    assert not tmp_path.joinpath("syncron").exists()


def test_wrong_dtype_or_mode(tmp_path):
    with pytest.raises(ConfigError, match="cannot be written as trades"):
        write_records(tmp_path, "v", "s", "trades", make_bars(2))
    with pytest.raises(ConfigError, match="write mode"):
        write_records(tmp_path, *ROOT_ARGS, make_bars(2), mode="append")  # type: ignore[arg-type]


def test_failed_merge_keeps_the_old_day_file(tmp_path, monkeypatch):
    [path] = write_records(tmp_path, *ROOT_ARGS, make_bars(100))
    before = path.read_bytes()

    def disk_full(self, table, row_group_size=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", disk_full)
    with pytest.raises(OSError):
        write_records(tmp_path, *ROOT_ARGS, make_bars(10, start_ns=T0 + 200 * NS_PER_MINUTE))
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_merge_into_corrupt_file_refuses(tmp_path):
    [path] = write_records(tmp_path, *ROOT_ARGS, make_bars(10))
    path.write_bytes(b"garbage")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        write_records(tmp_path, *ROOT_ARGS, make_bars(10, start_ns=T0 + 50 * NS_PER_MINUTE))
    assert path.read_bytes() == b"garbage"


minutes = st.lists(st.integers(0, 3 * 1440), unique=True, max_size=60).map(sorted)


@settings(max_examples=60, deadline=None)
@given(old_minutes=minutes, new_minutes=minutes)
def test_merge_records_is_sorted_unique_and_prefers_new(old_minutes, new_minutes):
    old = make_bars(len(old_minutes))
    old["ts"] = T0 + np.array(old_minutes, dtype=np.int64) * NS_PER_MINUTE
    new = make_bars(len(new_minutes))
    new["ts"] = T0 + np.array(new_minutes, dtype=np.int64) * NS_PER_MINUTE
    new["volume"] = 7.0
    merged = merge_records(old, new)
    assert merged["ts"].tolist() == sorted(set(old["ts"].tolist()) | set(new["ts"].tolist()))
    from_new = np.isin(merged["ts"], new["ts"])
    assert np.all(merged["volume"][from_new] == 7.0)
    assert np.all(merged["volume"][~from_new] == 5.0)


def test_merge_records_dtype_mismatch():
    with pytest.raises(ConfigError):
        merge_records(make_bars(1), make_trades([to_ns("2024-01-01")]))
