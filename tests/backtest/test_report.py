"""The HTML report: self-contained, escaped, well-formed, with one marker per entry and exit."""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from botkit.backtest._svg import MAX_POINTS, downsample_minmax
from botkit.backtest.report import (
    DEFAULT_CONVENTIONS_NOTE,
    TABLE_EDGE_ROWS,
    format_stat,
    write_report,
)
from botkit.backtest.stats import compute_stats
from botkit.portfolio.round_trips import round_trips

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "source", "wbr"}
SVG_LEAVES = {"path", "line", "rect", "circle", "polyline", "polygon"}


class TagChecker(HTMLParser):
    """Records text and checks that every non-void element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.titles: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_title = tag == "title"
        if self._in_title:
            self.titles.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
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
            "liquidity": "taker",
            "order_id": range(len(plan)),
        }
    )
    trades = round_trips(fills)
    equity = pd.Series(10_000.0 + np.cumsum(rng.normal(0, 5, n)), index=index)
    stats = compute_stats(equity, trades, initial_capital=10_000.0, fees=0.4, exposure=0.4)
    return {"stats": stats, "equity": equity, "trades": trades, "prices": prices}


@pytest.fixture(scope="module")
def run() -> dict[str, object]:
    return make_run()


@pytest.fixture(scope="module")
def report_text(run: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "out" / "report.html"
    written = write_report(path, title=TITLE, **run)  # type: ignore[arg-type]
    assert written == path and path.exists()
    return path.read_text(encoding="utf-8")


def test_report_is_self_contained(report_text: str) -> None:
    assert "http://" not in report_text and "https://" not in report_text
    lowered = report_text.lower()
    for needle in ("<script", "<link", "<iframe", "<img", " src=", " href=", "@import", "url("):
        assert needle not in lowered, needle


def test_report_is_well_formed_and_escapes_the_title(report_text: str) -> None:
    checker = check_html(report_text)
    assert report_text.startswith("<!DOCTYPE html>")
    assert checker.titles[0] == TITLE  # the page title; markers carry SVG <title> tooltips
    assert "<cross>" not in report_text
    assert html.escape(TITLE) in report_text
    for tag in ("h1", "table", "svg", "style"):
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


def test_one_marker_per_entry_and_exit(run: dict[str, object], report_text: str) -> None:
    trades = run["trades"]
    assert isinstance(trades, pd.DataFrame)
    assert len(trades) == 4
    assert report_text.count('class="marker entry"') == len(trades)
    assert report_text.count('class="marker exit"') == len(trades)
    btc_section = report_text.split("<h2>BTC</h2>")[1].split("</section>")[0]
    n_btc = int((trades["symbol"] == "BTC").sum())
    assert btc_section.count('class="marker entry"') == n_btc == 2
    assert btc_section.count('class="marker exit"') == n_btc


def test_trades_table_and_conventions_note(run: dict[str, object], report_text: str) -> None:
    trades = run["trades"]
    assert isinstance(trades, pd.DataFrame)
    table = report_text.split('<table class="trades">')[1].split("</table>")[0]
    assert table.count("<tr>") == len(trades) + 1  # header row
    assert html.escape(DEFAULT_CONVENTIONS_NOTE) in report_text
    assert "closed round trips" in report_text and "marked to market" in report_text


def test_huge_trades_table_shows_first_and_last_rows(tmp_path: Path) -> None:
    n = 2 * TABLE_EDGE_ROWS + 700
    index = pd.date_range("2024-01-01", periods=2 * n + 2, freq="min", tz="UTC")
    price = pd.Series(np.linspace(100.0, 200.0, len(index)), index=index)
    ts = index.as_unit("ns").asi8
    fills = pd.DataFrame(
        {
            "ts": ts[: 2 * n],
            "symbol": "BTC",
            "side": np.tile([1, -1], n),
            "qty": 1.0,
            "price": 150.0,
            "fee": 0.0,
        }
    )
    trades = round_trips(fills)
    assert len(trades) == n
    stats = compute_stats(price, trades, initial_capital=100.0, fees=0.0, exposure=1.0)
    path = write_report(
        tmp_path / "report.html",
        title="many",
        stats=stats,
        equity=price,
        trades=trades,
        prices={"BTC": price},
    )
    text = path.read_text(encoding="utf-8")
    check_html(text)
    table = text.split('<table class="trades">')[1].split("</table>")[0]
    assert table.count("<tr>") == 2 * TABLE_EDGE_ROWS + 1
    assert f"{n - 2 * TABLE_EDGE_ROWS:,} trades not shown" in text
    assert f"<td>{n:,}</td>" in table and f"<td>{TABLE_EDGE_ROWS + 1:,}</td>" not in table
    assert text.count('class="marker entry"') == 2 * TABLE_EDGE_ROWS


def test_a_million_equity_points_render_fast_into_a_bounded_file(tmp_path: Path) -> None:
    n = 1_000_000
    index = pd.date_range("2024-01-01", periods=n, freq="min", tz="UTC")
    values = 10_000.0 + np.cumsum(np.random.default_rng(3).normal(0, 1, n))
    values[654_321] = 1.0  # a one-point crash must stay visible after downsampling
    equity = pd.Series(values, index=index)
    trades = round_trips(
        pd.DataFrame(
            {
                "ts": index.as_unit("ns").asi8[[5, 50]],
                "symbol": "BTC",
                "side": [1, -1],
                "qty": 1.0,
                "price": [100.0, 101.0],
                "fee": 0.0,
            }
        )
    )
    stats = compute_stats(equity, trades, initial_capital=10_000.0, fees=0.0, exposure=0.5)
    started = time.perf_counter()
    path = write_report(
        tmp_path / "report.html",
        title="1M",
        stats=stats,
        equity=equity,
        trades=trades,
        prices={"BTC": equity / 100.0},
    )
    elapsed = time.perf_counter() - started
    size = path.stat().st_size
    assert elapsed < 1.0, f"rendering took {elapsed:.2f}s"
    assert size < 400_000, size
    text = path.read_text(encoding="utf-8")
    check_html(text)
    drawdown_section = text.split("<h2>Drawdown</h2>")[1].split("</section>")[0]
    assert ">-100%</text>" in drawdown_section  # the crash is drawn, so the axis reaches -100%
    # Every chart path has at most MAX_POINTS + 2 points.
    for d in re.findall(r'<path class="(?:equity|price|drawdown)" d="([^"]+)"', text):
        assert d.count("L") + 1 <= MAX_POINTS + 2


def test_downsampling_keeps_spikes_order_and_ends() -> None:
    n = 1_000_003
    x = np.arange(n, dtype=np.int64) * 10
    y = np.zeros(n)
    y[123_457], y[876_543] = 1e6, -1e6
    dx, dy = downsample_minmax(x, y)
    assert len(dx) <= MAX_POINTS + 2
    assert (np.diff(dx) > 0).all()
    assert dy.max() == 1e6 and dy.min() == -1e6
    assert dx[0] == x[0] and dx[-1] == x[-1]
    small_x, small_y = downsample_minmax(x[:10], y[:10])
    assert len(small_x) == 10 and (small_y == y[:10]).all()


def test_empty_run_still_renders(tmp_path: Path) -> None:
    empty = pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype=np.float64)
    trades = round_trips(
        pd.DataFrame(columns=["ts", "symbol", "side", "qty", "price", "fee"]).astype(
            {"ts": "int64", "side": "int64", "qty": "float64", "price": "float64", "fee": "float64"}
        )
    )
    stats = compute_stats(empty, trades, initial_capital=1.0, fees=0.0, exposure=0.0)
    path = write_report(
        tmp_path / "r.html",
        title="empty",
        stats=stats,
        equity=empty,
        trades=trades,
        prices={"BTC": empty},
        conventions_note="Custom note <b>escaped</b>.",
    )
    text = path.read_text(encoding="utf-8")
    check_html(text)
    assert "no data" in text and "No closed round trips." in text
    assert "Custom note &lt;b&gt;escaped&lt;/b&gt;." in text


def test_kill_switch_notice_is_escaped_and_marked_on_the_equity_chart(run: dict[str, object], tmp_path: Path) -> None:
    from botkit.backtest.outcome import KillSwitchTrip
    from botkit.risk.rejection import RejectCode

    trip = KillSwitchTrip(T0 + 50 * 3600 * S + 1, RejectCode.MAX_DRAWDOWN, "kill switch: drawdown <5%> & more")
    text = write_report(tmp_path / "r.html", title="t", kill_switch=trip, **run).read_text()  # type: ignore[arg-type]
    checker = check_html(text)
    notice = "Kill switch fired at 2024-01-03T02:00:00.000000001+00:00 (max_drawdown): kill switch: drawdown <5%>"
    assert notice in "".join(checker.text)
    assert "<5%>" not in text
    assert text.count('class="marker kill"') == 1
    no_trip = write_report(tmp_path / "n.html", title="t", **run).read_text()  # type: ignore[arg-type]
    assert "marker kill" not in no_trip and "Kill switch" not in no_trip
