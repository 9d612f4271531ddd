"""A DataFrame replayed from its own arrays: the same events and errors as its records, with no copy."""

import numpy as np
import pandas as pd
import pytest

from botkit.core.errors import DataError
from botkit.data.event_columns import EventColumns, as_records
from botkit.data.frames import frame_events, from_frame, to_frame

from .factories import make_bars, make_trades


def test_frame_of_record_types_is_used_in_place():
    bars = make_bars(50)
    frame = to_frame(bars)
    events = frame_events(frame, "bars")
    assert isinstance(events, EventColumns)
    assert np.shares_memory(events["close"], frame["close"].to_numpy())
    np.testing.assert_array_equal(events.to_records(), from_frame(frame, "bars"))
    assert events.dtype.names == bars.dtype.names and len(events) == 50


def test_slices_masks_and_rows_read_as_a_record_array_does():
    bars = make_bars(20)
    events = frame_events(to_frame(bars), "bars")
    np.testing.assert_array_equal(as_records(events[5:9]), bars[5:9])
    mask = bars["close"] > 110
    np.testing.assert_array_equal(as_records(events[mask]), bars[mask])
    assert events[3] == bars[3]
    np.testing.assert_array_equal(events["ts"], bars["ts"])


def test_other_types_go_through_from_frame():
    trades = make_trades([1, 2, 3])
    frame = to_frame(trades)
    frame["side"] = ["buy", "sell", "buy"]  # text: converted, not used in place
    events = frame_events(frame, "trades")
    assert isinstance(events, np.ndarray)
    np.testing.assert_array_equal(events["side"], [1, -1, 1])
    with_int_ts = pd.DataFrame({"ts": trades["ts"], "price": trades["price"], "size": trades["size"],
                                "side": trades["side"]})
    assert isinstance(frame_events(with_int_ts, "trades"), EventColumns)


def test_errors_are_from_frames_errors():
    bars = make_bars(10)
    bars["close"][4] = np.nan
    frame = to_frame(bars)
    with pytest.raises(DataError) as native:
        frame_events(frame, "bars")
    with pytest.raises(DataError) as converted:
        from_frame(frame, "bars")
    assert str(native.value) == str(converted.value) == "DataFrame row 5: close is NaN"
