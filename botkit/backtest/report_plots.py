"""The report's interactive charts (Bokeh): price with every trade, volume, equity and drawdown.

All charts share one time axis (the x range named ``X_RANGE_NAME``), so zooming or panning one
zooms and pans all; an overview strip with a range tool selects the window, and each chart's
value axis refits to the data in view. Lines are min/max-downsampled (``report_series``); the
entry and exit of every trade are drawn, never thinned. Bokeh's JavaScript is inlined, so the
page needs no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from bokeh.embed import components
from bokeh.layouts import column, gridplot
from bokeh.models import (
    ColumnDataSource,
    CustomJS,
    CustomJSHover,
    HoverTool,
    Label,
    NumeralTickFormatter,
    Range1d,
    RangeTool,
    Span,
)
from bokeh.models.layouts import LayoutDOM
from bokeh.plotting import figure
from bokeh.resources import Resources

from botkit.backtest.outcome import KillSwitchTrip
from botkit.backtest.report_series import (
    X_RANGE_NAME,
    downsample_minmax,
    drawdown,
    series_arrays,
    to_ms,
    volume_buckets,
)

TRADE_COLUMNS = ("symbol", "side", "qty", "entry_ts", "exit_ts", "entry_price", "exit_price", "pnl", "return")
"""Columns of the trades frame the price chart's markers need; without them no markers are drawn."""

BOKEH_JS = Resources(mode="inline", components=["bokeh"])
"""Bokeh's core library inlined, as ``bokeh.resources.INLINE`` but without the widgets, tables,
WebGL and MathJax bundles the charts do not use (1.3 MB instead of 3.9 MB)."""

_TOOLS = "xpan,xwheel_zoom,xbox_zoom,reset,save"
_UP, _DOWN = "#1e9e55", "#d0342c"
_TIME = "@x{%F %T}"
_SIDE_JS = "return value > 0 ? 'long' : 'short'"
_AUTOSCALE_JS = """
const lo = xr.start, hi = xr.end;
function first(xs, v) {
  let a = 0, b = xs.length;
  while (a < b) { const m = (a + b) >> 1; if (xs[m] < v) a = m + 1; else b = m; }
  return a;
}
for (const [yr, entries, zero] of targets) {
  let mn = Infinity, mx = -Infinity;
  for (const [src, xk, yks] of entries) {
    const xs = src.data[xk];
    const i = Math.max(0, first(xs, lo) - 1), j = Math.min(xs.length, first(xs, hi) + 1);
    for (const yk of yks) {
      const ys = src.data[yk];
      for (let k = i; k < j; k++) { const v = ys[k]; if (v < mn) mn = v; if (v > mx) mx = v; }
    }
  }
  if (!isFinite(mn) || !isFinite(mx)) continue;
  if (zero) { mn = Math.min(mn, 0); mx = Math.max(mx, 0); }
  const pad = (mx - mn) * 0.06 || Math.abs(mx) * 0.01 || 1;
  yr.setv({start: mn - pad, end: mx + pad});
}
"""


@dataclass(frozen=True, slots=True)
class _Fit:
    """What a chart's value axis is fitted to: time-sorted columns of sources; whether 0 stays in view."""

    y_range: Range1d
    entries: list[tuple[ColumnDataSource, str, list[str]]]
    include_zero: bool = False

    def fit_whole(self) -> None:
        """Set the value range to all the data, padded as the page's script pads a window."""
        columns = [np.asarray(source.data[key], dtype=np.float64) for source, _, keys in self.entries for key in keys]
        values = np.concatenate([c[np.isfinite(c)] for c in columns] + [np.zeros(1)] * self.include_zero)
        if len(values) == 0:
            return
        lo, hi = float(values.min()), float(values.max())
        pad = (hi - lo) * 0.06 or abs(hi) * 0.01 or 1.0
        self.y_range.start, self.y_range.end = lo - pad, hi + pad


