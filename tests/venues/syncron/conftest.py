"""Fixtures for the Syncron client tests: a real simulator on 127.0.0.1, clients of it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from botkit.sim.syncron import running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.venues.syncron import SyncronRestClient

from .helpers import maker_for, quiet_config, rest_for


@pytest.fixture(autouse=True)
def _no_syncron_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read BOTKIT_SYNCRON__* from the environment: keep the developer's out of tests."""
    for name in list(os.environ):
        if name.upper().startswith("BOTKIT_SYNCRON__"):
            monkeypatch.delenv(name)


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim(quiet_config()) as running:
        yield running


@pytest.fixture
async def rest(sim: RunningSim) -> AsyncIterator[SyncronRestClient]:
    client = rest_for(sim)
    yield client
    await client.close()


@pytest.fixture
async def maker(sim: RunningSim) -> AsyncIterator[SyncronRestClient]:
    client = maker_for(sim)
    yield client
    await client.close()
