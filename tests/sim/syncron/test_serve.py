"""``serve()``, the coroutine behind ``botkit sim syncron``: starts, answers, stops cleanly."""

from __future__ import annotations

import asyncio

import aiohttp

from botkit.sim.syncron import serve
from botkit.sim.syncron.app import RunningSim


async def test_serve_runs_until_stopped():
    stop = asyncio.Event()
    ready: asyncio.Future[RunningSim] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(
            "127.0.0.1",
            0,
            ["BTCUSD", "SOLUSDT"],
            speed=5.0,
            seed=1,
            stop=stop,
            on_ready=ready.set_result,
        )
    )
    sim = await asyncio.wait_for(ready, 5)
    async with (
        aiohttp.ClientSession() as session,
        session.get(sim.url + "/v5/market/instruments") as r,
    ):
        data = (await r.json())["data"]
    assert [(i["symbol"], i["base"], i["quote"]) for i in data] == [
        ("BTCUSD", "BTC", "USD"),
        ("SOLUSDT", "SOL", "USDT"),
    ]
    assert sim.context.config.agents.speed == 5.0
    stop.set()
    await asyncio.wait_for(task, 5)