def build_charts(
    *,
    equity: pd.Series,
    prices: Mapping[str, pd.Series],
    trades: pd.DataFrame,
    volumes: Mapping[str, pd.Series] | None = None,
    benchmark: pd.Series | None = None,
    kill_switch: KillSwitchTrip | None = None,
) -> LayoutDOM:
    """The report's charts as one Bokeh layout: overview, per symbol price (+ volume), equity, drawdown."""
    ex, ey = series_arrays(equity)
    lo, hi = _time_span([series_arrays(s)[0] for s in prices.values()] + [ex])
    x_range = Range1d(lo, hi, bounds=(lo, hi), name=X_RANGE_NAME)
    charts: list[tuple[figure, _Fit]] = []
    for symbol, series in prices.items():
        charts.append(_price_chart(symbol, series, _symbol_trades(trades, symbol), x_range))
        volume = (volumes or {}).get(symbol)
        if volume is not None:
            charts.append(_volume_chart(symbol, volume, x_range))
    charts.append(_equity_chart(ex, ey, x_range, kill_switch, benchmark))
    charts.append(_drawdown_chart(ex, ey, x_range))
    figures = [fig for fig, _ in charts]
    if kill_switch is not None:
        for fig in figures:
            fig.add_layout(Span(location=kill_switch.ts / 1e6, dimension="height", line_color="#111",
                                line_dash="dashed", line_width=1, name="kill_switch_time"))
    for fig in figures[:-1]:
        fig.xaxis.major_label_text_font_size = "0pt"  # one set of dates, under the last chart
    for _, fit in charts:
        fit.fit_whole()
    targets = [[fit.y_range, fit.entries, fit.include_zero] for _, fit in charts]
    autoscale = CustomJS(args={"xr": x_range, "targets": targets}, code=_AUTOSCALE_JS)
    x_range.js_on_change("start", autoscale)
    x_range.js_on_change("end", autoscale)
    grid = gridplot([[f] for f in figures], merge_tools=True, toolbar_location="right", sizing_mode="stretch_width")
    return column(_overview(ex, ey, prices, x_range), grid, sizing_mode="stretch_width", name="charts")


def chart_html(layout: LayoutDOM) -> tuple[str, str, str]:
    """(Bokeh's JavaScript in a script tag, the script that draws ``layout``, the div it is drawn into)."""
    script, div = components(layout)
    return BOKEH_JS.render_js(), script, div


def _figure(name: str, title: str, x_range: Range1d, height: int, y_label: str, y_format: str) -> figure:
    fig = figure(
        name=name, title=title, x_axis_type="datetime", x_range=x_range, y_range=Range1d(0, 1), height=height,
        tools=_TOOLS, active_drag="xpan", active_scroll="xwheel_zoom", sizing_mode="stretch_width",
        min_border_left=70,
    )
    fig.yaxis.axis_label = y_label
    fig.yaxis.formatter = NumeralTickFormatter(format=y_format)
    fig.title.text_font_size = "13px"
    fig.toolbar.logo = None
    return fig


def _line_hover(renderer: object, name: str, label: str, number: str) -> HoverTool:
    """Time and value of the point under the cursor's vertical line."""
    return HoverTool(renderers=[renderer], mode="vline", name=name, formatters={"@x": "datetime"},
                     tooltips=[("time", _TIME), (label, f"@y{{{number}}}")])


def _no_data(fig: figure) -> None:
    fig.add_layout(Label(x=10, y=10, x_units="screen", y_units="screen", text="no data", name="no_data"))


def _price_chart(symbol: str, series: pd.Series, own: pd.DataFrame, x_range: Range1d) -> tuple[figure, _Fit]:
    """Price line (min/max per bucket), a ▲ at every entry, a ▼ at every exit, a path per trade."""
    fig = _figure(f"price:{symbol}", f"{symbol} price and trades", x_range, 320, "price", "0,0.[0000]")
    x, y = downsample_minmax(*series_arrays(series))
    points = ColumnDataSource({"x": to_ms(x), "y": y}, name=f"price_points:{symbol}")
    line = fig.line("x", "y", source=points, color="#3b4252", line_width=1.2, legend_label="price",
                    name=f"price_line:{symbol}")
    fig.add_tools(_line_hover(line, f"price_hover:{symbol}", "price", "0,0.[0000]"))
    fit = _Fit(fig.y_range, [(points, "x", ["y"])])
    if len(x) == 0:
        _no_data(fig)
        return fig, fit
    trades = _trade_source(symbol, own)
    fig.segment("entry_x", "entry_y", "exit_x", "exit_y", source=trades, line_color="color", line_alpha=0.55,
                line_width=1.5, name=f"trade_paths:{symbol}", legend_label="trade (green: win, red: loss)")
    markers = [
        fig.scatter(f"{kind}_x", f"{kind}_y", source=trades, marker=marker, size=9, fill_color=color,
                    line_color=None, legend_label=kind, name=f"{name}:{symbol}")
        for kind, name, marker, color in (("entry", "entries", "triangle", _UP),
                                          ("exit", "exits", "inverted_triangle", _DOWN))
    ]
    fig.add_tools(HoverTool(
        renderers=markers, name=f"trade_hover:{symbol}",
        formatters={"@entry_x": "datetime", "@exit_x": "datetime", "@side": CustomJSHover(code=_SIDE_JS)},
        tooltips=[
            ("trade", "#@trade @side{custom} @qty{0,0.[00000000]}"),
            ("entry", "@entry_y{0,0.[00000000]} at @entry_x{%F %T}"),
            ("exit", "@exit_y{0,0.[00000000]} at @exit_x{%F %T}"),
            ("PnL", "@pnl{0,0.00[00]} (@ret{0.00%})"),
        ],
    ))
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    fig.legend.label_text_font_size = "11px"
    fig.legend.background_fill_alpha = 0.7
    fit.entries.extend([(trades, "entry_x", ["entry_y"]), (trades, "exit_x", ["exit_y"])])
    return fig, fit


