"""``botkit demo``: the whole loop in one offline command, with no setup.

1. The Syncron simulator starts in this process, on 127.0.0.1:8700 or, when that port is taken,
   on a free one (the demo bot has no reference feed, so Sintra is not needed).
2. The SMA crossover bot of ``strategies/sma_cross.py`` trades on paper against the simulator's
   quotes for ``duration_s`` seconds, with a live status line, recording its session (quotes,
   trades, its order events and fills) into an archive: ``out``, or a scratch folder removed at
   the end.
3. It stops cleanly (working orders canceled, state saved, the recording merged into day files).
4. The recording is backtested with the bot's strategy, parameters, fees, latency and the venue's
   trading rules (``botkit.live.session_backtest``); the report is written as ``botkit backtest``
   writes it.
5. The last line is the parity of the paper session and that backtest (``botkit.backtest.parity``).

This module is a composition root like ``botkit.cli``: it may import every room, the simulators
included.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.text import Text

from botkit.backtest.engine import backtest, replayed_session
from botkit.backtest.parity import ParityReport, compare_session
from botkit.backtest.report import format_stat
from botkit.live.build import build_engine
from botkit.live.cli_run import stop_on_signals
from botkit.live.engine import LiveEngine
from botkit.live.report import RunSummary
from botkit.live.session_backtest import session_spec
from botkit.settings import BotConfig, validate_bot_config
from botkit.sim.syncron import AgentConfig, default_config, running_sim
from botkit.sim.syncron.app import RunningSim
from botkit.venues.syncron import SyncronSettings

SYMBOL = "BTCUSD"
DEFAULT_PORT = 8700
DEFAULT_DURATION_S = 30.0
DEFAULT_REPORT_DIR = Path("reports/demo")
EXIT_OK = 0
EXIT_DIFFERENT = 1
"""``botkit demo`` exit code when the paper session and the backtest of its recording disagree (a bug)."""

MARKET = AgentConfig(speed=5.0, step_s=0.05, seed=7)
"""The simulator's synthetic market: five simulated seconds a second, an agent step every 50 ms."""
_MARKET_KINDS = ("quote", "trade", "bar", "price")
_STATUS_HZ = 4
_PLAIN_EVERY_S = 5.0


@dataclass(frozen=True)
class DemoOutcome:
    """What one demo run did: the bot's summary, where things went, and the parity."""

    summary: RunSummary
    sim_url: str
    archive: Path
    kept_archive: bool
    session: str
    """Which recorded session was backtested, and when it ran."""
    report_paths: dict[str, Path]
    stats: dict[str, object]
    parity: ParityReport


def demo_config(sim_url: str, archive: Path, state_dir: Path) -> BotConfig:
    """The demo bot: SMA crossover 5/20 on BTCUSD quote mids, 0.01 BTC, on paper, recording its session.

    Its risk limits are those a backtest applies too (size, position, no shorts, kill switch), so
    the backtest of the recording judges every order as the bot did.
    """
    return validate_bot_config({
        "name": "demo",
        "strategy": "sma_cross",
        "params": {"fast": 5, "slow": 20, "size": 0.01},
        "symbols": [SYMBOL],
        "venue": {"endpoint": sim_url},
        "mode": "paper",
        "sizing": {"fixed_quantity": 0.01},
        "risk": {"max_order_qty": 0.05, "max_position": 0.05, "allow_short": False, "max_daily_loss": 2000,
                 "max_drawdown_pct": 5},
        "capital": 100_000,
        "paper": {"fees": {"maker_bps": 1, "taker_bps": 5}, "latency_ns": 0},
        "state_dir": str(state_dir),
        "engine": {"market_data": "quotes", "cancel_on_stop": True},
        "record": {"root": str(archive), "kinds": ["trades", "quotes", "orders"], "flush_interval_s": 1.0},
    }, "botkit demo")


def run_demo_command(duration_s: float = DEFAULT_DURATION_S, out: Path | None = None,
                     report_dir: Path = DEFAULT_REPORT_DIR) -> int:
    """Run the demo and print what happened; the last line is the parity. Returns 0, or 1 if parity fails."""
    console = Console(highlight=False, soft_wrap=True)
    plain = not console.is_terminal or os.environ.get("CI", "").lower() == "true"
    started = time.monotonic()
    outcome = asyncio.run(run_demo(duration_s, out=out, report_dir=report_dir, console=console, plain=plain))
    for line in _closing_lines(outcome, time.monotonic() - started):
        console.print(line, markup=False)
    return EXIT_OK if outcome.parity.identical else EXIT_DIFFERENT


