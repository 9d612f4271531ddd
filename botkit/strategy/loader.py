"""Find strategy classes by reference: ``module:Class``, ``path/to/file.py:Class`` or an entry point."""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from botkit.core.config_problems import Origin, config_error_from
from botkit.core.errors import ConfigError
from botkit.core.yaml_document import YamlDocument
from botkit.strategy.base import Strategy, StrategyParams

ENTRY_POINT_GROUP = "botkit.strategies"


def available_strategies() -> dict[str, str]:
    """Installed strategy entry points: name → ``module:Class``."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


@functools.cache
def _installed_entry_points() -> dict[str, Any]:
    """The installed entry points by name, scanned once per process (a scan reads every package's metadata)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _strategy_entry_points(name: str) -> dict[str, Any]:
    """The cached entry points, scanned again when ``name`` is not among them (a plugin installed since)."""
    points = _installed_entry_points()
    if name not in points:
        _installed_entry_points.cache_clear()
        points = _installed_entry_points()
    return points


def load_strategy_class(ref: str) -> type[Strategy[Any]]:
    """The Strategy subclass named by ``ref``; ConfigError says what was tried and what exists."""
    ref = ref.strip()
    if ":" not in ref:
        points = _strategy_entry_points(ref)
        if ref not in points:
            known = ", ".join(sorted(points)) or "none installed"
            raise ConfigError(
                f"strategy {ref!r} is not an installed entry point in group {ENTRY_POINT_GROUP!r} "
                f"(known: {known}); use 'module:Class' or 'path/to/file.py:Class'"
            )
        obj = _load_entry_point(ref, points[ref])
    else:
        where, _, attr = ref.rpartition(":")
        module = _load_file(where) if where.endswith(".py") else _import(where, ref)
        obj = getattr(module, attr, None)
        if obj is None:
            raise ConfigError(f"strategy {ref!r}: {where!r} has no attribute {attr!r}")
    if not (isinstance(obj, type) and issubclass(obj, Strategy)):
        raise ConfigError(f"strategy {ref!r} is {obj!r}, not a botkit.Strategy subclass")
    return obj


def build_params(
    cls: type[Strategy[Any]], values: dict[str, Any], source: str, document: YamlDocument | None = None,
    origin: Origin | None = None,
) -> StrategyParams:
    """Validate ``values`` with the strategy's params model; errors name each bad key and value.

    Given the ``document`` of the config or spec the values came from (under its ``params`` key),
    errors name the line and column of each bad parameter too; ``origin`` names values set elsewhere
    (``environment BOTKIT_PARAMS__FAST``).
    """
    try:
        return cls.Params.model_validate(values)
    except ValidationError as error:
        raise config_error_from(
            error, source=source, model=cls.Params, what=f"parameters of {cls.__name__}", document=document,
            prefix=("params",), origin=origin,
        ) from None


def _load_entry_point(name: str, ep: Any) -> Any:
    try:
        return ep.load()
    except Exception as error:  # a broken plugin package: report it, whatever it raised
        raise ConfigError(f"strategy entry point {name!r} ({ep.value}) failed to load: {error}") from error


def _import(module_name: str, ref: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ConfigError(f"strategy {ref!r}: cannot import module {module_name!r} ({error})") from error


def _load_file(path_text: str) -> Any:
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"strategy file {path_text!r} does not exist")
    module_name = f"botkit_user_strategy_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:16]}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"strategy file {path_text!r} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
