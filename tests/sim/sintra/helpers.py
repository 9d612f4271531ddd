"""Helpers shared by the Sintra simulator tests (plain aiohttp on the client side)."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp

from botkit.core.clock import NS_PER_SECOND
from botkit.sim.sintra import DEMO_API_KEY, Plan, PlanConfig, ScaledClock, SintraSimConfig

T0_S = 1_717_243_200  # 2024-06-01T12:00:00Z: tests start the simulator clock here


def basic(username: str, password: str = "") -> dict[str, str]:
    """An Authorization header for HTTP Basic, built by hand (the colon is always sent)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


PRO = basic(DEMO_API_KEY)


def roomy_config(**overrides: Any) -> SintraSimConfig:
    """The documented defaults, but with a Starter limit tests do not trip over by accident."""
    plans = {
        Plan.STARTER: PlanConfig(requests_per_window=10_000, ws_interval_s=10),
        Plan.PRO: PlanConfig(requests_per_window=10_000, ws_interval_s=1),
    }
    return SintraSimConfig(**{"plans": plans, **overrides})


def clock_at(start_s: int = T0_S, speed: float = 1.0) -> ScaledClock:
    """A simulator clock starting at ``start_s``."""
    return ScaledClock(start_ns=start_s * NS_PER_SECOND, speed=speed)


async def fetch(
    http: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    **kwargs: Any,
) -> tuple[int, Any, dict[str, str]]:
    """Status, decoded JSON body and headers of one request."""
    async with http.request(method, url, headers=headers, **kwargs) as response:
        return response.status, await response.json(), dict(response.headers)


def assert_error(status: int, body: Any, expected_status: int, code: str | None) -> None:
    """The documented error body: status_code, message, type and (if any) code."""
    assert status == expected_status, body
    assert body["status_code"] == expected_status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["type"], str) and body["type"].endswith("Error")
    if code is None:
        assert "code" not in body or isinstance(body["code"], str)
    else:
        assert body["code"] == code


async def next_event(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> Any:
    """The next text message of a WebSocket, decoded from JSON."""
    message = await ws.receive(timeout=timeout)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


async def data_events(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[Any]:
    """The next ``count`` ``data`` events, failing on anything else."""
    events = [await next_event(ws) for _ in range(count)]
    assert all(event["event"] == "data" for event in events), events
    return events


def event_times(events: list[Any]) -> list[int]:
    """The (single) timestamp of each data event."""
    times = []
    for event in events:
        stamps = {entry["timestamp"] for entry in event["data"].values()}
        assert len(stamps) == 1
        times.append(stamps.pop())
    return times
