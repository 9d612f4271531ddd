"""The compiled path, the Python path and the reference backtester agree on every fill.

Random price paths, strategy params and spec settings (fees, slippage, latency, sizing, risk)
drive ``botkit.backtest`` with ``engine="compiled"`` and ``engine="python"`` and the pure-Python
reference in tests/backtest/reference. Every fill (ts, symbol, side, qty, price, fee, liquidity),
every rejection (ts, symbol, side, code), the kill switch's trip (ts, code), the number of closed
round trips, the equity per event and the final equity must agree (floats to 1e-9 relative), as
docs/backtesting.md requires. The strategies are the examples (both forms of the SMA crossover,
the compiled-only Bollinger and Donchian ones, the hooks-only momentum) and tests/backtest/indicator_zoo.py,
which decides on every kind of declared indicator; their indicators are exact in botkit and in the
reference alike (math.fsum means), so the decisions agree on every trade.
"""

from __future__ import annotations

import math
import os
import random
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(os.path.dirname(HERE)))  # the repo root, for botkit

import pandas as pd  # noqa: E402
from reference import Bar, Quote, Trade, config_from_spec, make_strategy, run_backtest  # noqa: E402
from reference.strategies import IndicatorZoo  # noqa: E402

ZOO = f"{os.path.join(HERE, 'indicator_zoo.py')}:IndicatorZoo"

try:
    import botkit

    _ = botkit.backtest, botkit.BacktestSpec
    ENGINE_MISSING: str | None = None
except Exception as exc:
    ENGINE_MISSING = f"botkit.backtest / botkit.BacktestSpec not available yet: {exc!r}"

pytestmark = pytest.mark.skipif(ENGINE_MISSING is not None, reason=ENGINE_MISSING or "")

MIN = 60 * 10**9
T0 = 1_700_000_040 * 10**9  # a minute boundary
REL = 1e-9
ENGINES = ("compiled", "python")


# --------------------------------------------------------------------------------------------
# Data helpers


def to_frame(events: list[Any]) -> pd.DataFrame:
    """Reference events (Bar / Trade / Quote) -> the DataFrame botkit.backtest wants."""
    if not events:
        raise ValueError("no events")
    if isinstance(events[0], Bar):
        cols = ["ts", "open", "high", "low", "close", "volume"]
    elif isinstance(events[0], Trade):
        cols = ["ts", "price", "size"]
    elif isinstance(events[0], Quote):
        cols = ["ts", "bid", "bid_size", "ask", "ask_size"]
    else:
        raise TypeError(type(events[0]))
    df = pd.DataFrame([tuple(e) for e in events], columns=cols)
    df["ts"] = df["ts"].astype("int64")
    for c in cols[1:]:
        df[c] = df[c].astype("float64")
    if isinstance(events[0], Trade):
        df["side"] = 1  # the aggressor's side: botkit's trades carry it, the fill model ignores it
    return df


def gen_bars(
    seed: int,
    n: int,
    *,
    start: float = 100.0,
    vol: float = 0.01,
    t0: int = T0,
    tick: float = 0.0,
    missing: frozenset[int] = frozenset(),
) -> list[Bar]:
    """A positive random walk with consistent OHLC; ``tick`` > 0 rounds prices to the grid."""
    rng = random.Random(seed)
    bars = []
    close = start
    for i in range(n):
        open_ = close * math.exp(rng.gauss(0.0, vol / 4))
        close = open_ * math.exp(rng.gauss(0.0, vol))
        high = max(open_, close) * math.exp(abs(rng.gauss(0.0, vol / 2)))
        low = min(open_, close) * math.exp(-abs(rng.gauss(0.0, vol / 2)))
        o, h, lo, c = open_, high, low, close
        if tick > 0:
            o, h, lo, c = (max(tick, round(x / tick) * tick) for x in (o, h, lo, c))
            h = max(h, o, c)
            lo = min(lo, o, c)
        if i not in missing:
            bars.append(Bar(t0 + i * MIN, o, h, lo, c, float(rng.randint(1, 1000))))
    return bars


# --------------------------------------------------------------------------------------------
# Running and comparing


