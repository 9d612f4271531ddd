from pydantic import Field

from botkit.strategy import catalog
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.catalog import REQUIRED, installed_strategies


def test_installed_strategies_show_their_parameters_and_forms():
    entries = {e.name: e for e in installed_strategies()}
    sma = entries["sma_cross"]
    assert sma.target == "botkit.examples.sma_cross:SmaCross" and sma.error is None
    assert sma.params_text == "fast=10 slow=50 size=1.0" and sma.forms == "compiled+python"
    assert entries["momentum"].forms == "python" and entries["momentum"].params_text == "lookback=20"
    assert entries["donchian_breakout"].forms == "compiled"


class _NeedsAWindowParams(StrategyParams):
    window: int = Field(ge=1)
    tags: list[str] = Field(default_factory=lambda: ["a"])


class _NeedsAWindow(Strategy[_NeedsAWindowParams]):
    Params = _NeedsAWindowParams


def test_required_parameters_factories_and_broken_plugins(monkeypatch):
    classes = {"ok": _NeedsAWindow}

    def load(name):
        if name not in classes:
            raise catalog.ConfigError(f"strategy entry point {name!r} failed to load: boom")
        return classes[name]

    monkeypatch.setattr(catalog, "available_strategies", lambda: {"ok": "x:NeedsAWindow", "broken": "y:Gone"})
    monkeypatch.setattr(catalog, "load_strategy_class", load)
    broken, ok = installed_strategies()
    assert broken.name == "broken" and "boom" in broken.error and broken.params == ()
    assert ok.params_text == f"window={REQUIRED} tags=['a']" and ok.forms == ""
