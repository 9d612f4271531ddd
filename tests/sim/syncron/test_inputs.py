"""The input boundary over real HTTP: malformed client input is a 4xx with the right code, never a 5xx.

A table of the inputs that used to become ``500`` / ``50001`` (and so were retried by compliant
clients), hypothesis fuzzing of bodies, query values and auth headers, and the botkit client
itself, which must not retry a request the venue refused for its shape.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from botkit.core.errors import ConfigError, VenueUnavailable
from botkit.model.enums import Side
from botkit.sim.syncron import RateLimitConfig, running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.sim.syncron.ratelimit import RateState
from botkit.venues._http import DEFAULT_HTTP_RETRY
from botkit.venues.syncron import (
    SyncronBadRequest,
    SyncronInvalidParameter,
    SyncronRestClient,
    SyncronSettings,
)

from .conftest import Client, quiet_config

MIB = 1 << 20
ORDER = {"symbol": "BTCUSD", "side": "buy", "type": "limit", "qty": "0.01", "price": "60000"}
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _order_with(**fields: str) -> bytes:
    """An order body with some fields replaced by raw JSON text (numbers, literals)."""
    parts = {k: json.dumps(v) for k, v in ORDER.items()}
    parts.update(fields)
    return ("{" + ", ".join(f'"{k}": {v}' for k, v in parts.items()) + "}").encode()


@pytest.fixture
async def roomy() -> AsyncIterator[RunningSim]:
    """A quiet simulator whose rate limit fuzzing does not reach."""
    async with running_sim(quiet_config(rate_limit=RateLimitConfig(limit=1_000_000))) as sim:
        yield sim


async def send(
    client: Client,
    method: str,
    path: str,
    *,
    query: str = "",
    raw: bytes = b"",
    headers: dict[str, str] | None = None,
    signed: bool = True,
) -> tuple[int, dict[str, Any]]:
    """One request with the query and body bytes exactly as given, signed over exactly those."""
    payload = raw.decode("utf-8", "replace") if method == "POST" else query
    all_headers = client.signed_headers(method, path, payload) if signed else {}
    all_headers.update(headers or {})
    url = URL(client.url + path + (f"?{query}" if query else ""), encoded=True)
    async with client.session.request(method, url, data=raw or None, headers=all_headers) as resp:
        return resp.status, await resp.json()


def assert_client_error(status: int, envelope: dict[str, Any]) -> None:
    """A 4xx error envelope whose code belongs to the status, as the contract's table says."""
    assert 400 <= status < 500, envelope
    assert envelope["success"] is False
    assert envelope["error"]["code"] // 100 == status


BODY_CASES = [
    ("nested arrays", b"[" * 100_000 + b"]" * 100_000, 400, 40001, "body"),
    ("nested objects", b'{"a":' * 5_000 + b"1" + b"}" * 5_000, 400, 40001, "body"),
    ("qty 1e400 as a number", _order_with(qty="1e400"), 400, 40001, "qty"),
    ("qty 1e400 as text", _order_with(qty='"1e400"'), 400, 40001, "qty"),
    ("qty 1e-400", _order_with(qty='"1e-400"'), 400, 40001, "qty"),
    ("300-digit price text", _order_with(price='"' + "9" * 300 + '"'), 400, 40001, "price"),
    ("30-digit price text", _order_with(price='"' + "9" * 30 + '"'), 400, 40001, "price"),
    ("300-digit price number", _order_with(price="9" * 300), 400, 40001, "body"),
    ("5000-digit integer", _order_with(qty="1" * 5_000), 400, 40001, "body"),
    ("Arabic-Indic digits", _order_with(qty='"١٢٣"'), 400, 40001, "qty"),
    ("superscript digit", _order_with(qty='"²"'), 400, 40001, "qty"),
    ("underscored digits", _order_with(qty='"1_000"'), 400, 40001, "qty"),
    ("NaN literal", _order_with(qty="NaN"), 400, 40001, "body"),
    ("repeated key", _order_with(qty='"0.01", "qty": "1"'), 400, 40001, "body"),
    ("text for a boolean", _order_with(post_only='"yes"'), 400, 40001, "post_only"),
    ("non-ASCII symbol", _order_with(symbol='"BTC€"'), 400, 40001, "symbol"),
    ("array body", b"[]", 400, 40001, "body"),
    ("non-UTF-8 body", b'{"symbol": "\xff"}', 400, 40001, "body"),
    ("body over 1 MiB", b'{"symbol": "' + b"A" * MIB + b'"}', 413, 41301, None),
]


@pytest.mark.parametrize(
    ("raw", "status", "code", "parameter"),
    [case[1:] for case in BODY_CASES],
    ids=[case[0] for case in BODY_CASES],
)
async def test_a_bad_order_body_is_a_4xx(
    client: Client, raw: bytes, status: int, code: int, parameter: str | None
) -> None:
    got_status, envelope = await send(client, "POST", "/v5/order", raw=raw)
    error = envelope["error"]
    assert (got_status, error["code"]) == (status, code), error
    assert error["details"].get("parameter") == parameter


