import gzip

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from botkit.core.errors import DataError
from botkit.data.files import read_csv, read_file
from botkit.model.records import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE

from .factories import T0, make_bars

BARS_CSV = """ts,open,high,low,close,volume
2024-01-01T00:00:00Z,100,101,99,100.5,10
2024-01-01T00:01:00Z,100.5,102,100,101.5,12
2024-01-01T00:02:00Z,101.5,103,101,102.5,0
"""


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Work in tmp_path so messages show the relative path a user typed: data/x.csv."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


def write(path, text: str) -> str:
    path.write_text(text)
    return f"data/{path.name}"


def error_of(path, kind=None) -> str:
    with pytest.raises(DataError) as info:
        read_file(path, kind)
    return str(info.value)


def test_csv_with_iso_timestamps(data_dir):
    bars = read_file(write(data_dir / "x.csv", BARS_CSV))
    assert bars.dtype == BAR_DTYPE
    assert bars["ts"].tolist() == [T0, T0 + 60 * 10**9, T0 + 120 * 10**9]
    assert bars["close"].tolist() == [100.5, 101.5, 102.5]


def test_csv_with_integer_ns_timestamps(data_dir):
    text = "ts,open,high,low,close,volume\n" + "".join(
        f"{T0 + i * 60 * 10**9},1,2,0.5,1.5,3\n" for i in range(4)
    )
    bars = read_file(write(data_dir / "x.csv", text))
    assert bars["ts"].tolist() == [T0 + i * 60 * 10**9 for i in range(4)]


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-01-01 00:00:00",
        "2024-01-01T01:00:00+01:00",
        "2024-01-01T00:00:00.000Z",
        "2023-12-31T19:00:00-05:00",
    ],
)
def test_csv_timestamp_spellings_all_mean_utc(data_dir, stamp):
    text = f"ts,price,size,side\n{stamp},10,1,1\n"
    assert read_file(write(data_dir / "t.csv", text))["ts"].tolist() == [T0]


def test_nanosecond_precision_kept(data_dir):
    text = "ts,price,size,side\n2024-01-01T00:00:00.123456789Z,10,1,1\n"
    assert read_file(write(data_dir / "t.csv", text))["ts"][0] == T0 + 123_456_789


def test_trades_with_buy_sell_sides_and_kind_inference(data_dir):
    text = "TS,Price,Size,Side\n2024-01-01T00:00:00Z,10,1,buy\n2024-01-01T00:00:00Z,11,2,SELL\n"
    trades = read_file(write(data_dir / "t.csv", text))
    assert trades.dtype == TRADE_DTYPE
    assert trades["side"].tolist() == [1, -1]
    assert trades["side"].dtype == np.int8


def test_quotes_kind_inference_and_extra_columns_ignored(data_dir):
    text = "timestamp,bid,bid_size,ask,ask_size,venue\n2024-01-01T00:00:00Z,10,1,10.5,2,x\n"
    quotes = read_file(write(data_dir / "q.csv", text))
    assert quotes.dtype == QUOTE_DTYPE
    assert quotes[0].tolist() == (T0, 10.0, 1.0, 10.5, 2.0)


def test_explicit_kind_overrides_inference(data_dir):
    path = write(data_dir / "x.csv", BARS_CSV)
    assert read_file(path, "bars_1m").dtype == BAR_DTYPE
    assert error_of(path, "trades").startswith("data/x.csv: missing column 'price'")


def test_cannot_infer_kind(data_dir):
    message = error_of(write(data_dir / "x.csv", "ts,value\n1,2\n"))
    assert message.startswith("data/x.csv: cannot tell the kind from the columns (have: ts, value)")


def test_semicolon_csv_and_gzip(data_dir):
    semicolon = BARS_CSV.replace(",", ";")
    assert len(read_file(write(data_dir / "s.csv", semicolon))) == 3
    with gzip.open(data_dir / "g.csv.gz", "wt") as handle:
        handle.write(BARS_CSV)
    assert len(read_file("data/g.csv.gz")) == 3


def test_missing_column_lists_what_is_there(data_dir):
    text = "ts,open,high,low,close\n2024-01-01T00:00:00Z,1,2,0.5,1\n"
    assert error_of(write(data_dir / "x.csv", text)) == (
        "data/x.csv: missing column 'volume' (have: ts, open, high, low, close)"
    )


