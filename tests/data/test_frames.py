import numpy as np
import pandas as pd
import pytest

from botkit.core.errors import DataError
from botkit.data.frames import from_frame, read_archive_frame, to_frame
from botkit.data.writer import write_records

from .factories import T0, make_bars, make_trades


def test_to_frame_has_utc_index_named_ts():
    frame = to_frame(make_bars(3))
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame.index.name == "ts"
    assert frame.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]


def test_frame_round_trip():
    for records in (make_bars(5), make_trades([T0, T0, T0 + 7])):
        np.testing.assert_array_equal(from_frame(to_frame(records)), records)


def test_from_frame_with_ts_column_and_text_sides():
    frame = pd.DataFrame(
        {
            "ts": ["2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z"],
            "price": [1, 2],
            "size": 1,
            "side": ["buy", "sell"],
        }
    )
    trades = from_frame(frame)
    assert trades["ts"].tolist() == [T0, T0 + 10**9]
    assert trades["side"].tolist() == [1, -1]


def test_from_frame_validates():
    frame = to_frame(make_bars(4))
    frame.iloc[2, frame.columns.get_loc("close")] = np.nan
    with pytest.raises(DataError, match=r"^DataFrame row 3: close is NaN$"):
        from_frame(frame)
    with pytest.raises(DataError, match="no rows"):
        from_frame(frame.iloc[:0])


def test_read_archive_frame(tmp_path):
    bars = make_bars(10)
    write_records(tmp_path, "synthetic", "BTC", "bars_1m", bars)
    frame = read_archive_frame(
        tmp_path, "synthetic", "BTC", "bars_1m", "2024-01-01T00:02", "2024-01-01T00:05"
    )
    assert len(frame) == 3
    assert frame["close"].tolist() == bars["close"][2:5].tolist()
