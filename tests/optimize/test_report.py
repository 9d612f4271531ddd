"""The sweep report's HTML: self-contained, escaped, and its charts and tables hold what the table says."""

from __future__ import annotations

import html
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bokeh.models import DataTable, NumberFormatter, Select

from botkit.core.errors import ConfigError, DataError
from botkit.optimize.report import WalkForwardView, render_report, write_report
from botkit.optimize.report_cells import (
    AXIS_BINS,
    HISTOGRAM_BINS,
    Kind,
    column_kind,
    format_value,
    param_levels,
    sweep_view,
)
from botkit.optimize.report_charts import distribution_chart, heatmap_title, metric_chart, walk_forward_chart
from botkit.optimize.report_tables import top_table, windows_table

from .sweep_tables import sweep_table, walk_forward

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "source", "wbr"}

THREE = {"fast": [5, 10, 20, 40], "slow": [50, 100, 150, 200, 250], "stop": [0.01, 0.02, 0.03]}


class PageChecker(HTMLParser):
    """Tags, attributes and text outside scripts; every non-void element closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.extend((tag, key, value) for key, value in attrs)
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.stack or self.stack[-1] not in ("script", "style"):
            self.text.append(data)


def check_page(text: str) -> PageChecker:
    checker = PageChecker()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    return checker


def named(layout: object, name: str) -> object:
    found = list(layout.select({"name": name}))  # type: ignore[attr-defined]
    assert len(found) == 1, (name, found)
    return found[0]


def visible_text(text: str) -> str:
    return " ".join(check_page(text).text)


@pytest.fixture(scope="module")
def three() -> pd.DataFrame:
    return sweep_table(THREE, nan_every=7)


def test_the_page_refers_to_nothing_outside_the_file(three: pd.DataFrame) -> None:
    text = render_report(three, list(THREE), "sharpe", title="three", walk_forward=walk_forward())
    checker = check_page(text)
    assert [a for a in checker.attrs if a[1] in {"src", "href", "srcset", "action", "data"}] == []
    assert [value for tag, key, value in checker.attrs if tag == "script" and key == "src"] == []
    assert not {"link", "iframe", "img", "object", "embed"} & set(checker.tags)
    assert "Bokeh" in text and "DataTable" in text  # the library, its widgets and tables are inlined


def test_the_page_names_every_chart_and_section(three: pd.DataFrame) -> None:
    view = sweep_view(three, list(THREE), "sharpe")
    text = render_report(three, list(THREE), "sharpe", title="three", conventions={"grid": "fast × slow × stop"},
                         walk_forward=walk_forward())
    shown = visible_text(text)
    for heading in ("Conventions", "sharpe over the parameters", "Distribution of sharpe", "Top 20 by sharpe",
                    "Walk-forward"):
        assert heading in shown, heading
    assert "60 combinations of fast, slow, stop, ranked by sharpe (higher is better)" in shown
    assert "fast × slow × stop" in shown
    best = {name: three[name].iloc[view.best] for name in three.columns}
    assert f"at fast = {best['fast']}, slow = {best['slow']}, stop = {best['stop']}" in shown
    chart_title = heatmap_title(view, 0, 1, view.start_codes())
    assert chart_title == f"sharpe by fast and slow at stop = {best['stop']}"
    for title in (chart_title, "Distribution of sharpe over 51 combinations (9 without a value)",
                  "Walk-forward equity: out of sample (stitched) and in sample"):
        assert html.escape(title) in text, title


def test_one_parameter_draws_a_bar_per_value() -> None:
    table = sweep_table({"fast": list(range(5, 45))})
    layout = metric_chart(sweep_view(table, ["fast"], "sharpe"))
    assert not list(layout.select({"name": "heatmap"}))
    bars = named(layout, "metric_bars").data_source.data  # type: ignore[attr-defined]
    assert bars["x"] == [str(v) for v in range(5, 45)]
    np.testing.assert_array_equal(bars["metric"], table["sharpe"])
    check_page(render_report(table, ["fast"], "sharpe", title="one"))


def test_two_parameters_make_one_heatmap_cell_per_combination() -> None:
    table = sweep_table({"fast": [5, 10, 20], "slow": [50, 100, 150, 200]})
    layout = metric_chart(sweep_view(table, ["fast", "slow"], "sharpe"))
    heat = named(layout, "heatmap_cells").data  # type: ignore[attr-defined]
    assert len(heat["x"]) == 12
    got = pd.Series(heat["metric"], index=pd.MultiIndex.from_arrays([heat["x"], heat["y"]]))
    for row in table.itertuples():
        assert got[(str(row.fast), str(row.slow))] == row.sharpe
    selects = [m.name for m in layout.select({"type": Select})]  # type: ignore[attr-defined]
    assert {"axis_x", "axis_y"} <= set(selects)
    assert [m.name for m in named(layout, "heatmap_controls").children] == ["axis_x", "axis_y"]  # type: ignore[attr-defined]


def test_three_parameters_start_at_the_best_combinations_slice_and_keep_every_cell(three: pd.DataFrame) -> None:
    view = sweep_view(three, list(THREE), "sharpe")
    layout = metric_chart(view)
    cells = named(layout, "sweep_cells").data  # type: ignore[attr-defined]
    assert len(cells["metric"]) == len(three) == 60  # every combination once, for the Selects to slice
    assert {cells[f"c{i}"].dtype for i in range(3)} == {np.dtype(np.int32)}  # sent as binary, not JSON lists
    best = {name: three[name].iloc[view.best] for name in three.columns}
    assert best["sharpe"] == three["sharpe"].max()
    heat = named(layout, "heatmap_cells").data  # type: ignore[attr-defined]
    expected = three[three["stop"] == best["stop"]]
    assert len(heat["x"]) == len(expected) == 20
    assert set(heat["p2"]) == {str(best["stop"])}
    np.testing.assert_array_equal(np.sort(heat["metric"]), np.sort(expected["sharpe"].to_numpy()))
    stop = named(layout, "slice:stop")
    assert stop.value == str(best["stop"]) and stop.options == ["0.01", "0.02", "0.03"]  # type: ignore[attr-defined]
    assert named(layout, "slice:fast").disabled  # type: ignore[attr-defined]  # on an axis


def test_nan_and_inf_are_left_out_of_rankings_histogram_and_colours(three: pd.DataFrame) -> None:
    view = sweep_view(three, list(THREE), "sharpe")
    finite = three["sharpe"][np.isfinite(three["sharpe"])]
    assert len(view.ranked) == len(finite) == 51
    histogram = named(distribution_chart(view), "distribution_bins").data  # type: ignore[arg-type]
    assert histogram["count"].sum() == 51 and len(histogram["count"]) <= HISTOGRAM_BINS
    rects = named(metric_chart(view), "heatmap_rects")
    mapper = rects.glyph.fill_color.transform  # type: ignore[attr-defined]
    assert (mapper.low, mapper.high) == (finite.min(), finite.max())
    table = top_table(view, 60)
    data = table.source.data
    sharpe = next(c for c in table.columns if c.title == "sharpe")
    assert len(data["rank"]) == 51 and np.isfinite(data[sharpe.field]).all()
    assert list(data[sharpe.field]) == sorted(finite, reverse=True)
    factor = next(c for c in table.columns if c.title == "profit factor")
    assert np.isinf(three["profit_factor"]).any() and not np.isinf(data[factor.field]).any()
    assert factor.formatter.nan_format == "—"
    shown = visible_text(render_report(three, list(THREE), "sharpe", title="nan", top=60))
    assert "Top 51 by sharpe" in shown and "51 (the others' is NaN or infinite, shown as —)" in shown


def test_a_metric_without_any_value_still_renders() -> None:
    table = sweep_table({"fast": [1, 2], "slow": [3, 4, 5]})
    table["sharpe"] = np.nan
    text = render_report(table, ["fast", "slow"], "sharpe", title="all nan")
    check_page(text)
    assert "no combination has a sharpe" in visible_text(text)


def test_an_empty_table_still_renders() -> None:
    table = sweep_table({"fast": [1, 2], "slow": [3, 4, 5], "flag": [True]}).iloc[0:0]
    text = render_report(table, ["fast", "slow", "flag"], "sharpe", title="empty")
    check_page(text)
    assert "0 combinations of fast, slow, flag" in visible_text(text)


def test_string_and_bool_parameters_are_levels_and_text_is_escaped() -> None:
    table = sweep_table({"mode": ["trend", "<b>revert</b>", "carry"], "long_only": [True, False], "fast": [5, 10]})
    view = sweep_view(table, ["mode", "long_only", "fast"], "total_return")
    assert view.levels[0].labels == ("<b>revert</b>", "carry", "trend")
    assert view.levels[1].labels == ("False", "True")
    top = top_table(view, 5)
    mode = next(c for c in top.columns if c.title == "mode")
    assert top.source.data[mode.field][0] in {"trend", "<b>revert</b>", "carry"}
    text = render_report(table, ["mode", "long_only", "fast"], "total_return", title="<i>modes</i> & co",
                         conventions={"grid": "<all> of them"})
    assert "<b>revert</b>" not in text and "<i>modes</i>" not in text and "<all>" not in text
    assert "&lt;all&gt; of them" in text
    check_page(text)


def test_a_random_search_over_floats_is_binned_into_a_bounded_heatmap() -> None:
    rng = np.random.default_rng(1)
    n = 5_000
    table = pd.DataFrame({"lookback": rng.uniform(1.0, 20.0, n), "band": rng.uniform(0.5, 3.0, n),
                          "sharpe": rng.normal(0.5, 1.0, n)})
    view = sweep_view(table, ["lookback", "band"], "sharpe")
    assert [len(lv.labels) for lv in view.levels] == [AXIS_BINS, AXIS_BINS] and view.merged
    assert len(view.cells.metric) <= AXIS_BINS**2 and view.cells.count.sum() == n
    heat = named(metric_chart(view), "heatmap_cells").data  # type: ignore[attr-defined]
    assert max(heat["metric"]) == table["sharpe"].max()  # a cell shows its best combination
    hover = named(metric_chart(view), "cell_hover")
    assert ("combinations (best shown)", "@n") in hover.tooltips  # type: ignore[attr-defined]
    ints = param_levels("window", pd.Series(np.arange(0, 1000)))
    assert ints.labels[0] == "0–19" and len(ints.labels) == AXIS_BINS


def test_float_levels_are_labelled_as_short_as_stays_distinct() -> None:
    assert param_levels("x", pd.Series(np.arange(0.1, 0.5, 0.1))).labels == ("0.1", "0.2", "0.3", "0.4")
    assert param_levels("x", pd.Series([1.0000001, 1.0000002])).labels == ("1.0000001", "1.0000002")
    assert param_levels("x", pd.Series([2.0, 0.5, 10.0])).labels == ("0.5", "2", "10")


def test_numbers_have_one_format_per_kind() -> None:
    assert [column_kind(n, pd.Series([1.0])) for n in ("sharpe", "total_return", "max_drawdown", "fees",
                                                         "final_equity", "trades", "max_drawdown_duration")] == [
        Kind.RATIO, Kind.PERCENT, Kind.PERCENT, Kind.MONEY, Kind.MONEY, Kind.COUNT, Kind.DAYS]
    assert column_kind("custom", pd.Series([3])) is Kind.COUNT
    assert format_value(Kind.RATIO, 1.23456) == "1.235"
    assert format_value(Kind.PERCENT, -0.123456) == "-12.35%"
    assert format_value(Kind.MONEY, 1234567.891) == "1,234,567.89"
    assert format_value(Kind.COUNT, 12345.0) == "12,345"
    assert format_value(Kind.RATIO, float("nan")) == format_value(Kind.MONEY, float("inf")) == "—"
    table = top_table(sweep_view(sweep_table(THREE), list(THREE), "sharpe"), 20)
    formats = {c.title: c.formatter.format for c in table.columns if isinstance(c.formatter, NumberFormatter)}
    assert formats["sharpe"] == formats["profit factor"] == "0,0.000"
    assert formats["total return"] == formats["max drawdown"] == formats["win rate"] == "0,0.00%"
    assert formats["fees"] == formats["final equity"] == "0,0.00"
    assert formats["trades"] == formats["fast"] == "0,0" and formats["stop"] == "0,0.00"
    assert isinstance(table, DataTable) and table.sortable


def test_a_lower_is_better_metric_ranks_upwards() -> None:
    table = sweep_table({"fast": [5, 10, 20], "slow": [50, 100]})
    view = sweep_view(table, ["fast", "slow"], "fees")
    assert view.lower_is_better and table["fees"].iloc[view.best] == table["fees"].min()  # type: ignore[call-overload]
    fees = top_table(view, 3)
    column = next(c for c in fees.columns if c.title == "fees")
    assert list(fees.source.data[column.field]) == sorted(table["fees"])[:3]


def test_walk_forward_windows_show_their_degradation() -> None:
    wf = walk_forward()
    table = windows_table(wf.windows, "sharpe")
    data = table.source.data
    np.testing.assert_allclose(data["degradation"][:3], (wf.windows["out_of_sample"] / wf.windows["in_sample"])[:3])
    assert np.isnan(data["degradation"][3])  # in-sample 0: no ratio
    assert data["test_start"][0] == wf.windows["test_start"].iloc[0].value / 1e6
    titles = [c.title for c in table.columns]
    assert {"fast", "mode"} <= set(titles) and titles.count("degradation (out / in)") == 1
    with_own = wf.windows.assign(degradation=wf.windows["out_of_sample"] / wf.windows["in_sample"])
    assert [c.title for c in windows_table(with_own, "sharpe").columns] == titles  # not taken for a parameter
    chart = walk_forward_chart(wf.windows, wf.out_of_sample_equity, wf.in_sample_equity, "sharpe")
    assert len(named(chart, "walk_forward_test_windows").data_source.data["left"]) == 4  # type: ignore[attr-defined]
    assert {"out_of_sample_line", "in_sample_line"} <= {r.name for r in chart.renderers}
    with pytest.raises(DataError, match="out_of_sample"):
        WalkForwardView(wf.windows.drop(columns=["out_of_sample"]), wf.out_of_sample_equity)
    with pytest.raises(DataError, match="DatetimeIndex"):
        WalkForwardView(wf.windows, wf.out_of_sample_equity.reset_index(drop=True))


@pytest.mark.parametrize(("params", "metric", "top", "message"), [
    ([], "sharpe", 20, "at least one"),
    (["fast", "nope"], "sharpe", 20, "'nope' is not a column"),
    (["fast", "fast"], "sharpe", 20, "twice"),
    (["fast"], "sharp", 20, "metric 'sharp'"),
    (["fast", "slow"], "slow", 20, "metric 'slow'"),
    (["fast"], "slow_name", 20, "metric 'slow_name'"),
    (["fast"], "sharpe", 0, "top must be"),
])
def test_bad_arguments_are_config_errors(params: list[str], metric: str, top: int, message: str) -> None:
    table = sweep_table({"fast": [5, 10], "slow": [50, 100]})
    with pytest.raises(ConfigError, match=message):
        render_report(table, params, metric, title="bad", top=top)


def test_write_report_replaces_the_file_atomically(tmp_path: Path) -> None:
    table = sweep_table({"fast": [5, 10], "slow": [50, 100]})
    path = tmp_path / "sweep" / "report.html"
    assert write_report(path, table, ["fast", "slow"], "sharpe", title="first") == path
    write_report(path, table, ["fast", "slow"], "sharpe", title="second")
    assert "<title>second</title>" in path.read_text(encoding="utf-8")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temporary file left behind


def test_a_sweep_of_100k_combinations_makes_a_bounded_page(tmp_path: Path) -> None:
    table = sweep_table({"fast": np.arange(1, 51), "slow": np.arange(10, 510, 10), "stop": np.linspace(0.01, 0.4, 40)},
                        nan_every=97)
    assert len(table) == 100_000
    started = time.perf_counter()
    path = write_report(tmp_path / "big.html", table, ["fast", "slow", "stop"], "sharpe", title="100k")
    elapsed = time.perf_counter() - started
    size = path.stat().st_size
    print(f"\nreport of a 100,000-combination sweep: written in {elapsed:.2f}s, {size / 1e6:.2f} MB")
    view = sweep_view(table, ["fast", "slow", "stop"], "sharpe")
    layout = metric_chart(view)
    assert len(named(layout, "heatmap_cells").data["x"]) == 50 * 50  # type: ignore[attr-defined]
    assert len(top_table(view, 20).source.data["rank"]) == 20
    # Bokeh with widgets and tables is 2.0 MB; the cells about 1.2 MB compressed; rows of JSON would be ~20 MB.
    assert size < 4_000_000, size
    check_page(path.read_text(encoding="utf-8"))