HEADER_CASES = [
    ("5000-digit timestamp", {"X-SYNCRON-TIMESTAMP": "1" * 5_000}, 400, 40001, "X-SYNCRON-TIMESTAMP"),
    ("Arabic-Indic timestamp", {"X-SYNCRON-TIMESTAMP": "١٢٣"}, 400, 40001, "X-SYNCRON-TIMESTAMP"),
    ("superscript timestamp", {"X-SYNCRON-TIMESTAMP": "²"}, 400, 40001, "X-SYNCRON-TIMESTAMP"),
    ("5000-digit recv window", {"X-SYNCRON-RECV-WINDOW": "1" * 5_000}, 400, 40001, "X-SYNCRON-RECV-WINDOW"),
    ("superscript recv window", {"X-SYNCRON-RECV-WINDOW": "²"}, 400, 40001, "X-SYNCRON-RECV-WINDOW"),
    ("non-ASCII signature", {"X-SYNCRON-SIGNATURE": "é" * 64}, 401, 40103, None),
    ("short signature", {"X-SYNCRON-SIGNATURE": "abc"}, 401, 40103, None),
    ("non-ASCII token", {"Authorization": "Bearer é.é.é"}, 401, 40106, None),
    ("5000-character token", {"Authorization": "Bearer " + "a" * 5_000}, 401, 40106, None),
]


@pytest.mark.parametrize(
    ("headers", "status", "code", "parameter"),
    [case[1:] for case in HEADER_CASES],
    ids=[case[0] for case in HEADER_CASES],
)
async def test_bad_auth_headers_are_a_4xx(
    client: Client, headers: dict[str, str], status: int, code: int, parameter: str | None
) -> None:
    got_status, envelope = await send(client, "GET", "/v5/account/balances", headers=headers)
    error = envelope["error"]
    assert (got_status, error["code"]) == (status, code), error
    assert error["details"].get("parameter") == parameter


QUERY_CASES = [
    ("5000-digit depth", "/v5/market/orderbook", "symbol=BTCUSD&depth=" + "1" * 5_000, "depth"),
    ("superscript depth", "/v5/market/orderbook", "symbol=BTCUSD&depth=%C2%B2", "depth"),
    ("Arabic-Indic depth", "/v5/market/orderbook", "symbol=BTCUSD&depth=%D9%A1%D9%A2", "depth"),
    ("padded depth", "/v5/market/orderbook", "symbol=BTCUSD&depth=+12+", "depth"),
    ("5000-digit start", "/v5/market/klines", "symbol=BTCUSD&start=" + "9" * 5_000, "start"),
    ("symbol twice", "/v5/market/ticker", "symbol=BTCUSD&symbol=ETHUSD", "symbol"),
    ("long symbol", "/v5/market/ticker", "symbol=" + "A" * 500, "symbol"),
    ("Arabic-Indic fills limit", "/v5/fills", "limit=%D9%A1%D9%A0", "limit"),
]


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [case[1:] for case in QUERY_CASES],
    ids=[case[0] for case in QUERY_CASES],
)
async def test_a_bad_query_value_is_40001_naming_it(
    client: Client, path: str, query: str, parameter: str
) -> None:
    status, envelope = await send(client, "GET", path, query=query)
    assert (status, envelope["error"]["code"]) == (400, 40001), envelope
    assert envelope["error"]["details"]["parameter"] == parameter


async def test_a_malformed_refresh_token_is_a_4xx(client: Client) -> None:
    for token, status, code in (("é.ü.x", 401, 40106), ("a.\ud800.b", 400, 40001), ("x" * 5_000, 400, 40001)):
        raw = json.dumps({"refresh_token": token}).encode()
        got, envelope = await send(client, "POST", "/v5/auth/refresh", raw=raw, signed=False)
        assert (got, envelope["error"]["code"]) == (status, code), (token[:10], envelope)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(["0.01", "60000", "1e400", "١٢٣", "²", "NaN", "-0", "1E+17", "0." + "0" * 30 + "1"])
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)
order_fields = st.sampled_from(
    [*ORDER, "stop_price", "time_in_force", "post_only", "reduce_only", "client_order_id"]
)


@FUZZ
@given(
    body=st.dictionaries(order_fields | st.text(max_size=8), json_values, max_size=10),
    base=st.booleans(),
)
async def test_fuzzed_order_bodies_never_get_a_5xx(roomy: RunningSim, body: dict[str, Any], base: bool) -> None:
    async with aiohttp.ClientSession() as session:
        raw = json.dumps({**(ORDER if base else {}), **body}).encode()  # NaN, Infinity included
        status, envelope = await send(Client(session, roomy.url), "POST", "/v5/order", raw=raw)
    if status != 200:
        assert_client_error(status, envelope)


bounded_decimals = st.decimals(
    min_value=-(10**18) + 1, max_value=10**18 - 1, places=None, allow_nan=False, allow_infinity=False
).filter(lambda d: -d.as_tuple().exponent <= 18)  # type: ignore[operator]


