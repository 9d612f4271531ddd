"""The token never shows: not in logs, reprs or error messages, whatever happens."""

from __future__ import annotations

import asyncio
import base64
import logging
from pathlib import Path

import pydantic
import pytest
import structlog
from aiohttp import web

from botkit.core.errors import BotkitError
from botkit.sim.sintra import SintraSimServer, run_sintra_sim
from botkit.venues._ws import WsOptions
from botkit.venues.sintra import AuthForm, SintraDataClient, SintraSettings, download_history

from .helpers import DEMO_TOKEN, client_for, clock_at, roomy_config

WRONG_TOKEN = "wrong-but-still-secret"


def secrets_of(*tokens: str) -> list[str]:
    """The tokens and the Basic header payloads that would carry them."""
    out = list(tokens)
    for token in tokens:
        for pair in (f"demo.{token}:", f"demo:{token}"):
            out.append(base64.b64encode(pair.encode()).decode())
    return out


@pytest.mark.parametrize("form", list(AuthForm))
async def test_the_token_is_never_logged_or_shown(
    sim: SintraSimServer, form: AuthForm, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with structlog.testing.capture_logs() as logs:
        async with client_for(sim, form=form) as client:
            seen.append(repr(client))
            seen.append(repr(client.credentials))
            seen.append(repr(client.settings))
            await client.list_prices()
            await client.list_fee_history(limit=1)
            await download_history(client, tmp_path, interval="hour", since="2024-05-30", until="2024-05-31")
            session = await client.create_session()
            seen.append(repr(session))
            stream = client.stream_prices(options=WsOptions(heartbeat_s=None))
            await asyncio.wait_for(anext(stream), 15)
            seen.append(repr(stream.stats))
            sim.state.faults.update({"http_error_rate": 1.0})
            with pytest.raises(BotkitError) as caught:
                await client.list_fees()
            seen.append(str(caught.value))
            seen.append(repr(caught.value))
        async with client_for(sim, key=f"demo.{WRONG_TOKEN}", form=form) as wrong:
            sim.state.faults.reset()
            with pytest.raises(BotkitError) as refused:
                await wrong.list_fees()
            seen.append(str(refused.value))
            seen.append(repr(wrong))
    text = "\n".join([*seen, repr(logs), caplog.text])
    for secret in secrets_of(DEMO_TOKEN, WRONG_TOKEN, session.session_id):
        assert secret not in text
    assert "demo" in text  # the key id may be shown
    assert any(entry["event"] == "sintra.request" for entry in logs)


async def test_a_secret_echoed_by_the_venue_is_redacted() -> None:
    """Were the venue to quote the key back in an error message, it would not travel on."""

    async def echo(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        body = {"status_code": 401, "message": f"bad key {header}", "type": "UnauthorizedError"}
        return web.json_response(body, status=401)

    app = web.Application()
    app.router.add_get("/v1/fees", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with client_for_url(f"http://{host}:{port}/v1") as client:
            with pytest.raises(BotkitError) as caught:
                await client.list_fees()
    finally:
        await runner.cleanup()
    assert "bad key Basic ***" in str(caught.value)
    for secret in secrets_of(DEMO_TOKEN):
        assert secret not in str(caught.value)


def client_for_url(url: str) -> SintraDataClient:
    return SintraDataClient(SintraSettings(endpoint=url, api_key=f"demo.{DEMO_TOKEN}"))


async def test_settings_errors_do_not_echo_the_key() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        SintraSettings(api_key=f"demo.{DEMO_TOKEN}", timeout_s=-1)
    assert DEMO_TOKEN not in str(caught.value)
    async with run_sintra_sim(roomy_config(), clock=clock_at()) as sim:
        assert DEMO_TOKEN not in repr(client_for(sim))
