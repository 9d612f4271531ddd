from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.core.errors import ConfigError
from botkit.optimize.constraints import parse_where
from botkit.optimize.grid import (
    MAX_AXIS_POINTS,
    TRIES_PER_SAMPLE,
    Axis,
    Combinations,
    ParamSpace,
    axis_from_value,
    parse_axis,
)

STANDARD = ["fast=5:50:5", "slow=20:200:10"]


def standard(where=("fast < slow",)):
    return ParamSpace.from_options(STANDARD, list(where))


# ------------------------------------------------------------------------------------------------
# Axes
# ------------------------------------------------------------------------------------------------
def test_integer_range_includes_its_end_like_range():
    assert parse_axis("fast=5:50:5").values == tuple(range(5, 51, 5))
    assert parse_axis("slow=20:200:10").values == tuple(range(20, 201, 10))
    assert parse_axis("fast=5:8").values == (5, 6, 7, 8)  # integer bounds without a step count by 1
    assert parse_axis("fast=0:10:3").values == (0, 3, 6, 9)  # steps that miss the end stop before it
    assert parse_axis("x=-2:2:2").values == (-2, 0, 2)
    assert parse_axis("fast=7:7:1").values == (7,)
    assert all(type(v) is int for v in parse_axis("fast=5:50:5").values)


