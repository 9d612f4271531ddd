"""Fixtures for the Sintra client tests: a real simulator on 127.0.0.1, clients of it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from botkit.sim.sintra import SintraSimServer, run_sintra_sim
from botkit.venues.sintra import SintraDataClient

from .helpers import client_for, clock_at, roomy_config


@pytest.fixture(autouse=True)
def _no_sintra_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read BOTKIT_SINTRA__* from the environment: keep the developer's out of tests."""
    for name in list(os.environ):
        if name.upper().startswith("BOTKIT_SINTRA__"):
            monkeypatch.delenv(name)


@pytest.fixture
async def sim() -> AsyncIterator[SintraSimServer]:
    async with run_sintra_sim(roomy_config(), clock=clock_at()) as server:
        yield server


@pytest.fixture
async def pro(sim: SintraSimServer) -> AsyncIterator[SintraDataClient]:
    async with client_for(sim) as client:
        yield client


@pytest.fixture
async def starter(sim: SintraSimServer) -> AsyncIterator[SintraDataClient]:
    async with client_for(sim, key=None) as client:
        yield client
