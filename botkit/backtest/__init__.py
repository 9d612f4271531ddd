"""The backtester: ``botkit.backtest(spec)`` runs one backtest (see ``engine.backtest``).

The package itself is callable so that ``botkit.backtest(spec)`` and ``import botkit.backtest.x``
both work: a plain function named ``backtest`` on ``botkit`` would shadow this package.
"""

import sys
import types
from typing import Any

from botkit.backtest.engine import backtest as _run_backtest
from botkit.backtest.result import BacktestResult


class _CallableBacktestPackage(types.ModuleType):
    """The ``botkit.backtest`` package, callable as ``botkit.backtest(spec, data=..., progress=...)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> BacktestResult:
        return _run_backtest(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableBacktestPackage
