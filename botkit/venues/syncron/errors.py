"""Syncron error codes → core errors that keep the venue's code, message and details.

The code decides the class (docs/venues/syncron.md §6): ``40001`` invalid parameter →
``ConfigError`` (with ``parameter`` and ``reason``), ``40002`` → ``InsufficientFunds``, ``40003`` /
``40004`` / ``40005`` → ``OrderRejected``, ``401xx`` / ``40301`` → ``AuthError``, ``40401`` →
``NotFoundError``, ``42901`` → ``RateLimited`` (with ``retry_after``), ``5xxxx`` →
``VenueUnavailable``. Every message says what to do, and never holds a secret. A body that is not
the documented envelope still raises by HTTP status, saying the body was unreadable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from botkit.core.errors import (
    AuthError,
    BotkitError,
    ConfigError,
    InsufficientFunds,
    NotFoundError,
    OrderRejected,
    ProtocolError,
    RateLimited,
    VenueUnavailable,
)
from botkit.core.errors import is_retryable as core_is_retryable
from botkit.venues._http import HttpResponse
from botkit.venues.errors import ApiErrorDetail, VenueApiError, api_error
from botkit.venues.syncron import wire
from botkit.venues.syncron.config import API_KEY_ENV, API_SECRET_ENV
from botkit.venues.syncron.parse import WireError, parse_envelope

Redact = Callable[[str], str]

SCRUBBED = "***"
_SECRET_HEADERS = (wire.H_APIKEY, wire.H_SIGNATURE, wire.H_AUTHORIZATION)
# ``Header: value``, ``Header=value``, ``"Header": "value"``, ``'Header': 'value'``; an
# Authorization value keeps its scheme word (``Bearer``) out of the match only as a prefix.
_HEADER_VALUE = re.compile(
    r"(?P<name>" + "|".join(re.escape(h) for h in _SECRET_HEADERS) + r")"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?)"
    r"(?P<scheme>(?:bearer|basic|hmac[\w-]*)\s+)?"
    r"(?P<value>[^\s\"',;&}\])]+)",
    re.I,
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_HEX64 = re.compile(r"[0-9a-fA-F]{64,}")


def scrub_secrets(text: str) -> str:
    """``text`` without credential material a venue may echo back.

    Masks the values of the ``X-SYNCRON-APIKEY``, ``X-SYNCRON-SIGNATURE`` and ``Authorization``
    headers, bearer tokens, JWT-looking strings and any run of 64+ hex digits (an HMAC-SHA256
    signature). Pure: same input, same output.
    """
    text = _HEADER_VALUE.sub(lambda m: f"{m['name']}{m['sep']}{m['scheme'] or ''}{SCRUBBED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {SCRUBBED}", text)
    text = _JWT.sub(SCRUBBED, text)
    return _HEX64.sub(SCRUBBED, text)


def _is_secret_header(name: object) -> bool:
    return isinstance(name, str) and name.strip().lower() in {h.lower() for h in _SECRET_HEADERS}


def _scrub_value(key: object, value: object, redact: Redact) -> object:
    """A details value with secrets removed, recursively; a value under a secret header is masked."""
    if _is_secret_header(key):
        return SCRUBBED
    if isinstance(value, str):
        return scrub_secrets(redact(value))
    if isinstance(value, Mapping):
        return {k: _scrub_value(k, v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(None, v, redact) for v in value]
    return value


class SyncronApiError(VenueApiError):
    """Base of the errors for a Syncron error answer; ``details`` is the envelope's details object."""

    details: Mapping[str, object]

    def __init__(
        self, message: str, *args: Any, detail: ApiErrorDetail, details: Mapping[str, object] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, *args, detail=detail, **kwargs)
        self.details = dict(details or {})

    @property
    def wire_code(self) -> int | None:
        """The numeric error code (``40001``…), if the venue sent one."""
        code = self.detail.code
        return int(code) if code is not None and code.isdigit() else None


