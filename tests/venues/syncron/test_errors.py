"""Every error path: the venue's codes become typed core errors that say what to do."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from multidict import CIMultiDict
from pydantic import SecretStr

from botkit.core.errors import (
    AuthError,
    ConfigError,
    InsufficientFunds,
    NotFoundError,
    OrderRejected,
    ProtocolError,
    RateLimited,
    VenueUnavailable,
)
from botkit.model.enums import OrderType, Side
from botkit.sim.syncron import AccountConfig, running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.venues._http import HttpResponse, RateLimitInfo
from botkit.venues.errors import VenueApiError
from botkit.venues.syncron import (
    SyncronAuthError,
    SyncronBadRequest,
    SyncronInsufficientFunds,
    SyncronInvalidParameter,
    SyncronNotFound,
    SyncronOrderNotOpen,
    SyncronOrderRejected,
    SyncronRateLimited,
    SyncronRestClient,
    SyncronSettings,
    SyncronUnavailable,
)
from botkit.venues.syncron.errors import error_for, map_error, scrub_secrets
from botkit.venues.syncron.parse import WireError

from .helpers import QUICK_RETRY, OffsetClock, admin, make_market, quiet_config, rest_for, with_account


async def test_invalid_parameter_is_a_config_error_with_its_details(rest: SyncronRestClient) -> None:
    with pytest.raises(SyncronInvalidParameter) as caught:
        await rest.place_order("BTCUSD", Side.BUY, 0.00015, price=50_000.0)
    error = caught.value
    assert isinstance(error, ConfigError) and isinstance(error, VenueApiError)
    assert error.wire_code == 40001 and error.status == 400
    assert error.parameter == "qty" and "lot_size" in (error.reason or "")
    assert "syncron place_order: 40001" in str(error) and "fix the request" in str(error)


async def test_insufficient_balance(rest: SyncronRestClient) -> None:
    with pytest.raises(SyncronInsufficientFunds) as caught:
        await rest.place_order("BTCUSD", Side.BUY, 10, price=50_000.0)
    assert isinstance(caught.value, InsufficientFunds) and caught.value.reason == "insufficient_balance"
    assert "USD: required" in str(caught.value) and "smaller order" in str(caught.value)


async def test_post_only_reduce_only_and_not_open(rest: SyncronRestClient, maker: SyncronRestClient) -> None:
    await make_market(maker)
    with pytest.raises(SyncronOrderRejected) as post_only:
        await rest.place_order("BTCUSD", Side.BUY, 0.01, price=60_010.0, post_only=True)
    assert post_only.value.wire_code == 40003 and post_only.value.reason == "post_only_would_take"
    with pytest.raises(SyncronOrderRejected) as reduce_only:
        await rest.place_order("BTCUSD", Side.SELL, 0.01, price=60_000.0, reduce_only=True)
    assert reduce_only.value.wire_code == 40004 and isinstance(reduce_only.value, OrderRejected)
    done = await rest.place_order("BTCUSD", Side.BUY, 0.001, order_type=OrderType.MARKET)
    with pytest.raises(SyncronOrderNotOpen, match="treat the cancel as done"):
        await rest.cancel_order(order_id=done.order.order_id)


async def test_not_found(rest: SyncronRestClient) -> None:
    with pytest.raises(SyncronNotFound) as caught:
        await rest.get_order(client_order_id="never-placed")
    assert isinstance(caught.value, NotFoundError) and caught.value.wire_code == 40401


async def test_method_not_allowed_is_a_bad_request(rest: SyncronRestClient) -> None:
    with pytest.raises(SyncronBadRequest) as caught:
        await rest._http.request("PATCH", "/v5/order", endpoint="patch_order")
    assert caught.value.wire_code == 40501 and isinstance(caught.value, ConfigError)


@pytest.mark.parametrize(("key", "secret", "code"), [
    ("nobody", "whatever", 40102),
    ("sim-demo-key", "wrong-secret", 40103),
])
async def test_bad_credentials(sim: RunningSim, key: str, secret: str, code: int) -> None:
    client = rest_for(sim, api_key=key, api_secret=secret)
    with pytest.raises(SyncronAuthError) as caught:
        await client.balances()
    await client.close()
    assert caught.value.wire_code == code and isinstance(caught.value, AuthError)
    assert "BOTKIT_SYNCRON__" in str(caught.value)


async def test_missing_permission() -> None:
    reader = AccountConfig(api_key="reader", api_secret=SecretStr("reader-secret"), permissions=frozenset({"read"}))
    async with running_sim(with_account(quiet_config(), reader)) as sim:
        client = rest_for(sim, api_key="reader", api_secret="reader-secret")
        assert await client.balances() == ()  # read is allowed
        with pytest.raises(SyncronAuthError) as caught:
            await client.place_order("BTCUSD", Side.BUY, 0.01, price=50_000.0)
        await client.close()
    assert caught.value.wire_code == 40301 and "permission" in str(caught.value)


async def test_private_calls_without_credentials_are_refused_before_sending() -> None:
    anonymous = SyncronRestClient(SyncronSettings(endpoint="https://api.syncron.finance"))
    assert not anonymous.has_credentials
    with pytest.raises(ConfigError, match="is private: set BOTKIT_SYNCRON__API_KEY"):
        await anonymous.balances()
    await anonymous.close()


async def test_a_clock_outside_the_recv_window_is_resynced_once(sim: RunningSim) -> None:
    client = rest_for(sim, clock=OffsetClock(offset_s=-30))
    assert await client.balances()  # 40104, GET /v5/time, retried with the measured offset
    assert abs(client.venue_now_ns() - OffsetClock().now_ns()) < 1_000_000_000
    await client.close()


async def test_503_is_retried_then_raised(sim: RunningSim) -> None:
    clock = OffsetClock()
    client = rest_for(sim, sleep=clock.sleep, retry_policy=QUICK_RETRY, rng=random.Random(3))
    await admin(sim, "/_sim/faults", {"http_error_rate": 1.0})
    with pytest.raises(SyncronUnavailable) as caught:
        await client.ticker("BTCUSD")
    assert isinstance(caught.value, VenueUnavailable) and caught.value.wire_code == 50301
    assert len(clock.slept) == QUICK_RETRY.max_attempts - 1
    await admin(sim, "/_sim/faults", {"http_error_rate": 0.5})
    assert (await client.ticker("BTCUSD")).symbol == "BTCUSD"  # some attempt gets through
    await client.close()


async def test_429_waits_as_told_then_raises_rate_limited(sim: RunningSim) -> None:
    clock = OffsetClock()
    client = rest_for(sim, sleep=clock.sleep, clock=clock, retry_policy=QUICK_RETRY)
    await admin(sim, "/_sim/faults", {"http_429_rate": 1.0})
    with pytest.raises(SyncronRateLimited) as caught:
        await client.ticker("BTCUSD")
    assert isinstance(caught.value, RateLimited) and caught.value.retry_after is not None
    assert caught.value.wire_code == 42901 and "retry after" in str(caught.value)
    assert len(clock.slept) >= QUICK_RETRY.max_attempts - 1  # waited before every retry
    await client.close()


@pytest.mark.parametrize(("code", "kind", "hint"), [
    (40001, SyncronInvalidParameter, "fix the request"),
    (40002, SyncronInsufficientFunds, "add funds"),
    (40003, SyncronOrderRejected, "re-price"),
    (40004, SyncronOrderRejected, "drop the reduce-only"),
    (40005, SyncronOrderNotOpen, "query the order"),
    (40101, SyncronAuthError, "set BOTKIT_SYNCRON__API_KEY"),
    (40102, SyncronAuthError, "check BOTKIT_SYNCRON__API_KEY"),
    (40103, SyncronAuthError, "check BOTKIT_SYNCRON__API_SECRET"),
    (40104, SyncronAuthError, "sync the system clock"),
    (40105, SyncronAuthError, "refresh the access token"),
    (40106, SyncronAuthError, "POST /v5/auth/token"),
    (40301, SyncronAuthError, "permission"),
    (40401, SyncronNotFound, "check the id"),
    (40501, SyncronBadRequest, "client bug"),
    (42901, SyncronRateLimited, "wait"),
    (50001, SyncronUnavailable, "retry with backoff"),
    (50301, SyncronUnavailable, "retry with backoff"),
    (50401, SyncronUnavailable, "query orders by client_order_id"),
    (40999, SyncronBadRequest, ""),
    (59999, SyncronUnavailable, ""),
])
def test_the_code_table(code: int, kind: type, hint: str) -> None:
    error = error_for(WireError(code, "what the venue said", {"retry_after_ms": 1500}), "some_call")
    assert type(error) is kind and error.wire_code == code
    assert str(error).startswith(f"syncron some_call: {code} what the venue said") and hint in str(error)
    if isinstance(error, RateLimited):
        assert error.retry_after == 1.5


@pytest.fixture
async def garbage_server() -> AsyncIterator[str]:
    """A server that answers every /v5 path with something that is not the contract."""
    replies = {
        "/v5/market/ticker": web.Response(text="<html>oops</html>", content_type="text/html"),
        "/v5/market/instruments": web.json_response({"success": True, "data": [{"symbol": "BTCUSD"}]}),
        "/v5/market/orderbook": web.json_response({"success": True, "data": {"symbol": "BTCUSD", "seq": "7", "ts": 1}}),
        "/v5/market/trades": web.json_response({"success": "yes", "data": []}),
        "/v5/time": web.json_response([1, 2, 3]),
        "/v5/account/balances": web.Response(status=502, text="bad gateway"),
        "/v5/orders/open": web.json_response({"success": False, "error": {"code": "x"}}, status=400),
    }

    async def handle(request: web.Request) -> web.Response:
        reply = replies[request.path]
        return web.Response(status=reply.status, body=reply.body, content_type=reply.content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(("call", "message"), [
    (lambda r: r.ticker("BTCUSD"), "syncron ticker: body is not JSON"),
    (lambda r: r.instruments(), "syncron instruments: field 'data[0].base' is missing"),
    (lambda r: r.order_book("BTCUSD"), "syncron order_book: field 'data.seq' must be an integer >= 0, got '7'"),
    (lambda r: r.recent_trades("BTCUSD"), "syncron recent_trades: field 'body.success' must be true or false"),
    (lambda r: r.server_time(), "syncron server_time: field 'body' must be an object"),
])
async def test_malformed_bodies_are_protocol_errors_naming_endpoint_and_field(
    garbage_server: str, call, message: str
) -> None:
    client = SyncronRestClient(SyncronSettings(endpoint=garbage_server), retry_policy=QUICK_RETRY)
    with pytest.raises(ProtocolError) as caught:
        await call(client)
    await client.close()
    assert str(caught.value).startswith(message)


async def test_error_bodies_that_are_not_envelopes_still_raise_by_status(garbage_server: str) -> None:
    clock = OffsetClock()
    client = SyncronRestClient(SyncronSettings(endpoint=garbage_server), retry_policy=QUICK_RETRY,
                               sleep=clock.sleep)
    with pytest.raises(VenueUnavailable, match=r"HTTP 502 \(error body is not the documented envelope\)"):
        await client.balances()
    with pytest.raises(ConfigError, match="HTTP 400"):
        await client.open_orders()
    await client.close()


# --- a hostile venue echoing credentials back ------------------------------------------------

_ECHO_KEY = "AKIA-echoed-api-key-77"
_ECHO_SIG = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_ECHO_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrZXkifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


def _hostile_response(code: int, status: int, message: str, details: dict[str, object]) -> HttpResponse:
    body = {"success": False, "error": {"code": code, "message": message, "details": details}}
    return HttpResponse(
        venue="syncron", endpoint="place_order", status=status, headers=CIMultiDict(),
        body=json.dumps(body).encode(), rate=RateLimitInfo(),
    )


def _all_text(error: BaseException) -> str:
    detail = getattr(error, "detail", None)
    return "\n".join([str(error), repr(error), repr(getattr(error, "details", {})), repr(detail)])


@pytest.mark.parametrize(("code", "status"), [(40103, 401), (40001, 400), (50001, 500), (42901, 429)])
def test_echoed_credentials_never_reach_the_exception_text(code: int, status: int) -> None:
    message = (
        f"bad request; headers: X-SYNCRON-APIKEY: {_ECHO_KEY}, X-SYNCRON-SIGNATURE={_ECHO_SIG}; "
        f"Authorization: Bearer {_ECHO_JWT}; expected {_ECHO_SIG.upper()}"
    )
    details: dict[str, object] = {
        "parameter": "X-SYNCRON-APIKEY",
        "reason": _ECHO_KEY,
        "request": {"headers": {"X-SYNCRON-APIKEY": _ECHO_KEY, "authorization": f"Bearer {_ECHO_JWT}"}},
        "echo": [f"sig {_ECHO_SIG}", _ECHO_JWT, f"{{'X-SYNCRON-SIGNATURE': '{_ECHO_SIG}'}}"],
    }
    error = map_error(_hostile_response(code, status, message, details))
    text = _all_text(error)
    for secret in (_ECHO_KEY, _ECHO_SIG, _ECHO_SIG.upper(), _ECHO_JWT, "eyJ"):
        assert secret not in text
    assert "X-SYNCRON-APIKEY" in text and "bad request" in text  # the rest stays readable


def test_scrub_secrets_is_pure_and_keeps_plain_text() -> None:
    plain = "qty 0.00015 is not a multiple of lot_size 0.001"
    assert scrub_secrets(plain) == plain
    dirty = f'{{"X-SYNCRON-SIGNATURE": "{_ECHO_SIG}", "Authorization": "Bearer {_ECHO_JWT}"}}'
    once = scrub_secrets(dirty)
    assert once == scrub_secrets(dirty) == scrub_secrets(once)
    assert _ECHO_SIG not in once and _ECHO_JWT not in once
    assert once == '{"X-SYNCRON-SIGNATURE": "***", "Authorization": "Bearer ***"}'
    assert scrub_secrets("x-syncron-apikey=abc123&ts=1") == "x-syncron-apikey=***&ts=1"
