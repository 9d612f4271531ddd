"""The report in a real headless Chromium: it renders offline, without errors, and responds.

The browser is the OS's Chromium (``apt-get install chromium``; ``.ci/run`` installs it), driven
by playwright; ``BOTKIT_CHROMIUM`` names another binary. Without one the tests skip and say why.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from report_page import OpenedReport
from report_page import open_report as open_page

import botkit
from botkit.backtest.outcome import KillSwitchTrip
from botkit.backtest.report import write_report
from botkit.backtest.stats import compute_stats
from botkit.data.synthetic import synthetic_bars
from botkit.portfolio.round_trips import round_trips
from botkit.risk.rejection import RejectCode

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")


FIGURES_JS = """
() => {
  const doc = Bokeh.documents[0];
  const out = {};
  for (const model of doc.all_models) {
    if (model.type !== "Figure" && !(model.renderers && model.x_range)) continue;
    out[model.name] = {
      x_range: model.x_range.name, y: [model.y_range.start, model.y_range.end],
      renderers: Object.fromEntries(model.renderers.filter(r => r.name).map(
        r => [r.name, r.data_source ? r.data_source.get_length() : null])),
    };
  }
  return out;
}
"""


def open_report(browser: Any, path: Path) -> OpenedReport:
    """This page's report loaded as these tests wait for it (report_page.open_report)."""
    return open_page(browser, path, ready="#trades-table[data-ready]")


def small_run(tmp_path: Path, kill_switch: KillSwitchTrip | None = None) -> tuple[Path, pd.DataFrame]:
    """Hourly prices of two symbols with 60 round trips on BTC and 1 on ETH; volume for BTC."""
    n = 2_000
    index = pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC")
    rng = np.random.default_rng(11)
    btc = pd.Series(100.0 + np.cumsum(rng.normal(0, 0.5, n)), index=index)
    eth = pd.Series(50.0 + np.cumsum(rng.normal(0, 0.2, n)), index=index)
    bars = [*range(10, 1210, 10), 1500, 1600]
    symbols = ["BTC"] * 120 + ["ETH"] * 2
    prices = {"BTC": btc, "ETH": eth}
    fills = pd.DataFrame({
        "ts": index.as_unit("ns").asi8[bars], "symbol": symbols, "side": np.tile([1, -1], 61), "qty": 1.5,
        "price": [float(prices[s].iloc[b]) for b, s in zip(bars, symbols, strict=True)], "fee": 0.01,
    })
    trades = round_trips(fills)
    equity = pd.Series(10_000.0 + np.cumsum(rng.normal(0, 5, n)), index=index)
    stats = compute_stats(equity, trades, initial_capital=10_000.0, fees=1.22, exposure=0.5)
    path = write_report(tmp_path / "report.html", title="small <run>", stats=stats, equity=equity, trades=trades,
                        prices=prices, volumes={"BTC": pd.Series(rng.gamma(2, 3, n), index=index)},
                        parameters={"params": {"fast": 10}}, kill_switch=kill_switch)
    return path, trades


def big_run(tmp_path: Path, bars: int = 1_000_000, round_trips_wanted: int = 14_000) -> Path:
    """A two-year minute series (1M bars) with 14k round trips, as ``botkit backtest`` makes of sma_cross."""
    rng = np.random.default_rng(5)
    index = pd.date_range("2024-01-01", periods=bars, freq="min", tz="UTC")
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 4e-4, bars)))
    at = np.sort(rng.choice(np.arange(1, bars - 1), size=2 * round_trips_wanted, replace=False))
    fills = pd.DataFrame({"ts": index.as_unit("ns").asi8[at], "symbol": "BTCUSD",
                          "side": np.tile([1, -1], round_trips_wanted), "qty": 1.0, "price": close[at], "fee": 0.05})
    trades = round_trips(fills)
    equity = pd.Series(100_000.0 + np.cumsum(rng.normal(0, 0.5, bars)), index=index)
    stats = compute_stats(equity, trades, initial_capital=100_000.0, fees=1_400.0, exposure=0.5)
    started = time.perf_counter()
    path = write_report(tmp_path / "big" / "report.html", title="1M bars, 14k trades", stats=stats, equity=equity,
                        trades=trades, prices={"BTCUSD": pd.Series(close, index=index)},
                        volumes={"BTCUSD": pd.Series(rng.gamma(2, 5, bars), index=index)},
                        parameters={"params": {"fast": 10, "slow": 50}})
    print(f"\nreport of {bars:,} bars and {len(trades):,} trades written in {time.perf_counter() - started:.2f}s, "
          f"{path.stat().st_size / 1e6:.1f} MB")
    return path


