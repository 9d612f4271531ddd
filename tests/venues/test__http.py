"""The shared REST machinery against a scripted aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import structlog
from aiohttp import web
from multidict import CIMultiDict

from botkit.core.errors import (
    BotkitError,
    ConfigError,
    ProtocolError,
    RateLimited,
    VenueUnavailable,
)
from botkit.core.retry import RetryPolicy, retry
from botkit.venues._http import HttpClient, HttpResponse, RateLimitHeaders, RequestToSign
from botkit.venues._ratelimit import RateBudget
from botkit.venues.errors import ApiErrorDetail, api_error

from .test__ratelimit import FakeTime

HEADERS = RateLimitHeaders(limit="X-Limit", remaining="X-Left", reset="X-Reset")
SECRET = "Bearer very-secret-value"


@dataclass
class Script:
    """Responses the server gives in turn (the last one repeats), and what it received."""

    replies: list[web.Response] = field(default_factory=list)
    seen: list[web.Request] = field(default_factory=list)
    delay_s: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(request)
        await asyncio.sleep(self.delay_s)
        reply = self.replies[min(len(self.seen), len(self.replies)) - 1]
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)


def reply(status: int, body: object = None, **headers: str) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), headers=headers)


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Script]]:
    script = Script()
    app = web.Application()
    app.router.add_route("*", "/api/{tail:.*}", script.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/api", script
    await runner.cleanup()


def mapper(response: HttpResponse) -> BotkitError:
    detail = ApiErrorDetail("test", response.endpoint, response.status)
    return api_error(detail, f"test {response.endpoint}: {response.status}", response.retry_after_s)


def client(base_url: str, t: FakeTime, **kw: object) -> HttpClient:
    options: dict[str, object] = {
        "venue": "test",
        "base_url": base_url,
        "budget": RateBudget(100, 60, name="test", clock=t, sleep=t.sleep),
        "map_error": mapper,
        "rate_headers": HEADERS,
        "sleep": t.sleep,
        "rng": random.Random(1),
        "sign": lambda _r: {"Authorization": SECRET},
    }
    options.update(kw)
    return HttpClient(**options)  # type: ignore[arg-type]


async def test_a_2xx_response_is_returned_with_its_rate_headers(server) -> None:
    url, script = server
    script.replies = [reply(201, {"ok": True}, **{"X-Limit": "10", "X-Left": "7", "X-Reset": "9"})]
    t = FakeTime()
    http = client(url, t)
    response = await http.request("POST", "/things", endpoint="make", params={"a": "1"})
    await http.close()
    assert response.status == 201 and response.json() == {"ok": True}
    assert (response.rate.limit, response.rate.remaining, response.rate.reset_at_s) == (10, 7, 9)
    assert http.budget.limit == 10
    (seen,) = script.seen
    assert seen.method == "POST" and seen.path == "/api/things" and seen.query["a"] == "1"
    assert seen.headers["Authorization"] == SECRET


async def test_server_errors_are_retried_with_full_jitter(server) -> None:
    url, script = server
    script.replies = [reply(503), reply(502), reply(200, [])]
    t = FakeTime()
    policy = RetryPolicy(base=1, factor=2, cap=30, max_attempts=5)
    http = client(url, t, retry_policy=policy)
    assert (await http.request("GET", "/x", endpoint="x")).json() == []
    await http.close()
    assert len(script.seen) == 3
    assert len(t.slept) == 2 and 0 <= t.slept[0] <= 1 and 0 <= t.slept[1] <= 2


async def test_a_429_waits_as_told_then_succeeds(server) -> None:
    url, script = server
    script.replies = [reply(429, None, **{"Retry-After": "7"}), reply(200, 1)]
    t = FakeTime()
    http = client(url, t)
    assert (await http.request("GET", "/x", endpoint="x")).json() == 1
    await http.close()
    assert t.slept == [7.0]


async def test_a_429_without_retry_after_waits_for_the_reset(server) -> None:
    url, script = server
    script.replies = [reply(429, None, **{"X-Reset": str(1_000 + 12)}), reply(200, 1)]
    t = FakeTime(1_000)
    http = client(url, t)
    await http.request("GET", "/x", endpoint="x")
    await http.close()
    assert t.slept == [pytest.approx(12)]


async def test_client_errors_are_not_retried(server) -> None:
    url, script = server
    script.replies = [reply(400, {"why": "bad"})]
    t = FakeTime()
    http = client(url, t)
    with pytest.raises(ConfigError, match="test x: 400"):
        await http.request("GET", "/x", endpoint="x")
    await http.close()
    assert len(script.seen) == 1 and t.slept == []


async def test_no_listener_is_venue_unavailable_without_headers() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    t = FakeTime()
    http = client(f"http://127.0.0.1:{port}/api", t, retry_policy=RetryPolicy(max_attempts=3))
    with structlog.testing.capture_logs() as logs, pytest.raises(VenueUnavailable) as caught:
        await http.request("GET", "/x", endpoint="x")
    await http.close()
    assert "test x: no response from" in str(caught.value)
    assert len(t.slept) == 2
    assert SECRET not in str(caught.value) and SECRET not in repr(logs)
    assert caught.value.__cause__ is None


async def test_a_timeout_is_venue_unavailable(server) -> None:
    url, script = server
    script.replies = [reply(200, 1)]
    script.delay_s = 0.5
    t = FakeTime()
    http = client(url, t, timeout_s=0.05, retry_policy=RetryPolicy(max_attempts=1))
    with pytest.raises(VenueUnavailable, match="TimeoutError"):
        await http.request("GET", "/x", endpoint="x")
    await http.close()


async def test_rate_limited_is_raised_after_the_last_attempt(server) -> None:
    url, script = server
    script.replies = [reply(429, None, **{"Retry-After": "2"})]
    t = FakeTime()
    http = client(url, t, retry_policy=RetryPolicy(max_attempts=2))
    with pytest.raises(RateLimited) as caught:
        await http.request("GET", "/x", endpoint="x")
    await http.close()
    assert caught.value.retry_after == 2 and t.slept == [2.0]


def test_a_body_that_is_not_json_is_a_protocol_error_naming_the_endpoint() -> None:
    response = HttpResponse("test", "list_things", 200, CIMultiDict(), b"<html>", HEADERS.read({}))
    with pytest.raises(ProtocolError, match="test list_things: body is not JSON"):
        response.json()
    assert "<html>" not in repr(response)


@pytest.mark.parametrize("value", ["", "soon", "-1", "nan", "inf", "1e400"])
def test_unreadable_rate_headers_count_as_absent(value: str) -> None:
    info = HEADERS.read({"X-Limit": value, "X-Left": value, "X-Reset": value, "Retry-After": value})
    assert (info.limit, info.remaining, info.reset_at_s, info.retry_after_s) == (None,) * 4


async def test_a_signer_sees_each_request_and_its_headers_are_sent(server) -> None:
    url, script = server
    script.replies = [reply(200, 1)]
    seen: list[RequestToSign] = []

    def sign(request: RequestToSign) -> dict[str, str]:
        seen.append(request)
        return {"X-Signature": f"sig-{request.path}"}

    http = client(url, FakeTime(), sign=sign)
    await http.request("GET", "/a", endpoint="a", params={"k": "v"})
    await http.close()
    assert seen == [RequestToSign("GET", "/a", {"k": "v"})]
    assert script.seen[0].headers["X-Signature"] == "sig-/a"
    assert repr(http) == f"HttpClient(venue='test', base_url={url!r})"


def test_a_zero_timeout_is_a_config_error() -> None:
    budget = RateBudget(1, 1, name="t")
    with pytest.raises(ConfigError, match="timeout must be > 0"):
        HttpClient(venue="t", base_url="http://x", budget=budget, map_error=mapper, timeout_s=0)


# --- hostile payloads ----------------------------------------------------------------------------

MB = 1024 * 1024


@pytest.fixture
async def streaming_server() -> AsyncIterator[tuple[str, list[int]]]:
    """``/api/big`` streams 50 MB in 1 MB chunks with no Content-Length; records the bytes sent."""
    sent: list[int] = [0]

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"x" * MB
        try:
            for _ in range(50):
                await response.write(chunk)
                sent[0] += len(chunk)
        except (ConnectionResetError, OSError):
            pass  # the client hung up: what it should do
        return response

    app = web.Application()
    app.router.add_get("/api/big", big)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/api", sent
    await runner.cleanup()


async def test_a_50_mb_body_with_a_content_length_fails_before_it_is_read(server) -> None:
    url, script = server
    script.replies = [web.Response(status=200, body=b"x" * (50 * MB))]
    http = client(url, FakeTime())
    started = time.monotonic()
    with structlog.testing.capture_logs() as logs, pytest.raises(ProtocolError) as caught:
        await http.request("GET", "/x", endpoint="big_thing")
    await http.close()
    assert time.monotonic() - started < 5
    assert "test big_thing" in str(caught.value) and str(8 * MB) in str(caught.value)
    assert len(script.seen) == 1  # a protocol error is not retried
    assert any(entry["event"] == "test.body_too_large" for entry in logs)


async def test_a_streamed_50_mb_body_is_abandoned_at_the_cap(streaming_server) -> None:
    url, sent = streaming_server
    http = client(url, FakeTime(), max_body_bytes=2 * MB)
    started = time.monotonic()
    with pytest.raises(ProtocolError, match=rf"test big: response body over the {2 * MB} byte cap"):
        await http.request("GET", "/big", endpoint="big")
    await http.close()
    assert time.monotonic() - started < 5
    await asyncio.sleep(0.05)
    assert sent[0] < 50 * MB  # the client hung up long before the end


async def test_a_body_at_the_cap_is_read(server) -> None:
    url, script = server
    body = json.dumps("y" * 1000).encode()
    script.replies = [web.Response(status=200, body=body)]
    http = client(url, FakeTime(), max_body_bytes=len(body))
    assert (await http.request("GET", "/x", endpoint="x")).json() == "y" * 1000
    await http.close()


async def test_deeply_nested_json_is_a_protocol_error(server) -> None:
    url, script = server
    script.replies = [web.Response(status=200, body=b"[" * 100_000)]
    http = client(url, FakeTime())
    response = await http.request("GET", "/x", endpoint="nested")
    await http.close()
    with pytest.raises(ProtocolError, match=r"test nested: .*nested too deeply"):
        response.json()


async def test_an_integer_too_long_to_parse_is_a_protocol_error(server) -> None:
    url, script = server
    script.replies = [web.Response(status=200, body=b"1" * 5_000)]
    http = client(url, FakeTime())
    response = await http.request("GET", "/x", endpoint="huge_int")
    await http.close()
    with pytest.raises(ProtocolError, match="test huge_int: body is not JSON"):
        response.json()


async def test_a_huge_retry_after_waits_at_most_the_cap(server) -> None:
    url, script = server
    script.replies = [reply(429, None, **{"Retry-After": "1000000"}), reply(200, 1)]
    t = FakeTime()
    http = client(url, t)
    assert (await http.request("GET", "/x", endpoint="x")).json() == 1
    await http.close()
    assert t.slept and all(s <= 60 for s in t.slept) and sum(t.slept) <= 60


async def test_the_retry_after_cap_also_bounds_the_budget_block(server) -> None:
    url, script = server
    script.replies = [reply(429, None, **{"Retry-After": "1000000"}), reply(200, 1)]
    t = FakeTime()
    http = client(url, t, max_retry_after_s=5.0)
    await http.request("GET", "/x", endpoint="x")
    await http.close()
    assert t.slept == [5.0]  # the retry waited the cap, and the budget was blocked no longer


async def test_retry_caps_a_rate_limited_wait() -> None:
    t = FakeTime()
    calls: list[int] = []

    async def limited() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RateLimited("slow down", retry_after=1e9)
        return "done"

    fn: Callable[[], Awaitable[str]] = limited
    assert await retry(fn, RetryPolicy(max_attempts=2), sleep=t.sleep, max_retry_after_s=3.0) == "done"
    assert t.slept == [3.0]
    with pytest.raises(ValueError, match="max_retry_after_s"):
        await retry(fn, RetryPolicy(), max_retry_after_s=0)


def test_invalid_caps_are_config_errors() -> None:
    budget = RateBudget(1, 1, name="t")
    with pytest.raises(ConfigError, match="max_body_bytes"):
        HttpClient(venue="t", base_url="http://x", budget=budget, map_error=mapper, max_body_bytes=0)
    with pytest.raises(ConfigError, match="max_retry_after_s"):
        HttpClient(venue="t", base_url="http://x", budget=budget, map_error=mapper, max_retry_after_s=-1)
