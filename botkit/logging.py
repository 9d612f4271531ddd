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
# Credential shapes masked in any string even when not registered: a bearer token, and a JWT
# (three base64url segments, the header starting ``eyJ`` -- base64 of ``{"``).
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def key_hint(value: str | None) -> str:
    """A loggable hint of an API key: its first 4 characters and an ellipsis."""
    return f"{(value or '')[:4]}\u2026"


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears in a log line from now on (ignored if short or empty)."""
    if value and len(value) >= 6:
        _registered.add(value)


def register_secrets(values: Iterable[str | None]) -> None:
    """Register several secret values."""
    for value in values:
        register_secret(value)


def _mask_text(value: str) -> str:
    for secret in _registered:
        if secret in value:
            value = value.replace(secret, REDACTED)
    value = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", value)
    return _JWT.sub(REDACTED, value)


def _mask(value: Any) -> Any:
    """``value`` with secrets masked; never raises (an unrebuildable value becomes its masked repr)."""
    try:
        if isinstance(value, str):
            return _mask_text(value)
        if isinstance(value, dict):
            return {k: REDACTED if _SECRET_KEY.search(str(k)) else _mask(v) for k, v in value.items()}
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return type(value)(*(_mask(v) for v in value))
        if isinstance(value, list | tuple):
            return type(value)(_mask(v) for v in value)
        return value
    except Exception:  # a log line must never fail on redaction
        try:
            return _mask_text(repr(value))
        except Exception:
            return REDACTED


def redact_secrets(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: replace secret-named fields and mask registered secret values."""
    for key in list(event):
        if _SECRET_KEY.search(key):
            event[key] = REDACTED
        else:
            event[key] = _mask(event[key])
    return event


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler writing to whatever ``sys.stderr`` is at emit time (so redirection works)."""

    _botkit = True

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str = "info", *, json: bool = False) -> None:
    """Set up structlog (and stdlib logging) for a botkit process: key-value or JSON lines on stderr."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"log level must be debug, info, warning or error, got {level!r}")
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Records of stdlib loggers (websockets, aiohttp…) take the same redaction and renderer.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *shared,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.format_exc_info,
            redact_secrets,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, redact_secrets, renderer],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _StderrHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
