"""Settings: endpoints, plans, the key from BOTKIT_SINTRA__API_KEY."""

from __future__ import annotations

import pydantic
import pytest

from botkit.venues.sintra import AuthForm, SintraDataClient, SintraPlan, SintraSettings
from botkit.venues.sintra.config import derive_ws_url


def test_named_endpoints() -> None:
    local = SintraSettings()
    assert (local.rest_url, local.websocket_url) == ("http://127.0.0.1:8701/v1", "ws://127.0.0.1:8701/ws")
    production = SintraSettings(endpoint="production")
    assert production.rest_url == "https://api.sintra.fi/v1"
    assert production.websocket_url == "wss://api.sintra.fi/ws"


def test_an_explicit_base_url_derives_its_websocket() -> None:
    settings = SintraSettings(endpoint="http://10.0.0.5:9000/v1/")
    assert settings.rest_url == "http://10.0.0.5:9000/v1"
    assert settings.websocket_url == "ws://10.0.0.5:9000/ws"
    assert derive_ws_url("https://proxy.example/sintra/v1") == "wss://proxy.example/sintra/ws"
    override = SintraSettings(endpoint="http://h/v1", ws_url="ws://elsewhere/feed")
    assert override.websocket_url == "ws://elsewhere/feed"


@pytest.mark.parametrize(
    ("field", "value"), [("endpoint", "staging"), ("endpoint", "ftp://x/v1"), ("ws_url", "http://x")]
)
def test_bad_urls_are_refused(field: str, value: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=field):
        SintraSettings(**{field: value})


def test_the_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTKIT_SINTRA__API_KEY", "abc.s3cret")
    monkeypatch.setenv("BOTKIT_SINTRA__AUTH_FORM", "id_and_token")
    monkeypatch.setenv("BOTKIT_SINTRA__ENDPOINT", "production")
    settings = SintraSettings()
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "abc.s3cret"
    assert settings.auth_form is AuthForm.ID_AND_TOKEN and settings.effective_plan is SintraPlan.PRO
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    client = SintraDataClient(settings)
    assert client.plan is SintraPlan.PRO and client.budget.limit == 250
    assert client.rest_url == "https://api.sintra.fi/v1" and client.has_credentials


def test_the_plan_follows_the_key_unless_set() -> None:
    assert SintraSettings().effective_plan is SintraPlan.STARTER
    assert SintraSettings(api_key="  ").api_key is None
    assert SintraSettings(api_key="a.b", plan="starter").effective_plan is SintraPlan.STARTER
    assert SintraDataClient(SintraSettings(api_key="a.b", plan="starter")).budget.limit == 10


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        SintraSettings(api_token="a.b")  # type: ignore[call-arg]
