"""Bounded JSON decoding for what clients send the simulators (REST bodies, WebSocket frames).

``json.loads`` alone lets a client choose how much work and memory a request costs and which
exception it raises: ``[[[[…`` a million deep is a ``RecursionError``, a 5000-digit integer a
``ValueError`` about ``sys.set_int_max_str_digits``, ``NaN`` and ``Infinity`` are accepted and a
repeated key silently wins. ``loads_bounded`` refuses all of these, and anything else that is not
JSON, with one ``JsonInputError`` whose ``reason`` a simulator puts in its 4xx answer.
"""

from __future__ import annotations

import json
import re
from typing import NoReturn

MAX_DEPTH = 8
"""Default deepest nesting of arrays and objects (the contracts' messages are 1-2 levels deep)."""
MAX_NUMBER_CHARS = 40
"""Default longest number literal: more digits than any price, quantity or timestamp needs."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENERS = frozenset(b"[{")


class JsonInputError(ValueError):
    """Client input that is not bounded JSON; ``reason`` says what is wrong (never echoes it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nesting_exceeds(raw: bytes, max_depth: int) -> bool:
    """Whether ``raw`` nests arrays/objects deeper than ``max_depth``, found without parsing.

    Brackets inside string literals do not count; the scan stops at the first level too deep.
    """
    depth = 0
    for byte in _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        if byte in _OPENERS:
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name: str) -> NoReturn:
    raise JsonInputError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise JsonInputError(f"key {key[:40]!r} appears twice")
        result[key] = value
    return result


def loads_bounded(
    raw: bytes | str,
    *,
    max_bytes: int,
    max_depth: int = MAX_DEPTH,
    max_number_chars: int = MAX_NUMBER_CHARS,
) -> object:
    """``raw`` decoded as strict JSON within the bounds, else ``JsonInputError``.

    Strict: UTF-8, no ``NaN``/``Infinity``, no repeated key in an object, at most ``max_bytes``
    bytes, ``max_depth`` levels and ``max_number_chars`` characters per number. Floats come back
    as ``float`` (``1e400`` as ``inf``: the field's validator refuses it), integers as ``int``.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise JsonInputError(f"larger than {max_bytes} bytes")
    if nesting_exceeds(data, max_depth):
        raise JsonInputError(f"nested deeper than {max_depth} levels")

    def bounded_int(text: str) -> int:
        if len(text) > max_number_chars:
            raise JsonInputError(f"a number has more than {max_number_chars} characters")
        return int(text)

    def bounded_float(text: str) -> float:
        if len(text) > max_number_chars:
            raise JsonInputError(f"a number has more than {max_number_chars} characters")
        return float(text)

    try:
        text = data.decode("utf-8")
        return json.loads(
            text,
            parse_int=bounded_int,
            parse_float=bounded_float,
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_keys,
        )
    except JsonInputError:
        raise
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise JsonInputError("not valid UTF-8 JSON") from None