def _volume_chart(symbol: str, series: pd.Series, x_range: Range1d) -> tuple[figure, _Fit]:
    """Traded volume summed per equal-time bucket."""
    fig = _figure(f"volume:{symbol}", f"{symbol} volume", x_range, 110, "volume", "0.[0]a")
    left, right, total = volume_buckets(*series_arrays(series))
    buckets = ColumnDataSource({"left": to_ms(left), "right": to_ms(right), "top": total},
                               name=f"volume_buckets:{symbol}")
    bars = fig.quad(left="left", right="right", top="top", bottom=0, source=buckets, fill_color="#8a94a6",
                    line_color=None, name=f"volume_bars:{symbol}")
    fig.add_tools(HoverTool(
        renderers=[bars], name=f"volume_hover:{symbol}", formatters={"@left": "datetime", "@right": "datetime"},
        tooltips=[("from", "@left{%F %T}"), ("to", "@right{%F %T}"), ("volume", "@top{0,0.[00]}")],
    ))
    if len(left) == 0:
        _no_data(fig)
    return fig, _Fit(fig.y_range, [(buckets, "left", ["top"])], include_zero=True)


def _equity_chart(x: np.ndarray, y: np.ndarray, x_range: Range1d, trip: KillSwitchTrip | None,
                  benchmark: pd.Series | None = None) -> tuple[figure, _Fit]:
    """The equity curve, the buy-and-hold curve dashed (if given), a ◆ where the kill switch fired."""
    fig = _figure("equity", "Equity", x_range, 240, "equity", "0,0.[00]")
    dx, dy = downsample_minmax(x, y)
    points = ColumnDataSource({"x": to_ms(dx), "y": dy}, name="equity_points")
    line = fig.line("x", "y", source=points, color="#2f6fdf", line_width=1.4, name="equity_line",
                    legend_label="equity")
    fig.add_tools(_line_hover(line, "equity_hover", "equity", "0,0.00"))
    fit = _Fit(fig.y_range, [(points, "x", ["y"])])
    if benchmark is not None and len(benchmark):
        bx, by = downsample_minmax(*series_arrays(benchmark))
        held = ColumnDataSource({"x": to_ms(bx), "y": by}, name="buy_and_hold_points")
        fig.line("x", "y", source=held, color="#8a94a6", line_width=1.2, line_dash="dashed",
                 name="buy_and_hold_line", legend_label="buy and hold")
        fit.entries.append((held, "x", ["y"]))
    fig.legend.location = "top_left"
    fig.legend.label_text_font_size = "11px"
    fig.legend.background_fill_alpha = 0.7
    if len(x) == 0:
        _no_data(fig)
    elif trip is not None:
        at = max(0, int(np.searchsorted(x, trip.ts, side="right")) - 1)
        kill = ColumnDataSource({"x": [trip.ts / 1e6], "y": [float(y[at])], "code": [trip.code.value],
                                 "message": [trip.message]}, name="kill_switch_point")
        marker = fig.scatter("x", "y", source=kill, marker="diamond", size=16, fill_color="#111", line_color="white",
                             name="kill_switch")
        fig.add_tools(HoverTool(renderers=[marker], name="kill_switch_hover", formatters={"@x": "datetime"},
                                tooltips=[("kill switch", f"@code at {_TIME}"), ("", "@message")]))
        fit.entries.append((kill, "x", ["y"]))
    return fig, fit


