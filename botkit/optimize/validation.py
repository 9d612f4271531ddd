"""Every combination of a search built with the strategy's params model, before any backtest runs.

``validate(SmaCross, space.grid(fixed), fixed)`` returns one ``StrategyParams`` per combination, or
raises one ConfigError that says everything wrong at once: a grid parameter the strategy lacks
(with the closest name and every parameter's default), each value a field refuses (once per
parameter and reason, with pydantic's reason), how many combinations the model itself refuses
(the first of them, and a ``--where`` constraint that would skip exactly those when a simple
comparison of two parameters does), or that the constraints left nothing to run.
"""

from __future__ import annotations

import difflib
import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from botkit.core.errors import ConfigError
from botkit.optimize.grid import Combinations, ParamSpace
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.loader import available_strategies

_SHOWN_VALUES = 5
_SUGGESTED_AXES = 6
_COMPARISONS: tuple[tuple[str, Callable[[Any, Any], bool]], ...] = (
    ("<", operator.lt), ("<=", operator.le), (">", operator.gt), (">=", operator.ge), ("!=", operator.ne),
)


def validate(
    strategy_cls: type[Strategy[Any]], combos: Sequence[Mapping[str, Any]], fixed: Mapping[str, Any] | None = None,
) -> list[StrategyParams]:
    """The params of every combination (``fixed``, the spec's ``params:``, under it), in order; or one ConfigError.

    ``combos`` from ``ParamSpace.grid`` or ``random`` (a ``Combinations``) carry their space, whose option
    texts and constraints the messages then name.
    """
    fixed = dict(fixed or {})
    space = combos.space if isinstance(combos, Combinations) else None
    if not combos:
        raise ConfigError(_nothing_left(space))
    if space is not None:
        space.check_names(fixed)
    grid_names = list(dict.fromkeys(name for combo in combos for name in combo))
    labels = {axis.name: axis.option for axis in space.axes} if space is not None else {}
    _check_known(strategy_cls, grid_names, fixed, labels)
    _check_values(strategy_cls, combos, fixed, labels)
    return _build(strategy_cls, combos, fixed, labels, space)


def _check_known(
    strategy_cls: type[Strategy[Any]], grid_names: list[str], fixed: dict[str, Any], labels: dict[str, str],
) -> None:
    fields = strategy_cls.Params.model_fields
    unknown = [name for name in dict.fromkeys([*grid_names, *fixed]) if name not in fields]
    if not unknown:
        return
    listing = ", ".join(f"{name}={_default(info)}" for name, info in fields.items()) or "none"
    who = _strategy_name(strategy_cls)
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        label = labels.get(name) or (name if name in grid_names else f"params.{name}")
        problems.append(f"{label}: {who} has no parameter {name!r}{hint}")
    if len(problems) == 1:
        end = " " if problems[0].endswith("?") else ". "
        raise ConfigError(f"{problems[0]}{end}Parameters: {listing}")
    raise ConfigError(_joined(problems, f"{who} lacks {len(problems)} grid parameters") + f"\nParameters: {listing}")


def _check_values(
    strategy_cls: type[Strategy[Any]], combos: Sequence[Mapping[str, Any]], fixed: dict[str, Any],
    labels: dict[str, str],
) -> None:
    """Each distinct value of each grid parameter alone over ``fixed``: refusals of that field only."""
    distinct: dict[str, dict[Any, None]] = {}
    for combo in combos:
        for name, value in combo.items():
            distinct.setdefault(name, {})[value] = None
    refused: dict[tuple[str, str], list[Any]] = {}
    model = strategy_cls.Params
    for name, values in distinct.items():
        for value in values:
            for loc, message in _errors(model, {**fixed, name: value}):
                if loc == (name,):
                    refused.setdefault((name, message), []).append(value)
    if refused:
        raise ConfigError(_refusals(strategy_cls, refused, labels))


