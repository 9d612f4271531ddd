"""The plan's rate limit from the client's side: it waits rather than letting a 429 through."""

from __future__ import annotations

import aiohttp
import pytest
import structlog
from pydantic import SecretStr

from botkit.sim.sintra import (
    ApiKeyConfig,
    Plan,
    PlanConfig,
    SintraSimConfig,
    run_sintra_sim,
)

from .helpers import T0_S, SimSleep, client_for, clock_at


def statuses(logs: list[dict[str, object]]) -> list[object]:
    return [entry["status"] for entry in logs if entry["event"] == "sintra.request"]


async def test_the_eleventh_starter_request_in_a_minute_waits() -> None:
    clock = clock_at()
    sleep = SimSleep(clock)
    async with (
        run_sintra_sim(SintraSimConfig(), clock=clock) as sim,
        client_for(sim, key=None, sleep=sleep) as client,
    ):
        with structlog.testing.capture_logs() as logs:
            for _ in range(10):
                await client.list_fees()
            assert sleep.waits == [] and client.budget.available() == 0
            await client.list_fees()
    assert statuses(logs) == [200] * 11, "no 429 was ever sent"
    (wait,) = sleep.waits
    assert 59 <= wait <= 61.5
    assert clock.now_s() >= T0_S + 60
    assert [e for e in logs if e["event"] == "sintra.rate_wait"]


async def test_the_pro_budget_is_250_a_minute(sim) -> None:
    async with client_for(sim) as client:
        assert client.budget.limit == 250 and client.plan.value == "pro"
    async with client_for(sim, key=None) as client:
        assert client.budget.limit == 10 and client.plan.value == "starter"


async def test_a_429_caused_by_someone_else_on_the_ip_is_waited_out() -> None:
    clock = clock_at()
    sleep = SimSleep(clock)
    async with run_sintra_sim(SintraSimConfig(), clock=clock) as sim:
        async with aiohttp.ClientSession() as other:  # another process behind the same IP
            for _ in range(10):
                async with other.get(f"{sim.base_url}/fees") as answer:
                    assert answer.status == 200
        async with client_for(sim, key=None, sleep=sleep) as client:
            with structlog.testing.capture_logs() as logs:
                fees = await client.list_fees()
    assert len(fees) == 3
    assert statuses(logs) == [429, 200]
    assert 1 <= sleep.waits[0] <= 60  # Retry-After, in the simulator's seconds


async def test_a_lower_limit_reported_by_the_venue_tightens_the_budget() -> None:
    plans = {
        Plan.STARTER: PlanConfig(requests_per_window=10, ws_interval_s=10),
        Plan.PRO: PlanConfig(requests_per_window=4, ws_interval_s=1),
    }
    clock = clock_at()
    sleep = SimSleep(clock)
    async with (
        run_sintra_sim(SintraSimConfig(plans=plans), clock=clock) as sim,
        client_for(sim, sleep=sleep) as client,
    ):
        with structlog.testing.capture_logs() as logs:
            for _ in range(9):
                await client.list_fees()
        assert client.budget.limit == 4
    assert statuses(logs) == [200] * 9
    assert len(sleep.waits) == 2 and all(55 <= w <= 61.5 for w in sleep.waits)


@pytest.mark.parametrize("form", ["key_as_username", "id_and_token"])
async def test_an_invalid_key_is_counted_as_starter_by_the_venue(form: str) -> None:
    keys = (ApiKeyConfig(id="k", token=SecretStr("t")),)
    clock = clock_at()
    async with (
        run_sintra_sim(SintraSimConfig(keys=keys), clock=clock) as sim,
        client_for(sim, key="k.wrong", form=form, plan="pro") as client,
    ):
        for _ in range(3):
            with pytest.raises(Exception, match="API_KEY_INVALID"):
                await client.list_fees()
        assert client.budget.limit == 10  # the venue said so in X-RateLimit-Limit