class SyncronInvalidParameter(SyncronApiError, ConfigError):
    """``40001``: a request parameter was refused; ``parameter`` and ``reason`` say which and why."""

    @property
    def parameter(self) -> str | None:
        """The refused parameter (``qty``, ``X-SYNCRON-TIMESTAMP``…)."""
        value = self.details.get(wire.D_PARAMETER)
        return value if isinstance(value, str) else None

    @property
    def reason(self) -> str | None:
        """Why it was refused."""
        value = self.details.get(wire.D_REASON)
        return value if isinstance(value, str) else None


class SyncronInsufficientFunds(SyncronApiError, InsufficientFunds):
    """``40002``: the account cannot pay for the order."""


class SyncronOrderRejected(SyncronApiError, OrderRejected):
    """``40003`` (post-only would take) or ``40004`` (reduce-only would increase the position)."""


class SyncronOrderNotOpen(SyncronApiError, OrderRejected):
    """``40005``: the order is already finished; treat a cancel as done and query the order."""


class SyncronAuthError(SyncronApiError, AuthError):
    """``401xx`` / ``40301``: credentials missing, wrong, expired, or lacking a permission."""


class SyncronNotFound(SyncronApiError, NotFoundError):
    """``40401``: the venue does not know the order or path."""


class SyncronRateLimited(SyncronApiError, RateLimited):
    """``42901``: over the venue's rate limit; wait ``retry_after`` seconds."""


class SyncronUnavailable(SyncronApiError, VenueUnavailable):
    """``50001`` / ``50301`` / ``50401``: the venue failed; retry with backoff."""


class SyncronBadRequest(SyncronApiError, ConfigError):
    """``40501`` or another refused request: the client built it wrong."""


_CLASSES: dict[int, type[SyncronApiError]] = {
    wire.E_INVALID_PARAMETER: SyncronInvalidParameter,
    wire.E_INSUFFICIENT_BALANCE: SyncronInsufficientFunds,
    wire.E_POST_ONLY_WOULD_TAKE: SyncronOrderRejected,
    wire.E_REDUCE_ONLY_REJECTED: SyncronOrderRejected,
    wire.E_ORDER_NOT_OPEN: SyncronOrderNotOpen,
    wire.E_NOT_FOUND: SyncronNotFound,
    wire.E_METHOD_NOT_ALLOWED: SyncronBadRequest,
    wire.E_RATE_LIMITED: SyncronRateLimited,
}
_REASONS = {
    wire.E_INSUFFICIENT_BALANCE: "insufficient_balance",
    wire.E_POST_ONLY_WOULD_TAKE: "post_only_would_take",
    wire.E_REDUCE_ONLY_REJECTED: "reduce_only_would_increase",
    wire.E_ORDER_NOT_OPEN: "order_not_open",
}
_HINTS = {
    wire.E_INVALID_PARAMETER: "fix the request",
    wire.E_INSUFFICIENT_BALANCE: "add funds or send a smaller order",
    wire.E_POST_ONLY_WOULD_TAKE: "re-price the post-only order away from the opposite side",
    wire.E_REDUCE_ONLY_REJECTED: "drop the reduce-only order: the position is flat or on its side",
    wire.E_ORDER_NOT_OPEN: "the order is finished: treat the cancel as done and query the order",
    wire.E_MISSING_CREDENTIALS: f"set {API_KEY_ENV} and {API_SECRET_ENV}",
    wire.E_UNKNOWN_API_KEY: f"check {API_KEY_ENV}",
    wire.E_INVALID_SIGNATURE: f"check {API_SECRET_ENV}",
    wire.E_TIMESTAMP_OUTSIDE_WINDOW: "sync the system clock (the client resyncs with GET /v5/time once)",
    wire.E_TOKEN_EXPIRED: "refresh the access token (the client refreshes and retries once)",
    wire.E_INVALID_TOKEN: "get a new token with POST /v5/auth/token",
    wire.E_PERMISSION_DENIED: "give the API key the missing permission",
    wire.E_NOT_FOUND: "check the id or symbol",
    wire.E_METHOD_NOT_ALLOWED: "a client bug: report it",
    wire.E_RATE_LIMITED: "wait for the rate window to reset",
    wire.E_INTERNAL: "retry with backoff",
    wire.E_UNAVAILABLE: "retry with backoff",
    wire.E_GATEWAY_TIMEOUT: "it may have been executed: query orders by client_order_id before retrying",
}