def test_float_steps_are_exact_decimals():
    assert parse_axis("k=0.1:0.5:0.1").values == (0.1, 0.2, 0.3, 0.4, 0.5)
    assert 0.30000000000000004 not in parse_axis("k=0.1:0.5:0.1").values
    assert parse_axis("k=0.5:2.0:0.25").values == (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
    assert parse_axis("k=0.05:0.3:0.1").values == (0.05, 0.15, 0.25)
    assert parse_axis("k=0:1:0.3").values == (0.0, 0.3, 0.6, 0.9)
    assert parse_axis("k=1:2:0.5").values == (1.0, 1.5, 2.0)
    assert parse_axis("k=1e-3:3e-3:1e-3").values == (0.001, 0.002, 0.003)


@given(
    start=st.integers(-10_000, 10_000), length=st.integers(0, 300), step=st.integers(1, 500), digits=st.integers(1, 4),
)
def test_float_ranges_are_the_decimals_written(start, length, step, digits):
    scale = 10**digits
    start_text, step_text = str(Decimal(start) / scale), str(Decimal(step) / scale)
    end_text = str(Decimal(start + length) / scale)
    if "." not in start_text + step_text + end_text:
        step_text += ".0"  # keep it a float range
    values = parse_axis(f"k={start_text}:{end_text}:{step_text}").values
    assert len(values) == length // step + 1
    assert values == tuple(float(Decimal(start + i * step) / scale) for i in range(len(values)))


def test_lists_strings_and_booleans():
    assert parse_axis("fast=5,10,20").values == (5, 10, 20)
    assert parse_axis("mode = fast, slow").values == ("fast", "slow")
    assert parse_axis("long=true,False").values == (True, False)
    assert parse_axis("k=0.5,1,2").values == (0.5, 1.0, 2.0)
    assert all(type(v) is float for v in parse_axis("k=0.5,1,2").values)
    assert parse_axis("fast=10").values == (10,)


def test_float_bounds_without_a_step_are_continuous():
    axis = parse_axis("k=0.5:2.0")
    assert axis.values == () and axis.continuous
    assert (axis.low, axis.high) == (0.5, 2.0)


@pytest.mark.parametrize(("text", "fragments"), [
    ("fast", ["--grid 'fast'", "no '='"]),
    ("=5:50:5", ["'=5:50:5'", "name", "empty"]),
    ("fast=50:5:5", ["'fast=50:5:5'", "empty range for fast", "start 50", "end 5"]),
    ("k=2.0:0.5", ["empty range for k"]),
    ("fast=5:50:0", ["step of fast must be > 0", "got 0"]),
    ("fast=5:50:-5", ["step of fast must be > 0", "got -5"]),
    ("k=0.5:2:-0.1", ["step of k must be > 0"]),
    ("fast=a:50", ["'fast=a:50'", "bounds of fast must be numbers", "'a'"]),
    ("fast=5:50:x", ["bounds of fast must be numbers", "'x'"]),
    ("k=1e400:1e401:1", ["bounds of k must be finite"]),
    ("fast=0:1000000", ["fast", "1,000,001 points", "more than 1,000,000"]),
    ("k=0:1:1e-9", ["k", "more than 1,000,000"]),
    ("k=0:1:1e-99999", ["k", "more than 1,000,000"]),
    ("fast=5,10,5", ["'fast=5,10,5'", "fast lists the value 5 twice"]),
    ("k=1,1.0", ["k lists the value 1.0 twice"]),
    ("k=1:1.00000000000000001:1e-17", ["k lists the value 1.0 twice"]),
    ("fast=", ["no values for fast"]),
    ("fast=1,,2", ["empty value", "fast"]),
    ("k=1:2:3:4", ["START:END", "4 parts"]),
    ("k=1.0:1.0", ["single point", "k=1.0"]),
    ("1x=1", ["'1x' is not a parameter name"]),
    ("_x=1", ["'_x' is not a parameter name"]),
])
def test_bad_axis_text_names_the_option_and_parameter(text, fragments):
    with pytest.raises(ConfigError) as error:
        parse_axis(text)
    for fragment in fragments:
        assert fragment in str(error.value)


def test_the_largest_allowed_range_is_accepted():
    assert len(parse_axis(f"fast=1:{MAX_AXIS_POINTS}").values) == MAX_AXIS_POINTS


def test_axes_made_directly_are_checked():
    with pytest.raises(ConfigError, match="'x' twice"):
        Axis("fast", ("x", "x"))
    with pytest.raises(ConfigError, match=r"low 2\.0 is not below high 1\.0"):
        Axis("k", low=2.0, high=1.0)
    with pytest.raises(ConfigError, match="needs values"):
        Axis("k")


# ------------------------------------------------------------------------------------------------
# The space and its grid
# ------------------------------------------------------------------------------------------------
def test_the_standard_grid_has_174_combinations_in_axis_order():
    space = standard()
    combos = space.grid()
    assert space.size == 190
    assert len(combos) == 174
    assert all(c["fast"] < c["slow"] for c in combos)
    assert combos[:3] == [{"fast": 5, "slow": 20}, {"fast": 5, "slow": 30}, {"fast": 5, "slow": 40}]
    assert combos[-1] == {"fast": 50, "slow": 200}
    assert [tuple(c.values()) for c in combos] == sorted(tuple(c.values()) for c in combos)  # last axis fastest
    assert isinstance(combos, Combinations) and combos.space is space and combos.note is None


def test_without_constraints_the_grid_is_the_whole_product():
    assert len(standard(where=()).grid()) == 190


def test_describe_and_repr_are_one_line():
    space = standard()
    axes = "fast: 10 values (5..50), slow: 19 values (20..200)"
    assert space.describe() == f"{axes}; 174 of 190 combinations after 'fast < slow'"
    assert repr(space) == f"ParamSpace({axes}; 190 combinations before 'fast < slow')"
    mixed = ParamSpace.from_options(["mode=a,b,c,d,e,f", "k=0.5:2.0", "on=true"])
    assert mixed.describe() == "mode: 6 values (a, b, …, f), k: uniform 0.5..2, on: 1 value (True); random search only"


def test_several_constraints_all_apply():
    space = ParamSpace.from_options(STANDARD, ["fast < slow", "slow <= 4 * fast", "(slow - fast) % 20 == 0"])
    combos = space.grid()
    assert combos
    assert all(c["fast"] < c["slow"] <= 4 * c["fast"] and (c["slow"] - c["fast"]) % 20 == 0 for c in combos)
    brute = [{"fast": f, "slow": s} for f in range(5, 51, 5) for s in range(20, 201, 10)
             if f < s <= 4 * f and (s - f) % 20 == 0]
    assert combos == brute


def test_constraints_may_read_fixed_parameters():
    space = ParamSpace.from_options(["fast=5:50:5"], ["fast < slow"])
    assert [c["fast"] for c in space.grid(fixed={"slow": 30})] == [5, 10, 15, 20, 25]
    assert space.grid(fixed={"slow": 30})[0] == {"fast": 5}  # fixed values are not part of a combination


def test_a_constraint_on_an_unknown_name_is_an_error_with_a_suggestion():
    space = ParamSpace.from_options(STANDARD, ["fast < slwo"])
    with pytest.raises(ConfigError) as error:
        space.grid()
    message = str(error.value)
    assert "--where 'fast < slwo'" in message and "'slwo'" in message and "did you mean 'slow'?" in message
    with pytest.raises(ConfigError, match="'size'"):
        ParamSpace.from_options(STANDARD, ["size > 1"]).random(5, seed=1)
    assert ParamSpace.from_options(STANDARD, ["size > 1"]).grid(fixed={"size": 2})


def test_an_evaluation_error_names_the_expression_and_the_params():
    space = ParamSpace.from_options(["fast=5:50:5", "slow=40:60:10"], ["fast % (slow - 50) == 0"])
    with pytest.raises(ConfigError) as error:
        space.grid()
    message = str(error.value)
    assert "'fast % (slow - 50) == 0'" in message and "fast=5, slow=50" in message and "ZeroDivisionError" in message


def test_continuous_axes_cannot_be_gridded():
    space = ParamSpace.from_options(["fast=5:50:5", "k=0.5:2.0"])
    assert space.size is None
    with pytest.raises(ConfigError) as error:
        space.grid()
    assert "--grid k" in str(error.value) and "--random" in str(error.value) and "step" in str(error.value)


def test_a_grid_too_large_to_list_is_refused():
    space = ParamSpace.from_options(["a=1:10000", "b=1:10000"])
    assert space.size == 100_000_000
    with pytest.raises(ConfigError, match="100,000,000 combinations"):
        space.grid()


def test_a_parameter_twice_and_an_empty_space_are_errors():
    with pytest.raises(ConfigError, match="fast is in the grid twice"):
        ParamSpace.from_options(["fast=5:50:5", "fast=1,2"])
    with pytest.raises(ConfigError, match="nothing to optimize"):
        ParamSpace.from_options([])


def test_the_yaml_form_matches_the_options():
    from_yaml = ParamSpace.from_mapping({"fast": "5:50:5", "slow": "20:200:10"}, ["fast < slow"])
    assert from_yaml == standard()
    assert from_yaml.grid() == standard().grid()
    grid = {"fast": "5:50:5", "slow": [20, 30, 40], "mode": ["a", "b"], "k": 2}
    listed = ParamSpace.from_mapping(grid, "fast < slow")
    assert listed.axes[1].values == (20, 30, 40)
    assert listed.axes[3].values == (2,)
    assert len(listed.grid()) == 15 * 2
    assert listed.axes[0].option == "grid.fast"
    assert listed.constraints[0].option == "constraints[0]"


@pytest.mark.parametrize(("grid", "constraints", "fragments"), [
    ({"fast": [1, None]}, [], ["grid.fast", "None"]),
    ({"fast": [1, {"a": 1}]}, [], ["grid.fast", "finite numbers"]),
    ({"k": [0.5, float("nan")]}, [], ["grid.k", "nan"]),
    ({"fast": []}, [], ["grid.fast", "non-empty list"]),
    ({"fast": [5, 5]}, [], ["grid.fast", "value 5 twice"]),
    ({"fast": "50:5:5"}, [], ["grid.fast", "empty range for fast"]),
    ({"fa st": [1]}, [], ["'fa st' is not a parameter name"]),
    ({"fast": [1]}, ["fast.real > 0"], ["constraints[0]", "'fast.real'"]),
    ({"fast": [1]}, [3], ["constraints", "3"]),
])
def test_yaml_form_errors(grid, constraints, fragments):
    with pytest.raises(ConfigError) as error:
        ParamSpace.from_mapping(grid, constraints)
    for fragment in fragments:
        assert fragment in str(error.value)


def test_axis_from_value_takes_one_number():
    assert axis_from_value("fast", 10).values == (10,)


# ------------------------------------------------------------------------------------------------
# Random search
# ------------------------------------------------------------------------------------------------
def test_random_is_reproducible_distinct_valid_and_in_grid_order():
    space = standard()
    combos = space.random(50, seed=7)
    assert combos == space.random(50, seed=7)
    assert combos != space.random(50, seed=8)
    assert len(combos) == 50 and combos.note is None
    assert len({tuple(c.items()) for c in combos}) == 50
    grid = space.grid()
    assert all(c in grid for c in combos)
    assert [grid.index(c) for c in combos] == sorted(grid.index(c) for c in combos)


def test_random_asking_for_the_whole_space_returns_the_grid_with_a_note():
    space = standard()
    combos = space.random(500, seed=1)
    assert combos == space.grid()
    assert combos.note is not None and "174" in combos.note and "fast < slow" in combos.note
    assert space.random(174, seed=1).note is not None
    assert space.random(173, seed=1).note is None


def test_random_over_a_space_too_large_to_list_draws_points():
    space = ParamSpace.from_options(["a=1:5000", "b=1:5000"], ["a < b"])
    combos = space.random(200, seed=3)
    assert combos == space.random(200, seed=3)
    assert len(combos) == 200 and len({(c["a"], c["b"]) for c in combos}) == 200
    assert all(1 <= c["a"] < c["b"] <= 5000 for c in combos)
    assert [(c["a"], c["b"]) for c in combos] == sorted((c["a"], c["b"]) for c in combos)


class CountingConstraint:
    """A constraint that refuses everything and counts how often it was asked."""

    names = ("a", "b")
    text = "never"
    option = "--where"

    def __init__(self):
        self.calls = 0

    def __call__(self, params):
        self.calls += 1
        return False


def test_random_stops_after_100_draws_per_combination_when_constraints_reject_everything():
    never = CountingConstraint()
    space = ParamSpace((parse_axis("a=1:5000"), parse_axis("b=1:5000")), (never,))
    with pytest.raises(ConfigError) as error:
        space.random(10, seed=1)
    assert 0 < never.calls <= TRIES_PER_SAMPLE * 10
    assert "--random 10" in str(error.value) and "1,000 draws" in str(error.value)
    with pytest.raises(ConfigError, match="'a \\+ b < 0'"):
        ParamSpace.from_options(["a=1:5000", "b=1:5000"], ["a + b < 0"]).random(10, seed=1)


def test_random_over_a_listed_space_with_no_valid_point_returns_nothing_with_a_note():
    combos = standard(where=("fast > slow * 100",)).random(10, seed=1)
    assert combos == [] and "0 combinations" in combos.note


def test_random_samples_continuous_axes_uniformly():
    space = ParamSpace.from_options(["k=0.5:2.0", "mode=a,b"], ["k > 1"])
    combos = space.random(300, seed=5)
    assert combos == space.random(300, seed=5)
    assert all(1 < c["k"] < 2.0 and c["mode"] in ("a", "b") for c in combos)
    assert len({c["k"] for c in combos}) == 300
    assert {c["mode"] for c in combos} == {"a", "b"}
    assert 0.25 < sum(c["k"] < 1.5 for c in combos) / 300 < 0.75


@pytest.mark.parametrize(("n", "seed", "fragment"), [
    (0, 1, "--random"), (-3, 1, "--random"), (10_000_001, 1, "10,000,000"), (5, -1, "--seed"), (2.5, 1, "--random"),
])
def test_random_refuses_bad_counts_and_seeds(n, seed, fragment):
    with pytest.raises(ConfigError, match=fragment):
        standard().random(n, seed=seed)


axis_values = st.lists(st.integers(-20, 20), min_size=1, max_size=6, unique=True)
space_constraints = st.sampled_from([[], ["a < b"], ["a + b > 0"], ["a * b % 3 != 0"], ["a == 100"]])


@settings(max_examples=60, deadline=None)
@given(a=axis_values, b=axis_values, where=space_constraints, n=st.integers(1, 50), seed=st.integers(0, 2**32))
def test_random_is_a_subset_of_the_grid(a, b, where, n, seed):
    space = ParamSpace((Axis("a", tuple(a)), Axis("b", tuple(b))), tuple(parse_where(w) for w in where))
    grid = space.grid()
    combos = space.random(n, seed=seed)
    assert all(c in grid for c in combos)
    assert len({tuple(c.items()) for c in combos}) == len(combos) == min(n, len(grid))
    assert (combos.note is not None) == (n >= len(grid))
    assert [grid.index(c) for c in combos] == sorted(grid.index(c) for c in combos)
