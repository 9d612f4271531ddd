import numpy as np
import pandas as pd
import pytest

from botkit.core.clock import NS_PER_DAY, NS_PER_MINUTE
from botkit.core.errors import ConfigError, DataError
from botkit.data.archive import read_archive
from botkit.data.importer import import_file, infer_bar_interval

from .factories import T0, make_bars, make_trades


def archived(root):
    """Every file under the archive root with its bytes: to show an import left it alone."""
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def bars_csv(path, bars):
    frame = pd.DataFrame({name: bars[name] for name in bars.dtype.names})
    frame.to_csv(path, index=False)
    return path


def test_bars_are_validated_written_and_read_back(tmp_path):
    bars = make_bars(3 * 1440 + 10)
    done = import_file(bars_csv(tmp_path / "bars.csv", bars), tmp_path / "data", venue="mine", symbol="BTCUSD")
    assert done.kind == "bars_1m" and done.rows == len(bars) and len(done.written) == 4 and done.existed == ()
    assert done.directory == tmp_path / "data" / "mine" / "BTCUSD" / "bars_1m"
    np.testing.assert_array_equal(read_archive(tmp_path / "data", "mine", "BTCUSD", "bars_1m"), bars)


def test_the_bar_interval_comes_from_the_timestamps_or_the_kind(tmp_path):
    hourly = make_bars(50, interval_ns=60 * NS_PER_MINUTE)
    hourly = np.delete(hourly, [3, 7])  # a few missing bars do not change the interval
    path = bars_csv(tmp_path / "h.csv", hourly)
    assert import_file(path, tmp_path / "data", venue="v", symbol="S").kind == "bars_1h"
    assert import_file(path, tmp_path / "data", venue="v", symbol="S", kind="bars_4h").kind == "bars_4h"
    assert infer_bar_interval(np.array([0, 60, 120, 300]), "x") == 60
    with pytest.raises(DataError, match="x: cannot infer the bar interval"):
        infer_bar_interval(np.array([5]), "x")


def test_reimporting_bars_merges_them(tmp_path):
    path = bars_csv(tmp_path / "bars.csv", make_bars(100))
    import_file(path, tmp_path / "data", venue="v", symbol="S")
    again = import_file(path, tmp_path / "data", venue="v", symbol="S")
    assert again.mode == "merge" and len(again.existed) == 1
    assert len(read_archive(tmp_path / "data", "v", "S", "bars_1m")) == 100


def test_trades_into_an_archived_day_need_a_mode(tmp_path):
    trades = make_trades([T0, T0 + 5, T0 + NS_PER_DAY])
    path = tmp_path / "trades.parquet"
    pd.DataFrame({name: trades[name] for name in trades.dtype.names}).to_parquet(path)
    root = tmp_path / "data"
    assert import_file(path, root, venue="v", symbol="S").kind == "trades"
    before = archived(root)
    with pytest.raises(ConfigError, match=r"already has 2 of the days .*2024-01-01, 2024-01-02.*--mode overwrite"):
        import_file(path, root, venue="v", symbol="S")
    assert archived(root) == before
    import_file(path, root, venue="v", symbol="S", mode="overwrite")
    assert len(read_archive(root, "v", "S", "trades")) == 3
    import_file(path, root, venue="v", symbol="S", mode="merge")
    assert len(read_archive(root, "v", "S", "trades")) == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["volume"]), r"bad.csv: missing column 'volume'"),
        (lambda f: f.assign(ts=f["ts"].where(f.index != 7, f["ts"][2])), r"bad.csv row 8: timestamps not sorted"),
        (lambda f: f.assign(close=f["close"].where(f.index != 4, np.nan)), r"bad.csv row 5: close is missing"),
        (lambda f: f.assign(high=f["high"].astype(str).where(f.index != 2, "high?")), r"bad.csv row 3: .*high"),
    ],
)
def test_a_bad_file_names_file_row_and_column_and_writes_nothing(tmp_path, change, message):
    root = tmp_path / "data"
    import_file(bars_csv(tmp_path / "good.csv", make_bars(2 * 1440)), root, venue="v", symbol="S")
    before = archived(root)
    frame = change(pd.read_csv(tmp_path / "good.csv"))
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=message):
        import_file(tmp_path / "bad.csv", root, venue="v", symbol="S", mode="overwrite")
    assert archived(root) == before


def test_bad_names_and_kinds_are_refused_and_nothing_is_written(tmp_path):
    path = bars_csv(tmp_path / "bars.csv", make_bars(10))
    with pytest.raises(ConfigError, match="symbol 'BTC/USD'"):
        import_file(path, tmp_path / "data", venue="v", symbol="BTC/USD")
    with pytest.raises(DataError, match="unknown kind 'candles'"):
        import_file(path, tmp_path / "data", venue="v", symbol="S", kind="candles")
    assert not (tmp_path / "data").exists()