def _drawdown_chart(x: np.ndarray, y: np.ndarray, x_range: Range1d) -> tuple[figure, _Fit]:
    """Drawdown from the running peak of the whole equity curve (computed before downsampling)."""
    fig = _figure("drawdown", "Drawdown", x_range, 170, "drawdown", "0.[0]%")
    dx, dy = downsample_minmax(x, drawdown(y))
    points = ColumnDataSource({"x": to_ms(dx), "y": dy}, name="drawdown_points")
    fig.varea(x="x", y1="y", y2=0.0, source=points, fill_color=_DOWN, fill_alpha=0.2, name="drawdown_area")
    line = fig.line("x", "y", source=points, color=_DOWN, line_width=1.1, name="drawdown_line")
    fig.add_tools(_line_hover(line, "drawdown_hover", "drawdown", "0.00%"))
    if len(x) == 0:
        _no_data(fig)
    return fig, _Fit(fig.y_range, [(points, "x", ["y"])], include_zero=True)


def _overview(ex: np.ndarray, ey: np.ndarray, prices: Mapping[str, pd.Series], x_range: Range1d) -> figure:
    """A strip of the whole run (the first symbol's price, else equity) whose range tool sets the window."""
    fig = figure(name="overview", height=90, x_axis_type="datetime", x_range=Range1d(x_range.start, x_range.end),
                 y_range=Range1d(0, 1), tools="", toolbar_location=None, sizing_mode="stretch_width",
                 min_border_left=70)
    first = next(iter(prices.values()), None)
    x, y = series_arrays(first) if first is not None and len(first) else (ex, ey)
    dx, dy = downsample_minmax(x, y, 1000)
    if len(dy):
        pad = (float(dy.max()) - float(dy.min())) * 0.05 or 1.0
        fig.y_range = Range1d(float(dy.min()) - pad, float(dy.max()) + pad)
    fig.line(to_ms(dx), dy, color="#8a94a6", name="overview_line")
    tool = RangeTool(x_range=x_range)
    tool.overlay.fill_color = "#2f6fdf"
    tool.overlay.fill_alpha = 0.15
    fig.add_tools(tool)
    fig.yaxis.visible = False
    fig.ygrid.grid_line_color = None
    fig.title.text = "Whole run: drag or resize the blue window, or zoom any chart with the wheel"
    fig.title.text_font_size = "12px"
    fig.title.text_font_style = "normal"
    return fig


def _trade_source(symbol: str, own: pd.DataFrame) -> ColumnDataSource:
    """One row per round trip of ``symbol``, in time order: entry and exit, side, qty, PnL, return, number."""
    pnl = own["pnl"].to_numpy(np.float64)
    return ColumnDataSource(
        {
            "entry_x": to_ms(_ns(own["entry_ts"])),
            "entry_y": own["entry_price"].to_numpy(np.float64),
            "exit_x": to_ms(_ns(own["exit_ts"])),
            "exit_y": own["exit_price"].to_numpy(np.float64),
            "side": np.where(own["side"].astype(str).to_numpy() == "long", 1, -1).astype(np.int8),
            "qty": own["qty"].to_numpy(np.float64),
            "pnl": pnl,
            "ret": own["return"].to_numpy(np.float64),
            "trade": (own.index.to_numpy() + 1).astype(np.int32),
            "color": np.where(pnl > 0, _UP, _DOWN),
        },
        name=f"trades:{symbol}",
    )


def _symbol_trades(trades: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """The round trips of ``symbol`` (index = position in ``trades``); none if columns are missing.

    A symbol's round trips run flat to flat one after another, so their entries and their exits
    are each in time order, which the page's axis fitting relies on.
    """
    if len(trades) == 0 or not set(TRADE_COLUMNS) <= set(trades.columns):
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in TRADE_COLUMNS})
    own = trades.reset_index(drop=True)
    return own[own["symbol"].astype(str).to_numpy() == symbol]


def _ns(column: pd.Series) -> np.ndarray:
    """A time column (datetime64 or int ns) as int64 ns UTC."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return pd.DatetimeIndex(column).as_unit("ns").asi8
    return column.to_numpy(np.int64)


def _time_span(xs: Sequence[np.ndarray]) -> tuple[float, float]:
    """The ms range covering every series (int64 ns, sorted), padded 1%; an hour around a single point."""
    present = [x for x in xs if len(x)]
    if not present:
        return 0.0, 3_600_000.0
    lo = min(float(x[0]) for x in present) / 1e6
    hi = max(float(x[-1]) for x in present) / 1e6
    pad = (hi - lo) * 0.01 or 1_800_000.0
    return lo - pad, hi + pad
