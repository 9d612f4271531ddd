"""``botkit config check`` and ``botkit config schema`` as a user runs them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import structlog
import yaml
from botkit.examples.sma_cross import SmaCrossParams

from botkit.backtest.spec import BacktestSpec
from botkit.cli import main
from botkit.config_check import check_config, config_schema, detect_kind, effective_yaml, mask_secrets
from botkit.core.errors import ConfigError
from botkit.core.yaml_document import parse_yaml_document
from botkit.settings import BotConfig

ROOT = Path(__file__).resolve().parents[1]
BOT = """\
name: t
strategy: sma_cross
params: {fast: 3, slow: 8}
symbols: [BTCUSD]
mode: paper
"""
SPEC = """\
name: s
strategy: sma_cross
params:
  fast: 5
  slow: 20
data: {symbols: [BTCUSD]}
"""


@pytest.fixture(autouse=True)
def _reset_logging():
    """main() configures structlog to write to the captured stderr; undo it after each test."""
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _no_botkit_environment(monkeypatch):
    for name in list(os.environ):
        if name.upper().startswith("BOTKIT_"):
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_shipped_configs_and_specs_check(capsys):
    for path in [*sorted((ROOT / "configs").glob("*.yaml")), *sorted((ROOT / "backtests").glob("*.yaml"))]:
        assert main(["config", "check", str(path)]) == 0, capsys.readouterr().err
        assert capsys.readouterr().out.startswith(f"# {path}: a valid ")


def test_check_prints_the_effective_config_which_runs_as_given(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BOTKIT_RISK__MAX_POSITION", "2.5")
    monkeypatch.setenv("BOTKIT_SYNCRON__API_KEY", "key-123")
    monkeypatch.setenv("BOTKIT_SYNCRON__API_SECRET", "secret-456")
    path = write(tmp_path, BOT)
    assert main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "# environment overrides applied: BOTKIT_RISK__MAX_POSITION" in out
    assert "BOTKIT_SYNCRON__API_KEY=***" in out and "key-123" not in out and "secret-456" not in out
    effective = yaml.safe_load(out)
    assert effective["risk"]["max_position"] == 2.5
    assert effective.pop("params") == SmaCrossParams(fast=3, slow=8).model_dump()  # defaults filled in
    assert BotConfig(**effective).model_dump(exclude={"params"}) == \
        BotConfig(**yaml.safe_load(BOT)).model_dump(exclude={"params"})  # same environment: same config


def test_a_backtest_spec_is_told_by_its_keys_and_round_trips(tmp_path):
    checked = check_config(write(tmp_path, SPEC))
    assert checked.kind == "backtest" and checked.strategy == "botkit.examples.sma_cross:SmaCross"
    effective = BacktestSpec.model_validate(yaml.safe_load(effective_yaml(checked)))
    assert effective == checked.config.model_copy(update={"params": checked.params.model_dump()})


def test_errors_exit_2_naming_file_line_and_column(tmp_path, capsys):
    path = write(tmp_path, BOT + "risk:\n  max_position: -1\n")
    assert main(["config", "check", str(path)]) == 2
    assert f"{path}:7:17: risk.max_position: must be > 0, got -1" in capsys.readouterr().err
    path = write(tmp_path, SPEC + "slipage: {bps: 1}\n")
    assert main(["config", "check", str(path)]) == 2
    assert f"{path}:7:1: unknown key 'slipage'; did you mean 'slippage'?" in capsys.readouterr().err


def test_strategy_parameters_are_checked_at_their_line(tmp_path, capsys):
    path = write(tmp_path, SPEC.replace("slow: 20", "slwo: 20"))
    assert main(["config", "check", str(path)]) == 2
    assert f"{path}:5:3: unknown key 'params.slwo'; did you mean 'params.slow'?" in capsys.readouterr().err
    path = write(tmp_path, BOT.replace("strategy: sma_cross", "strategy: no_such_strategy"))
    assert main(["config", "check", str(path)]) == 2
    assert "'no_such_strategy' is not an installed entry point" in capsys.readouterr().err


def test_a_live_bot_without_credentials_fails_as_botkit_run_would(tmp_path, capsys):
    path = write(tmp_path, BOT.replace("mode: paper", "mode: live") + "venue: {endpoint: testnet}\n")
    assert main(["config", "check", str(path)]) == 2
    assert "needs credentials: set BOTKIT_SYNCRON__API_KEY" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("strategy: sma_cross\n", "cannot tell a bot config"),
        (BOT + "data: {symbols: [BTCUSD]}\n", "has keys of a bot config (mode, symbols) and of a backtest spec (data)"),
        ("- a list\n", "expected a mapping"),
    ],
)
def test_kind_detection_asks_for_kind_when_unsure(tmp_path, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        detect_kind(parse_yaml_document(text, "c.yaml"))


def test_kind_can_be_forced(tmp_path, capsys):
    path = write(tmp_path, "strategy: sma_cross\n")
    assert main(["config", "check", str(path)]) == 2
    assert "pass --kind bot or --kind backtest" in capsys.readouterr().err
    assert main(["config", "check", "--kind", "backtest", str(path)]) == 0
    assert main(["config", "check", "--kind", "bot", str(path)]) == 2
    assert "symbols is required" in capsys.readouterr().err


def test_a_missing_file(capsys):
    assert main(["config", "check", "no-such.yaml"]) == 2
    assert "'no-such.yaml' does not exist" in capsys.readouterr().err


def test_secrets_are_masked_in_any_effective_value():
    assert mask_secrets({"a": {"api_token": "x", "n": [{"password": "y"}]}, "secret": None}) == {
        "a": {"api_token": "***", "n": [{"password": "***"}]}, "secret": None}


def test_schema_holds_every_kind_and_validates_the_shipped_files(capsys):
    jsonschema = pytest.importorskip("jsonschema")
    assert main(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["oneOf"] == [{"$ref": "#/$defs/BotConfig"}, {"$ref": "#/$defs/BacktestSpec"},
                               {"$ref": "#/$defs/RecorderConfig"}]
    validator = jsonschema.Draft202012Validator(schema)
    for path in [*(ROOT / "configs").glob("*.yaml"), *(ROOT / "backtests").glob("*.yaml")]:
        values = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))  # dates as editors see them
        assert not list(validator.iter_errors(values)), path
    assert list(validator.iter_errors({"strategy": "sma_cross", "slipage": {"bps": 1}}))


def test_schema_of_one_kind(capsys):
    assert main(["config", "schema", "--kind", "bot"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "BotConfig" and "symbols" in schema["required"]
    assert config_schema("backtest")["title"] == "BacktestSpec"


def test_a_recorder_config_is_told_by_its_keys_and_checked_as_botkit_record_would(tmp_path, capsys):
    path = write(tmp_path, "symbols: [BTCUSD]\nrecord:\n  kinds: [trades, quotes]\n")
    assert main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "a valid recorder config" in out and "strategy:" not in out.splitlines()[1]
    bad = write(tmp_path, "symbols: [BTCUSD]\nrecord:\n  kinds: [trades, nonsense]\n")
    assert main(["config", "check", "--kind", "record", str(bad)]) == 2
    assert "record.kinds" in capsys.readouterr().err
