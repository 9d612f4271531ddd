"""Downloading price history into the archive: resumable, no duplicates, gaps reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from botkit.core.clock import NS_PER_SECOND, to_ns
from botkit.core.errors import AuthError, ConfigError
from botkit.data.archive import read_archive
from botkit.data.layout import list_days
from botkit.model.events import Price
from botkit.sim.sintra import Plan, PlanConfig, SintraSimConfig, SintraSimServer, run_sintra_sim
from botkit.venues.sintra import DownloadProgress, SintraDataClient, download_history

from .helpers import T0_NS, SimSleep, client_for, clock_at

MINUTE = 60 * NS_PER_SECOND
SINCE = "2024-05-31T21:00:00Z"  # 06:00 before T0 (2024-06-01T12:00Z), across midnight
UNTIL = "2024-06-01T03:00:00Z"
BARS = 360  # 6 hours of minutes: 15 pages of 25 (the last short of the range, not of history)


class StopAfter(Exception):
    pass


def stop_after(pages: int, seen: list[DownloadProgress]):
    def progress(p: DownloadProgress) -> None:
        seen.append(p)
        if p.done == pages:
            raise StopAfter(pages)

    return progress


def bars(root: Path, kind: str = "bars_1m") -> np.ndarray:
    return read_archive(root, "sintra", "BTCUSD", kind)


async def test_a_download_writes_one_bar_per_minute(pro: SintraDataClient, tmp_path: Path) -> None:
    seen: list[DownloadProgress] = []
    summary = await download_history(pro, tmp_path, "btcusd", "minute", since=SINCE, until=UNTIL, progress=seen.append)
    stored = bars(tmp_path)
    assert len(stored) == BARS and summary.bars_written == BARS == summary.bars_stored
    assert summary.pages == 15 and summary.gaps == () and summary.missing == 0
    assert summary.history_start is None
    assert (summary.symbol, summary.kind) == ("BTCUSD", "bars_1m")
    assert stored["ts"][0] == to_ns(SINCE) and stored["ts"][-1] == to_ns(UNTIL) - MINUTE
    assert np.all(np.diff(stored["ts"]) == MINUTE)
    for column in ("open", "high", "low"):
        assert np.array_equal(stored[column], stored["close"])
    assert not stored["volume"].any()
    assert [str(d) for d in list_days(tmp_path, "sintra", "BTCUSD", "bars_1m")] == [
        "2024-05-31",
        "2024-06-01",
    ]
    # the bars hold the venue's prices
    page = await pro.list_price_history("btcusd", date=to_ns(UNTIL), limit=3)
    assert stored["close"][-3:].tolist() == [p.price for p in page]
    # progress: done counts up to the total, which the first report already knew
    assert [p.done for p in seen] == list(range(16))
    assert {p.total for p in seen} == {15}
    assert seen[-1].eta_s == 0 and seen[-1].bars_written == BARS


async def test_an_interrupted_download_resumes_to_the_same_archive(sim: SintraSimServer, tmp_path: Path) -> None:
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    async with client_for(sim) as client:
        await download_history(client, whole, since=SINCE, until=UNTIL)
        seen: list[DownloadProgress] = []
        with pytest.raises(StopAfter):
            await download_history(client, resumed, since=SINCE, until=UNTIL, progress=stop_after(6, seen))
        assert len(bars(resumed)) == 6 * 25
        summary = await download_history(client, resumed, since=SINCE, until=UNTIL)
    assert summary.pages == 9 and summary.bars_written == BARS - 150
    assert np.array_equal(bars(resumed), bars(whole))


async def test_interruptions_while_extending_a_range_leave_no_holes(sim: SintraSimServer, tmp_path: Path) -> None:
    root, reference = tmp_path / "root", tmp_path / "reference"
    later = "2024-06-01T09:00:00Z"
    async with client_for(sim) as client:
        await download_history(client, reference, since=SINCE, until=later)
        with pytest.raises(StopAfter):
            await download_history(client, root, since=SINCE, until=UNTIL, progress=stop_after(3, []))
        # a later run asks for more recent data too, and is interrupted in the recent part
        with pytest.raises(StopAfter):
            await download_history(client, root, since=SINCE, until=later, progress=stop_after(4, []))
        summary = await download_history(client, root, since=SINCE, until=later)
        again = await download_history(client, root, since=SINCE, until=later)
    stored = bars(root)
    assert np.array_equal(stored, bars(reference))
    assert len(np.unique(stored["ts"])) == len(stored) == 12 * 60
    assert summary.gaps == () and again.pages == 0 and again.bars_written == 0


async def test_gaps_the_venue_leaves_are_reported(
    pro: SintraDataClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holes = {to_ns("2024-05-31T22:00:00Z"), to_ns("2024-05-31T22:01:00Z"), to_ns(UNTIL) - MINUTE}
    real = pro.list_price_history

    async def leaky(pair: str, *, date: int, limit: int, **kwargs: str) -> tuple[Price, ...]:
        """A venue without those times: still the ``limit`` latest entries it has before date."""
        newer = await real(pair, date=date, limit=limit, **kwargs)
        older = await real(pair, date=newer[0].ts, limit=limit, **kwargs)
        kept = [p for p in older + newer if p.ts not in holes]
        return tuple(kept[-limit:])

    monkeypatch.setattr(pro, "list_price_history", leaky)
    summary = await download_history(pro, tmp_path, since=SINCE, until=UNTIL)
    assert summary.missing == 3 and summary.bars_stored == BARS - 3
    assert [(g.start, g.end, g.missing) for g in summary.gaps] == [
        (to_ns("2024-05-31T22:00:00Z"), to_ns("2024-05-31T22:02:00Z"), 2),
        (to_ns(UNTIL) - MINUTE, to_ns(UNTIL), 1),
    ]


@pytest.mark.parametrize(("interval", "kind"), [("hour", "bars_1h"), ("day", "bars_1d")])
async def test_hour_and_day_bars(pro: SintraDataClient, tmp_path: Path, interval: str, kind: str) -> None:
    summary = await download_history(pro, tmp_path, "BTCEUR", interval, since="2024-04-01", until="2024-05-01")
    stored = read_archive(tmp_path, "sintra", "BTCEUR", kind)
    expected = 30 if interval == "day" else 30 * 24
    assert summary.kind == kind and len(stored) == expected == summary.bars_written


async def test_the_start_of_history_ends_the_download_without_gaps(pro: SintraDataClient, tmp_path: Path) -> None:
    summary = await download_history(pro, tmp_path, interval="day", since="2014-11-01", until="2015-01-10")
    assert summary.history_start == to_ns("2015-01-01")
    assert summary.bars_stored == 9 and summary.gaps == ()


async def test_the_eta_comes_from_the_rate_limit(tmp_path: Path) -> None:
    plans = {
        Plan.STARTER: PlanConfig(requests_per_window=10, ws_interval_s=10),
        Plan.PRO: PlanConfig(requests_per_window=5, ws_interval_s=1),
    }
    clock = clock_at()
    sleep = SimSleep(clock)
    seen: list[DownloadProgress] = []
    async with (
        run_sintra_sim(SintraSimConfig(plans=plans), clock=clock) as sim,
        client_for(sim, sleep=sleep) as client,
    ):
        await client.list_fees()  # learn the venue's limit of 5 a minute
        summary = await download_history(
            client,
            tmp_path,
            since="2024-05-31T20:00:00Z",
            until="2024-05-31T23:20:00Z",
            progress=seen.append,
        )
    assert summary.pages == 8 and summary.gaps == ()
    assert len(sleep.waits) == 1  # 1 + 8 requests at 5 a minute: one wait, and no 429
    first = seen[0]
    assert first.total == 8 and 55 <= first.eta_s <= 61
    assert seen[-1].eta_s == 0


async def test_it_needs_a_pro_key_and_a_sensible_range(
    starter: SintraDataClient, pro: SintraDataClient, tmp_path: Path
) -> None:
    with pytest.raises(AuthError, match="BOTKIT_SINTRA__API_KEY"):
        await download_history(starter, tmp_path, since=SINCE, until=UNTIL)
    with pytest.raises(ConfigError, match="since"):
        await download_history(pro, tmp_path, since=UNTIL, until=SINCE)
    with pytest.raises(ConfigError, match="interval"):
        await download_history(pro, tmp_path, interval="second", since=SINCE)
    assert not list(tmp_path.iterdir())


async def test_until_defaults_to_the_current_interval(pro: SintraDataClient, tmp_path: Path) -> None:
    since = T0_NS - 5 * 3_600 * NS_PER_SECOND
    summary = await download_history(pro, tmp_path, interval="hour", since=since)
    assert summary.until == T0_NS  # the clock is a little past 12:00; 12:00's bar is not over
    assert summary.bars_stored == 5 and summary.gaps == ()
