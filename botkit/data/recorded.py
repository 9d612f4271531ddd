"""Recorded events as archive tables: the schema of every recorded kind, model events → rows, reading back.

The recorder's sink hands a batch of model events to ``tables_of``, which groups them by venue,
symbol and kind and turns each group into an Arrow table in the archive schema, sorted by ``ts``
(stable: events with equal ``ts`` keep the order they arrived in). Market kinds (trades, quotes,
bars) get exactly the columns and checks of ``botkit.data.columns`` and ``botkit.data.validate``,
so the backtester reads what was recorded; a row those checks refuse (a crossed ticker quote,
say) is left out and reported. Event kinds get the columns of ``botkit.data.kinds.EVENT_COLUMNS``.

Where events go: market events under the venue they came from and their symbol; ``Price`` under
the price feed's venue and ``<BASE><QUOTE>`` (``sintra/BTCUSD/prices``, beside the bars
``botkit data download sintra`` writes); order events under the bot's venue and the order's
symbol (``order_events``, and ``fills`` for each fill).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from botkit.core.errors import DataError
from botkit.data.archive import TimeLike, archive_range, read_archive, time_to_ns
from botkit.data.columns import TS_TYPE, archive_schema, to_table
from botkit.data.kinds import DTYPES, EVENT_COLUMNS, base_kind, is_event_kind
from botkit.data.layout import day_files
from botkit.data.validate import validate_records
from botkit.model.events import Bar, BookDelta, BookGap, BookLevel, BookResynced, BookSnapshot, Price, Quote, Trade
from botkit.model.order_events import OrderAccepted, OrderCanceled, OrderExpired, OrderFilled, OrderRejected

_ARROW_TYPES = {
    "ts": TS_TYPE, "i8": pa.int64(), "i4": pa.int32(), "i1": pa.int8(), "f8": pa.float64(), "str": pa.string(),
}
_NAN = math.nan

GAP_BOOK = "book_gap"
"""A ``gaps`` row: the book skipped sequence numbers (``expected``, ``received``); it serves no quotes."""
GAP_RESYNCED = "book_resynced"
"""A ``gaps`` row: the book was rebuilt from a snapshot at sequence ``received``."""
MARK_STARTED = "recording_started"
"""A ``gaps`` row: a recording session started; nothing before it since the last stop was recorded."""
MARK_STOPPED = "recording_stopped"
"""A ``gaps`` row: a recording session stopped cleanly (its absence before a start means a crash)."""
MARK_DROPPED = "recorder_dropped"
"""A ``gaps`` row: the recorder left out ``count`` events of this symbol from ``ts`` on (buffer full)."""


class RecordingMark(NamedTuple):
    """A note the recorder writes about itself into a symbol's ``gaps``: started, stopped, dropped."""

    ts: int
    venue: str
    symbol: str
    event: str
    count: int = 0


class TableKey(NamedTuple):
    """Where a table of recorded rows belongs in the archive."""

    venue: str
    symbol: str
    kind: str


class RecordedTables(NamedTuple):
    """``tables_of``'s result: a table per archive place, and what was left out as invalid."""

    tables: dict[TableKey, pa.Table]
    invalid_rows: int
    problems: list[str]


OrderEventTypes = (OrderAccepted, OrderFilled, OrderRejected, OrderCanceled, OrderExpired)
"""The order events the recorder stores (``order_events``, and ``fills`` for OrderFilled)."""

_EVENT_NAMES = {
    OrderAccepted: "accepted", OrderFilled: "filled", OrderRejected: "rejected", OrderCanceled: "canceled",
    OrderExpired: "expired",
}


def recorded_schema(kind: str) -> pa.Schema:
    """The Arrow schema of archive files of ``kind`` (market or event kind)."""
    if is_event_kind(kind):
        return pa.schema([pa.field(n, _ARROW_TYPES[t], nullable=False) for n, t in EVENT_COLUMNS[kind]])  # type: ignore[index]
    return archive_schema(base_kind(kind))


