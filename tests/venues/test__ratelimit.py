"""The client-side rate budget, on a fake clock: it never lets more than the limit through."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import ConfigError
from botkit.venues._ratelimit import RateBudget, RateLimitInfo


class FakeTime:
    """A clock and a sleep that moves it."""

    def __init__(self, start_s: float = 1_000.0) -> None:
        self.now = int(start_s * NS_PER_SECOND)
        self.slept: list[float] = []

    def now_ns(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += round(seconds * NS_PER_SECOND)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)


def budget(t: FakeTime, limit: int = 3, window_s: float = 10.0, **kw: float) -> RateBudget:
    return RateBudget(limit, window_s, name="test", clock=t, sleep=t.sleep, **kw)


async def request(b: RateBudget, t: FakeTime, latency_s: float = 0.0) -> float:
    """One request through the budget; returns when it was sent."""
    async with b.slot():
        sent = t.now / NS_PER_SECOND
        t.advance(latency_s)
    return sent


async def test_the_request_over_the_limit_waits_a_window_after_the_first_response() -> None:
    t = FakeTime()
    b = budget(t)
    sent = [await request(b, t, latency_s=0.5) for _ in range(4)]
    assert sent[:3] == [1_000.0, 1_000.5, 1_001.0]
    assert sent[3] == pytest.approx(1_000.5 + 10)  # the first response came at 1000.5
    assert t.slept == [pytest.approx(9.0)]  # asked when the third response came, at 1001.5


async def test_a_margin_lengthens_the_window() -> None:
    t = FakeTime()
    b = budget(t, limit=1, margin_s=0.5)
    await request(b, t)
    assert await request(b, t) == pytest.approx(1_010.5)


async def test_requests_in_flight_hold_their_slots() -> None:
    t = FakeTime()
    b = budget(t, limit=2)
    await b.acquire()
    await b.acquire()
    third = asyncio.create_task(b.acquire())
    await asyncio.sleep(0.01)
    assert not third.done() and t.slept == []  # only a response can free a slot...
    t.advance(1)
    b.release()
    await asyncio.wait_for(third, 1)
    assert t.slept == [pytest.approx(10)]  # ...and only a window after it came


async def test_headers_tighten_but_never_loosen() -> None:
    t = FakeTime()
    b = budget(t, limit=5)
    b.observe(RateLimitInfo(limit=50, remaining=49))
    assert b.limit == 5
    b.observe(RateLimitInfo(limit=2, remaining=1))
    assert b.limit == 2
    b.observe(RateLimitInfo(limit=2, remaining=0, reset_at_s=1_004.0))
    assert b.available() == 0
    assert await request(b, t) == pytest.approx(1_004.0)


async def test_a_reset_far_away_is_capped_at_one_window() -> None:
    t = FakeTime()
    b = budget(t)
    b.observe(RateLimitInfo(remaining=0, reset_at_s=99_999.0))  # clocks disagree wildly
    assert await request(b, t) == pytest.approx(1_010.0)


async def test_block_for_holds_every_request() -> None:
    t = FakeTime()
    b = budget(t)
    b.block_for(3)
    assert await request(b, t) == pytest.approx(1_003.0)


def test_eta_counts_windows() -> None:
    t = FakeTime()
    b = budget(t, limit=3)
    assert b.eta_s(0) == 0 and b.eta_s(3) == 0
    assert b.eta_s(4) == pytest.approx(10)
    assert b.eta_s(7) == pytest.approx(20)
    b.block_for(2)
    assert b.eta_s(1) == pytest.approx(2)


async def test_eta_after_requests() -> None:
    t = FakeTime()
    b = budget(t, limit=3)
    for _ in range(3):
        await request(b, t, latency_s=1)
    # slots free at 1011, 1012, 1013 (responses at 1001, 1002, 1003); now is 1003
    assert b.eta_s(1) == pytest.approx(8)
    assert b.eta_s(3) == pytest.approx(10)
    assert b.eta_s(4) == pytest.approx(18)


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (True, 1.0), (1.5, 1.0), (1, 0.0)])
def test_bad_budgets_are_config_errors(limit: object, window: float) -> None:
    with pytest.raises(ConfigError):
        RateBudget(limit, window, name="test")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 5),
    latencies=st.lists(st.floats(0, 3), min_size=1, max_size=40),
    gaps=st.lists(st.floats(0, 4), min_size=40, max_size=40),
)
def test_no_window_anywhere_can_hold_more_than_the_limit(limit: int, latencies: list[float], gaps: list[float]) -> None:
    """The venue receives each request somewhere between its sending and its response.

    Whatever those instants are, and wherever the venue's window starts, a window of 10 s meets
    at most ``limit`` requests' [sent, answered] spans.
    """

    async def run() -> list[tuple[float, float]]:
        t = FakeTime(0)
        b = budget(t, limit=limit, window_s=10)
        spans = []
        for latency, gap in zip(latencies, gaps, strict=False):
            t.advance(gap)
            sent = await request(b, t, latency)
            spans.append((sent, t.now / NS_PER_SECOND))
        return spans

    spans = asyncio.run(run())
    starts = {x for span in spans for x in span} | {sent - 10 + 1e-6 for sent, _ in spans}
    for start in starts:
        met = [1 for sent, answered in spans if sent < start + 10 - 1e-6 and answered >= start]
        assert len(met) <= limit, (start, spans)
