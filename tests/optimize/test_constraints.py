import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.core.errors import ConfigError
from botkit.optimize.constraints import MAX_EXPONENT, parse_where


@pytest.mark.parametrize(("text", "params", "expected"), [
    ("fast < slow", {"fast": 5, "slow": 20}, True),
    ("fast < slow", {"fast": 20, "slow": 20}, False),
    ("5 <= fast < slow", {"fast": 4, "slow": 20}, False),
    ("5 <= fast < slow", {"fast": 5, "slow": 20}, True),
    ("fast < slow and not slow > 100 or fast == 1", {"fast": 1, "slow": 500}, True),
    ("(slow - fast) % 5 == 0 and slow // fast >= 2", {"fast": 5, "slow": 15}, True),
    ("slow / fast > 2.5", {"fast": 4, "slow": 10}, False),
    ("fast ** 2 < slow", {"fast": 3, "slow": 10}, True),
    ("-fast < +slow", {"fast": 3, "slow": -2}, True),
    ("abs(fast - slow) >= 10 and min(fast, slow, 7) == 5 and max(fast, slow) < 30", {"fast": 5, "slow": 20}, True),
    ("mode == 'fast' and size != None", {"mode": "fast", "size": 1.0}, True),
    ("on", {"on": False}, False),
    ("k * 2 > 1.5", {"k": 0.8}, True),
])
def test_allowed_expressions_evaluate_like_python(text, params, expected):
    assert parse_where(text)(params) is expected


def test_names_and_text():
    constraint = parse_where("  5 <= fast < slow and abs(fast - size) > 0  ")
    assert constraint.names == ("fast", "slow", "size")
    assert constraint.text == "5 <= fast < slow and abs(fast - size) > 0"
    assert constraint == parse_where("5 <= fast < slow and abs(fast - size) > 0")


@pytest.mark.parametrize(("text", "piece"), [
    ("__import__('os')", "__import__"),
    ("__import__('os').system('true')", "only abs, min and max may be called"),
    ("().__class__", "().__class__"),
    ("fast.__class__", "fast.__class__"),
    ("fast.real > 1", "fast.real"),
    ("fast[0] > 1", "fast[0]"),
    ("(lambda: 1)() > 0", "lambda"),
    ("open('x') is None", "open"),
    ("eval('1') > 0", "eval"),
    ("fast if slow else 1", "conditional expression"),
    ("[fast] == [1]", "[fast]"),
    ("(fast, slow) == (1, 2)", "tuple"),
    ("{fast: 1}", "dict"),
    ("[x for x in fast]", "comprehension"),
    ("(y := 3) > fast", "assignment"),
    ("f'{fast}' == '5'", "f-string"),
    ("fast in (1, 2)", "fast in (1, 2)"),
    ("fast is None", "fast is None"),
    ("_secret > 1", "_secret"),
    ("abs < 3", "abs must be called"),
    ("abs(x=1) > 0", "keywords"),
    ("max(*fast) > 0", "unpacking"),
    ("min(fast) > 0", "min() takes at least 2 arguments, got 1"),
    ("abs(fast, slow) > 0", "abs() takes 1 arguments, got 2"),
    ("'a' * 3 == mode", "'a'"),
    ("mode == '" + "a" * 101 + "'", "longer than 100"),
    ("2 ** 10000 > fast", "exponent larger than"),
    ("fast ** -5000 > 0", "exponent larger than"),
    ("1j == fast", "complex"),
    ("b'x' == mode", "bytes"),
    ("fast ~ 1", "not an expression"),
    ("fast < ", "not an expression"),
])
def test_refused_pieces_are_named(text, piece):
    with pytest.raises(ConfigError) as error:
        parse_where(text)
    message = str(error.value)
    assert message.startswith("--where ")
    assert piece in message


def test_text_length_and_emptiness():
    with pytest.raises(ConfigError, match="at most 1,000 characters"):
        parse_where("fast < slow and " * 70 + "fast < slow")
    assert parse_where(" and ".join(["fast < slow"] * 60))({"fast": 1, "slow": 2})  # 900 characters is fine
    with pytest.raises(ConfigError, match="empty"):
        parse_where("   ")


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ConfigError, match="--where"):
        parse_where("(" * 300 + "fast" + ")" * 300)
    assert parse_where("-" * 401 + "fast < 0")({"fast": 1}) is True


def test_the_option_names_where_the_constraint_came_from():
    with pytest.raises(ConfigError, match=r"^constraints\[2\] 'fast\.real'"):
        parse_where("fast.real", option="constraints[2]")


@pytest.mark.parametrize(("text", "params", "fragment"), [
    ("fast ** slow > 0", {"fast": 2, "slow": MAX_EXPONENT + 1}, "exponent 1001 is larger than 1000"),
    ("fast ** slow > 0", {"fast": 10**20, "slow": 999}, "more than 10000 bits"),
    ("mode * 1000000000 == 'x'", {"mode": "ab"}, "'*' takes numbers, got 'ab'"),
    ("mode % fast == 'x'", {"mode": "%999999999d", "fast": 1}, "'%' takes numbers"),
    ("fast % (slow - 50) == 0", {"fast": 5, "slow": 50}, "ZeroDivisionError"),
    ("fast / (slow - 50) > 0", {"fast": 5, "slow": 50}, "fast=5, slow=50"),
    ("mode < 3", {"mode": "fast"}, "TypeError"),
    ("fast * 10.0 ** 400 > 0", {"fast": 10}, "OverflowError"),
])
def test_evaluation_errors_name_the_expression_and_the_params(text, params, fragment):
    with pytest.raises(ConfigError) as error:
        parse_where(text)(params)
    assert f"--where {text!r}" in str(error.value)
    assert fragment in str(error.value)


def test_no_builtins_are_reachable():
    with pytest.raises(ConfigError, match="needs 'print'"):
        parse_where("print > 0")({"fast": 1})
    with pytest.raises(ConfigError, match="needs 'slow'"):
        parse_where("fast < slow")({"fast": 1})


def test_a_parameter_may_shadow_nothing_dangerous():
    assert parse_where("len == 3")({"len": 3}) is True


operands = st.one_of(st.integers(-9, 9).map(str), st.sampled_from(["a", "b", "c"]))


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(operands)
    kind = draw(st.sampled_from(["bin", "unary", "call", "cmp"]))
    left, right = draw(expressions(depth=depth - 1)), draw(expressions(depth=depth - 1))
    if kind == "bin" and draw(st.booleans()):
        return f"({left} ** {draw(st.integers(0, 3))})"  # small exponents: the oracle below has no guard
    if kind == "bin":
        return f"({left} {draw(st.sampled_from(['+', '-', '*', '//', '%']))} {right})"
    if kind == "unary":
        return f"({draw(st.sampled_from(['-', 'not ']))}{left})"
    if kind == "call":
        return f"{draw(st.sampled_from(['min', 'max']))}({left}, {right})" if draw(st.booleans()) else f"abs({left})"
    return f"({left} {draw(st.sampled_from(['<', '<=', '==', '!=', '>', '>=']))} {right})"


@given(text=expressions(), a=st.integers(-9, 9), b=st.integers(-9, 9), c=st.integers(-9, 9))
def test_compiled_constraints_agree_with_python(text, a, b, c):
    params = {"a": a, "b": b, "c": c}
    constraint = parse_where(text)
    try:
        expected = bool(eval(text, {"__builtins__": {}, "abs": abs, "min": min, "max": max}, params))
    except (ArithmeticError, TypeError, ValueError):
        with pytest.raises(ConfigError):
            constraint(params)
        return
    assert constraint(params) is expected