def _build(
    strategy_cls: type[Strategy[Any]], combos: Sequence[Mapping[str, Any]], fixed: dict[str, Any],
    labels: dict[str, str], space: ParamSpace | None,
) -> list[StrategyParams]:
    model = strategy_cls.Params
    built: list[StrategyParams] = []
    accepted: list[bool] = []
    field_refusals: dict[tuple[str, str], list[Any]] = {}
    first: tuple[Mapping[str, Any], str] | None = None
    for combo in combos:
        try:
            built.append(model.model_validate({**fixed, **combo} if fixed else combo))
            accepted.append(True)
        except ValidationError as error:
            accepted.append(False)
            for loc, message in _details(error):
                if loc:  # a field refused a value that passed alone: it depends on other fields
                    values = field_refusals.setdefault((str(loc[0]), message), [])
                    value = combo.get(str(loc[0]), fixed.get(str(loc[0])))
                    if value not in values:
                        values.append(value)
                elif first is None:
                    first = (combo, message)
    if field_refusals:
        raise ConfigError(_refusals(strategy_cls, field_refusals, labels))
    if first is not None:
        refused = accepted.count(False)
        combo, message = first
        shown = ", ".join(f"{name}={value!r}" for name, value in combo.items())
        raise ConfigError(
            f"{_strategy_name(strategy_cls)} refuses {refused:,} of {len(combos):,} combinations, "
            f"the first {shown}: {message}; {_suggestion(combos, accepted, fixed, space)}"
        )
    return built


def _suggestion(
    combos: Sequence[Mapping[str, Any]], accepted: list[bool], fixed: dict[str, Any], space: ParamSpace | None,
) -> str:
    """A constraint ``a OP b`` over two parameters (one in the grid) that keeps exactly the accepted combinations."""
    cli = space is None or any(axis.option.startswith("--") for axis in space.axes)
    grid = [name for name, v in combos[0].items() if _is_number(v)][:_SUGGESTED_AXES]
    others = [name for name, v in fixed.items() if name not in combos[0] and _is_number(v)][:_SUGGESTED_AXES]
    pairs = [*itertools.combinations(grid, 2), *itertools.product(grid, others)]
    for a, b in pairs:
        for text, compare in _COMPARISONS:
            try:
                fits = all(
                    bool(compare(c[a], c[b] if b in c else fixed[b])) == ok
                    for c, ok in zip(combos, accepted, strict=True)
                )
            except (KeyError, TypeError):
                fits = False
            if fits:
                expression = f"{a} {text} {b}"
                return f'add --where "{expression}" to skip them' if cli else f'add "{expression}" to constraints'
    where = "a --where constraint" if cli else "a constraint to the spec's constraints"
    return f"add {where} that skips them"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _nothing_left(space: ParamSpace | None) -> str:
    if space is None or not space.constraints:
        return "no combination to run: the list of combinations is empty"
    rules = " and ".join(repr(c.text) for c in space.constraints)
    size = space.size
    of = f"all {size:,} combinations of the grid" if size is not None else "every combination drawn"
    verb = "removes" if len(space.constraints) == 1 else "remove"
    return f"no combination to run: {rules} {verb} {of}; loosen the constraints or widen the grid"


def _refusals(
    strategy_cls: type[Strategy[Any]], refused: dict[tuple[str, str], list[Any]], labels: dict[str, str],
) -> str:
    who = _strategy_name(strategy_cls)
    problems = []
    for (name, message), values in refused.items():
        shown = ", ".join(repr(v) for v in values[:_SHOWN_VALUES])
        more = f", … ({len(values):,} values)" if len(values) > _SHOWN_VALUES else ""
        problems.append(f"{labels.get(name) or name}: {who} refuses {name}={shown}{more}: {message}")
    return _joined(problems, f"{who} refuses values of the grid ({len(problems)} problems)")


def _errors(model: type[BaseModel], values: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    try:
        model.model_validate(values)
    except ValidationError as error:
        return _details(error)
    return []


def _details(error: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    return [
        (tuple(detail["loc"]), detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, "))
        for detail in error.errors(include_url=False)
    ]


def _joined(problems: list[str], heading: str) -> str:
    if len(problems) == 1:
        return problems[0]
    return heading + ":\n" + "\n".join(f"  {problem}" for problem in problems)


def _default(info: Any) -> str:
    return "(required)" if info.is_required() else repr(info.get_default(call_default_factory=True))


def _strategy_name(strategy_cls: type[Strategy[Any]]) -> str:
    """The entry point name of the class (``sma_cross``) if it is installed as one, else the class name."""
    ref = f"{strategy_cls.__module__}:{strategy_cls.__qualname__}"
    return next((name for name, value in available_strategies().items() if value.strip() == ref),
                strategy_cls.__name__)
