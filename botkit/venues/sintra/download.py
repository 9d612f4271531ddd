"""Downloading Sintra price history into the Parquet archive, resumably.

``download_history`` fills ``<root>/sintra/<PAIR>/bars_1m`` (``bars_1h``, ``bars_1d``) with one
bar per grid time in ``[since, until)``. Sintra's history gives one price per grid time and no
volume, so each bar has ``open = high = low = close = price`` and ``volume = 0``.

The archive is the only state. Each run reads the timestamps already stored in the range and
fetches only the missing grid times, newest first, paging backwards from the top of each missing
run with ``date`` and ``limit=25`` (an uninterrupted first run pages from ``until`` down to
``since``; a rerun after an interruption continues below the earliest stored bar and above the
latest). Each page is written as soon as it arrives, merged by ``ts``, so an interruption loses at
most the page in flight and nothing is ever stored twice. Grid times still missing afterwards
(the venue skipped them) are reported as gaps in the summary; a rerun asks for them again, which
costs one request per gap. Requests go through the client's rate budget, so a download never
exceeds the plan; the ETA given to ``progress`` comes from that budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import structlog

from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import AuthError, ConfigError, ProtocolError
from botkit.data.archive import read_archive
from botkit.data.kinds import bar_kind
from botkit.data.layout import day_of, list_days
from botkit.data.writer import write_records
from botkit.model.events import Price
from botkit.model.records import BAR_DTYPE
from botkit.venues.sintra import wire
from botkit.venues.sintra.config import API_KEY_ENV
from botkit.venues.sintra.data import SintraDataClient
from botkit.venues.sintra.params import TimeLike, interval_arg, pair_arg, time_arg

PAGE_LIMIT = wire.MAX_LIMIT

log = structlog.get_logger("botkit.venues.sintra")


class DownloadProgress(NamedTuple):
    """Where a download stands: pages done out of ``total`` (an estimate), and seconds to go."""

    done: int
    total: int
    eta_s: float
    bars_written: int


ProgressCallback = Callable[[DownloadProgress], None]
"""Called before the first page and after each page is written; raising stops the download."""


@dataclass(frozen=True, slots=True)
class Gap:
    """Grid times missing from the archive after a download: ``missing`` bars from ``start`` on."""

    start: int
    end: int
    missing: int


@dataclass(frozen=True, slots=True)
class DownloadSummary:
    """What a download did and what the archive holds afterwards for the range asked for.

    ``since`` is rounded up to the grid; ``history_start`` is the first grid time of Sintra's
    history if the download reached it (times before it are not gaps). Times are ns UTC.
    """

    pair: str
    symbol: str
    kind: str
    since: int
    until: int
    pages: int
    bars_written: int
    bars_stored: int
    gaps: tuple[Gap, ...]
    history_start: int | None

    @property
    def missing(self) -> int:
        """Grid times in the range (from the start of history on) with no bar."""
        return sum(gap.missing for gap in self.gaps)


class _Run(NamedTuple):
    """Consecutive missing grid times ``first..last`` (inclusive, ns)."""

    first: int
    last: int


async def download_history(
    client: SintraDataClient,
    root: str | Path,
    pair: str = "btcusd",
    interval: str = "minute",
    *,
    since: TimeLike,
    until: TimeLike | None = None,
    progress: ProgressCallback | None = None,
) -> DownloadSummary:
    """Fill the archive with ``pair``'s bars on the ``interval`` grid for ``[since, until)``.

    ``until`` defaults to the start of the current interval (the client's clock), so only past
    grid times are asked for. Needs a Pro key (price history is Pro only).
    """
    pair = pair_arg(pair)
    step = wire.INTERVAL_SECONDS[interval_arg(interval)] * NS_PER_SECOND
    since_ns = time_arg("since", since)
    until_ns = time_arg("until", until) if until is not None else client.clock.now_ns() // step * step
    start = -(-since_ns // step) * step
    if start >= until_ns:
        raise ConfigError(f"since ({since!r}) must be before until ({until!r}) on the {interval} grid")
    if not client.has_credentials:
        raise AuthError(f"downloading Sintra price history needs a Pro API key: set {API_KEY_ENV}")
    symbol, kind = pair.upper(), bar_kind(step)
    runs = _missing_runs(_stored_ts(root, symbol, kind, start, until_ns), start, until_ns, step)
    tracker = _Tracker(client, runs, step, progress)
    log.info("sintra.download_started", pair=pair, kind=kind, since=start, until=until_ns, runs=len(runs))
    history_start: int | None = None
    for run in reversed(runs):  # newest first
        if history_start is not None and run.last < history_start:
            tracker.skip(run)
            continue
        found = await _fetch_run(client, root, pair, interval, step, run, tracker)
        history_start = found if found is not None else history_start
    low = start if history_start is None else max(start, history_start)
    stored = _stored_ts(root, symbol, kind, low, until_ns) if low < until_ns else np.empty(0, "i8")
    gaps = tuple(
        Gap(r.first, r.last + step, (r.last - r.first) // step + 1) for r in _missing_runs(stored, low, until_ns, step)
    )
    summary = DownloadSummary(
        pair=pair,
        symbol=symbol,
        kind=kind,
        since=start,
        until=until_ns,
        pages=tracker.done,
        bars_written=tracker.bars,
        bars_stored=len(stored),
        gaps=gaps,
        history_start=history_start,
    )
    log.info(
        "sintra.download_done",
        pair=pair,
        kind=kind,
        pages=summary.pages,
        bars_written=summary.bars_written,
        missing=summary.missing,
    )
    return summary


async def _fetch_run(
    client: SintraDataClient,
    root: str | Path,
    pair: str,
    interval: str,
    step: int,
    run: _Run,
    tracker: _Tracker,
) -> int | None:
    """Page backwards through one missing run; returns the start of history if it was reached."""
    date = run.last + step
    while True:
        started = client.clock.now_ns()
        page = await client.list_price_history(pair, interval=interval, date=date, sort="asc", limit=PAGE_LIMIT)
        fresh = [p for p in page if run.first <= p.ts < date and p.ts % step == 0]
        if fresh:
            write_records(root, wire.VENUE, pair.upper(), bar_kind(step), _bars(fresh))
        earliest = min((p.ts for p in page), default=date)
        short = len(page) < PAGE_LIMIT  # a short page: Sintra's history starts at ``earliest``
        finished = short or earliest <= run.first
        if not finished and earliest >= date:
            raise ProtocolError(f"sintra list_price_history: the page before {date} ns starts at {earliest} ns")
        history_start = earliest if short else None
        spent = client.clock.now_ns() - started
        tracker.page_done(run, len(fresh), spent, None if finished else earliest, history_start)
        if finished:
            return history_start
        date = earliest


def _bars(prices: list[Price]) -> np.ndarray:
    """One bar per price (sorted, unique ts): OHLC all equal to the price, volume 0."""
    by_ts = {p.ts: p.price for p in prices}
    records = np.zeros(len(by_ts), dtype=BAR_DTYPE)
    records["ts"] = sorted(by_ts)
    values = [by_ts[ts] for ts in records["ts"].tolist()]
    for name in ("open", "high", "low", "close"):
        records[name] = values
    return records


def _stored_ts(root: str | Path, symbol: str, kind: str, start: int, end: int) -> np.ndarray:
    """Timestamps already archived in ``[start, end)``, sorted."""
    first, last = day_of(start), day_of(end - 1)
    if not any(first <= day <= last for day in list_days(root, wire.VENUE, symbol, kind)):
        return np.empty(0, dtype=np.int64)
    return np.asarray(read_archive(root, wire.VENUE, symbol, kind, start, end)["ts"])


def _missing_runs(stored: np.ndarray, start: int, end: int, step: int) -> list[_Run]:
    """The runs of grid times ``start, start + step, … < end`` absent from ``stored``, oldest first."""
    grid = np.arange(start, end, step, dtype=np.int64)
    missing = grid[~np.isin(grid, stored, assume_unique=True)]
    if len(missing) == 0:
        return []
    breaks = np.flatnonzero(np.diff(missing) != step) + 1
    firsts = np.concatenate([missing[:1], missing[breaks]])
    lasts = np.concatenate([missing[breaks - 1], missing[-1:]])
    return [_Run(int(a), int(b)) for a, b in zip(firsts, lasts, strict=True)]


class _Tracker:
    """Counts pages and bars, estimates the pages left, and reports progress with an ETA."""

    def __init__(
        self, client: SintraDataClient, runs: list[_Run], step: int, callback: ProgressCallback | None
    ) -> None:
        self._budget = client.budget
        self._step = step
        self._callback = callback
        self._pending = {run: self._pages(run.first, run.last + step) for run in runs}
        self.done = 0
        self.bars = 0
        self._spent_ns = 0
        self._report()

    def _pages(self, first: int, end: int) -> int:
        points = max(0, (end - first + self._step - 1) // self._step)
        return -(-points // PAGE_LIMIT)

    def page_done(self, run: _Run, bars: int, spent_ns: int, next_date: int | None, history_start: int | None) -> None:
        """A page of ``run`` was written; the next one asks before ``next_date`` (None: done)."""
        self.done += 1
        self.bars += bars
        self._spent_ns += spent_ns
        self._pending[run] = 0 if next_date is None else self._pages(run.first, next_date)
        if history_start is not None:  # runs before the start of history need no pages
            for other in self._pending:
                if other.last < history_start:
                    self._pending[other] = 0
        self._report()

    def skip(self, run: _Run) -> None:
        """``run`` lies before the start of history: nothing to fetch."""
        self._pending[run] = 0

    def _report(self) -> None:
        if self._callback is None:
            return
        left = sum(self._pending.values())
        per_page_s = self._spent_ns / NS_PER_SECOND / self.done if self.done else 0.0
        eta = max(self._budget.eta_s(left), left * per_page_s)
        self._callback(DownloadProgress(self.done, self.done + left, eta, self.bars))
