"""A data selection without events: ``botkit.backtest(path)`` and ``botkit backtest PATH`` say the same.

Both name the spec file, the resolved data path and the window asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

import botkit
from botkit.cli import main
from botkit.core.errors import DataError
from botkit.data.synthetic import generate_archive, synthetic_bars

T0 = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two days of 1-minute bars under data/, and a folder for specs that read it as ../data."""
    generate_archive(tmp_path / "data", symbol="BTCUSD", n=2_880, kind="bars_1m", start_ns=T0, seed=3,
                     venue="synthetic")
    (tmp_path / "specs").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_spec(name: str, data: str) -> str:
    path = Path("specs") / f"{name}.yaml"
    path.write_text(f"strategy: sma_cross\ndata: {{{data}}}\n")
    return str(path)


def api_error(spec_path: str) -> str:
    with pytest.raises(DataError) as caught:
        botkit.backtest(spec_path)
    return str(caught.value)


def cli_error(spec_path: str, capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    capsys.readouterr()
    assert main(["backtest", spec_path, "--no-progress", "--out", "out", *flags]) == 2
    return capsys.readouterr().err


def test_a_window_between_the_bars_names_the_spec_the_data_folder_and_the_window(specs, capsys):
    spec = write_spec("gap", 'archive: ../data, start: "2024-01-01T10:00:10", end: "2024-01-01T10:00:50"')
    message = api_error(spec)
    folder = specs / "data" / "synthetic" / "BTCUSD" / "bars_1m"
    assert message == (f"{spec}: no bars in the requested range: BTCUSD in {folder}, from 2024-01-01T10:00:10Z "
                       "to 2024-01-01T10:00:50Z (set by data.start and data.end)")
    assert cli_error(spec, capsys) == f"botkit: error: {message}\n"
    assert not (specs / "out").exists()


def test_the_command_lines_window_is_the_same_error_as_the_specs(specs, capsys):
    spec = write_spec("whole", "archive: ../data")
    windowed = write_spec("windowed", 'archive: ../data, start: "2024-01-01T10:00:10", end: "2024-01-01T10:00:50"')
    expected = api_error(windowed).replace(windowed, spec)
    assert cli_error(spec, capsys, "--from", "2024-01-01T10:00:10", "--to", "2024-01-01T10:00:50") == \
        f"botkit: error: {expected}\n"


def test_a_window_outside_the_archive_names_the_spec_the_folder_and_the_days(specs, capsys):
    spec = write_spec("later", 'archive: ../data, start: "2024-03-01", end: "2024-03-05"')
    message = api_error(spec)
    folder = specs / "data" / "synthetic" / "BTCUSD" / "bars_1m"
    assert message == (f"{spec}: no bars_1m files for BTCUSD from 2024-03-01 to 2024-03-04 in {folder} "
                       "(it has 2024-01-01 to 2024-01-02)")
    assert cli_error(spec, capsys) == f"botkit: error: {message}\n"


def test_a_file_without_rows_in_the_window_names_the_file(specs, capsys):
    day = specs / "data" / "synthetic" / "BTCUSD" / "bars_1m" / "2024-01-02.parquet"
    spec = write_spec("file", f'file: {day}, start: "2024-03-01"')
    message = api_error(spec)
    assert message == f"{spec}: no bars in the requested range: BTCUSD in {day}, from 2024-03-01T00:00:00Z " \
                      "(set by data.start)"
    assert cli_error(spec, capsys) == f"botkit: error: {message}\n"


def test_data_in_python_is_named_data_and_a_dict_spec_by_its_name():
    with pytest.raises(DataError) as caught:
        botkit.backtest({"name": "nb", "strategy": "sma_cross", "data": {"end": "2020-01-01"}},
                        data={"BTCUSD": synthetic_bars(100)})
    assert str(caught.value) == ("backtest 'nb': no bars in the requested range: BTCUSD in data=, "
                                 "to 2020-01-01T00:00:00Z (set by data.end)")
