"""Find strategy classes by reference: ``module:Class``, ``path/to/file.py:Class`` or an entry point.

A reference that is not written in one of those forms is a ConfigError saying so; user code that
fails while it is imported (a syntax error, an exception at module level) is a StrategyError
naming the file, as it is when it fails later in a hook.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib
import importlib.util
import re
import sys
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from botkit.core.config_problems import Origin, config_error_from
from botkit.core.echo import echo
from botkit.core.errors import ConfigError, StrategyError
from botkit.core.yaml_document import YamlDocument
from botkit.strategy.base import Strategy, StrategyParams

ENTRY_POINT_GROUP = "botkit.strategies"
_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_ATTRIBUTE = re.compile(r"[A-Za-z_]\w*")
_ENTRY_POINT = re.compile(r"[\w.-]+")
_FORMS = "write an entry point name, module:Class or path/to/file.py:Class"


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
    try:
        ref = check_strategy_ref(ref)
    except ValueError as error:
        raise ConfigError(f"strategy {echo(ref)}: {error}") from None
    if ":" not in ref:
        points = _strategy_entry_points(ref)
        if ref not in points:
            known = ", ".join(sorted(points)) or "none installed"
            raise ConfigError(
                f"strategy {echo(ref)} is not an installed entry point in group {ENTRY_POINT_GROUP!r} "
                f"(known: {known}); use 'module:Class' or 'path/to/file.py:Class'"
            )
        obj = _load_entry_point(ref, points[ref])
    else:
        where, _, attr = ref.rpartition(":")
        module = _load_file(where, ref) if where.endswith(".py") else _import(where, ref)
        try:
            obj = getattr(module, attr, None)
        except Exception as error:  # a module __getattr__ of the user's
            raise StrategyError(ref, "import", where, error) from error
        if obj is None:
            raise ConfigError(f"strategy {echo(ref)}: {echo(where)} has no attribute {echo(attr)}")
    if not (isinstance(obj, type) and issubclass(obj, Strategy)):
        raise ConfigError(f"strategy {echo(ref)} is {echo(obj)}, not a botkit.Strategy subclass")
    return obj


def check_strategy_ref(ref: str) -> str:
    """``ref`` stripped if it is written as a strategy reference can be; ValueError saying the forms if not.

    Only the form is checked (what config validation can know); ``load_strategy_class`` finds the class.
    """
    ref = ref.strip()
    if not ref:
        raise ValueError(f"is empty; {_FORMS}")
    if ":" not in ref:
        if not _ENTRY_POINT.fullmatch(ref):
            raise ValueError(f"is not an entry point name; {_FORMS}")
        return ref
    where, _, attr = ref.rpartition(":")
    if not _ATTRIBUTE.fullmatch(attr):
        raise ValueError(f"the class name {echo(attr)} is not a Python name; {_FORMS}")
    if not (where.endswith(".py") or _MODULE.fullmatch(where)):
        raise ValueError(f"the module {echo(where)} is not a dotted Python name (no relative imports); {_FORMS}")
    return ref


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
        if error.name is not None and not (module_name + ".").startswith(error.name + "."):
            # the module exists but imports something that does not: the user's code fails
            raise StrategyError(ref, "import", module_name, error) from error
        raise ConfigError(f"strategy {echo(ref)}: cannot import module {echo(module_name)} ({error})") from error
    except Exception as error:  # user code run at import: whatever it raised, name the module
        raise StrategyError(ref, "import", module_name, error) from error


def _load_file(path_text: str, ref: str) -> Any:
    try:
        path = Path(path_text).expanduser().resolve()
        path.is_file()
    except (OSError, RuntimeError) as error:  # a name too long, a symlink loop, an unknown ~user
        reason = getattr(error, "strerror", None) or error
        raise ConfigError(f"strategy file {echo(path_text)} cannot be read ({reason})") from None
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        shown = "" if path_text == str(path) else f" ({path}: a strategy file is taken from the working directory)"
        raise ConfigError(f"strategy file {echo(path_text)} {what}{shown}")
    module_name = f"botkit_user_strategy_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:16]}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"strategy file {path_text!r} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # user code: a syntax error, or anything its module level raised
        del sys.modules[module_name]  # a half-run module must not be found next time
        raise StrategyError(ref, "import", str(path), error) from error
    return module


def check_param_names(cls: type[Strategy[Any]], names: Iterable[str], flag: str, ref: str) -> None:
    """ConfigError if a name given with ``flag`` (``--param``) is not a parameter of ``cls``.

    The message lists the parameters with their defaults and suggests the closest name.
    """
    fields = cls.Params.model_fields
    for name in names:
        if name in fields:
            continue
        close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(f"{key} (default {_default(info)})" for key, info in fields.items())
        known = f"its parameters are {listed}" if listed else "it has no parameters"
        raise ConfigError(f"{flag} {name} is not a parameter of {ref} ({cls.__name__}): {known}{hint}")


def _default(info: Any) -> str:
    if info.is_required():
        return "required"
    return repr(info.get_default(call_default_factory=True))
