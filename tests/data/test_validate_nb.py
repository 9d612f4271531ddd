"""The compiled validity pass agrees with the vectorised checks on every kind of bad row."""

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.data import validate
from botkit.data.layout import day_start_ns

DAY = date(2024, 1, 2)
T = day_start_ns(DAY)
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -1.0, 1e-300]


@st.composite
def columns(draw: st.DrawFn) -> tuple[str, dict[str, np.ndarray]]:
    kind = draw(st.sampled_from(["bars", "trades", "quotes"]))
    n = draw(st.integers(1, 30))
    steps = draw(st.lists(st.sampled_from([0, 1, 1, 1, 60_000_000_000, -1]), min_size=n, max_size=n))
    ts = T + draw(st.sampled_from([0, 1000, -1, 86_400_000_000_000 - 30])) + np.cumsum(steps).astype(np.int64)
    price = 100.0 + np.arange(n, dtype=np.float64)
    if kind == "bars":
        cols = {"ts": ts, "open": price, "high": price + 1, "low": price - 1, "close": price + 0.5,
                "volume": np.ones(n)}
    elif kind == "trades":
        cols = {"ts": ts, "price": price, "size": np.ones(n), "side": np.ones(n, dtype=np.int8)}
    else:
        cols = {"ts": ts, "bid": price, "bid_size": np.ones(n), "ask": price + 0.1, "ask_size": np.ones(n)}
    for _ in range(draw(st.integers(0, 3))):  # break something, or nothing
        name = draw(st.sampled_from(sorted(cols)))
        row = draw(st.integers(0, n - 1))
        if name == "ts":
            continue
        if name == "side":
            cols[name][row] = draw(st.sampled_from([0, 2, -1, 1]))
        else:
            cols[name][row] = draw(st.one_of(st.sampled_from(SPECIAL), st.floats(0.0, 200.0)))
    return kind, cols


@settings(max_examples=600, deadline=None)
@given(columns(), st.booleans(), st.booleans(), st.booleans())
def test_compiled_pass_agrees_with_the_detailed_checks(case, with_day, with_prev, fresh_rows) -> None:
    kind, cols = case
    n = len(cols["ts"])
    fresh = np.array([0] if not with_prev else [], dtype=np.intp)
    if fresh_rows and n > 2:
        fresh = np.unique(np.append(fresh, [n // 2])).astype(np.intp)
    day = DAY if with_day else None
    prev = int(cols["ts"][0]) - 5 if with_prev else None
    fast = validate._all_valid(cols, kind, fresh, day, prev)
    detailed = validate._detailed_problem(cols, kind, fresh, day, first_row=1, prev_ts=prev)
    assert fast == (detailed is None), detailed
