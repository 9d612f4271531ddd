"""Bot configuration: a YAML file (``configs/*.yaml``) with ``BOTKIT_`` environment overrides.

``load_bot_config(path)`` reads the file, refuses unknown keys (naming the key and the file) and
refuses anything that looks like a secret: API keys and secrets come only from the environment
(``BOTKIT_SYNCRON__API_KEY``, ``BOTKIT_SYNCRON__API_SECRET``, ``BOTKIT_SINTRA__API_KEY``), never
from a file that might be committed. Environment variables override the file with ``__`` between
levels: ``BOTKIT_MODE=paper``, ``BOTKIT_VENUE__ENDPOINT=testnet``, ``BOTKIT_PARAMS__FAST=5``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from botkit.backtest.spec import FeesSpec, SizingSpec, SlippageSpec
from botkit.core.errors import ConfigError
from botkit.risk.rules import RiskLimits

ENV_PREFIX = "BOTKIT_"
_FROZEN = ConfigDict(frozen=True, extra="forbid")
_SECRET_KEY = re.compile(r"(api[_-]?key|secret|token|password|passphrase|private[_-]?key|credential)", re.I)
_SECRET_ENV = {"venue": "BOTKIT_SYNCRON__", "reference": "BOTKIT_SINTRA__"}
_NAMED_ENDPOINTS = ("local", "testnet", "production")


class VenueConfig(BaseModel):
    """The venue the bot trades on: Syncron at ``local`` (the simulator), ``testnet``, ``production`` or a URL."""

    model_config = _FROZEN

    name: Literal["syncron"] = "syncron"
    endpoint: str = "local"

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        value = value.strip()
        if value in _NAMED_ENDPOINTS:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be local, testnet, production or an http(s) base URL, got {value!r}")
        return value.rstrip("/")


class ReferenceConfig(BaseModel):
    """An independent reference price feed for the price collar (Sintra, one pair)."""

    model_config = _FROZEN

    source: Literal["sintra"] = "sintra"
    pair: str = Field("btcusd", pattern=r"^[a-zA-Z]{6,12}$")
    symbol: str | None = Field(None, description="the bot symbol this pair prices (default: the first symbol)")
    endpoint: str = "local"
    max_age_s: float = Field(60.0, gt=0, description="older reference prices are not used")


class BotRiskLimits(RiskLimits):
    """The backtests' risk limits plus the guards that only make sense live.

    Orders priced more than ``price_collar_bps`` away from the reference price are refused; so are
    new orders on stale data, a resyncing book or a venue clock that disagrees with ours, and
    orders or cancels beyond their rate.
    """

    price_collar_bps: float | None = Field(None, gt=0, le=10_000)
    max_reference_age_ms: float | None = Field(
        None, gt=0, le=86_400_000,
        description="the collar's reference (feed price, else last trade) must be this fresh "
                    "(default: reference.max_age_s)")
    max_data_age_ms: float | None = Field(None, gt=0, le=86_400_000,
                                          description="no new orders on market data older than this")
    max_clock_skew_ms: float | None = Field(5_000.0, gt=0, le=3_600_000,
                                            description="no new orders while the venue's clock is this far from ours")
    max_orders_per_s: int | None = Field(None, ge=1, le=10_000, description="new orders in any one second")
    max_cancels_per_s: int | None = Field(None, ge=1, le=10_000, description="strategy cancels in any one second")


class PaperConfig(BaseModel):
    """Costs of paper fills, with the backtests' conventions."""

    model_config = _FROZEN

    fees: FeesSpec = Field(default_factory=lambda: FeesSpec(maker_bps=1.0, taker_bps=5.0))
    slippage: SlippageSpec = Field(default_factory=SlippageSpec)


