"""The one base of botkit's config models: what every field of a config, spec or params model refuses.

Pydantic's lax mode reads ``capital: true`` as 1, ``allow_short: 1`` as true, ``start: 1700000000``
as a time in seconds and ``.inf`` as a number; a config with one of those runs and gives a silently
wrong result. Every model built on ``ConfigModel`` (or given ``CONFIG_RULES`` and
``plain_values``, for pydantic-settings classes) refuses instead:

- ``inf`` and ``nan`` in any float field (``allow_inf_nan=False``);
- a boolean where a number is expected, and a number where a boolean is expected;
- a number where a date or time is expected (write ``2024-01-01``);
- an integer that does not fit in 64 bits, and a date or time outside the nanosecond range
  (1677-09-22 to 2262-04-11), which the engines cannot represent.

Strings stay accepted where pydantic accepts them (``"5"`` for an int), since environment
variables are strings. Each field still states its own sane range with ``Field(gt=..., le=...)``.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import tempfile
import types
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AnyUrl,
    BaseModel,
    ConfigDict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from botkit.core.echo import echo
from botkit.core.errors import ConfigError

CONFIG_RULES: dict[str, Any] = {"frozen": True, "extra": "forbid", "allow_inf_nan": False}
"""Model settings every config model shares: frozen, unknown keys refused, numbers finite."""
INT64_MAX = 2**63 - 1
MAX_QUANTITY = 1e12
"""The largest quantity a config may name (units of the base asset): far above any real order."""
MAX_MONEY = 1e15
"""The largest amount of quote currency a config may name (capital, notional, exposure, loss)."""
MAX_PRICE_STEP = 1e9
"""The largest tick or lot size a config may name."""
MAX_LATENCY_NS = 86_400 * 10**9
"""The longest latency a config may name: one day (larger ones overflow time arithmetic or mean a typo)."""
EARLIEST_TIME = datetime(1677, 9, 22, tzinfo=UTC)
"""The earliest time an int64 of nanoseconds since 1970 can hold (rounded to a whole day)."""
LATEST_TIME = datetime(2262, 4, 11, tzinfo=UTC)
"""The latest time an int64 of nanoseconds since 1970 can hold (rounded to a whole day)."""

_Kind = Literal["number", "int", "bool", "time"]
_URL = TypeAdapter(AnyUrl)


def _kinds(annotation: Any) -> frozenset[_Kind]:
    """What a field's annotation accepts among numbers, booleans and times (through Optional/unions)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return frozenset().union(*(_kinds(member) for member in get_args(annotation)))
    if origin is Literal:
        values = get_args(annotation)
        kinds: set[_Kind] = set()
        if any(isinstance(v, bool) for v in values):
            kinds.add("bool")
        if any(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            kinds.add("number")
        return frozenset(kinds)
    if annotation is bool:
        return frozenset({"bool"})
    if isinstance(annotation, type) and issubclass(annotation, int):
        return frozenset({"number", "int"})
    if isinstance(annotation, type) and issubclass(annotation, float):
        return frozenset({"number"})
    if isinstance(annotation, type) and issubclass(annotation, date):
        return frozenset({"time"})
    return frozenset()


@functools.lru_cache(maxsize=4096)
def _field_kinds(model: type[BaseModel], field: str) -> frozenset[_Kind]:
    info = model.model_fields.get(field)
    return _kinds(info.annotation) if info is not None else frozenset()


def check_plain_value(kinds: frozenset[_Kind], value: Any) -> Any:
    """``value`` if a field accepting ``kinds`` may take it; ValueError for a bool/number/time mix-up."""
    if isinstance(value, bool):
        if "bool" not in kinds and kinds & {"number", "time"}:
            raise ValueError(f"must be a number, got {str(value).lower()} (booleans are not numbers)")
    elif isinstance(value, int | float):
        if kinds == {"bool"}:
            raise ValueError(f"must be true or false, got {value!r}")
        if "time" in kinds and "number" not in kinds:
            raise ValueError(f"must be an ISO date or time such as 2024-01-01 or 2024-01-01T09:30:00Z, got {value!r}")
        if isinstance(value, int) and "int" in kinds and not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise ValueError(f"must fit in 64 bits (at most {INT64_MAX:,}), got {value:,}")
        if isinstance(value, float) and kinds == {"number", "int"} and math.isfinite(value) \
                and not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise ValueError(f"must fit in 64 bits (at most {INT64_MAX:,}), got {value:g}")
    return value


def check_time_range(value: Any) -> Any:
    """``value`` if it is no date or time, or one an int64 of nanoseconds holds; else ValueError."""
    if isinstance(value, date):
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if not EARLIEST_TIME <= moment <= LATEST_TIME:
            raise ValueError(f"must be between {EARLIEST_TIME.date()} and {LATEST_TIME.date()} "
                             f"(nanosecond timestamps), got {value.isoformat()}")
    return value


def _plain_before(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    name = info.field_name
    return check_plain_value(_field_kinds(cls, name), value) if name is not None else value


def _time_after(cls: type[BaseModel], value: Any) -> Any:
    return check_time_range(value)


def plain_values() -> tuple[Any, Any]:
    """The two field validators of ``ConfigModel``, to put in the body of a class that cannot inherit it.

    ``check_plain_fields, check_time_fields = plain_values()`` in a pydantic-settings class body.
    """
    return (field_validator("*", mode="before")(_plain_before),  # type: ignore[call-overload]
            field_validator("*", mode="after")(_time_after))  # type: ignore[call-overload]


class ConfigModel(BaseModel):
    """Base of config sections: frozen, unknown keys refused, finite numbers, no bool/number/time mix-ups."""

    model_config = ConfigDict(**CONFIG_RULES)

    check_plain_fields, check_time_fields = plain_values()


def http_base_url(value: str, named: tuple[str, ...] = ()) -> str:
    """``value`` stripped, if it is one of the ``named`` endpoints or an http(s) URL with a valid host and port.

    Raises ValueError saying what is wrong (a bad port is found here, not when connecting).
    """
    return checked_url(value, named, ("http", "https"), "an http(s) base URL such as http://127.0.0.1:8700")


def ws_url(value: str) -> str:
    """``value`` stripped, if it is a ws(s) URL with a valid host and port; else ValueError."""
    checked_url(value, (), ("ws", "wss"), "a ws(s) URL such as ws://127.0.0.1:8700/v5/ws")
    return value.strip()


def checked_url(value: str, named: tuple[str, ...], schemes: tuple[str, ...], what: str) -> str:
    """``value`` stripped (no trailing ``/``): one of ``named``, or a URL of ``schemes`` (``what`` says so)."""
    value = value.strip()
    if value in named:
        return value
    names = f"{', '.join(named)} or " if named else ""
    if not value.lower().startswith(tuple(f"{scheme}://" for scheme in schemes)):
        raise ValueError(f"must be {names}{what}, got {echo(value)}")
    try:
        _URL.validate_python(value)
    except ValidationError as error:
        problem = error.errors()[0]["msg"].removeprefix("Input should be a valid URL, ")
        kind = what.split(" such as ")[0]
        raise ValueError(f"must be {names}{kind}: {problem}, got {echo(value)}") from None
    parts = urlsplit(value)
    problem = ""
    if parts.port == 0:  # a port to listen on, never one to connect to
        problem = "port 0 is not a port a venue listens on (1 to 65535)"
    try:
        (parts.hostname or "").encode("idna")  # what the HTTP client does before it connects
    except UnicodeError:
        problem = "the host is no valid name (at most 63 characters between dots, 253 in all)"
    if problem:
        raise ValueError(f"must be {names}{what.split(' such as ')[0]}: {problem}, got {echo(value)}")
    return value.rstrip("/")


def _usable_dir(path: Path) -> Path:
    check_dir_path(path)
    return path


def check_dir_path(path: Path) -> None:
    """ValueError unless ``path`` is a folder or can be made one (no part of it is a file or a device)."""
    current = path
    while True:
        if current.exists():
            if not current.is_dir():
                what = "a file" if current.is_file() else "a device or socket"
                if current == path:
                    raise ValueError(f"must be a folder, but {str(path)!r} is {what}")
                raise ValueError(f"must be a folder, but {str(current)!r} above it is {what}, got {str(path)!r}")
            return
        if current.parent == current:
            return
        current = current.parent


def checked_output_dir(path: Path, what: str) -> Path:
    """``path`` if it can be written as a folder of outputs; ConfigError naming ``what`` (``--out``) if not.

    Besides ``check_dir_path``'s rules, the folder (or the nearest one above it that exists, where
    it would be made) must be writable, so a command refuses it before doing any work.
    """
    try:
        check_dir_path(path)
    except ValueError as error:
        raise ConfigError(f"{what}: {error}") from None
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        where = f"{str(path)!r} is" if existing == path else f"{str(existing)!r} above {str(path)!r} is"
        raise ConfigError(f"{what}: cannot write outputs there: {where} not writable")
    _try_writing(path, what)
    return path


def _try_writing(path: Path, what: str) -> None:
    """Make ``path`` and a scratch file in it, then remove what was made; ConfigError if the system refuses.

    ``os.access`` says yes to root in ``/proc``, ``/sys`` or a read-only mount: only trying tells.
    """
    made = [p for p in (path, *path.parents) if not p.exists()]  # deepest first
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise ConfigError(f"{what}: cannot write outputs in {str(path)!r} ({error.strerror or error})") from None
    finally:
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()


FolderPath = Annotated[Path, AfterValidator(_usable_dir)]
"""A path where botkit writes a folder: refused at once if it, or a folder above it, is a file or device."""
