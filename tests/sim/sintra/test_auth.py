"""Basic authentication in both documented forms, and the documented 401/403 errors."""

from __future__ import annotations

import aiohttp
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from botkit.sim.sintra import ApiKeyConfig, Plan, SintraSimServer, run_sintra_sim
from botkit.sim.sintra.config import DEMO_KEY_ID, DEMO_KEY_TOKEN

from .helpers import assert_error, basic, clock_at, fetch, roomy_config

PROTECTED = [
    ("GET", "/fees/history"),
    ("GET", "/prices/btcusd/history"),
    ("POST", "/sessions"),
]


@pytest.mark.parametrize(
    "headers",
    [
        basic(f"{DEMO_KEY_ID}.{DEMO_KEY_TOKEN}", ""),  # whole key as username, empty password
        basic(DEMO_KEY_ID, DEMO_KEY_TOKEN),  # id as username, token as password
    ],
    ids=["whole-key-username", "id-and-token"],
)
@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_both_basic_forms_open_the_pro_endpoints(
    sim: SintraSimServer,
    http: aiohttp.ClientSession,
    headers: dict[str, str],
    method: str,
    path: str,
) -> None:
    status, _, response_headers = await fetch(http, sim.base_url + path, headers, method)
    assert status in (200, 201)
    assert response_headers["X-RateLimit-Limit"] == "10000"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_a_missing_key_is_api_key_missing(
    sim: SintraSimServer, http: aiohttp.ClientSession, method: str, path: str
) -> None:
    status, body, headers = await fetch(http, sim.base_url + path, method=method)
    assert_error(status, body, 401, "API_KEY_MISSING")
    assert body["type"] == "UnauthorizedError"
    assert headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "authorization",
    [
        basic(DEMO_KEY_ID, "wrong-token")["Authorization"],
        basic(f"{DEMO_KEY_ID}.wrong-token")["Authorization"],
        basic(f"nobody.{DEMO_KEY_TOKEN}")["Authorization"],
        basic(DEMO_KEY_ID)["Authorization"],  # no token at all
        "Bearer " + DEMO_KEY_TOKEN,
        "Basic not-base64!",
        "Basic " + "ZGVtbw==",  # "demo" without a colon
    ],
)
async def test_a_bad_key_is_api_key_invalid_everywhere(
    sim: SintraSimServer, http: aiohttp.ClientSession, authorization: str
) -> None:
    headers = {"Authorization": authorization}
    for path in ("/prices/btcusd/history", "/exchanges"):
        status, body, response_headers = await fetch(http, sim.base_url + path, headers)
        assert_error(status, body, 401, "API_KEY_INVALID")
        assert "X-RateLimit-Remaining" in response_headers


async def test_the_public_endpoints_need_no_key(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    for path in ("/exchanges", "/fees", "/pairs", "/pairs/btcusd", "/prices", "/prices/btcusd"):
        status, _, _ = await fetch(http, sim.base_url + path)
        assert status == 200, path


async def test_a_starter_key_is_refused_with_403(http: aiohttp.ClientSession) -> None:
    keys = (ApiKeyConfig(id="cheap", token=SecretStr("t0k"), plan=Plan.STARTER),)
    async with run_sintra_sim(roomy_config(keys=keys), clock=clock_at()) as sim:
        status, body, _ = await fetch(http, f"{sim.base_url}/fees/history", basic("cheap.t0k"))
        assert_error(status, body, 403, "PLAN_UPGRADE_REQUIRED")
        status, _, _ = await fetch(http, f"{sim.base_url}/fees", basic("cheap", "t0k"))
        assert status == 200


async def test_tokens_never_reach_the_logs(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    with capture_logs() as logs:
        await fetch(http, f"{sim.base_url}/sessions", basic(DEMO_KEY_ID, DEMO_KEY_TOKEN), "POST")
        await fetch(http, f"{sim.base_url}/fees/history", basic(f"{DEMO_KEY_ID}.{DEMO_KEY_TOKEN}"))
        await fetch(http, f"{sim.base_url}/fees/history", basic(DEMO_KEY_ID, "guess-1"))
        await fetch(http, f"{sim.base_url}/fees/history", basic(f"x.{DEMO_KEY_TOKEN}", "p"))
    text = repr(logs)
    assert any(entry["event"] == "sintra_sim.auth_failed" for entry in logs)
    assert DEMO_KEY_TOKEN not in text and "guess-1" not in text


@pytest.mark.parametrize(
    "header",
    ["Basic é", "Basic " + "é" * 10, "Basic \u00ff\u00fe", "Basic ////", "Basic " + "A" * 4000],
    ids=["non-ascii", "non-ascii-run", "latin-1", "bad-padding", "long"],
)
async def test_a_malformed_basic_header_is_401_not_500(
    sim: SintraSimServer, http: aiohttp.ClientSession, header: str
) -> None:
    status, body, _ = await fetch(http, sim.base_url + "/fees", {"Authorization": header})
    assert_error(status, body, 401, "API_KEY_INVALID")
