"""Input echoed in error messages, cut to a bounded length.

An error names the bad value, but the value can be a megabyte of YAML or a 100,000-character
environment variable: printed whole it buries the message (and a terminal). ``echo(value)`` is a
value's repr cut to ``ECHO_LIMIT`` characters, for messages that quote input; ``bounded_message``
is the last guard where messages are printed (the CLI): every line is cut to ``LINE_LIMIT``
characters and a message to ``MAX_LINES`` lines, whoever built it.
"""

from __future__ import annotations

from typing import Any

ECHO_LIMIT = 200
"""Most characters of one quoted value in a message."""
LINE_LIMIT = 1_000
"""Most characters of one printed line of an error message."""
MAX_LINES = 50
"""Most lines of one printed error message."""


def cut(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def echo(value: Any, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters: how a message quotes input."""
    return cut(repr(value), limit)


def bounded_message(text: str) -> str:
    """``text`` with each line cut to ``LINE_LIMIT`` characters and at most ``MAX_LINES`` lines."""
    lines = text.split("\n")
    kept = [cut(line, LINE_LIMIT) for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        kept.append(f"... ({len(lines) - MAX_LINES:,} more lines)")
    return "\n".join(kept)
