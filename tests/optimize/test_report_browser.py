"""The sweep report in a real headless Chromium: it renders offline, without errors, and its Selects work.

The browser is the OS's Chromium (``apt-get install chromium``), driven by playwright;
``BOTKIT_CHROMIUM`` names another binary. Without one the tests skip and say why.
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

from botkit.optimize.report import write_report

from .sweep_tables import sweep_table, walk_forward

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")


MODELS_JS = """
() => {
  const doc = Bokeh.documents[0], out = {};
  for (const model of doc.all_models) {
    if (model.name && (model.type === "Figure" || model.type === "DataTable")) {
      out[model.name] = model.type === "Figure"
        ? Object.fromEntries(model.renderers.filter(r => r.name).map(r => [r.name, r.data_source.get_length()]))
        : {rows: model.source.get_length()};
    }
  }
  return out;
}
"""
HEATMAP_JS = """
() => {
  const doc = Bokeh.documents[0], heat = doc.get_model_by_name("heatmap_cells").data;
  return {x: [...heat.x], y: [...heat.y], metric: [...heat.metric].map(v => Number.isFinite(v) ? v : null),
          p: [...Array(3).keys()].map(i => heat["p" + i] ? [...heat["p" + i]] : null),
          title: doc.get_model_by_name("heatmap").title.text,
          x_factors: [...doc.get_model_by_name("heatmap_x").factors],
          y_factors: [...doc.get_model_by_name("heatmap_y").factors]};
}
"""
THREE = {"fast": [5, 10, 20, 40], "slow": [50, 100, 150, 200, 250], "stop": [0.01, 0.02, 0.03]}


def open_report(browser: Any, path: Path) -> OpenedReport:
    """This page's report loaded as these tests wait for it (report_page.open_report)."""
    return open_page(browser, path, console=("error", "warning"), timeout_ms=120_000)


def select(page: Any, name: str) -> Any:
    """The native <select> of the Bokeh Select titled ``name`` (playwright's CSS pierces shadow roots)."""
    return page.locator(".bk-input-group", has=page.locator(f"label:text-is('{name}')")).locator("select")


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    table = sweep_table(THREE, nan_every=7)
    path = write_report(tmp_path_factory.mktemp("three") / "report.html", table, list(THREE), "sharpe",
                        title="three <params>", walk_forward=walk_forward())
    return path, table


def test_the_report_renders_offline_with_every_chart_and_no_errors(browser: Any, three: tuple[Path, pd.DataFrame]
                                                                    ) -> None:
    report = open_report(browser, three[0])
    assert report.problems == []
    assert [url for url in report.requests if not url.startswith(("file:", "data:", "blob:"))] == []
    roots = report.page.evaluate("() => document.querySelectorAll('[data-root-id]').length")
    assert roots == 5  # metric chart, distribution, top table, walk-forward equity and windows
    models = report.page.evaluate(MODELS_JS)
    assert models["heatmap"]["heatmap_rects"] == 20  # fast × slow at the best combination's stop
    assert models["distribution"]["distribution_bars"] > 0
    assert models["top_table"] == {"rows": 20}
    assert models["walk_forward_windows"] == {"rows": 4}
    assert models["walk_forward_equity"]["walk_forward_test_windows"] == 4
    assert report.page.locator(".bk-Canvas").count() >= 3  # the charts are drawn, not just declared
    assert report.page.locator("#top .slick-row").count() == 20
    assert report.page.locator("h1").inner_text() == "three <params>"


def test_switching_a_select_changes_the_heatmap(browser: Any, three: tuple[Path, pd.DataFrame]) -> None:
    path, table = three
    report = open_report(browser, path)
    page = report.page
    before = page.evaluate(HEATMAP_JS)
    held = before["p"][2][0]
    other = next(v for v in ("0.01", "0.02", "0.03") if v != held)
    select(page, "stop (held at)").select_option(other)
    after = page.evaluate(HEATMAP_JS)
    assert set(after["p"][2]) == {other} and after["title"] == f"sharpe by fast and slow at stop = {other}"
    expected = table[np.isclose(table["stop"], float(other))]
    got = dict(zip(zip(after["x"], after["y"], strict=True), after["metric"], strict=True))
    for row in expected.itertuples():
        value = got[(str(row.fast), str(row.slow))]
        assert (value is None) if np.isnan(row.sharpe) else value == pytest.approx(row.sharpe)
    assert after["metric"] != before["metric"]

    select(page, "x axis").select_option("stop")  # stop becomes the x axis; fast is held at its value
    moved = page.evaluate(HEATMAP_JS)
    assert moved["x_factors"] == ["0.01", "0.02", "0.03"] and len(moved["x"]) == 3 * 5
    assert moved["title"].startswith("sharpe by stop and slow at fast = ")
    assert select(page, "stop (held at)").is_disabled() and not select(page, "fast (held at)").is_disabled()

    select(page, "y axis").select_option("stop")  # the x axis' parameter: the axes swap
    swapped = page.evaluate(HEATMAP_JS)
    assert swapped["title"].startswith("sharpe by slow and stop at fast = ")
    assert swapped["y_factors"] == ["0.01", "0.02", "0.03"] and len(swapped["x_factors"]) == 5
    assert select(page, "x axis").input_value() == "slow"
    assert report.problems == []


