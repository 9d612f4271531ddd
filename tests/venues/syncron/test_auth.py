"""Signatures, JWT issue and refresh (also under concurrency), and secrets that never show."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pydantic
import pytest
import structlog

from botkit.core.errors import AuthError, BotkitError
from botkit.model.enums import Side
from botkit.sim.syncron import running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.venues._http import RequestToSign
from botkit.venues.syncron import (
    SyncronAuthError,
    SyncronCredentials,
    SyncronExecutionClient,
    SyncronInvalidParameter,
    SyncronNotFound,
    SyncronSettings,
    TokenKeeper,
    TokenPair,
    wire,
)
from botkit.venues.syncron.auth import SyncronSigner

from .helpers import FAST_WS, OffsetClock, admin, eventually, quiet_config, rest_for

SECRET = "sim-demo-secret"


def test_the_contract_example_signature() -> None:
    text = wire.prehash("1700000000000", "get", "/v5/order", "client_order_id=abc")
    assert text == "1700000000000GET/v5/orderclient_order_id=abc"
    credentials = SyncronCredentials("sim-demo-key", SECRET)
    expected = wire.signature(SECRET, text)
    assert credentials.sign(1700000000000, "GET", "/v5/order", "client_order_id=abc") == expected
    assert len(expected) == 64 and expected == expected.lower()


def test_the_signer_signs_the_query_or_the_body_exactly_as_sent() -> None:
    credentials = SyncronCredentials("k", "s", recv_window_ms=7000)
    signer = SyncronSigner(credentials, lambda: 1700000000000)
    get = signer(RequestToSign("GET", "/v5/fills", {"symbol": "BTCUSD", "limit": "5"}))
    assert get[wire.H_SIGNATURE] == credentials.sign(1700000000000, "GET", "/v5/fills", "symbol=BTCUSD&limit=5")
    assert get[wire.H_RECV_WINDOW] == "7000" and get[wire.H_APIKEY] == "k"
    post = signer(RequestToSign("POST", "/v5/order", {}, b'{"qty":"1"}'))
    assert post[wire.H_SIGNATURE] == credentials.sign(1700000000000, "POST", "/v5/order", '{"qty":"1"}')
    assert signer(RequestToSign("POST", "/v5/auth/refresh", {}, b"{}")) == {}
    assert SyncronSigner(None, lambda: 0)(RequestToSign("GET", "/v5/time", {})) == {}


def test_posts_and_deletes_never_share_a_millisecond() -> None:
    """The venue accepts a POST/DELETE signature once: two identical cancels in one ms must differ."""
    now = [1700000000000]
    signer = SyncronSigner(SyncronCredentials("k", "s"), lambda: now[0])
    cancel = RequestToSign("DELETE", "/v5/order", {"client_order_id": "c-1"})
    stamps = [signer(cancel)[wire.H_TIMESTAMP] for _ in range(3)]
    assert stamps == ["1700000000000", "1700000000001", "1700000000002"]
    read = RequestToSign("GET", "/v5/order", {"client_order_id": "c-1"})
    assert signer(read)[wire.H_TIMESTAMP] == "1700000000000"  # reads may repeat
    now[0] -= 2_000  # a resync moved the clock back: follow it, do not run ahead of it
    assert signer(cancel)[wire.H_TIMESTAMP] == "1699999998000"


async def test_ws_auth_args_are_accepted(rest) -> None:
    execution = SyncronExecutionClient(rest=rest, ws_options=FAST_WS)
    stream = execution.order_events()
    events: list[object] = []
    task = asyncio.create_task(_drain(stream, events))
    await eventually(lambda: stream.connected)
    await rest.place_order("BTCUSD", Side.BUY, 0.001, price=50_000.0)
    await eventually(lambda: len(events) == 1)
    await execution.close()
    task.cancel()


async def _drain(stream, into: list[object]) -> None:
    async for event in stream:
        into.append(event)


async def test_a_jwt_is_issued_once_and_refreshed_before_expiry_by_one_request() -> None:
    clock = OffsetClock()
    async with running_sim(quiet_config(), clock=clock) as sim:
        refreshes: list[str] = []
        auth = sim.context.auth
        original = auth.refresh

        def counting(token: str):  # the simulator's refresh, counted
            refreshes.append(token)
            return original(token)

        auth.refresh = counting  # type: ignore[method-assign]
        client = rest_for(sim, clock=clock, auth_mode="jwt")
        await asyncio.gather(*(client.balances() for _ in range(10)))
        assert client.tokens is not None and (client.tokens.issued, client.tokens.refreshed) == (1, 0)
        clock.advance(0.8 * 900 + 1)  # past the refresh point, before expiry
        results = await asyncio.gather(*(client.balances() for _ in range(25)), client.open_orders())
        assert all(r is not None for r in results)
        assert (client.tokens.issued, client.tokens.refreshed) == (1, 1) and len(refreshes) == 1
        clock.advance(0.8 * 900 + 1)
        await asyncio.gather(*(client.positions() for _ in range(5)))
        assert (client.tokens.issued, client.tokens.refreshed) == (1, 2) and len(refreshes) == 2
        await client.close()


async def test_an_expired_token_is_renewed_and_the_request_retried() -> None:
    venue_clock = OffsetClock()
    async with running_sim(quiet_config(), clock=venue_clock) as sim:
        client = rest_for(sim, clock=OffsetClock(), auth_mode="jwt")
        await client.balances()
        venue_clock.advance(901)  # the venue's clock runs ahead: our token expired there (40105)
        assert await client.balances()
        assert client.tokens is not None and client.tokens.refreshed == 1
        await client.close()


async def test_a_spent_refresh_token_is_refused_and_the_keeper_issues_a_new_pair(sim: RunningSim) -> None:
    client = rest_for(sim)
    pair = await client.issue_token()
    assert isinstance(pair, TokenPair) and "token" not in repr(pair).replace("TokenPair", "")
    await client.refresh_token(pair.refresh_token)
    with pytest.raises(SyncronAuthError) as caught:
        await client.refresh_token(pair.refresh_token)
    assert caught.value.wire_code == 40106
    now = [0]
    calls: list[str] = []

    async def issue() -> TokenPair:
        calls.append("issue")
        return replace(pair, expires_at=now[0] + 100)

    async def refresh(token: str) -> TokenPair:
        calls.append("refresh")
        raise AuthError("spent")

    keeper = TokenKeeper(issue, refresh, lambda: now[0], refresh_at=0.5)
    assert await keeper.token() == pair.token and calls == ["issue"]
    now[0] = 60
    assert await keeper.token() == pair.token and calls == ["issue", "refresh", "issue"]
    await client.close()


async def test_a_failed_renewal_reaches_every_waiter_and_the_next_call_tries_again() -> None:
    attempts = [0]

    async def issue() -> TokenPair:
        attempts[0] += 1
        await asyncio.sleep(0.01)
        if attempts[0] == 1:
            raise SyncronAuthError("nope", detail=None)  # type: ignore[arg-type]
        return TokenPair("tok", 10**18, "ref", 10**18)

    keeper = TokenKeeper(issue, issue, lambda: 0)  # type: ignore[arg-type]
    results = await asyncio.gather(*(keeper.token() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, SyncronAuthError) for r in results) and attempts[0] == 1
    assert await keeper.token() == "tok" and attempts[0] == 2


@pytest.mark.parametrize("mode", ["hmac", "jwt"])
async def test_secrets_never_reach_logs_reprs_or_errors(
    sim: RunningSim, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    with structlog.testing.capture_logs() as logs:
        client = rest_for(sim, auth_mode=mode)
        shown += [repr(client), repr(client.credentials), repr(client.settings), repr(client.tokens)]
        await client.balances()
        await client.place_order("BTCUSD", Side.BUY, 0.001, price=50_000.0, client_order_id="sec-1")
        execution = SyncronExecutionClient(rest=client, ws_options=FAST_WS)
        stream = execution.order_events()
        events: list[object] = []
        task = asyncio.create_task(_drain(stream, events))
        await eventually(lambda: stream.connected)
        await admin(sim, "/_sim/ws/drop")
        await eventually(lambda: stream.stats.connections == 2 and stream.connected)
        shown += [repr(stream), repr(stream.stats), repr(client.tokens)]
        tokens = [client.tokens._pair.token, client.tokens._pair.refresh_token] if client.tokens else []
        wrong = rest_for(sim, api_secret="a-wrong-secret-value", api_key="sim-demo-key")
        with pytest.raises(BotkitError) as refused:
            await wrong.balances()
        shown += [str(refused.value), repr(refused.value), repr(wrong)]
        with pytest.raises(pydantic.ValidationError) as invalid:
            SyncronSettings(endpoint="ftp://nope", api_secret="another-secret-value")
        shown.append(str(invalid.value))
        await execution.close()
        task.cancel()
        await client.close()
        await wrong.close()
    text = repr(logs) + caplog.text + "\n".join(shown)
    for secret in (SECRET, "a-wrong-secret-value", "another-secret-value", *tokens):
        assert secret not in text
    assert "sim-…" in repr(client)


async def test_a_query_that_needs_escaping_is_signed_exactly_as_sent(rest) -> None:
    with pytest.raises((SyncronInvalidParameter, SyncronNotFound)) as caught:  # not 40103: the signature held
        await rest.fills("BTC USD/€&x=1")
    assert caught.value.wire_code != 40103
    with pytest.raises(SyncronNotFound):
        await rest.get_order(client_order_id="no such id")
