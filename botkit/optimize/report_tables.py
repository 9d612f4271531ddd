"""The sweep report's tables (Bokeh DataTables, sortable by any column): the top N and the walk-forward windows.

Numbers are sent as numbers, so sorting is numeric, and printed with one format per column
(``report_cells.Kind``): ratios with 3 decimals, returns and drawdowns as percentages, money with
two decimals and thousands separators, counts whole; "—" where there is no value.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from bokeh.models import ColumnDataSource, DataTable, DateFormatter, NumberFormatter, StringFormatter, TableColumn

from botkit.backtest.report_table import column_decimals
from botkit.optimize.report_cells import (
    NO_VALUE,
    NUMBRO,
    WINDOW_TIMES,
    Kind,
    SweepView,
    chosen_params,
    column_kind,
    column_label,
    degradation,
    shown_values,
    utc_ms,
)

KEY_STATS = ("sharpe", "sortino", "total_return", "cagr", "max_drawdown", "trades", "win_rate", "profit_factor",
             "exposure", "fees", "final_equity")
"""Statistics the top table shows first, after the parameters and the metric; the others follow."""

ROW_HEIGHT = 25
_TIME_FORMAT = "%Y-%m-%d %H:%M"


def top_table(view: SweepView, top: int) -> DataTable:
    """The ``top`` best combinations by the metric (those with a value), every parameter and statistic."""
    rows = view.ranked[:top]
    table = view.table.iloc[rows]
    stats = [view.metric, *(c for c in KEY_STATS if c in table.columns and c != view.metric)]
    stats += [str(c) for c in table.columns if c not in stats and c not in view.params]
    data: dict[str, object] = {"rank": np.arange(1, len(rows) + 1, dtype=np.int32)}
    columns = [TableColumn(field="rank", title="#", width=40, formatter=NumberFormatter(format="0"))]
    for name in view.params:
        _param_column(name, table[name], data, columns)
    for name in stats:
        _stat_column(name, table[name], data, columns)
    return _table("top_table", data, columns)


def windows_table(windows: pd.DataFrame, metric: str) -> DataTable:
    """One row per walk-forward window: its periods, chosen parameters, in- and out-of-sample metric, degradation."""
    kind = column_kind(metric, windows["in_sample"])
    data: dict[str, object] = {"window": windows["window"].to_numpy(np.int32)}
    columns = [TableColumn(field="window", title="window", width=60, formatter=NumberFormatter(format="0"))]
    for name in WINDOW_TIMES:
        data[name] = utc_ms(windows[name])
        columns.append(TableColumn(field=name, title=f"{name.replace('_', ' ')} (UTC)", width=130,
                                   formatter=DateFormatter(format=_TIME_FORMAT, nan_format=NO_VALUE,
                                                           null_format=NO_VALUE)))
    for name in chosen_params(windows):
        _param_column(name, windows[name], data, columns)
    for name, label in (("in_sample", f"in sample ({metric})"), ("out_of_sample", f"out of sample ({metric})")):
        data[name] = shown_values(windows[name], kind)
        columns.append(TableColumn(field=name, title=label, width=max(130, 8 * len(label)),
                                   formatter=_number(NUMBRO[kind])))
    data["degradation"] = degradation(windows)
    columns.append(TableColumn(field="degradation", title="degradation (out / in)", width=130,
                               formatter=_number(NUMBRO[Kind.RATIO])))
    return _table("walk_forward_windows", data, columns)


def _param_column(name: str, values: pd.Series, data: dict[str, object], columns: list[TableColumn]) -> None:
    """A parameter's column: numbers with the decimals its values need, anything else as text."""
    key = f"c{len(columns)}"
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.to_numpy(np.float64)
        decimals = column_decimals(numbers)
        data[key] = np.where(np.isfinite(numbers), numbers, np.nan)
        formatter: StringFormatter = _number("0,0" + ("." + "0" * decimals if decimals else ""))
    else:
        data[key] = values.astype(str).tolist()
        formatter = StringFormatter()
    columns.append(TableColumn(field=key, title=name, width=max(70, 8 * len(name)), formatter=formatter))


def _stat_column(name: str, values: pd.Series, data: dict[str, object], columns: list[TableColumn]) -> None:
    """A statistic's column in its kind's format (NaN and ±inf as '—'); text columns as they are."""
    key = f"c{len(columns)}"
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        data[key] = values.astype(str).tolist()
        columns.append(TableColumn(field=key, title=name, width=90, formatter=StringFormatter()))
        return
    kind = column_kind(name, values)
    data[key] = shown_values(values, kind)
    label = column_label(name, kind)
    columns.append(TableColumn(field=key, title=label, width=max(80, 8 * len(label)), formatter=_number(NUMBRO[kind])))


def _number(fmt: str) -> NumberFormatter:
    return NumberFormatter(format=fmt, nan_format=NO_VALUE, null_format=NO_VALUE, text_align="right")


def _table(name: str, data: dict[str, object], columns: list[TableColumn]) -> DataTable:
    """A sortable table of ``columns`` over ``data``; headings escaped (the grid draws them as HTML)."""
    for table_column in columns:
        table_column.title = html.escape(table_column.title)
    rows = len(next(iter(data.values())))  # type: ignore[arg-type]
    return DataTable(source=ColumnDataSource(data, name=f"{name}_rows"), columns=columns, name=name, sortable=True,
                     reorderable=False, index_position=None, height=min(640, ROW_HEIGHT * (rows + 1) + 20),
                     row_height=ROW_HEIGHT, autosize_mode="none", sizing_mode="stretch_width")
