import re
from pathlib import Path

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


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("latency_ns: 9000000000000000000", "latency_ns: must be <= 86400000000000, got 9000000000000000000"),
        ("latency_ns: 9223372036854775808", "latency_ns: must fit in 64 bits"),
        ("capital: .inf", "capital: Input should be a finite number, got inf"),
        ("capital: true", "capital: must be a number, got true (booleans are not numbers)"),
        ("sizing: {fixed_quantity: .inf}", "sizing.fixed_quantity: Input should be a finite number"),
        ("instrument: {tick_size: .inf}", "instrument.tick_size: Input should be a finite number"),
        ("instrument: {lot_size: .nan}", "instrument.lot_size: Input should be a finite number"),
        ("instrument: {min_notional: 1e300}", "instrument.min_notional: must be <= 1000000000000000"),
        ("slippage: {ticks: .inf}", "slippage.ticks: Input should be a finite number"),
        ("risk: {allow_short: 1}", "risk.allow_short: must be true or false, got 1"),
        ("data: {start: 2300-01-01}", "data.start: must be between 1677-09-22 and 2262-04-11"),
        ("data: {end: 20240101}", "data.end: must be an ISO date or time such as 2024-01-01"),
        ("optimize: {seed: -1}", "optimize.seed: must be >= 0"),
    ],
)
def test_numbers_are_finite_sane_and_never_booleans(tmp_path, line, message):
    with pytest.raises(ConfigError) as info:
        load_spec(write(tmp_path, f"strategy: sma_cross\n{line}\n"))
    assert f"{tmp_path / 'spec.yaml'}:2:" in str(info.value) and message in str(info.value)


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", "a/b", "..", ".hidden", "", "x" * 81, "sma cross"])
def test_a_name_is_a_name_not_a_path(tmp_path, name):
    with pytest.raises(ConfigError, match=re.escape("name: a name, not a path")):
        load_spec(write(tmp_path, f"strategy: sma_cross\nname: {name!r}\n"))


def test_names_that_are_fine():
    for name in ("sma_cross", "SMA-10.50", "2024_q1"):
        spec = validate_spec({"strategy": "sma_cross", "name": name}, "t")
        assert spec.output_dir == Path("reports") / name


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (":X", "the module '' is not a dotted Python name"),
        ("..foo:X", "the module '..foo' is not a dotted Python name (no relative imports)"),
        ("pkg.mod:", "the class name '' is not a Python name"),
        ("pkg.mod:1X", "the class name '1X' is not a Python name"),
        ("a b:X", "the module 'a b' is not a dotted Python name"),
        ("' '", "strategy: is empty"),
        ("sma cross", "is not an entry point name"),
    ],
)
def test_strategy_references_are_checked_for_their_form(tmp_path, ref, message):
    with pytest.raises(ConfigError) as info:
        load_spec(write(tmp_path, f"strategy: {ref if ref.startswith(chr(39)) else repr(ref)}\n"))
    assert f"{tmp_path / 'spec.yaml'}:1:11: strategy: " in str(info.value) and message in str(info.value)


def test_relative_data_paths_are_taken_from_the_spec_folder(tmp_path, monkeypatch):
    folder = tmp_path / "specs"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    archive = load_spec(write(folder, "strategy: sma_cross\ndata: {archive: ../data}\noutput: {dir: out}\n"))
    assert archive.data.archive == tmp_path / "data"
    assert archive.output.dir == Path("out")  # outputs go where the command runs, as --out
    file = load_spec(write(folder, "strategy: sma_cross\ndata: {file: bars.csv}\n"))
    assert file.data.file == folder / "bars.csv"
    recording = load_spec(write(folder, "strategy: sma_cross\ndata: {recording: rec}\n"))
    assert recording.data.recording == folder / "rec"
    absolute = load_spec(write(folder, f"strategy: sma_cross\ndata: {{archive: {tmp_path / 'x'}}}\n"))
    assert absolute.data.archive == tmp_path / "x"
    relative_source = load_spec("specs/spec.yaml")  # a spec named relative to the working directory
    assert relative_source.data.archive == tmp_path / "x"


def test_a_spec_without_a_file_keeps_paths_as_given():
    spec = validate_spec({"strategy": "sma_cross", "data": {"archive": "data"}}, "dict")
    assert spec.data.archive == Path("data")


@pytest.mark.parametrize("target", ["/dev/null", "spec.yaml", "spec.yaml/sub"])
def test_an_output_dir_that_cannot_be_a_folder_is_refused(tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "strategy: sma_cross\n")
    with pytest.raises(ConfigError, match=r"spec.yaml:2:\d+: output.dir: must be a folder, but"):
        load_spec(write(tmp_path, f"strategy: sma_cross\noutput: {{dir: {target}}}\n"))


@pytest.mark.parametrize("text", [b"strategy: sma_cross\nname: \xff\xfe\n", b"\xef\xbb\xbfstrategy: \x80\n"])
def test_invalid_utf8_is_a_config_error(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_bytes(text)
    with pytest.raises(ConfigError, match=re.escape("spec.yaml: not UTF-8 text")):
        load_spec(path)


@pytest.mark.parametrize("nesting", ["[" * 5000 + "]" * 5000, "{a: " * 3000 + "1" + "}" * 3000])
def test_deep_nesting_is_a_config_error_not_a_recursion_error(tmp_path, nesting):
    with pytest.raises(ConfigError, match="nests deeper than 64 levels"):
        load_spec(write(tmp_path, f"strategy: sma_cross\nparams: {nesting}\n"))


def test_a_folder_or_device_is_not_a_spec(tmp_path):
    with pytest.raises(ConfigError, match="is not a file"):
        load_spec(tmp_path)
    with pytest.raises(ConfigError, match="is not a file"):
        load_spec("/dev/null")
