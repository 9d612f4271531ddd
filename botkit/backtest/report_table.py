"""The report's trades table: every round trip, sortable by any column, one page at a time.

The rows travel as one JSON document (numbers unformatted, so sorting is numeric) with a format
per column chosen here from the data: every row of a column has the same number of decimals,
times are UTC to the second (to the millisecond when the data has them), durations '3d 04:05:06',
returns percentages. A small inline script sorts, pages and formats only the rows in view, so
14,000 trades cost nothing to show; a row's ⌕ button zooms every chart to that trade.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from botkit.backtest.report_series import X_RANGE_NAME

PAGE_SIZE = 50
"""Rows per page when the report opens (the reader can pick 25 to 1,000)."""

MONEY_COLUMNS = frozenset({"pnl", "fees", "cash_flow", "unrealized_pnl"})
"""Quote-currency columns: at least 2 decimals, 4 significant digits for the typical value."""

SIGNED_COLUMNS = frozenset({"pnl", "return", "unrealized_pnl"})
"""Columns whose sign is the news: losses red, gains green."""

PERCENT_COLUMNS = frozenset({"return"})
"""Fractions shown as percentages with 2 decimals."""

TABLE_CSS = """
.tt-bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:6px 0;color:#5b6575}
.tt-bar button,.tt-bar select,.tt-bar input{font:inherit;padding:2px 8px}
.tt-bar input{width:5em}
.tt-wrap{overflow-x:auto;border:1px solid #e3e7ee}
table.trades{width:100%}
table.trades th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;
white-space:nowrap;color:inherit}
table.trades th[aria-sort=ascending] button::after{content:" ▲"}
table.trades th[aria-sort=descending] button::after{content:" ▼"}
table.trades td.text,table.trades th.text{text-align:left}
table.trades td.neg{color:#b0281f}table.trades td.pos{color:#18794a}
table.trades tbody tr:hover{background:#f4f8ff}
table.trades button.zoom{border:0;background:none;cursor:pointer;padding:0 4px;color:#2f6fdf}
"""

TABLE_JS = """
(function () {
  const spec = JSON.parse(document.getElementById("trades-data").textContent);
  const cols = spec.columns, vals = spec.values, n = spec.rows;
  const root = document.getElementById("trades-table");
  let order = Array.from({length: n}, (_, i) => i), sortCol = -1, sortDir = 1, page = 0, size = spec.page_size;
  const nf = cols.map(c => (c.kind === "number" || c.kind === "percent")
    ? new Intl.NumberFormat("en-US", {minimumFractionDigits: c.decimals, maximumFractionDigits: c.decimals}) : null);
  const p2 = v => String(v).padStart(2, "0"), p3 = v => String(v).padStart(3, "0");
  function time(ms, withMs) {
    const d = new Date(ms);
    const s = d.getUTCFullYear() + "-" + p2(d.getUTCMonth() + 1) + "-" + p2(d.getUTCDate()) + " " +
      p2(d.getUTCHours()) + ":" + p2(d.getUTCMinutes()) + ":" + p2(d.getUTCSeconds());
    return withMs ? s + "." + p3(d.getUTCMilliseconds()) : s;
  }
  function duration(ms, withMs) {
    const neg = ms < 0; ms = Math.abs(ms);
    const whole = Math.floor(ms / 1000), days = Math.floor(whole / 86400), rest = whole % 86400;
    let s = p2(Math.floor(rest / 3600)) + ":" + p2(Math.floor(rest % 3600 / 60)) + ":" + p2(rest % 60);
    if (withMs) s += "." + p3(Math.floor(ms % 1000));
    return (neg ? "-" : "") + (days ? days + "d " + s : s);
  }
  function text(c, k, v) {
    if (v === null || v === undefined) return "n/a";
    switch (c.kind) {
      case "number": return nf[k].format(v);
      case "percent": return nf[k].format(v * 100) + "%";
      case "time": return time(v, c.ms);
      case "duration": return duration(v, c.ms);
      default: return String(v);
    }
  }
  function zoom(i) {
    const a = vals[spec.zoom[0]][i], b = vals[spec.zoom[1]][i];
    if (a === null || b === null || !window.Bokeh) return;
    const pad = Math.max((b - a) * 1.5, 30 * 60 * 1000);
    for (const doc of Bokeh.documents) {
      const range = doc.get_model_by_name(spec.x_range);
      if (range) range.setv({start: a - pad, end: b + pad});
    }
    const charts = document.getElementById("charts");
    if (charts) charts.scrollIntoView({behavior: "smooth", block: "start"});
  }
  function sortBy(k) {
    sortDir = sortCol === k ? -sortDir : 1; sortCol = k;
    const v = vals[k], dir = sortDir;
    order.sort((i, j) => {
      const a = v[i], b = v[j];
      if (a === b) return i - j;
      if (a === null) return 1;
      if (b === null) return -1;
      return (a < b ? -1 : 1) * dir || i - j;
    });
    page = 0; draw();
  }
  const bar = document.createElement("div"); bar.className = "tt-bar";
  const wrap = document.createElement("div"); wrap.className = "tt-wrap";
  const table = document.createElement("table"); table.className = "trades";
  const thead = table.createTHead(), tbody = table.createTBody(), head = thead.insertRow();
  cols.forEach((c, k) => {
    const th = document.createElement("th"), b = document.createElement("button");
    b.textContent = c.label; b.title = "sort by " + c.label; if (c.kind === "text") th.className = "text";
    b.addEventListener("click", () => sortBy(k)); th.appendChild(b); head.appendChild(th);
  });
  const first = document.createElement("button"), prev = document.createElement("button");
  const next = document.createElement("button"), last = document.createElement("button");
  first.textContent = "« first"; prev.textContent = "‹ prev"; next.textContent = "next ›"; last.textContent = "last »";
  const pageBox = document.createElement("input"); pageBox.type = "number"; pageBox.min = 1;
  const pages = document.createElement("span"), info = document.createElement("span");
  const sizes = document.createElement("select");
  for (const s of [25, 50, 100, 250, 1000]) {
    const o = new Option(s + " rows", s); o.selected = s === size; sizes.add(o);
  }
  const label = document.createElement("span"); label.textContent = "page";
  bar.append(first, prev, label, pageBox, pages, next, last, sizes, info);
  const lastPage = () => Math.max(0, Math.ceil(n / size) - 1);
  const go = p => { page = Math.max(0, Math.min(lastPage(), p)); draw(); };
  first.onclick = () => go(0); prev.onclick = () => go(page - 1);
  next.onclick = () => go(page + 1); last.onclick = () => go(lastPage());
  pageBox.onchange = () => { const p = parseInt(pageBox.value, 10); go(p >= 1 ? p - 1 : page); };
  sizes.onchange = () => { const top = page * size; size = parseInt(sizes.value, 10); go(Math.floor(top / size)); };
  function draw() {
    const lo = page * size, hi = Math.min(n, lo + size), rows = [];
    for (let r = lo; r < hi; r++) {
      const i = order[r], tr = document.createElement("tr");
      cols.forEach((c, k) => {
        const td = document.createElement("td"), v = vals[k][i];
        td.textContent = text(c, k, v);
        if (c.signed && v) td.className = v < 0 ? "neg" : "pos";
        else if (c.kind === "text") td.className = "text";
        if (k === 0 && spec.zoom) {
          const z = document.createElement("button"); z.className = "zoom"; z.textContent = "⌕";
          z.title = "zoom the charts to this trade"; z.addEventListener("click", () => zoom(i)); td.appendChild(z);
        }
        tr.appendChild(td);
      });
      rows.push(tr);
    }
    tbody.replaceChildren(...rows);
    head.querySelectorAll("th").forEach((th, k) => {
      if (k === sortCol) th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    pageBox.value = page + 1; pageBox.max = lastPage() + 1;
    pages.textContent = "of " + (lastPage() + 1).toLocaleString("en-US");
    info.textContent = "rows " + (n ? lo + 1 : 0).toLocaleString("en-US") + "–" + hi.toLocaleString("en-US") +
      " of " + n.toLocaleString("en-US");
    root.dataset.page = page + 1; root.dataset.rows = hi - lo;
  }
  wrap.appendChild(table); root.append(bar, wrap); draw(); root.dataset.ready = "1";
})();
"""


def trades_table(trades: pd.DataFrame) -> str:
    """The trades section's HTML: a placeholder, the rows as JSON and the script that draws them."""
    if len(trades) == 0:
        return '<p class="sub">No closed round trips.</p>'
    data = table_data(trades)
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    return (
        '<div id="trades-table"></div>'
        f'<script type="application/json" id="trades-data">{payload}</script>'
        f"<script>{TABLE_JS}</script>"
    )


def table_data(trades: pd.DataFrame) -> dict[str, object]:
    """What the table script reads: columns (label, kind, decimals), values per column, row count."""
    columns: list[dict[str, object]] = [{"key": "#", "label": "#", "kind": "number", "decimals": 0}]
    values: list[list[object]] = [list(range(1, len(trades) + 1))]
    for key in trades.columns:
        column, cells = _column(str(key), trades[key])
        columns.append(column)
        values.append(cells)
    keys = [str(c["key"]) for c in columns]
    zoom = [keys.index("entry_ts"), keys.index("exit_ts")] if {"entry_ts", "exit_ts"} <= set(keys) else None
    return {"columns": columns, "values": values, "rows": len(trades), "page_size": PAGE_SIZE, "zoom": zoom,
            "x_range": X_RANGE_NAME}


def _column(key: str, series: pd.Series) -> tuple[dict[str, object], list[object]]:
    """One column's format and its values as JSON-ready cells (None where a value is missing)."""
    label = key.replace("_", " ")
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        ns = pd.DatetimeIndex(series).as_unit("ns").asi8
        return {"key": key, "label": f"{label} (UTC)", "kind": "time", "ms": _has_ms(ns, series.isna())}, _ms(
            ns, series.isna().to_numpy()
        )
    if pd.api.types.is_timedelta64_dtype(dtype):
        ns = pd.TimedeltaIndex(series).as_unit("ns").asi8
        return {"key": key, "label": label, "kind": "duration", "ms": _has_ms(ns, series.isna())}, _ms(
            ns, series.isna().to_numpy()
        )
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return {"key": key, "label": label, "kind": "text"}, series.astype(str).tolist()
    values = series.to_numpy(np.float64)
    signed = key in SIGNED_COLUMNS
    if key in PERCENT_COLUMNS:
        return {"key": key, "label": label, "kind": "percent", "decimals": 2, "signed": signed}, _numbers(values, 6)
    decimals = column_decimals(values, money=key in MONEY_COLUMNS)
    column = {"key": key, "label": label, "kind": "number", "decimals": decimals, "signed": signed}
    return column, _numbers(values, decimals + 2)


def column_decimals(values: np.ndarray, *, money: bool = False, most: int = 8) -> int:
    """Decimals that one numeric column is printed with, the same for every row.

    Values that are exact at some number of decimals up to ``most`` (quantities in lots, counts,
    cents) get that many (money at least 2); others (VWAPs, PnL after fees) get 6 significant
    digits of their median magnitude (4 for money), at least 2 and at most ``most``.
    """
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return 2 if money else 0
    sample = finite[:: max(1, len(finite) // 5000)]
    noise = 8 * np.spacing(np.abs(sample))  # float rounding, as in 0.1 + 0.2
    for decimals in range(0, most + 1):
        if np.all(np.abs(np.round(sample, decimals) - sample) <= noise):
            return max(decimals, 2) if money else decimals
    magnitude = float(np.median(np.abs(sample[sample != 0]))) if np.any(sample != 0) else 1.0
    digits = (4 if money else 6) - 1 - math.floor(math.log10(magnitude))
    return int(min(most, max(2, digits)))


def _numbers(values: np.ndarray, decimals: int) -> list[object]:
    """Floats rounded a little past what is shown (short JSON, same order), None for NaN and ±inf."""
    rounded = np.round(values, decimals)
    finite = np.isfinite(rounded)
    if finite.all():
        return rounded.tolist()
    cells: list[object] = rounded.tolist()
    for i in np.flatnonzero(~finite):
        cells[i] = None
    return cells


def _ms(ns: np.ndarray, missing: np.ndarray) -> list[object]:
    """Int64 ns as ms (whole when no value has a fraction of a millisecond), None where missing."""
    whole = bool(np.all((ns % 1_000_000 == 0) | missing))
    ms = ns // 1_000_000 if whole else ns / 1e6
    cells: list[object] = ms.tolist()
    for i in np.flatnonzero(missing):
        cells[i] = None
    return cells


def _has_ms(ns: np.ndarray, missing: pd.Series) -> bool:
    """Whether any value of a time column has a fraction of a second (then times show milliseconds)."""
    return bool(np.any((ns % 1_000_000_000 != 0) & ~missing.to_numpy()))
