"""The live engine with Sintra as the reference feed: both simulators on loopback, real sockets."""

from __future__ import annotations

from typing import ClassVar

from botkit.live.build import build_engine
from botkit.model.events import Price, Quote
from botkit.sim.sintra import PriceModelConfig, ScaledClock, SintraSimConfig, run_sintra_sim
from botkit.sim.syncron import AgentConfig, default_config, running_sim
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.syncron import SyncronSettings

from .helpers import bot_config


class Watcher(Strategy[StrategyParams]):
    """Records reference prices and quotes; buys once so the collar is exercised."""

    prices: ClassVar[list[Price]] = []
    quotes: ClassVar[int] = 0
    bought: ClassVar[bool] = False

    def on_price(self, price: Price) -> None:
        Watcher.prices.append(price)

    def on_quote(self, quote: Quote) -> None:
        Watcher.quotes += 1
        if Watcher.quotes >= 20 and Watcher.prices and not Watcher.bought:  # once a reference price is in
            Watcher.bought = True
            self.ctx.buy(0.001)


async def test_reference_prices_reach_on_price_and_the_collar(tmp_path, monkeypatch):
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: Watcher)
    Watcher.prices, Watcher.quotes, Watcher.bought = [], 0, False
    sim_config = default_config(["BTCUSD"]).model_copy(update={"agents": AgentConfig(speed=20.0, step_s=0.02, seed=3)})
    # Sintra's prices a tenth of their usual path (its GBM scales with the anchor): far from Syncron's 60,000
    sintra_config = SintraSimConfig(prices=PriceModelConfig(anchor_price_usd=4_200.0))
    sintra_clock = ScaledClock(speed=40.0)
    async with running_sim(sim_config) as syncron, run_sintra_sim(sintra_config, clock=sintra_clock) as sintra:
        config = bot_config(
            tmp_path, mode="live", venue={"endpoint": syncron.url}, status_port=0,
            reference={"source": "sintra", "pair": "btcusd", "symbol": "BTCUSD", "endpoint": sintra.base_url},
            risk={"price_collar_bps": 100.0},
        )
        engine = await build_engine(config, settings=SyncronSettings(endpoint=syncron.url))
        summary = await engine.run(duration_s=2.5)
    assert Watcher.prices, "no reference price reached on_price"
    assert {p.source for p in Watcher.prices} == {"sintra"} and all(p.price > 0 for p in Watcher.prices)
    assert Watcher.bought, "the order was never tried"
    assert summary.risk_rejections >= 1 and summary.orders_placed == 0, summary.lines()
