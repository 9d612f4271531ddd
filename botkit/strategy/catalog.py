"""The installed strategies with their parameters and defaults: what ``botkit strategies`` lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticUndefined

from botkit.core.errors import ConfigError
from botkit.strategy.base import Strategy
from botkit.strategy.loader import available_strategies, load_strategy_class

REQUIRED = "<required>"
"""Shown in place of a default for a parameter that has none."""


@dataclass(frozen=True)
class StrategyEntry:
    """One installed strategy: entry point, target, parameter defaults and forms, or why it failed to load.

    ``forms`` says how it is written: ``compiled``, ``python`` (hooks) or ``compiled+python``.
    """

    name: str
    target: str
    params: tuple[tuple[str, str], ...] = ()
    forms: str = ""
    error: str | None = None

    @property
    def params_text(self) -> str:
        """The parameters as ``fast=10 slow=50 size=1.0``."""
        return " ".join(f"{name}={value}" for name, value in self.params)


def installed_strategies() -> list[StrategyEntry]:
    """Every strategy entry point, loaded to read its parameters; a broken plugin carries its error."""
    entries = []
    for name, target in sorted(available_strategies().items()):
        try:
            cls = load_strategy_class(name)
        except ConfigError as error:
            entries.append(StrategyEntry(name, target, error=str(error)))
            continue
        params = tuple((field, _default_text(info.get_default(call_default_factory=True)))
                       for field, info in cls.Params.model_fields.items())
        entries.append(StrategyEntry(name, target, params, forms=_forms(cls)))
    return entries


def _forms(cls: type[Strategy[Any]]) -> str:
    compiled = cls.step is not None or cls.compiled_step.__func__ is not Strategy.compiled_step.__func__  # type: ignore[attr-defined]
    return "+".join(form for form, has in (("compiled", compiled), ("python", cls.has_hooks())) if has)


def _default_text(value: object) -> str:
    return REQUIRED if value is PydanticUndefined else str(value)
