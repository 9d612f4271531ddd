"""The Python API of the backtester: a spec in, a ``BacktestResult`` out."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from botkit.backtest.book_replay import BookReplay
from botkit.backtest.broker import SimulatedBroker
from botkit.backtest.compiled import CompiledReplay
from botkit.backtest.market_trail import MarketTrail
from botkit.backtest.outcome import ReplayOutcome
from botkit.backtest.provenance import DataDigest, digest_arrays, digest_files, run_record, spec_data_files
from botkit.backtest.replay import PythonReplay
from botkit.backtest.result import BacktestResult
from botkit.backtest.run_config import RunConfig
from botkit.backtest.selection import empty_selection_error, naming_the_spec
from botkit.backtest.session_replay import SessionReplay
from botkit.backtest.spec import BacktestSpec, load_spec_document, validate_spec
from botkit.backtest.strategy_host import StrategyHost
from botkit.book.keeper import BookKeeper
from botkit.core.clock import to_ns
from botkit.core.errors import ConfigError, DataError
from botkit.core.yaml_document import YamlDocument
from botkit.data.archive import iter_archive
from botkit.data.arrived import read_arrived
from botkit.data.book_events import read_book_events
from botkit.data.event_columns import Events, as_records
from botkit.data.files import read_file
from botkit.data.frames import frame_events
from botkit.data.kinds import interval_to_ns
from botkit.data.merge import merge_arrays, merge_chunks
from botkit.data.sessions import SessionWindow, find_session, recorded_sessions, session_window
from botkit.risk.collar import book_sync_guard
from botkit.risk.engine import RiskEngine
from botkit.risk.rules import limit_or_inf, rules_from_limits
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.loader import build_params, load_strategy_class

Chunk = tuple[np.ndarray, np.ndarray]
PROGRESS_EVERY = 250_000
_NO_INSTRUMENTS = np.zeros(0, dtype=np.int16)  # one symbol: every event is instrument 0
DataInput = Mapping[str, pd.DataFrame | np.ndarray]


def backtest(
    spec: BacktestSpec | Mapping[str, Any] | str | Path,
    *,
    data: DataInput | None = None,
    progress: Callable[[int], None] | None = None,
    document: YamlDocument | None = None,
) -> BacktestResult:
    """Run one backtest.

    ``spec`` is a BacktestSpec, a dict of its fields, or the path of a YAML spec; a dict's
    ``strategy`` may be the Strategy class itself (a notebook's: the spec records it as
    ``"__main__:Cls"``). ``data`` maps symbols to DataFrames or record arrays and replaces the
    spec's data source (handy in Jupyter and tests). ``progress`` is called with the number of
    events after each chunk. ``document`` is the YAML a BacktestSpec was read from, so that
    parameter errors name its lines. ``result.provenance`` records how to rerun it.
    """
    given = spec.get("strategy") if isinstance(spec, Mapping) else None
    spec, document = as_spec(spec, document)
    cls = given if isinstance(given, type) and issubclass(given, Strategy) else load_strategy_class(spec.strategy)
    source = document.source if document is not None else f"backtest {spec.name!r}"
    params = build_params(cls, spec.params, source, document)
    if spec.data.kind == "book":
        result = _backtest_book(spec, cls, params, data, progress, source)
        return _finish(result, cls, params, functools.partial(data_digest, spec))
    if spec.data.kind == "bars" and spec.data.recording is not None and data is None:
        return _finish(_backtest_bars_session(spec, cls, params, progress, source), cls, params,
                       functools.partial(data_digest, spec))
    arrays = _data_arrays(spec, data) if data is not None else None
    result = _backtest_chunks(spec, cls, params, _chunks(spec, data, arrays), progress, source,
                              given=data is not None)
    digest = functools.partial(digest_arrays, arrays) if arrays is not None else functools.partial(data_digest, spec)
    return _finish(result, cls, params, digest)


def data_digest(spec: BacktestSpec) -> DataDigest:
    """The content hash of the files a run of ``spec`` reads (``botkit.backtest.provenance``)."""
    source, root, files = spec_data_files(spec, *_time_range(spec))
    return digest_files(source, root, files)


def _backtest_chunks(spec: BacktestSpec, cls: type[Strategy[Any]], params: StrategyParams, chunks: Iterator[Chunk],
                     progress: Callable[[int], None] | None, source: str, *, given: bool) -> BacktestResult:
    """Bars, trades or quotes replayed in chunks, on the compiled path or the event-driven one.

    ``source`` (the spec file) is named by the error for a selection without events; ``given``: data= was passed.
    """
    first = _first_chunk(spec, chunks, source, given=given)
    market = MarketTrail(len(spec.data.symbols), spec.data.kind)
    stream = market.follow(itertools.chain([first], chunks))
    if progress is not None:
        stream = _slices(stream, PROGRESS_EVERY)
    config = _run_config(spec, first)
    # a recorded session replays on the event-driven path by default: it logs the orders a parity check compares
    wants_compiled = spec.engine == "compiled" or (spec.engine == "auto" and spec.data.recording is None)
    compiled = cls.compiled_step(params) if wants_compiled else None
    if spec.engine == "compiled" and compiled is None:
        raise ConfigError(f"strategy {spec.strategy!r} has no compiled_step; use engine: python or auto")
    outcome: ReplayOutcome
    if compiled is not None:
        outcome = CompiledReplay(config, compiled, cls.__name__).run(stream, progress)
    else:
        risk = RiskEngine(rules_from_limits(spec.risk), reduce_only=spec.risk.reduce_only)
        broker = SimulatedBroker(config, risk)
        host = StrategyHost(cls, params, broker)
        outcome = PythonReplay(config, host, broker).run(stream, progress)
    path = "compiled" if compiled is not None else "python"
    symbols = spec.data.symbols
    return BacktestResult(spec, outcome, functools.partial(market.prices, symbols), path,
                          volumes=functools.partial(market.volumes, symbols),
                          marks=(market.first_marks, market.last_marks))


def market_records(spec: BacktestSpec, data: DataInput | None = None) -> tuple[RunConfig, np.ndarray, Events]:
    """A spec's run settings and all its events in memory as ``(config, instrument index, records)``.

    What a sweep replays many times: the data is read once, as ``backtest`` reads it.
    """
    chunks = list(_chunks(spec, data))
    if not chunks:
        raise empty_selection_error(spec, f"backtest {spec.name!r}", *_requested_window(spec, data is not None),
                                    given=data is not None)
    config = _run_config(spec, chunks[0])
    if len(chunks) == 1:
        return config, chunks[0][0], chunks[0][1]
    inst = np.concatenate([chunk[0] for chunk in chunks]) if len(chunks[0][0]) else _NO_INSTRUMENTS
    return config, inst, np.concatenate([chunk[1] for chunk in chunks])


def _backtest_book(spec: BacktestSpec, cls: type[Strategy[Any]], params: StrategyParams, data: DataInput | None,
                   progress: Callable[[int], None] | None, source: str) -> BacktestResult:
    """``data.kind: book``: recorded books replayed through ``on_book`` (the Python path only)."""
    ds = spec.data
    if data is not None:
        raise ConfigError("data= takes bars, trades or quotes; data.kind book is read from data.archive")
    if spec.engine == "compiled":
        raise ConfigError(f"backtest {spec.name!r}: data.kind book runs on the Python path (on_book); "
                          "use engine: python or auto")
    root = ds.archive if ds.archive is not None else ds.recording
    if root is None:
        raise ConfigError(f"backtest {spec.name!r}: data.kind book needs data.archive (where the book was recorded)")
    start, end = _time_range(spec)
    events = read_book_events(root, ds.venue, ds.symbols, start, end)
    first = next(events, None)
    if first is None:
        raise empty_selection_error(spec, source, start, end, what="recorded book")
    books = BookKeeper(ds.symbols, depth=ds.book_levels)
    risk = RiskEngine(rules_from_limits(spec.risk), [book_sync_guard(books.resyncing)],
                      reduce_only=spec.risk.reduce_only)
    config = _run_config(spec, None)
    broker = SimulatedBroker(config, risk)
    replay = BookReplay(config, StrategyHost(cls, params, broker), broker, books)
    outcome = replay.run_events(itertools.chain([first], events), progress)
    return BacktestResult.from_outcome(spec, outcome, replay.prices, "python")


def _backtest_bars_session(spec: BacktestSpec, cls: type[Strategy[Any]], params: StrategyParams,
                           progress: Callable[[int], None] | None, source: str) -> BacktestResult:
    """A recorded bars session: its quotes, trades and bars in arrival order, filled on the quotes (as paper)."""
    ds = spec.data
    assert ds.recording is not None
    if spec.engine == "compiled":
        raise ConfigError(f"backtest {spec.name!r}: a recorded bars session runs on the Python path (its orders fill "
                          "on quotes between the bars); use engine: python or auto")
    start, end = _time_range(spec)
    events = read_arrived(ds.recording, ds.venue, ds.symbols, ds.archive_kind,
                          start if start is not None else 0, end)
    risk = RiskEngine(rules_from_limits(spec.risk), reduce_only=spec.risk.reduce_only)
    config = _run_config(spec, None)
    broker = SimulatedBroker(config, risk)
    replay = SessionReplay(config, StrategyHost(cls, params, broker), broker)
    outcome = replay.run_events(events, progress)
    if outcome.events == 0:
        raise empty_selection_error(spec, source, start, end, what="quotes, trades or bars")
    return BacktestResult.from_outcome(spec, outcome, replay.price_trail, "python")


def replayed_session(spec: BacktestSpec) -> SessionWindow | None:
    """The recorded session ``spec.data`` names and the time range of its events (None without data.recording)."""
    ds = spec.data
    if ds.recording is None:
        return None
    sessions = recorded_sessions(ds.recording, ds.venue, ds.symbols[0])
    chosen = find_session(sessions, ds.session if ds.session is not None else "last",
                          f"data.session of backtest {spec.name!r}")
    return session_window(sessions, chosen)


def _first_chunk(spec: BacktestSpec, chunks: Iterator[Chunk], source: str, *, given: bool) -> Chunk:
    """The first chunk of events; a DataError naming ``source``, the data's path and the window if there is none."""
    try:
        first = next(chunks, None)
    except DataError as error:  # e.g. no day files in the window: the archive's message, with the spec in front
        naming_the_spec(error, source)
        raise
    if first is None:
        raise empty_selection_error(spec, source, *_requested_window(spec, given), given=given)
    return first


