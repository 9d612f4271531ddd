"""Bot configuration: a YAML file (``configs/*.yaml``) with ``BOTKIT_`` environment overrides.

``load_bot_config(path)`` reads the file, refuses unknown keys (naming the key and the file) and
refuses anything that looks like a secret: API keys and secrets come only from the environment
(``BOTKIT_SYNCRON__API_KEY``, ``BOTKIT_SYNCRON__API_SECRET``, ``BOTKIT_SINTRA__API_KEY``), never
from a file that might be committed. Environment variables override the file with ``__`` between
levels: ``BOTKIT_MODE=paper``, ``BOTKIT_VENUE__ENDPOINT=testnet``, ``BOTKIT_PARAMS__FAST=5``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from botkit.backtest.spec import FeesSpec, SizingSpec, SlippageSpec
from botkit.core.config_model import (
    CONFIG_RULES,
    MAX_LATENCY_NS,
    MAX_MONEY,
    ConfigModel,
    FolderPath,
    http_base_url,
    plain_values,
)
from botkit.core.config_problems import config_error_from, format_key_path, looks_secret
from botkit.core.echo import echo
from botkit.core.errors import ConfigError
from botkit.core.yaml_document import KeyPath, YamlDocument, load_config_file
from botkit.data.kinds import checked_interval, interval_to_ns
from botkit.data.recorder import RecordKind, RecordSpec
from botkit.risk.rules import RiskLimits
from botkit.strategy.loader import check_strategy_ref

ENV_PREFIX = "BOTKIT_"
DEFAULT_BOOK_DEPTH = 10
"""Levels per side of the book view when ``engine.book_depth`` is not set."""
_SECRET_ENV = {("venue", "api_key"): "BOTKIT_SYNCRON__API_KEY", ("venue", "api_secret"): "BOTKIT_SYNCRON__API_SECRET",
               ("reference", "api_key"): "BOTKIT_SINTRA__API_KEY", ("prices", "api_key"): "BOTKIT_SINTRA__API_KEY"}
"""The secrets botkit reads, by the config section and key a user might have written them under."""
_SECRET_VARIABLES = ("BOTKIT_SYNCRON__API_KEY and BOTKIT_SYNCRON__API_SECRET (the venue), BOTKIT_SINTRA__API_KEY "
                     "(reference prices), BOTKIT_ARM_TOKEN (the status endpoint's POST /arm)")
_NAMED_ENDPOINTS = ("local", "testnet", "production")
_SYMBOL = re.compile(r"[A-Z0-9]{1,32}")


class VenueConfig(ConfigModel):
    """The venue the bot trades on: Syncron at ``local`` (the simulator), ``testnet``, ``production`` or a URL."""

    name: Literal["syncron"] = "syncron"
    endpoint: str = "local"

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return http_base_url(value, _NAMED_ENDPOINTS)


class ReferenceConfig(ConfigModel):
    """An independent reference price feed for the price collar (Sintra, one pair)."""

    source: Literal["sintra"] = "sintra"
    pair: str = Field("btcusd", pattern=r"^[a-zA-Z]{6,12}$")
    symbol: str | None = Field(None, description="the bot symbol this pair prices (default: the first symbol)")
    endpoint: str = "local"
    max_age_s: float = Field(60.0, gt=0, le=86_400, description="older reference prices are not used")

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return http_base_url(value, ("local", "production"))


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


class PaperConfig(ConfigModel):
    """Costs of paper fills, with the backtests' conventions."""

    fees: FeesSpec = Field(default_factory=lambda: FeesSpec(maker_bps=1.0, taker_bps=5.0))
    slippage: SlippageSpec = Field(default_factory=SlippageSpec)
    latency_ns: int = Field(0, ge=0, le=MAX_LATENCY_NS,
                            description="as a backtest spec's latency_ns: an order decided on an event "
                                        "fills on the first later one at least this much younger")


