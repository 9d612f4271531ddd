"""Pydantic validation errors turned into one ConfigError that points into the YAML file.

``config_error_from(error, ...)`` is the one way bot configs, backtest specs and strategy
parameters report bad input. Each problem names where it is (``configs/x.yaml:12:17`` from the
document's marks, or the environment variable that set the value), the key path and what is
wrong, in the house form ``risk.max_position: must be > 0, got -1``. An unknown key suggests the
closest valid one (``unknown key 'slipage'; did you mean 'slippage'?``). Values under keys that
look like secrets are never echoed.
"""

from __future__ import annotations

import difflib
import math
import re
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from botkit.core.echo import echo
from botkit.core.errors import ConfigError
from botkit.core.yaml_document import KeyPath, Position, YamlDocument

Origin = Callable[[KeyPath], str | None]
"""Says where a value came from when not from the file (``environment BOTKIT_MODE``), else None."""

_SECRET_NOUNS = frozenset({"secret", "secrets", "token", "password", "passwd", "passphrase", "credential",
                           "credentials", "apikey", "apisecret", "privatekey", "secretkey", "accesskey"})
"""The last word of a key that names a secret (``api_secret``, ``arm_token``, ``password``)."""
_KEY_OWNERS = frozenset({"api", "private", "secret", "access", "signing"})
"""Words that make a following ``key`` a secret (``api_key``, ``private-key``), unlike ``sort_key``."""
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_BOUNDS = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", ">="),
           "less_than": ("lt", "<"), "less_than_equal": ("le", "<=")}
_ECHO_LIMIT = 60
MAX_PROBLEMS = 20
"""Most problems one ConfigError lists (the rest are counted): a file with 5,000 bad keys has one cause."""


def looks_secret(key: str) -> bool:
    """Whether a key's name says it holds a secret: it ends in one (``api_key``, ``client_secret``, ``arm_token``).

    Words are split at ``_``, ``-`` and camel case; ``token_count`` or ``max_tokens`` name numbers, not secrets.
    """
    words = [w.lower() for w in _WORD.findall(key)]
    if not words:
        return False
    last = words[-1]
    return last in _SECRET_NOUNS or (last == "key" and len(words) > 1 and words[-2] in _KEY_OWNERS)


def format_key_path(path: KeyPath) -> str:
    """``("data", "symbols", 1)`` as ``data.symbols[1]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with a config: where, which key, what."""

    where: str
    key: str
    message: str
    position: Position | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.key}: {self.message}" if self.key else f"{self.where}: {self.message}"


def config_error_from(
    error: ValidationError,
    *,
    source: str,
    model: type[BaseModel],
    what: str,
    document: YamlDocument | None = None,
    prefix: KeyPath = (),
    origin: Origin | None = None,
) -> ConfigError:
    """One ConfigError for every problem of ``error`` (raised validating ``model``), located in ``document``.

    ``prefix`` is where the model sits in the document (``("params",)`` for strategy parameters);
    ``what`` names the thing in a heading when there are several problems (``bot config``).
    """
    problems: list[ConfigProblem] = []
    for detail in error.errors():
        problem = _problem(detail, source, model, document, prefix, origin)
        if all(_identity(p) != _identity(problem) for p in problems):
            problems.append(problem)
    return config_error(problems, source, what)


def _identity(problem: ConfigProblem) -> tuple[str, str]:
    """Problems of one union field share where and key (keep the first); keyless ones differ by message."""
    return problem.where, problem.key or problem.message


def config_error(problems: Sequence[ConfigProblem], source: str, what: str) -> ConfigError:
    """A ConfigError listing ``problems`` in file order: one line, or a heading and one line each."""
    ordered = sorted(problems, key=lambda p: (p.position is None, p.position.line if p.position else 0,
                                             p.position.column if p.position else 0))
    if len(ordered) == 1:
        return ConfigError(str(ordered[0]))
    lines = "\n".join(f"  {p}" for p in ordered[:MAX_PROBLEMS])
    more = f"\n  ... and {len(ordered) - MAX_PROBLEMS:,} more" if len(ordered) > MAX_PROBLEMS else ""
    return ConfigError(f"{source}: {len(ordered)} problems in the {what}:\n{lines}{more}")


def _problem(
    detail: ErrorDetails, source: str, model: type[BaseModel], document: YamlDocument | None,
    prefix: KeyPath, origin: Origin | None,
) -> ConfigProblem:
    loc = _without_union_tags(model, tuple(detail["loc"]))
    path = (*prefix, *loc)
    key = format_key_path(path)
    kind = detail["type"]
    if kind == "extra_forbidden":
        message, key = f"unknown key {echo(key)}{_suggestion(model, loc, prefix)}", ""
    elif kind == "missing":
        message, key = f"{key} is required", ""
    else:
        message = _message(detail, path)
    came_from = origin(path) if origin is not None else None
    if came_from is not None:
        return ConfigProblem(came_from, key, message)
    position = _locate(detail, path, document) if document is not None else None
    where = document.where(position) if document is not None else source
    return ConfigProblem(where, key, message, position)


def _message(detail: ErrorDetails, path: KeyPath) -> str:
    kind, ctx, value = detail["type"], detail.get("ctx") or {}, detail.get("input")
    secret = any(looks_secret(str(part)) for part in path)
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        name, symbol = _BOUNDS[kind]
        limit = _number(ctx[name])
        return f"must be {symbol} {limit}" if secret else f"must be {symbol} {limit}, got {_echo(value)}"
    message = detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("value_error", "assertion_error") or secret or "got " in message \
            or not isinstance(value, str | int | float | bool | type(None)):
        return message
    return f"{message}, got {_echo(value)}"


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:  # 1e300 stays 1e+300
        return str(int(value))
    return str(value)


def _echo(value: Any) -> str:
    text = _number(value) if isinstance(value, float) else repr(value)
    return text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 3] + "..."


def _locate(detail: ErrorDetails, path: KeyPath, document: YamlDocument) -> Position | None:
    """Where the bad key or value is written; None if the value did not come from the file."""
    if detail["type"] == "extra_forbidden":
        return document.position(path, of_key=True)
    written = path
    while written and not document.has(written):
        written = written[:-1]
    if not written:
        return None
    if detail["type"] != "missing" and written == path and not _same(document.value_at(written), detail.get("input")):
        return None  # the file says something else: the value came from an override
    value = document.value_at(written)
    if isinstance(value, dict | list):
        return document.position(written, of_key=True) or document.position(written)
    return document.position(written)


def _same(written: Any, validated: Any) -> bool:
    if isinstance(written, float) and isinstance(validated, float) and math.isnan(written) and math.isnan(validated):
        return True  # nan is never equal to itself, but it is the value written
    try:
        return bool(written == validated)
    except Exception:  # an exotic __eq__ of a user's value: then it cannot be matched, nothing worse
        return False


# ------------------------------------------------------------------------------------------------
# Walking a model's fields along an error's ``loc``: for suggestions and to drop union tags.
# ------------------------------------------------------------------------------------------------
def _suggestion(model: type[BaseModel], loc: KeyPath, prefix: KeyPath) -> str:
    parent = _type_at(model, loc[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)) or not isinstance(loc[-1], str):
        return ""
    fields = list(parent.model_fields)
    close = difflib.get_close_matches(loc[-1], fields, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {format_key_path((*prefix, *loc[:-1], close[0]))!r}?"
    return f" (valid keys: {', '.join(fields)})" if fields else ""


def _type_at(model: type[BaseModel], loc: KeyPath) -> Any:
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return None
    return _single(current)


def _step(annotation: Any, part: Any) -> Any:
    current = _single(annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        field = current.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field is not None else None
    origin, args = get_origin(current), get_args(current)
    if origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
        return args[0]
    if origin in (dict, Mapping) and len(args) == 2:
        return args[1]
    return None


def _single(annotation: Any) -> Any:
    """``X | None`` as ``X``; other unions stay unions."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _without_union_tags(model: type[BaseModel], loc: KeyPath) -> KeyPath:
    """Drop the member names pydantic puts in ``loc`` after a union (``data.start.datetime``)."""
    kept: list[Any] = []
    current: Any = model
    index = 0
    while index < len(loc):
        part = loc[index]
        kept.append(part)
        index += 1
        current = _step(current, part) if current is not None else None
        union = _single(current)
        if get_origin(union) in (Union, types.UnionType) and index < len(loc) and isinstance(loc[index], str):
            tag = loc[index]
            index += 1
            current = next((m for m in get_args(union) if getattr(m, "__name__", None) == tag), None)
    return tuple(kept)
