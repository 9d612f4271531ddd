"""The self-contained HTML report of a parameter sweep: the metric over the grid, its spread, the best, walk-forward.

``write_report(path, table, params, metric, title=...)`` writes one file that opens offline: styles
inline, Bokeh's JavaScript inlined (``report_charts.BOKEH_JS``), nothing fetched. The page holds a
heatmap of the metric over two parameters with Selects for the axes and the value of each other
parameter (``report_charts``), the metric's histogram, the top N combinations in a sortable table
(``report_tables``) and, for a walk-forward, the stitched out-of-sample equity against in-sample
with one row per window. What goes in the page is bounded by the grid, not the rows: the heatmap's
data is one entry per distinct cell, the histogram is binned and the table is cut to the top N
here, so a sweep of 100,000 combinations makes a page of a few megabytes. Every piece of text that
comes from the caller (title, conventions, parameter names and values) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from botkit.core.errors import ConfigError, DataError
from botkit.data.atomic import atomic_write
from botkit.optimize.report_cells import (
    AXIS_BINS,
    AXIS_LEVELS,
    NO_VALUE,
    WINDOW_COLUMNS,
    Kind,
    SweepView,
    degradation,
    format_value,
    sweep_view,
)

DEFAULT_TOP = 20
"""Combinations the top table shows unless the caller asks for another number."""

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
max-width:1400px;padding:0 16px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#5b6575;margin:0 0 12px}
table.conventions{border-collapse:collapse}
.conventions td{padding:3px 10px;border-bottom:1px solid #e3e7ee;vertical-align:top}
.conventions td:first-child{color:#5b6575;white-space:nowrap}
.note{color:#3b4252;border-left:3px solid #c9d0db;padding-left:10px}
.chart{min-height:300px;margin-bottom:12px}
"""


@dataclass(frozen=True)
class WalkForwardView:
    """A walk-forward to show beside the sweep: its windows and equity curves.

    ``windows`` has one row per window: ``window`` (int), ``train_start``, ``train_end``,
    ``test_start``, ``test_end`` (UTC Timestamps), the chosen parameters' columns, ``in_sample``
    and ``out_of_sample`` (the metric). ``out_of_sample_equity`` is the stitched out-of-sample
    equity and ``in_sample_equity`` (optional) the whole period's equity of the in-sample best
    parameters, both with a UTC DatetimeIndex.
    """

    windows: pd.DataFrame
    out_of_sample_equity: pd.Series
    in_sample_equity: pd.Series | None = None

    def __post_init__(self) -> None:
        missing = [c for c in WINDOW_COLUMNS if c not in self.windows.columns]
        if missing:
            raise DataError(f"walk_forward.windows lacks columns {missing} (has {list(self.windows.columns)})")
        for name, series in (("out_of_sample_equity", self.out_of_sample_equity),
                             ("in_sample_equity", self.in_sample_equity)):
            if series is not None and not isinstance(series.index, pd.DatetimeIndex):
                raise DataError(f"walk_forward.{name} needs a UTC DatetimeIndex, got {type(series.index).__name__}")


def write_report(
    path: Path,
    table: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    title: str,
    conventions: Mapping[str, str] | None = None,
    walk_forward: WalkForwardView | None = None,
    top: int = DEFAULT_TOP,
) -> Path:
    """Write the sweep's report to ``path`` atomically (parent folders are created) and return it."""
    text = render_report(table, params, metric, title=title, conventions=conventions, walk_forward=walk_forward,
                         top=top)
    target = Path(path)
    with atomic_write(target) as handle:
        handle.write(text.encode("utf-8"))
    return target