def tables_of(
    events: Iterable[object], *, venue: str, price_venue: str, bot: str, bar_kind: str
) -> RecordedTables:
    """Group ``events`` by archive place and convert each group into a sorted table (see the module)."""
    groups: dict[TableKey, list[Any]] = defaultdict(list)
    for event in events:
        key = place_of(event, venue=venue, price_venue=price_venue, bar_kind=bar_kind)
        if key is not None:
            groups[key].append(event)
    tables: dict[TableKey, pa.Table] = {}
    invalid, problems = 0, []
    for key, group in groups.items():
        if key.kind == "order_events":
            fills = [e.fill for e in group if isinstance(e, OrderFilled)]
            if fills:
                tables[TableKey(key.venue, key.symbol, "fills")] = _sorted(_fills_table(fills, bot))
            tables[key] = _sorted(_order_events_table(group, bot))
            continue
        if is_event_kind(key.kind):
            tables[key] = _sorted(_EVENT_TABLES[key.kind](group))
            continue
        records = _MARKET_RECORDS[base_kind(key.kind)](group)
        records = records[np.argsort(records["ts"], kind="stable")]
        if key.kind.startswith("bars") and len(records) > 1:
            records = records[np.append(records["ts"][1:] != records["ts"][:-1], True)]  # the later bar wins
        records, bad, problem = keep_valid(records, f"recorded {key.venue}/{key.symbol}/{key.kind}")
        invalid += bad
        if problem:
            problems.append(problem)
        if len(records):
            tables[key] = to_table(records)
    return RecordedTables(tables, invalid, problems)


def arrival_tables(
    events: Iterable[object], *, venue: str, bar_kind: str, latest: dict[tuple[str, str], int]
) -> dict[TableKey, pa.Table]:
    """The ``arrivals`` of a batch (in arrival order): per symbol, runs of consecutive quotes, trades or bars.

    The archive keeps each kind sorted by its own timestamps; these runs say how they interleaved
    as they arrived, so a replay can feed a strategy quotes, trades and bars in the order a bot
    got them. A run's ``ts`` is the latest venue timestamp the symbol had received by the run's
    end, so rows never go back in time; ``latest`` carries it from batch to batch (updated here).
    """
    runs: dict[str, list[list[Any]]] = defaultdict(list)
    for event in events:
        kind = _ARRIVAL_KINDS.get(type(event))
        if kind is None:
            continue
        symbol: str = event.symbol  # type: ignore[attr-defined]
        now = max(latest.get((venue, symbol), 0), event.ts)  # type: ignore[attr-defined]
        latest[(venue, symbol)] = now
        kind = bar_kind if kind == "bars" else kind
        symbol_runs = runs[symbol]
        if symbol_runs and symbol_runs[-1][1] == kind:
            symbol_runs[-1][0] = now
            symbol_runs[-1][2] += 1
        else:
            symbol_runs.append([now, kind, 1])
    return {TableKey(venue, symbol, "arrivals"): _table("arrivals", {
        "ts": [r[0] for r in rows], "kind": [r[1] for r in rows], "count": [r[2] for r in rows],
    }) for symbol, rows in runs.items()}


def place_of(event: object, *, venue: str, price_venue: str, bar_kind: str) -> TableKey | None:
    """Where ``event`` is archived (see the module), or None if it is not something botkit records."""
    route = _ROUTES.get(type(event))
    return None if route is None else route(event, venue, price_venue, bar_kind)


def keep_valid(records: np.ndarray, source: str) -> tuple[np.ndarray, int, str]:
    """The rows of sorted market ``records`` that pass the archive's checks, how many did not, and why.

    One vectorised check for the whole array; only when it fails is each row checked alone.
    """
    try:
        validate_records(records, source)
        return records, 0, ""
    except DataError as error:
        first_problem = str(error)
    keep = np.ones(len(records), dtype=bool)
    for index in range(len(records)):
        try:
            validate_records(records[index : index + 1], source)
        except DataError:
            keep[index] = False
    return records[keep], int(np.count_nonzero(~keep)), first_problem


