from datetime import date

import pytest

from botkit.core.clock import NS_PER_DAY
from botkit.core.errors import ConfigError
from botkit.data.inventory import day_ranges, missing_days, scan_archive
from botkit.data.layout import day_path
from botkit.data.writer import write_records

from .factories import T0, make_bars, make_trades


def archive(root):
    write_records(root, "synthetic", "BTCUSD", "bars_1m", make_bars(5 * 1440))  # 5 days
    write_records(root, "synthetic", "ETHUSD", "trades", make_trades([T0, T0 + 1, T0 + 2 * NS_PER_DAY]))
    write_records(root, "syncron", "BTC-USD", "bars_1h", make_bars(30, interval_ns=3600 * 10**9))
    return root


def test_lists_every_series_with_days_and_rows(tmp_path):
    found = scan_archive(archive(tmp_path))
    summary = [(s.venue, s.symbol, s.kind, len(s.days), s.rows, s.missing) for s in found]
    assert summary == [
        ("syncron", "BTC-USD", "bars_1h", 2, 30, ()),
        ("synthetic", "BTCUSD", "bars_1m", 5, 7200, ()),
        ("synthetic", "ETHUSD", "trades", 2, 3, (date(2024, 1, 2),)),
    ]
    assert found[1].first == date(2024, 1, 1) and found[1].last == date(2024, 1, 5)


def test_a_deleted_day_is_a_gap(tmp_path):
    archive(tmp_path)
    for day in (2, 3):
        day_path(tmp_path, "synthetic", "BTCUSD", "bars_1m", date(2024, 1, day)).unlink()
    (series,) = scan_archive(tmp_path, venue="synthetic", symbol="BTCUSD")
    assert series.missing == (date(2024, 1, 2), date(2024, 1, 3)) and series.rows == 3 * 1440


def test_filters_and_stray_folders(tmp_path):
    archive(tmp_path)
    (tmp_path / "synthetic" / "BTCUSD" / "notes").mkdir()          # not a kind
    (tmp_path / ".cache" / "x" / "trades").mkdir(parents=True)      # hidden: not a venue
    (tmp_path / "synthetic" / "BTCUSD" / "bars_1m" / ".parts").mkdir()
    assert [s.kind for s in scan_archive(tmp_path, venue="synthetic")] == ["bars_1m", "trades"]
    assert [s.symbol for s in scan_archive(tmp_path, kind="bars_1m")] == ["BTCUSD"]
    assert scan_archive(tmp_path, venue="nowhere") == []
    with pytest.raises(ConfigError, match="venue 'a/b'"):
        scan_archive(tmp_path, venue="a/b")


def test_an_unreadable_day_file_is_named_not_fatal(tmp_path):
    archive(tmp_path)
    bad = day_path(tmp_path, "synthetic", "BTCUSD", "bars_1m", date(2024, 1, 3))
    bad.write_bytes(b"not parquet")
    series = scan_archive(tmp_path, symbol="BTCUSD", venue="synthetic")[0]
    assert [path for path, _ in series.unreadable] == [bad] and series.rows == 4 * 1440


def test_a_missing_root_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        scan_archive(tmp_path / "nope")


def test_day_ranges_and_missing_days():
    days = [date(2024, 1, d) for d in (1, 2, 3, 5, 8, 9)]
    assert day_ranges(days) == [(date(2024, 1, 1), date(2024, 1, 3)), (date(2024, 1, 5), date(2024, 1, 5)),
                                (date(2024, 1, 8), date(2024, 1, 9))]
    assert missing_days(days) == [date(2024, 1, 4), date(2024, 1, 6), date(2024, 1, 7)]
    assert missing_days([]) == [] and day_ranges([]) == []
