"""Parameter optimization: ``botkit.optimize(spec, grid=...)`` sweeps a space (see ``engine.optimize``).

Grids, random search and constraints, the compiled sweep, walk-forward and robustness checks. The
package itself is callable, as ``botkit.backtest`` is, so that ``botkit.optimize(spec)`` and
``import botkit.optimize.x`` both work; the engine is imported on the first call.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botkit.optimize.result import OptimizeResult


class _CallableOptimizePackage(types.ModuleType):
    """The ``botkit.optimize`` package, callable as ``botkit.optimize(spec, grid=..., where=..., metric=...)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> OptimizeResult:
        from botkit.optimize.engine import optimize  # lazy: see the module docstring

        return optimize(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableOptimizePackage
