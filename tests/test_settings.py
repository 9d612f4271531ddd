"""Bot config files: validation errors name the key and the file; secrets are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from botkit.core.errors import ConfigError
from botkit.settings import load_bot_config

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """
name: t
strategy: sma_cross
params: {fast: 3, slow: 8}
symbols: [BTCUSD]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.yaml"
    path.write_text(text)
    return path


def test_minimal_config_gets_safe_defaults(tmp_path):
    config = load_bot_config(write(tmp_path, MINIMAL))
    assert config.mode == "paper" and config.venue.endpoint == "local"
    assert config.engine.cancel_on_stop and config.reference is None
    assert config.state_file() == Path("state/t.state.json")


def test_the_demo_config_is_valid():
    config = load_bot_config(ROOT / "configs" / "demo.yaml")
    assert config.symbols == ["BTCUSD"] and config.strategy == "sma_cross"


def test_unknown_keys_name_the_key_and_the_file(tmp_path):
    path = write(tmp_path, MINIMAL + "risk: {max_posiiton: 2}\nmodee: live\n")
    with pytest.raises(ConfigError) as info:
        load_bot_config(path)
    message = str(info.value)
    assert str(path) in message and "'risk.max_posiiton'" in message and "'modee'" in message


def test_bad_values_are_explained(tmp_path):
    with pytest.raises(ConfigError, match=r"mode: .*'paper' or 'live'"):
        load_bot_config(write(tmp_path, MINIMAL + "mode: yolo\n"))
    with pytest.raises(ConfigError, match=r"venue\.endpoint"):
        load_bot_config(write(tmp_path, MINIMAL + "venue: {endpoint: ftp://x}\n"))
    with pytest.raises(ConfigError, match="price_collar_bps"):
        load_bot_config(write(tmp_path, MINIMAL + "risk: {price_collar_bps: -1}\n"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_bot_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("snippet", "key", "env"),
    [
        ("venue: {endpoint: testnet, api_key: abc}", "venue.api_key", "BOTKIT_SYNCRON__API_KEY"),
        ("venue: {api_secret: abc}", "venue.api_secret", "BOTKIT_SYNCRON__API_SECRET"),
        ("reference: {pair: btcusd, api_key: k}", "reference.api_key", "BOTKIT_SINTRA__API_KEY"),
    ],
)
def test_secrets_in_yaml_are_refused_with_the_env_var_to_use(tmp_path, snippet, key, env):
    with pytest.raises(ConfigError) as info:
        load_bot_config(write(tmp_path, MINIMAL + snippet + "\n"))
    message = str(info.value)
    assert repr(key) in message and env in message and "abc" not in message


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("BOTKIT_MODE", "live")
    monkeypatch.setenv("BOTKIT_VENUE__ENDPOINT", "testnet")
    monkeypatch.setenv("BOTKIT_RISK__MAX_POSITION", "2.5")
    monkeypatch.setenv("BOTKIT_SYNCRON__API_KEY", "not-for-bot-config")
    config = load_bot_config(write(tmp_path, MINIMAL + "risk: {max_order_qty: 1}\n"))
    assert config.mode == "live" and config.venue.endpoint == "testnet"
    assert config.risk.max_position == 2.5 and config.risk.max_order_qty == 1


def test_errors_name_the_line_and_column_and_suggest_the_key(tmp_path):
    path = write(tmp_path, MINIMAL + "risk:\n  max_position: -1\n  max_posiiton: 2\n")
    with pytest.raises(ConfigError) as info:
        load_bot_config(path)
    lines = str(info.value).splitlines()
    assert lines[1] == f"  {path}:7:17: risk.max_position: must be > 0, got -1"
    assert lines[2] == f"  {path}:8:3: unknown key 'risk.max_posiiton'; did you mean 'risk.max_position'?"


def test_an_environment_value_is_blamed_on_its_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("BOTKIT_RISK__MAX_POSITION", "-3")
    with pytest.raises(ConfigError) as info:
        load_bot_config(write(tmp_path, MINIMAL + "risk: {max_position: 1}\n"))
    assert str(info.value) == "environment BOTKIT_RISK__MAX_POSITION: risk.max_position: must be > 0, got '-3'"


def test_a_secret_is_refused_at_its_line(tmp_path):
    path = write(tmp_path, MINIMAL + "venue:\n  api_key: abc\n")
    with pytest.raises(ConfigError, match=f"^{path}:7:3: 'venue.api_key' looks like a secret"):
        load_bot_config(path)


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ('venue: {endpoint: "http://127.0.0.1:99999"}', "venue.endpoint: must be local, testnet, production or an "
                                                       "http(s) base URL: invalid port number"),
        ('venue: {endpoint: "http://127.0.0.1:abc"}', "invalid port number"),
        ('reference: {endpoint: "http://h:70000"}', "reference.endpoint: must be local, production or an http(s) "
                                                   "base URL: invalid port number"),
        ("reference: {endpoint: ftp://h}", "reference.endpoint: must be local, production or an http(s) base URL"),
        ("reference: {max_age_s: .inf}", "reference.max_age_s: Input should be a finite number, got inf"),
        ("reference: {max_age_s: 1e9}", "reference.max_age_s: must be <= 86400"),
        ("capital: true", "capital: must be a number, got true (booleans are not numbers)"),
        ("paper: {latency_ns: 9223372036854775808}", "paper.latency_ns: must fit in 64 bits"),
        ("engine: {cancel_on_stop: 1}", "engine.cancel_on_stop: must be true or false, got 1"),
        ("state_dir: /dev/null", "state_dir: must be a folder, but '/dev/null' is a device or socket"),
        ("state_dir: /dev/null/state", "state_dir: must be a folder, but '/dev/null' above it is a device"),
        ("record: {root: /dev/null}", "record.root: must be a folder"),
        ("strategy: '..up:X'", "strategy: the module '..up' is not a dotted Python name"),
        ('venue: {endpoint: "http://127.0.0.1:0"}', "venue.endpoint: must be local, testnet, production or an "
                                                   "http(s) base URL: port 0 is not a port a venue listens on"),
        ("symbols: ['../X']", "symbols: a symbol is 1 to 32 ASCII letters or digits (e.g. BTCUSD), got '../X'"),
        ("symbols: [BTC-USD]", "a symbol is 1 to 32 ASCII letters or digits"),
        pytest.param("symbols: [" + "S" * 100_000 + "]", "more characters)", id="huge-symbol"),  # quoted cut short
        ("symbols: [btcusd, BTCUSD]", "symbols: symbols must be unique, got ['BTCUSD'] more than once"),
    ],
)
def test_bad_values_are_refused_before_the_bot_starts(tmp_path, snippet, message):
    base = MINIMAL.replace("strategy: sma_cross\n", "") if snippet.startswith("strategy") else MINIMAL
    base = base.replace("symbols: [BTCUSD]\n", "") if snippet.startswith("symbols") else base
    path = write(tmp_path, base + snippet + "\n")
    with pytest.raises(ConfigError) as info:
        load_bot_config(path)
    assert str(path) in str(info.value) and message in str(info.value)


