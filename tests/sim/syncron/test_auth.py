"""Authentication over real HTTP: signatures, recv window, JWT expiry and refresh, permissions."""

from __future__ import annotations

import json

import aiohttp
from pydantic import SecretStr

from botkit.sim.syncron import DEFAULT_API_KEY, AccountConfig, running_sim

from .conftest import Client, OffsetClock, quiet_config


async def test_public_endpoints_need_no_auth(client: Client):
    data = await client.ok("GET", "/v5/market/instruments", signed=False)
    assert {i["symbol"] for i in data} == {"BTCUSD", "ETHUSD"}


async def test_private_without_credentials_is_40101(client: Client):
    status, error = await client.error("GET", "/v5/account/balances", signed=False)
    assert (status, error["code"]) == (401, 40101)


async def test_unknown_key_is_40102(sim, session):
    status, error = await Client(session, sim.url, key="nope").error("GET", "/v5/account/balances")
    assert (status, error["code"]) == (401, 40102)


async def test_wrong_secret_is_40103(sim, session):
    status, error = await Client(session, sim.url, secret="wrong").error(
        "GET", "/v5/account/balances"
    )
    assert (status, error["code"]) == (401, 40103)


async def test_signature_covers_query_and_body(client: Client, session):
    headers = client.signed_headers("GET", "/v5/orders/open", "symbol=BTCUSD")
    async with session.get(client.url + "/v5/orders/open?symbol=ETHUSD", headers=headers) as r:
        assert r.status == 401 and (await r.json())["error"]["code"] == 40103
    signed_body = json.dumps({"symbol": "BTCUSD", "side": "buy", "type": "market", "qty": "0.001"})
    sent_body = signed_body.replace("0.001", "0.002")
    headers = client.signed_headers("POST", "/v5/order", signed_body)
    async with session.post(client.url + "/v5/order", data=sent_body, headers=headers) as r:
        assert r.status == 401 and (await r.json())["error"]["code"] == 40103
    # the exact recipe works: prehash = timestamp + METHOD + path + query
    headers = client.signed_headers("GET", "/v5/orders/open", "symbol=ETHUSD")
    async with session.get(client.url + "/v5/orders/open?symbol=ETHUSD", headers=headers) as r:
        assert r.status == 200 and (await r.json())["data"] == []


async def test_timestamp_outside_recv_window_is_40104(client: Client, session):
    now = client.now_ms()
    for ts in (now - 6_000, now + 2_000):
        headers = client.signed_headers("GET", "/v5/account/balances", "", ts=ts)
        async with session.get(client.url + "/v5/account/balances", headers=headers) as r:
            body = await r.json()
            assert r.status == 401 and body["error"]["code"] == 40104
    headers = client.signed_headers("GET", "/v5/account/balances", "", ts=now - 6_000)
    headers["X-SYNCRON-RECV-WINDOW"] = "20000"
    async with session.get(client.url + "/v5/account/balances", headers=headers) as r:
        assert r.status == 200


async def test_jwt_issue_use_expire_refresh(session):
    clock = OffsetClock()
    async with running_sim(quiet_config(), clock=clock) as sim:
        client = Client(session, sim.url, clock=clock)
        pair = await client.ok("POST", "/v5/auth/token")
        assert pair["token_type"] == "Bearer"
        assert (
            pair["expires_at"] > client.now_ms() and pair["refresh_expires_at"] > pair["expires_at"]
        )
        client.token = pair["token"]
        assert await client.ok("GET", "/v5/account/balances")

        clock.advance(901)  # past the 900 s access token lifetime
        status, error = await client.error("GET", "/v5/account/balances")
        assert (status, error["code"]) == (401, 40105)

        client.token = None
        fresh = await client.ok(
            "POST", "/v5/auth/refresh", body={"refresh_token": pair["refresh_token"]}, signed=False
        )
        client.token = fresh["token"]
        assert await client.ok("GET", "/v5/account/balances")

        client.token = None
        status, error = await client.error(
            "POST", "/v5/auth/refresh", body={"refresh_token": pair["refresh_token"]}, signed=False
        )
        assert (status, error["code"]) == (401, 40106)  # a refresh token works once


async def test_forged_or_malformed_token_is_40106(client: Client, session):
    pair = await client.ok("POST", "/v5/auth/token")
    header, body, mac = pair["token"].split(".")
    for token in (f"{header}.{body}.{mac[:-2]}xx", "not-a-jwt", pair["refresh_token"]):
        client.token = token
        status, error = await client.error("GET", "/v5/account/balances")
        assert (status, error["code"]) == (401, 40106)


async def test_token_endpoint_needs_a_signature_not_a_token(client: Client):
    client.token = (await client.ok("POST", "/v5/auth/token"))["token"]
    status, error = await client.error("POST", "/v5/auth/token")
    assert (status, error["code"]) == (401, 40101)


async def test_read_only_key_cannot_trade(session):
    reader = AccountConfig(
        api_key="reader",
        api_secret=SecretStr("s3"),
        permissions=frozenset({"read"}),
        balances={"USD": 1000},
    )
    config = quiet_config()
    config = config.model_copy(update={"accounts": (*config.accounts, reader)})
    async with running_sim(config) as sim:
        client = Client(session, sim.url, key="reader", secret="s3")
        assert await client.ok("GET", "/v5/account/balances")
        status, error = await client.error(
            "POST",
            "/v5/order",
            body={
                "symbol": "BTCUSD",
                "side": "buy",
                "type": "limit",
                "qty": "0.01",
                "price": "1000",
            },
        )
        assert (status, error["code"]) == (403, 40301)


async def test_secrets_never_reach_responses_or_docs(client: Client, session):
    async with session.get(client.url + "/docs/openapi.json") as r:
        text = await r.text()
    assert "sim-demo-secret" not in text
    async with session.get(client.url + "/_sim/faults") as r:
        assert "secret" not in await r.text()
    assert DEFAULT_API_KEY


async def test_bad_authorization_scheme(client: Client, session):
    async with session.get(
        client.url + "/v5/account/balances", headers={"Authorization": "Basic abc"}
    ) as r:
        assert r.status == 401 and (await r.json())["error"]["code"] == 40106
    assert isinstance(session, aiohttp.ClientSession)