def _requested_window(spec: BacktestSpec, given: bool) -> tuple[int | None, int | None]:
    """The window the events were selected in (ns): ``data.start``/``data.end``, narrowed to a recorded session."""
    if not given:
        return _time_range(spec)
    ds = spec.data
    return (to_ns(ds.start) if ds.start is not None else None), (to_ns(ds.end) if ds.end is not None else None)


def _time_range(spec: BacktestSpec) -> tuple[int | None, int | None]:
    """``data.start``/``data.end`` in ns, narrowed to the recorded session's events with data.recording."""
    ds = spec.data
    start = to_ns(ds.start) if ds.start is not None else None
    end = to_ns(ds.end) if ds.end is not None else None
    window = replayed_session(spec)
    if window is not None:
        start = window.start_ns if start is None else max(start, window.start_ns)
        if window.end_ns is not None:
            end = window.end_ns if end is None else min(end, window.end_ns)
    return start, end


def _finish(result: BacktestResult, cls: type[Strategy[Any]], params: StrategyParams,
            digest: Callable[[], DataDigest]) -> BacktestResult:
    """Record how to rerun the result (hashing the data when first asked); name the replayed session in the stats."""
    values = params.model_dump(mode="json")
    result.provenance = lambda: run_record(result.spec, cls, values, result.engine, digest())
    window = replayed_session(result.spec)
    if window is not None:
        result.stats["recording"] = f"{window.session.describe()} of {result.spec.data.recording}"
    return result


