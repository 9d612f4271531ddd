"""The HTML report: self-contained, escaped, well-formed; charts hold every trade; the table every row."""

from __future__ import annotations

import html
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import botkit
from botkit.backtest.outcome import KillSwitchTrip
from botkit.backtest.report import (
    DEFAULT_CONVENTIONS_NOTE,
    flatten_parameters,
    format_stat,
    write_report,
)
from botkit.backtest.report_plots import build_charts
from botkit.backtest.report_series import BUCKETS, X_RANGE_NAME, volume_buckets
from botkit.backtest.report_table import PAGE_SIZE, column_decimals, table_data
from botkit.backtest.stats import compute_stats
from botkit.data.synthetic import synthetic_bars
from botkit.portfolio.round_trips import round_trips
from botkit.risk.rejection import RejectCode

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "source", "wbr"}
EXTERNAL_ATTRS = {"src", "href", "srcset", "action", "poster", "data"}


class TagChecker(HTMLParser):
    """Records tags, text and attributes, and checks that every non-void element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.titles: list[str] = []
        self.styles: list[str] = []
        self._current = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, key, value) for key, value in attrs)
        self._current = tag
        if tag == "title":
            self.titles.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, key, value) for key, value in attrs)

    def handle_endtag(self, tag: str) -> None:
        self._current = ""
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._current == "script":
            return
        if self._current == "style":
            self.styles.append(data)
            return
        self.text.append(data)
        if self._current == "title":
            self.titles[-1] += data


def check_html(text: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    return checker


S = 1_000_000_000
T0 = 1_704_067_200 * S  # 2024-01-01T00:00:00Z
TITLE = 'SMA <cross> & "friends" on BTC'
PARAMETERS = {"strategy": "sma_cross", "params": {"fast": 10, "slow": 50, "note": "<b>bold</b>"},
              "data": {"symbols": ["BTC", "ETH"], "file": None}, "capital": 10_000.0}


def make_run(n: int = 500) -> dict[str, object]:
    """A small run: hourly prices of two symbols, four round trips (one flip), one open position."""
    index = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC")
    rng = np.random.default_rng(7)
    btc = pd.Series(100.0 + np.cumsum(rng.normal(0, 0.5, n)), index=index)
    eth = pd.Series(50.0 + np.cumsum(rng.normal(0, 0.2, n)), index=index)
    plan = [  # (bar, symbol, side, qty)
        (10, "BTC", 1, 1.0),
        (40, "BTC", -1, 1.0),
        (60, "ETH", -1, 2.0),
        (90, "ETH", 1, 4.0),  # flips ETH to long 2
        (130, "ETH", -1, 2.0),
        (200, "BTC", 1, 2.0),
        (260, "BTC", -1, 2.0),
        (300, "BTC", 1, 1.0),  # open at the end
    ]
    prices = {"BTC": btc, "ETH": eth}
    fills = pd.DataFrame(
        {
            "ts": [T0 + i * 3600 * S for i, *_ in plan],
            "symbol": [sym for _, sym, _, _ in plan],
            "side": [side for _, _, side, _ in plan],
            "qty": [qty for *_, qty in plan],
            "price": [float(prices[sym].iloc[i]) for i, sym, _, _ in plan],
            "fee": 0.05,
        }
    )
    trades = round_trips(fills)
    equity = pd.Series(10_000.0 + np.cumsum(rng.normal(0, 5, n)), index=index)
    stats = compute_stats(equity, trades, initial_capital=10_000.0, fees=0.4, exposure=0.4)
    volumes = {"BTC": pd.Series(rng.gamma(2.0, 3.0, n), index=index)}
    return {"stats": stats, "equity": equity, "trades": trades, "prices": prices, "volumes": volumes}


@pytest.fixture(scope="module")
def run() -> dict[str, object]:
    return make_run()


@pytest.fixture(scope="module")
def report_text(run: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "out" / "report.html"
    written = write_report(path, title=TITLE, parameters=PARAMETERS, **run)  # type: ignore[arg-type]
    assert written == path and path.exists()
    return path.read_text(encoding="utf-8")


def named(layout: object, name: str) -> object:
    found = list(layout.select({"name": name}))  # type: ignore[attr-defined]
    assert len(found) == 1, (name, found)
    return found[0]


def test_report_refers_to_nothing_outside_the_file(report_text: str) -> None:
    checker = check_html(report_text)
    assert [a for a in checker.attrs if a[1] in EXTERNAL_ATTRS] == []
    for tag in ("link", "iframe", "img", "object", "embed"):
        assert tag not in checker.tags, tag
    assert checker.tags.count("script") >= 3  # table data, table script, Bokeh, the charts
    for style in checker.styles:
        assert "@import" not in style and "url(" not in style
    assert "Bokeh" in report_text  # the plotting library is inlined, not linked


def test_report_is_well_formed_and_escapes_the_title(report_text: str) -> None:
    checker = check_html(report_text)
    assert report_text.startswith("<!DOCTYPE html>")
    assert checker.titles == [TITLE]
    assert "<cross>" not in report_text
    assert html.escape(TITLE) in report_text
    for tag in ("h1", "table", "style", "script"):
        assert tag in checker.tags


def test_report_shows_every_statistic(run: dict[str, object], report_text: str) -> None:
    stats = run["stats"]
    assert isinstance(stats, dict)
    for key, value in stats.items():
        assert html.escape(format_stat(key, value)) in report_text, key
    assert f"<td>{stats['trades']}</td>" in report_text
    assert format_stat("total_return", 0.21) == "21.00%"
    assert format_stat("max_drawdown_duration", 2 * 86_400 + 3_723.0) == "2d 01:02:03"
    assert format_stat("sharpe", float("nan")) == "n/a"


def test_parameters_and_conventions_are_on_the_page(report_text: str) -> None:
    assert flatten_parameters(PARAMETERS) == [
        ("strategy", "sma_cross"), ("params.fast", "10"), ("params.slow", "50"), ("params.note", "<b>bold</b>"),
        ("data.symbols", "BTC, ETH"), ("capital", "10,000"),
    ]
    params = report_text.split('<table class="params">')[1].split("</table>")[0]
    assert "<td>params.slow</td><td>50</td>" in params
    assert "&lt;b&gt;bold&lt;/b&gt;" in params and "<b>" not in params
    assert "data.file" not in params  # unset options are left out
    assert html.escape(DEFAULT_CONVENTIONS_NOTE) in report_text
    assert "closed round trips" in report_text and "marked to market" in report_text


def test_every_entry_and_exit_is_charted_per_symbol(run: dict[str, object]) -> None:
    trades = run["trades"]
    assert isinstance(trades, pd.DataFrame) and len(trades) == 4
    layout = build_charts(**{k: run[k] for k in ("equity", "prices", "trades", "volumes")})  # type: ignore[arg-type]
    for symbol in ("BTC", "ETH"):
        own = trades[trades["symbol"] == symbol]
        source = named(layout, f"trades:{symbol}").data  # type: ignore[attr-defined]
        assert list(source["trade"]) == [i + 1 for i in own.index]
        np.testing.assert_array_equal(source["entry_y"], own["entry_price"])
        np.testing.assert_array_equal(source["exit_x"], own["exit_ts"].astype("int64") / 1e6)
        for kind in ("entries", "exits", "trade_paths"):
            assert named(layout, f"{kind}:{symbol}").data_source.data is source  # type: ignore[attr-defined]
    figures = [named(layout, n) for n in ("price:BTC", "volume:BTC", "price:ETH", "equity", "drawdown")]
    assert {id(f.x_range) for f in figures} == {id(named(layout, X_RANGE_NAME))}  # type: ignore[attr-defined]
    assert not list(layout.select({"name": "volume:ETH"}))  # no volume given for ETH


def test_volume_is_summed_into_buckets(run: dict[str, object]) -> None:
    layout = build_charts(**{k: run[k] for k in ("equity", "prices", "trades", "volumes")})  # type: ignore[arg-type]
    buckets = named(layout, "volume_buckets:BTC").data  # type: ignore[attr-defined]
    volume = run["volumes"]["BTC"]  # type: ignore[index]
    assert np.isclose(np.sum(buckets["top"]), volume.sum())
    assert (np.asarray(buckets["left"]) < np.asarray(buckets["right"])).all()


def test_trades_table_holds_every_row_with_one_format_per_column(run: dict[str, object], report_text: str) -> None:
    trades = run["trades"]
    assert isinstance(trades, pd.DataFrame)
    data = table_data(trades)
    columns = {c["key"]: c for c in data["columns"]}  # type: ignore[attr-defined]
    assert list(columns) == ["#", *trades.columns]
    assert data["rows"] == len(trades) and all(len(v) == len(trades) for v in data["values"])  # type: ignore[attr-defined]
    assert columns["entry_ts"]["kind"] == "time" and columns["entry_ts"]["label"] == "entry ts (UTC)"
    assert columns["duration"]["kind"] == "duration" and columns["return"]["kind"] == "percent"
    assert columns["qty"]["decimals"] == 0 and columns["pnl"]["decimals"] >= 2
    assert data["x_range"] == X_RANGE_NAME
    payload = report_text.split('<script type="application/json" id="trades-data">')[1].split("</script>")[0]
    assert json.loads(payload) == json.loads(json.dumps(data))


def test_column_decimals_are_chosen_from_the_data() -> None:
    assert column_decimals(np.array([1.0, 2.0, 30.0])) == 0
    assert column_decimals(np.array([0.0001, 1.2345])) == 4
    assert column_decimals(np.array([65_000.1234567891, 64_000.9876543219])) == 2  # 6 significant digits, >= 2
    assert column_decimals(np.array([99.43194012345, 98.12345678912])) == 4
    assert column_decimals(np.array([-0.3452231234, 0.1234567891]), money=True) == 4
    assert column_decimals(np.array([1234.5, -20.25]), money=True) == 2
    assert column_decimals(np.array([np.nan])) == 0


def test_many_trades_are_all_in_the_table_and_on_the_chart(tmp_path: Path) -> None:
    n = 3 * PAGE_SIZE + 1_700
    index = pd.date_range("2024-01-01", periods=2 * n + 2, freq="min", tz="UTC")
    price = pd.Series(np.linspace(100.0, 200.0, len(index)), index=index)
    fills = pd.DataFrame({"ts": index.as_unit("ns").asi8[: 2 * n], "symbol": "BTC", "side": np.tile([1, -1], n),
                          "qty": 1.0, "price": 150.0, "fee": 0.0})
    trades = round_trips(fills)
    assert len(trades) == n
    stats = compute_stats(price, trades, initial_capital=100.0, fees=0.0, exposure=1.0)
    path = write_report(tmp_path / "report.html", title="many", stats=stats, equity=price, trades=trades,
                        prices={"BTC": price})
    text = path.read_text(encoding="utf-8")
    check_html(text)
    assert f"<h2>Trades ({n:,})</h2>" in text
    assert table_data(trades)["rows"] == n
    layout = build_charts(equity=price, prices={"BTC": price}, trades=trades)
    assert len(named(layout, "trades:BTC").data["trade"]) == n  # type: ignore[attr-defined]


def test_a_million_points_become_a_bounded_chart_that_keeps_a_one_point_crash(tmp_path: Path) -> None:
    n = 1_000_000
    index = pd.date_range("2024-01-01", periods=n, freq="min", tz="UTC")
    values = 10_000.0 + np.cumsum(np.random.default_rng(3).normal(0, 1, n))
    values[654_321] = 1.0  # a one-point crash must stay visible after downsampling
    equity = pd.Series(values, index=index)
    trades = round_trips(pd.DataFrame({"ts": index.as_unit("ns").asi8[[5, 50]], "symbol": "BTC", "side": [1, -1],
                                       "qty": 1.0, "price": [100.0, 101.0], "fee": 0.0}))
    stats = compute_stats(equity, trades, initial_capital=10_000.0, fees=0.0, exposure=0.5)
    started = time.perf_counter()
    path = write_report(tmp_path / "report.html", title="1M", stats=stats, equity=equity, trades=trades,
                        prices={"BTC": equity / 100.0}, volumes={"BTC": pd.Series(1.0, index=index)})
    elapsed = time.perf_counter() - started
    size = path.stat().st_size
    print(f"report of 1M points: written in {elapsed:.2f}s, {size / 1e6:.2f} MB")
    assert size < 2_500_000, size  # Bokeh's library (1.3 MB) and a few thousand points, not a million
    check_html(path.read_text(encoding="utf-8"))
    layout = build_charts(equity=equity, prices={"BTC": equity / 100.0}, trades=trades)
    for name in ("equity_points", "drawdown_points", "price_points:BTC"):
        assert len(named(layout, name).data["x"]) <= 2 * BUCKETS + 2  # type: ignore[attr-defined]
    assert min(named(layout, "drawdown_points").data["y"]) < -0.99  # type: ignore[attr-defined]
    drawdown_range = named(layout, "drawdown").y_range  # type: ignore[attr-defined]
    assert drawdown_range.start < -0.99 and drawdown_range.end >= 0.0  # the axis shows the crash


def test_empty_run_still_renders(tmp_path: Path) -> None:
    empty = pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=np.float64)
    trades = round_trips(
        pd.DataFrame(columns=["ts", "symbol", "side", "qty", "price", "fee"]).astype(
            {"ts": "int64", "side": "int64", "qty": "float64", "price": "float64", "fee": "float64"}
        )
    )
    stats = compute_stats(empty, trades, initial_capital=1.0, fees=0.0, exposure=0.0)
    path = write_report(tmp_path / "r.html", title="empty", stats=stats, equity=empty, trades=trades,
                        prices={"BTC": empty}, conventions_note="Custom note <b>escaped</b>.")
    text = path.read_text(encoding="utf-8")
    check_html(text)
    assert "No closed round trips." in text and "No parameters were given" in text
    assert "Custom note &lt;b&gt;escaped&lt;/b&gt;." in text
    layout = build_charts(equity=empty, prices={"BTC": empty}, trades=trades)
    assert len(list(layout.select({"name": "no_data"}))) == 3  # price, equity, drawdown


def test_kill_switch_notice_is_escaped_and_marked_on_the_charts(run: dict[str, object], tmp_path: Path) -> None:
    trip = KillSwitchTrip(T0 + 50 * 3600 * S + 1, RejectCode.MAX_DRAWDOWN, "kill switch: drawdown <5%> & more")
    text = write_report(tmp_path / "r.html", title="t", kill_switch=trip, **run).read_text()  # type: ignore[arg-type]
    checker = check_html(text)
    notice = "Kill switch fired at 2024-01-03T02:00:00.000000001+00:00 (max_drawdown): kill switch: drawdown <5%>"
    assert notice in "".join(checker.text)
    assert "<5%>" not in re.sub(r"<script.*?</script>", "", text, flags=re.S)
    charts = {k: run[k] for k in ("equity", "prices", "trades", "volumes")}
    layout = build_charts(kill_switch=trip, **charts)  # type: ignore[arg-type]
    marker = named(layout, "kill_switch").data_source.data  # type: ignore[attr-defined]
    assert marker["x"] == [trip.ts / 1e6] and marker["code"] == ["max_drawdown"]
    equity = run["equity"]
    assert isinstance(equity, pd.Series)
    assert marker["y"] == [float(equity.iloc[50])]  # the last equity point up to the trip
    assert len(list(layout.select({"name": "kill_switch_time"}))) == 5  # a dashed line on every chart
    no_trip = write_report(tmp_path / "n.html", title="t", **run).read_text()  # type: ignore[arg-type]
    assert "Kill switch" not in no_trip
    assert not list(build_charts(**charts).select({"name": "kill_switch"}))  # type: ignore[arg-type]


def test_buy_and_hold_is_a_dashed_line_the_equity_axis_fits(run: dict[str, object]) -> None:
    equity = run["equity"]
    assert isinstance(equity, pd.Series)
    held = pd.Series(np.linspace(10_000.0, 30_000.0, len(equity)), index=equity.index)
    charts = {k: run[k] for k in ("equity", "prices", "trades", "volumes")}
    layout = build_charts(benchmark=held, **charts)  # type: ignore[arg-type]
    points = named(layout, "buy_and_hold_points").data  # type: ignore[attr-defined]
    assert list(points["y"]) == held.tolist()
    assert named(layout, "buy_and_hold_line").glyph.line_dash == [6]  # type: ignore[attr-defined]
    assert named(layout, "equity").y_range.end > 30_000.0  # type: ignore[attr-defined]
    assert not list(build_charts(**charts).select({"name": "buy_and_hold_line"}))  # type: ignore[arg-type]


def test_a_backtest_report_has_volume_buy_and_hold_and_the_run_record(tmp_path: Path) -> None:
    bars = synthetic_bars(20_000, seed=4)
    result = botkit.backtest({"strategy": "sma_cross", "params": {"fast": 5, "slow": 20}}, data={"BTCUSD": bars})
    text = result.plot(tmp_path / "report.html").read_text(encoding="utf-8")
    checker = check_html(text)
    for name in ("volume:BTCUSD", "volume_bars:BTCUSD", "buy_and_hold_line", "price_line:BTCUSD"):
        assert f'"name":"{name}"' in text
    shown = "".join(checker.text)
    assert "buy and hold return" in shown and "excess return" in shown
    assert "run.data_sha256" in shown and result.provenance["data"]["sha256"] in shown  # type: ignore[index]
    assert "params.size" in shown  # the full parameters, defaults included


def test_volume_buckets_stay_within_their_count_over_years_of_nanoseconds() -> None:
    x = T0 + np.arange(12_500, dtype=np.int64) * 4_800 * S  # two years: a span a float rounds
    left, right, total = volume_buckets(x, np.ones(len(x)), 2_000)
    assert len(left) <= 2_000 and total.sum() == len(x)
    assert (left[1:] >= right[:-1]).all()
