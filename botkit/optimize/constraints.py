"""Constraints of a parameter space (``--where "fast < slow"``): a small, safe expression language.

``parse_where(text)`` parses the text with ``ast`` and checks every node against a short list:
numbers, parameter names, comparisons (chained too), ``and``/``or``/``not``, ``+ - * / // % **``,
unary minus and plus, parentheses, and calls to ``abs``, ``min`` and ``max``; strings and ``None``
only as operands of a comparison (``mode == 'fast'``). Anything else is a ConfigError naming the
piece. The checked tree, with ``*``, ``%`` and ``**`` turned into calls of guards that take only
numbers and bound the size of a power, is compiled once into a code object; evaluating it is one
``eval`` of that code with no builtins, a fraction of a microsecond for ``fast < slow``.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from botkit.core.errors import ConfigError

MAX_TEXT = 1_000
MAX_STRING = 100
MAX_EXPONENT = 1_000
MAX_POWER_BITS = 10_000
_CALLS = {"abs": (1, 1), "min": (2, None), "max": (2, None)}
_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_GUARDED = {ast.Mult: "_botkit_mul", ast.Mod: "_botkit_mod", ast.Pow: "_botkit_pow"}
_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_UNARY = (ast.USub, ast.UAdd, ast.Not)
_KINDS = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Lambda: "lambda",
    ast.IfExp: "conditional expression", ast.NamedExpr: "assignment", ast.Starred: "unpacking",
    ast.JoinedStr: "f-string", ast.Tuple: "tuple", ast.List: "list", ast.Set: "set", ast.Dict: "dict",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}
_ALLOWED = "parameter names, numbers, comparisons, and/or/not, + - * / // % **, abs(), min() and max()"


class _Refused(ArithmeticError):
    """A guard refused an operation (a power too large, arithmetic on a string)."""


def _numbers(op: str, *values: Any) -> None:
    for value in values:
        if not isinstance(value, int | float):
            raise _Refused(f"'{op}' takes numbers, got {value!r}")


def _mul(a: Any, b: Any) -> Any:
    _numbers("*", a, b)
    return a * b


def _mod(a: Any, b: Any) -> Any:
    _numbers("%", a, b)
    return a % b


def _pow(a: Any, b: Any) -> Any:
    _numbers("**", a, b)
    if abs(b) > MAX_EXPONENT:
        raise _Refused(f"exponent {b!r} is larger than {MAX_EXPONENT}")
    if isinstance(a, int) and isinstance(b, int) and b > 0 and a.bit_length() * b > MAX_POWER_BITS:
        raise _Refused(f"{a!r} ** {b!r} would have more than {MAX_POWER_BITS} bits")
    return a**b


# The only names a checked tree can reach besides the parameters: no builtins at all.
_GLOBALS: dict[str, Any] = {
    "__builtins__": {}, "abs": abs, "min": min, "max": max,
    "_botkit_mul": _mul, "_botkit_mod": _mod, "_botkit_pow": _pow,
}


@dataclass(frozen=True)
class Constraint:
    """One checked ``--where`` expression, made by ``parse_where``: called with a combination, says whether to keep it.

    ``names`` are the parameters it reads, in order of first appearance.
    """

    text: str
    names: tuple[str, ...]
    _code: CodeType = field(compare=False, repr=False)
    option: str = field(default="--where", compare=False, repr=False)

    def __call__(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` (name → value, every name in ``names``) satisfy the expression."""
        try:
            # eval of a code object compiled from a checked tree, with no builtins: see the module docstring
            return bool(eval(self._code, _GLOBALS, params))
        except NameError:
            missing = [name for name in self.names if name not in params]
            raise ConfigError(
                f"{self.option} {self.text!r} needs {', '.join(map(repr, missing))}, which the combination "
                f"does not give ({_format(params, params)})"
            ) from None
        except (ArithmeticError, TypeError, ValueError) as error:
            reason = str(error) if isinstance(error, _Refused) else f"{type(error).__name__}: {error}"
            where = f"{self.option} {self.text!r}"
            raise ConfigError(f"{where} failed for {_format(params, self.names)}: {reason}") from None


