"""The self-contained HTML report of a backtest run: stats, interactive charts, trades, parameters.

The file opens offline: styles are inline, the charts are Bokeh's with its JavaScript inlined
(``report_plots``), the trades table is a small inline script over the rows as JSON
(``report_table``), and nothing refers to anything outside the file. Every piece of text that
comes from the run (title, parameters, notes, the kill switch's message) is HTML-escaped.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from botkit.backtest.outcome import KillSwitchTrip
from botkit.backtest.report_series import BUCKETS
from botkit.backtest.report_table import TABLE_CSS, trades_table

DEFAULT_CONVENTIONS_NOTE = (
    "Trades count closed round trips: a round trip runs from flat to flat on one symbol, and a "
    "fill that flips the position closes one round trip and opens the next. A position still open "
    "at the end of the data is marked to market at the last price: it is in final equity but it "
    "is not closed and not counted as a trade."
)
"""The conventions paragraph printed at the end of every report unless the caller gives one."""

CHARTS_NOTE = (
    f"Times are UTC. Lines keep the lowest and highest point of each of at most {BUCKETS:,} buckets, "
    "so no spike is lost; every trade's entry (▲) and exit (▼) is drawn at its own time and price, "
    "joined by a line (green: a win, red: a loss). Volume is summed per time bucket. The dashed line on "
    "the equity chart is buy and hold: the capital bought into the symbols at their first price, equal "
    "weights, no fees. Drawdown is measured on every equity point."
)
"""What the page says about how its charts are drawn."""

PERCENT_STATS = frozenset(
    {"total_return", "buy_and_hold_return", "excess_return", "cagr", "volatility", "max_drawdown", "win_rate",
     "exposure"}
)
"""Statistics the report prints as percentages."""

SECONDS_STATS = frozenset({"duration", "max_drawdown_duration"})
"""Statistics, in seconds, that the report prints as '3d 04:05:06'."""

STATS_PER_COLUMN = 9
"""Statistics per column of the statistics block."""

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
max-width:1400px;padding:0 16px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#5b6575;margin:0 0 12px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
td,th{padding:3px 10px;border-bottom:1px solid #e3e7ee;text-align:right;white-space:nowrap}
th{background:#f4f6f9;position:sticky;top:0}td:first-child,th:first-child{text-align:left}
.stats-grid{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:flex-start}
.stats td:first-child,.params td:first-child{color:#5b6575}
.params td:last-child{text-align:left;white-space:normal;word-break:break-word}
.alert{color:#8a1c14;background:#fdecea;border-left:3px solid #c0392b;padding:6px 10px}
.note{color:#3b4252;border-left:3px solid #c9d0db;padding-left:10px}
#charts-plot{min-height:400px}
"""