def test_nan_row_reported_by_data_row(data_dir):
    lines = BARS_CSV.splitlines()
    text = "\n".join([*lines[:3], "2024-01-01T00:02:00Z,101.5,103,101,NaN,0"]) + "\n"
    assert error_of(write(data_dir / "x.csv", text)) == "data/x.csv row 3: close is NaN"


def test_empty_cell_reported_as_missing(data_dir):
    text = BARS_CSV.replace("102.5", "")
    assert error_of(write(data_dir / "x.csv", text)) == "data/x.csv row 3: close is missing"


def test_text_in_numeric_column(data_dir):
    text = BARS_CSV.replace("100.5,102,", "100.5,abc,")
    assert error_of(write(data_dir / "x.csv", text)) == (
        "data/x.csv row 2: high is not a number: 'abc'"
    )


def test_bad_timestamp_text(data_dir):
    text = BARS_CSV.replace("2024-01-01T00:01:00Z", "yesterday")
    assert error_of(write(data_dir / "x.csv", text)) == (
        "data/x.csv row 2: ts 'yesterday' is neither ISO-8601 time nor integer nanoseconds"
    )


def test_bad_side_text(data_dir):
    text = f"ts,price,size,side\n{T0},10,1,buy\n{T0 + 1},10,1,hold\n"
    assert error_of(write(data_dir / "t.csv", text)) == (
        "data/t.csv row 2: side must be +1/-1 or 'buy'/'sell', got 'hold'"
    )


def test_unsorted_csv(data_dir):
    lines = BARS_CSV.splitlines()
    text = "\n".join([lines[0], lines[2], lines[1], lines[3]]) + "\n"
    assert error_of(write(data_dir / "x.csv", text)) == (
        "data/x.csv row 2: timestamps not sorted "
        "(ts 2024-01-01T00:00:00Z after 2024-01-01T00:01:00Z)"
    )


def test_empty_and_header_only_files(data_dir):
    assert error_of(write(data_dir / "e.csv", "")) == (
        "data/e.csv: empty file (no header and no rows)"
    )
    assert error_of(write(data_dir / "h.csv", "ts,price,size,side\n")) == (
        "data/h.csv: no data rows (only a header)"
    )


def test_missing_file_and_unsupported_type(data_dir):
    assert error_of("data/nope.csv") == "data/nope.csv: file not found"
    assert error_of("data/nope.parquet") == "data/nope.parquet: file not found"
    assert error_of(write(data_dir / "x.json", "{}")).startswith(
        "data/x.json: unsupported file type"
    )


def test_ragged_csv(data_dir):
    text = BARS_CSV + "2024-01-01T00:03:00Z,1,2\n"
    assert error_of(write(data_dir / "x.csv", text)).startswith("data/x.csv: cannot read CSV")


def test_parquet_from_pandas_with_datetime_index(data_dir):
    bars = make_bars(5)
    frame = pd.DataFrame(
        {name: bars[name] for name in ("open", "high", "low", "close", "volume")},
        index=pd.DatetimeIndex(pd.to_datetime(bars["ts"], unit="ns", utc=True), name="ts"),
    )
    frame.to_parquet(data_dir / "p.parquet")
    np.testing.assert_array_equal(read_file("data/p.parquet"), bars)


