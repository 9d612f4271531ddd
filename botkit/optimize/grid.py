"""The parameter space of ``botkit optimize``: grid axes and constraints from user text, and its combinations.

``ParamSpace.from_options(["fast=5:50:5", "slow=20:200:10"], ["fast < slow"])`` (or ``from_mapping``
for a spec's ``grid:`` and ``constraints:``) checks the text; ``grid()`` and ``random(n, seed)`` give
the combinations as dicts in grid order (last axis fastest), filtered by the constraints
(``botkit.optimize.constraints``); ``botkit.optimize.validation.validate`` then builds each with the
strategy's params model, so that every refusal is reported before any backtest runs.

Axis text: ``fast=5:50:5`` is 5, 10, …, 50 (the end is included when the steps reach it, like
``range(5, 51, 5)``; integer bounds without a step count by 1); ``k=0.5:2.0:0.25`` is computed
exactly in decimal from the text, so ``0.1`` steps give ``0.3``, not ``0.30000000000000004``;
``fast=5,10,20`` and ``mode=fast,slow`` are lists (``true``/``false`` are booleans);
``k=0.5:2.0``, float bounds without a step, is a continuous range that only random search samples.
"""

from __future__ import annotations

import difflib
import itertools
import keyword
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal, DecimalException
from typing import Any

import numpy as np

from botkit.core.errors import ConfigError
from botkit.optimize.constraints import Constraint, parse_where

__all__ = ["Axis", "Combinations", "ParamSpace", "Scalar", "axis_from_value", "parse_axis"]

Scalar = int | float | bool | str
MAX_AXIS_POINTS = 1_000_000
MAX_GRID = 10_000_000
MAX_RANDOM = 10_000_000
TRIES_PER_SAMPLE = 100
_ENUMERATE = 1_000_000  # random search lists a discrete space's valid points up to this size (or 100·n)
_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DECIMAL = Context(prec=60)


@dataclass(frozen=True, slots=True)
class Axis:
    """One parameter of the space: its grid points in order, or (``values`` empty) a continuous ``low..high``.

    ``option`` is how the user wrote it (``--grid fast``, ``grid.fast``), for messages.
    """

    name: str
    values: tuple[Scalar, ...] = ()
    low: float | None = None
    high: float | None = None
    option: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        where = self.option or f"grid parameter {self.name!r}"
        _check_name(self.name, where)
        if self.values:
            if self.low is not None or self.high is not None:
                raise ConfigError(f"{where}: give either values or a continuous low..high, not both")
            _check_distinct(self.values, where, self.name)
        elif self.low is None or self.high is None or not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ConfigError(f"{where}: {self.name} needs values, or finite low and high for a continuous range")
        elif not self.low < self.high:
            raise ConfigError(f"{where}: empty range for {self.name}: low {self.low} is not below high {self.high}")

    @property
    def continuous(self) -> bool:
        """Whether this axis is a continuous range (random search only)."""
        return not self.values

    def describe(self) -> str:
        """``fast: 10 values (5..50)``, ``mode: 2 values (fast, slow)``, ``k: uniform 0.5..2``."""
        if self.continuous:
            return f"{self.name}: uniform {self.low:g}..{self.high:g}"
        n, values = len(self.values), self.values
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if n <= 5:
            shown = ", ".join(map(str, values))
        elif len(numbers) == n:
            shown = f"{min(numbers)}..{max(numbers)}"
        else:
            shown = f"{values[0]}, {values[1]}, …, {values[-1]}"
        return f"{self.name}: {n} value{'s' if n != 1 else ''} ({shown})"


class Combinations(list[dict[str, Any]]):
    """Combinations in grid order, with the space they came from (for ``validate``'s messages).

    ``note`` is None, or says why the list is not what was asked for: ``random(n)`` with n at least the
    number of valid combinations returns all of them, in grid order, and says so here.
    """

    def __init__(
        self, combos: Iterable[dict[str, Any]] = (), *, space: ParamSpace | None = None, note: str | None = None,
    ) -> None:
        super().__init__(combos)
        self.space = space
        self.note = note


def parse_axis(text: str, *, option: str = "--grid") -> Axis:
    """One ``NAME=VALUES`` option (``fast=5:50:5``, ``fast=5,10,20``, ``k=0.5:2.0``) as an Axis."""
    where = f"{option} {text!r}"
    name, sep, body = text.partition("=")
    name = name.strip()
    if not sep:
        raise ConfigError(f"{where}: expected NAME=VALUES such as fast=5:50:5, fast=5,10,20 or k=0.5:2.0; no '='")
    if not name:
        raise ConfigError(f"{where}: the parameter name before '=' is empty")
    return _axis_from_text(name, body.strip(), where, f"{option} {name}")