def test_the_report_renders_offline_with_every_chart_and_no_errors(browser: Any, tmp_path: Path) -> None:
    path, trades = small_run(tmp_path)
    report = open_report(browser, path)
    assert report.problems == []
    assert [url for url in report.requests if not url.startswith(("file:", "data:", "blob:"))] == []
    figures = report.page.evaluate(FIGURES_JS)
    assert {"overview", "price:BTC", "volume:BTC", "price:ETH", "equity", "drawdown"} <= set(figures)
    linked = [name for name in figures if name != "overview"]
    assert {figures[name]["x_range"] for name in linked} == {"botkit-time"}  # one time axis for all
    btc = figures["price:BTC"]["renderers"]
    assert btc["entries:BTC"] == btc["exits:BTC"] == btc["trade_paths:BTC"] == 60 == (trades["symbol"] == "BTC").sum()
    assert figures["price:ETH"]["renderers"]["entries:ETH"] == 1
    assert figures["volume:BTC"]["renderers"]["volume_bars:BTC"] > 0
    hovers = report.page.evaluate("() => [...Bokeh.documents[0].all_models].filter(m => m.type === 'HoverTool').length")
    assert hovers >= 6
    assert report.page.locator("h1").inner_text() == "small <run>"
    assert report.page.locator("#parameters").inner_text().count("params.fast") == 1


def test_zooming_to_a_trade_moves_every_chart_and_refits_their_values(browser: Any, tmp_path: Path) -> None:
    path, trades = small_run(tmp_path)
    page = open_report(browser, path).page
    before = page.evaluate(FIGURES_JS)
    page.locator("#trades-table tbody tr").nth(2).locator("button.zoom").click()
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('botkit-time').end < 1.71e12")
    x = page.evaluate("() => { const r = Bokeh.documents[0].get_model_by_name('botkit-time'); "
                      "return [r.start, r.end]; }")
    trade = trades.iloc[2]
    assert x[0] < trade["entry_ts"].value / 1e6 < trade["exit_ts"].value / 1e6 < x[1]
    after = page.evaluate(FIGURES_JS)
    low, high = after["price:BTC"]["y"]
    assert before["price:BTC"]["y"][0] < low < min(trade["entry_price"], trade["exit_price"])
    assert max(trade["entry_price"], trade["exit_price"]) < high < before["price:BTC"]["y"][1]
    assert after["equity"]["y"] != before["equity"]["y"]  # every chart's value axis follows the window


