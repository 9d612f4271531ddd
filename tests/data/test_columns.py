import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from botkit.core.errors import DataError
from botkit.data.columns import archive_schema, infer_kind, to_records, to_table
from botkit.model.records import TRADE_DTYPE

from .factories import T0, make_bars, make_quotes, make_trades


def test_archive_schema_stores_ts_as_utc_nanosecond_timestamps():
    schema = archive_schema("trades")
    assert schema.names == ["ts", "price", "size", "side"]
    assert schema.field("ts").type == pa.timestamp("ns", tz="UTC")
    assert schema.field("side").type == pa.int8()
    assert to_table(make_bars(3)).schema == archive_schema("bars")


@pytest.mark.parametrize("records", [make_bars(4), make_trades([T0, T0, 5 + T0]), make_quotes([1])])
def test_table_round_trip(records):
    kind = infer_kind(records.dtype.names)
    np.testing.assert_array_equal(to_records(to_table(records), kind, "x"), records)


def test_int64_and_timestamp_ts_read_the_same():
    table = to_table(make_trades([T0, T0 + 1]))
    as_int = table.set_column(0, "ts", table.column("ts").cast(pa.int64()))
    np.testing.assert_array_equal(
        to_records(as_int, "trades", "x"), to_records(table, "trades", "x")
    )


def test_timezones_and_dates_become_utc_ns():
    berlin = pa.array([T0], pa.timestamp("ns", tz="Europe/Berlin"))
    naive_seconds = pa.array([T0 // 10**9], pa.timestamp("s"))
    day = pa.array([dt.date(2024, 1, 1)], pa.date32())
    for ts in (berlin, naive_seconds, day):
        table = pa.table({"ts": ts, "price": [1.0], "size": [1], "side": [1]})
        assert to_records(table, "trades", "x")["ts"].tolist() == [T0]


def test_record_batches_and_first_row_offset():
    batch = pa.RecordBatch.from_pydict(
        {"ts": [1, 2], "price": [1.0, 2.0], "size": [1, 1], "side": [1, 3]}
    )
    with pytest.raises(DataError, match=r"^f row 11: side must be \+1 or -1, got 3$"):
        to_records(batch, "trades", "f", first_row=10)


def test_side_from_floats_and_ints():
    table = pa.table({"ts": [1, 2], "price": [1.0, 1.0], "size": [1.0, 1.0], "side": [1.0, -1.0]})
    assert to_records(table, "trades", "x")["side"].tolist() == [1, -1]
    table = pa.table({"ts": [1, 2], "price": [1.0, 1.0], "size": [1, 1], "side": [1, 257]})
    with pytest.raises(DataError, match="side must be \\+1 or -1, got 257"):
        to_records(table, "trades", "x")


def test_float_ts_rejected_with_type():
    table = pa.table({"ts": [1.5], "price": [1.0], "size": [1.0], "side": [1]})
    with pytest.raises(DataError, match="ts must be integer nanoseconds, a timestamp or ISO-8601"):
        to_records(table, "trades", "x")


def test_missing_ts_value():
    table = pa.table(
        {"ts": pa.array([1, None]), "price": [1.0, 1.0], "size": [1, 1], "side": [1, 1]}
    )
    with pytest.raises(DataError, match=r"^x row 2: ts is missing$"):
        to_records(table, "trades", "x")


def test_infer_kind():
    assert infer_kind(["ts", "open", "high", "low", "close", "volume"]) == "bars"
    assert infer_kind(["Timestamp", "Price", "Size", "Side"]) == "trades"
    assert infer_kind(["ts", "bid", "ask"]) == "quotes"
    with pytest.raises(DataError, match="columns fit more than one kind"):
        infer_kind(["ts", "price", "bid", "ask"])


def test_records_dtype():
    table = pa.table({"ts": [1], "price": [2], "size": [3], "side": ["s"]})
    records = to_records(table, "trades", "x")
    assert records.dtype == TRADE_DTYPE
    assert records[0].tolist() == (1, 2.0, 3.0, -1)