class EngineConfig(ConfigModel):
    """How the live engine behaves around stops, errors and reconnects."""

    cancel_on_stop: bool = True
    on_strategy_error: Literal["halt", "stop"] = "halt"
    strategy_path: Literal["auto", "compiled", "python"] = Field(
        "auto", description="compiled: the strategy's compiled step (as in backtests), python: its hooks, "
                            "auto: compiled when it has one and market_data gives events a step reads")
    cancel_on_halt: bool = True
    market_data: Literal["quotes", "trades", "both", "bars", "book"] = "both"
    bar_interval: str | None = Field(
        None, description="with market_data: bars, the bars' interval, spelled as a backtest spec's "
                          "data.bar_interval (1m, 15s, 4h...; default 1m)")
    book_depth: int | None = Field(
        None, ge=1, le=1000, description="with market_data: book, the levels per side on_book's view serves "
                                         "(default 10)")
    bar_grace_ms: float = Field(250.0, ge=0, le=60_000,
                                description="a bar without a later trade closes this long after its end")
    submit_timeout_s: float = Field(10.0, gt=0, le=120)
    reconcile_interval_s: float = Field(30.0, gt=0, le=86_400)
    state_save_interval_s: float = Field(5.0, gt=0, le=3_600)
    max_in_flight: int = Field(8, ge=1, le=64, description="requests to the venue at once (within its rate budget)")
    intent_ttl_s: float = Field(2.0, gt=0, le=3_600, description="a market or stop order not sent this soon is dropped")
    limit_intent_ttl_s: float = Field(30.0, gt=0, le=7 * 86_400,
                                      description="a limit order not sent this soon is dropped")
    reconcile_positions: bool = Field(True, description="correct positions to the venue's when they differ")
    position_confirm_s: float = Field(2.0, gt=0, le=3_600, description="a position difference must persist this long")

    @field_validator("bar_interval")
    @classmethod
    def _bar_interval(cls, value: str | None) -> str | None:
        return checked_interval(value) if value is not None else None

    @model_validator(mode="after")
    def _bars_only(self) -> EngineConfig:
        if self.bar_interval is not None and self.market_data != "bars":
            raise ValueError(f"bar_interval {self.bar_interval!r} needs market_data: bars, got {self.market_data!r}")
        if self.book_depth is not None and self.market_data != "book":
            raise ValueError(f"book_depth {self.book_depth} needs market_data: book, got {self.market_data!r}")
        return self

    @property
    def bar_interval_ns(self) -> int:
        """The live bars' interval in nanoseconds (``bar_interval``, default 1m)."""
        return interval_to_ns(self.bar_interval or "1m")

    @property
    def book_levels(self) -> int:
        """Levels per side of the book view ``on_book`` gets (``book_depth``, default 10)."""
        return self.book_depth or DEFAULT_BOOK_DEPTH


def unique_symbols(symbols: list[str]) -> list[str]:
    """Symbols stripped and upper-cased; ValueError if one repeats or is not a venue symbol.

    Syncron's symbols are 1 to 32 ASCII letters or digits (docs/venues/syncron.md, "Input limits");
    they also name the archive's folders when a bot records.
    """
    symbols = [s.strip().upper() for s in symbols]
    for symbol in symbols:
        if not _SYMBOL.fullmatch(symbol):
            raise ValueError(f"a symbol is 1 to 32 ASCII letters or digits (e.g. BTCUSD), got {echo(symbol)}")
    twice = sorted(symbol for symbol, count in Counter(symbols).items() if count > 1)
    if twice:
        raise ValueError(f"symbols must be unique, got {echo(twice)} more than once")
    return symbols


class _EnvironmentOverYaml(BaseSettings):
    """A settings file whose ``BOTKIT_*`` environment variables override what the YAML says.

    Its fields follow the rules of every config model (``botkit.core.config_model``).
    """

    check_plain_fields, check_time_fields = plain_values()

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


class BotConfig(_EnvironmentOverYaml):
    """One bot: strategy and parameters, symbols, venue, mode, sizing, risk, reference feed, state."""

    model_config = SettingsConfigDict(
        **CONFIG_RULES, env_prefix=ENV_PREFIX, env_nested_delimiter="__", hide_input_in_errors=True,
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
    capital: float = Field(100_000.0, gt=0, le=MAX_MONEY)
    paper: PaperConfig = Field(default_factory=PaperConfig)
    state_dir: FolderPath = Path("state")
    status_port: int | None = Field(None, ge=0, le=65_535)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    record: RecordSpec | None = Field(None, description="also record what the bot receives into the archive")

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str]) -> list[str]:
        return unique_symbols(value)

    @field_validator("strategy")
    @classmethod
    def _strategy_ref(cls, value: str) -> str:
        return check_strategy_ref(value)

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
    """Read and validate a bot config file; ConfigError names the file, the line and the offending key."""
    document = load_bot_document(path)
    return validate_bot_config(document.data, document.source, document)


def load_bot_document(path: str | Path) -> YamlDocument:
    """The parsed YAML of a bot config file with the position of every key (not yet validated)."""
    document = load_config_file(path, "bot config")
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return document


def validate_bot_config(
    data: dict[str, Any], source: str = "config", document: YamlDocument | None = None,
) -> BotConfig:
    """Validate settings given as a dict (from YAML or Python), with environment overrides.

    Given the ``document`` they were read from, errors name the line and column of each bad key.
    """
    refuse_secrets(data, source, document=document)
    try:
        return BotConfig(**data)
    except ValidationError as error:
        raise config_error_from(
            error, source=source, model=BotConfig, what="bot config", document=document, origin=environment_origin,
        ) from None
    except SettingsError as error:
        raise environment_error(error, BotConfig) from None


def bot_environment_variables() -> dict[str, str]:
    """The ``BOTKIT_*`` variables that override a bot config's keys: name (upper case) → value."""
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper[len(ENV_PREFIX):].split("__", 1)[0].lower() in BotConfig.model_fields:
            found[upper] = value
    return found


def environment_origin(path: KeyPath) -> str | None:
    """``environment BOTKIT_RISK__MAX_POSITION`` when a variable sets the value at ``path``, else None."""
    names = bot_environment_variables()
    for length in range(len(path), 0, -1):
        name = ENV_PREFIX + "__".join(str(part) for part in path[:length]).upper()
        if name in names:
            return f"environment {name}"
    return None


