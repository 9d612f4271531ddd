"""The self-contained HTML report of a backtest run: stats, charts as inline SVG, trades.

The file opens offline: styles are inline, charts are SVG drawn here, there is no JavaScript and
no reference to anything outside the file. Every piece of text is HTML-escaped.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from botkit.backtest._svg import Line, Marker, line_chart, series_arrays
from botkit.backtest.outcome import KillSwitchTrip

DEFAULT_CONVENTIONS_NOTE = (
    "Trades count closed round trips: a round trip runs from flat to flat on one symbol, and a "
    "fill that flips the position closes one round trip and opens the next. A position still open "
    "at the end of the data is marked to market at the last price: it is in final equity but it "
    "is not closed and not counted as a trade."
)
"""The conventions paragraph printed at the end of every report unless the caller gives one."""

TABLE_EDGE_ROWS = 500
"""A trades table longer than twice this shows its first and last this-many rows."""

MARKER_EDGE_TRADES = 500
"""A price chart with more trades than twice this marks only the first and last this-many."""

PERCENT_STATS = frozenset(
    {"total_return", "cagr", "volatility", "max_drawdown", "win_rate", "exposure"}
)
"""Statistics the report prints as percentages."""

SECONDS_STATS = frozenset({"duration", "max_drawdown_duration"})
"""Statistics, in seconds, that the report prints as '3d 04:05:06'."""

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
max-width:1000px;padding:0 16px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#5b6575;margin:0 0 16px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
td,th{padding:3px 10px;border-bottom:1px solid #e3e7ee;text-align:right;white-space:nowrap}
th{background:#f4f6f9;position:sticky;top:0}td:first-child,th:first-child{text-align:left}
.stats td:first-child{color:#5b6575}
.scroll{max-height:520px;overflow:auto;border:1px solid #e3e7ee}
.gap td{text-align:center;color:#5b6575;font-style:italic}
svg.chart{width:100%;height:auto;display:block}
.axes line{stroke:#e3e7ee}.axes text,.empty{font-size:11px;fill:#5b6575}
.frame{fill:none;stroke:#c9d0db}
.equity,.price,.drawdown{fill:none;stroke-width:1.2}
.equity{stroke:#2f6fdf}.price{stroke:#3b4252}.drawdown{stroke:#c0392b}
.drawdown.area{fill:#c0392b;fill-opacity:.18;stroke:none}
.marker.entry{fill:#1e9e55}.marker.exit{fill:#d0342c}.marker.kill{fill:#111;stroke:#fff;stroke-width:1}
.alert{color:#8a1c14;background:#fdecea;border-left:3px solid #c0392b;padding:6px 10px}
.note{color:#3b4252;border-left:3px solid #c9d0db;padding-left:10px}
"""


