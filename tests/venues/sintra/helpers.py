"""Helpers for the Sintra client tests: simulator configs, clients on the simulator's clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from botkit.core.clock import NS_PER_SECOND
from botkit.sim.sintra import DEMO_API_KEY, Plan, PlanConfig, ScaledClock, SintraSimConfig
from botkit.sim.sintra.app import SintraSimServer
from botkit.venues.sintra import AuthForm, SintraDataClient, SintraSettings

T0_S = 1_717_243_200  # 2024-06-01T12:00:00Z: the simulator clock starts here
T0_NS = T0_S * NS_PER_SECOND
DEMO_TOKEN = DEMO_API_KEY.split(".", 1)[1]
SUPPORTED = {"usd", "eur", "gbp", "jpy", "cad", "aud", "chf"}


def roomy_config(**overrides: Any) -> SintraSimConfig:
    """The documented simulator, but with limits tests do not trip over by accident."""
    plans = {
        Plan.STARTER: PlanConfig(requests_per_window=10_000, ws_interval_s=10),
        Plan.PRO: PlanConfig(requests_per_window=10_000, ws_interval_s=1),
    }
    return SintraSimConfig(**{"plans": plans, **overrides})


def clock_at(start_s: int = T0_S, speed: float = 1.0) -> ScaledClock:
    """A simulator clock starting at ``start_s``."""
    return ScaledClock(start_ns=start_s * NS_PER_SECOND, speed=speed)


class SimSleep:
    """A sleep that moves the simulator clock instead of waiting, and remembers each wait."""

    def __init__(self, clock: ScaledClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(max(seconds, 0.0))
        await asyncio.sleep(0)


def settings_for(
    sim: SintraSimServer,
    key: str | None = DEMO_API_KEY,
    form: AuthForm = AuthForm.KEY_AS_USERNAME,
    **overrides: Any,
) -> SintraSettings:
    """Settings pointing at the simulator."""
    return SintraSettings(endpoint=sim.base_url, api_key=key, auth_form=form, **overrides)


def client_for(
    sim: SintraSimServer,
    key: str | None = DEMO_API_KEY,
    form: AuthForm = AuthForm.KEY_AS_USERNAME,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    **overrides: Any,
) -> SintraDataClient:
    """A client of the simulator, on the simulator's clock, whose waits advance that clock."""
    return SintraDataClient(
        settings_for(sim, key, form, **overrides),
        clock=sim.clock,
        sleep=sleep if sleep is not None else SimSleep(sim.clock),
    )
