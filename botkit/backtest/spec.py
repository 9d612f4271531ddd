"""Backtest specs: the YAML files in ``backtests/``, validated with pydantic at the boundary."""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from botkit.core.config_model import (
    INT64_MAX,
    MAX_LATENCY_NS,
    MAX_MONEY,
    MAX_PRICE_STEP,
    MAX_QUANTITY,
    ConfigModel,
    FolderPath,
)
from botkit.core.config_problems import config_error_from
from botkit.core.echo import echo
from botkit.core.errors import ConfigError, DataError
from botkit.core.yaml_document import YamlDocument, load_config_file
from botkit.data.kinds import interval_to_ns
from botkit.data.layout import check_name
from botkit.data.sessions import SessionRef
from botkit.model.instruments import Instrument
from botkit.risk.rules import RiskLimits
from botkit.strategy.loader import check_strategy_ref

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
"""A backtest's name: it names its folder under ``reports/``, so it is a name, never a path."""
INPUT_PATHS = ("archive", "file", "recording")
"""The ``data`` paths a spec reads: relative ones are taken from the spec file's folder."""
DataKind = Literal["bars", "trades", "quotes", "book"]
FILL_PRICES: dict[str, str] = {"bars": "next_open", "trades": "next_trade", "quotes": "quote", "book": "quote"}
DEFAULT_BOOK_DEPTH = 10
"""Levels per side of the book view ``on_book`` gets when ``data.book_depth`` is not set."""


class DataSpec(ConfigModel):
    """Where the events come from: an archive (root + venue + symbols), one file, or a recorded session."""

    kind: DataKind = "bars"
    symbols: list[str] = Field(default_factory=lambda: ["BTCUSD"], min_length=1)
    archive: Path | None = None
    venue: str = "synthetic"
    file: Path | None = None
    recording: Path | None = Field(
        None, description="archive root a live session was recorded into (relative: to the spec file's folder); "
                          "the backtest replays that session's events (docs/backtesting.md, Replay parity)")
    session: SessionRef | None = Field(
        None, description="with recording: which session, first, last (default), its number (-1: the last) "
                          "or a time inside it")
    bar_interval: str | None = None
    book_depth: int | None = Field(None, ge=1, le=1000)
    start: datetime | date | None = None
    end: datetime | date | None = None
    chunk_rows: int = Field(4_000_000, gt=0, le=100_000_000)

    @field_validator("bar_interval")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            _check_interval(value)
        return value

    @field_validator("symbols")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            twice = sorted(symbol for symbol, count in Counter(value).items() if count > 1)
            raise ValueError(f"symbols must be unique, got {echo(twice)} more than once")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        sources = [name for name in ("archive", "file", "recording") if getattr(self, name) is not None]
        if len(sources) > 1:
            raise ValueError(f"give one of data.archive, data.file and data.recording, got {' and '.join(sources)}")
        if self.session is not None and self.recording is None:
            raise ValueError(f"data.session {self.session!r} needs data.recording (the archive it was recorded into)")
        if self.file is not None and len(self.symbols) != 1:
            raise ValueError("data.file holds one symbol; list exactly one in data.symbols")
        if self.kind == "book" and self.file is not None:
            raise ValueError("data.kind book is read from an archive (book_snapshots, book_deltas): give data.archive")
        if self.book_depth is not None and self.kind != "book":
            raise ValueError(f"data.book_depth {self.book_depth} needs data.kind book, got {self.kind!r}")
        return self

    @field_validator("venue")
    @classmethod
    def _venue_folder(cls, value: str) -> str:
        return _folder_name("venue", value)

    @field_validator("symbols")
    @classmethod
    def _symbol_folders(cls, value: list[str]) -> list[str]:
        for symbol in value:
            _folder_name("symbol", symbol)
        return value

    @property
    def book_levels(self) -> int:
        """Levels per side of the book view ``on_book`` gets (``book_depth``, default 10)."""
        return self.book_depth or DEFAULT_BOOK_DEPTH

    @property
    def fill_price(self) -> str:
        """What orders fill against: as ``FILL_PRICES``, but a recorded bars session fills on its quotes, as paper."""
        return "quote" if self.recording is not None and self.kind == "bars" else FILL_PRICES[self.kind]

    @property
    def archive_kind(self) -> str:
        """The archive folder name: ``bars_<interval>`` for bars, else the kind."""
        return f"bars_{self.bar_interval or '1m'}" if self.kind == "bars" else self.kind