def write_report(
    path: str | os.PathLike[str],
    *,
    title: str,
    stats: Mapping[str, float | int | str],
    equity: pd.Series,
    trades: pd.DataFrame,
    prices: Mapping[str, pd.Series],
    conventions_note: str = DEFAULT_CONVENTIONS_NOTE,
    kill_switch: KillSwitchTrip | None = None,
) -> Path:
    """Write the run's ``report.html`` to ``path`` (parent folders are created) and return it.

    ``stats`` is :func:`botkit.backtest.stats.compute_stats`'s result, ``equity`` the equity
    curve with a UTC DatetimeIndex, ``trades`` the closed round trips, ``prices`` symbol -> last
    prices (a time-indexed series) to draw with the trades' entries (▲) and exits (▼),
    ``kill_switch`` the kill switch's trip, if it fired (a notice, and ◆ on the equity chart).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(
        title=title,
        stats=stats,
        equity=equity,
        trades=trades,
        prices=prices,
        conventions_note=conventions_note,
        kill_switch=kill_switch,
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
    conventions_note: str = DEFAULT_CONVENTIONS_NOTE,
    kill_switch: KillSwitchTrip | None = None,
) -> str:
    """The text of the report that :func:`write_report` writes, for notebooks and tests."""
    esc = html.escape
    x, y = series_arrays(equity)
    period = f"{stats.get('start', '')} → {stats.get('end', '')}"
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f'<header><h1>{esc(title)}</h1><p class="sub">{esc(period)}</p>{_kill_switch_notice(kill_switch)}</header>',
        "<section><h2>Statistics</h2>",
        _stats_table(stats),
        "</section><section><h2>Equity</h2>",
        line_chart([Line(x, y, "equity")], label="equity curve", y_format=_axis_number,
                   markers=_kill_switch_marker(kill_switch, x, y)),
        "</section><section><h2>Drawdown</h2>",
        line_chart(
            [Line(x, _drawdown(y), "drawdown", fill_to_zero=True)],
            label="drawdown",
            y_format=_axis_percent,
        ),
        "</section>",
        *(_price_section(symbol, series, trades) for symbol, series in prices.items()),
        f"<section><h2>Trades ({len(trades):,})</h2>",
        _trades_table(trades),
        "</section><section><h2>Conventions</h2>",
        *(f'<p class="note">{esc(p)}</p>' for p in conventions_note.split("\n\n") if p.strip()),
        "</section></body></html>\n",
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


def _kill_switch_notice(trip: KillSwitchTrip | None) -> str:
    """A line saying when and why the kill switch fired; nothing if it did not."""
    if trip is None:
        return ""
    text = f"Kill switch fired at {trip.time.isoformat()} ({trip.code.value}): {trip.message}"
    return f'<p class="alert">{html.escape(text)}</p>'


def _kill_switch_marker(trip: KillSwitchTrip | None, x: np.ndarray, y: np.ndarray) -> list[Marker]:
    """◆ on the equity curve where the kill switch fired (at the last equity point up to then)."""
    if trip is None or len(x) == 0:
        return []
    at = max(0, int(np.searchsorted(x, trip.ts, side="right")) - 1)
    return [Marker(trip.ts, float(y[at]), "kill", f"kill switch ({trip.code.value}), {trip.time.isoformat()}")]


def _stats_table(stats: Mapping[str, float | int | str]) -> str:
    """The statistics as a two-column table, in the order given."""
    rows = "".join(
        f"<tr><td>{html.escape(key.replace('_', ' '))}</td>"
        f"<td>{html.escape(format_stat(key, value))}</td></tr>"
        for key, value in stats.items()
    )
    return f'<table class="stats"><tbody>{rows}</tbody></table>'


def _price_section(symbol: str, series: pd.Series, trades: pd.DataFrame) -> str:
    """A price chart of ``symbol`` with ▲ at each round trip's entry and ▼ at its exit."""
    x, y = series_arrays(series)
    own = _symbol_trades(trades, symbol)
    note = ""
    if len(own) > 2 * MARKER_EDGE_TRADES:
        note = (
            f'<p class="sub">Markers of the first and last {MARKER_EDGE_TRADES:,} of '
            f"{len(own):,} trades.</p>"
        )
        own = pd.concat([own.head(MARKER_EDGE_TRADES), own.tail(MARKER_EDGE_TRADES)])
    markers: list[Marker] = []
    for kind in ("entry", "exit"):
        times = pd.DatetimeIndex(own[f"{kind}_ts"]).as_unit("ns").asi8 if len(own) else []
        for t, price, side in zip(times, own[f"{kind}_price"], own["side"], strict=True):
            if not math.isfinite(float(price)):
                continue
            when = pd.Timestamp(int(t), unit="ns", tz="UTC").isoformat()
            label = f"{side} {kind} {symbol} at {_plain_number(float(price))}, {when}"
            markers.append(Marker(int(t), float(price), kind, label))
    chart = line_chart(
        [Line(x, y, "price")], label=f"{symbol} price", y_format=_axis_number, markers=markers
    )
    return f"<section><h2>{html.escape(symbol)}</h2>{note}{chart}</section>"


def _symbol_trades(trades: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """The round trips of ``symbol``; none when ``trades`` lacks the columns markers need."""
    needed = {"symbol", "side", "entry_ts", "exit_ts", "entry_price", "exit_price"}
    if len(trades) == 0 or not needed <= set(trades.columns):
        return trades.iloc[0:0]
    return trades[trades["symbol"].astype(str) == symbol]


def _trades_table(trades: pd.DataFrame) -> str:
    """The round trips as a table; a long one shows its first and last ``TABLE_EDGE_ROWS``."""
    if len(trades) == 0:
        return '<p class="sub">No closed round trips.</p>'
    columns = [str(c) for c in trades.columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["#", *columns])
    if len(trades) > 2 * TABLE_EDGE_ROWS:
        chunks = [
            (0, trades.head(TABLE_EDGE_ROWS)),
            (len(trades) - TABLE_EDGE_ROWS, trades.tail(TABLE_EDGE_ROWS)),
        ]
    else:
        chunks = [(0, trades)]
    body: list[str] = []
    for i, (start, chunk) in enumerate(chunks):
        if i:
            omitted = len(trades) - 2 * TABLE_EDGE_ROWS
            body.append(
                f'<tr class="gap"><td colspan="{len(columns) + 1}">'
                f"… {omitted:,} trades not shown …</td></tr>"
            )
        cells = [chunk[c].map(_format_cell).tolist() for c in chunk.columns]
        for row, values in enumerate(zip(*cells, strict=True), start=start + 1):
            tds = "".join(f"<td>{html.escape(v)}</td>" for v in values)
            body.append(f"<tr><td>{row:,}</td>{tds}</tr>")
    return (
        f'<div class="scroll"><table class="trades"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _format_cell(value: object) -> str:
    """One trades-table cell: times in ISO UTC, durations as text, floats to 8 digits."""
    if isinstance(value, pd.Timestamp):
        return str(value.isoformat())
    if isinstance(value, pd.Timedelta):
        return str(value)
    if isinstance(value, float | np.floating):
        return "n/a" if math.isnan(value) else f"{float(value):.8g}"
    return str(value)


def _drawdown(values: np.ndarray) -> np.ndarray:
    """Equity over its running maximum, minus one (<= 0), at every point."""
    if len(values) == 0:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return values / np.maximum.accumulate(values) - 1.0


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


def _axis_number(value: float) -> str:
    """A y-axis tick label for prices and equity."""
    return _plain_number(value)


def _axis_percent(value: float) -> str:
    """A y-axis tick label for drawdowns."""
    return f"{_plain_number(value * 100.0)}%"
