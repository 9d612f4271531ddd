"""The ``botkit`` command: data, backtests, strategies and the local venue simulators.

Subcommands import what they need when they run, so ``botkit backtest`` never loads the network
stack and ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from botkit import __version__
from botkit.core.echo import bounded_message, cut, echo
from botkit.core.errors import BotkitError, ConfigError
from botkit.core.yaml_document import parse_yaml_document

MAX_GENERATED_ROWS = 1_000_000_000
"""Most rows ``botkit data generate`` writes in one go (a billion 1-minute bars span 1,900 years)."""


def checked_output_dir(path: Any, label: str) -> Path:
    """``botkit.core.config_model.checked_output_dir``, imported when a command needs it (it loads pydantic)."""
    from botkit.core.config_model import checked_output_dir as check

    return check(path, label)


def _param(text: str) -> tuple[str, Any]:
    """``key=value`` with the value read as YAML (numbers, booleans, null, strings)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"--param expects key=value, got {echo(text)}")
    try:  # the config files' parser: aliases and nesting bounded, no traceback on a 5,000-digit number
        return key.strip(), parse_yaml_document(value, f"--param {cut(key.strip(), 80)}").data
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """Every command and option of the CLI, declared once."""
    parser = argparse.ArgumentParser(prog="botkit", description="Algorithmic trading bots: backtest and run.")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log-json", action="store_true", help="log JSON lines instead of key=value text")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    bt = sub.add_parser("backtest", help="run a backtest spec and write stats.json, trades.parquet, report.html")
    bt.add_argument("spec", type=Path, nargs="?", help="backtest spec (YAML), e.g. backtests/sma_cross.yaml")
    bt.add_argument("--from-stats", type=Path, metavar="STATS_JSON",
                    help="rerun the run a stats.json records, exactly (its spec, parameters and data, checked by hash)")
    bt.add_argument("--allow-changed-data", action="store_true",
                    help="with --from-stats: rerun even if the data's hash changed (a warning names the files)")
    bt.add_argument("--data", type=Path, help="replay this CSV or Parquet file instead of the spec's data")
    bt.add_argument("--param", type=_param, action="append", default=[], metavar="KEY=VALUE",
                    help="override a strategy parameter (repeatable)")
    bt.add_argument("--from", dest="start", help="first timestamp to replay (ISO date or time, UTC)")
    bt.add_argument("--to", dest="end", help="replay up to, not including, this timestamp")
    bt.add_argument("--out", type=Path, help="output folder (default: the spec's output.dir or reports/<name>)")
    bt.add_argument("--engine", choices=["auto", "compiled", "python"], help="override the spec's engine")
    bt.add_argument("--no-progress", action="store_true", help="no progress bar")
    bt.set_defaults(run=_cmd_backtest)

    opt = sub.add_parser("optimize", help="sweep a backtest spec's parameters: grid or random search, walk-forward, "
                                          "locally or on a Dask cluster")
    opt.add_argument("spec", type=Path, help="backtest spec (YAML), e.g. backtests/sma_cross.yaml")
    opt.add_argument("--grid", action="append", default=None, metavar="NAME=RANGE",
                     help="a parameter's values: start:end:step (end included), a,b,c, or start:end for random search "
                          "(repeatable; default: the spec's optimize.grid)")
    opt.add_argument("--where", action="append", default=[], metavar="EXPR",
                     help="a constraint every combination must meet, e.g. 'fast < slow' (repeatable)")
    opt.add_argument("--random", type=int, metavar="N", help="sample N combinations instead of the whole grid")
    opt.add_argument("--seed", type=int, help="random search seed (default: the spec's, else 0)")
    opt.add_argument("--metric", help="statistic to rank by (default sharpe): sharpe, sortino, total_return, "
                                      "cagr, calmar, max_drawdown, profit_factor, …")
    opt.add_argument("--top", type=int, default=10, help="how many of the best to print (default 10)")
    opt.add_argument("--walk-forward", metavar="train=SPAN,test=SPAN",
                     help="walk-forward analysis on the calendar, e.g. train=90d,test=30d")
    opt.add_argument("--anchored", action="store_true", help="walk-forward training windows keep their start")
    opt.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://127.0.0.1:8786")
    opt.add_argument("--workers", type=int, metavar="N", help="run on a local Dask cluster of N worker processes")
    opt.add_argument("--threads", type=int, metavar="N", help="cores the compiled sweep uses here (default: all)")
    opt.add_argument("--chunk-size", type=int, metavar="N", help="combinations per chunk (one Dask task each)")
    opt.add_argument("--param", type=_param, action="append", default=[], metavar="KEY=VALUE",
                     help="fix a strategy parameter for the whole sweep (repeatable)")
    opt.add_argument("--data", type=Path, help="replay this CSV or Parquet file instead of the spec's data")
    opt.add_argument("--from", dest="start", help="first timestamp to replay (ISO date or time, UTC)")
    opt.add_argument("--to", dest="end", help="replay up to, not including, this timestamp")
    opt.add_argument("--out", type=Path, help="output folder (default reports/<name>-optimize)")
    opt.add_argument("--no-resume", action="store_true", help="start over instead of resuming the folder's sweep")
    opt.add_argument("--no-report", action="store_true", help="write the tables only, no report.html")
    opt.add_argument("--no-progress", action="store_true", help="no progress bar")
    opt.set_defaults(run=_cmd_optimize)

    data_parser = sub.add_parser("data", help="work with the market-data archive")
    data = data_parser.add_subparsers(dest="data_command", required=True)
    gen = data.add_parser("generate", help="write a seeded synthetic archive so everything works offline")
    gen.add_argument("--symbol", default="BTCUSD", help="symbol to write (a folder name, default BTCUSD)")
    amount = gen.add_mutually_exclusive_group()
    amount.add_argument("--bars", type=int, help="number of bars (kind bars_<interval>; the default, 100,000)")
    amount.add_argument("--trades", type=int, help="number of trades (kind trades)")
    amount.add_argument("--quotes", type=int, help="number of quotes (kind quotes)")
    amount.add_argument("--book", type=int,
                        help="number of order-book updates (kind book: book_snapshots and book_deltas)")
    gen.add_argument("--interval", default="1m", help="bar interval, e.g. 1m, 1h (bars only)")
    gen.add_argument("--out", type=Path, default=Path("data"), help="archive root (default data)")
    gen.add_argument("--venue", default="synthetic", help="venue folder to write under (default synthetic)")
    gen.add_argument("--start", default="2024-01-01", help="first timestamp (UTC, default 2024-01-01)")
    gen.add_argument("--seed", type=int, default=42,
                     help="random seed: a seed always writes the same data (default 42; use one per symbol)")
    gen.set_defaults(run=_cmd_data_generate)

    ls = data.add_parser("ls", help="what the archive holds: venues, symbols, kinds, days, rows and missing days")
    ls.add_argument("root", type=Path, nargs="?", default=Path("data"), help="archive root (default data)")
    ls.add_argument("--venue", help="only this venue")
    ls.add_argument("--symbol", help="only this symbol")
    ls.add_argument("--kind", help="only this kind, e.g. bars_1m, trades, book_deltas")
    ls.set_defaults(run=_cmd_data_ls)

    imp = data.add_parser("import", help="validate a CSV or Parquet file and write it into the archive")
    imp.add_argument("file", type=Path, help="bars, trades or quotes (columns as for --data: docs/data.md)")
    imp.add_argument("--symbol", required=True, help="symbol to file it under (a folder name, e.g. BTCUSD)")
    imp.add_argument("--venue", default="imported", help="venue folder to file it under (default imported)")
    imp.add_argument("--kind", help="bars_<interval>, trades or quotes (default: told by the columns; bars get "
                                    "the most common gap between their timestamps)")
    imp.add_argument("--mode", choices=["merge", "overwrite"],
                     help="days already archived: merge the rows in, or overwrite those days (default: merge bars; "
                          "trades and quotes, not deduplicated, need a mode when a day is already there)")
    imp.add_argument("--out", type=Path, default=Path("data"), help="archive root (default data)")
    imp.set_defaults(run=_cmd_data_import)

    demo = sub.add_parser("demo", help="offline, no setup: the SMA bot on paper against the in-process simulator, "
                                       "recorded, then the backtest of its recording and their parity")
    demo.add_argument("--duration", type=float, default=30.0, help="seconds of paper trading (default 30)")
    demo.add_argument("--out", type=Path, help="archive to record the session into (default: scratch, removed)")
    demo.add_argument("--report", type=Path, default=Path("reports/demo"),
                      help="where the backtest's report goes (default reports/demo)")
    demo.set_defaults(run=_cmd_demo)

    run = sub.add_parser("run", help="run a bot from a YAML config (default venue: the local Syncron simulator)")
    run.add_argument("config", type=Path, help="bot config (YAML), e.g. configs/demo.yaml")
    run.add_argument("--duration", type=float, help="stop after this many seconds (default: until Ctrl-C)")
    run.add_argument("--endpoint", "--base-url", dest="endpoint",
                     help="Syncron endpoint: local (default), testnet, production or a base URL")
    run.add_argument("--no-embedded-sim", action="store_true",
                     help="never start the simulator in-process when the local venue is not running")
    run.set_defaults(run=_cmd_run)

    rec = sub.add_parser("record", help="record a venue's live data into the archive (no strategy)")
    rec.add_argument("config", type=Path, help="recorder config (YAML), e.g. configs/record_btc.yaml")
    rec.add_argument("--duration", type=float, help="stop after this many seconds (default: until Ctrl-C)")
    rec.add_argument("--endpoint", help="Syncron endpoint: local (default), testnet, production or a base URL")
    rec.add_argument("--root", type=Path, help="archive root (default: the config's record.root)")
    rec.add_argument("--no-embedded-sim", action="store_true",
                     help="never start the simulator in-process when the local venue is not running")
    rec.add_argument("--check", action="store_true", help="validate the config, print what it records, exit")
    rec.set_defaults(run=_cmd_record)

    arm = sub.add_parser("arm", help="re-arm a bot that halted (kill switch, error): it may trade again")
    arm.add_argument("config", type=Path, help="the bot's config (YAML): names its state file")
    arm.set_defaults(run=_cmd_arm)

    sim = sub.add_parser("sim", help="run the local venue simulators (the embedded default venues)")
    sim.add_argument("venue", choices=["syncron", "sintra", "all"])
    sim.add_argument("--host", default="127.0.0.1", help="interface to listen on (keep loopback)")
    sim.add_argument("--port", type=int, help="port of a single venue (default 8700 for syncron, 8701 for sintra)")
    sim.add_argument("--syncron-port", type=int, help="Syncron's port, also with 'all' (default 8700; 0: any free)")
    sim.add_argument("--sintra-port", type=int, help="Sintra's port, also with 'all' (default 8701; 0: any free)")
    sim.add_argument("--symbols", default="BTCUSD,ETHUSD", help="Syncron symbols, comma separated")
    sim.add_argument("--seed", type=int, help="seed of the synthetic market")
    sim.add_argument("--speed", type=float, help="market speed factor (1 = real time)")
    sim.set_defaults(run=_cmd_sim)

    down = data.add_parser("download", help="download price history into the archive (resumable)")
    down.add_argument("source", choices=["sintra"])
    down.add_argument("--pair", default="btcusd")
    down.add_argument("--interval", default="minute", choices=["minute", "hour", "day"])
    down.add_argument("--since", required=True, help="first time to download (UTC)")
    down.add_argument("--until", help="download up to, not including, this time (default: now)")
    down.add_argument("--out", type=Path, default=Path("data"), help="archive root")
    down.add_argument("--endpoint", help="local (default), production, or a base URL; key: BOTKIT_SINTRA__API_KEY")
    down.add_argument("--no-progress", action="store_true")
    down.set_defaults(run=_cmd_data_download)

    strategies = sub.add_parser("strategies", help="list installed strategy plugins with their parameters and defaults")
    strategies.set_defaults(run=_cmd_strategies)

    init = sub.add_parser("init", help="write a starter project into DIR: a strategy, a backtest spec, a bot config")
    init.add_argument("dir", type=Path, help="the project folder (new, or without those files)")
    init.set_defaults(run=_cmd_init)

    config_parser = sub.add_parser("config", help="check a bot config or backtest spec; print their JSON schema")
    config = config_parser.add_subparsers(dest="config_command", required=True)
    check = config.add_parser("check", help="validate FILE as run/backtest would and print the effective config")
    check.add_argument("file", type=Path, help="a bot config (configs/*.yaml) or backtest spec (backtests/*.yaml)")
    check.add_argument("--kind", choices=["bot", "backtest", "record"], help="what FILE is (default: told by its keys)")
    check.set_defaults(run=_cmd_config_check)
    schema = config.add_parser("schema", help="print the JSON schema of config files (editor completion)")
    schema.add_argument("--kind", choices=["bot", "backtest", "record"], help="only this kind (default: any, as oneOf)")
    schema.set_defaults(run=_cmd_config_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``botkit`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    from botkit.logging import configure_logging  # lazy: --help needs no structlog (start-up time)

    configure_logging(args.log_level, json=args.log_json)
    try:
        return int(args.run(args) or 0)
    except BotkitError as error:
        print(f"botkit: error: {bounded_message(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("botkit: interrupted", file=sys.stderr)
        return 130


def _cmd_backtest(args: argparse.Namespace) -> int:
    from botkit.backtest.cli_run import rerun_backtest_command, run_backtest_command
    from botkit.backtest.spec import load_spec

    if args.from_stats is not None:
        given = {"SPEC": args.spec, "--data": args.data, "--param": args.param or None, "--from": args.start,
                 "--to": args.end, "--engine": args.engine}
        return rerun_backtest_command(args.from_stats, out=args.out, progress=not args.no_progress,
                                      allow_changed_data=args.allow_changed_data,
                                      ignored=[name for name, value in given.items() if value is not None])
    if args.spec is None:
        raise ConfigError("botkit backtest needs a SPEC (a backtest YAML) or --from-stats STATS_JSON")
    if args.allow_changed_data:
        raise ConfigError("--allow-changed-data goes with --from-stats")
    spec = load_spec(args.spec)
    with _errors_name_a_file(args.spec, [args.data, spec.data.archive, spec.data.file, spec.data.recording]):
        _check_params(spec.strategy, args.param)
        _check_times(args.start, args.end)
        out = checked_output_dir(args.out, "--out") if args.out is not None \
            else checked_output_dir(spec.output_dir, f"{args.spec}: output folder")
        return run_backtest_command(
            args.spec, data=args.data, params=dict(args.param), start=args.start, end=args.end,
            out=out, engine=args.engine, progress=not args.no_progress,
        )


@contextmanager
def _errors_name_a_file(spec_path: Path, inputs: list[Path | None]) -> Iterator[None]:
    """An error of a run whose message names none of its files gets the spec's path in front.

    ``sma.yaml: cannot infer the bar interval ...`` says which run, as a file error does.
    """
    try:
        yield
    except BotkitError as error:
        named = [str(path) for path in (spec_path, *inputs) if path is not None]
        if error.args and isinstance(error.args[0], str) and not any(name in error.args[0] for name in named):
            error.args = (f"{spec_path}: {error.args[0]}", *error.args[1:])
        raise


def _check_params(strategy: str, params: list[tuple[str, Any]]) -> None:
    """Refuse a ``--param`` the strategy does not have, listing the ones it has (before any data is read)."""
    if params:
        from botkit.strategy.loader import check_param_names, load_strategy_class

        check_param_names(load_strategy_class(strategy), [key for key, _ in params], "--param", strategy)


def _check_times(start: str | None, end: str | None) -> None:
    """Refuse a ``--from``/``--to`` that is no ISO date or time, or one outside the nanosecond range."""
    from botkit.core.clock import to_ns
    from botkit.core.config_model import check_time_range

    for flag, value in (("--from", start), ("--to", end)):
        if value is None:
            continue
        try:
            to_ns(value)
            check_time_range(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError as error:
            reason = error if "between" in str(error) else "is not an ISO date or time such as 2024-01-01"
            raise ConfigError(f"{flag} {value!r}: {reason}") from None


def _cmd_optimize(args: argparse.Namespace) -> int:
    from botkit.backtest.spec import load_spec

    spec = load_spec(args.spec)
    with _errors_name_a_file(args.spec, [args.data, spec.data.archive, spec.data.file, spec.data.recording]):
        _check_params(spec.strategy, args.param)
        _check_times(args.start, args.end)
        return _run_optimize(args)  # which checks --out (or the default folder) before any work


def _run_optimize(args: argparse.Namespace) -> int:
    from botkit.optimize.cli_run import run_optimize_command

    options = {"grid": args.grid, "where": args.where, "random": args.random, "seed": args.seed,
               "metric": args.metric, "walk_forward": args.walk_forward, "anchored": args.anchored or None,
               "scheduler": args.scheduler, "workers": args.workers, "threads": args.threads,
               "chunk_size": args.chunk_size, "resume": not args.no_resume}
    overrides = {"data": args.data, "params": dict(args.param), "start": args.start, "end": args.end, "engine": None}
    if args.top < 1:
        raise ConfigError(f"--top must be >= 1, got {args.top}")
    return run_optimize_command(args.spec, options=options, overrides=overrides, out=args.out, top=args.top,
                                progress=not args.no_progress, report=not args.no_report)


def _cmd_data_generate(args: argparse.Namespace) -> int:
    from botkit.core.clock import to_ns
    from botkit.data.synthetic import generate_archive
    from botkit.data.synthetic_book import generate_book_archive

    if args.trades is not None:
        kind, n = "trades", args.trades
    elif args.quotes is not None:
        kind, n = "quotes", args.quotes
    elif args.book is not None:
        kind, n = "book", args.book
    else:
        kind, n = f"bars_{args.interval}", args.bars if args.bars is not None else 100_000
    if not 0 < n <= MAX_GENERATED_ROWS:
        raise ConfigError(f"number of rows must be from 1 to {MAX_GENERATED_ROWS:,}, got {n:,}")
    checked_output_dir(args.out, "--out")
    try:
        start = to_ns(args.start)
    except ValueError as error:
        raise ConfigError(f"--start {args.start!r} is not a date or time: {error}") from None
    if kind == "book":
        paths = generate_book_archive(args.out, symbol=args.symbol, n=n, start_ns=start, seed=args.seed,
                                      venue=args.venue)
    else:
        paths = generate_archive(
            args.out, symbol=args.symbol, n=n, kind=kind, start_ns=start, seed=args.seed, venue=args.venue
        )
    where = args.out / args.venue / args.symbol / ("book_*" if kind == "book" else kind)
    print(f"wrote {n:,} {kind} of {args.symbol} into {len(paths)} day files under {where}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from botkit.demo import run_demo_command
    from botkit.logging import configure_logging

    _check_duration(args.duration)
    for flag, path in (("--out", args.out), ("--report", args.report)):
        if path is not None:
            checked_output_dir(path, flag)
    if args.log_level == "info":  # the status line is the demo's output: only warnings interrupt it
        configure_logging("warning", json=args.log_json)
    return run_demo_command(args.duration, out=args.out, report_dir=args.report)


def _endpoint_flag(value: str) -> str:
    """``--endpoint`` checked as ``venue.endpoint`` is, so its error names the flag, not the variable it sets."""
    from botkit.core.config_model import http_base_url

    try:
        return http_base_url(value, ("local", "testnet", "production"))
    except ValueError as error:
        raise ConfigError(f"--endpoint: {error}") from None


def _cmd_run(args: argparse.Namespace) -> int:
    from botkit.live.cli_run import run_bot_command

    _check_duration(args.duration)
    if args.endpoint is not None:
        os.environ["BOTKIT_VENUE__ENDPOINT"] = _endpoint_flag(args.endpoint)  # the config's documented env override
    return run_bot_command(args.config, args.duration, embedded_sim=not args.no_embedded_sim)


def _cmd_record(args: argparse.Namespace) -> int:
    from botkit.live.cli_record import run_record_command
    from botkit.settings import load_recorder_config

    _check_duration(args.duration)
    if args.endpoint is not None:
        os.environ["BOTKIT_VENUE__ENDPOINT"] = _endpoint_flag(args.endpoint)  # the config's documented env override
    if args.root is not None:
        os.environ["BOTKIT_RECORD__ROOT"] = str(args.root)
    if args.check:
        config = load_recorder_config(args.config)
        print(f"{args.config}: ok; records {', '.join(config.record.kinds)} of {', '.join(config.symbols)} "
              f"from syncron ({config.venue.endpoint}) into {config.record.root}")
        return 0
    return run_record_command(args.config, args.duration, embedded_sim=not args.no_embedded_sim)


def _check_duration(duration: float | None) -> None:
    if duration is not None and not 0 < duration < math.inf:  # nan and inf would never stop
        raise ConfigError(f"--duration must be > 0 seconds, got {duration}")


def _cmd_arm(args: argparse.Namespace) -> int:
    from botkit.live.state import StateStore
    from botkit.settings import load_bot_config

    config = load_bot_config(args.config)
    store = StateStore(config.state_file())
    reason = store.arm()
    if reason is None:
        print(f"{config.name}: not halted ({store.path}); nothing to do")
    else:
        print(f"{config.name}: re-armed ({store.path}); it had halted because: {reason}")
    return 0


def _cmd_data_download(args: argparse.Namespace) -> int:
    from botkit.venues.sintra.cli_download import run_download_command

    return run_download_command(
        pair=args.pair, interval=args.interval, since=args.since, until=args.until, out=args.out,
        endpoint=args.endpoint, progress=not args.no_progress,
    )


def _cmd_sim(args: argparse.Namespace) -> int:
    from botkit.sim.cli_serve import run_sim_command  # lazy: only the simulators need the network stack

    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    if not symbols:
        raise ConfigError(f"--symbols needs at least one symbol, got {args.symbols!r}")
    return run_sim_command(args.venue, host=args.host, port=args.port, syncron_port=args.syncron_port,
                           sintra_port=args.sintra_port, symbols=symbols, seed=args.seed, speed=args.speed)


def _cmd_config_check(args: argparse.Namespace) -> int:
    from botkit.config_check import check_config, effective_yaml

    print(effective_yaml(check_config(args.file, args.kind)), end="")
    return 0


def _cmd_config_schema(args: argparse.Namespace) -> int:
    from botkit.config_check import schema_json

    print(schema_json(args.kind), end="")
    return 0


def _cmd_strategies(args: argparse.Namespace) -> int:
    from botkit.console import make_console, print_table
    from botkit.strategy.catalog import installed_strategies

    entries = installed_strategies()
    rows = [[e.name, e.target, e.forms or "-", e.params_text if e.error is None else f"failed to load: {e.error}"]
            for e in entries]
    print_table(make_console(), ["name", "target", "forms", "parameters (defaults)"], rows,
                wrap=["target", "parameters (defaults)"])
    return 0


def _cmd_data_ls(args: argparse.Namespace) -> int:
    from botkit.data.cli_data import run_ls_command

    return run_ls_command(args.root, venue=args.venue, symbol=args.symbol, kind=args.kind)


def _cmd_data_import(args: argparse.Namespace) -> int:
    from botkit.data.cli_data import run_import_command

    return run_import_command(args.file, args.out, venue=args.venue, symbol=args.symbol, kind=args.kind,
                              mode=args.mode)


def _cmd_init(args: argparse.Namespace) -> int:
    from botkit.cli_init import run_init_command

    return run_init_command(args.dir)


if __name__ == "__main__":
    raise SystemExit(main())
