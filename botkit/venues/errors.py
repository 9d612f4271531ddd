"""Core errors that carry what a venue said: its HTTP status, error type, code and message.

A venue client raises these for error responses, so callers can keep catching the core classes
(``AuthError``, ``RateLimited``…) and still read ``error.code`` when they need the venue's reason::

    try:
        await client.list_price_history("btcusd")
    except AuthError as error:
        if isinstance(error, VenueApiError) and error.code == "API_KEY_MISSING": ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botkit.core.errors import (
    AuthError,
    BotkitError,
    ConfigError,
    NotFoundError,
    RateLimited,
    VenueUnavailable,
)


@dataclass(frozen=True, slots=True)
class ApiErrorDetail:
    """What a venue answered to a failed request (never credentials)."""

    venue: str
    endpoint: str
    status: int
    error_type: str | None = None
    code: str | None = None
    message: str | None = None


class VenueApiError(BotkitError):
    """Base of the errors raised for a venue's error response; ``detail`` says what it said."""

    detail: ApiErrorDetail

    def __init__(self, message: str, *args: Any, detail: ApiErrorDetail, **kwargs: Any) -> None:
        super().__init__(message, *args, **kwargs)
        self.detail = detail

    @property
    def status(self) -> int:
        """The HTTP status the venue answered with."""
        return self.detail.status

    @property
    def code(self) -> str | None:
        """The venue's machine-readable cause (e.g. ``API_KEY_MISSING``), if it sent one."""
        return self.detail.code

    @property
    def error_type(self) -> str | None:
        """The venue's error class (e.g. ``UnauthorizedError``), if it sent one."""
        return self.detail.error_type

    @property
    def venue_message(self) -> str | None:
        """The venue's human-readable message, if it sent one."""
        return self.detail.message


class VenueAuthError(VenueApiError, AuthError):
    """The venue refused the credentials (401) or the plan lacks the endpoint (403)."""


class VenueNotFoundError(VenueApiError, NotFoundError):
    """The venue does not know the requested object or route (404)."""


class VenueRateLimitError(VenueApiError, RateLimited):
    """The venue refused the request for its rate limit (429); wait ``retry_after`` seconds."""


class VenueServerError(VenueApiError, VenueUnavailable):
    """The venue failed on its side (5xx); retry with backoff."""


class VenueBadRequestError(VenueApiError, ConfigError):
    """The venue refused the request as built (400, 405, other 4xx): fix the arguments."""


def api_error(detail: ApiErrorDetail, message: str, retry_after: float | None = None) -> VenueApiError:
    """The error for an error response, chosen by status: 401/403 auth, 404, 429, 5xx, other 4xx."""
    status = detail.status
    if status == 429:
        return VenueRateLimitError(message, retry_after=retry_after, detail=detail)
    if status >= 500:
        return VenueServerError(message, detail=detail)
    if status in (401, 403):
        return VenueAuthError(message, detail=detail)
    if status == 404:
        return VenueNotFoundError(message, detail=detail)
    return VenueBadRequestError(message, detail=detail)