def environment_error(error: SettingsError, model: type[BaseSettings]) -> ConfigError:
    """The ConfigError for a ``BOTKIT_*`` variable pydantic-settings could not parse (a list or section not in JSON)."""
    match = re.search(r'field "([^"]+)"', str(error))
    field = match.group(1) if match else ""
    name = next((n for n in os.environ if n.upper() == ENV_PREFIX + field.upper()), ENV_PREFIX + field.upper())
    info = model.model_fields.get(field)
    example = '\'["BTCUSD", "ETHUSD"]\'' if info is not None and get_origin(info.annotation) is list \
        else '\'{"key": 1}\' or set one key at a time, ' + f"{ENV_PREFIX}{field.upper()}__KEY=1"
    cause = f" ({error.__cause__})" if error.__cause__ is not None else ""
    return ConfigError(f"environment {name}: {field} must be written as JSON here, e.g. {example}; "
                       f"the value is not valid JSON{cause}")


def refuse_secrets(data: Any, source: str, where: KeyPath = (), document: YamlDocument | None = None) -> None:
    """Raise ConfigError if any key in ``data`` names a secret: those belong in the environment."""
    if isinstance(data, dict):
        for key, value in data.items():
            path = (*where, key)
            if looks_secret(str(key)):
                place = document.where(document.position(path, of_key=True)) if document is not None else source
                raise ConfigError(
                    f"{place}: {format_key_path(path)!r} looks like a secret; secrets never go in config files. "
                    f"Remove it and {_where_the_secret_goes(path)}"
                )
            refuse_secrets(value, source, path, document)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            refuse_secrets(value, source, (*where, index), document)


def _where_the_secret_goes(path: KeyPath) -> str:
    """The environment variable botkit really reads for the secret at ``path``, or the list of them."""
    known = _SECRET_ENV.get((str(path[0]), str(path[-1]).lower())) if len(path) == 2 else None
    if known is not None:
        return f"set the environment variable {known} instead"
    if path[0] == "params" and len(path) >= 2:
        return f"set the environment variable {ENV_PREFIX}{'__'.join(str(p).upper() for p in path)} instead"
    return f"set it in the environment: botkit reads secrets from {_SECRET_VARIABLES}"


# --- botkit record: a venue's public data into the archive, no strategy ----------------------------------

class PriceFeedConfig(ConfigModel):
    """A reference price feed to record (Sintra, one pair)."""

    source: Literal["sintra"] = "sintra"
    pair: str = Field("btcusd", pattern=r"^[a-zA-Z]{6,12}$")
    endpoint: str = "local"

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return http_base_url(value, ("local", "production"))


_NOT_RECORDABLE_ALONE: dict[RecordKind, str] = {
    "orders": "orders are a bot's own: add a record: section to the bot's config instead",
}


class RecorderConfig(_EnvironmentOverYaml):
    """``botkit record CONFIG``: which venue, symbols and kinds to record, and where; no strategy."""

    model_config = SettingsConfigDict(
        **CONFIG_RULES, env_prefix=ENV_PREFIX, env_nested_delimiter="__", hide_input_in_errors=True,
    )

    name: str = Field("recorder", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    symbols: list[str] = Field(min_length=1)
    venue: VenueConfig = Field(default_factory=VenueConfig)
    prices: PriceFeedConfig | None = None
    record: RecordSpec = Field(default_factory=lambda: RecordSpec(kinds=["trades", "quotes", "book"]))

    @model_validator(mode="before")
    @classmethod
    def _default_kinds(cls, data: Any) -> Any:
        """Without ``record.kinds``: trades, quotes and the book, and prices when there is a ``prices`` feed."""
        if isinstance(data, dict):
            record = data.get("record")
            record = dict(record) if isinstance(record, dict) else {} if record is None else record
            if isinstance(record, dict) and "kinds" not in record:
                record["kinds"] = ["trades", "quotes", "book"] + (["prices"] if data.get("prices") else [])
                data = {**data, "record": record}
        return data

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str]) -> list[str]:
        return unique_symbols(value)

    @model_validator(mode="after")
    def _kinds_it_can_record(self) -> RecorderConfig:
        for kind in self.record.kinds:
            if kind in _NOT_RECORDABLE_ALONE:
                raise ValueError(f"{kind!r} cannot be recorded by botkit record: {_NOT_RECORDABLE_ALONE[kind]}")
        if "prices" in self.record.kinds and self.prices is None:
            raise ValueError("record.kinds lists 'prices' but there is no prices feed: add prices: {pair: btcusd}")
        return self


def load_recorder_config(path: str | Path) -> RecorderConfig:
    """Read and validate a ``botkit record`` config file; ConfigError names the file, the line and the key."""
    document = load_config_file(path, "recorder config")
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    refuse_secrets(document.data, document.source, document=document)
    try:
        return RecorderConfig(**document.data)
    except ValidationError as error:
        raise config_error_from(error, source=document.source, model=RecorderConfig, what="recorder config",
                                document=document) from None
    except SettingsError as error:
        raise environment_error(error, RecorderConfig) from None
