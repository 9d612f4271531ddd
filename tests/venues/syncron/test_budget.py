"""The rate budget: bursts never draw a 429, and processes sharing one budget stay under the limit.

The simulator counts requests per key in fixed windows; these tests record what it counted and
assert on counts only (never on elapsed seconds).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from botkit.core.clock import NS_PER_SECOND
from botkit.sim.syncron import RateLimitConfig, running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.venues._ratelimit import RateBudget, RateLimitInfo
from botkit.venues.syncron import MachineRateBudget, SyncronSettings, make_budget
from botkit.venues.syncron.rest import SyncronRestClient

from .helpers import OffsetClock, quiet_config, rest_for

WORKER = Path(__file__).with_name("budget_worker.py")


@dataclass
class Tally:
    """What the simulator's rate limiter saw: arrival times (ms) of allowed and refused requests."""

    allowed: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)

    def max_in_window(self, window_ms: int) -> int:
        """The most requests that arrived within any ``window_ms`` (sliding)."""
        times = sorted(self.allowed + self.refused)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= window_ms:
                start += 1
            best = max(best, end - start + 1)
        return best


def tally(sim: RunningSim) -> Tally:
    """Record every request the simulator's limiter counts."""
    limiter = sim.context.limiter
    hit = limiter.hit
    seen = Tally()

    def counting(bucket: str):
        state = hit(bucket)
        now_ms = sim.context.clock.now_ns() // 1_000_000
        (seen.allowed if state.allowed else seen.refused).append(now_ms)
        return state

    limiter.hit = counting  # type: ignore[method-assign]
    return seen


async def test_a_burst_of_1000_against_100_per_second_draws_no_429() -> None:
    clock = OffsetClock()  # budget waits move this clock, the simulator's too: no real waiting
    config = quiet_config(rate_limit=RateLimitConfig(limit=100, window_s=1.0))
    async with running_sim(config, clock=clock) as sim:
        seen = tally(sim)
        client = rest_for(sim, clock=clock, sleep=clock.sleep, rate_limit=100, rate_window_s=1.0)
        results = await asyncio.gather(*(client.ticker("BTCUSD") for _ in range(1000)))
        await client.close()
    assert len(results) == 1000
    assert len(seen.refused) == 0 and len(seen.allowed) == 1000
    assert seen.max_in_window(1000) <= 100
    assert clock.slept  # the budget did hold requests back


async def test_headers_lower_the_budget_and_a_spent_window_pauses_it() -> None:
    clock = OffsetClock()
    config = quiet_config(rate_limit=RateLimitConfig(limit=20, window_s=1.0))
    async with running_sim(config, clock=clock) as sim:
        seen = tally(sim)
        client = rest_for(sim, clock=clock, sleep=clock.sleep, rate_limit=1000, rate_window_s=1.0)
        await client.ticker("BTCUSD")
        assert client.budget.limit == 20  # X-SYNCRON-RATELIMIT-LIMIT lowered it
        await asyncio.gather(*(client.balances() for _ in range(60)))
        await client.close()
    assert len(seen.refused) == 0 and len(seen.allowed) == 61


def test_settings_pick_the_budget(tmp_path: Path) -> None:
    local = make_budget(SyncronSettings(rate_limit=7, rate_window_s=2))
    assert type(local) is RateBudget and local.limit == 7
    shared = make_budget(SyncronSettings(rate_limit=7, rate_budget="machine", rate_budget_dir=tmp_path))
    assert isinstance(shared, MachineRateBudget) and shared.path.parent == tmp_path
    assert "sim-demo" not in shared.path.name  # the file is named by a hash, never the key
    shared.close()
    shared.close()


class Tick:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000 * NS_PER_SECOND

    def now_ns(self) -> int:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += int(seconds * NS_PER_SECOND)
        await asyncio.sleep(0)


async def test_two_budgets_on_one_file_share_the_slots(tmp_path: Path) -> None:
    tick = Tick()
    one = MachineRateBudget(tmp_path / "b", 3, 10.0, name="t", clock=tick, sleep=tick.sleep)
    two = MachineRateBudget(tmp_path / "b", 3, 10.0, name="t", clock=tick, sleep=tick.sleep)
    await one.acquire()
    await two.acquire()
    one.release()
    assert one.available() == two.available() == 1
    await two.acquire()
    assert two.available() == 0
    start = tick.now
    await one.acquire()  # waits until the first slot's window has passed
    assert tick.now - start == 10 * NS_PER_SECOND
    two.block_for(5)
    assert one.available() == 0
    one.observe(RateLimitInfo(limit=2))
    assert one.limit == two.limit == 2
    for budget in (one, two):
        budget.close()


async def test_a_slot_of_a_dead_process_expires_by_itself(tmp_path: Path) -> None:
    tick = Tick()
    dead = MachineRateBudget(tmp_path / "b", 1, 1.0, name="t", clock=tick, sleep=tick.sleep, max_hold_s=5.0)
    await dead.acquire()  # and never releases
    dead.close()
    alive = MachineRateBudget(tmp_path / "b", 1, 1.0, name="t", clock=tick, sleep=tick.sleep)
    start = tick.now
    await alive.acquire()
    assert tick.now - start == 6 * NS_PER_SECOND  # window + max hold
    alive.close()


def test_a_bad_budget_directory_is_a_config_error(tmp_path: Path) -> None:
    from botkit.core.errors import ConfigError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="rate_budget_dir"):
        MachineRateBudget(blocker / "sub" / "b", 1, 1.0, name="t")


async def test_two_processes_sharing_one_budget_stay_under_the_limit(tmp_path: Path) -> None:
    limit, window_s, per_process = 25, 0.5, 60
    config = quiet_config(rate_limit=RateLimitConfig(limit=limit, window_s=window_s))
    async with running_sim(config) as sim:
        seen = tally(sim)
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, str(WORKER), sim.url, str(tmp_path), str(limit), str(window_s), str(per_process),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        outputs = [await p.communicate() for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
        assert out.decode().strip() == str(per_process)
    assert len(seen.refused) == 0 and len(seen.allowed) == 2 * per_process
    assert seen.max_in_window(int(window_s * 1000)) <= limit


@pytest.mark.parametrize("shared", [False, True])
def test_a_block_reports_how_long_it_still_runs(tmp_path: Path, shared: bool) -> None:
    clock = OffsetClock()
    settings = SyncronSettings(rate_budget="machine" if shared else "process", rate_budget_dir=tmp_path,
                               rate_window_s=60)
    budget = make_budget(settings, clock=clock)
    assert budget.blocked_for_s() == 0
    budget.block_for(10.0)
    assert budget.blocked_for_s() == pytest.approx(10.0, abs=0.05)
    clock.advance(7.0)
    assert budget.blocked_for_s() == pytest.approx(3.0, abs=0.05)
    clock.advance(4.0)
    assert budget.blocked_for_s() == 0
    if isinstance(budget, MachineRateBudget):
        budget.close()


async def test_the_retry_after_cap_is_a_setting() -> None:
    assert SyncronSettings().max_retry_after_s == 60.0
    client = SyncronRestClient(SyncronSettings(max_retry_after_s=5))
    assert client._http.max_retry_after_s == 5
    await client.close()
