import re

import pytest

from botkit.backtest.spec import BacktestSpec, load_spec, validate_spec
from botkit.core.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_example_specs_are_valid():
    from pathlib import Path

    for path in sorted(Path(__file__).resolve().parents[2].joinpath("backtests").glob("*.yaml")):
        spec = load_spec(path)
        assert spec.strategy


def test_unknown_key_names_key_and_file(tmp_path):
    path = write(tmp_path, "strategy: sma_cross\ncapitol: 5\n")
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert str(path) in str(info.value) and "unknown key 'capitol'" in str(info.value)


def test_nested_unknown_key(tmp_path):
    path = write(tmp_path, "strategy: sma_cross\nfees: {taker: 5}\n")
    with pytest.raises(ConfigError, match=re.escape("unknown key 'fees.taker'")):
        load_spec(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("strategy: sma_cross\ncapital: -5\n", "spec.yaml:2:10: capital: must be > 0, got -5"),
        ("strategy: sma_cross\nsizing: {fixed_quantity: 1, fixed_notional: 5}\n", "choose one sizing rule"),
        ("strategy: sma_cross\nslippage: {bps: 1, ticks: 1}\n", "not both"),
        ("strategy: sma_cross\nslippage: {ticks: 1}\n", "tick_size > 0"),
        ("strategy: sma_cross\ndata: {kind: candles}\n", "data.kind"),
        ("strategy: sma_cross\ndata: {bar_interval: 7x}\n", "invalid bar interval '7x'"),
        ("strategy: sma_cross\nfill_price: next_trade\n", "does not fit data.kind 'bars'"),
        ("strategy: sma_cross\ndata: {symbols: [A, A]}\n", "symbols must be unique"),
        ("strategy: sma_cross\nrisk: {max_position: 0}\n", "risk.max_position"),
        ("capital: 5\n", "spec.yaml: strategy is required"),
        ("- just\n- a list\n", "must be a mapping"),
        ("strategy: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_values_are_config_errors(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        load_spec(write(tmp_path, text))
    assert message in str(info.value)


def test_missing_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_spec("nope.yaml")


def test_overrides_revalidate():
    spec = validate_spec({"strategy": "sma_cross", "params": {"fast": 3}}, "t")
    changed = spec.with_overrides(params={"fast": 4}, data={"start": "2024-01-01"})
    assert changed.params == {"fast": 4} and changed.data.start is not None
    with pytest.raises(ConfigError, match="capital"):
        spec.with_overrides(capital=0)


def test_sizing_default_and_instruments():
    spec = BacktestSpec.model_validate(
        {"strategy": "x", "data": {"symbols": ["A", "B"]}, "instrument": {"tick_size": 0.5},
         "instruments": {"B": {"tick_size": 0.01}}}
    )
    assert spec.sizing.rule() == ("fixed_quantity", 1.0)
    assert [i.tick_size for i in spec.model_instruments("v")] == [0.5, 0.01]
    with pytest.raises(ValueError, match=re.escape("not in data.symbols")):
        BacktestSpec.model_validate({"strategy": "x", "instruments": {"C": {}}})


def test_errors_name_line_and_column_and_suggest_the_key(tmp_path):
    path = write(tmp_path, "strategy: sma_cross\nrisk:\n  max_position: -1\nslipage: {bps: 1}\n")
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert str(info.value).splitlines()[1:] == [
        f"  {path}:3:17: risk.max_position: must be > 0, got -1",
        f"  {path}:4:1: unknown key 'slipage'; did you mean 'slippage'?",
    ]


def test_an_alias_bomb_is_refused(tmp_path):
    lines = ["strategy: sma_cross", "a0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(ConfigError, match="alias bomb"):
        load_spec(write(tmp_path, "\n".join(lines) + "\n"))
