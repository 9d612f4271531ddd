"""Walk-forward: windows on the calendar, chained test curves, and each window's choice checked by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from botkit.backtest.engine import backtest
from botkit.core.clock import NS_PER_DAY, to_ns
from botkit.core.errors import ConfigError
from botkit.data.synthetic import synthetic_bars
from botkit.optimize.engine import optimize
from botkit.optimize.report_cells import WINDOW_COLUMNS
from botkit.optimize.result import OptimizeResult
from botkit.optimize.walk_forward import Window, stitch, windows

SPEC = {"strategy": "sma_cross", "params": {"size": 1.0}, "capital": 100_000.0}
SWEEP: dict[str, Any] = {"grid": {"fast": "5:30:5", "slow": "20:80:10"}, "where": ["fast < slow"]}
BARS = synthetic_bars(60 * 1440, seed=4)  # 60 days of minute bars from 2024-01-01
METRIC = "sharpe"

FIRST = to_ns("2024-01-01T05:00:00Z")
LAST = to_ns("2024-04-10T12:00:00Z")


def ns(day: str) -> int:
    return to_ns(f"{day}T00:00:00Z")


def test_rolling_windows_move_by_the_test_span_from_the_first_utc_midnight() -> None:
    edges = ["2024-01-31", "2024-02-10", "2024-02-20", "2024-03-01", "2024-03-11", "2024-03-21", "2024-03-31",
             "2024-04-10"]
    expected = [Window(k, ns(end) - 30 * NS_PER_DAY, ns(end), ns(end), ns(end) + 10 * NS_PER_DAY)
                for k, end in enumerate(edges[:-1])]
    expected.append(Window(7, ns("2024-03-11"), ns("2024-04-10"), ns("2024-04-10"), LAST + 1))
    assert windows(FIRST, LAST, "30d", "10d") == expected
    assert expected[0].train_start == ns("2024-01-01") and expected[2].test_end == ns("2024-03-01")  # a leap year


def test_anchored_windows_keep_their_start() -> None:
    rolling = windows(FIRST, LAST, "30d", "10d")
    anchored = windows(FIRST, LAST, "30d", "10d", anchored=True)
    assert {w.train_start for w in anchored} == {ns("2024-01-01")}
    assert [(w.number, w.train_end, w.test_start, w.test_end) for w in anchored] == \
        [(w.number, w.train_end, w.test_start, w.test_end) for w in rolling]
    lengths = [w.train_end - w.train_start for w in anchored]
    assert lengths == [(30 + 10 * k) * NS_PER_DAY for k in range(len(anchored))]


def test_the_last_test_window_is_cut_at_the_last_event() -> None:
    *full, last = windows(FIRST, LAST, "30d", "10d")
    assert all(w.test_end - w.test_start == 10 * NS_PER_DAY for w in full)
    assert last.test_end == LAST + 1 and last.test_end - last.test_start == 12 * 3600 * 10**9 + 1


@pytest.mark.parametrize(("last", "train"), [
    (to_ns("2024-01-25T00:00:00Z"), "30d"),
    (ns("2024-01-31") - 1, "30d"),  # a training span exactly, and not one event after it
    (LAST, "120d"),
])
def test_no_room_for_a_window_is_a_config_error(last: int, train: str) -> None:
    with pytest.raises(ConfigError, match=f"--walk-forward train={train}: the data spans .* no room"):
        windows(FIRST, last, train, "10d")


def test_stitch_chains_each_piece_from_where_the_last_ended() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    first = pd.Series([100.0, 110.0], index=index[:2])
    second = pd.Series([100.0, 90.0, 99.0], index=index[2:])
    chained = stitch([first, second], 100.0)
    pd.testing.assert_series_equal(chained, pd.Series([100.0, 110.0, 110.0, 99.0, 108.9], index=index),
                                   check_exact=False, rtol=1e-15)
    assert stitch([], 100.0).empty
    empty = pd.Series([], dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    pd.testing.assert_series_equal(stitch([first, empty, second], 100.0), chained)


@pytest.fixture(scope="module")
def walked() -> OptimizeResult:
    return optimize(SPEC, **SWEEP, metric=METRIC, data={"BTCUSD": BARS}, walk_forward="train=20d,test=10d")


def window_slice(start: pd.Timestamp, end: pd.Timestamp) -> dict[str, np.ndarray]:
    ts = BARS["ts"]
    return {"BTCUSD": BARS[(ts >= start.value) & (ts < end.value)]}


def test_the_windows_table_has_what_the_report_draws(walked: OptimizeResult) -> None:
    result = walked.walk_forward
    assert result is not None
    frame = result.windows
    assert list(frame.columns) == [*WINDOW_COLUMNS[:5], "fast", "slow", *WINDOW_COLUMNS[5:], "degradation"]
    assert frame["window"].tolist() == [0, 1, 2, 3]
    assert frame["train_start"].tolist() == [pd.Timestamp(d, tz="UTC") for d in
                                             ("2024-01-01", "2024-01-11", "2024-01-21", "2024-01-31")]
    assert frame["test_end"].iloc[-1] == pd.Timestamp(int(BARS["ts"][-1]) + 1, unit="ns", tz="UTC")
    for name in WINDOW_COLUMNS[1:5]:
        assert str(frame[name].dtype) == "datetime64[ns, UTC]"
    view = result.view()  # the report's own checks of columns and indexes
    assert isinstance(view.out_of_sample_equity.index, pd.DatetimeIndex)
    summary = result.summary()
    assert summary["windows"] == 4


def test_each_window_picks_the_in_sample_best_and_trades_it_out_of_sample(walked: OptimizeResult) -> None:
    result = walked.walk_forward
    assert result is not None
    pieces = []
    for _, row in result.windows.iterrows():
        alone = optimize(SPEC, **SWEEP, metric=METRIC, data=window_slice(row["train_start"], row["train_end"]))
        chosen = {"fast": int(row["fast"]), "slow": int(row["slow"])}
        assert chosen == alone.best_params, f"window {row['window']}"
        assert row["in_sample"] == alone.best[METRIC]
        traded = backtest({**SPEC, "params": {**SPEC["params"], **chosen}},
                          data=window_slice(row["test_start"], row["test_end"]))
        assert row["out_of_sample"] == traded.stats[METRIC]
        assert row["degradation"] == row["out_of_sample"] / row["in_sample"]
        pieces.append(traded.equity)
    pd.testing.assert_series_equal(result.out_of_sample_equity, stitch(pieces, SPEC["capital"]), check_exact=True)


def test_the_in_sample_curve_is_the_whole_periods_best_over_the_test_spans(walked: OptimizeResult) -> None:
    result = walked.walk_forward
    assert result is not None and result.in_sample_equity is not None
    first_test = result.windows["test_start"].iloc[0]
    hindsight = backtest({**SPEC, "params": {**SPEC["params"], **walked.best_params}},
                         data=window_slice(first_test, pd.Timestamp(int(BARS["ts"][-1]) + 1, unit="ns", tz="UTC")))
    pd.testing.assert_series_equal(result.in_sample_equity, hindsight.equity, check_exact=True)


def test_anchored_walk_forward_trains_from_the_start() -> None:
    result = optimize(SPEC, **SWEEP, data={"BTCUSD": BARS}, walk_forward="train=20d,test=10d", anchored=True)
    assert result.walk_forward is not None
    assert set(result.walk_forward.windows["train_start"]) == {pd.Timestamp("2024-01-01", tz="UTC")}


@pytest.mark.parametrize("text", [
    "train=20d", "test=10d", "train=20d,test=", "train=20d,test=10d,step=5d", "train=abc,test=10d",
    "train=20d,test=0d", "20d,10d", "",
])
def test_bad_walk_forward_text_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="--walk-forward"):
        optimize(SPEC, **SWEEP, data={"BTCUSD": BARS[:2000]}, walk_forward=text)