def as_spec(
    spec: BacktestSpec | Mapping[str, Any] | str | Path, document: YamlDocument | None,
) -> tuple[BacktestSpec, YamlDocument | None]:
    """A validated spec from a spec, a dict of its fields or a YAML path, with the document it was read from."""
    if isinstance(spec, BacktestSpec):
        return spec, document
    if isinstance(spec, str | Path):
        document = load_spec_document(spec)
        return validate_spec(document.data, document.source, document), document
    return validate_spec(dict(spec), "spec"), None


def _run_config(spec: BacktestSpec, first: Chunk | None) -> RunConfig:
    sizing, sizing_value = spec.sizing.rule()
    interval = 0
    ticks = spec.data.kind != "bars" or spec.data.recording is not None  # a recorded bars session fills on quotes
    if spec.data.kind == "bars" and spec.data.recording is not None:
        interval = interval_to_ns(spec.data.bar_interval or "1m")
    elif spec.data.kind == "bars":
        assert first is not None, "bars need their first chunk to infer the interval"
        interval = (
            interval_to_ns(spec.data.bar_interval) if spec.data.bar_interval else _infer_interval(*first)
        )
    resolution = spec.equity_resolution or ("1s" if ticks else None)
    return RunConfig(
        kind=spec.data.kind,
        instruments=spec.model_instruments(spec.data.venue),
        capital=spec.capital,
        bar_interval_ns=interval,
        latency_ns=spec.latency_ns,
        equity_resolution_ns=interval_to_ns(resolution) if resolution else 0,
        maker_bps=spec.fees.maker_bps,
        taker_bps=spec.fees.taker_bps,
        slippage_bps=spec.slippage.bps,
        slippage_ticks=spec.slippage.ticks,
        sizing=sizing,
        sizing_value=sizing_value,
        max_order_qty=limit_or_inf(spec.risk.max_order_qty),
        max_order_notional=limit_or_inf(spec.risk.max_order_notional),
        max_position=limit_or_inf(spec.risk.max_position),
        allow_short=spec.risk.allow_short,
        max_working=spec.max_working_orders,
        max_gross_exposure=limit_or_inf(spec.risk.max_gross_exposure),
        max_net_exposure=limit_or_inf(spec.risk.max_net_exposure),
        max_open_orders=spec.risk.max_open_orders,
        reduce_only=spec.risk.reduce_only,
        max_daily_loss=limit_or_inf(spec.risk.max_daily_loss),
        max_drawdown_pct=limit_or_inf(spec.risk.max_drawdown_pct),
        flatten_on_kill=spec.risk.flatten_on_kill,
    )


