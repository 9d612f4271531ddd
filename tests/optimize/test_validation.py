import pytest
from botkit.examples.sma_cross import SmaCross, SmaCrossParams
from pydantic import Field, field_validator, model_validator

from botkit import Strategy, StrategyParams
from botkit.core.errors import ConfigError
from botkit.optimize.grid import ParamSpace
from botkit.optimize.validation import validate

STANDARD = ["fast=5:50:5", "slow=20:200:10"]


def refusal(grid, where=(), fixed=None, strategy=SmaCross):
    space = ParamSpace.from_options(grid, list(where))
    with pytest.raises(ConfigError) as error:
        validate(strategy, space.grid(fixed), fixed)
    return str(error.value)


def test_every_combination_becomes_the_strategys_params():
    combos = ParamSpace.from_options(STANDARD, ["fast < slow"]).grid()
    params = validate(SmaCross, combos)
    assert len(params) == 174
    assert all(isinstance(p, SmaCrossParams) for p in params)
    assert [(p.fast, p.slow) for p in params] == [(c["fast"], c["slow"]) for c in combos]


def test_fixed_params_sit_under_the_combination():
    combos = ParamSpace.from_options(["fast=5:25:5"], ["fast < slow"]).grid(fixed={"slow": 30})
    params = validate(SmaCross, combos, fixed={"slow": 30, "size": 2.5})
    assert [(p.fast, p.slow, p.size) for p in params] == [(f, 30, 2.5) for f in (5, 10, 15, 20, 25)]
    overridden = validate(SmaCross, ParamSpace.from_options(["slow=60,70"]).grid(), fixed={"slow": 30})
    assert [p.slow for p in overridden] == [60, 70]


def test_plain_lists_of_dicts_validate_too():
    assert validate(SmaCross, [{"fast": 3, "slow": 9}])[0].slow == 9


def test_an_unknown_grid_parameter_suggests_the_closest_and_lists_the_defaults():
    message = refusal(["fats=5:50:5", "slow=20:200:10"])
    assert message == (
        "--grid fats: sma_cross has no parameter 'fats'; did you mean 'fast'? Parameters: fast=10, slow=50, size=1.0"
    )


def test_several_unknown_parameters_are_reported_together():
    message = refusal(["fats=5:50:5", "slwo=20:200:10", "xyz=1,2"])
    assert "3 grid parameters" in message
    assert "--grid fats: sma_cross has no parameter 'fats'; did you mean 'fast'?" in message
    assert "--grid slwo: sma_cross has no parameter 'slwo'; did you mean 'slow'?" in message
    assert "--grid xyz: sma_cross has no parameter 'xyz'" in message
    assert message.endswith("Parameters: fast=10, slow=50, size=1.0")


def test_unknown_parameters_in_the_yaml_form_and_in_fixed():
    space = ParamSpace.from_mapping({"fats": [5, 10]})
    with pytest.raises(ConfigError, match=r"^grid\.fats: sma_cross has no parameter 'fats'; did you mean 'fast'\?"):
        validate(SmaCross, space.grid())
    with pytest.raises(ConfigError, match=r"^params\.sizee: sma_cross has no parameter 'sizee'; did you mean 'size'\?"):
        validate(SmaCross, ParamSpace.from_options(["fast=5"]).grid(), fixed={"sizee": 1.0})


def test_a_refused_value_is_named_once_with_pydantics_reason():
    message = refusal(["fast=0:50:5", "slow=20:200:10"], ["fast < slow"])
    assert message == "--grid fast: sma_cross refuses fast=0: Input should be greater than or equal to 1"


def test_refused_values_are_grouped_per_parameter_and_reason():
    message = refusal(["fast=-20:10:1", "slow=0:200:10", "size=-1.0,0.5"], ["fast < slow"])
    assert "3 problems" in message
    assert "--grid fast: sma_cross refuses fast=-20, -19, -18, -17, -16, … (21 values): " \
           "Input should be greater than or equal to 1" in message
    assert "--grid slow: sma_cross refuses slow=0: Input should be greater than or equal to 2" in message
    assert "--grid size: sma_cross refuses size=-1.0: Input should be greater than 0" in message
    assert message.count("refuses fast=") == 1