def write_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    stats: Mapping[str, float | int | str],
    equity: pd.Series,
    trades: pd.DataFrame,
    prices: Mapping[str, pd.Series],
    volumes: Mapping[str, pd.Series] | None = None,
    benchmark: pd.Series | None = None,
    parameters: Mapping[str, object] | None = None,
    conventions_note: str = DEFAULT_CONVENTIONS_NOTE,
    kill_switch: KillSwitchTrip | None = None,
) -> Path:
    """Write the run's ``report.html`` to ``path`` (parent folders are created) and return it.

    ``stats`` is :func:`botkit.backtest.stats.compute_stats`'s result, ``equity`` the equity
    curve with a UTC DatetimeIndex, ``trades`` the closed round trips, ``prices`` symbol -> last
    prices (a time-indexed series) to draw with every trade's entry (▲) and exit (▼),
    ``volumes`` symbol -> traded volume per event (drawn summed per time bucket), ``benchmark``
    a buy-and-hold value curve drawn dashed on the equity chart, ``parameters``
    the run's settings (nested mappings are shown with dotted keys), ``kill_switch`` the kill
    switch's trip, if it fired (a notice, a ◆ on the equity chart, a dashed line on every chart).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(
        title=title, stats=stats, equity=equity, trades=trades, prices=prices, volumes=volumes,
        benchmark=benchmark, parameters=parameters, conventions_note=conventions_note, kill_switch=kill_switch,
    )
    target.write_text(text, encoding="utf-8")
    return target


def render_report(
    *,
    title: str,
    stats: Mapping[str, float | int | str],
    equity: pd.Series,
    trades: pd.DataFrame,
    prices: Mapping[str, pd.Series],
    volumes: Mapping[str, pd.Series] | None = None,
    benchmark: pd.Series | None = None,
    parameters: Mapping[str, object] | None = None,
    conventions_note: str = DEFAULT_CONVENTIONS_NOTE,
    kill_switch: KillSwitchTrip | None = None,
) -> str:
    """The text of the report that :func:`write_report` writes, for notebooks and tests."""
    # Bokeh takes ~0.6 s to import: loaded when a report is drawn, not when botkit.backtest is.
    from botkit.backtest.report_plots import build_charts, chart_html

    esc = html.escape
    layout = build_charts(equity=equity, prices=prices, trades=trades, volumes=volumes, benchmark=benchmark,
                          kill_switch=kill_switch)
    bokeh_js, chart_script, chart_div = chart_html(layout)
    period = f"{stats.get('start', '')} → {stats.get('end', '')}"
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}{TABLE_CSS}</style></head><body>",
        f'<header><h1>{esc(title)}</h1><p class="sub">{esc(period)}</p>{_kill_switch_notice(kill_switch)}</header>',
        '<section id="statistics"><h2>Statistics</h2>',
        _stats_tables(stats),
        f'</section><section id="charts"><h2>Charts</h2><p class="sub">{esc(CHARTS_NOTE)}</p>',
        f'<div id="charts-plot">{chart_div}</div>',
        f'</section><section id="trades"><h2>Trades ({len(trades):,})</h2>',
        trades_table(trades),
        '</section><section id="parameters"><h2>Parameters</h2>',
        _parameters_table(parameters or {}),
        '</section><section id="conventions"><h2>Conventions</h2>',
        *(f'<p class="note">{esc(p)}</p>' for p in conventions_note.split("\n\n") if p.strip()),
        "</section>",
        bokeh_js,
        chart_script,
        "</body></html>\n",
    ]
    return "\n".join(parts)


def format_stat(key: str, value: object) -> str:
    """How the report prints one statistic: percents, durations, numbers; nan as 'n/a'."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    number = float(value)
    if math.isnan(number):
        return "n/a"
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if key in PERCENT_STATS:
        return f"{number * 100.0:,.2f}%"
    if key in SECONDS_STATS:
        return _format_seconds(number)
    return _plain_number(number)


def flatten_parameters(parameters: Mapping[str, object], prefix: str = "") -> list[tuple[str, str]]:
    """``parameters`` as (dotted key, text) rows in their order; unset (None) and empty entries are left out."""
    rows: list[tuple[str, str]] = []
    for key, value in parameters.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(flatten_parameters(value, f"{name}."))
        elif value is None or (isinstance(value, list | tuple) and not value):
            continue
        elif isinstance(value, list | tuple):
            rows.append((name, ", ".join(str(v) for v in value)))
        elif isinstance(value, float):
            rows.append((name, _plain_number(value)))
        else:
            rows.append((name, str(value)))
    return rows


def _kill_switch_notice(trip: KillSwitchTrip | None) -> str:
    """A line saying when and why the kill switch fired; nothing if it did not."""
    if trip is None:
        return ""
    text = f"Kill switch fired at {trip.time.isoformat()} ({trip.code.value}): {trip.message}"
    return f'<p class="alert">{html.escape(text)}</p>'


def _stats_tables(stats: Mapping[str, float | int | str]) -> str:
    """The statistics as two-column tables of ``STATS_PER_COLUMN`` rows side by side, in order."""
    items = list(stats.items())
    tables = []
    for lo in range(0, len(items), STATS_PER_COLUMN):
        rows = "".join(
            f"<tr><td>{html.escape(key.replace('_', ' '))}</td>"
            f"<td>{html.escape(format_stat(key, value))}</td></tr>"
            for key, value in items[lo : lo + STATS_PER_COLUMN]
        )
        tables.append(f'<table class="stats"><tbody>{rows}</tbody></table>')
    return f'<div class="stats-grid">{"".join(tables)}</div>'


def _parameters_table(parameters: Mapping[str, object]) -> str:
    """The run's parameters as a key/value table; a line saying none were given otherwise."""
    rows = flatten_parameters(parameters)
    if not rows:
        return '<p class="sub">No parameters were given to the report.</p>'
    body = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="params"><tbody>{body}</tbody></table>'


def _plain_number(value: float) -> str:
    """A readable number: thousands separators, up to four decimals, scientific when extreme."""
    if value != 0 and (abs(value) >= 1e12 or abs(value) < 1e-4):
        return f"{value:.4g}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _format_seconds(seconds: float) -> str:
    """A duration in seconds as '3d 04:05:06' (fractions of a second are dropped)."""
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {clock}" if days else clock
