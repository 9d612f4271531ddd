"""The executor's work queue and the engine's concurrent sending: cancels first, several requests at once."""

from __future__ import annotations

import asyncio

from botkit.live.commands import CommandQueue
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.enums import Side
from botkit.model.events import Quote
from botkit.model.orders import OrderStatus
from botkit.strategy.base import Strategy, StrategyParams

from .helpers import ScriptedData, bot_config, quotes
from .test_engine_paper import INSTRUMENTS


def test_cancels_jump_ahead_of_submits_and_the_end_mark_comes_last():
    queue = CommandQueue()
    for command in (("submit", "a"), ("submit", "b"), ("cancel", "x")):
        queue.put_nowait(command)  # type: ignore[arg-type]
    queue.put_nowait(None)
    queue.put_nowait(("cancel", "y"))
    assert queue.closed and len(queue) == 4
    taken = [queue.take() for _ in range(5)]
    assert taken == [("cancel", "x"), ("cancel", "y"), ("submit", "a"), ("submit", "b"), None]


class BurstParams(StrategyParams):
    orders: int = 6
    cancel_own: bool = False


class Burst(Strategy[BurstParams]):
    """On the second quote: a burst of resting limit buys (and, if asked, a cancel of each at once)."""

    Params = BurstParams

    def on_start(self) -> None:
        self.n = 0
        self.ids: list[str] = []

    def on_quote(self, quote: Quote) -> None:
        self.n += 1
        if self.n == 2:
            for i in range(self.params.orders):
                coid = self.ctx.limit(Side.BUY, 0.01, 90.0 - i)
                self.ids.append(coid)
                if self.params.cancel_own:
                    self.ctx.cancel(coid)


class SlowPaper(PaperExecutionClient):
    """Paper execution whose every request takes 50 ms: shows how many are on the wire at once."""

    def __init__(self) -> None:
        super().__init__(maker_bps=1, taker_bps=5, queue_fills=False)
        self.on_wire = 0
        self.most_on_wire = 0
        self.submits = 0

    async def submit(self, intent, client_order_id):  # type: ignore[no-untyped-def]
        self.on_wire += 1
        self.submits += 1
        self.most_on_wire = max(self.most_on_wire, self.on_wire)
        try:
            await asyncio.sleep(0.05)
            return await super().submit(intent, client_order_id)
        finally:
            self.on_wire -= 1


def burst_engine(tmp_path, **params) -> tuple[LiveEngine, SlowPaper]:
    paper = SlowPaper()
    engine = LiveEngine(bot_config(tmp_path, engine={"max_in_flight": 4}), strategy_cls=Burst,
                        params=BurstParams(**params), data=ScriptedData(quotes(5)), execution=paper,
                        instruments=INSTRUMENTS)
    return engine, paper


async def test_orders_go_out_concurrently_within_max_in_flight(tmp_path):
    engine, paper = burst_engine(tmp_path)
    summary = await engine.run(duration_s=0.6)
    assert paper.submits == 6 and paper.most_on_wire == 4
    assert summary.orders_placed == 6 and summary.count(OrderStatus.CANCELED) == 6  # canceled at the stop


async def test_a_cancel_that_overtakes_its_own_submit_means_the_order_is_never_sent(tmp_path):
    engine, paper = burst_engine(tmp_path, cancel_own=True)
    await engine.run(duration_s=0.4)
    assert paper.submits == 0
    assert all(engine.oms.get(c).status is OrderStatus.CANCELED for c in engine.host.strategy.ids)  # type: ignore[union-attr]
    assert len(engine.host.strategy.ids) == 6
