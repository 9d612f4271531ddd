"""Settings of the Syncron client: endpoint, credentials, auth scheme, timeouts and rate budget.

Read from the environment with the prefix ``BOTKIT_SYNCRON__`` (``BOTKIT_SYNCRON__ENDPOINT``,
``BOTKIT_SYNCRON__API_KEY``, ``BOTKIT_SYNCRON__API_SECRET``…) or passed as arguments. With no
setup at all the client talks to the local simulator (``botkit sim syncron``) with its public demo
key. Secrets are ``SecretStr``: they show as ``**********`` and validation errors never echo them.
"""

from __future__ import annotations

import hashlib
import tempfile
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from botkit.core.config_model import http_base_url, ws_url
from botkit.venues._endpoints import derive_ws_url as _derive_ws_url
from botkit.venues._endpoints import rest_url_for, websocket_url_for
from botkit.venues.syncron import wire

ENV_PREFIX = "BOTKIT_SYNCRON__"
API_KEY_ENV = ENV_PREFIX + "API_KEY"
API_SECRET_ENV = ENV_PREFIX + "API_SECRET"
DEMO_API_KEY = "sim-demo-key"
"""The simulator's public demo key (docs/venues/syncron.md §8.1), used for loopback endpoints."""
DEMO_API_SECRET = "sim-demo-secret"
"""The simulator's public demo secret (a documented test value, not a credential)."""

_NAMED_ENDPOINTS = {
    "local": (wire.LOCAL_REST_URL, wire.LOCAL_WS_URL),
    "testnet": (wire.TESTNET_REST_URL, wire.TESTNET_WS_URL),
    "production": (wire.PRODUCTION_REST_URL, wire.PRODUCTION_WS_URL),
}
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class AuthMode(StrEnum):
    """How private REST requests are authenticated (both are in the contract, §3)."""

    HMAC = "hmac"
    """Every request signed with the API secret (``X-SYNCRON-SIGNATURE``)."""
    JWT = "jwt"
    """A bearer token from ``POST /v5/auth/token``, refreshed before it expires."""


class BudgetScope(StrEnum):
    """Who shares the client-side rate budget."""

    PROCESS = "process"
    """One budget in memory, shared by the clients of this process that are given it."""
    MACHINE = "machine"
    """A budget in a locked file, shared by every process on this machine using the same key."""


class SyncronSettings(BaseSettings):
    """Where and how the Syncron client connects.

    ``endpoint`` is ``local`` (the simulator on 127.0.0.1:8700), ``testnet``, ``production``, or
    an explicit REST base URL such as ``http://127.0.0.1:9000`` (the WebSocket URL is derived:
    ``ws://127.0.0.1:9000/v5/ws``, unless ``ws_url`` is set). Without ``api_key`` and
    ``api_secret`` a loopback endpoint uses the simulator's demo key; other endpoints have no
    credentials (public market data only).

    ``rate_limit`` requests per ``rate_window_s`` is the budget the client spends (lowered, never
    raised, by the venue's headers). ``rate_budget=machine`` shares it between processes through
    a locked file in ``rate_budget_dir`` (default: the system temp directory). A 429's
    ``Retry-After`` is obeyed up to ``max_retry_after_s`` (a hostile venue cannot park the bot).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, hide_input_in_errors=True
    )

    endpoint: str = "local"
    ws_url: str | None = None
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    auth_mode: AuthMode = AuthMode.HMAC
    recv_window_ms: int = Field(default=wire.DEFAULT_RECV_WINDOW_MS, ge=1, le=wire.MAX_RECV_WINDOW_MS)
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    connect_timeout_s: float = Field(default=10.0, gt=0, le=300)
    token_refresh_at: float = Field(default=0.8, gt=0, lt=1)
    rate_limit: int = Field(default=wire.DEFAULT_RATE_LIMIT, ge=1)
    rate_window_s: float = Field(default=wire.DEFAULT_RATE_WINDOW_S, gt=0)
    rate_margin_s: float = Field(default=0.05, ge=0)
    rate_budget: BudgetScope = BudgetScope.PROCESS
    rate_budget_dir: Path | None = None
    max_retry_after_s: float = Field(default=60.0, gt=0, le=3600,
                                     description="no 429 Retry-After makes the client wait longer than this")

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str) -> str:
        return http_base_url(value, tuple(_NAMED_ENDPOINTS)).removesuffix(wire.REST_PREFIX)

    @field_validator("ws_url")
    @classmethod
    def _check_ws_url(cls, value: str | None) -> str | None:
        return ws_url(value) if value is not None else None

    @field_validator("api_key", "api_secret")
    @classmethod
    def _empty_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @property
    def rest_url(self) -> str:
        """The REST base URL without ``/v5``, e.g. ``https://api.syncron.finance``."""
        return rest_url_for(self.endpoint, _NAMED_ENDPOINTS)

    @property
    def websocket_url(self) -> str:
        """The WebSocket URL, e.g. ``wss://stream.syncron.finance/v5/ws``."""
        return websocket_url_for(self.endpoint, self.ws_url, _NAMED_ENDPOINTS, wire.REST_PREFIX, wire.WS_PATH)

    @property
    def is_loopback(self) -> bool:
        """Whether the endpoint is on this machine (the simulator)."""
        return (urlsplit(self.rest_url).hostname or "") in _LOOPBACK_HOSTS

    def credentials(self) -> tuple[str, SecretStr] | None:
        """``(api_key, api_secret)`` in force: as set, else the demo key on loopback, else None.

        Raises ValueError if only one of the two is set.
        """
        if (self.api_key is None) != (self.api_secret is None):
            missing = API_SECRET_ENV if self.api_secret is None else API_KEY_ENV
            raise ValueError(f"set both {API_KEY_ENV} and {API_SECRET_ENV}; {missing} is missing")
        if self.api_key is not None and self.api_secret is not None:
            return self.api_key.get_secret_value().strip(), self.api_secret
        if self.is_loopback:
            return DEMO_API_KEY, SecretStr(DEMO_API_SECRET)
        return None

    def budget_file(self) -> Path:
        """The file of a machine-wide budget: one per endpoint and key (a hash, never the key)."""
        creds = self.credentials()
        identity = f"{self.rest_url}|{creds[0] if creds else '<anonymous>'}"
        digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]
        directory = self.rate_budget_dir or Path(tempfile.gettempdir()) / "botkit-ratelimit"
        return directory / f"{wire.VENUE}-{digest}.budget"


def derive_ws_url(rest_url: str) -> str:
    """The WebSocket URL beside a REST base URL: ``https://h`` → ``wss://h/v5/ws``."""
    return _derive_ws_url(rest_url, wire.REST_PREFIX, wire.WS_PATH)

