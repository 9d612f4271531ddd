"""Fault injection from config and from the /_sim admin routes."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest

from botkit.sim.sintra import FaultConfig, SintraSimServer, run_sintra_sim

from .helpers import PRO, T0_S, assert_error, clock_at, data_events, fetch, next_event, roomy_config

SPEED = 50.0


async def test_server_errors_from_config(http: aiohttp.ClientSession) -> None:
    config = roomy_config(faults=FaultConfig(http_error_rate=1.0))
    async with run_sintra_sim(config, clock=clock_at()) as sim:
        status, body, headers = await fetch(http, f"{sim.base_url}/prices")
        assert_error(status, body, 500, "INTERNAL_ERROR")
        assert body["type"] == "InternalServerError"
        assert "X-RateLimit-Remaining" in headers
        # the admin routes keep working, and reset to the configured faults
        status, faults, _ = await fetch(http, f"{sim.admin_url}/faults")
        assert status == 200 and faults["http_error_rate"] == 1.0
        await fetch(http, f"{sim.admin_url}/faults", method="POST", json={"http_error_rate": 0})
        assert (await fetch(http, f"{sim.base_url}/prices"))[0] == 200
        await fetch(http, f"{sim.admin_url}/faults", method="DELETE")
        assert (await fetch(http, f"{sim.base_url}/prices"))[0] == 500


async def test_a_fraction_of_requests_fail_with_the_chosen_status(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    change = {"http_error_rate": 0.5, "http_error_status": 503, "seed": 1}
    status, faults, _ = await fetch(http, f"{sim.admin_url}/faults", method="POST", json=change)
    assert status == 200 and faults["http_error_status"] == 503
    statuses = [(await fetch(http, f"{sim.base_url}/fees"))[:2] for _ in range(40)]
    failures = [body for code, body in statuses if code == 503]
    assert 5 < len(failures) < 35
    assert failures[0]["type"] == "ServiceUnavailableError"
    assert failures[0]["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize(
    "body",
    ['{"http_error_rate": 2}', '{"no_such_fault": 1}', "not json", "[1, 2]"],
)
async def test_bad_fault_changes_are_400(
    sim: SintraSimServer, http: aiohttp.ClientSession, body: str
) -> None:
    status, answer, _ = await fetch(
        http,
        f"{sim.admin_url}/faults",
        method="POST",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert_error(status, answer, 400, "INVALID_BODY")


async def test_latency(sim: SintraSimServer, http: aiohttp.ClientSession) -> None:
    await fetch(http, f"{sim.admin_url}/faults", method="POST", json={"latency_s": 0.2})
    started = time.monotonic()
    assert (await fetch(http, f"{sim.base_url}/exchanges"))[0] == 200
    assert time.monotonic() - started >= 0.2


async def test_missing_currencies_are_left_out_of_prices_and_data(
    http: aiohttp.ClientSession,
) -> None:
    config = roomy_config(faults=FaultConfig(missing_currencies=("gbp", "jpy")))
    async with run_sintra_sim(config, clock=clock_at(speed=SPEED)) as sim:
        _, prices, _ = await fetch(http, f"{sim.base_url}/prices")
        assert "usd" in prices and "gbp" not in prices and "jpy" not in prices
        assert (await fetch(http, f"{sim.base_url}/prices/btcgbp"))[0] == 200
        async with http.ws_connect(sim.ws_url) as ws:
            await next_event(ws)
            (event,) = await data_events(ws, 1)
        assert "gbp" not in event["data"] and "usd" in event["data"]


async def test_ws_drop_after_n_events_cuts_the_connection(http: aiohttp.ClientSession) -> None:
    config = roomy_config(faults=FaultConfig(ws_drop_after=2))
    async with (
        run_sintra_sim(config, clock=clock_at(speed=SPEED)) as sim,
        http.ws_connect(sim.ws_url) as ws,
    ):
        assert (await next_event(ws))["event"] == "connection"
        await data_events(ws, 2)
        message = await ws.receive(timeout=5)
        assert message.type is aiohttp.WSMsgType.CLOSED
        assert ws.close_code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE


async def test_ws_drop_rate_one_drops_before_any_data(http: aiohttp.ClientSession) -> None:
    config = roomy_config(faults=FaultConfig(ws_drop_rate=1.0))
    async with (
        run_sintra_sim(config, clock=clock_at(speed=SPEED)) as sim,
        http.ws_connect(sim.ws_url) as ws,
    ):
        assert (await next_event(ws))["event"] == "connection"
        assert (await ws.receive(timeout=5)).type is aiohttp.WSMsgType.CLOSED


async def test_admin_drops_every_open_websocket(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(sim.ws_url) as first, http.ws_connect(sim.ws_url) as second:
        await next_event(first)
        await next_event(second)
        status, body, _ = await fetch(http, f"{sim.admin_url}/ws/drop", method="POST")
        assert status == 200 and body == {"dropped": 2}
        for ws in (first, second):
            message = await ws.receive(timeout=5)
            assert message.type is aiohttp.WSMsgType.CLOSED
            assert ws.close_code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE


def _is_well_formed_data(text: str) -> bool:
    try:
        event = json.loads(text)
    except json.JSONDecodeError:
        return False
    if not isinstance(event, dict) or event.get("event") != "data":
        return False
    data = event.get("data")
    return isinstance(data, dict) and all(
        isinstance(v, dict)
        and isinstance(v.get("price"), float | int)
        and isinstance(v.get("timestamp"), int)
        for v in data.values()
    )


async def test_malformed_events(http: aiohttp.ClientSession) -> None:
    config = roomy_config(faults=FaultConfig(ws_malformed_rate=1.0))
    async with (
        run_sintra_sim(config, clock=clock_at(speed=SPEED * 10)) as sim,
        http.ws_connect(sim.ws_url) as ws,
    ):
        assert (await next_event(ws))["event"] == "connection"
        texts = [(await ws.receive(timeout=5)).data for _ in range(6)]
    assert not any(_is_well_formed_data(t) for t in texts)
    assert len(set(texts)) == 6, "the malformed shapes vary"


async def test_admin_moves_the_clock(sim: SintraSimServer, http: aiohttp.ClientSession) -> None:
    status, body, _ = await fetch(
        http, f"{sim.admin_url}/clock/advance", method="POST", json={"seconds": 3_600}
    )
    assert status == 200 and body["now"] >= T0_S + 3_600
    _, price, _ = await fetch(http, f"{sim.base_url}/prices/btcusd")
    assert price["timestamp"] >= T0_S + 3_600
    status, answer, _ = await fetch(
        http, f"{sim.admin_url}/clock/advance", method="POST", json={"seconds": -1}
    )
    assert_error(status, answer, 400, "INVALID_BODY")


async def test_admin_routes_need_no_key_and_do_not_count(http: aiohttp.ClientSession) -> None:
    async with run_sintra_sim(roomy_config(), clock=clock_at()) as sim:
        for _ in range(3):
            _, _, headers = await fetch(http, f"{sim.admin_url}/faults")
            assert "X-RateLimit-Limit" not in headers
        status, _, _ = await fetch(http, f"{sim.base_url}/fees/history", PRO)
        assert status == 200
