"""structlog setup for botkit processes, with secret redaction as the last word before output.

Every log line passes ``redact_secrets``: values of keys that name a secret (``api_key``,
``secret``, ``token``, ``signature``, ``authorization``, ``password``…) are replaced, and any
registered secret value is masked wherever it appears in a string, so a secret that slips into an
exception message or a URL is still not printed.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

REDACTED = "***"
_SECRET_KEY = re.compile(r"(api[_-]?key|secret|token|signature|authorization|password|passphrase|cookie)", re.I)
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears in a log line from now on (ignored if short or empty)."""
    if value and len(value) >= 6:
        _registered.add(value)


def register_secrets(values: Iterable[str | None]) -> None:
    """Register several secret values."""
    for value in values:
        register_secret(value)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _registered:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEY.search(str(k)) else _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v) for v in value)
    return value


def redact_secrets(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: replace secret-named fields and mask registered secret values."""
    for key in list(event):
        if _SECRET_KEY.search(key):
            event[key] = REDACTED
        else:
            event[key] = _mask(event[key])
    return event


def configure_logging(level: str = "info", *, json: bool = False) -> None:
    """Set up structlog (and stdlib logging) for a botkit process: key-value or JSON lines on stderr."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"log level must be debug, info, warning or error, got {level!r}")
    logging.basicConfig(level=numeric, stream=sys.stderr, format="%(message)s")
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