def render_report(
    table: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    *,
    title: str,
    conventions: Mapping[str, str] | None = None,
    walk_forward: WalkForwardView | None = None,
    top: int = DEFAULT_TOP,
) -> str:
    """The text of the report: ``table`` has one row per combination, the ``params`` columns then statistics.

    ``metric`` is the statistic the sweep ranks by (higher is better but for
    ``report_cells.LOWER_IS_BETTER``), ``conventions`` describes the sweep (grid, data, costs…)
    as label -> text, ``top`` is how many of the best combinations the table shows.
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ConfigError(f"optimize report: top must be a whole number >= 1, got {top!r}")
    view = sweep_view(table, params, metric)
    # Bokeh takes ~0.6 s to import: loaded when a report is drawn, not when botkit.optimize is.
    from bokeh.embed import components

    from botkit.optimize.report_charts import BOKEH_JS, distribution_chart, metric_chart, walk_forward_chart
    from botkit.optimize.report_tables import top_table, windows_table

    models = {"metric": metric_chart(view), "distribution": distribution_chart(view), "top": top_table(view, top)}
    if walk_forward is not None:
        models["wf_equity"] = walk_forward_chart(walk_forward.windows, walk_forward.out_of_sample_equity,
                                                 walk_forward.in_sample_equity, metric)
        models["wf_windows"] = windows_table(walk_forward.windows, metric)
    script, divs = components(models)
    esc = html.escape
    shown = min(top, len(view.ranked))
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f'<header><h1>{esc(title)}</h1><p class="sub">{esc(_summary(view))}</p></header>',
        '<section id="conventions"><h2>Conventions</h2>',
        _conventions_table(view, conventions or {}),
        f'</section><section id="metric"><h2>{esc(metric)} over the parameters</h2>',
        f'<p class="sub">{esc(_grid_note(view))}</p><div class="chart">{divs["metric"]}</div>',
        f'</section><section id="distribution"><h2>Distribution of {esc(metric)}</h2>',
        f'<div class="chart">{divs["distribution"]}</div>',
        f'</section><section id="top"><h2>Top {shown:,} by {esc(metric)}</h2>',
        f'<div>{divs["top"]}</div></section>',
    ]
    if walk_forward is not None:
        parts += [
            '<section id="walk-forward"><h2>Walk-forward</h2>',
            f'<p class="sub">{esc(_walk_forward_note(walk_forward))}</p>',
            f'<div class="chart">{divs["wf_equity"]}</div><div>{divs["wf_windows"]}</div></section>',
        ]
    parts += [BOKEH_JS.render_js(), script, "</body></html>\n"]
    return "\n".join(parts)


def _summary(view: SweepView) -> str:
    """The line under the title: how many combinations of which parameters, ranked by what, and the best."""
    direction = "lower" if view.lower_is_better else "higher"
    text = (f"{len(view.table):,} combinations of {', '.join(view.params)}, ranked by {view.metric} "
            f"({direction} is better)")
    if view.best is None:
        return f"{text}; no combination has a {view.metric}."
    return f"{text}; best {format_value(view.kind, float(view.values[view.best]))} at {_at(view, view.best)}."


def _conventions_table(view: SweepView, conventions: Mapping[str, str]) -> str:
    """The sweep's conventions: metric, counts, best combination, then the caller's rows, all escaped."""
    direction = "lower" if view.lower_is_better else "higher"
    rows = [
        ("metric", f"{view.metric} ({direction} is better)"),
        ("combinations", f"{len(view.table):,}"),
        (f"with a {view.metric}", f"{len(view.ranked):,} (the others' is NaN or infinite, shown as {NO_VALUE})"),
        ("parameters", ", ".join(view.params)),
        ("best", NO_VALUE if view.best is None else _at(view, view.best)),
        *((str(k), str(v)) for k, v in conventions.items()),
    ]
    body = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="conventions"><tbody>{body}</tbody></table>'


def _grid_note(view: SweepView) -> str:
    """How the chart above is drawn: cells, colours, what the Selects do, which parameters were binned."""
    if len(view.params) == 1:
        text = f"One bar per value of {view.params[0]}."
    else:
        text = ("One cell per pair of values of the two axes' parameters; the Selects choose the axes"
                + (" and the value every other parameter is held at (it starts at the best combination's)."
                   if len(view.params) > 2 else "."))
    text += f" Colours span {view.metric} over the whole sweep; grey cells have no value."
    binned = [lv.name for lv in view.levels if lv.binned]
    if binned:
        text += (f" {', '.join(binned)} (more than {AXIS_LEVELS} values) cut into {AXIS_BINS} equal bins;"
                 " a cell holding several combinations shows the best of them.")
    elif view.merged:
        text += " Some combinations repeat: a cell shows the best of them."
    return text


def _walk_forward_note(walk_forward: WalkForwardView) -> str:
    """The walk-forward's windows, median degradation and stitched out-of-sample return."""
    ratios = degradation(walk_forward.windows)
    median = format_value(Kind.RATIO, float(np.nanmedian(ratios))) if np.isfinite(ratios).any() else NO_VALUE
    text = (f"{len(walk_forward.windows):,} windows; degradation is out of sample / in sample of the metric, "
            f"median {median}.")
    for label, series in (("stitched out-of-sample", walk_forward.out_of_sample_equity),
                          ("in-sample best's", walk_forward.in_sample_equity)):
        values = np.asarray([] if series is None else series, dtype=np.float64)
        values = values[np.isfinite(values)]
        if len(values) > 1 and values[0] != 0:
            text += f" The {label} return is {format_value(Kind.PERCENT, float(values[-1] / values[0] - 1.0))}."
    return text + " Test windows are shaded."


def _at(view: SweepView, row: int) -> str:
    """``name = value`` of every parameter of one row."""
    return ", ".join(f"{name} = {_param_text(view.table[name].iloc[row])}" for name in view.params)


def _param_text(value: object) -> str:
    """A parameter's value as text: floats to 6 significant digits, anything else as it prints."""
    return f"{value:.6g}" if isinstance(value, float | np.floating) else str(value)
