import re

import pytest
from botkit.examples.sma_cross import SmaCross

from botkit.core.errors import ConfigError, StrategyError
from botkit.strategy.loader import (
    available_strategies,
    build_params,
    check_param_names,
    check_strategy_ref,
    load_strategy_class,
)


def test_loads_by_entry_point_module_and_file(tmp_path):
    assert "sma_cross" in available_strategies()
    assert load_strategy_class("sma_cross") is SmaCross
    assert load_strategy_class("botkit.examples.sma_cross:SmaCross") is SmaCross
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
        ("botkit.examples.sma_cross:Nope", "has no attribute 'Nope'"),
        ("no.such.module:X", "cannot import module 'no.such.module'"),
        ("missing_file.py:X", "does not exist"),
        ("botkit.examples.sma_cross:SmaCrossParams", "not a botkit.Strategy subclass"),
        pytest.param("/" + "a" * 300 + ".py:X", "cannot be read .File name too long", id="name-too-long"),
        ("~no-such-user-botkit/s.py:X", "cannot be read"),
        pytest.param("y" * 100_000, r"more characters\) is not an installed entry point", id="huge-ref"),  # cut short
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


@pytest.mark.parametrize(
    ("source", "cause"),
    [
        ("def broken(:\n", "SyntaxError: invalid syntax (bad.py, line 1)"),
        ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
        ("import no_such_dependency_xyz\n", "ModuleNotFoundError: No module named 'no_such_dependency_xyz'"),
        ("x = 1 / 0\n", "ZeroDivisionError"),
    ],
)
def test_a_strategy_file_that_fails_at_import_is_a_strategy_error_naming_it(tmp_path, source, cause):
    path = tmp_path / "bad.py"
    path.write_text(source)
    for _ in range(2):  # a failed import leaves nothing behind that a second attempt would find
        with pytest.raises(StrategyError) as info:
            load_strategy_class(f"{path}:X")
        assert f"failed in import('{path}')" in str(info.value) and cause in str(info.value)


def test_a_module_that_fails_at_import_is_a_strategy_error_a_missing_one_a_config_error(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "loader_broken_mod.py").write_text("import no_such_dependency_xyz\n")
    with pytest.raises(StrategyError, match="failed in import\\('loader_broken_mod'\\)"):
        load_strategy_class("loader_broken_mod:X")
    with pytest.raises(ConfigError, match="cannot import module 'loader_missing_mod'"):
        load_strategy_class("loader_missing_mod:X")


@pytest.mark.parametrize(
    ("ref", "message"),
    [(":X", "the module ''"), ("..foo:X", "no relative imports"), ("botkit.examples.sma_cross:", "the class name ''"),
     ("", "is empty"), ("a b", "is not an entry point name")],
)
def test_references_of_no_form_say_the_forms(ref, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        load_strategy_class(ref)
    assert "module:Class or path/to/file.py:Class" in str(info.value)


def test_check_strategy_ref_keeps_the_forms():
    for ref in ("sma_cross", "botkit.examples.sma_cross:SmaCross", "strategies/sma_cross.py:SmaCross", "x-y.z"):
        assert check_strategy_ref(f" {ref} ") == ref


def test_a_param_that_is_not_one_lists_the_parameters_and_suggests():
    with pytest.raises(ConfigError) as info:
        check_param_names(SmaCross, ["fast", "fats"], "--param", "sma_cross")
    assert str(info.value) == ("--param fats is not a parameter of sma_cross (SmaCross): its parameters are "
                               "fast (default 10), slow (default 50), size (default 1.0); did you mean 'fast'?")
    with pytest.raises(ConfigError, match="its parameters are fast") as info:
        check_param_names(SmaCross, ["zzz"], "--param", "sma_cross")
    assert "did you mean" not in str(info.value)
    check_param_names(SmaCross, ["fast", "slow", "size"], "--param", "sma_cross")


def test_strategy_params_are_finite_and_not_booleans():
    for values, message in (({"fast": True}, "booleans are not numbers"), ({"size": float("inf")}, "finite"),
                            ({"fast": 2**64}, "must fit in 64 bits")):
        with pytest.raises(ConfigError, match=message):
            build_params(SmaCross, values, "spec.yaml")


def test_a_missing_strategy_file_is_named_as_written_and_as_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_strategy_class("../elsewhere/s.py:S")
    resolved = tmp_path.parent / "elsewhere" / "s.py"
    assert str(info.value) == (f"strategy file '../elsewhere/s.py' does not exist ({resolved}: a strategy file "
                               "is taken from the working directory)")
    (tmp_path / "d.py").mkdir()
    with pytest.raises(ConfigError, match=r"^strategy file 'd.py' is not a file \("):
        load_strategy_class("d.py:S")
