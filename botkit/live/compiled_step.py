"""The compiled step live: which form of a strategy the engine runs, made ready before the first event.

``engine.strategy_path`` chooses. ``python`` runs the strategy's hooks. ``compiled`` runs its
compiled step (``compiled_step(params)``), the numba function the backtester's kernels call, through
the adapter the backtester shares (``botkit.backtest.step_adapter``): the live host instantiates a
``CompiledStepStrategy`` whose market hooks call the step once per event with the same state row,
records, params and intent codes as a backtest, and whose orders go through ``ctx`` like any
hook's (sizing, risk, OMS, executor). ``auto`` (the default) is ``compiled`` when the strategy has a
compiled step and the engine delivers events a step can read, else ``python``. A strategy written
only as a compiled step (no Python market hooks) has no Python form: ``python`` runs its step too.

The step is compiled here, for every record kind ``engine.market_data`` delivers (``quotes``,
``trades``, both, or ``bars``; ``book`` views have no record), or loaded from numba's cache, when
the engine is built; the event path only calls the compiled entry points. A step that does not
fit those kinds is a ConfigError naming both settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from botkit.backtest.step_adapter import CompiledStepStrategy, has_compiled_form, prepare_step
from botkit.core.errors import ConfigError, StrategyError
from botkit.settings import EngineConfig
from botkit.strategy.base import Strategy, StrategyParams

log = structlog.get_logger("botkit.live.compiled_step")

STEP_KINDS: dict[str, tuple[str, ...]] = {
    "quotes": ("quotes",), "trades": ("trades",), "both": ("quotes", "trades"), "bars": ("bars",),
}
"""The record kinds a compiled step is called with, by ``engine.market_data``."""

StrategyPath = Literal["compiled", "python"]


@dataclass(frozen=True)
class LiveStrategyForm:
    """What the live host runs: ``cls`` (the strategy, or its compiled step's adapter) and which path that is.

    ``ready_ms``: the time to compile (or load from the numba cache) the step for its record kinds.
    """

    cls: type[Strategy[Any]]
    path: StrategyPath
    kinds: tuple[str, ...] = ()
    ready_ms: float = 0.0


def live_strategy_form(cls: type[Strategy[Any]], params: StrategyParams, engine: EngineConfig) -> LiveStrategyForm:
    """Choose the form by ``engine.strategy_path`` and compile the step now if it is the compiled one."""
    wanted = engine.strategy_path
    if wanted == "python":
        if cls.has_hooks() or not has_compiled_form(cls):
            return LiveStrategyForm(cls, "python")
        log.info("strategy.no_python_form", strategy=cls.__name__, path="compiled", reason="no python hooks")
    compiled = cls.compiled_step(params)
    kinds = STEP_KINDS.get(engine.market_data, ())
    if compiled is None or not kinds:
        if compiled is not None and not cls.has_hooks():
            raise ConfigError(f"strategy {cls.__name__} is written only as a compiled step, which reads "
                              f"{', '.join(STEP_KINDS)}; engine.market_data {engine.market_data!r} delivers none "
                              "of them")
        if wanted == "compiled":
            why = f"strategy {cls.__name__} has no compiled_step" if compiled is None else \
                f"engine.market_data {engine.market_data!r} delivers no events a compiled step reads " \
                f"(it reads {', '.join(STEP_KINDS)})"
            raise ConfigError(f"engine.strategy_path is 'compiled' but {why}; use engine.strategy_path: auto or python")
        log.info("strategy.path_chosen", strategy=cls.__name__, path="python",
                 reason="no compiled step" if compiled is None else f"market_data {engine.market_data}")
        return LiveStrategyForm(cls, "python")
    started = time.perf_counter()
    try:
        for kind in kinds:
            prepare_step(compiled.step, kind, cls.__name__)
    except StrategyError as error:
        raise ConfigError(
            f"engine.strategy_path {wanted!r}: the compiled step of {cls.__name__} cannot run on the {kind} that "
            f"engine.market_data {engine.market_data!r} delivers: {error}; set engine.strategy_path: python to run "
            f"its Python hooks, or a market_data the step reads"
        ) from error
    ready_ms = (time.perf_counter() - started) * 1000.0
    log.info("strategy.path_chosen", strategy=cls.__name__, path="compiled", kinds=list(kinds),
             ready_ms=round(ready_ms, 1))
    return LiveStrategyForm(CompiledStepStrategy.of(cls, kinds), "compiled", kinds, ready_ms)
