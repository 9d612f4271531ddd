"""Starting and stopping the simulator: the test helper, serve() for the CLI, the public API."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from pydantic import ValidationError

import botkit.sim.sintra as sintra
from botkit.sim.sintra import Plan, PlanConfig, SintraSimConfig, run_sintra_sim, serve

from .helpers import PRO, clock_at, fetch, roomy_config


def test_the_public_api_is_exactly_this() -> None:
    assert sorted(sintra.__all__) == sorted(
        [
            "DEMO_API_KEY",
            "ApiKeyConfig",
            "FaultConfig",
            "Plan",
            "PlanConfig",
            "PriceModelConfig",
            "ScaledClock",
            "SintraSimConfig",
            "SintraSimServer",
            "create_app",
            "run_sintra_sim",
            "serve",
        ]
    )
    assert sintra.DEMO_API_KEY == "demo.sintra-sim-demo-token"


async def test_run_sintra_sim_gives_loopback_urls(http: aiohttp.ClientSession) -> None:
    async with run_sintra_sim(roomy_config(), clock=clock_at()) as sim:
        assert sim.base_url.startswith("http://127.0.0.1:") and sim.base_url.endswith("/v1")
        assert sim.ws_url == sim.base_url.replace("http", "ws").removesuffix("/v1") + "/ws"
        assert (await fetch(http, f"{sim.base_url}/pairs"))[0] == 200
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(http, f"{sim.base_url}/pairs")


async def test_admin_routes_can_be_switched_off(http: aiohttp.ClientSession) -> None:
    async with run_sintra_sim(roomy_config(admin_enabled=False), clock=clock_at()) as sim:
        assert (await fetch(http, f"{sim.admin_url}/faults"))[0] == 404


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_serve_runs_until_cancelled(http: aiohttp.ClientSession) -> None:
    port = _free_port()
    task = asyncio.create_task(serve("127.0.0.1", port, config=roomy_config()))
    url = f"http://127.0.0.1:{port}/v1/fees/history"
    for _ in range(100):
        try:
            status, body, _ = await fetch(http, url, PRO)
            break
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.02)
    else:
        pytest.fail("serve() never answered")
    assert status == 200 and len(body) == 10
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(http, url, PRO)


def test_config_refuses_what_cannot_work() -> None:
    with pytest.raises(ValidationError):
        SintraSimConfig(plans={Plan.PRO: PlanConfig(requests_per_window=1, ws_interval_s=1)})
    with pytest.raises(ValidationError):
        SintraSimConfig(currencies={"eur": 0.9})
    with pytest.raises(ValidationError):
        SintraSimConfig(speed=0)