def test_model_refusals_count_and_suggest_a_constraint_that_fits():
    message = refusal(STANDARD)
    assert message.startswith("sma_cross refuses 16 of 190 combinations, the first fast=20, slow=20: ")
    assert "fast must be < slow, got fast=20, slow=20" in message
    assert message.endswith('add --where "fast < slow" to skip them')
    assert len(ParamSpace.from_options(STANDARD, ["fast < slow"]).grid()) == 190 - 16


def test_model_refusals_in_the_yaml_form_suggest_the_constraints_key():
    space = ParamSpace.from_mapping({"fast": "5:50:5", "slow": [20, 30, 40]})
    with pytest.raises(ConfigError) as error:
        validate(SmaCross, space.grid())
    assert str(error.value).endswith('add "fast < slow" to constraints')


def test_model_refusals_against_a_fixed_parameter():
    message = refusal(["fast=5:50:5"], fixed={"slow": 30})
    assert "refuses 5 of 10 combinations, the first fast=30" in message
    assert message.endswith('add --where "fast < slow" to skip them')


class SumParams(StrategyParams):
    """Refuses combinations whose sum is a multiple of 3: no comparison of two fields says which."""

    a: int = 1
    b: int = 1

    @model_validator(mode="after")
    def _sum(self) -> "SumParams":
        if (self.a + self.b) % 3 == 0:
            raise ValueError(f"a + b must not be a multiple of 3, got {self.a + self.b}")
        return self


class Sum(Strategy[SumParams]):
    Params = SumParams


def test_no_simple_constraint_fits_then_a_generic_hint():
    message = refusal(["a=1:6", "b=1:6"], strategy=Sum)
    assert message.startswith("Sum refuses 12 of 36 combinations, the first a=1, b=2: a + b must not be a multiple")
    assert message.endswith("add a --where constraint that skips them")


def test_nothing_left_names_the_constraints():
    message = refusal(STANDARD, ["fast > slow * 100", "slow > 0"])
    assert "no combination to run" in message
    assert "'fast > slow * 100' and 'slow > 0'" in message and "190" in message
    with pytest.raises(ConfigError, match="'fast > slow \\* 100'"):
        validate(SmaCross, ParamSpace.from_options(STANDARD, ["fast > slow * 100"]).random(5, seed=1))
    with pytest.raises(ConfigError, match="no combination to run"):
        validate(SmaCross, [])


class WindowParams(StrategyParams):
    """A model that is not an installed entry point."""

    window: int = Field(ge=2)
    mode: str = "close"


class Window(Strategy[WindowParams]):
    Params = WindowParams


def test_strategies_that_are_no_entry_point_are_named_by_class_and_required_fields_shown():
    message = refusal(["windw=3,4"], strategy=Window)
    assert message == (
        "--grid windw: Window has no parameter 'windw'; did you mean 'window'? "
        "Parameters: window=(required), mode='close'"
    )
    assert [p.window for p in validate(Window, ParamSpace.from_options(["window=3,4"]).grid())] == [3, 4]


class DependentParams(StrategyParams):
    """``high`` is refused, as a field error, when it is not above ``low``."""

    low: int = 1
    high: int = 5

    @field_validator("high")
    @classmethod
    def _above_low(cls, high, info):
        if high <= info.data.get("low", 1):
            raise ValueError("must be above low")
        return high


class Dependent(Strategy[DependentParams]):
    Params = DependentParams


def test_values_that_fail_only_together_with_other_fields_are_still_reported():
    message = refusal(["low=1,6", "high=5,7"], strategy=Dependent)
    assert message == "--grid high: Dependent refuses high=5: must be above low"