def axis_from_value(name: str, spec: str | Sequence[Any] | int | float, *, option: str = "grid") -> Axis:
    """One entry of a spec's ``grid:`` mapping: text as for ``parse_axis`` (``"5:50:5"``), a list, or one number."""
    where, label = f"{option}.{name} ({spec!r})", f"{option}.{name}"
    _check_name(name, where)
    if isinstance(spec, str):
        return _axis_from_text(name, spec.strip(), where, label)
    if isinstance(spec, bool | int | float):
        spec = [spec]
    if not isinstance(spec, Sequence) or not spec:
        raise ConfigError(f"{where}: give {name} a range text ('5:50:5'), a non-empty list of values or one number")
    return Axis(name, _promoted(list(spec), where, name), option=label)


@dataclass(frozen=True)
class ParamSpace:
    """The axes to search and the constraints every combination must satisfy."""

    axes: tuple[Axis, ...]
    constraints: tuple[Constraint, ...] = ()

    def __post_init__(self) -> None:
        if not self.axes:
            raise ConfigError("nothing to optimize: give at least one --grid NAME=VALUES (or a spec's grid:)")
        seen: dict[str, Axis] = {}
        for axis in self.axes:
            if axis.name in seen:
                raise ConfigError(f"{axis.option or axis.name}: {axis.name} is in the grid twice")
            seen[axis.name] = axis

    @classmethod
    def from_options(cls, grid: Sequence[str], where: Sequence[str] = ()) -> ParamSpace:
        """The space of ``--grid NAME=VALUES`` and ``--where EXPR`` options."""
        return cls(tuple(parse_axis(text) for text in grid), tuple(parse_where(text) for text in where))

    @classmethod
    def from_mapping(
        cls, grid: Mapping[str, str | Sequence[Any]], constraints: Sequence[str] | str = (),
    ) -> ParamSpace:
        """The space of a spec's ``grid: {fast: "5:50:5", slow: [20, 30, 40]}`` and ``constraints: [...]``."""
        if not isinstance(grid, Mapping):
            raise ConfigError(f"grid: expected a mapping of parameter → values, got {type(grid).__name__}")
        texts = [constraints] if isinstance(constraints, str) else list(constraints)
        bad = next((t for t in texts if not isinstance(t, str)), None)
        if bad is not None:
            raise ConfigError(f"constraints: each constraint is an expression text, got {bad!r}")
        axes = tuple(axis_from_value(str(name), spec) for name, spec in grid.items())
        return cls(axes, tuple(parse_where(t, option=f"constraints[{i}]") for i, t in enumerate(texts)))

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names, in axis order."""
        return tuple(axis.name for axis in self.axes)

    @property
    def size(self) -> int | None:
        """The number of grid combinations before constraints; None when an axis is continuous."""
        if any(axis.continuous for axis in self.axes):
            return None
        return math.prod(len(axis.values) for axis in self.axes)

    def check_names(self, fixed: Mapping[str, Any] | None = None) -> None:
        """ConfigError if a constraint reads a name that is neither an axis nor in ``fixed`` (the spec's params)."""
        known = {*self.names, *(fixed or {})}
        for constraint in self.constraints:
            missing = [name for name in constraint.names if name not in known]
            if missing:
                close = difflib.get_close_matches(missing[0], sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"{constraint.option} {constraint.text!r}: {missing[0]!r} is neither a grid parameter nor a "
                    f"fixed one{hint} (grid: {', '.join(self.names)}; fixed: {', '.join(fixed or {}) or 'none'})"
                )

    def grid(self, fixed: Mapping[str, Any] | None = None) -> Combinations:
        """Every combination of the axes that satisfies the constraints (read over ``fixed`` too), in grid order."""
        self.check_names(fixed)
        continuous = next((axis for axis in self.axes if axis.continuous), None)
        if continuous is not None:
            name, low, high = continuous.name, continuous.low, continuous.high
            raise ConfigError(
                f"{continuous.option or name}: {name}={low}:{high} is a continuous range: use random search "
                f"(--random N) or give it a step ({name}={low}:{high}:STEP)"
            )
        size = self.size or 0
        if size > MAX_GRID:
            raise ConfigError(
                f"the grid has {size:,} combinations, more than {MAX_GRID:,}: "
                f"use coarser steps, fewer values, or random search (--random N)"
            )
        keep, combos = self._keeper(fixed), self._every_combination()
        return Combinations(combos if keep is None else filter(keep, combos), space=self)

    def random(self, n: int, seed: int, fixed: Mapping[str, Any] | None = None) -> Combinations:
        """``n`` distinct combinations satisfying the constraints, the same for the same seed, in grid order.

        A discrete space of at most ``max(1,000,000, 100·n)`` points is listed and sampled without
        replacement (n at least its valid points: all of them, with a ``note``); otherwise points are
        drawn uniformly (continuous axes from ``low..high``) and kept if valid, at most 100·n draws.
        """
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_RANDOM:
            raise ConfigError(f"--random must be between 1 and {MAX_RANDOM:,} combinations, got {n!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"--seed must be an integer >= 0, got {seed!r}")
        self.check_names(fixed)
        rng = np.random.default_rng(seed)
        size = self.size
        if size is not None and size <= max(_ENUMERATE, min(TRIES_PER_SAMPLE * n, MAX_GRID)):
            return self._sample_listed(n, rng, fixed)
        return self._sample_drawn(n, rng, fixed)

    def describe(self, fixed: Mapping[str, Any] | None = None) -> str:
        """A one-line summary, e.g. ``fast: 10 values (5..50), slow: 19 values (20..200); 174 of 190 ...``.

        It ends ``174 of 190 combinations after 'fast < slow'``: the constraints are counted over the
        grid (read over ``fixed`` too) when it has at most 1,000,000 points.
        """
        return f"{', '.join(axis.describe() for axis in self.axes)}; {self._count_text(fixed, count=True)}"

    def __repr__(self) -> str:
        axes = ", ".join(axis.describe() for axis in self.axes)
        return f"ParamSpace({axes}; {self._count_text(None, count=False)})"

    def _count_text(self, fixed: Mapping[str, Any] | None, *, count: bool) -> str:
        rules, size = self._rules(), self.size
        if size is None:
            return "random search only" + (f", after {rules}" if rules else "")
        if not rules:
            return f"{size:,} combinations"
        if not count or size > _ENUMERATE:
            return f"{size:,} combinations before {rules}"
        return f"{len(self.grid(fixed)):,} of {size:,} combinations after {rules}"

    def _rules(self) -> str:
        return " and ".join(repr(c.text) for c in self.constraints)

    def _every_combination(self) -> Iterator[dict[str, Any]]:
        names = self.names
        return (dict(zip(names, values, strict=True)) for values in itertools.product(*(a.values for a in self.axes)))

    def _keeper(self, fixed: Mapping[str, Any] | None) -> Callable[[dict[str, Any]], bool] | None:
        """A predicate over one combination for all constraints, or None without constraints."""
        if not self.constraints:
            return None
        checks = tuple(self.constraints)
        if fixed and not all(set(c.names) <= set(self.names) for c in checks):
            base = dict(fixed)
            return lambda combo: all(check({**base, **combo}) for check in checks)
        if len(checks) == 1:
            return checks[0]
        return lambda combo: all(check(combo) for check in checks)

    def _sample_listed(self, n: int, rng: np.random.Generator, fixed: Mapping[str, Any] | None) -> Combinations:
        size, keep = self.size or 0, self._keeper(fixed)
        if keep is None:
            valid = np.arange(size)
        else:
            valid = np.flatnonzero(np.fromiter(map(keep, self._every_combination()), dtype=bool, count=size))
        note = None
        if n >= len(valid):
            after = f" satisfying {self._rules()}" if self.constraints else ""
            note = f"--random {n}: the space has only {len(valid):,} combinations{after}; running all of them"
            picked = valid
        else:
            picked = np.sort(valid[rng.choice(len(valid), size=n, replace=False)])
        indices = np.unravel_index(picked, tuple(len(axis.values) for axis in self.axes))
        columns = [[axis.values[i] for i in idx.tolist()] for axis, idx in zip(self.axes, indices, strict=True)]
        rows = (dict(zip(self.names, row, strict=True)) for row in zip(*columns, strict=True))
        return Combinations(rows, space=self, note=note)

    def _sample_drawn(self, n: int, rng: np.random.Generator, fixed: Mapping[str, Any] | None) -> Combinations:
        keep, budget, tries = self._keeper(fixed), TRIES_PER_SAMPLE * n, 0
        found: dict[tuple[Any, ...], dict[str, Any]] = {}
        while len(found) < n and tries < budget:
            batch = min(budget - tries, max(1_024, 2 * (n - len(found))))
            tries += batch
            columns = [_draw(axis, rng, batch) for axis in self.axes]
            for row in zip(*columns, strict=True):
                if row in found:
                    continue
                combo = {
                    axis.name: x if axis.continuous else axis.values[x] for axis, x in zip(self.axes, row, strict=True)
                }
                if keep is None or keep(combo):
                    found[row] = combo
                    if len(found) == n:
                        break
        if len(found) < n:
            raise ConfigError(
                f"--random {n}: only {len(found):,} distinct combinations satisfied {self._rules() or 'the space'} "
                f"in {budget:,} draws "
                f"({TRIES_PER_SAMPLE} per combination asked for): loosen the constraints or ask for fewer"
            )
        return Combinations((found[row] for row in sorted(found)), space=self)


def _draw(axis: Axis, rng: np.random.Generator, size: int) -> list[Any]:
    """``size`` uniform draws: values in ``low..high`` of a continuous axis, else indices into ``values``."""
    if axis.low is not None and axis.high is not None:
        return rng.uniform(axis.low, axis.high, size=size).tolist()
    return rng.integers(0, len(axis.values), size=size).tolist()


def _axis_from_text(name: str, body: str, where: str, option: str) -> Axis:
    _check_name(name, where)
    if not body:
        raise ConfigError(f"{where}: no values for {name}")
    if ":" in body:
        return _range_axis(name, body, where, option)
    tokens = [token.strip() for token in body.split(",")]
    if not all(tokens):
        raise ConfigError(f"{where}: an empty value in the list for {name}")
    return Axis(name, _promoted([_scalar(token, where, name) for token in tokens], where, name), option=option)


def _range_axis(name: str, body: str, where: str, option: str) -> Axis:
    parts = [part.strip() for part in body.split(":")]
    if len(parts) not in (2, 3):
        raise ConfigError(f"{where}: a range of {name} is START:END or START:END:STEP, got {len(parts)} parts")
    bad = next((part for part in parts if not _NUMBER.fullmatch(part)), None)
    if bad is not None:
        raise ConfigError(f"{where}: the range bounds of {name} must be numbers, got {bad!r}")
    if any(not math.isfinite(float(part)) for part in parts):
        raise ConfigError(f"{where}: the range bounds of {name} must be finite numbers")
    if all(_INT.fullmatch(part) for part in parts):
        start, end, step = int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) == 3 else 1
        _check_range(start, end, step, where, name, parts)
        count = (end - start) // step + 1
        _check_count(count, where, name)
        return Axis(name, tuple(range(start, end + 1, step)), option=option)
    if len(parts) == 2:
        low, high = float(parts[0]), float(parts[1])
        _check_range(low, high, 1, where, name, parts)
        if low == high:
            raise ConfigError(f"{where}: the continuous range of {name} is a single point; write {name}={parts[0]}")
        return Axis(name, low=low, high=high, option=option)
    start_d, end_d, step_d = (Decimal(part) for part in parts)
    _check_range(start_d, end_d, step_d, where, name, parts)
    try:
        points = int(_DECIMAL.divide_int(end_d - start_d, step_d)) + 1
    except DecimalException:  # the number of points does not even fit 60 digits
        raise ConfigError(f"{where}: the range of {name} has far more than {MAX_AXIS_POINTS:,} points") from None
    _check_count(points, where, name)
    values = tuple(float(_DECIMAL.fma(i, step_d, start_d)) for i in range(points))
    _check_distinct(values, where, name)  # steps below a float's precision
    return Axis(name, values, option=option)


def _check_range(start: Any, end: Any, step: Any, where: str, name: str, parts: list[str]) -> None:
    if step <= 0:
        raise ConfigError(f"{where}: the step of {name} must be > 0, got {parts[2]}")
    if start > end:
        raise ConfigError(f"{where}: empty range for {name}: start {parts[0]} is above end {parts[1]}")


def _check_count(count: int, where: str, name: str) -> None:
    if count > MAX_AXIS_POINTS:
        raise ConfigError(
            f"{where}: the range of {name} has {count:,} points, more than {MAX_AXIS_POINTS:,}; use a larger step"
        )


def _scalar(token: str, where: str, name: str) -> Scalar:
    if token.lower() in ("true", "false"):
        return token.lower() == "true"
    if _INT.fullmatch(token):
        return int(token)
    if _NUMBER.fullmatch(token):
        value = float(token)
        if not math.isfinite(value):
            raise ConfigError(f"{where}: the value {token} of {name} is not a finite number")
        return value
    return token


def _promoted(values: list[Scalar], where: str, name: str) -> tuple[Scalar, ...]:
    """The values, with ints as floats when ints and floats are mixed (``0.5,1,2``); duplicates refused."""
    bad = [v for v in values if not isinstance(v, int | float | str) or (isinstance(v, float) and not math.isfinite(v))]
    if bad:
        raise ConfigError(f"{where}: {name} values must be finite numbers, booleans or strings, got {bad[0]!r}")
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if any(isinstance(v, float) for v in numbers) and any(isinstance(v, int) for v in numbers):
        values = [float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values]
    _check_distinct(values, where, name)
    return tuple(values)


def _check_distinct(values: Sequence[Scalar], where: str, name: str) -> None:
    seen: set[Scalar] = set()
    for value in values:
        if value in seen:
            raise ConfigError(f"{where}: {name} lists the value {value!r} twice (values must be distinct)")
        seen.add(value)


def _check_name(name: str, where: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ConfigError(f"{where}: {name!r} is not a parameter name (a Python identifier not starting with '_')")
