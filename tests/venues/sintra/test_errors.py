"""Error responses become typed core errors keeping the venue's status, type, code and message."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict

from botkit.core.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    RateLimited,
    VenueUnavailable,
)
from botkit.sim.sintra import FaultConfig, SintraSimServer, run_sintra_sim
from botkit.venues._http import HttpResponse, RateLimitInfo
from botkit.venues.errors import VenueApiError
from botkit.venues.sintra import SintraDataClient
from botkit.venues.sintra.errors import is_retryable, map_error

from .helpers import T0_NS, SimSleep, client_for, clock_at, roomy_config


def response(status: int, body: object, retry_after: float | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(
        venue="sintra",
        endpoint="list_fees",
        status=status,
        headers=CIMultiDict(),
        body=raw,
        rate=RateLimitInfo(),
        retry_after_s=retry_after,
    )


def body(status: int, type_: str, code: str | None = None) -> dict[str, object]:
    out: dict[str, object] = {"status_code": status, "message": f"m{status}", "type": type_}
    if code is not None:
        out["code"] = code
    return out


@pytest.mark.parametrize(
    ("status", "type_", "code", "expected", "retryable"),
    [
        (400, "BadRequestError", "INVALID_LIMIT", ConfigError, False),
        (401, "UnauthorizedError", "API_KEY_MISSING", AuthError, False),
        (403, "ForbiddenError", "PLAN_UPGRADE_REQUIRED", AuthError, False),
        (404, "NotFoundError", "PAIR_NOT_FOUND", NotFoundError, False),
        (405, "MethodNotAllowedError", "METHOD_NOT_ALLOWED", ConfigError, False),
        (429, "TooManyRequestsError", "RATE_LIMIT_EXCEEDED", RateLimited, True),
        (500, "InternalServerError", "INTERNAL_ERROR", VenueUnavailable, True),
        (503, "ServiceUnavailableError", None, VenueUnavailable, True),
    ],
)
def test_status_decides_the_core_error(status, type_, code, expected, retryable) -> None:
    error = map_error(response(status, body(status, type_, code), retry_after=7))
    assert isinstance(error, expected) and isinstance(error, VenueApiError)
    assert (error.status, error.error_type, error.code) == (status, type_, code)
    assert error.venue_message == f"m{status}"
    assert f"sintra list_fees: {status} {type_}" in str(error)
    assert is_retryable(error) is retryable
    if status == 429:
        assert isinstance(error, RateLimited) and error.retry_after == 7


@pytest.mark.parametrize("raw", [b"<html>Bad gateway</html>", b"", b"[1, 2]", b'{"message": 5}'])
def test_an_undocumented_error_body_still_maps_by_status(raw: bytes) -> None:
    error = map_error(response(502, raw))
    assert isinstance(error, VenueUnavailable) and isinstance(error, VenueApiError)
    assert error.code is None and error.venue_message is None
    assert "not the documented JSON shape" in str(error)


async def test_a_bad_request_from_the_venue_keeps_its_code(starter: SintraDataClient) -> None:
    with pytest.raises(ConfigError) as caught:
        await starter.retrieve_pair("btcusd", date=T0_NS + 86_400 * 10**9)  # in the future
    assert isinstance(caught.value, VenueApiError)
    assert (caught.value.status, caught.value.code) == (400, "INVALID_DATE")


async def test_server_errors_are_retried_then_raised_as_venue_unavailable() -> None:
    config = roomy_config(faults=FaultConfig(http_error_rate=1.0, http_error_status=503))
    clock = clock_at()
    sleep = SimSleep(clock)
    async with run_sintra_sim(config, clock=clock) as sim, client_for(sim, sleep=sleep) as client:
        with pytest.raises(VenueUnavailable) as caught:
            await client.list_fees()
    assert isinstance(caught.value, VenueApiError) and caught.value.status == 503
    assert caught.value.code == "SERVICE_UNAVAILABLE"
    assert len(sleep.waits) == 5  # 6 attempts, full jitter: each wait in [0, 0.5 * 2**n]
    assert all(0 <= w <= 0.5 * 2**n for n, w in enumerate(sleep.waits))


async def test_intermittent_server_errors_are_invisible(sim: SintraSimServer) -> None:
    sim.state.faults.update({"http_error_rate": 0.3, "seed": 3})
    async with client_for(sim) as client:
        for _ in range(10):
            assert len(await client.list_fees()) == 3