@pytest.mark.parametrize(
    "ts_type", [pa.int64(), pa.timestamp("ns", tz="UTC"), pa.timestamp("us"), pa.timestamp("ms")]
)
def test_parquet_ts_types(data_dir, ts_type):
    bars = make_bars(5)
    ts = pa.array(bars["ts"] // {"ms": 10**6, "us": 10**3}.get(getattr(ts_type, "unit", "ns"), 1))
    columns = {"ts": ts.cast(ts_type)} | {n: bars[n] for n in ("open", "high", "low", "close")}
    pq.write_table(pa.table(columns | {"volume": bars["volume"]}), data_dir / "p.parquet")
    np.testing.assert_array_equal(read_file("data/p.parquet"), bars)


def test_corrupt_and_empty_parquet(data_dir):
    (data_dir / "c.parquet").write_bytes(b"PAR1 definitely not parquet")
    assert error_of("data/c.parquet").startswith("data/c.parquet: not a readable Parquet file")
    empty = pa.table({"ts": pa.array([], pa.int64()), "price": pa.array([], pa.float64())})
    pq.write_table(empty, data_dir / "e.parquet")
    assert error_of("data/e.parquet", "trades") == "data/e.parquet: no rows (empty file)"


def test_read_csv_large_file_is_vectorised(data_dir):
    n = 200_000
    ts = T0 + np.arange(n, dtype=np.int64) * 10**9
    frame = pd.DataFrame({"ts": ts, "price": 10.0, "size": 1.0, "side": "buy"})
    frame.to_csv(data_dir / "big.csv", index=False)
    trades = read_csv("data/big.csv")
    assert len(trades) == n
    assert trades["ts"][-1] == ts[-1]


SECOND = 1_704_067_200  # 2024-01-01T00:00:00Z in seconds since 1970


@pytest.mark.parametrize("unit", [1, 1_000, 1_000_000, 1_000_000_000])
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_integer_ts_in_any_unit_is_read_as_that_unit(data_dir, unit, suffix):
    """Seconds, milliseconds, microseconds or nanoseconds: the size tells, and the data stays in 2024."""
    ts = (SECOND + 60 * np.arange(3, dtype=np.int64)) * 1_000_000_000 // unit
    frame = pd.DataFrame({"ts": ts, "price": [10.0, 11.0, 12.0], "size": 1.0, "side": 1})
    path = data_dir / f"t.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    assert read_file(path)["ts"].tolist() == [T0, T0 + 60 * 10**9, T0 + 120 * 10**9]


@pytest.mark.parametrize(
    ("values", "row", "message"),
    [
        ([1, 2], 1, "ts 1 is not a time"),  # a counter, not a time: it would replay in 1970
        ([-SECOND, SECOND], 1, "is not a time"),
        ([SECOND, SECOND * 1000], 2, f"ts {SECOND * 1000} is not in seconds as the first row's {SECOND} is"),
        ([SECOND * 10**6, 2**62], 2, "is not in microseconds"),
    ],
)
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_integer_ts_that_are_no_time_in_any_unit_are_refused(data_dir, values, row, message, suffix):
    frame = pd.DataFrame({"ts": np.array(values, dtype=np.int64), "price": 10.0, "size": 1.0, "side": 1})
    path = data_dir / f"t.{suffix}"
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path)
    error = error_of(f"data/t.{suffix}")
    assert message in error
    assert error.startswith(f"data/t.{suffix} row {row}:" if suffix == "csv" else f"data/t.{suffix}")


@pytest.mark.parametrize("stamp", ["2300-01-01T00:00:00Z", "1500-06-01", "9999-12-31T23:59:59Z"])
def test_iso_times_beyond_nanoseconds_name_the_row(data_dir, stamp):
    text = f"ts,price,size,side\n2024-01-01T00:00:00Z,10,1,1\n{stamp},10,1,1\n"
    assert error_of(write(data_dir / "t.csv", text)) == (
        f"data/t.csv row 2: ts {stamp!r} is outside the times botkit can hold (1677-09-22 to 2262-04-11, "
        "in nanoseconds)"
    )


def test_a_huge_header_line_is_not_a_csv_header(data_dir):
    text = "ts," + "x" * 1_400_000 + "\n1,2\n"
    assert "the first line is longer than 65,536 characters" in error_of(write(data_dir / "h.csv", text))


@pytest.mark.parametrize("keep", [10, 40, 0.5])
def test_truncated_gzip_is_a_data_error(data_dir, keep):
    packed = gzip.compress(BARS_CSV.encode() * 50)
    cut = int(len(packed) * keep) if isinstance(keep, float) else keep
    (data_dir / "t.csv.gz").write_bytes(packed[:cut])
    assert error_of("data/t.csv.gz").startswith("data/t.csv.gz: cannot read CSV")


def test_not_gzip_and_not_utf8_are_data_errors(data_dir):
    (data_dir / "n.csv.gz").write_bytes(b"plain text, not gzip\n1,2\n")
    assert error_of("data/n.csv.gz").startswith("data/n.csv.gz: cannot read CSV")
    (data_dir / "l.csv").write_bytes(b"ts,price,size,side\xff\n1,2,3,4\n")
    assert error_of("data/l.csv").startswith("data/l.csv: cannot read CSV")