def error_for(
    error: WireError,
    endpoint: str,
    status: int | None = None,
    retry_after: float | None = None,
    redact: Redact = str,
) -> SyncronApiError:
    """The core error for a Syncron ``error`` object (REST envelope or WebSocket reply)."""
    code = error.code
    status = status if status is not None else code // 100
    message = scrub_secrets(redact(error.message))
    detail = ApiErrorDetail(venue=wire.VENUE, endpoint=endpoint, status=status, code=str(code), message=message)
    details = {k: _scrub_value(k, v, redact) for k, v in error.details.items()}
    if _is_secret_header(details.get(wire.D_PARAMETER)) and wire.D_REASON in details:
        details[wire.D_REASON] = SCRUBBED  # a reason given for a credential header may be its value
    text = f"{wire.VENUE} {endpoint}: {code} {message}"
    if code == wire.E_INVALID_PARAMETER and details.get(wire.D_REASON):
        text += f" ({details.get(wire.D_PARAMETER)}: {details[wire.D_REASON]})"
    if code == wire.E_INSUFFICIENT_BALANCE and wire.D_ASSET in details:
        text += (f" ({details.get(wire.D_ASSET)}: required {details.get(wire.D_REQUIRED)}, "
                 f"available {details.get(wire.D_AVAILABLE)})")
    if code == wire.E_RATE_LIMITED:
        retry_after = _retry_after_s(details, retry_after)
        if retry_after is not None:
            text += f" (retry after {retry_after:.3f} s)"
    hint = _HINTS.get(code)
    text += f": {hint}" if hint else ""
    text = scrub_secrets(text)  # a hostile venue may split a secret across parameter and reason
    kind = _CLASSES.get(code) or _by_status(status)
    kwargs: dict[str, Any] = {"detail": detail, "details": details}
    if issubclass(kind, OrderRejected):
        kwargs["reason"] = _REASONS.get(code, str(code))
    if issubclass(kind, RateLimited):
        kwargs["retry_after"] = retry_after
    return kind(text, **kwargs)


def _by_status(status: int) -> type[SyncronApiError]:
    if status in (401, 403):
        return SyncronAuthError
    if status == 404:
        return SyncronNotFound
    if status == 429:
        return SyncronRateLimited
    if status >= 500:
        return SyncronUnavailable
    return SyncronBadRequest


def _retry_after_s(details: Mapping[str, object], fallback: float | None) -> float | None:
    value = details.get(wire.D_RETRY_AFTER_MS)
    if type(value) in (int, float) and 0 <= value < 86_400_000:  # type: ignore[operator]
        return float(value) / 1000.0  # type: ignore[arg-type]
    return fallback


def map_error(response: HttpResponse, redact: Redact = str) -> BotkitError:
    """The core error for a non-2xx Syncron response (an ``ErrorMapper`` for the HttpClient)."""
    try:
        envelope = parse_envelope(json.loads(response.body), response.endpoint)
    except (UnicodeDecodeError, json.JSONDecodeError, ProtocolError):
        envelope = None
    if envelope is not None and envelope.error is not None:
        return error_for(envelope.error, response.endpoint, response.status, response.retry_after_s, redact)
    detail = ApiErrorDetail(venue=wire.VENUE, endpoint=response.endpoint, status=response.status)
    text = f"{wire.VENUE} {response.endpoint}: HTTP {response.status} (error body is not the documented envelope)"
    return api_error(detail, text, retry_after=response.retry_after_s)


def is_retryable(error: BaseException) -> bool:
    """Whether a Syncron call that raised ``error`` is worth retrying (429, 5xx, network, timeout)."""
    return core_is_retryable(error)

