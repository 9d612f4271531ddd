"""A strategy that places pre-scripted orders at given event numbers, in both forms (tests only).

A script row is (event number, action, side +1/-1, qty or None, price[, instrument index]); the
event number counts the events of that instrument (0-based), the instrument defaults to 0.
"""

import numba as nb
import numpy as np
from pydantic import Field

from botkit import Strategy, StrategyParams
from botkit.model.enums import Side
from botkit.model.records import ACTION_CANCEL_ALL, ACTION_LIMIT, ACTION_MARKET, ACTION_STOP, FIRST_USER_SLOT

ACTIONS = {"market": ACTION_MARKET, "limit": ACTION_LIMIT, "stop": ACTION_STOP, "cancel_all": ACTION_CANCEL_ALL}
Row = tuple[int, str, int, float | None, float] | tuple[int, str, int, float | None, float, int]


class ScriptParams(StrategyParams):
    script: list[Row] = Field(default_factory=list)


def _rows(script: list[Row]) -> list[tuple[int, str, int, float | None, float, int]]:
    return [(*row, 0) if len(row) == 5 else row for row in script]  # type: ignore[misc]


class Scripted(Strategy[ScriptParams]):
    Params = ScriptParams

    def on_start(self):
        self.seen = {}
        self.rejections = []
        self.codes = []
        self.fills = []

    def _act(self, event):
        k = list(self.ctx.symbols).index(event.symbol)
        seen = self.seen.get(k, 0)
        for number, action, side, qty, price, inst in _rows(self.params.script):
            if number == seen and inst == k:
                if action == "market":
                    (self.ctx.buy if side > 0 else self.ctx.sell)(qty)
                elif action == "limit":
                    self.ctx.limit(Side(side), qty, price)
                elif action == "stop":
                    self.ctx.stop(Side(side), qty, price)
                else:
                    self.ctx.cancel_all()
        self.seen[k] = seen + 1

    on_bar = on_trade = on_quote = _act

    def on_order_rejected(self, event):
        self.rejections.append(event.reason)
        self.codes.append(event.code)

    def on_order_filled(self, event):
        self.fills.append(event.fill)

    @classmethod
    def compiled_step(cls, params):
        from botkit.strategy.compiled import CompiledStep

        rows = [[n, ACTIONS[a], s, np.nan if q is None else q, p, k] for n, a, s, q, p, k in _rows(params.script)]
        flat = np.array([len(rows)] + [x for row in rows for x in row], dtype=np.float64)
        return CompiledStep(step=scripted_step, params=flat, state_size=1)


@nb.njit(cache=True)
def scripted_step(state, event, params):
    seen = state[FIRST_USER_SLOT]  # one state row per instrument: counts that instrument's events
    state[FIRST_USER_SLOT] = seen + 1
    for r in range(int(params[0])):
        base = 1 + 6 * r
        if params[base] == seen and params[base + 5] == event.instrument:
            return int(params[base + 1]), int(params[base + 2]), params[base + 3], params[base + 4]
    return 0, 0, 0.0, 0.0