def read_recorded(
    root: str | Path, venue: str, symbol: str, kind: str, start: TimeLike | None = None, end: TimeLike | None = None
) -> pa.Table:
    """The archived rows of one venue/symbol/kind with ``start <= ts < end``, as an Arrow table.

    Works for every kind: market kinds are read (and validated) by ``botkit.data.archive``, event
    kinds straight from their day files. ``table.to_pandas()`` gives a DataFrame.
    """
    if not is_event_kind(kind):
        return to_table(read_archive(root, venue, symbol, kind, start, end))
    first, last = archive_range(root, venue, symbol, kind)
    start_ns = first if start is None else time_to_ns(start)
    end_ns = last if end is None else time_to_ns(end)
    schema = recorded_schema(kind)
    pieces = []
    for path in day_files(root, venue, symbol, kind, start_ns, end_ns):
        try:
            table = pq.read_table(path, columns=schema.names).cast(schema)
        except (pa.ArrowException, OSError, KeyError) as exc:
            raise DataError(f"{path}: not a readable {kind} file ({exc})") from exc
        ts = table.column("ts").cast(pa.int64()).to_numpy()
        lo, hi = np.searchsorted(ts, start_ns, "left"), np.searchsorted(ts, end_ns, "left")
        pieces.append(table.slice(int(lo), int(hi - lo)))
    return pa.concat_tables(pieces)


# --- routing: which archive place an event belongs to ----------------------------------------------

Route = Callable[[Any, str, str, str], TableKey]


def _market(kind: str) -> Route:
    return lambda event, venue, _price_venue, _bar_kind: TableKey(venue, event.symbol, kind)


def _bar(event: Bar, venue: str, _price_venue: str, bar_kind: str) -> TableKey:
    return TableKey(venue, event.symbol, bar_kind)


def _price(event: Price, _venue: str, price_venue: str, _bar_kind: str) -> TableKey:
    return TableKey(price_venue, (event.base + event.quote).upper(), "prices")


def _mark(event: RecordingMark, _venue: str, _price_venue: str, _bar_kind: str) -> TableKey:
    return TableKey(event.venue, event.symbol, "gaps")


def _order_event(event: Any, venue: str, _price_venue: str, _bar_kind: str) -> TableKey:
    symbol = event.intent.symbol if isinstance(event, OrderRejected) else event.order.symbol
    return TableKey(venue, symbol, "order_events")


_ARRIVAL_KINDS: dict[type, str] = {Quote: "quotes", Trade: "trades", Bar: "bars"}

_ROUTES: dict[type, Route] = {
    Trade: _market("trades"), Quote: _market("quotes"), Bar: _bar, Price: _price,
    BookDelta: _market("book_deltas"), BookSnapshot: _market("book_snapshots"),
    BookGap: _market("gaps"), BookResynced: _market("gaps"), RecordingMark: _mark,
    **{t: _order_event for t in OrderEventTypes},
}


# --- conversion ---------------------------------------------------------------------------------------

def _trade_records(trades: Sequence[Trade]) -> np.ndarray:
    return np.fromiter(((t.ts, t.price, t.size, t.side) for t in trades), DTYPES["trades"], len(trades))


def _quote_records(quotes: Sequence[Quote]) -> np.ndarray:
    return np.fromiter(((q.ts, q.bid, q.bid_size, q.ask, q.ask_size) for q in quotes), DTYPES["quotes"], len(quotes))


def _bar_records(bars: Sequence[Bar]) -> np.ndarray:
    return np.fromiter(((b.ts, b.open, b.high, b.low, b.close, b.volume) for b in bars), DTYPES["bars"], len(bars))


_MARKET_RECORDS: dict[str, Callable[[Sequence[Any]], np.ndarray]] = {
    "trades": _trade_records, "quotes": _quote_records, "bars": _bar_records,
}


def _table(kind: str, columns: dict[str, Sequence[Any]]) -> pa.Table:
    schema = recorded_schema(kind)
    return pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)


def _book_deltas_table(deltas: Sequence[BookDelta]) -> pa.Table:
    return _table("book_deltas", {
        "ts": [d.ts for d in deltas], "sequence": [d.sequence for d in deltas], "side": [int(d.side) for d in deltas],
        "price": [d.price for d in deltas], "size": [d.size for d in deltas],
    })


