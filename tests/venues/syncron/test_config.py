"""Settings: no setup needed for the simulator, env variables for the rest, secrets never echoed."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from botkit.core.errors import ConfigError
from botkit.venues.syncron import AuthMode, BudgetScope, SyncronRestClient, SyncronSettings


def test_defaults_are_the_local_simulator_with_its_demo_key() -> None:
    settings = SyncronSettings()
    assert (settings.rest_url, settings.websocket_url) == ("http://127.0.0.1:8700", "ws://127.0.0.1:8700/v5/ws")
    key, secret = settings.credentials()  # type: ignore[misc]
    assert key == "sim-demo-key" and secret.get_secret_value() == "sim-demo-secret"
    assert settings.auth_mode is AuthMode.HMAC and settings.rate_budget is BudgetScope.PROCESS
    assert (settings.rate_limit, settings.rate_window_s, settings.recv_window_ms) == (1200, 60.0, 5000)


@pytest.mark.parametrize(("endpoint", "rest", "ws"), [
    ("testnet", "https://testnet-api.syncron.finance", "wss://testnet-stream.syncron.finance/v5/ws"),
    ("production", "https://api.syncron.finance", "wss://stream.syncron.finance/v5/ws"),
    ("http://127.0.0.1:9000/v5/", "http://127.0.0.1:9000", "ws://127.0.0.1:9000/v5/ws"),
    ("https://gateway.example/syncron", "https://gateway.example/syncron", "wss://gateway.example/syncron/v5/ws"),
])
def test_named_and_explicit_endpoints(endpoint: str, rest: str, ws: str) -> None:
    settings = SyncronSettings(endpoint=endpoint)
    assert (settings.rest_url, settings.websocket_url) == (rest, ws)


def test_remote_endpoints_get_no_demo_key() -> None:
    assert SyncronSettings(endpoint="production").credentials() is None
    assert SyncronSettings(endpoint="http://localhost:1234").credentials() is not None


def test_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOTKIT_SYNCRON__ENDPOINT", "testnet")
    monkeypatch.setenv("BOTKIT_SYNCRON__API_KEY", "live-key")
    monkeypatch.setenv("BOTKIT_SYNCRON__API_SECRET", "live-secret-value")
    monkeypatch.setenv("BOTKIT_SYNCRON__AUTH_MODE", "jwt")
    monkeypatch.setenv("BOTKIT_SYNCRON__RATE_BUDGET", "machine")
    monkeypatch.setenv("BOTKIT_SYNCRON__RATE_BUDGET_DIR", str(tmp_path))
    settings = SyncronSettings()
    assert settings.endpoint == "testnet" and settings.auth_mode is AuthMode.JWT
    assert settings.credentials()[0] == "live-key"  # type: ignore[index]
    assert "live-secret-value" not in repr(settings) and "live-key" not in repr(settings)
    assert settings.budget_file().parent == tmp_path and "live-key" not in str(settings.budget_file())


def test_half_a_credential_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="BOTKIT_SYNCRON__API_SECRET is missing"):
        SyncronRestClient(SyncronSettings(api_key="k"))


@pytest.mark.parametrize("bad", [
    {"endpoint": "ftp://x"}, {"ws_url": "http://x"}, {"recv_window_ms": 60_001}, {"timeout_s": 0},
    {"rate_limit": 0}, {"auth_mode": "basic"}, {"unknown": 1},
])
def test_invalid_settings_are_refused_without_echoing_input(bad: dict) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        SyncronSettings(api_secret="do-not-echo-me", **bad)
    assert "do-not-echo-me" not in str(caught.value)


def test_empty_secrets_count_as_unset() -> None:
    assert SyncronSettings(endpoint="production", api_key=" ", api_secret="").credentials() is None
