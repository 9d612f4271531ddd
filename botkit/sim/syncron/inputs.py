"""The input boundary of the Syncron simulator: bounded readers for everything a client sends.

Every value a client controls passes through here (or through the field types of ``params``,
built from these) before the venue sees it. A refusal is always an ``ApiError`` with a 4xx code
(``40001`` naming the field, ``41301`` for a body over ``MAX_BODY_BYTES``), so malformed input can
never surface as the ``50001`` that means "the simulator has a bug". The bounds:

- JSON bodies and WebSocket frames: at most ``MAX_BODY_BYTES``, ``MAX_JSON_DEPTH`` levels,
  ``MAX_NUMBER_CHARS`` characters per number, no ``NaN``/``Infinity``, no key twice;
- query strings: each key at most once;
- integers (headers, query values, WebSocket fields): ASCII digits only (``str.isdigit()`` also
  accepts ``'١٢٣'`` and ``'²'``), at most a given number of them;
- decimals: ASCII decimal text (``"60000.5"``, ``"1e-3"``) or a JSON number, finite, at most
  ``MAX_INTEGER_DIGITS`` digits before the point and ``MAX_DECIMAL_PLACES`` after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from aiohttp import web
from pydantic_core import PydanticCustomError

from botkit.sim.json_input import JsonInputError, loads_bounded
from botkit.sim.syncron.errors import invalid_parameter

MAX_BODY_BYTES = 1 << 20
"""Largest request body (and WebSocket frame) accepted: 1 MiB; more is ``413`` / ``41301``."""
MAX_JSON_DEPTH = 8
"""Deepest JSON nesting accepted (the contract's bodies and operations are 1-2 levels deep)."""
MAX_NUMBER_CHARS = 40
"""Longest number literal accepted in JSON or as decimal text."""
MAX_INTEGER_DIGITS = 18
"""Most digits a decimal may have before the point (values below 10**18)."""
MAX_DECIMAL_PLACES = 18
"""Most significant digits a decimal may have after the point."""
MAX_NAME_CHARS = 64
"""Longest field name echoed back in ``details.parameter``."""

_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def ascii_int(text: str, max_digits: int) -> int | None:
    """``text`` as a non-negative integer if it is 1..``max_digits`` ASCII digits, else None."""
    if not 0 < len(text) <= max_digits or _ASCII_DIGITS.fullmatch(text) is None:
        return None
    return int(text)


def shown_name(name: str) -> str:
    """A client-chosen field name cut to ``MAX_NAME_CHARS``, safe to echo in an error."""
    return name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS] + "…"


def bounded_decimal(value: object) -> Decimal:
    """A pydantic before-validator: decimal text or a JSON number within the bounds.

    Raises ``PydanticCustomError`` (a ``40001`` for the field once the route parses it).
    """
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        if len(value) > MAX_NUMBER_CHARS:
            raise PydanticCustomError(
                "decimal_length", "must be at most {max} characters", {"max": MAX_NUMBER_CHARS}
            )
        if _DECIMAL_TEXT.fullmatch(value) is None:
            raise PydanticCustomError(
                "decimal_text", "must be decimal text of ASCII digits, e.g. \"0.01\""
            )
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # inf and nan come out non-finite and are refused below
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        raise PydanticCustomError("decimal_type", "must be a decimal string or a number")
    if not number.is_finite():
        raise PydanticCustomError("decimal_finite", "must be a finite number")
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite, so an int
    if not any(digits):
        return Decimal(0)  # 0E+9999 and -0 are plain zero
    while len(digits) > 1 and digits[-1] == 0:  # trailing zeros say nothing: 60000.000 == 60000
        digits, exponent = digits[:-1], exponent + 1
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        raise PydanticCustomError(
            "decimal_size", "must be below 1e{max}", {"max": MAX_INTEGER_DIGITS}
        )
    if -exponent > MAX_DECIMAL_PLACES:
        raise PydanticCustomError(
            "decimal_places", "must have at most {max} decimal places", {"max": MAX_DECIMAL_PLACES}
        )
    return number


def bounded_int_text(max_digits: int) -> Callable[[object], object]:
    """A pydantic before-validator for integer fields: ASCII-digit text, or a JSON integer."""

    def check(value: object) -> object:
        if isinstance(value, str):
            parsed = ascii_int(value, max_digits)
            if parsed is None:
                raise PydanticCustomError(
                    "int_text", "must be an integer of 1 to {max} ASCII digits", {"max": max_digits}
                )
            return parsed
        if isinstance(value, bool) or not isinstance(value, int):
            raise PydanticCustomError("int_type", "must be an integer")
        return value

    return check


def read_json_object(raw: bytes | str, where: str) -> dict[str, object]:
    """``raw`` as a bounded JSON object, else ``40001`` naming ``where`` (``body``, ``message``)."""
    try:
        data = loads_bounded(
            raw,
            max_bytes=MAX_BODY_BYTES,
            max_depth=MAX_JSON_DEPTH,
            max_number_chars=MAX_NUMBER_CHARS,
        )
    except JsonInputError as error:
        raise invalid_parameter(where, f"must be a JSON object: {error.reason}") from None
    if not isinstance(data, dict):
        raise invalid_parameter(where, "must be a JSON object")
    return data


def query_params(request: web.Request) -> dict[str, str]:
    """The query string as a dict; ``40001`` if a key is given more than once."""
    params: dict[str, str] = {}
    for key, value in request.query.items():  # every pair, repeated keys included
        if key in params:
            raise invalid_parameter(shown_name(key), "given more than once")
        params[key] = value
    return params