def _book_snapshots_table(snapshots: Sequence[BookSnapshot]) -> pa.Table:
    """One row per level, bids then asks, best first; a snapshot with no levels is one row of side 0."""
    cols: dict[str, list[Any]] = {name: [] for name in ("ts", "sequence", "side", "level", "price", "size")}
    for snap in snapshots:
        rows = [(1, i, level) for i, level in enumerate(snap.bids)]
        rows += [(-1, i, level) for i, level in enumerate(snap.asks)]
        empty: list[tuple[int, int, BookLevel | None]] = [(0, 0, None)]
        for side, index, level in rows or empty:
            cols["ts"].append(snap.ts)
            cols["sequence"].append(snap.sequence)
            cols["side"].append(side)
            cols["level"].append(index)
            cols["price"].append(_NAN if level is None else level.price)
            cols["size"].append(0.0 if level is None else level.size)
    return _table("book_snapshots", cols)


def _gaps_table(events: Sequence[BookGap | BookResynced | RecordingMark]) -> pa.Table:
    cols: dict[str, list[Any]] = {name: [] for name in ("ts", "event", "expected", "received", "count")}
    for event in events:
        cols["ts"].append(event.ts)
        if isinstance(event, BookGap):
            row = (GAP_BOOK, event.expected, event.received, 0)
        elif isinstance(event, BookResynced):
            row = (GAP_RESYNCED, event.sequence, event.sequence, 0)
        else:
            row = (event.event, -1, -1, event.count)
        for name, value in zip(("event", "expected", "received", "count"), row, strict=True):
            cols[name].append(value)
    return _table("gaps", cols)


def _prices_table(prices: Sequence[Price]) -> pa.Table:
    return _table("prices", {"ts": [p.ts for p in prices], "price": [p.price for p in prices],
                             "source": [p.source for p in prices]})


def _order_events_table(events: Sequence[Any], bot: str) -> pa.Table:
    names = [n for n, _ in EVENT_COLUMNS["order_events"]]
    cols: dict[str, list[Any]] = {name: [] for name in names}
    for event in events:
        row = _rejected_row(event) if isinstance(event, OrderRejected) else _order_row(event)
        row.update(ts=event.ts, event=_EVENT_NAMES[type(event)], bot=bot)
        for name in names:
            cols[name].append(row[name])
    return _table("order_events", cols)


def _order_row(event: Any) -> dict[str, Any]:
    order = event.order
    return {
        "client_order_id": order.client_order_id, "order_id": order.order_id, "side": int(order.side),
        "order_type": int(order.order_type), "qty": order.qty, "limit_price": _or_nan(order.limit_price),
        "stop_price": _or_nan(order.stop_price), "status": order.status.value, "filled_qty": order.filled_qty,
        "avg_fill_price": order.avg_fill_price, "tag": order.tag, "code": "", "reason": "",
    }


def _rejected_row(event: OrderRejected) -> dict[str, Any]:
    intent = event.intent
    return {
        "client_order_id": intent.client_order_id or "", "order_id": "", "side": int(intent.side),
        "order_type": int(intent.order_type), "qty": _or_nan(intent.qty), "limit_price": _or_nan(intent.limit_price),
        "stop_price": _or_nan(intent.stop_price), "status": "rejected", "filled_qty": 0.0, "avg_fill_price": 0.0,
        "tag": intent.tag, "code": event.code or event.source, "reason": event.reason,
    }


def _fills_table(fills: Sequence[Any], bot: str) -> pa.Table:
    return _table("fills", {
        "ts": [f.ts for f in fills], "bot": [bot] * len(fills), "client_order_id": [f.client_order_id for f in fills],
        "order_id": [f.order_id for f in fills], "fill_id": [f.fill_id for f in fills],
        "side": [int(f.side) for f in fills], "qty": [f.qty for f in fills], "price": [f.price for f in fills],
        "fee": [f.fee for f in fills], "liquidity": [f.liquidity.value for f in fills],
    })


_EVENT_TABLES: dict[str, Callable[[Sequence[Any]], pa.Table]] = {
    "book_deltas": _book_deltas_table, "book_snapshots": _book_snapshots_table, "gaps": _gaps_table,
    "prices": _prices_table,
}


def _or_nan(value: float | None) -> float:
    return _NAN if value is None else float(value)


def _sorted(table: pa.Table) -> pa.Table:
    ts = table.column("ts").cast(pa.int64()).to_numpy()
    if len(ts) < 2 or bool(np.all(ts[1:] >= ts[:-1])):
        return table
    return table.take(np.argsort(ts, kind="stable"))
