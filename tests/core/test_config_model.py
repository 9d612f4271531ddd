"""Every config field refuses what would silently run wrong: inf, nan, booleans as numbers, huge numbers.

The first tests walk every numeric and boolean field of the three kinds of config file (backtest
spec, bot config, recorder config), so a field added later is held to the same rules.
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import pytest
from pydantic import BaseModel, Field, ValidationError

from botkit.backtest.spec import BacktestSpec, validate_spec
from botkit.core.config_model import ConfigModel, FolderPath, check_dir_path, checked_output_dir, http_base_url
from botkit.core.config_problems import format_key_path
from botkit.core.errors import ConfigError
from botkit.settings import BotConfig, RecorderConfig, load_recorder_config, validate_bot_config

Leaf = tuple[tuple[Any, ...], str, Any]
"""(key path, "float" | "int" | "bool", the field's FieldInfo)."""


def leaves(model: type[BaseModel], path: tuple[Any, ...] = ()) -> Iterator[Leaf]:
    """Every number and boolean field under ``model``, through sections, optional sections and maps of them."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        members = [m for m in get_args(annotation) if m is not type(None)] \
            if get_origin(annotation) in (Union, types.UnionType) else [annotation]
        for member in members:
            if isinstance(member, type) and issubclass(member, BaseModel):
                yield from leaves(member, (*path, name))
            elif get_origin(member) is dict and isinstance(get_args(member)[1], type) \
                    and issubclass(get_args(member)[1], BaseModel):
                yield from leaves(get_args(member)[1], (*path, name, "BTCUSD"))
        if len(members) == 1 and members[0] in (int, float, bool):
            yield (*path, name), members[0].__name__, info


def nested(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(path):
        out = {part: out}
    return out


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def spec_error(values: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        validate_spec(merge({"strategy": "sma_cross"}, values), "spec.yaml")
    return str(info.value)


def bot_error(values: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        validate_bot_config(merge({"name": "t", "strategy": "sma_cross", "symbols": ["BTCUSD"]}, values), "bot.yaml")
    return str(info.value)


def recorder_error(values: dict[str, Any], tmp_path: Path) -> str:
    import yaml

    path = tmp_path / "rec.yaml"
    path.write_text(yaml.safe_dump(merge({"symbols": ["BTCUSD"]}, values)))
    with pytest.raises(ConfigError) as info:
        load_recorder_config(path)
    return str(info.value)


KINDS: dict[str, tuple[type[BaseModel], Callable[..., str]]] = {
    "spec": (BacktestSpec, spec_error), "bot": (BotConfig, bot_error), "recorder": (RecorderConfig, recorder_error),
}
BAD = {"float": [math.inf, -math.inf, math.nan, True, False], "int": [True, 2**63, -(2**63) - 1], "bool": [1, 0, 2.5]}
ALL_LEAVES = [(kind, leaf) for kind, (model, _) in KINDS.items() for leaf in leaves(model)]


def test_the_walk_finds_the_fields_of_every_section():
    paths = {format_key_path(path) for _, (path, _, _) in ALL_LEAVES}
    for expected in ("capital", "latency_ns", "sizing.fixed_quantity", "instrument.tick_size",
                     "instruments.BTCUSD.min_notional", "slippage.ticks", "risk.allow_short", "optimize.seed",
                     "reference.max_age_s", "engine.reconcile_interval_s", "paper.latency_ns", "record.compact_rows"):
        assert expected in paths
    assert len(ALL_LEAVES) > 70


@pytest.mark.parametrize(("kind", "leaf"), ALL_LEAVES, ids=lambda x: x if isinstance(x, str) else format_key_path(x[0]))
def test_every_number_and_boolean_field_refuses_the_values_that_would_run_wrong(kind, leaf, tmp_path):
    path, type_name, _ = leaf
    _, error_of = KINDS[kind]
    key = format_key_path(path)
    for value in BAD[type_name]:
        args = (nested(path, value), tmp_path) if kind == "recorder" else (nested(path, value),)
        message = error_of(*args)
        assert key in message, (value, message)


@pytest.mark.parametrize(("kind", "leaf"), [(k, leaf) for k, leaf in ALL_LEAVES if leaf[1] != "bool"],
                         ids=lambda x: x if isinstance(x, str) else format_key_path(x[0]))
def test_every_number_field_states_an_upper_bound(kind, leaf):
    path, _, info = leaf
    bounds = [m for m in info.metadata if isinstance(m, annotated_types.Le | annotated_types.Lt)]
    assert bounds, f"{kind} {format_key_path(path)} has no upper bound: give it Field(le=...)"


class Toy(ConfigModel):
    amount: float = 1.0
    count: int | None = None
    flag: bool = True
    when: datetime | date | None = None
    session: Literal["first", "last"] | int | datetime | None = None
    capped: float = Field(1.0, le=5)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"amount": True}, "must be a number, got true (booleans are not numbers)"),
        ({"count": False}, "must be a number, got false"),
        ({"capped": True}, "must be a number, got true"),
        ({"flag": 1}, "must be true or false, got 1"),
        ({"flag": 0.0}, "must be true or false, got 0.0"),
        ({"when": 1_700_000_000}, "must be an ISO date or time such as 2024-01-01"),
        ({"when": "2300-01-01"}, "must be between 1677-09-22 and 2262-04-11"),
        ({"when": date(1500, 1, 1)}, "must be between 1677-09-22 and 2262-04-11"),
        ({"session": True}, "booleans are not numbers"),
        ({"count": 2**63}, "must fit in 64 bits"),
        ({"count": 1e30}, "must fit in 64 bits (at most 9,223,372,036,854,775,807), got 1e+30"),
        ({"count": -1e19}, "must fit in 64 bits"),
        ({"amount": "inf"}, "finite number"),
        ({"amount": math.nan}, "finite number"),
    ],
)
def test_config_models_refuse_mixups(values, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Toy(**values)


def test_config_models_keep_what_is_right():
    toy = Toy(amount="1e5", count="7", flag="true", when="2024-01-01", session=3, capped=5)
    assert (toy.amount, toy.count, toy.flag, toy.when, toy.session) == (1e5, 7, True, datetime(2024, 1, 1), 3)
    assert Toy(session="last", when=date(2262, 4, 11)).session == "last"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999", "invalid port number"),
        ("http://127.0.0.1:abc", "invalid port number"),
        ("http://", "empty host"),
        ("ftp://example.com", "an http(s) base URL such as"),
        ("127.0.0.1:8700", "an http(s) base URL such as"),
        ("http://127.0.0.1:0", "port 0 is not a port a venue listens on (1 to 65535)"),
        ("https://example.com:0/v5", "port 0 is not a port a venue listens on"),
        ("http://" + "h" * 64 + ".example.com", "the host is no valid name (at most 63 characters between dots"),
        ("http://" + "h" * 100_000, "more characters)"),  # the URL is quoted cut short
    ],
)
def test_endpoint_urls_are_checked_with_their_port(url, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        http_base_url(url, ("local",))


def test_endpoint_urls_that_are_fine():
    assert http_base_url(" local ", ("local",)) == "local"
    assert http_base_url("https://api.example.com/v5/") == "https://api.example.com/v5"
    assert http_base_url("http://[::1]:8700") == "http://[::1]:8700"


def test_folder_paths_refuse_files_and_devices(tmp_path):
    file = tmp_path / "f.txt"
    file.write_text("x")
    check_dir_path(tmp_path / "new" / "deeper")  # may be made
    check_dir_path(tmp_path)
    for path, message in ((file, "is a file"), (file / "sub", "above it is a file"),
                          (Path("/dev/null"), "is a device or socket")):
        with pytest.raises(ValueError, match=message):
            check_dir_path(path)

    class Out(ConfigModel):
        dir: FolderPath

    with pytest.raises(ValidationError, match="must be a folder"):
        Out(dir=file)


def test_an_output_folder_must_be_writable_where_it_is_or_would_be_made(tmp_path):
    assert checked_output_dir(tmp_path / "new" / "deeper", "--out") == tmp_path / "new" / "deeper"
    with pytest.raises(ConfigError, match=r"^--out: cannot write outputs there: '/proc/self' above "
                                          r"'/proc/self/out' is not writable$"):
        checked_output_dir(Path("/proc/self/out"), "--out")
    with pytest.raises(ConfigError, match=r"^--out: cannot write outputs there: '/proc/self' is not writable$"):
        checked_output_dir(Path("/proc/self"), "--out")
    with pytest.raises(ConfigError, match="--out: must be a folder, but '/dev/null' is a device"):
        checked_output_dir(Path("/dev/null"), "--out")


def test_an_output_folder_is_tried_for_real_and_nothing_is_left_behind(tmp_path):
    # /proc refuses a new folder even to root, whom os.access answers yes
    with pytest.raises(ConfigError, match=r"^--out: cannot write outputs"):
        checked_output_dir(Path("/proc/botkit-never-there/out"), "--out")
    assert checked_output_dir(tmp_path / "a" / "b", "--out") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # the check made it and removed it; the run makes it again
    assert list(tmp_path.iterdir()) == []
