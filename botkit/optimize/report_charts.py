"""The sweep report's charts (Bokeh): the metric over the parameters, its distribution, walk-forward equity.

The heatmap draws the metric over two parameters, one rectangle per cell of the grid on that plane;
Selects choose the two axes and, for every other parameter, the value it is held at. The switching
is a CustomJS over the ``sweep_cells`` source, which holds every distinct cell of the sweep once
(an int32 code per parameter and the best metric: about 12 + 4 × parameters bytes a cell, sent as
compressed binary), so the page needs no server and no network. Colours span the finite metric of
the whole sweep, so slices compare; cells without a value are grey. With one parameter the chart
is bars instead. The distribution is binned here, in Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from bokeh.core.property.vectorization import Field
from bokeh.layouts import column, row
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    CustomJS,
    CustomJSHover,
    FactorRange,
    GlyphRenderer,
    HoverTool,
    Label,
    NumeralTickFormatter,
    Range1d,
    Select,
)
from bokeh.models.layouts import LayoutDOM
from bokeh.palettes import Viridis256
from bokeh.plotting import figure
from bokeh.resources import Resources
from bokeh.transform import linear_cmap

from botkit.backtest.report_series import downsample_minmax, series_arrays, to_ms
from botkit.optimize.report_cells import (
    DECIMALS,
    NUMBRO,
    Kind,
    Levels,
    SweepView,
    chosen_params,
    column_kind,
    degradation,
    format_value,
    histogram,
    shown_values,
    utc_ms,
)

BOKEH_JS = Resources(mode="inline", components=["bokeh", "bokeh-widgets", "bokeh-tables"])
"""Bokeh inlined with the widgets (Selects) and tables bundles, without WebGL and MathJax (2.0 MB, not 3.9)."""

NAN_COLOR = "#dde1e7"
"""Cells and bars whose metric has no value (NaN, ±inf)."""

_TOOLS = "pan,wheel_zoom,box_zoom,reset,save"
_BEST, _MEDIAN = "#d0342c", "#3b4252"
_FORMAT_JS = """
if (!Number.isFinite(value)) return "—";
const shown = kind === "percent" ? value * 100 : value;
return shown.toLocaleString("en-US", {minimumFractionDigits: decimals, maximumFractionDigits: decimals}) +
  (kind === "percent" ? "%" : "");
"""
_SLICE_JS = """
let xi = names.indexOf(xsel.value), yi = names.indexOf(ysel.value);
if (xi === yi) {  // the reader picked the other axis' parameter: the axes swap
  const before = cb_obj === xsel ? xaxis.axis_label : yaxis.axis_label;
  (cb_obj === xsel ? ysel : xsel).value = before;  // runs this callback again, with distinct axes
  return;
}
const k = names.length, fixed = slicers.map((s, i) => Math.max(0, labels[i].indexOf(s.value)));
slicers.forEach((s, i) => { s.disabled = i === xi || i === yi; });
const d = cells.data, codes = names.map((_, i) => d["c" + i]), rows = [];
for (let r = 0; r < d.metric.length; r++) {
  let keep = true;
  for (let i = 0; i < k && keep; i++) keep = i === xi || i === yi || codes[i][r] === fixed[i];
  if (keep) rows.push(r);
}
const out = {x: rows.map(r => labels[xi][codes[xi][r]]), y: rows.map(r => labels[yi][codes[yi][r]]),
             metric: Float64Array.from(rows, r => d.metric[r]), n: Int32Array.from(rows, r => d.n[r])};
