"""Settings of the Sintra client: where it connects, which plan, and the API key.

Read from the environment with the prefix ``BOTKIT_SINTRA__`` (``BOTKIT_SINTRA__API_KEY``,
``BOTKIT_SINTRA__ENDPOINT``, ``BOTKIT_SINTRA__PLAN``…) or passed as arguments. The key is a
``SecretStr``: it shows as ``**********`` in reprs, and validation errors never echo it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from botkit.core.config_model import http_base_url, ws_url
from botkit.venues._endpoints import derive_ws_url as _derive_ws_url
from botkit.venues._endpoints import rest_url_for, websocket_url_for
from botkit.venues.sintra import wire

ENV_PREFIX = "BOTKIT_SINTRA__"
API_KEY_ENV = ENV_PREFIX + "API_KEY"


class SintraPlan(StrEnum):
    """Sintra price plans: they decide the rate limit and the WebSocket update period."""

    STARTER = wire.PLAN_STARTER
    PRO = wire.PLAN_PRO


class AuthForm(StrEnum):
    """The two documented ways of sending an ``id.token`` key with HTTP Basic authentication."""

    KEY_AS_USERNAME = "key_as_username"
    """Username ``id.token``, empty password."""
    ID_AND_TOKEN = "id_and_token"
    """Username ``id``, password ``token``."""


_NAMED_ENDPOINTS = {
    "local": (wire.LOCAL_REST_URL, wire.LOCAL_WS_URL),
    "production": (wire.PRODUCTION_REST_URL, wire.PRODUCTION_WS_URL),
}


class SintraSettings(BaseSettings):
    """Where and how the Sintra client connects.

    ``endpoint`` is ``local`` (the simulator on 127.0.0.1:8701), ``production``, or an explicit
    REST base URL such as ``http://127.0.0.1:9000/v1`` (the WebSocket URL is then derived:
    ``ws://127.0.0.1:9000/ws``, unless ``ws_url`` is set). ``plan`` defaults to ``pro`` when an
    API key is set and ``starter`` otherwise.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True, hide_input_in_errors=True)

    endpoint: str = "local"
    ws_url: str | None = None
    plan: SintraPlan | None = None
    api_key: SecretStr | None = None
    auth_form: AuthForm = AuthForm.KEY_AS_USERNAME
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str) -> str:
        return http_base_url(value, tuple(_NAMED_ENDPOINTS))

    @field_validator("ws_url")
    @classmethod
    def _check_ws_url(cls, value: str | None) -> str | None:
        return ws_url(value) if value is not None else None

    @field_validator("api_key")
    @classmethod
    def _empty_key_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @property
    def rest_url(self) -> str:
        """The REST base URL, e.g. ``https://api.sintra.fi/v1``."""
        return rest_url_for(self.endpoint, _NAMED_ENDPOINTS)

    @property
    def websocket_url(self) -> str:
        """The WebSocket URL without a session, e.g. ``wss://api.sintra.fi/ws``."""
        return websocket_url_for(self.endpoint, self.ws_url, _NAMED_ENDPOINTS, wire.REST_PREFIX, wire.WS_PATH)

    @property
    def effective_plan(self) -> SintraPlan:
        """The plan in force: as set, else ``pro`` with a key and ``starter`` without."""
        if self.plan is not None:
            return self.plan
        return SintraPlan.PRO if self.api_key is not None else SintraPlan.STARTER


def derive_ws_url(rest_url: str) -> str:
    """The WebSocket URL beside a REST base URL: ``https://h/v1`` → ``wss://h/ws``."""
    return _derive_ws_url(rest_url, wire.REST_PREFIX, wire.WS_PATH)
