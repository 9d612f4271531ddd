"""The run record: content hashes of the files a run reads, and reading a stats.json back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import botkit
from botkit.backtest.engine import data_digest
from botkit.backtest.provenance import check_data, load_run
from botkit.backtest.spec import validate_spec
from botkit.cli import main
from botkit.core.errors import ConfigError, DataError
from botkit.data.archive import read_archive

BARS_PER_DAY = 1440


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    assert main(["data", "generate", "--symbol", "BTCUSD", "--bars", str(5 * BARS_PER_DAY), "--out", str(root),
                 "--start", "2024-01-01"]) == 0
    return root


def spec(root: Path, **data: object) -> dict[str, object]:
    return {"strategy": "sma_cross", "params": {"fast": 5, "slow": 20},
            "data": {"archive": str(root), "bar_interval": "1m", **data}}


def test_the_files_read_for_the_range_are_hashed_by_their_bytes(archive: Path) -> None:
    whole = data_digest(validate_spec(spec(archive), "test"))
    assert list(whole.parts) == [f"synthetic/BTCUSD/bars_1m/2024-01-0{d}.parquet" for d in range(1, 6)]
    assert whole.bytes == sum((archive / name).stat().st_size for name in whole.parts)
    days = data_digest(validate_spec(spec(archive, start="2024-01-02", end="2024-01-03T12:00"), "test"))
    assert list(days.parts) == ["synthetic/BTCUSD/bars_1m/2024-01-02.parquet",
                                "synthetic/BTCUSD/bars_1m/2024-01-03.parquet"]
    assert days.parts.items() <= whole.parts.items() and days.sha256 != whole.sha256


def test_a_changed_missing_or_new_file_is_named_with_both_hashes(archive: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in archive.rglob("*.parquet"):
        target = copy / path.relative_to(archive)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    before = data_digest(validate_spec(spec(copy), "test"))
    folder = copy / "synthetic" / "BTCUSD" / "bars_1m"
    second = folder / "2024-01-02.parquet"
    second.write_bytes(second.read_bytes() + b"\0")
    (folder / "2024-01-05.parquet").rename(folder / "2024-01-06.parquet")
    lines = before.differences(data_digest(validate_spec(spec(copy), "test")))
    assert len(lines) == 3
    assert str(second) in lines[0] and before.parts["synthetic/BTCUSD/bars_1m/2024-01-02.parquet"] in lines[0]
    assert "changed" in lines[0] and "missing now" in lines[1] and "2024-01-06.parquet is new" in lines[2]


def test_stats_json_is_read_back_and_refuses_what_it_cannot_rerun(archive: Path, tmp_path: Path) -> None:
    result = botkit.backtest(spec(archive))
    result.save(tmp_path / "run")
    saved = load_run(tmp_path / "run" / "stats.json")
    assert saved.spec.params == {"fast": 5, "slow": 20, "size": 1.0} and saved.spec.data.archive == archive.resolve()
    assert check_data(saved, data_digest(saved.spec)) == []
    with pytest.raises(ConfigError, match="does not exist"):
        load_run(tmp_path / "missing.json")
    (tmp_path / "old.json").write_text(json.dumps({"trades": 3}))
    with pytest.raises(ConfigError, match="has no 'run' record"):
        load_run(tmp_path / "old.json")
    in_python = botkit.backtest(spec(archive), data={"BTCUSD": read_archive(archive, "synthetic", "BTCUSD", "bars_1m")})
    in_python.save(tmp_path / "py")
    with pytest.raises(DataError, match=r"data=\), which no file holds"):
        check_data(load_run(tmp_path / "py" / "stats.json"), data_digest(saved.spec))