names.forEach((_, i) => { out["p" + i] = rows.map(r => labels[i][codes[i][r]]); });
const at = names.map((n, i) => n + " = " + labels[i][fixed[i]]).filter((_, i) => i !== xi && i !== yi);
xr.factors = labels[xi]; yr.factors = labels[yi];
xaxis.axis_label = names[xi]; yaxis.axis_label = names[yi];
title.text = metric + " by " + names[xi] + " and " + names[yi] + (at.length ? " at " + at.join(", ") : "");
heat.data = out;
"""


def metric_chart(view: SweepView) -> LayoutDOM:
    """The metric over the parameters: a heatmap with its Selects, or bars for a single parameter."""
    return _bars(view) if len(view.params) == 1 else _heatmap(view)


def heatmap_title(view: SweepView, x: int, y: int, fixed: list[int]) -> str:
    """The heatmap's title for the (x, y) plane at the ``fixed`` codes, as the page's script writes it."""
    at = [f"{n} = {_label(lv, c)}" for i, (n, lv, c) in enumerate(zip(view.params, view.levels, fixed, strict=True))
          if i not in (x, y)]
    return f"{view.metric} by {view.params[x]} and {view.params[y]}" + (f" at {', '.join(at)}" if at else "")


def heatmap_data(view: SweepView, x: int, y: int, fixed: list[int]) -> dict[str, object]:
    """The heatmap's source for one plane: cell labels, metric, combinations and every parameter's label."""
    rows = view.cells.slice(x, y, fixed)
    codes = view.cells.codes[rows]
    data: dict[str, object] = {
        "x": [view.levels[x].labels[c] for c in codes[:, x]],
        "y": [view.levels[y].labels[c] for c in codes[:, y]],
        "metric": view.cells.metric[rows],
        "n": view.cells.count[rows],
    }
    for i, levels in enumerate(view.levels):
        data[f"p{i}"] = [levels.labels[c] for c in codes[:, i]]
    return data


def distribution_chart(view: SweepView) -> figure:
    """A histogram of the metric with the best value and the median marked."""
    counts, edges = histogram(view.values)
    finite = view.values[np.isfinite(view.values)]
    missing = len(view.values) - len(finite)
    title = f"Distribution of {view.metric} over {len(finite):,} combinations" + (
        f" ({missing:,} without a value)" if missing else "")
    fig = figure(name="distribution", title=title, height=300, tools=_TOOLS, sizing_mode="stretch_width",
                 min_border_left=70)
    _style(fig)
    fig.xaxis.axis_label = view.metric
    fig.yaxis.axis_label = "combinations"
    fig.xaxis.formatter = NumeralTickFormatter(format=_axis_format(view.kind))
    bars = ColumnDataSource({"left": edges[:-1], "right": edges[1:], "count": counts}, name="distribution_bins")
    quads = fig.quad(left="left", right="right", top="count", bottom=0, source=bars, fill_color="#8a94a6",
                     line_color="white", name="distribution_bars")
    metric = _hover_format(view.kind)
    fig.add_tools(HoverTool(renderers=[quads], formatters={"@left": metric, "@right": metric},
                            tooltips=[(view.metric, "@left{custom} to @right{custom}"), ("combinations", "@count")]))
    if len(finite) == 0:
        _no_data(fig)
        return fig
    top = float(counts.max())
    marks = (("best", finite.min() if view.lower_is_better else finite.max(), _BEST, "solid"),
             ("median", float(np.median(finite)), _MEDIAN, "dashed"))
    for name, value, color, dash in marks:
        fig.segment(x0=[value], y0=[0.0], x1=[value], y1=[top * 1.05], line_color=color, line_width=2,
                    line_dash=dash, name=f"distribution_{name}",
                    legend_label=f"{name} {format_value(view.kind, float(value))}")
    fig.legend.location = "top_left"
    return fig


def walk_forward_chart(
    windows: pd.DataFrame, out_of_sample: pd.Series, in_sample: pd.Series | None, metric: str
) -> figure:
    """Stitched out-of-sample equity against the in-sample best's; each test window shaded, with its figures."""
    fig = figure(name="walk_forward_equity", title="Walk-forward equity: out of sample (stitched) and in sample",
                 height=340, x_axis_type="datetime", tools="xpan,xwheel_zoom,box_zoom,reset,save",
                 active_drag="xpan", active_scroll="xwheel_zoom", sizing_mode="stretch_width", min_border_left=70)
    _style(fig)
    fig.yaxis.axis_label = "equity"
    fig.yaxis.formatter = NumeralTickFormatter(format="0,0.[00]")
    lines = [("out_of_sample", out_of_sample, "#2f6fdf", "solid", "out of sample (stitched)")]
    if in_sample is not None:
        lines.append(("in_sample", in_sample, "#8a94a6", "dashed", "in-sample best, whole period"))
    drawn = []
    for name, series, color, dash, label in lines:
        x, y = downsample_minmax(*series_arrays(series))
        source = ColumnDataSource({"x": to_ms(x), "y": y}, name=f"{name}_points")
        drawn.append(fig.line("x", "y", source=source, color=color, line_dash=dash, line_width=1.5,
                              legend_label=label, name=f"{name}_line"))
        fig.add_tools(HoverTool(renderers=drawn[-1:], mode="vline", formatters={"@x": "datetime"},
                                tooltips=[("time", "@x{%F %T}"), (label, "@y{0,0.00}")]))
    values = np.concatenate([np.asarray(r.data_source.data["y"], np.float64) for r in drawn])
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    pad = (hi - lo) * 0.06 or abs(hi) * 0.01 or 1.0
    fig.y_range = Range1d(lo - pad, hi + pad)
    shades = _window_source(windows, metric)
    windows_drawn = fig.quad(left="left", right="right", bottom=lo - pad, top=hi + pad, source=shades,
                             fill_color="color", fill_alpha=0.07, line_color=None, level="underlay",
                             name="walk_forward_test_windows")
    fig.add_tools(HoverTool(renderers=[windows_drawn], formatters={"@left": "datetime", "@right": "datetime"},
                            tooltips=[("test window", "@window"), ("from", "@left{%F %T}"), ("to", "@right{%F %T}"),
                                      ("params", "@params"), (f"in sample {metric}", "@in_sample"),
                                      (f"out of sample {metric}", "@out_of_sample"),
                                      ("degradation", "@degradation")]))
    if len(values) == 0:
        _no_data(fig)
    fig.legend.location = "top_left"
    return fig