def test_hovering_a_cell_shows_every_parameter_and_the_metric(browser: Any, three: tuple[Path, pd.DataFrame]) -> None:
    page = open_report(browser, three[0]).page
    box = page.locator("#metric .bk-Canvas").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
    rows = page.locator(".bk-Tooltip div").filter(has_text="sharpe:")  # inside the tooltip's shadow root
    rows.first.wait_for(state="visible", timeout=10_000)
    text = rows.first.inner_text()
    for label in ("fast", "slow", "stop", "sharpe"):
        assert f"{label}:" in text, text
    value = text.split("sharpe:")[1].strip().split()[0]
    assert value == "—" or len(value.split(".")[1]) == 3  # the table's ratio format


def test_the_top_table_sorts_and_shows_no_value_as_a_dash(browser: Any, three: tuple[Path, pd.DataFrame]) -> None:
    path, table = three
    page = open_report(browser, path).page
    headers = page.locator("#top .slick-header-column")
    titles = [headers.nth(i).inner_text().strip() for i in range(headers.count())]
    factor = titles.index("profit factor")
    cells = page.locator(f"#top .slick-row .slick-cell.l{factor}")
    top = table.sort_values("sharpe", ascending=False, kind="stable").head(20)
    shown = [cells.nth(i).inner_text() for i in range(20)]
    assert shown == [("—" if not np.isfinite(v) else f"{v:,.3f}") for v in top["profit_factor"]]
    assert "—" in shown  # some of the best have no losing trade: profit factor inf
    trades = titles.index("trades")
    headers.nth(trades).click()
    first = page.locator(f"#top .slick-row .slick-cell.l{trades}").first.inner_text()
    assert int(first.replace(",", "")) == top["trades"].min()


@pytest.mark.parametrize("levels", [{"fast": list(range(5, 45))},
                                    {"<i>mode</i>": ["trend", "revert", "<b>x</b>"], "long_only": [True, False]}])
def test_one_and_two_parameter_reports_render(browser: Any, tmp_path: Path, levels: dict[str, list[object]]) -> None:
    path = write_report(tmp_path / "report.html", sweep_table(levels, nan_every=5), list(levels), "total_return",
                        title="small")
    report = open_report(browser, path)
    assert report.problems == []
    models = report.page.evaluate(MODELS_JS)
    if len(levels) == 1:
        assert models["metric_by_param"]["metric_bars"] == 40 and "heatmap" not in models
    else:
        assert models["heatmap"]["heatmap_rects"] == 6
        assert report.page.evaluate(HEATMAP_JS)["x_factors"] == ["<b>x</b>", "revert", "trend"]
        headers = report.page.locator("#top .slick-header-column").all_inner_texts()
        assert [h.strip() for h in headers[:3]] == ["#", "<i>mode</i>", "long_only"]  # escaped, shown as written
        assert any("<b>x</b>" in row for row in report.page.locator("#top .slick-row").all_inner_texts())


def test_a_sweep_of_100k_combinations_loads_and_switches(browser: Any, tmp_path: Path) -> None:
    levels = {"fast": np.arange(1, 51), "slow": np.arange(10, 510, 10), "stop": np.linspace(0.01, 0.4, 40)}
    table = sweep_table(levels, nan_every=97)
    assert len(table) == 100_000
    path = write_report(tmp_path / "big.html", table, list(levels), "sharpe", title="100k")
    started = time.perf_counter()
    report = open_report(browser, path)
    loaded = time.perf_counter() - started
    assert report.problems == []
    models = report.page.evaluate(MODELS_JS)
    assert models["heatmap"]["heatmap_rects"] == 2_500 and models["top_table"] == {"rows": 20}
    started = time.perf_counter()
    select(report.page, "x axis").select_option("stop")
    report.page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('heatmap_cells').get_length() === 2000")
    switched = time.perf_counter() - started
    print(f"\n100,000-combination sweep report ({path.stat().st_size / 1e6:.1f} MB): charts drawn "
          f"{report.idle_ms:.0f} ms after navigation began ({loaded:.2f}s wall); x axis switched in {switched:.2f}s")
