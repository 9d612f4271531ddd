"""Rate-limit headers on every response, 429 with the envelope, separate key and IP budgets."""

from __future__ import annotations

from botkit.sim.syncron import RateLimitConfig, running_sim

from .conftest import Client, OffsetClock, quiet_config

LIMIT = "X-SYNCRON-RATELIMIT-LIMIT"
REMAINING = "X-SYNCRON-RATELIMIT-REMAINING"
RESET = "X-SYNCRON-RATELIMIT-RESET"


async def test_headers_count_down_then_429(session):
    clock = OffsetClock()
    config = quiet_config(rate_limit=RateLimitConfig(limit=3, window_s=10))
    async with running_sim(config, clock=clock) as sim:
        client = Client(session, sim.url, clock=clock)
        seen = []
        for _ in range(3):
            status, headers, _ = await client.request("GET", "/v5/time", signed=False)
            assert status == 200 and headers[LIMIT] == "3"
            seen.append(int(headers[REMAINING]))
            reset = int(headers[RESET])
            assert client.now_ms() < reset <= client.now_ms() + 10_000
        assert seen == [2, 1, 0]

        status, headers, payload = await client.request("GET", "/v5/time", signed=False)
        assert status == 429 and payload["success"] is False
        assert payload["error"]["code"] == 42901
        assert 0 < payload["error"]["details"]["retry_after_ms"] <= 10_000
        assert headers[REMAINING] == "0" and int(headers["Retry-After"]) >= 1

        # errors carry the headers too, and the API key has its own budget
        status, headers, payload = await client.request("GET", "/v5/account/balances")
        assert status == 200 and headers[REMAINING] == "2"
        status, headers, payload = await client.request(
            "GET", "/v5/account/balances", params={"x": "1"}, signed=False
        )
        assert status == 429

        clock.advance(11)  # a new window
        status, headers, _ = await client.request("GET", "/v5/time", signed=False)
        assert status == 200 and headers[REMAINING] == "2"


async def test_error_responses_carry_the_headers(client: Client):
    status, headers, _ = await client.request("GET", "/v5/account/balances", signed=False)
    assert status == 401 and {LIMIT, REMAINING, RESET} <= set(headers)
    status, headers, _ = await client.request(
        "GET", "/v5/market/ticker", params={"symbol": "NOPE"}, signed=False
    )
    assert status == 400 and {LIMIT, REMAINING, RESET} <= set(headers)