def _window_source(windows: pd.DataFrame, metric: str) -> ColumnDataSource:
    """One row per test window: its span (ms), alternating colour and, as text, its params and figures."""
    kind = column_kind(metric, windows["in_sample"])
    chosen = chosen_params(windows)
    return ColumnDataSource({
        "left": utc_ms(windows["test_start"]), "right": utc_ms(windows["test_end"]),
        "window": windows["window"].to_numpy(np.int32),
        "color": np.where(np.arange(len(windows)) % 2 == 0, "#2f6fdf", "#e0a030"),
        "params": [", ".join(f"{c} = {v}" for c, v in zip(chosen, picked, strict=True))
                   for picked in windows[chosen].itertuples(index=False)],
        "in_sample": [format_value(kind, v) for v in shown_values(windows["in_sample"], kind)],
        "out_of_sample": [format_value(kind, v) for v in shown_values(windows["out_of_sample"], kind)],
        "degradation": [format_value(Kind.RATIO, v) for v in degradation(windows)],
    }, name="walk_forward_windows_shade")


def _heatmap(view: SweepView) -> LayoutDOM:
    """The metric over two parameters, with Selects for the axes and for each other parameter's value."""
    fixed = view.start_codes()
    heat = ColumnDataSource(heatmap_data(view, 0, 1, fixed), name="heatmap_cells")
    x_range = FactorRange(factors=list(view.levels[0].labels), name="heatmap_x")
    y_range = FactorRange(factors=list(view.levels[1].labels), name="heatmap_y")
    fig = figure(name="heatmap", title=heatmap_title(view, 0, 1, fixed), x_range=x_range, y_range=y_range,
                 height=560, tools=_TOOLS, sizing_mode="stretch_width", min_border_left=90)
    _style(fig)
    fill = _color_map(view)
    rects = fig.rect(x="x", y="y", width=1, height=1, source=heat, fill_color=fill, line_color=None,
                     name="heatmap_rects")
    fig.add_tools(_cell_hover(view, rects))
    fig.add_layout(ColorBar(color_mapper=fill.transform, title=view.metric, width=14,
                            formatter=NumeralTickFormatter(format=_axis_format(view.kind))), "right")
    fig.xaxis.axis_label, fig.yaxis.axis_label = view.params[0], view.params[1]
    if _crowded(view.levels):
        fig.xaxis.major_label_orientation = math.pi / 3
    fig.grid.grid_line_color = None
    if len(view.cells.metric) == 0:
        _no_data(fig)
    cells = {f"c{i}": view.cells.codes[:, i].copy() for i in range(len(view.params))}
    source = ColumnDataSource({**cells, "metric": view.cells.metric, "n": view.cells.count}, name="sweep_cells")
    names = list(view.params)
    xsel = Select(title="x axis", value=names[0], options=names, name="axis_x", width=170)
    ysel = Select(title="y axis", value=names[1], options=names, name="axis_y", width=170)
    slicers = [Select(title=f"{n} (held at)", value=_label(lv, fixed[i]), options=list(lv.labels), name=f"slice:{n}",
                      width=170, disabled=i < 2) for i, (n, lv) in enumerate(zip(names, view.levels, strict=True))]
    slicers = slicers if len(names) > 2 else []
    code = CustomJS(code=_SLICE_JS, args={
        "cells": source, "heat": heat, "names": names, "labels": [list(lv.labels) for lv in view.levels],
        "xsel": xsel, "ysel": ysel, "slicers": slicers, "xr": x_range, "yr": y_range, "xaxis": fig.xaxis[0],
        "yaxis": fig.yaxis[0], "title": fig.title, "metric": view.metric,
    })
    for select in (xsel, ysel, *slicers):
        select.js_on_change("value", code)
    controls = row(xsel, ysel, *slicers, name="heatmap_controls")
    return column(controls, fig, sizing_mode="stretch_width", name="metric_chart")


