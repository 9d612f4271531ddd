"""Price and fee history: validation, paging with date + sort + limit, reproducibility."""

from __future__ import annotations

import aiohttp
import pytest

from botkit.sim.sintra import SintraSimServer, run_sintra_sim
from botkit.sim.sintra.config import HISTORY_START_S

from .helpers import PRO, T0_S, assert_error, clock_at, fetch, roomy_config

STEP = {"minute": 60, "hour": 3_600, "day": 86_400}


@pytest.mark.parametrize("limit", ["0", "26", "100", "-1", "ten", "2.5", ""])
async def test_limit_must_be_1_to_25(
    sim: SintraSimServer, http: aiohttp.ClientSession, limit: str
) -> None:
    for path in ("/prices/btcusd/history", "/fees/history"):
        status, body, _ = await fetch(http, f"{sim.base_url}{path}?limit={limit}", PRO)
        assert_error(status, body, 400, "INVALID_LIMIT")


async def test_limit_defaults_to_10_and_allows_25(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    for path in ("/prices/btcusd/history", "/fees/history"):
        assert len((await fetch(http, sim.base_url + path, PRO))[1]) == 10
        assert len((await fetch(http, f"{sim.base_url}{path}?limit=25", PRO))[1]) == 25


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("sort=up", "INVALID_SORT"),
        ("interval=week", "INVALID_INTERVAL"),
        (f"date={T0_S * 1000}", "INVALID_DATE"),
        ("date=-5", "INVALID_DATE"),
        (f"date={T0_S}.5", "INVALID_DATE"),
        ("date=2024-06-01", "INVALID_DATE"),
    ],
)
async def test_bad_parameters_are_400(
    sim: SintraSimServer, http: aiohttp.ClientSession, query: str, code: str
) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/prices/btcusd/history?{query}", PRO)
    assert_error(status, body, 400, code)
    assert body["type"] == "BadRequestError"


async def test_history_of_an_unsupported_pair_is_404(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/prices/btcnzd/history", PRO)
    assert_error(status, body, 404, "PAIR_NOT_FOUND")


@pytest.mark.parametrize("interval", ["minute", "hour", "day"])
@pytest.mark.parametrize("sort", ["asc", "desc"])
async def test_pages_walked_back_by_date_neither_overlap_nor_skip(
    sim: SintraSimServer, http: aiohttp.ClientSession, interval: str, sort: str
) -> None:
    step = STEP[interval]
    date = 1_650_000_000
    stamps: list[int] = []
    for _ in range(4):
        url = (
            f"{sim.base_url}/prices/btcusd/history"
            f"?interval={interval}&sort={sort}&limit=7&date={date}"
        )
        status, page, _ = await fetch(http, url, PRO)
        assert status == 200 and len(page) == 7
        times = [entry["timestamp"] for entry in page]
        assert times == sorted(times, reverse=sort == "desc")
        assert all(t < date and t % step == 0 for t in times)
        if stamps:
            assert max(times) == min(stamps) - step, "adjacent pages touch"
        else:
            assert max(times) + step >= date, "the first page starts right below the date"
        stamps += times
        date = min(times)
    assert sorted(stamps) == list(range(min(stamps), max(stamps) + 1, step))


async def test_asc_and_desc_are_the_same_entries_reversed(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    base = f"{sim.base_url}/prices/btcgbp/history?interval=hour&limit=25&date=1650000000"
    _, asc, _ = await fetch(http, base + "&sort=asc", PRO)
    _, desc, _ = await fetch(http, base + "&sort=desc", PRO)
    assert asc == desc[::-1]


async def test_intervals_agree_where_their_grids_meet(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    midnight = 1_650_067_200  # 2022-04-16T00:00:00Z
    url = f"{sim.base_url}/prices/btcusd/history?limit=1&date={midnight + 1}&interval="
    prices = {iv: (await fetch(http, url + iv, PRO))[1][0] for iv in STEP}
    assert {p["timestamp"] for p in prices.values()} == {midnight}
    assert len({p["price"] for p in prices.values()}) == 1


async def test_any_date_years_back_is_served_and_reproducible(
    http: aiohttp.ClientSession,
) -> None:
    url = "/prices/btcusd/history?interval=day&limit=25&date=1483228800"  # 2017-01-01
    async with run_sintra_sim(roomy_config(seed=9), clock=clock_at()) as one:
        _, first, _ = await fetch(http, one.base_url + url, PRO)
    async with run_sintra_sim(roomy_config(seed=9), clock=clock_at(T0_S + 86_400 * 300)) as two:
        _, second, _ = await fetch(http, two.base_url + url, PRO)
    async with run_sintra_sim(roomy_config(seed=10), clock=clock_at()) as three:
        _, other, _ = await fetch(http, three.base_url + url, PRO)
    assert len(first) == 25 and first == second
    assert [e["timestamp"] for e in other] == [e["timestamp"] for e in first]
    assert [e["price"] for e in other] != [e["price"] for e in first]


async def test_history_stops_at_its_start_and_at_now(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    url = f"{sim.base_url}/prices/btcusd/history?interval=day&limit=25&date="
    _, early, _ = await fetch(http, url + str(HISTORY_START_S + 3 * 86_400), PRO)
    assert [e["timestamp"] for e in early] == [HISTORY_START_S + i * 86_400 for i in range(3)]
    _, none, _ = await fetch(http, url + str(HISTORY_START_S), PRO)
    assert none == []
    _, future, _ = await fetch(http, url + str(T0_S + 10 * 86_400), PRO)
    _, now, _ = await fetch(http, url.removesuffix("&date="), PRO)
    assert future == now and now[-1]["timestamp"] == T0_S // 86_400 * 86_400


async def test_fee_history_is_hourly_and_pages_like_prices(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    date = 1_650_000_000
    _, first, _ = await fetch(http, f"{sim.base_url}/fees/history?limit=5&date={date}", PRO)
    oldest = first[0]["timestamp"]
    _, second, _ = await fetch(
        http, f"{sim.base_url}/fees/history?limit=5&sort=desc&date={oldest}", PRO
    )
    times = [e["timestamp"] for e in second[::-1] + first]
    assert times == list(range(times[0], times[0] + 10 * 3_600, 3_600))
    for entry in first + second:
        assert [f["priority"] for f in entry["fees"]] == ["low", "medium", "high"]
        rates = [f["fee"] for f in entry["fees"]]
        assert rates == sorted(rates)