@pytest.mark.parametrize(
    ("snippet", "key", "advice"),
    [
        ("api_key: abc", "api_key", "botkit reads secrets from BOTKIT_SYNCRON__API_KEY and BOTKIT_SYNCRON__API_SECRET"),
        ("password: abc", "password", "BOTKIT_SINTRA__API_KEY (reference prices), BOTKIT_ARM_TOKEN"),
        ("venue: {token: abc}", "venue.token", "botkit reads secrets from"),
        ("params: {api_token: abc}", "params.api_token", "set the environment variable BOTKIT_PARAMS__API_TOKEN"),
    ],
)
def test_a_secret_is_sent_to_a_variable_botkit_reads(tmp_path, snippet, key, advice):
    with pytest.raises(ConfigError) as info:
        load_bot_config(write(tmp_path, MINIMAL.replace("params: {fast: 3, slow: 8}\n", "") + snippet + "\n"))
    message = str(info.value)
    assert f"{key!r} looks like a secret" in message and advice in message and "abc" not in message
    assert "BOTKIT_API_KEY__" not in message and "BOTKIT_PASSWORD__" not in message


def test_parameters_named_like_counts_of_tokens_are_not_secrets(tmp_path):
    config = load_bot_config(write(tmp_path, MINIMAL.replace("slow: 8}", "slow: 8, token_count: 3, max_tokens: 2}")))
    assert config.params["token_count"] == 3 and config.params["max_tokens"] == 2


@pytest.mark.parametrize(("variable", "value"), [("BOTKIT_SYMBOLS", "not json"), ("BOTKIT_RISK", "{max_position")])
def test_an_environment_variable_that_is_not_json_is_a_config_error(tmp_path, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        load_bot_config(write(tmp_path, MINIMAL))
    message = str(info.value)
    assert message.startswith(f"environment {variable}: ") and "must be written as JSON here" in message
    assert value not in message


def test_a_folder_is_not_a_bot_config(tmp_path):
    with pytest.raises(ConfigError, match="is not a file"):
        load_bot_config(tmp_path)
