"""Synthetic participants: a seeded GBM mid with clustered volatility, and a live-looking market."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from botkit.sim.syncron import AgentConfig, default_config, running_sim
from botkit.sim.syncron.agents import MidPath

from .conftest import Client, ws_recv

D = Decimal


def returns(seed: int, n: int = 20_000) -> np.ndarray:
    path = MidPath(100.0, 0.8, 0.1, 0.85, np.random.default_rng(seed))
    prices = np.array([path.step(60.0) for _ in range(n)])
    return np.diff(np.log(prices))


def test_mid_path_is_seeded_and_has_volatility_clustering():
    r = returns(1)
    assert np.array_equal(r, returns(1)) and not np.array_equal(r, returns(2))
    sq = r**2
    lag1 = np.corrcoef(sq[:-1], sq[1:])[0, 1]
    assert lag1 > 0.1  # big moves follow big moves
    per_year = r.std() * np.sqrt(365 * 1440)
    assert 0.4 < per_year < 1.6


async def test_live_market_trades_and_streams_consecutive_deltas(session):
    config = default_config().model_copy(
        update={"agents": AgentConfig(seed=5, step_s=0.02, speed=30.0, taker_rate_per_s=1.0)}
    )
    async with running_sim(config) as sim:
        client = Client(session, sim.url)
        async with session.ws_connect(sim.ws_url) as ws:
            await ws.send_json({"op": "subscribe", "args": ["book.ETHUSD", "trades.ETHUSD"]})
            assert (await ws_recv(ws))["success"] is True
            snapshot = await ws_recv(ws)
            seq = snapshot["data"]["seq"]
            assert len(snapshot["data"]["bids"]) == len(snapshot["data"]["asks"]) == 5
            deltas = trades = 0
            while deltas < 30 or trades < 3:
                msg = await ws_recv(ws, timeout=3)
                if msg["topic"] == "book.ETHUSD":
                    assert msg["data"]["seq"] == seq + 1
                    seq = msg["data"]["seq"]
                    deltas += 1
                else:
                    trades += len(msg["data"])
        book = await client.ok(
            "GET", "/v5/market/orderbook", params={"symbol": "ETHUSD"}, signed=False
        )
        assert D(book["bids"][0][0]) < D(book["asks"][0][0])
        ticker = await client.ok(
            "GET", "/v5/market/ticker", params={"symbol": "ETHUSD"}, signed=False
        )
        assert ticker["last"] is not None and D(ticker["volume_24h"]) > 0
        # a user's market order trades against the makers
        order = await client.place(symbol="ETHUSD", side="buy", type="market", qty="0.1")
        assert order["status"] == "filled"