@FUZZ
@given(
    kind=st.sampled_from(["market", "limit", "stop"]),
    side=st.sampled_from(["buy", "sell"]),
    qty=bounded_decimals,
    price=st.none() | bounded_decimals,
    stop=st.none() | bounded_decimals,
    tif=st.sampled_from([None, "gtc", "ioc", "fok"]),
    flags=st.tuples(st.booleans(), st.booleans()),
)
async def test_well_formed_orders_with_extreme_numbers_never_get_a_5xx(
    roomy: RunningSim, kind: str, side: str, qty: Any, price: Any, stop: Any, tif: str | None,
    flags: tuple[bool, bool],
) -> None:
    body: dict[str, Any] = {"symbol": "BTCUSD", "side": side, "type": kind, "qty": str(qty)}
    for name, value in (("price", price), ("stop_price", stop), ("time_in_force", tif)):
        if value is not None:
            body[name] = str(value)
    body["post_only"], body["reduce_only"] = flags
    async with aiohttp.ClientSession() as session:
        client = Client(session, roomy.url)
        status, envelope = await send(client, "POST", "/v5/order", raw=json.dumps(body).encode())
    if status != 200:
        assert_client_error(status, envelope)


@FUZZ
@given(raw=st.binary(max_size=300))
async def test_fuzzed_body_bytes_never_get_a_5xx(roomy: RunningSim, raw: bytes) -> None:
    async with aiohttp.ClientSession() as session:
        status, envelope = await send(Client(session, roomy.url), "POST", "/v5/order", raw=raw)
    assert_client_error(status, envelope)


query_routes = st.sampled_from(
    [
        "/v5/market/instruments", "/v5/market/ticker", "/v5/market/orderbook", "/v5/market/trades",
        "/v5/market/klines", "/v5/order", "/v5/orders/open", "/v5/fills", "/v5/account/positions",
    ]
)
query_names = st.sampled_from(
    ["symbol", "depth", "limit", "interval", "start", "end", "order_id", "client_order_id"]
)


@FUZZ
@given(
    path=query_routes,
    method=st.sampled_from(["GET", "DELETE"]),
    params=st.lists(st.tuples(query_names | st.text(max_size=6), json_scalars.map(str)), max_size=5),
)
async def test_fuzzed_query_values_never_get_a_5xx(
    roomy: RunningSim, path: str, method: str, params: list[tuple[str, str]]
) -> None:
    async with aiohttp.ClientSession() as session:
        client = Client(session, roomy.url)
        status, envelope = await send(client, method, path, query=urlencode(params))
    if status != 200:
        assert_client_error(status, envelope)


header_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30)


@FUZZ
@given(
    name=st.sampled_from(["X-SYNCRON-TIMESTAMP", "X-SYNCRON-RECV-WINDOW", "X-SYNCRON-SIGNATURE", "Authorization"]),
    value=header_text | st.integers(min_value=0, max_value=10**30).map(str),
)
async def test_fuzzed_auth_headers_never_get_a_5xx(roomy: RunningSim, name: str, value: str) -> None:
    async with aiohttp.ClientSession() as session:
        status, envelope = await send(
            Client(session, roomy.url), "GET", "/v5/orders/open", headers={name: value.strip() or "x"}
        )
    if status != 200:
        assert_client_error(status, envelope)


# --------------------------------------------------------------- the botkit client


def _counted(sim: RunningSim) -> list[str]:
    """Every ``/v5`` request the simulator receives (each passes its rate limiter once)."""
    seen: list[str] = []
    limiter = sim.context.limiter
    hit = limiter.hit

    def counting(bucket: str) -> RateState:
        seen.append(bucket)
        return hit(bucket)

    limiter.hit = counting  # type: ignore[method-assign]
    return seen


async def _no_wait(_seconds: float) -> None:
    """The retries' sleep: a retrying client would finish at once and be counted."""


@pytest.mark.parametrize(
    ("order", "error"),
    [
        ({"price": "9" * 300}, SyncronInvalidParameter),  # was 50001, retried six times
        ({"price": "60000", "symbol": "A" * MIB}, SyncronBadRequest),  # was a 413 made 50001
    ],
    ids=["300-digit price", "body over 1 MiB"],
)
async def test_the_botkit_client_does_not_retry_a_refused_request(
    sim: RunningSim, order: dict[str, str], error: type[ConfigError]
) -> None:
    requests = _counted(sim)
    rest = SyncronRestClient(SyncronSettings(endpoint=sim.url, rate_limit=100_000), sleep=_no_wait)
    try:
        with pytest.raises(error) as caught:
            await rest.place_order(
                order.get("symbol", "BTCUSD"), Side.BUY, "0.01", price=order["price"], client_order_id="bad-1"
            )
        assert isinstance(caught.value, ConfigError) and caught.value.detail.status in (400, 413)
        assert len(requests) == 1
        # the control: a genuine venue failure is retried, and counted the same way
        sim.context.faults.update({"http_error_rate": 1.0})
        with pytest.raises(VenueUnavailable):
            await rest.ticker("BTCUSD")
        assert len(requests) == 1 + DEFAULT_HTTP_RETRY.max_attempts
    finally:
        await rest.close()

