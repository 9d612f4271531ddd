"""The backtester: ``botkit.backtest(spec)`` runs one backtest (see ``engine.backtest``).

The package itself is callable so that ``botkit.backtest(spec)`` and ``import botkit.backtest.x``
both work: a plain function named ``backtest`` on ``botkit`` would shadow this package. The engine
is imported on the first call, so importing a module of the package stays light (start-up time).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botkit.backtest.result import BacktestResult


class _CallableBacktestPackage(types.ModuleType):
    """The ``botkit.backtest`` package, callable as ``botkit.backtest(spec, data=..., progress=...)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> BacktestResult:
        from botkit.backtest.engine import backtest  # lazy: see the module docstring

        return backtest(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableBacktestPackage
