"""Fixtures for the Sintra simulator tests: a real server on 127.0.0.1, plain aiohttp clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from botkit.sim.sintra import SintraSimServer, run_sintra_sim

from .helpers import clock_at, roomy_config


@pytest.fixture
async def sim() -> AsyncIterator[SintraSimServer]:
    async with run_sintra_sim(roomy_config(), clock=clock_at()) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session