class EngineConfig(BaseModel):
    """How the live engine behaves around stops, errors and reconnects."""

    model_config = _FROZEN

    cancel_on_stop: bool = True
    on_strategy_error: Literal["halt", "stop"] = "halt"
    cancel_on_halt: bool = True
    market_data: Literal["quotes", "trades", "both"] = "both"
    submit_timeout_s: float = Field(10.0, gt=0, le=120)
    reconcile_interval_s: float = Field(30.0, gt=0)
    state_save_interval_s: float = Field(5.0, gt=0)
    max_in_flight: int = Field(8, ge=1, le=64, description="requests to the venue at once (within its rate budget)")
    intent_ttl_s: float = Field(2.0, gt=0, description="a market or stop order not sent this soon is dropped")
    limit_intent_ttl_s: float = Field(30.0, gt=0, description="a limit order not sent this soon is dropped")
    reconcile_positions: bool = Field(True, description="correct positions to the venue's when they differ")
    position_confirm_s: float = Field(2.0, gt=0, description="a position difference must persist this long")


class BotConfig(BaseSettings):
    """One bot: strategy and parameters, symbols, venue, mode, sizing, risk, reference feed, state."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True, hide_input_in_errors=True,
    )

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    strategy: str
    params: dict[str, Any] = Field(default_factory=dict)
    symbols: list[str] = Field(min_length=1)
    venue: VenueConfig = Field(default_factory=VenueConfig)
    mode: Literal["paper", "live"] = "paper"
    sizing: SizingSpec = Field(default_factory=SizingSpec)
    risk: BotRiskLimits = Field(default_factory=BotRiskLimits)
    reference: ReferenceConfig | None = None
    capital: float = Field(100_000.0, gt=0)
    paper: PaperConfig = Field(default_factory=PaperConfig)
    state_dir: Path = Path("state")
    status_port: int | None = Field(None, ge=0, le=65_535)
    engine: EngineConfig = Field(default_factory=EngineConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment overrides the YAML file (passed as init values)."""
        return env_settings, init_settings

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str]) -> list[str]:
        value = [s.strip().upper() for s in value]
        if len(set(value)) != len(value):
            raise ValueError(f"symbols must be unique, got {value}")
        return value

    @model_validator(mode="after")
    def _reference_symbol(self) -> BotConfig:
        if self.reference is not None and self.reference.symbol is not None \
                and self.reference.symbol.upper() not in self.symbols:
            raise ValueError(f"reference.symbol {self.reference.symbol!r} is not one of symbols {self.symbols}")
        return self

    @property
    def reference_symbol(self) -> str | None:
        """The bot symbol the reference feed prices, if there is a feed."""
        if self.reference is None:
            return None
        return (self.reference.symbol or self.symbols[0]).upper()

    def state_file(self) -> Path:
        """Where this bot's state is saved."""
        return self.state_dir / f"{self.name}.state.json"


class OperatorSettings(BaseSettings):
    """Secrets of the person running the bot, from the environment only (``BOTKIT_ARM_TOKEN``)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True, hide_input_in_errors=True)

    arm_token: SecretStr | None = Field(None, description="bearer token of the status endpoint's POST /arm")


def load_bot_config(path: str | Path) -> BotConfig:
    """Read and validate a bot config file; ConfigError names the file and the offending key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"bot config {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return validate_bot_config(data, str(path))


def validate_bot_config(data: dict[str, Any], source: str = "config") -> BotConfig:
    """Validate settings given as a dict (from YAML or Python), with environment overrides."""
    refuse_secrets(data, source)
    try:
        return BotConfig(**data)
    except ValidationError as error:
        raise ConfigError(f"{source}: " + "; ".join(_describe(e) for e in error.errors())) from None


def refuse_secrets(data: Any, source: str, where: str = "") -> None:
    """Raise ConfigError if any key in ``data`` names a secret: those belong in the environment."""
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{where}.{key}" if where else str(key)
            if _SECRET_KEY.search(str(key)):
                room = path.split(".", 1)[0]
                env = _SECRET_ENV.get(room, ENV_PREFIX + room.upper() + "__") + str(key).upper()
                raise ConfigError(
                    f"{source}: {path!r} looks like a secret; secrets never go in config files. "
                    f"Remove it and set the environment variable {env} instead"
                )
            refuse_secrets(value, source, path)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            refuse_secrets(value, source, f"{where}[{index}]")


def _describe(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key {where!r}"
    if error["type"] == "missing":
        return f"{where} is required"
    return f"{where}: {error['msg']}"
