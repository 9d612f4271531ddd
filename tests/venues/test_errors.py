"""Venue API errors are core errors that also carry what the venue said."""

from __future__ import annotations

import pytest

from botkit.core.errors import (
    AuthError,
    BotkitError,
    ConfigError,
    NotFoundError,
    RateLimited,
    TransientError,
    VenueUnavailable,
    is_retryable,
)
from botkit.venues.errors import (
    ApiErrorDetail,
    VenueApiError,
    VenueAuthError,
    VenueBadRequestError,
    VenueNotFoundError,
    VenueRateLimitError,
    VenueServerError,
    api_error,
)


@pytest.mark.parametrize(
    ("status", "cls", "core"),
    [
        (400, VenueBadRequestError, ConfigError),
        (401, VenueAuthError, AuthError),
        (403, VenueAuthError, AuthError),
        (404, VenueNotFoundError, NotFoundError),
        (409, VenueBadRequestError, ConfigError),
        (429, VenueRateLimitError, RateLimited),
        (500, VenueServerError, VenueUnavailable),
        (504, VenueServerError, VenueUnavailable),
    ],
)
def test_the_status_picks_the_class(status: int, cls: type, core: type) -> None:
    detail = ApiErrorDetail("v", "call", status, "SomeError", "SOME_CODE", "said")
    error = api_error(detail, "v call: failed", retry_after=3)
    assert type(error) is cls and isinstance(error, core) and isinstance(error, BotkitError)
    said = (error.status, error.code, error.error_type, error.venue_message)
    assert said == (status, "SOME_CODE", "SomeError", "said")
    assert str(error) == "v call: failed" and error.detail is detail
    assert is_retryable(error) is isinstance(error, TransientError)


def test_rate_limited_keeps_retry_after() -> None:
    error = api_error(ApiErrorDetail("v", "call", 429), "slow down", retry_after=2.5)
    assert isinstance(error, RateLimited) and error.retry_after == 2.5
    assert isinstance(error, VenueApiError) and error.code is None