def _bars(view: SweepView) -> LayoutDOM:
    """The metric over the one parameter: a bar per value (or bin), coloured as the heatmap would be."""
    levels = view.levels[0]
    codes = view.cells.codes[:, 0]
    labels = [levels.labels[c] for c in codes]
    source = ColumnDataSource({"x": labels, "metric": view.cells.metric, "n": view.cells.count, "p0": labels},
                              name="metric_bars_cells")
    fig = figure(name="metric_by_param", title=f"{view.metric} by {view.params[0]}", height=380, tools=_TOOLS,
                 x_range=FactorRange(factors=list(levels.labels)), sizing_mode="stretch_width", min_border_left=70)
    _style(fig)
    bars = fig.vbar(x="x", top="metric", width=0.85, source=source, fill_color=_color_map(view), line_color=None,
                    name="metric_bars")
    fig.add_tools(_cell_hover(view, bars))
    fig.xaxis.axis_label, fig.yaxis.axis_label = view.params[0], view.metric
    fig.yaxis.formatter = NumeralTickFormatter(format=_axis_format(view.kind))
    if _crowded([levels]):
        fig.xaxis.major_label_orientation = math.pi / 3
    if not np.isfinite(view.cells.metric).any():
        _no_data(fig)
    return column(fig, sizing_mode="stretch_width", name="metric_chart")


def _color_map(view: SweepView) -> Field:
    """Viridis over the sweep's finite metric (yellow is better either way); grey without a value."""
    finite = view.values[np.isfinite(view.values)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    palette = tuple(reversed(Viridis256)) if view.lower_is_better else Viridis256
    return linear_cmap("metric", palette, lo, hi, nan_color=NAN_COLOR)


def _cell_hover(view: SweepView, renderer: GlyphRenderer) -> HoverTool:
    """Every parameter of the cell, its metric (as the tables print it) and, if cells merge, how many."""
    tooltips = [(name, f"@p{i}") for i, name in enumerate(view.params)]
    tooltips.append((view.metric, "@metric{custom}"))
    if view.merged:
        tooltips.append(("combinations (best shown)", "@n"))
    return HoverTool(renderers=[renderer], tooltips=tooltips, formatters={"@metric": _hover_format(view.kind)},
                     name="cell_hover")


def _hover_format(kind: Kind) -> CustomJSHover:
    return CustomJSHover(code=_FORMAT_JS, args={"kind": kind.value, "decimals": DECIMALS[kind]})


def _axis_format(kind: Kind) -> str:
    """Axis ticks: the kind's format with its decimals optional, so round ticks stay short."""
    return {Kind.PERCENT: "0,0.[00]%", Kind.COUNT: "0,0"}.get(kind, NUMBRO[kind].replace(".", ".[") + "]")


def _crowded(levels: Sequence[Levels]) -> bool:
    """Whether some parameter has so many or so long labels that the x axis should tilt them."""
    return any(len(lv.labels) > 16 or any(len(s) > 6 for s in lv.labels) for lv in levels)


def _label(levels: Levels, code: int) -> str:
    """The label of one code; empty for a parameter without levels (an empty table)."""
    return levels.labels[code] if code < len(levels.labels) else ""


def _style(fig: figure) -> None:
    fig.title.text_font_size = "13px"
    fig.toolbar.logo = None


def _no_data(fig: figure) -> None:
    fig.add_layout(Label(x=10, y=10, x_units="screen", y_units="screen", text="no data", name="no_data"))

