"""A strategy that places pre-scripted orders at given event numbers, in both forms (tests only)."""

import numba as nb
import numpy as np
from pydantic import Field

from botkit import Strategy, StrategyParams
from botkit.model.enums import Side
from botkit.model.records import ACTION_CANCEL_ALL, ACTION_LIMIT, ACTION_MARKET, ACTION_STOP, FIRST_USER_SLOT

ACTIONS = {"market": ACTION_MARKET, "limit": ACTION_LIMIT, "stop": ACTION_STOP, "cancel_all": ACTION_CANCEL_ALL}


class ScriptParams(StrategyParams):
    # rows: (event number, action name, side +1/-1, qty or None, price)
    script: list[tuple[int, str, int, float | None, float]] = Field(default_factory=list)


class Scripted(Strategy[ScriptParams]):
    Params = ScriptParams

    def on_start(self):
        self.seen = 0
        self.rejections = []
        self.fills = []

    def _act(self, event):
        for number, action, side, qty, price in self.params.script:
            if number == self.seen:
                if action == "market":
                    (self.ctx.buy if side > 0 else self.ctx.sell)(qty)
                elif action == "limit":
                    self.ctx.limit(Side(side), qty, price)
                elif action == "stop":
                    self.ctx.stop(Side(side), qty, price)
                else:
                    self.ctx.cancel_all()
        self.seen += 1

    on_bar = on_trade = on_quote = _act

    def on_order_rejected(self, event):
        self.rejections.append(event.reason)

    def on_order_filled(self, event):
        self.fills.append(event.fill)

    @classmethod
    def compiled_step(cls, params):
        from botkit.strategy.compiled import CompiledStep

        rows = [
            [n, ACTIONS[a], s, np.nan if q is None else q, p] for n, a, s, q, p in params.script
        ]
        flat = np.array([len(rows)] + [x for row in rows for x in row], dtype=np.float64)
        return CompiledStep(step=scripted_step, params=flat, state_size=1)


@nb.njit(cache=True)
def scripted_step(state, event, params):
    seen = state[FIRST_USER_SLOT]
    state[FIRST_USER_SLOT] = seen + 1
    for r in range(int(params[0])):
        base = 1 + 5 * r
        if params[base] == seen:
            return int(params[base + 1]), int(params[base + 2]), params[base + 3], params[base + 4]
    return 0, 0, 0.0, 0.0