def test_the_trades_table_sorts_pages_and_clips_nothing(browser: Any, tmp_path: Path) -> None:
    path, trades = small_run(tmp_path)
    page = open_report(browser, path).page
    rows = page.locator("#trades-table tbody tr")
    assert rows.count() == 50 and page.locator("#trades-table").get_attribute("data-rows") == "50"
    headers = page.locator("#trades-table thead th")
    labels = [headers.nth(i).inner_text().strip() for i in range(headers.count())]
    pnl_column = labels.index("pnl")
    headers.nth(pnl_column).locator("button").click()
    first_pnl = rows.nth(0).locator("td").nth(pnl_column).inner_text()
    assert float(first_pnl.replace(",", "")) == pytest.approx(trades["pnl"].min(), abs=0.01)  # as printed
    page.get_by_role("button", name="next ›").click()
    assert page.locator("#trades-table").get_attribute("data-page") == "2"
    assert rows.count() == len(trades) - 50
    decimals = {len(rows.nth(i).locator("td").nth(pnl_column).inner_text().split(".")[1]) for i in range(rows.count())}
    assert len(decimals) == 1  # one number format per column
    clipped = page.evaluate("""() => [...document.querySelectorAll('#trades-table td, #trades-table th')]
        .filter(c => c.scrollWidth > c.clientWidth).length""")
    assert clipped == 0
    wrap = page.evaluate("() => { const w = document.querySelector('.tt-wrap'); "
                         "return [w.scrollWidth, w.clientWidth]; }")
    assert wrap[0] <= wrap[1]  # every column fits at 1400 px: nothing hidden to the right


def test_the_kill_switch_is_noticed_and_marked(browser: Any, tmp_path: Path) -> None:
    trip = KillSwitchTrip(1_704_067_200 * 10**9 + 700 * 3600 * 10**9, RejectCode.DAILY_LOSS, "loss <limit>")
    path, _ = small_run(tmp_path, kill_switch=trip)
    report = open_report(browser, path)
    assert report.problems == []
    assert "Kill switch fired at" in report.page.locator("p.alert").inner_text()
    assert "loss <limit>" in report.page.locator("p.alert").inner_text()
    figures = report.page.evaluate(FIGURES_JS)
    assert figures["equity"]["renderers"]["kill_switch"] == 1


def test_a_report_of_a_million_bars_and_14k_trades_loads(browser: Any, tmp_path: Path) -> None:
    path = big_run(tmp_path)
    started = time.perf_counter()
    report = open_report(browser, path)
    print(f"1M-bar/14k-trade report: charts drawn {report.idle_ms:.0f} ms after navigation began "
          f"({time.perf_counter() - started:.2f}s wall, including the table and page set-up)")
    assert report.problems == []
    figures = report.page.evaluate(FIGURES_JS)
    renderers = figures["price:BTCUSD"]["renderers"]
    assert renderers["entries:BTCUSD"] == renderers["exits:BTCUSD"] == 14_000
    assert renderers["price_line:BTCUSD"] <= 8_002
    assert report.page.locator("#trades-table tbody tr").count() == 50


def test_a_backtest_of_a_million_bars_shows_every_trade_volume_and_buy_and_hold(browser: Any, tmp_path: Path) -> None:
    bars = synthetic_bars(1_000_000, seed=9)
    result = botkit.backtest({"strategy": "sma_cross", "params": {"fast": 10, "slow": 50}}, data={"BTCUSD": bars})
    started = time.perf_counter()
    path = result.plot(tmp_path / "run" / "report.html")
    written = time.perf_counter() - started
    report = open_report(browser, path)
    print(f"\nbacktest report of 1M bars, {len(result.trades):,} trades: written in {written:.2f}s "
          f"({path.stat().st_size / 1e6:.1f} MB), charts drawn {report.idle_ms:.0f} ms after navigation began")
    assert report.problems == []
    figures = report.page.evaluate(FIGURES_JS)
    price = figures["price:BTCUSD"]["renderers"]
    assert price["entries:BTCUSD"] == price["exits:BTCUSD"] == len(result.trades) > 10_000  # none thinned
    assert 4_000 < price["price_line:BTCUSD"] <= 8_002  # min/max per bucket, not a million points
    assert 1_000 < figures["volume:BTCUSD"]["renderers"]["volume_bars:BTCUSD"] <= 2_000
    equity = figures["equity"]["renderers"]
    assert 0 < equity["buy_and_hold_line"] <= 8_002 and equity["equity_line"] > 0
    held_end = result.spec.capital * (1.0 + result.stats["buy_and_hold_return"])
    assert figures["equity"]["y"][0] < held_end < figures["equity"]["y"][1]  # the axis fits the benchmark too
