"""Sintra error responses → core errors that keep the venue's status, type, code and message.

The status decides the class (``docs/venues/sintra.md``, "Client mapping"): 429 →
``RateLimited`` (with Retry-After), 5xx → ``VenueUnavailable``, 401/403 → ``AuthError``,
404 → ``NotFoundError``, 400 and other 4xx → ``ConfigError``. An error body that is not the
documented shape does not hide the status: the error is still raised by status, and says the body
was unreadable.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from botkit.core.errors import is_retryable as core_is_retryable
from botkit.venues._http import HttpResponse
from botkit.venues.errors import ApiErrorDetail, VenueApiError, api_error
from botkit.venues.sintra import wire
from botkit.venues.sintra.config import API_KEY_ENV
from botkit.venues.sintra.parse import parse_error_body

_HINTS = {
    "API_KEY_MISSING": f"this endpoint needs a Pro API key: set {API_KEY_ENV}",
    "API_KEY_INVALID": f"check {API_KEY_ENV} and the auth form (key_as_username / id_and_token)",
    "PLAN_UPGRADE_REQUIRED": "this endpoint needs the Pro plan",
}


def map_error(response: HttpResponse, redact: Callable[[str], str] = str) -> VenueApiError:
    """The core error for a non-2xx Sintra response; ``redact`` scrubs secrets from its text."""
    error_type: str | None = None
    code: str | None = None
    message: str | None = None
    try:
        parsed = parse_error_body(json.loads(response.body))
    except (ValueError, RecursionError):  # not JSON (or hostile JSON): judged by the status alone
        parsed = None
    if parsed is not None:
        message, error_type, code = (redact(parsed[0]), parsed[1], parsed[2])
    detail = ApiErrorDetail(
        venue=wire.VENUE,
        endpoint=response.endpoint,
        status=response.status,
        error_type=error_type,
        code=code,
        message=message,
    )
    return api_error(detail, describe(detail), retry_after=response.retry_after_s)


def describe(detail: ApiErrorDetail) -> str:
    """``sintra list_price_history: 401 UnauthorizedError API_KEY_MISSING: <message> (<hint>)``."""
    head = f"{detail.venue} {detail.endpoint}: {detail.status}"
    if detail.message is None:
        return f"{head} (error body is not the documented JSON shape)"
    labels = " ".join(x for x in (detail.error_type, detail.code) if x)
    hint = _HINTS.get(detail.code or "")
    return f"{head} {labels}: {detail.message}" + (f" ({hint})" if hint else "")


def is_retryable(error: BaseException) -> bool:
    """Whether a Sintra call that raised ``error`` is worth retrying (429, 5xx, network)."""
    return core_is_retryable(error)
