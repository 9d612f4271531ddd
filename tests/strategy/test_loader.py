import re

import pytest

from botkit.core.errors import ConfigError
from botkit.strategy.loader import available_strategies, build_params, load_strategy_class
from strategies.sma_cross import SmaCross


def test_loads_by_entry_point_module_and_file(tmp_path):
    assert "sma_cross" in available_strategies()
    assert load_strategy_class("sma_cross") is SmaCross
    assert load_strategy_class("strategies.sma_cross:SmaCross") is SmaCross
    path = tmp_path / "mine.py"
    path.write_text(
        "from botkit import Strategy\n"
        "class Mine(Strategy):\n"
        "    pass\n"
    )
    cls = load_strategy_class(f"{path}:Mine")
    assert cls.__name__ == "Mine"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("no_such_strategy", "is not an installed entry point"),
        ("strategies.sma_cross:Nope", "has no attribute 'Nope'"),
        ("no.such.module:X", "cannot import module 'no.such.module'"),
        ("missing_file.py:X", "does not exist"),
        ("strategies.sma_cross:SmaCrossParams", "not a botkit.Strategy subclass"),
    ],
)
def test_bad_references_are_config_errors(ref, message):
    with pytest.raises(ConfigError, match=message):
        load_strategy_class(ref)


def test_params_errors_name_key_and_value():
    with pytest.raises(ConfigError) as info:
        build_params(SmaCross, {"fast": 50, "slow": 10}, "spec.yaml")
    assert "fast must be < slow" in str(info.value)
    with pytest.raises(ConfigError) as info:
        build_params(SmaCross, {"fats": 3}, "spec.yaml")
    assert "params.fats" in str(info.value) and "spec.yaml" in str(info.value)
    with pytest.raises(ConfigError, match=re.escape("params.fast")):
        build_params(SmaCross, {"fast": "ten"}, "spec.yaml")


def test_entry_points_are_scanned_once_per_process(monkeypatch):
    from botkit.strategy import loader

    scans = []
    original = loader.entry_points

    def counting(**kwargs):
        scans.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(loader, "entry_points", counting)
    loader._installed_entry_points.cache_clear()
    for _ in range(3):
        assert load_strategy_class("sma_cross") is SmaCross
    assert len(scans) == 1
    with pytest.raises(ConfigError, match="not an installed entry point"):
        load_strategy_class("no_such_strategy")
    assert len(scans) == 2  # a name not found is looked for again (a plugin installed since)
