"""Per-IP rate limits: the 11th Starter request in a window is a 429 with the documented headers."""

from __future__ import annotations

import aiohttp

from botkit.sim.sintra import SintraSimConfig, run_sintra_sim

from .helpers import PRO, T0_S, assert_error, clock_at, fetch


async def test_the_eleventh_starter_request_in_a_minute_is_refused(
    http: aiohttp.ClientSession,
) -> None:
    clock = clock_at()
    async with run_sintra_sim(SintraSimConfig(), clock=clock) as sim:
        for i in range(10):
            status, _, headers = await fetch(http, f"{sim.base_url}/prices")
            assert status == 200
            assert headers["X-RateLimit-Limit"] == "10"
            assert headers["X-RateLimit-Remaining"] == str(9 - i)
            assert abs(int(headers["X-RateLimit-Reset"]) - (T0_S + 60)) <= 1
            assert "Retry-After" not in headers
        status, body, headers = await fetch(http, f"{sim.base_url}/prices")
        assert_error(status, body, 429, "RATE_LIMIT_EXCEEDED")
        assert body["type"] == "TooManyRequestsError"
        assert headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert headers["X-RateLimit-Limit"] == "10"

        # a valid key gets the Pro limit, counted separately, at once
        status, _, headers = await fetch(http, f"{sim.base_url}/prices", PRO)
        assert status == 200 and headers["X-RateLimit-Limit"] == "250"

        clock.advance(60)
        status, _, headers = await fetch(http, f"{sim.base_url}/prices")
        assert status == 200 and headers["X-RateLimit-Remaining"] == "9"


async def test_limits_are_per_ip(http: aiohttp.ClientSession) -> None:
    config = SintraSimConfig(trust_forwarded_for=True)
    async with run_sintra_sim(config, clock=clock_at()) as sim:
        first = {"X-Forwarded-For": "203.0.113.1"}
        for _ in range(10):
            await fetch(http, f"{sim.base_url}/fees", first)
        assert (await fetch(http, f"{sim.base_url}/fees", first))[0] == 429
        other = {"X-Forwarded-For": "203.0.113.2"}
        assert (await fetch(http, f"{sim.base_url}/fees", other))[0] == 200


async def test_the_window_is_configurable_and_counts_every_status(
    http: aiohttp.ClientSession,
) -> None:
    clock = clock_at()
    async with run_sintra_sim(SintraSimConfig(rate_window_s=5), clock=clock) as sim:
        for _ in range(10):  # errors count too
            assert (await fetch(http, f"{sim.base_url}/fees/history"))[0] == 401
        status, _, headers = await fetch(http, f"{sim.base_url}/fees")
        assert status == 429 and int(headers["Retry-After"]) <= 5
        clock.advance(5)
        assert (await fetch(http, f"{sim.base_url}/fees"))[0] == 200


async def test_the_pro_limit_is_250(http: aiohttp.ClientSession) -> None:
    async with run_sintra_sim(SintraSimConfig(), clock=clock_at()) as sim:
        for _ in range(250):
            status, _, _ = await fetch(http, f"{sim.base_url}/exchanges", PRO)
            assert status == 200
        status, body, headers = await fetch(http, f"{sim.base_url}/exchanges", PRO)
        assert_error(status, body, 429, "RATE_LIMIT_EXCEEDED")
        assert headers["X-RateLimit-Limit"] == "250"