# the reference's rejection reasons that are spelled differently from botkit's RejectCode values
REFERENCE_CODES = {"zero_quantity": "qty_zero", "allow_short": "no_short"}


def run_reference(spec: dict[str, Any], data: dict[str, list[Any]], strategy: Any = None):
    cfg, kind, symbols = config_from_spec(spec)
    if strategy is None:
        strategy = make_strategy(spec["strategy"], dict(spec.get("params", {})))
    return run_backtest(data, kind, strategy, cfg, symbols=symbols)


def run_engine(spec: dict[str, Any], data: dict[str, list[Any]], engine: str):
    full = {**spec, "engine": engine}
    parsed = botkit.BacktestSpec.model_validate(full)
    return botkit.backtest(parsed, data={s: to_frame(ev) for s, ev in data.items()})


def close(a: float, b: float, rel: float = REL, abs_: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def engine_fills(result) -> list[tuple]:
    df = result.fills
    out = []
    for row in df.itertuples(index=False):
        out.append(
            (
                row.ts.value,
                str(row.symbol),
                1 if row.side == "buy" else -1,
                float(row.qty),
                float(row.price),
                float(row.fee),
                str(row.liquidity),
            )
        )
    return out


def ref_fills(result) -> list[tuple]:
    return [(f.ts, f.symbol, f.side, f.qty, f.price, f.fee, f.liquidity) for f in result.fills]


def fill_matches(a: tuple, b: tuple) -> bool:
    return (
        a[0] == b[0]
        and a[1] == b[1]
        and a[2] == b[2]
        and close(a[3], b[3])
        and close(a[4], b[4])
        and close(a[5], b[5])
        and a[6] == b[6]
    )


def describe(spec: dict[str, Any], data: dict[str, list[Any]]) -> str:
    lines = [f"spec = {spec!r}"]
    for s, ev in data.items():
        lines.append(f"{s}: {len(ev)} events, first ts {ev[0].ts}, last ts {ev[-1].ts}")
    return "\n".join(lines)


def diff_fills(ref: list[tuple], eng: list[tuple], engine: str) -> str | None:
    n = max(len(ref), len(eng))
    for i in range(n):
        r = ref[i] if i < len(ref) else None
        e = eng[i] if i < len(eng) else None
        if r is None or e is None or not fill_matches(r, e):
            lo = max(0, i - 2)
            rows = [f"first differing fill #{i} (reference: {len(ref)} fills, {engine}: {len(eng)})"]
            for j in range(lo, min(n, i + 3)):
                rows.append(f"  ref[{j}]      = {ref[j] if j < len(ref) else None}")
                rows.append(f"  {engine}[{j}] = {eng[j] if j < len(eng) else None}")
            return "\n".join(rows)
    return None


def compare(spec: dict[str, Any], data: dict[str, list[Any]], reference_strategy: Any = None,
            engines: tuple[str, ...] = ENGINES) -> list[Any]:
    """Run the reference and the engines; fail unless they agree. Returns the engines' results."""
    ref = run_reference(spec, data, reference_strategy)
    rf = ref_fills(ref)
    problems = []
    results = []
    for engine in engines:
        res = run_engine(spec, data, engine)
        results.append(res)
        ef = engine_fills(res)
        d = diff_fills(rf, ef, engine)
        if d:
            problems.append(d)
        trades = int(res.stats["trades"])
        if trades != ref.trades:
            problems.append(f"{engine}: trades {trades} != reference {ref.trades}")
        fe = float(res.stats["final_equity"])
        if not close(fe, ref.final_equity):
            problems.append(f"{engine}: final_equity {fe!r} != reference {ref.final_equity!r}")
        rej = [(r.ts.value, str(r.symbol), 1 if r.side == "buy" else -1, r.code)
               for r in res.rejections.itertuples(index=False)]
        rrej = [(r.ts, r.symbol, r.side, REFERENCE_CODES.get(r.reason, r.reason)) for r in ref.rejections]
        if rej != rrej:
            problems.append(f"{engine}: rejections (ts, symbol, side, code) {rej[:5]}... != reference {rrej[:5]}...")
        trip = None if res.kill_switch is None else (res.kill_switch.ts, res.kill_switch.code)
        if trip != ref.kill_switch:
            problems.append(f"{engine}: kill switch {trip} != reference {ref.kill_switch}")
        eq = [float(x) for x in res.equity.to_numpy()]
        req = [e for _, e in ref.equity]
        if len(eq) != len(req):
            problems.append(f"{engine}: {len(eq)} equity points != reference {len(req)}")
        else:
            for k, (a, b) in enumerate(zip(eq, req, strict=True)):
                if not close(a, b):
                    problems.append(f"{engine}: equity[{k}] {a!r} != reference {b!r}")
                    break
    if problems:
        pytest.fail(describe(spec, data) + "\n" + "\n".join(problems), pytrace=False)
    return results


# --------------------------------------------------------------------------------------------
# Hypothesis strategies for specs and data

LOTS = [0.0, 0.001, 0.01, 0.1, 1.0]
LATENCIES = [0, 0, 0, 0, 0, 0, 1, 30 * 10**9, MIN - 1, MIN, MIN + 1, 2 * MIN + 7]


@st.composite
def market_data(draw) -> dict[str, list[Bar]]:
    two = draw(st.booleans())
    tick = draw(st.sampled_from([0.0, 0.0, 0.01, 0.05]))
    data = {}
    for k, sym in enumerate(["AAA", "BBB"] if two else ["AAA"]):
        n = draw(st.integers(30, 300))
        offset = draw(st.integers(0, 5)) if k else 0
        missing = draw(st.frozensets(st.integers(1, n - 2), max_size=3))
        data[sym] = gen_bars(
            draw(st.integers(0, 2**32 - 1)),
            n,
            start=draw(st.sampled_from([0.5, 20.0, 100.0, 2500.0])),
            vol=draw(st.sampled_from([0.002, 0.01, 0.03])),
            t0=T0 + offset * MIN,
            tick=tick,
            missing=missing,
        )
    return data


@st.composite
def settings_spec(draw, kind: str = "bars") -> dict[str, Any]:
    lot = draw(st.sampled_from(LOTS))
    tick_size = draw(st.sampled_from([0.0, 0.01, 0.05]))
    if tick_size > 0 and draw(st.booleans()):
        slippage = {"ticks": draw(st.integers(0, 3))}
    else:
        slippage = {"bps": draw(st.sampled_from([0.0, 1.0, 2.5, 10.0, 33.3]))}
    rule = draw(st.sampled_from(["fixed_quantity", "fixed_notional", "fraction_of_equity"]))
    if rule == "fixed_quantity":
        value = draw(st.sampled_from([0.3, 0.5, 1.0, 2.0, 7.0]))
    elif rule == "fixed_notional":
        value = draw(st.floats(10.0, 5000.0))
    else:
        value = draw(st.floats(0.01, 1.5))
    risk: dict[str, Any] = {"allow_short": draw(st.booleans())}
    if draw(st.integers(0, 2)) == 0:
        risk["max_position"] = draw(st.sampled_from([0.5, 1.0, 2.0, 5.0, 50.0, 1e6]))
    if draw(st.integers(0, 4)) == 0:
        risk["max_order_qty"] = draw(st.sampled_from([0.5, 1.0, 3.0, 100.0]))
    if draw(st.integers(0, 4)) == 0:
        risk["max_order_notional"] = draw(st.sampled_from([50.0, 500.0, 5000.0]))
    if draw(st.integers(0, 5)) == 0:
        risk["max_gross_exposure"] = draw(st.sampled_from([100.0, 1000.0, 20_000.0]))
    if draw(st.integers(0, 5)) == 0:
        risk["max_net_exposure"] = draw(st.sampled_from([100.0, 1000.0, 20_000.0]))
    if draw(st.integers(0, 5)) == 0:
        risk["max_open_orders"] = draw(st.integers(1, 3))
    if draw(st.integers(0, 12)) == 0:
        risk["reduce_only"] = True
    if draw(st.integers(0, 4)) == 0:
        risk["max_daily_loss"] = draw(st.sampled_from([1.0, 5.0, 20.0, 100.0]))
    if draw(st.integers(0, 4)) == 0:
        risk["max_drawdown_pct"] = draw(st.sampled_from([0.05, 0.5, 2.0, 10.0]))
    if ("max_daily_loss" in risk or "max_drawdown_pct" in risk) and draw(st.booleans()):
        risk["flatten_on_kill"] = True
    return {
        "name": "eq",
        "capital": 10_000.0,
        "sizing": {rule: value},
        "fees": {
            "maker_bps": draw(st.sampled_from([0.0, 1.0, 2.0])),
            "taker_bps": draw(st.sampled_from([0.0, 5.0, 7.5, 10.0])),
        },
        "slippage": slippage,
        "instrument": {"tick_size": tick_size, "lot_size": lot},
        "latency_ns": draw(st.sampled_from(LATENCIES)),
        "risk": risk,
    }


def sizes(lot: float):
    """An explicit strategy size (a whole number of lots) or None (sizing rule)."""
    return st.one_of(st.none(), st.integers(1, 5).map(lambda k: k * (lot if lot > 0 else 0.5)))


def finish(spec: dict[str, Any], data: dict[str, list[Bar]], strategy: str, params: dict, interval: bool = True):
    """A complete spec; without ``interval`` the engine infers bar_interval (the most common gap)."""
    spec = dict(spec)
    spec["strategy"] = strategy
    spec["params"] = params
    spec["data"] = {"kind": "bars", "symbols": list(data)}
    if interval:
        spec["data"]["bar_interval"] = "1m"
    return spec


HYP = settings(
    max_examples=int(os.environ.get("BOTKIT_EQ_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


@HYP
@given(data=market_data(), spec=settings_spec(), st_data=st.data())
def test_sma_cross_equivalence(data, spec, st_data):
    fast = st_data.draw(st.integers(1, 10), label="fast")
    slow = st_data.draw(st.integers(fast + 1, fast + 25), label="slow")
    size = st_data.draw(sizes(spec["instrument"]["lot_size"]), label="size")
    interval = st_data.draw(st.integers(0, 3), label="give bar_interval") > 0
    compare(finish(spec, data, "sma_cross", {"fast": fast, "slow": slow, "size": size}, interval), data)


@HYP
@given(data=market_data(), spec=settings_spec(), st_data=st.data())
def test_bollinger_reversion_equivalence(data, spec, st_data):
    window = st_data.draw(st.integers(2, 30), label="window")
    k = st_data.draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0]), label="k")
    size = st_data.draw(sizes(spec["instrument"]["lot_size"]), label="size")
    params = {"window": window, "k": k, "size": size}
    interval = st_data.draw(st.integers(0, 3), label="give bar_interval") > 0
    compare(finish(spec, data, "bollinger_reversion", params, interval), data)


@HYP
@given(data=market_data(), spec=settings_spec(), st_data=st.data())
def test_donchian_breakout_equivalence(data, spec, st_data):
    entry = st_data.draw(st.integers(1, 30), label="entry")
    exit_ = st_data.draw(st.integers(1, 30), label="exit")
    size = st_data.draw(sizes(spec["instrument"]["lot_size"]), label="size")
    params = {"entry": entry, "exit": exit_, "size": size}
    interval = st_data.draw(st.integers(0, 3), label="give bar_interval") > 0
    compare(finish(spec, data, "donchian_breakout", params, interval), data)


@HYP
@given(data=market_data(), spec=settings_spec(), st_data=st.data())
def test_momentum_hooks_only_equivalence(data, spec, st_data):
    lookback = st_data.draw(st.integers(1, 30), label="lookback")
    compare(finish(spec, data, "momentum", {"lookback": lookback}), data, engines=("python", "auto"))


@HYP
@given(data=market_data(), spec=settings_spec(), st_data=st.data())
def test_every_indicator_kind_equivalence(data, spec, st_data):
    params = {"fast": st_data.draw(st.integers(1, 12), label="fast"),
              "slow": st_data.draw(st.integers(1, 30), label="slow"),
              "rsi_n": st_data.draw(st.integers(1, 15), label="rsi_n"),
              "atr_n": st_data.draw(st.integers(1, 15), label="atr_n"),
              "size": st_data.draw(sizes(spec["instrument"]["lot_size"]), label="size")}
    compare(finish(spec, data, ZOO, params), data, reference_strategy=IndicatorZoo(**params))


# --------------------------------------------------------------------------------------------
# Fixed cases: the hand-computed strategy cases of test_reference.py, and simple smoke runs

BASE = {
    "name": "fixed",
    "capital": 10_000.0,
    "sizing": {"fixed_quantity": 1.0},
    "fees": {"maker_bps": 1.0, "taker_bps": 5.0},
    "slippage": {"bps": 2.0},
    "instrument": {"tick_size": 0.0, "lot_size": 0.0},
    "latency_ns": 0,
    "risk": {"allow_short": False},
}


def rows_to_bars(rows, t0=T0):
    return [Bar(t0 + i * MIN, o, h, lo, c, 1.0) for i, (o, h, lo, c) in enumerate(rows)]


SMA_CLOSES = [10, 9, 8, 9, 10, 11, 10, 9, 8]
SMA_ROWS = [
    (
        float(SMA_CLOSES[i - 1] if i else c),
        max(SMA_CLOSES[i - 1] if i else c, c) + 0.5,
        min(SMA_CLOSES[i - 1] if i else c, c) - 0.5,
        float(c),
    )
    for i, c in enumerate(SMA_CLOSES)
]
BOLLINGER_ROWS = [
    (10.0, 10.5, 9.5, 10.0),
    (10.0, 12.5, 9.8, 12.0),
    (12.0, 12.2, 10.5, 11.0),
    (11.2, 11.4, 10.6, 10.8),
    (10.8, 11.6, 10.7, 11.5),
    (11.4, 11.6, 11.3, 11.5),
    (11.6, 11.7, 11.55, 11.6),
]
DONCHIAN_ROWS = [
    (10.0, 10.5, 9.5, 10.0),
    (10.0, 11.0, 9.8, 10.8),
    (10.8, 10.9, 10.2, 10.5),
    (10.5, 10.9, 10.3, 10.6),
    (10.7, 11.5, 10.6, 11.4),
    (11.4, 11.6, 10.0, 10.1),
    (10.0, 10.2, 9.9, 10.1),
]


@pytest.mark.parametrize(
    ("strategy", "params", "rows", "n_fills"),
    [
        ("sma_cross", {"fast": 2, "slow": 3, "size": 1.0}, SMA_ROWS, 2),
        ("bollinger_reversion", {"window": 2, "k": 1.0, "size": 1.0}, BOLLINGER_ROWS, 2),
        ("donchian_breakout", {"entry": 3, "exit": 2, "size": 1.0}, DONCHIAN_ROWS, 2),
    ],
)
def test_hand_computed_strategy_cases(strategy, params, rows, n_fills):
    data = {"AAA": rows_to_bars(rows)}
    spec = finish(BASE, data, strategy, params)
    assert len(run_reference(spec, data).fills) == n_fills
    compare(spec, data)


@pytest.mark.parametrize(
    ("strategy", "params"),
    [
        ("sma_cross", {"fast": 3, "slow": 7, "size": 1.0}),
        ("bollinger_reversion", {"window": 20, "k": 2.0, "size": None}),
        ("donchian_breakout", {"entry": 20, "exit": 10, "size": None}),
    ],
)
@pytest.mark.parametrize("two_symbols", [False, True])
def test_smoke_random_walk(strategy, params, two_symbols):
    data = {"AAA": gen_bars(1, 500, vol=0.01)}
    if two_symbols:
        data["BBB"] = gen_bars(2, 480, start=30.0, vol=0.02, t0=T0 + 3 * MIN)
    spec = finish(BASE, data, strategy, params)
    spec["sizing"] = {"fraction_of_equity": 0.2}
    spec["risk"] = {"max_position": 1e9, "allow_short": False}
    assert run_reference(spec, data).fills, "the smoke case should trade"
    compare(spec, data)


def test_equity_is_one_point_per_event_stamped_like_the_reference():
    """CONVENTION check (not spelled out in docs/backtesting.md): an equity point is stamped with
    its event's ts, i.e. a bar's open time (its value uses the bar's close)."""
    data = {"AAA": gen_bars(3, 50), "BBB": gen_bars(4, 40, t0=T0 + 5 * MIN)}
    spec = finish(BASE, data, "sma_cross", {"fast": 3, "slow": 7, "size": 1.0})
    ref = run_reference(spec, data)
    for engine in ENGINES:
        res = run_engine(spec, data, engine)
        idx = [int(pd.Timestamp(t).value) if not isinstance(t, int) else t for t in res.equity.index]
        assert idx == [t for t, _ in ref.equity], engine


# --------------------------------------------------------------------------------------------
# Regressions: minimal cases hypothesis found


def rows_from_closes(closes: list[float]) -> list[tuple[float, float, float, float]]:
    """open = previous close, high/low = max/min(open, close)."""
    rows = []
    for i, c in enumerate(closes):
        o = closes[i - 1] if i else c
        rows.append((o, max(o, c), min(o, c), c))
    return rows


def test_equal_smas_are_not_a_cross():
    # fast 2 / slow 4. At bar 4 the SMAs are equal: (2.1 + 1.4) / 2 = 1.75 and
    # (2.0 + 1.5 + 2.1 + 1.4) / 4 = 1.75. No cross, no trade. An SMA kept as a running sum (add
    # the new close, subtract the old one) drifts by an ulp and, compared exactly, sees a cross at
    # bar 4 -> a buy at bar 5. (Crosses are now judged with a relative 1e-9 tolerance.)
    data = {"AAA": rows_to_bars(rows_from_closes([5.8, 2.0, 1.5, 2.1, 1.4, 3.1]))}
    spec = finish(BASE, data, "sma_cross", {"fast": 2, "slow": 4, "size": 1.0})
    assert run_reference(spec, data).fills == []
    compare(spec, data)


def test_selling_the_whole_position_flattens_it():
    # Two entries of 19.887 and 19.907 (lot 0.001; two because of the latency), then a sell of
    # the whole position: 19.887 + 19.907 = 39.794 in floats, while 39794 lots of 0.001 are
    # 39.794000000000004. Selling exactly the position leaves 0.0; rounding that explicit
    # quantity to the lot would leave -3.6e-15: the strategy would never see a flat position
    # again and would miss the last entry (filled at bar 29).
    data = {"AAA": gen_bars(22, 30, start=0.5, vol=0.002)}
    spec = {
        **BASE,
        "sizing": {"fixed_notional": 10.0},
        "fees": {"maker_bps": 0.0, "taker_bps": 0.0},
        "slippage": {"bps": 0.0},
        "instrument": {"tick_size": 0.0, "lot_size": 0.001},
        "latency_ns": MIN + 1,
        "risk": {"allow_short": False},
    }
    spec = finish(spec, data, "sma_cross", {"fast": 1, "slow": 2, "size": None})
    ref = run_reference(spec, data)
    assert [(f.side, f.qty) for f in ref.fills[2:]] == [(1, 19.887), (1, 19.907), (-1, 39.794), (1, 19.763)]
    compare(spec, data)


@pytest.mark.parametrize("allow_short", [False, True])
def test_sma_exit_cancels_the_pending_exit_too(allow_short):
    # Same case as test_reference.py::test_sma_cross_exit_cancels_working_orders_first.
    # fast 1 / slow 2, latency 1m + 1ns (a decision at bar i fills at bar i + 3). Crosses below at
    # bars 6 and 8 while long: at bar 8 the bar-6 sell is still working. "Cancel working orders,
    # then sell the whole position" cancels it: one sell, at bar 11 (12.6), never short.
    # Not cancelling it sells at bar 9 and, at bar 8, either gets the second sell rejected
    # (allow_short false) or fills it too and ends short (allow_short true).
    closes = [10.0, 9.0, 10.0, 11.0, 12.0, 13.0, 12.0, 13.0, 12.0, 12.5, 12.6, 12.7, 12.8]
    data = {"AAA": rows_to_bars(rows_from_closes(closes))}
    spec = {
        **BASE,
        "fees": {"maker_bps": 0.0, "taker_bps": 0.0},
        "slippage": {"bps": 0.0},
        "latency_ns": MIN + 1,
        "risk": {"allow_short": allow_short},
    }
    spec = finish(spec, data, "sma_cross", {"fast": 1, "slow": 2, "size": 1.0})
    assert [(f.side, f.price) for f in run_reference(spec, data).fills] == [(1, 12.0), (-1, 12.6)]
    compare(spec, data)
