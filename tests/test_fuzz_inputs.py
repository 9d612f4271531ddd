"""Fuzzed backtest specs and data files, run as a user runs them (``botkit backtest``).

Every outcome is a result (exit 0, a stats.json that replays a time after 1973, never 1970 from
misread timestamps) or exit 2 with one ``botkit: error:`` line naming the spec or the data file:
never a traceback, and never a hang (each run is bounded by an alarm; the bound is a guard against
hangs, far above what a run of this size takes).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import math
import signal
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botkit.cli import main
from botkit.data.synthetic import generate_archive

HANG_BOUND_S = 60
"""A run still going after this long is a hang (a run here takes well under a second)."""
ERR_BOUND = 60_000
"""An error longer than this echoes its input unbounded (a message is at most 50 lines of 1,000 characters)."""
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

WEIRD = st.one_of(
    st.sampled_from([math.inf, -math.inf, math.nan, True, False, None, 0, -1, 1, 2**63, -(2**63) - 1, 2**62, 1e300,
                     9_000_000_000_000_000_000, "", "../x", "/dev/null", "2300-01-01", "1500-01-01", "2024-01-01",
                     "yes", "inf", "nan", [], {}, [1, 2], {"a": 1}, "x" * 300, "x" * 100_000, "\x00", "é", "1e5",
                     1e30, "http://127.0.0.1:0", "a" * 300 + ".py:X"]),
    st.integers(), st.floats(), st.text(max_size=20), st.dates(), st.booleans(),
)
KEYS = [("capital",), ("latency_ns",), ("name",), ("strategy",), ("engine",), ("fill_price",), ("equity_resolution",),
        ("max_working_orders",), ("params", "fast"), ("params", "slow"), ("params", "size"), ("params", "fats"),
        ("data", "start"), ("data", "end"), ("data", "kind"), ("data", "symbols"), ("data", "bar_interval"),
        ("data", "chunk_rows"), ("data", "archive"), ("data", "file"), ("data", "venue"), ("data", "session"),
        ("sizing", "fixed_quantity"), ("sizing", "fixed_notional"), ("sizing", "fraction_of_equity"),
        ("fees", "maker_bps"), ("fees", "taker_bps"), ("slippage", "bps"), ("slippage", "ticks"),
        ("instrument", "tick_size"), ("instrument", "lot_size"), ("instrument", "min_notional"),
        ("risk", "max_position"), ("risk", "allow_short"), ("risk", "max_open_orders"), ("risk", "max_daily_loss"),
        ("risk", "max_drawdown_pct"), ("output", "dir"), ("optimize", "seed"), ("unknown_key",)]
GOOD_TIMES = st.sampled_from(["2024-01-01", "2024-01-01T02:00:00Z", "2024-01-01T04:59:00Z", "2024-01-01T09:00:00",
                              "2023-12-31", "2024-01-02"])


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    generate_archive(root / "data", symbol="BTCUSD", n=300, seed=1)  # five hours of 2024-01-01
    return root


def base_spec() -> dict[str, Any]:
    return {"name": "fuzz", "strategy": "sma_cross", "engine": "python", "params": {"fast": 3, "slow": 8},
            "data": {"archive": "data", "symbols": ["BTCUSD"]}, "instrument": {"tick_size": 0.01}}


@contextlib.contextmanager
def hang_guard() -> Iterator[None]:
    def hung(signum: int, frame: Any) -> None:
        raise TimeoutError(f"a backtest ran longer than {HANG_BOUND_S} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_BOUND_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    with hang_guard():
        code = main([*args, "--no-progress"])
    return code, capsys.readouterr().err


def check_outcome(code: int, err: str, files: list[Path], out: Path) -> None:
    assert "Traceback" not in err
    if code == 0:
        stats = json.loads((out / "stats.json").read_text())
        assert stats["start"] >= "1973", stats["start"]  # no 1970 replay from misread timestamps
        return
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("botkit: error: ")]
    assert lines, err
    assert any(str(f) in err for f in files), f"the error names none of {files}: {err}"
    assert len(err) < ERR_BOUND, f"an error of {len(err):,} characters: input echoed unbounded"


def put(spec: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    here = spec
    for part in path[:-1]:
        if not isinstance(here.get(part), dict):
            here[part] = {}
        here = here[part]
    here[path[-1]] = value


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(KEYS), st.one_of(WEIRD, GOOD_TIMES)), min_size=1, max_size=4))
def test_fuzzed_specs_give_a_result_or_an_error_naming_the_spec(place, capsys, changes):
    spec = base_spec()
    for key, value in changes:
        put(spec, key, value)
    try:
        text = yaml.safe_dump(spec, allow_unicode=True)
    except yaml.YAMLError:
        return
    path = place / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    out = place / "out"
    code, err = run(["backtest", str(path), "--out", str(out)], capsys)
    check_outcome(code, err, [place], out)  # the spec, or the archive or file it names (all in place)


@FUZZ
@given(text=st.text(alphabet=string.printable + "é\x00\ufeff", max_size=400), raw=st.binary(max_size=60),
       cut=st.integers(min_value=0, max_value=400))
def test_fuzzed_spec_text_gives_a_result_or_an_error_naming_the_spec(place, capsys, text, raw, cut):
    good = yaml.safe_dump(base_spec())
    path = place / "spec.yaml"
    path.write_bytes((good[:cut] + text).encode("utf-8", "surrogatepass") + raw)
    out = place / "out"
    code, err = run(["backtest", str(path), "--out", str(out)], capsys)
    check_outcome(code, err, [path], out)


TS_VALUES = st.one_of(
    st.sampled_from(["2024-01-01T00:00:00Z", "2300-01-01T00:00:00Z", "1500-01-01", "yesterday", "", "nan",
                     "1704067200", "1704067200000", "1704067200000000", "1704067200000000000", "0", "-5", "1e9",
                     "9223372036854775807", "99999999999999999999"]),
    st.integers(min_value=-(2**64), max_value=2**64).map(str),
)
NUMBERS = st.one_of(st.sampled_from(["1", "100.5", "-1", "0", "nan", "inf", "-inf", "", "abc", "1e308", "1e400"]),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr))
HEADERS = st.sampled_from(["ts,open,high,low,close,volume", "timestamp,open,high,low,close,volume",
                           "ts;open;high;low;close;volume", "TS, Open, High, Low, Close, Volume", "ts,price,size,side",
                           "ts,open,high", "ts,bid,ask,open", "", "ts," + "x" * 70_000])


@FUZZ
@given(header=HEADERS, rows=st.lists(st.tuples(TS_VALUES, NUMBERS, NUMBERS, NUMBERS, NUMBERS, NUMBERS), max_size=8),
       units=st.sampled_from([None, 1, 1_000, 1_000_000, 1_000_000_000]), packed=st.sampled_from([None, "gz", "cut"]))
def test_fuzzed_data_files_give_a_result_or_an_error_naming_the_file(place, capsys, header, rows, units, packed):
    if units is not None:  # a well-formed file with integer ts in one unit: it must replay 2024, not 1970
        first = 1_704_067_200_000_000_000 // units
        step = 60_000_000_000 // units
        rows = [(str(first + i * step), "100", "101", "99", "100.5", "1") for i in range(12)]
        header = "ts,open,high,low,close,volume"
    text = header + "\n" + "".join(",".join(row) + "\n" for row in rows)
    data = place / ("bars.csv.gz" if packed else "bars.csv")
    if packed:
        blob = gzip.compress(text.encode())
        data.write_bytes(blob if packed == "gz" else blob[: len(blob) // 2])
    else:
        data.write_text(text)
    spec = place / "spec.yaml"
    spec.write_text(yaml.safe_dump(base_spec()))
    out = place / "out"
    code, err = run(["backtest", str(spec), "--data", str(data), "--out", str(out)], capsys)
    check_outcome(code, err, [spec, data], out)
    if units is not None and packed != "cut":
        assert code == 0, err


_LAUGHS = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else "lol"] * 10) + "]\n" for i in range(9))
TEXTS = {
    "alias-bomb-in-params": "strategy: sma_cross\nparams: {fast: 3, slow: 8, x: *l8}\n",
    "alias-bomb-in-symbols": "strategy: sma_cross\ndata: {archive: data, symbols: *l8}\n",
    "int-of-5000-digits": "strategy: sma_cross\nlatency_ns: " + "9" * 5000 + "\n",
    "nested-10000-deep": "strategy: sma_cross\nparams: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "huge-explicit-key": "strategy: sma_cross\n? " + "k" * 100_000 + "\n: 1\n",
    "huge-symbol": "strategy: sma_cross\ndata: {archive: data, symbols: [" + "S" * 100_000 + "]}\n",
    "5000-problems": "strategy: sma_cross\nparams:\n" + "".join(f"  p{i}: {i}\n" for i in range(5000)),
}


@pytest.mark.parametrize("name", list(TEXTS))
def test_spec_texts_that_used_to_hang_or_trace_back_give_an_error_naming_the_spec(place, capsys, name):
    path = place / "spec.yaml"
    text = TEXTS[name]
    path.write_text(_LAUGHS + text if "*l8" in text else text, encoding="utf-8")
    out = place / "out"
    code, err = run(["backtest", str(path), "--out", str(out)], capsys)
    assert code == 2, err
    check_outcome(code, err, [path], out)
