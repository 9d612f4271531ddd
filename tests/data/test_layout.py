from datetime import date
from pathlib import Path

import pytest

from botkit.core.clock import NS_PER_DAY, to_ns
from botkit.core.errors import ConfigError, DataError
from botkit.data.layout import (
    day_files,
    day_of,
    day_path,
    day_start_ns,
    kind_dir,
    list_days,
    parse_day_file,
)


def touch_days(root: Path, *days: str) -> None:
    directory = kind_dir(root, "syncron", "BTC-USD", "bars_1m")
    directory.mkdir(parents=True, exist_ok=True)
    for day in days:
        (directory / f"{day}.parquet").write_bytes(b"")


def test_paths(tmp_path):
    path = day_path(tmp_path, "syncron", "BTC-USD", "bars_1m", date(2024, 3, 9))
    assert path == tmp_path / "syncron" / "BTC-USD" / "bars_1m" / "2024-03-09.parquet"
    assert parse_day_file(path) == date(2024, 3, 9)
    assert parse_day_file("2024-02-30.parquet") is None
    assert parse_day_file(".2024-03-09.parquet.abc.tmp") is None


@pytest.mark.parametrize("symbol", ["BTC/USD", "..", "", "-x", "a b", "S" * 65,
                                    pytest.param("S" * 100_000, id="huge")])  # an OSError from the file system
def test_unsafe_names_rejected(tmp_path, symbol):
    with pytest.raises(ConfigError, match="cannot be an archive directory name"):
        kind_dir(tmp_path, "syncron", symbol, "trades")


def test_unknown_kind_rejected(tmp_path):
    with pytest.raises(DataError, match="unknown kind 'candles'"):
        kind_dir(tmp_path, "syncron", "BTC", "candles")


def test_days_in_utc():
    assert day_of(to_ns("2024-01-01T23:59:59.999999999Z")) == date(2024, 1, 1)
    assert day_of(to_ns("2024-01-02T00:00:00Z")) == date(2024, 1, 2)
    assert day_of(-1) == date(1969, 12, 31)
    assert day_start_ns(date(2024, 1, 2)) == to_ns("2024-01-02")


def test_list_days_ignores_temp_and_stray_files(tmp_path):
    touch_days(tmp_path, "2024-01-02", "2024-01-01")
    directory = kind_dir(tmp_path, "syncron", "BTC-USD", "bars_1m")
    (directory / ".2024-01-03.parquet.x1y2.tmp").write_bytes(b"")
    (directory / "notes.txt").write_text("")
    assert list_days(tmp_path, "syncron", "BTC-USD", "bars_1m") == [
        date(2024, 1, 1),
        date(2024, 1, 2),
    ]
    assert list_days(tmp_path, "syncron", "ETH-USD", "bars_1m") == []


def test_day_files_covers_exactly_the_days_of_the_range(tmp_path):
    touch_days(tmp_path, "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05")
    files = day_files(
        tmp_path, "syncron", "BTC-USD", "bars_1m", to_ns("2024-01-01T12:00"), to_ns("2024-01-03")
    )
    assert [f.name for f in files] == ["2024-01-01.parquet", "2024-01-02.parquet"]
    files = day_files(
        tmp_path, "syncron", "BTC-USD", "bars_1m", to_ns("2024-01-03"), to_ns("2024-01-10")
    )
    assert [f.name for f in files] == ["2024-01-03.parquet", "2024-01-05.parquet"]


def test_no_files_message_names_the_directory(tmp_path):
    touch_days(tmp_path, "2024-01-01", "2024-01-02")
    directory = kind_dir(tmp_path, "syncron", "BTC-USD", "bars_1m")
    with pytest.raises(DataError) as info:
        day_files(
            tmp_path, "syncron", "BTC-USD", "bars_1m", to_ns("2025-01-01"), to_ns("2025-02-01")
        )
    assert str(info.value) == (
        f"no bars_1m files for BTC-USD from 2025-01-01 to 2025-01-31 in {directory} "
        "(it has 2024-01-01 to 2024-01-02)"
    )
    with pytest.raises(DataError, match=r"ETH from .* \(it does not exist\)"):
        day_files(tmp_path, "syncron", "ETH", "bars_1m", 0, NS_PER_DAY)


def test_empty_range_rejected(tmp_path):
    with pytest.raises(ConfigError, match="empty time range"):
        day_files(tmp_path, "syncron", "BTC", "trades", 5, 5)