class SizingSpec(ConfigModel):
    """How orders without a quantity are sized: exactly one of the three rules."""

    fixed_quantity: float | None = Field(None, gt=0, le=MAX_QUANTITY)
    fixed_notional: float | None = Field(None, gt=0, le=MAX_MONEY)
    fraction_of_equity: float | None = Field(None, gt=0, le=10)

    @model_validator(mode="after")
    def _exactly_one(self) -> SizingSpec:
        chosen = [k for k, v in self.model_dump().items() if v is not None]
        if len(chosen) > 1:
            raise ValueError(f"choose one sizing rule, got {chosen}")
        return self

    def rule(self) -> tuple[str, float]:
        """The chosen rule's name and value (default: fixed quantity 1)."""
        for name, value in self.model_dump().items():
            if value is not None:
                return name, float(value)
        return "fixed_quantity", 1.0


class FeesSpec(ConfigModel):
    """Maker and taker fees in basis points of notional."""

    maker_bps: float = Field(0.0, ge=0, le=1000)
    taker_bps: float = Field(0.0, ge=0, le=1000)


class SlippageSpec(ConfigModel):
    """Slippage of market and stop orders: in basis points or in ticks, not both."""

    bps: float = Field(0.0, ge=0, le=10_000)
    ticks: float = Field(0.0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _one_unit(self) -> SlippageSpec:
        if self.bps and self.ticks:
            raise ValueError("give slippage in bps or in ticks, not both")
        return self


class InstrumentSpec(ConfigModel):
    """Trading rules of a symbol; 0 means no rule."""

    tick_size: float = Field(0.0, ge=0, le=MAX_PRICE_STEP)
    lot_size: float = Field(0.0, ge=0, le=MAX_PRICE_STEP)
    min_notional: float = Field(0.0, ge=0, le=MAX_MONEY)


class OutputSpec(ConfigModel):
    """Where results go (a relative folder is taken from the working directory, as ``--out``)."""

    dir: FolderPath | None = None


class WalkForwardSpec(ConfigModel):
    """Walk-forward windows on the calendar: optimize over ``train``, then trade the best over ``test``."""

    train: str
    test: str
    anchored: bool = False

    @model_validator(mode="after")
    def _intervals(self) -> WalkForwardSpec:
        _check_interval(self.train)
        _check_interval(self.test)
        return self


class OptimizeSpec(ConfigModel):
    """What ``botkit optimize`` sweeps when the command line gives no ``--grid``."""

    grid: dict[str, str | list[Any] | int | float] = Field(default_factory=dict)
    """Parameter -> range text (``"5:50:5"``, end inclusive) or a list of values."""
    constraints: list[str] = Field(default_factory=list)
    """Expressions every combination must satisfy, e.g. ``"fast < slow"``."""
    metric: str = "sharpe"
    random: int | None = Field(None, gt=0, le=10_000_000)
    """Sample this many combinations instead of the whole grid."""
    seed: int = Field(0, ge=0, le=INT64_MAX)
    walk_forward: WalkForwardSpec | None = None


class BacktestSpec(ConfigModel):
    """One backtest: data, strategy and parameters, money, costs, fill model and risk limits."""

    name: str = Field("backtest", description="names the report folder reports/<name>: letters, digits, '_', '.', '-'")
    strategy: str
    params: dict[str, Any] = Field(default_factory=dict)
    engine: Literal["auto", "compiled", "python"] = "auto"
    data: DataSpec = Field(default_factory=DataSpec)
    capital: float = Field(100_000.0, gt=0, le=MAX_MONEY)
    sizing: SizingSpec = Field(default_factory=SizingSpec)
    fees: FeesSpec = Field(default_factory=FeesSpec)
    slippage: SlippageSpec = Field(default_factory=SlippageSpec)
    fill_price: Literal["next_open", "next_trade", "quote"] | None = None
    latency_ns: int = Field(0, ge=0, le=MAX_LATENCY_NS, description="at most one day")
    instrument: InstrumentSpec = Field(default_factory=InstrumentSpec)
    instruments: dict[str, InstrumentSpec] = Field(default_factory=dict)
    risk: RiskLimits = Field(default_factory=RiskLimits)
    equity_resolution: str | None = None
    max_working_orders: int = Field(1024, gt=0, le=1_000_000)
    output: OutputSpec = Field(default_factory=OutputSpec)
    optimize: OptimizeSpec | None = None

    @field_validator("strategy", mode="before")
    @classmethod
    def _class_reference(cls, value: Any) -> Any:
        """A Strategy class given in Python is kept as ``module:qualname`` (``__main__:Cls`` in a notebook)."""
        if not isinstance(value, type):
            return value
        if "." in value.__qualname__:
            raise ValueError(f"the class {value.__qualname__!r} is defined inside a function or a class, so "
                             f"'{value.__module__}:Class' cannot name it: define it at the top level of its module "
                             "or notebook")
        return f"{value.__module__}:{value.__qualname__}"

    @field_validator("strategy")
    @classmethod
    def _strategy_ref(cls, value: str) -> str:
        return check_strategy_ref(value)

    @field_validator("equity_resolution")
    @classmethod
    def _resolution(cls, value: str | None) -> str | None:
        if value is not None:
            _check_interval(value)
        return value

    @field_validator("name")
    @classmethod
    def _name_not_path(cls, value: str) -> str:
        if not re.fullmatch(NAME_PATTERN, value):
            raise ValueError(f"a name, not a path (it names the folder reports/<name>): up to 80 letters, digits, "
                             f"'_', '.' and '-', starting with a letter or digit, got {echo(value)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BacktestSpec:
        expected = self.data.fill_price
        if self.fill_price is not None and self.fill_price != expected:
            raise ValueError(
                f"fill_price {self.fill_price!r} does not fit data.kind {self.data.kind!r} (use {expected!r})"
            )
        unknown = set(self.instruments) - set(self.data.symbols)
        if unknown:
            raise ValueError(f"instruments lists symbols not in data.symbols: {sorted(unknown)}")
        if self.slippage.ticks and any(i.tick_size <= 0 for i in self.instrument_specs().values()):
            raise ValueError("slippage.ticks needs instrument.tick_size > 0 for every symbol")
        return self

    @property
    def output_dir(self) -> Path:
        """Where ``botkit backtest`` writes results without ``--out``: ``output.dir``, else ``reports/<name>``."""
        return self.output.dir if self.output.dir is not None else Path("reports") / self.name

    def instrument_specs(self) -> dict[str, InstrumentSpec]:
        """The trading rules of each symbol (per-symbol entries override ``instrument``)."""
        return {s: self.instruments.get(s, self.instrument) for s in self.data.symbols}

    def model_instruments(self, venue: str) -> tuple[Instrument, ...]:
        """The symbols as model instruments, in replay order."""
        return tuple(
            Instrument(symbol=s, venue=venue, tick_size=i.tick_size, lot_size=i.lot_size, min_notional=i.min_notional)
            for s, i in self.instrument_specs().items()
        )

    def with_overrides(self, **changes: Any) -> BacktestSpec:
        """A copy with nested changes applied (``{"data": {"start": ...}}`` style), re-validated."""
        merged = _deep_merge(self.model_dump(mode="python"), changes)
        return validate_spec(merged, "overrides")


def _folder_name(what: str, value: str) -> str:
    try:
        return check_name(what, value)
    except ConfigError as error:
        raise ValueError(str(error)) from None


def _check_interval(value: str) -> None:
    try:
        interval_to_ns(value)
    except DataError as error:
        raise ValueError(str(error)) from None


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def validate_spec(values: Any, source: str, document: YamlDocument | None = None) -> BacktestSpec:
    """A BacktestSpec from parsed YAML/dict; ConfigError names the file, each key and bad value.

    Given the ``document`` the values were read from, errors name the line and column too, and
    relative ``data.archive``, ``data.file`` and ``data.recording`` are taken from its folder.
    """
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: a backtest spec must be a mapping of keys, got {type(values).__name__}")
    try:
        spec = BacktestSpec.model_validate(values)
    except ValidationError as error:
        raise config_error_from(
            error, source=source, model=BacktestSpec, what="backtest spec", document=document,
        ) from None
    return spec if document is None else resolve_input_paths(spec, Path(document.source).parent)


def resolve_input_paths(spec: BacktestSpec, folder: Path) -> BacktestSpec:
    """``spec`` with its relative data paths taken from ``folder`` (made absolute, so messages show them whole).

    A spec beside its data keeps working from any working directory, as config files do.
    """
    moved = {name: Path(os.path.abspath(folder / path)) for name in INPUT_PATHS
             if (path := getattr(spec.data, name)) is not None and not path.is_absolute()}
    return spec.model_copy(update={"data": spec.data.model_copy(update=moved)}) if moved else spec


def load_spec(path: str | Path) -> BacktestSpec:
    """Read and validate a backtest spec file; relative data paths are taken from the file's folder."""
    document = load_spec_document(path)
    return validate_spec(document.data, document.source, document)


def load_spec_document(path: str | Path) -> YamlDocument:
    """The parsed YAML of a backtest spec file with the position of every key (not yet validated)."""
    return load_config_file(path, "backtest spec")
