"""``botkit config check FILE`` and ``botkit config schema``: config files checked before they run.

``check_config(path)`` tells a bot config, a backtest spec and a recorder config (``botkit
record``) apart by their keys (or is told), then validates it with the very functions ``botkit
run``, ``botkit backtest`` and ``botkit record`` use: the same YAML loader, the same models, the
same strategy loading and parameter validation, and for a bot the same venue settings check
(credentials for ``mode: live``). ``effective_yaml`` prints what would
run: every default filled in, ``BOTKIT_*`` environment overrides applied, secrets as ``***``.
``config_schema`` is the JSON schema of the three file kinds, for editor completion.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from botkit.backtest.spec import BacktestSpec, load_spec_document, validate_spec
from botkit.core.config_problems import looks_secret
from botkit.core.errors import ConfigError
from botkit.core.yaml_document import YamlDocument, load_yaml_document
from botkit.live.build import syncron_settings
from botkit.settings import (
    ENV_PREFIX,
    BotConfig,
    RecorderConfig,
    bot_environment_variables,
    environment_origin,
    load_bot_document,
    load_recorder_config,
    validate_bot_config,
)
from botkit.strategy.base import StrategyParams
from botkit.strategy.loader import build_params, load_strategy_class

ConfigKind = Literal["bot", "backtest", "record"]
MASK = "***"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_BOT_ONLY = frozenset(BotConfig.model_fields) - frozenset(BacktestSpec.model_fields)
_BACKTEST_ONLY = frozenset(BacktestSpec.model_fields) - frozenset(BotConfig.model_fields)
_RECORDER_KEYS = frozenset(RecorderConfig.model_fields)
_TITLES: dict[ConfigKind, str] = {"bot": "bot config", "backtest": "backtest spec", "record": "recorder config"}


@dataclass(frozen=True, slots=True)
class CheckedConfig:
    """A config file that passed every check ``botkit run`` or ``botkit backtest`` makes before starting."""

    kind: ConfigKind
    source: str
    config: BotConfig | BacktestSpec | RecorderConfig
    strategy: str
    """The strategy class as ``module:Class`` ("" for a recorder config)."""
    params: StrategyParams | None
    environment: tuple[str, ...] = ()
    """Names of the ``BOTKIT_*`` variables that override the file (bot configs only)."""


def detect_kind(document: YamlDocument) -> ConfigKind:
    """``bot``, ``backtest`` or ``record``, from the keys only one of the file kinds has."""
    if not isinstance(document.data, dict):
        raise ConfigError(f"{document.source}: expected a mapping of keys at the top level")
    keys = {str(key) for key in document.data}
    if "record" in keys and "strategy" not in keys and keys <= _RECORDER_KEYS:
        return "record"  # what botkit record takes: a record section and no strategy
    bot, backtest = sorted(keys & _BOT_ONLY), sorted(keys & _BACKTEST_ONLY)
    if bot and not backtest:
        return "bot"
    if backtest and not bot:
        return "backtest"
    if bot and backtest:
        raise ConfigError(
            f"{document.source}: has keys of a bot config ({', '.join(bot)}) and of a backtest spec "
            f"({', '.join(backtest)}); pass --kind bot or --kind backtest to say which it is"
        )
    raise ConfigError(
        f"{document.source}: cannot tell a bot config (keys such as {', '.join(sorted(_BOT_ONLY)[:4])}) from a "
        f"backtest spec (keys such as {', '.join(sorted(_BACKTEST_ONLY)[:4])}); pass --kind bot or --kind backtest"
    )


def check_config(path: str | Path, kind: ConfigKind | None = None) -> CheckedConfig:
    """Validate the bot config or backtest spec at ``path`` as it would be validated to run; ConfigError if not."""
    if kind == "bot":
        return check_bot_config(load_bot_document(path))
    if kind == "backtest":
        return check_backtest_spec(load_spec_document(path))
    if kind == "record":
        return check_recorder_config(path)
    if not Path(path).is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    document = load_yaml_document(path)
    detected = detect_kind(document)
    if detected == "bot":
        return check_bot_config(document)
    if detected == "record":
        return check_recorder_config(path)
    return check_backtest_spec(document)


def check_bot_config(document: YamlDocument) -> CheckedConfig:
    """The checks of ``botkit run`` short of connecting: config, venue settings, strategy, parameters."""
    config = validate_bot_config(document.data, document.source, document)
    syncron_settings(config)
    strategy_cls = load_strategy_class(config.strategy)
    params = build_params(strategy_cls, config.params, document.source, document, environment_origin)
    return CheckedConfig("bot", document.source, config, _reference(strategy_cls), params,
                         tuple(sorted(bot_environment_variables())))


def check_backtest_spec(document: YamlDocument) -> CheckedConfig:
    """The checks of ``botkit backtest`` before it reads data: spec, strategy, parameters."""
    spec = validate_spec(document.data, document.source, document)
    strategy_cls = load_strategy_class(spec.strategy)
    params = build_params(strategy_cls, spec.params, document.source, document)
    return CheckedConfig("backtest", document.source, spec, _reference(strategy_cls), params)


def check_recorder_config(path: str | Path) -> CheckedConfig:
    """The checks of ``botkit record`` before it connects: the config and its environment overrides."""
    config = load_recorder_config(path)
    return CheckedConfig("record", str(path), config, "", None, tuple(sorted(bot_environment_variables())))


def effective_yaml(checked: CheckedConfig) -> str:
    """The config that would run, as YAML: defaults filled in, parameters validated, secrets masked."""
    values = checked.config.model_dump(mode="json")
    lines = [f"# {checked.source}: a valid {_TITLES[checked.kind]}; this is what would run (defaults filled in)"]
    if checked.params is not None:
        values["params"] = checked.params.model_dump(mode="json")
        lines.append(f"# strategy: {checked.strategy}")
    if checked.kind in ("bot", "record"):
        overrides = ", ".join(checked.environment) or "none"
        secrets = ", ".join(f"{name}={MASK}" for name in secret_environment_variables()) or "none set"
        lines += [f"# environment overrides applied: {overrides}",
                  f"# secrets from the environment: {secrets}"]
    body = yaml.safe_dump(mask_secrets(values), sort_keys=False, allow_unicode=True)
    return "\n".join(lines) + "\n" + body


def secret_environment_variables() -> list[str]:
    """Names (never values) of the ``BOTKIT_*`` environment variables that hold secrets."""
    return sorted(name.upper() for name in os.environ
                  if name.upper().startswith(ENV_PREFIX) and looks_secret(name[len(ENV_PREFIX):]))


def mask_secrets(value: Any) -> Any:
    """``value`` with every value under a secret-looking key replaced by ``***``."""
    if isinstance(value, dict):
        return {k: MASK if looks_secret(str(k)) and v is not None else mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def config_schema(kind: ConfigKind | None = None) -> dict[str, Any]:
    """The JSON schema of bot configs, backtest specs or recorder configs, or (default) of any, for editors."""
    models: dict[ConfigKind, type[BaseModel]] = {"bot": BotConfig, "backtest": BacktestSpec,
                                                 "record": RecorderConfig}
    if kind is not None:
        schema = models[kind].model_json_schema()
        return {"$schema": JSON_SCHEMA_DIALECT, **schema}
    refs, definitions = models_json_schema(
        [(model, "validation") for model in models.values()], title="botkit config file",
    )
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "botkit config file",
        "description": "A bot config (botkit run), a backtest spec (botkit backtest) or a recorder config "
                       "(botkit record)",
        "oneOf": [refs[(model, "validation")] for model in models.values()],
        **definitions,
    }


def schema_json(kind: ConfigKind | None = None) -> str:
    """``config_schema(kind)`` as indented JSON text."""
    return json.dumps(config_schema(kind), indent=2, sort_keys=False) + "\n"


def _reference(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"
