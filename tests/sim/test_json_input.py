"""Bounded JSON decoding: hostile input is one JsonInputError, never another exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.sim.json_input import JsonInputError, loads_bounded, nesting_exceeds

MIB = 1 << 20


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 8 levels"),
        (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "nested deeper than 8 levels"),
        (b'{"qty": ' + b"1" * 5_000 + b"}", "a number has more than 40 characters"),
        (b'{"qty": 1.' + b"5" * 50 + b"}", "a number has more than 40 characters"),
        (b'{"qty": NaN}', "NaN is not JSON"),
        (b'{"qty": -Infinity}', "-Infinity is not JSON"),
        (b'{"qty": "1", "qty": "2"}', "key 'qty' appears twice"),
        (b"\xff\xfe{}", "not valid UTF-8 JSON"),
        (b"{'single': 'quotes'}", "not valid UTF-8 JSON"),
        (b" " * (MIB + 1), f"larger than {MIB} bytes"),
    ],
)
def test_hostile_json_is_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        loads_bounded(raw, max_bytes=MIB)
    assert caught.value.reason == reason


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"note": "[[[[[[[[[[{{{{{{{{{{ \\\" ]]]]", "list": [[1, [2]]]})
    assert not nesting_exceeds(text.encode(), 4)  # the object and three arrays
    assert nesting_exceeds(text.encode(), 3)
    assert loads_bounded(text, max_bytes=MIB) == json.loads(text)


def test_plain_json_within_the_bounds_decodes_as_usual() -> None:
    body = {"symbol": "BTCUSD", "qty": 0.01, "n": 12, "ok": True, "none": None, "levels": [[1, 2]]}
    assert loads_bounded(json.dumps(body).encode(), max_bytes=MIB) == body
    assert loads_bounded('{"qty": 1e400}', max_bytes=MIB) == {"qty": float("inf")}


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_decode_or_raise_json_input_error(raw: bytes) -> None:
    try:
        loads_bounded(raw, max_bytes=MIB, max_depth=4)
    except JsonInputError as error:
        assert error.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_json_is_refused_only_for_a_bound(value: object) -> None:
    raw = json.dumps(value).encode()
    try:
        assert loads_bounded(raw, max_bytes=MIB) == json.loads(raw)
    except JsonInputError as error:
        assert error.reason.startswith(("nested deeper", "a number has more"))