async def run_demo(duration_s: float, *, out: Path | None, report_dir: Path, console: Console,
                   plain: bool) -> DemoOutcome:
    """Simulator, paper session with recording, backtest of the recording, parity (see the module)."""
    with _folders(out) as (archive, state_dir):
        async with _simulator() as sim:
            config = demo_config(sim.url, archive, state_dir)
            engine = await build_engine(config, source="botkit demo", settings=SyncronSettings(endpoint=sim.url),
                                        restore_state=False)
            console.print(f"botkit demo: Syncron simulator on {sim.url} (in this process); the SMA crossover "
                          f"(fast 5, slow 20) trades {SYMBOL} on paper for {duration_s:g} s and records its session",
                          markup=False)
            summary = await _run_with_status(engine, duration_s, console, plain)
        fills = list(await engine.execution.fills())
        spec = session_spec(config, engine.host.instruments, venue="syncron", root=archive, output=report_dir)
        result = backtest(spec)
        paths = result.save(report_dir)
        window = replayed_session(spec)
        return DemoOutcome(summary, sim.url, archive, out is not None,
                           window.session.describe() if window is not None else "no session", paths,
                           dict(result.stats), compare_session(engine.run_orders(), fills, result))


@contextlib.contextmanager
def _folders(out: Path | None) -> Iterator[tuple[Path, Path]]:
    """The archive (``out``, or scratch) and a scratch state folder: a demo never restores an earlier run."""
    with tempfile.TemporaryDirectory(prefix="botkit-demo-") as scratch:
        yield (out if out is not None else Path(scratch) / "archive"), Path(scratch) / "state"


@contextlib.asynccontextmanager
async def _simulator() -> AsyncIterator[RunningSim]:
    """The Syncron simulator on 127.0.0.1:8700, or on a free port when 8700 is taken."""
    config = default_config([SYMBOL]).model_copy(update={"agents": MARKET})
    async with contextlib.AsyncExitStack() as stack:
        try:
            sim = await stack.enter_async_context(running_sim(config, port=DEFAULT_PORT))
        except OSError:  # the default port is taken (another simulator, an earlier demo): any free one will do
            sim = await stack.enter_async_context(running_sim(config, port=0))
        yield sim


async def _run_with_status(engine: LiveEngine, duration_s: float, console: Console, plain: bool) -> RunSummary:
    """Run the engine for ``duration_s`` (Ctrl-C stops it cleanly) while a status line follows it."""
    status = _StatusLine(engine)
    with stop_on_signals(engine.request_stop):
        if plain:
            watcher = asyncio.create_task(_print_plain(status, console))
            try:
                return await engine.run(duration_s)
            finally:
                watcher.cancel()
                console.print(status.render(final=True), markup=False)
        with Live(status.render(), console=console, refresh_per_second=_STATUS_HZ, transient=False) as live:
            watcher = asyncio.create_task(_refresh(status, live))
            try:
                return await engine.run(duration_s)
            finally:
                watcher.cancel()
                live.update(status.render(final=True))


async def _refresh(status: _StatusLine, live: Live) -> None:
    while True:
        await asyncio.sleep(1.0 / _STATUS_HZ)
        live.update(status.render())


async def _print_plain(status: _StatusLine, console: Console) -> None:
    while True:
        await asyncio.sleep(_PLAIN_EVERY_S)
        console.print(status.render(), markup=False)


class _StatusLine:
    """One line about the running bot: time, market events a second, orders, fills, position, PnL."""

    def __init__(self, engine: LiveEngine) -> None:
        self.engine = engine
        self.started = time.monotonic()
        self._last = (self.started, 0)
        self._rate = 0.0

    def render(self, *, final: bool = False) -> Text:
        """The line as it is now: the event rate since the previous call (``final``: over the whole run)."""
        engine, now = self.engine, time.monotonic()
        events = sum(engine.counters[kind] for kind in _MARKET_KINDS)
        then, before = (self.started, 0) if final else self._last
        if now - then >= 0.2:
            self._rate, self._last = (events - before) / (now - then), (now, events)
        ledger = engine.ledger
        pnl = ledger.equity() - engine.config.capital
        state = "" if engine.state.value == "active" else f"  {engine.state.value.upper()}"
        return Text(f"{now - self.started:5.1f} s  {self._rate:4.0f} events/s  orders {len(engine.run_orders())}  "
                    f"fills {engine.counters['fills']}  position {ledger.position(SYMBOL):.2f} {SYMBOL}  "
                    f"PnL {pnl:+.2f} USD{state}")


def _closing_lines(outcome: DemoOutcome, elapsed_s: float) -> list[str]:
    summary, stats = outcome.summary, outcome.stats
    archive = str(outcome.archive) if outcome.kept_archive else "a scratch archive (removed; keep it with --out DIR)"
    lines = [*summary.lines(), f"recorded the session into {archive}"]
    shown = ("events", "trades", "fees", "final_equity", "total_return")
    lines.append(f"backtest of the recording, {outcome.session}: " + ", ".join(
        f"{key} {format_stat(key, stats[key])}" for key in shown if key in stats))
    report = outcome.report_paths.get("report")
    lines.append(f"report: {report} (and stats.json, trades.parquet, fills.parquet beside it)")
    lines.append(f"demo took {elapsed_s:.1f} s")
    lines.append(f"parity: {outcome.parity.summary()}")
    return lines
