"""The live bar builder: alignment, OHLCV, delivery at close, grace, late trades, empty intervals.

Its bars must equal the archive's aggregation of the same trades and the simulated venue's klines.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from botkit.core.errors import ConfigError
from botkit.data.archive import read_archive
from botkit.data.kinds import interval_to_ns
from botkit.data.writer import write_records
from botkit.live.bars import BarBuilder
from botkit.model.enums import Side
from botkit.model.events import Bar, Trade
from botkit.sim.syncron.records import TradeRecord
from botkit.sim.syncron.tape import TradeTape

from .bar_reference import aggregate, assert_same_bars, complete_bars, trade_records

T0 = 1_717_200_000 * NS_PER_SECOND  # 2024-06-01T00:00:00Z, on every grid up to 1 d
MS = 1_000_000


def trade(ts: int, price: float, size: float = 1.0, symbol: str = "BTCUSD") -> Trade:
    return Trade(ts, symbol, price, size, Side.BUY)


def feed(builder: BarBuilder, trades: list[Trade], received: list[int] | None = None) -> list[Bar]:
    out: list[Bar] = []
    for i, t in enumerate(trades):
        out.extend(builder.on_trade(t, t.ts if received is None else received[i]))
    return out


def test_a_trade_of_a_later_interval_closes_the_bar_with_its_ohlcv():
    builder = BarBuilder(NS_PER_MINUTE)
    assert feed(builder, [trade(T0, 100.0, 1.0), trade(T0 + 10 * NS_PER_SECOND, 103.0, 0.5),
                          trade(T0 + 20 * NS_PER_SECOND, 99.0, 2.0), trade(T0 + 59_999 * MS, 101.0, 0.25)]) == []
    closed = builder.on_trade(trade(T0 + NS_PER_MINUTE, 102.0), T0 + NS_PER_MINUTE)
    assert closed == [Bar(T0, "BTCUSD", 100.0, 103.0, 99.0, 101.0, 3.75)]
    assert builder.open_bar("BTCUSD") == Bar(T0 + NS_PER_MINUTE, "BTCUSD", 102.0, 102.0, 102.0, 102.0, 1.0)


@pytest.mark.parametrize("interval", ["1s", "15s", "1m", "5m", "1h", "4h", "1d"])
def test_bars_open_on_the_utc_epoch_grid(interval):
    step = interval_to_ns(interval)
    builder = BarBuilder(step)
    t = T0 + 7 * step + step // 3  # mid-interval
    feed(builder, [trade(T0 + 7 * step, 50.0), trade(t, 51.0)])
    [bar] = builder.on_trade(trade(T0 + 9 * step + 1, 52.0), T0 + 9 * step + 1)
    assert bar.ts == T0 + 7 * step and bar.ts % step == 0 and (bar.open, bar.close) == (50.0, 51.0)
    assert builder.open_bar("BTCUSD").ts == T0 + 9 * step  # type: ignore[union-attr]


def test_empty_intervals_give_no_bar():
    builder, minute = BarBuilder(NS_PER_MINUTE), NS_PER_MINUTE
    bars = feed(builder, [trade(T0, 10.0), trade(T0 + 3 * minute + 5, 11.0), trade(T0 + 4 * minute, 12.0)])
    assert [b.ts for b in bars] == [T0, T0 + 3 * minute]
    assert builder.on_clock(T0 + 60 * minute) == [Bar(T0 + 4 * minute, "BTCUSD", 12.0, 12.0, 12.0, 12.0, 1.0)]
    assert builder.on_clock(T0 + 120 * NS_PER_MINUTE) == [], "no flat bars for the quiet hour"


def test_the_clock_closes_a_bar_only_after_its_end_plus_the_grace():
    grace = 300 * MS
    builder = BarBuilder(NS_PER_SECOND, grace_ns=grace)
    feed(builder, [trade(T0, 100.0), trade(T0 + 950 * MS, 101.0)])
    assert builder.on_clock(T0 + NS_PER_SECOND) == []
    assert builder.on_clock(T0 + NS_PER_SECOND + grace - 1) == []
    late = trade(T0 + 900 * MS, 99.0)  # within the grace: still counted in its bar
    assert builder.on_trade(late, T0 + NS_PER_SECOND + grace - 1) == []
    assert builder.on_clock(T0 + NS_PER_SECOND + grace) == [Bar(T0, "BTCUSD", 100.0, 101.0, 99.0, 101.0, 3.0)]
    assert builder.on_clock(T0 + 10 * NS_PER_SECOND) == []


def test_a_trade_arriving_after_its_bar_closed_is_counted_late_and_changes_nothing():
    counters: Counter[str] = Counter()
    builder = BarBuilder(NS_PER_SECOND, grace_ns=100 * MS, counters=counters)
    feed(builder, [trade(T0, 100.0)])
    [bar] = builder.on_clock(T0 + NS_PER_SECOND + 100 * MS)
    assert builder.on_trade(trade(T0 + 999 * MS, 150.0), T0 + 2 * NS_PER_SECOND) == []
    assert counters["late_trades"] == 1 and bar.close == 100.0 and builder.open_bar("BTCUSD") is None
    feed(builder, [trade(T0 + 2 * NS_PER_SECOND + 1, 101.0)])  # a later trade closes the next bar ...
    assert builder.on_trade(trade(T0 + 1_500 * MS, 1.0), T0 + 3 * NS_PER_SECOND) == []  # ... an older one is late
    assert counters["late_trades"] == 2
    assert builder.on_trade(trade(T0 + 3 * NS_PER_SECOND, 102.0), T0 + 3 * NS_PER_SECOND)[0].close == 101.0


def test_trades_out_of_order_within_a_bar_keep_open_and_close_by_venue_time():
    builder = BarBuilder(NS_PER_MINUTE)
    feed(builder, [trade(T0, 1.0), trade(T0 + 30 * NS_PER_SECOND, 5.0), trade(T0 + 10 * NS_PER_SECOND, 3.0),
                   trade(T0 + 30 * NS_PER_SECOND, 4.0)])
    bar = builder.open_bar("BTCUSD")
    assert bar is not None and (bar.open, bar.high, bar.low, bar.close) == (1.0, 5.0, 1.0, 4.0)


def test_the_first_bar_is_partial_unless_its_first_trade_is_at_the_open_time():
    counters: Counter[str] = Counter()
    builder = BarBuilder(NS_PER_MINUTE, counters=counters)
    assert feed(builder, [trade(T0 + 5, 10.0), trade(T0 + NS_PER_MINUTE, 11.0)]) == []
    assert counters["partial_bars_skipped"] == 1
    assert [b.ts for b in feed(builder, [trade(T0 + 2 * NS_PER_MINUTE, 12.0)])] == [T0 + NS_PER_MINUTE]
    aligned = BarBuilder(NS_PER_MINUTE)
    assert [b.ts for b in feed(aligned, [trade(T0, 10.0), trade(T0 + NS_PER_MINUTE, 11.0)])] == [T0]


def test_the_clock_follows_the_venue_not_a_skewed_local_clock():
    builder = BarBuilder(NS_PER_SECOND, grace_ns=0)
    ahead = 3_600 * NS_PER_SECOND  # our clock an hour ahead of the venue's
    feed(builder, [trade(T0, 100.0)], received=[T0 + ahead])
    assert builder.venue_now_ns(T0 + ahead + 5) == T0 + 5
    assert builder.on_clock(T0 + ahead + NS_PER_SECOND - 1) == []
    assert [b.ts for b in builder.on_clock(T0 + ahead + NS_PER_SECOND)] == [T0]
    behind = BarBuilder(NS_PER_SECOND, grace_ns=0)  # replayed history: a day behind our clock
    feed(behind, [trade(T0, 100.0)], received=[T0 + 86_400 * NS_PER_SECOND])
    assert behind.on_clock(T0 + 86_400 * NS_PER_SECOND + 1) == [], "history does not close bars at once"


def test_symbols_have_their_own_bars_and_bars_closing_together_come_by_time_then_symbol_order():
    builder = BarBuilder(NS_PER_SECOND, symbols=["BTCUSD", "ETHUSD"])
    feed(builder, [trade(T0 + NS_PER_SECOND, 1.0, symbol="ETHUSD"), trade(T0, 2.0), trade(T0 + NS_PER_SECOND, 3.0)])
    assert builder.open_bar("ETHUSD") == Bar(T0 + NS_PER_SECOND, "ETHUSD", 1.0, 1.0, 1.0, 1.0, 1.0)
    assert [(b.symbol, b.ts) for b in builder.on_clock(T0 + 5 * NS_PER_SECOND)] == [("BTCUSD", T0 + NS_PER_SECOND),
                                                                                     ("ETHUSD", T0 + NS_PER_SECOND)]


def test_invalid_settings_are_config_errors():
    with pytest.raises(ConfigError, match="interval"):
        BarBuilder(0)
    with pytest.raises(ConfigError, match="grace"):
        BarBuilder(NS_PER_SECOND, grace_ns=-1)


def test_bars_equal_the_archives_trades_aggregated(tmp_path):
    trades = [trade(T0 + 17 * NS_PER_SECOND * i + (i % 5) * MS, 100.0 + (i * 7919 % 23) / 4, 0.1 + i % 3)
              for i in range(2_000)]
    write_records(tmp_path, "syncron", "BTCUSD", "trades", trade_records(trades))
    archived = read_archive(tmp_path, "syncron", "BTCUSD", "trades")
    builder = BarBuilder(NS_PER_MINUTE)
    bars = feed(builder, trades) + builder.on_clock(trades[-1].ts + NS_PER_MINUTE)
    assert len(bars) > 500
    assert_same_bars(bars, aggregate(archived, NS_PER_MINUTE))


INTERVALS = st.sampled_from(["1s", "15s", "1m", "5m", "1h"])


@st.composite
def tapes(draw: st.DrawFn) -> tuple[int, list[Trade]]:
    """A trade tape: ms timestamps from a possibly unaligned start, gaps from 0 to a few intervals."""
    step = interval_to_ns(draw(INTERVALS))
    ts = T0 + draw(st.sampled_from([0, MS, step // 2]))
    gaps = draw(st.lists(st.sampled_from([0, 1, 2, 3]).flatmap(
        lambda k: st.integers(0, max(1, step // MS * k))), min_size=1, max_size=120))
    out = []
    for i, gap in enumerate(gaps):
        ts += gap * MS
        price = draw(st.integers(1, 2_000)) / 8
        size = draw(st.integers(1, 400)) / 16
        out.append(Trade(ts, "BTCUSD", price, size, Side.BUY if i % 2 else Side.SELL))
    return step, out


@settings(max_examples=150, deadline=None)
@given(tape=tapes())
def test_bars_equal_the_aggregation_of_the_same_trades(tape):
    step, trades = tape
    builder = BarBuilder(step)
    bars = feed(builder, trades) + builder.on_clock(trades[-1].ts + step)
    assert_same_bars(bars, complete_bars(trades, step))


@settings(max_examples=150, deadline=None)
@given(tape=tapes(), delays=st.lists(st.integers(0, 5_000), min_size=120, max_size=120))
def test_late_trades_are_dropped_and_the_rest_aggregate_exactly(tape, delays):
    step, trades = tape
    received = [t.ts + delays[i] * MS for i, t in enumerate(trades)]
    arrival = sorted(range(len(trades)), key=lambda i: received[i])
    counters: Counter[str] = Counter()
    builder = BarBuilder(step, counters=counters)
    bars = feed(builder, [trades[i] for i in arrival], [received[i] for i in arrival])
    bars += builder.on_clock(max(received) + step)
    kept, newest = [], None  # reference: no clock ticks, so a trade is late iff a later interval was seen
    for i in arrival:
        start = trades[i].ts - trades[i].ts % step
        if newest is None or start >= newest:
            kept.append(i)
            newest = start
    assert counters["late_trades"] == len(trades) - len(kept)
    first_seen = trades[arrival[0]]
    expected = aggregate(trade_records([trades[i] for i in sorted(kept, key=lambda i: (trades[i].ts, kept.index(i)))]),
                         step)
    if first_seen.ts % step:
        expected = expected[1:]
    assert_same_bars(bars, expected)


@settings(max_examples=100, deadline=None)
@given(tape=tapes())
def test_one_minute_bars_equal_the_simulated_venues_klines(tape):
    _, trades = tape
    ms_trades = [t._replace(ts=t.ts // MS * MS) for t in trades]
    venue = TradeTape("BTCUSD", trades_kept=1_000)
    for i, t in enumerate(ms_trades):
        venue.record(TradeRecord(str(i), "BTCUSD", Decimal(str(t.price)), Decimal(str(t.size)), t.side, t.ts // MS))
    klines = [Bar(c.open_time * MS, "BTCUSD", float(c.open), float(c.high), float(c.low), float(c.close),
                  float(c.volume)) for c in venue.klines("1m", None, None, 1_000)]
    if ms_trades[0].ts % NS_PER_MINUTE:
        klines = klines[1:]
    builder = BarBuilder(NS_PER_MINUTE)
    bars = feed(builder, ms_trades) + builder.on_clock(ms_trades[-1].ts + NS_PER_MINUTE)
    assert_same_bars(bars, klines)


def test_state_stays_one_bar_per_symbol_however_many_bars_pass():
    builder = BarBuilder(NS_PER_SECOND)
    for i in range(50_000):
        builder.on_trade(trade(T0 + i * 100 * MS, 100.0 + i % 7), T0 + i * 100 * MS)
    assert len(builder._open) == 1 and len(builder._closed_until) == 1