def parse_where(text: str, *, option: str = "--where") -> Constraint:
    """Check and compile one constraint; ConfigError names ``option``, the text and the refused piece."""
    where = f"{option} {_clip(text)!r}"
    if len(text) > MAX_TEXT:
        raise ConfigError(f"{where}: a constraint is at most {MAX_TEXT:,} characters, this one has {len(text):,}")
    if not text.strip():
        raise ConfigError(f"{option}: the constraint is empty; write an expression such as 'fast < slow'")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ConfigError(f"{where}: not an expression ({error.msg}, at column {error.offset})") from None
    except (ValueError, MemoryError, RecursionError) as error:
        raise ConfigError(f"{where}: not an expression ({error})") from None
    checker = _Checker(text.strip(), where)
    try:
        body = checker.check(tree.body)
    except RecursionError:
        raise ConfigError(f"{where}: the expression is nested too deeply") from None
    code = compile(ast.fix_missing_locations(ast.Expression(body)), f"<{option} {_clip(text)}>", "eval")
    return Constraint(text.strip(), tuple(checker.names), code, option)


class _Checker:
    """Walks a parsed expression, refusing what is not allowed and guarding ``*``, ``%`` and ``**``."""

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.names: dict[str, None] = {}

    def check(self, node: ast.expr) -> ast.expr:
        """The checked (and guarded) copy of ``node``; ConfigError on the first piece not allowed."""
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Compare):
            if not all(isinstance(op, _COMPARE) for op in node.ops):
                self._refuse(node, "only == != < <= > >= compare")
            return ast.Compare(self._operand(node.left), node.ops, [self._operand(c) for c in node.comparators])
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(node.op, [self.check(value) for value in node.values])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, _UNARY):
            return ast.UnaryOp(node.op, self.check(node.operand))
        if isinstance(node, ast.BinOp) and isinstance(node.op, _BINARY):
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        return self._refuse(node, _KINDS.get(type(node), type(node).__name__.lower()))

    def _operand(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
            if isinstance(node.value, str) and len(node.value) > MAX_STRING:
                self._refuse(node, f"a string longer than {MAX_STRING} characters")
            return node
        return self.check(node)

    def _constant(self, node: ast.Constant) -> ast.expr:
        value = node.value
        if isinstance(value, str | type(None)):
            return self._refuse(node, "a string or None outside a comparison")
        if not isinstance(value, int | float):
            return self._refuse(node, f"the constant {type(value).__name__}")
        return node

    def _name(self, node: ast.Name) -> ast.expr:
        if node.id.startswith("_"):
            return self._refuse(node, "a name starting with '_'")
        if node.id in _CALLS:
            return self._refuse(node, f"{node.id} must be called")
        self.names.setdefault(node.id, None)
        return ast.Name(node.id, ast.Load())

    def _binary(self, node: ast.BinOp) -> ast.expr:
        if isinstance(node.op, ast.Pow):
            exponent = _constant_number(node.right)
            if exponent is not None and abs(exponent) > MAX_EXPONENT:
                self._refuse(node, f"an exponent larger than {MAX_EXPONENT}")
        left, right = self.check(node.left), self.check(node.right)
        guard = _GUARDED.get(type(node.op))
        if guard is None:
            return ast.BinOp(left, node.op, right)
        return ast.Call(ast.Name(guard, ast.Load()), [left, right], [])

    def _call(self, node: ast.Call) -> ast.expr:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _CALLS:
            what = f"call to {name!r}" if name else "call"
            return self._refuse(node, f"{what}; only abs, min and max may be called")
        least, most = _CALLS[name]
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            return self._refuse(node, f"{name}() with keywords or unpacking")
        if len(node.args) < least or (most is not None and len(node.args) > most):
            expected = f"{least}" if least == most else f"at least {least}"
            return self._refuse(node, f"{name}() takes {expected} arguments, got {len(node.args)}")
        return ast.Call(ast.Name(name, ast.Load()), [self.check(arg) for arg in node.args], [])

    def _refuse(self, node: ast.AST, what: str) -> ast.expr:
        piece = ast.get_source_segment(self.text, node) or type(node).__name__
        raise ConfigError(f"{self.where}: {_clip(piece)!r} is not allowed ({what}); a constraint may use {_ALLOWED}")


def _constant_number(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _constant_number(node.operand)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    return None


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format(params: Mapping[str, Any], names: Any) -> str:
    return ", ".join(f"{name}={params[name]!r}" for name in names if name in params) or "no parameters"