def _infer_interval(inst: np.ndarray, records: np.ndarray) -> int:
    """The most common gap between consecutive bars of the first symbol."""
    ts = records["ts"] if len(inst) == 0 else records["ts"][inst == inst[0]]
    gaps = np.diff(ts[:100_000])
    gaps = gaps[gaps > 0]
    if len(gaps) == 0:
        raise DataError("cannot infer the bar interval from fewer than two bars; set data.bar_interval")
    if gaps.min() == gaps.max():  # regular bars: no need to count (a sort of 100k gaps)
        return int(gaps[0])
    values, counts = np.unique(gaps, return_counts=True)
    return int(values[np.argmax(counts)])


def _data_arrays(spec: BacktestSpec, data: DataInput) -> dict[str, Events]:
    """Each symbol's events of ``data=``, cut to ``data.start``/``data.end``."""
    ds = spec.data
    start = to_ns(ds.start) if ds.start is not None else None
    end = to_ns(ds.end) if ds.end is not None else None
    missing = [s for s in ds.symbols if s not in data]
    if missing:
        raise ConfigError(f"data= has no entry for symbols {missing} (has {sorted(data)})")
    return {s: _window(_records(data[s], ds.kind, f"data[{s!r}]"), start, end) for s in ds.symbols}


def _chunks(spec: BacktestSpec, data: DataInput | None,
            given: Mapping[str, Events] | None = None) -> Iterator[Chunk]:
    """The events of ``spec`` (or of ``data=``, or its ``given`` cut arrays) in merged chunks."""
    ds = spec.data
    if data is not None:
        arrays = list((given if given is not None else _data_arrays(spec, data)).values())
        if len(arrays) > 1:
            return _single(merge_arrays([as_records(a) for a in arrays]))
        return _single((_NO_INSTRUMENTS, arrays[0]))
    start, end = _time_range(spec)
    if ds.file is not None:
        records = _records(read_file(ds.file, ds.kind), ds.kind, str(ds.file))
        return _single((_NO_INSTRUMENTS, _window(records, start, end)))
    root = ds.archive if ds.archive is not None else ds.recording
    if root is None:
        raise ConfigError(f"backtest {spec.name!r}: data needs an archive, a file or a recording "
                          "(or pass data= in Python)")
    sources = [
        iter_archive(root, ds.venue, s, ds.archive_kind, start, end, chunk_rows=ds.chunk_rows)
        for s in ds.symbols
    ]
    return merge_chunks(sources, ds.chunk_rows)


def _slices(chunks: Iterable[Chunk], rows: int) -> Iterator[Chunk]:
    """Chunks cut into views of at most ``rows`` events, so progress is reported as the replay goes."""
    for inst, records in chunks:
        for lo in range(0, len(records), rows):
            yield (inst[lo : lo + rows] if len(inst) else inst), records[lo : lo + rows]


def _single(chunk: Chunk) -> Iterator[Chunk]:
    if len(chunk[1]):
        yield chunk


def _records(value: pd.DataFrame | np.ndarray, kind: str, source: str) -> Events:
    """The events of one symbol of ``data=``: a DataFrame's own columns where possible (no copy)."""
    records = frame_events(value, kind, source) if isinstance(value, pd.DataFrame) else value
    expected = {"bars": "open", "trades": "price", "quotes": "bid"}[kind]
    if records.dtype.names is None or expected not in records.dtype.names:
        raise DataError(f"{source}: expected {kind} records, got fields {records.dtype.names}")
    return records


def _window(records: Events, start: int | None, end: int | None) -> Events:
    ts = records["ts"]
    lo = 0 if start is None else int(np.searchsorted(ts, start, "left"))
    hi = len(ts) if end is None else int(np.searchsorted(ts, end, "left"))
    return records[lo:hi]
