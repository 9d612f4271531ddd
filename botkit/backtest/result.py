"""What a backtest returns: stats, trades, fills, equity, and ways to look at them."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from botkit.backtest.benchmark import buy_and_hold_curve, buy_and_hold_return, marks_of
from botkit.backtest.outcome import KillSwitchTrip, ReplayOutcome
from botkit.backtest.provenance import RUN_KEY
from botkit.backtest.spec import BacktestSpec
from botkit.backtest.stats import stats_from_arrays, stats_to_json
from botkit.data.atomic import atomic_write

if TYPE_CHECKING:  # pandas and the report are imported when first needed (start-up time)
    import pandas as pd


PricesSource = Mapping[str, "pd.Series"] | Callable[[], Mapping[str, "pd.Series"]]
"""Mark prices (or volumes) per symbol, or a function that builds them on first use."""

Marks = tuple[np.ndarray, np.ndarray]
"""Each symbol's first and last mark price of the run, in ``spec.data.symbols`` order."""


class BacktestResult:
    """The outcome of ``botkit.backtest``: ``stats`` (dict), ``trades``, ``fills``, ``equity`` (pandas).

    ``rejections`` has one row per refused intent (``code`` is a ``botkit.risk.rejection.RejectCode``
    value); ``kill_switch`` says when and why the kill switch fired, None if it did not. ``orders``
    lists the orders accepted, in submission order (the event-driven paths; None from the compiled
    path, which does not log them). Every frame's times are ``datetime64[ns, UTC]`` and its order
    sides ``"buy"``/``"sell"`` (a round trip's side in ``trades`` is ``"long"``/``"short"``).

    The statistics are computed from the replay's arrays when the result is made; each pandas
    object (``trades``, ``fills``, ``rejections``, ``equity``, ``prices``, ``volumes``,
    ``buy_and_hold``, ``orders``) is built on its first access and kept, so a run that only reads
    ``stats`` never pays for them. ``provenance`` is what ``stats.json`` keeps under ``run``: the
    effective spec, full parameters, data hash, botkit version and engine path.
    """

    def __init__(self, spec: BacktestSpec, outcome: ReplayOutcome, prices: PricesSource, engine: str, *,
                 volumes: PricesSource | None = None, marks: Marks | None = None) -> None:
        self.spec = spec
        self.engine = engine
        self.outcome = outcome
        """The replay's arrays: fill and rejection logs, equity points, final account state."""
        self._provenance: dict[str, Any] | Callable[[], dict[str, Any]] | None = None
        self._prices = prices
        self._volumes: PricesSource = volumes if volumes is not None else {}
        self._walk = outcome.fill_walk()
        self.kill_switch: KillSwitchTrip | None = outcome.kill_switch_trip
        exposure = outcome.exposed_events / outcome.events if outcome.events else 0.0
        stats: dict[str, Any] = stats_from_arrays(
            outcome.equity_ts, outcome.equity, self._walk.pnl, initial_capital=spec.capital, fees=outcome.fees,
            exposure=exposure,
        )
        stats["final_equity"] = outcome.final_equity
        stats["total_return"] = outcome.final_equity / spec.capital - 1.0
        stats["buy_and_hold_return"] = buy_and_hold_return(*(marks if marks is not None else marks_of(self.prices)))
        stats["excess_return"] = stats["total_return"] - stats["buy_and_hold_return"]
        stats["events"] = outcome.events
        stats["rejected_orders"] = len(outcome.reject_ints)
        stats["open_positions"] = int((outcome.positions != 0).sum())
        stats["engine"] = engine
        if self.kill_switch is not None:
            stats["kill_switch"] = f"{self.kill_switch.code.value} at {self.kill_switch.time.isoformat()}"
        self.stats = stats

    @property
    def provenance(self) -> dict[str, Any] | None:
        """How to rerun this result (``botkit.backtest.provenance.run_record``), made on first access.

        ``botkit.backtest`` sets it as a function: the data's content hash (tens of milliseconds a
        million bars) is computed when it is first needed (``save``, ``stats.json``), not by every run.
        """
        if callable(self._provenance):
            self._provenance = self._provenance()
        return self._provenance

    @provenance.setter
    def provenance(self, value: dict[str, Any] | Callable[[], dict[str, Any]] | None) -> None:
        self._provenance = value

    @classmethod
    def from_outcome(cls, spec: BacktestSpec, outcome: ReplayOutcome, prices: PricesSource, engine: str, *,
                     volumes: PricesSource | None = None, marks: Marks | None = None) -> BacktestResult:
        """Derive trades and statistics from a replay's outcome (``prices`` and ``volumes`` may be built lazily).

        ``marks`` are the symbols' first and last mark prices (for ``buy_and_hold_return``); without
        them they are read off ``prices``.
        """
        return cls(spec, outcome, prices, engine, volumes=volumes, marks=marks)

    @cached_property
    def trades(self) -> pd.DataFrame:
        """Closed round trips, one row per trip (``botkit.portfolio.round_trips``'s columns)."""
        return self._walk.frame()

    @cached_property
    def fills(self) -> pd.DataFrame:
        """The fill log: ts (UTC datetime), symbol, side ("buy"/"sell"), qty, price, fee, liquidity, order_id."""
        return self.outcome.fills_frame()

    @cached_property
    def rejections(self) -> pd.DataFrame:
        """Refused intents: ts (UTC datetime), symbol, side ("buy"/"sell"), code, reason."""
        return self.outcome.rejections_frame()

    @cached_property
    def equity(self) -> pd.Series:
        """Equity points indexed by UTC time (one per event, or per ``equity_resolution`` bucket)."""
        return self.outcome.equity_series()

    @cached_property
    def orders(self) -> pd.DataFrame | None:
        """The orders accepted, in submission order (ts in UTC, side "buy"/"sell"); None from the compiled path."""
        return self.outcome.orders_frame()

    @cached_property
    def prices(self) -> dict[str, pd.Series]:
        """Mark prices per symbol (min/max per bucket), indexed by UTC time, for the report's price chart."""
        source = self._prices
        return dict(source() if callable(source) else source)

    @cached_property
    def volumes(self) -> dict[str, pd.Series]:
        """Traded volume per symbol (bars' volume, trades' size, summed per kept bucket); empty for quotes."""
        source = self._volumes
        return dict(source() if callable(source) else source)

    @cached_property
    def buy_and_hold(self) -> pd.Series:
        """The capital bought into the symbols at their first price, equal weights, and held (``benchmark``)."""
        return buy_and_hold_curve(self.prices, self.spec.capital)

    @property
    def title(self) -> str:
        """A one-line description of the run."""
        symbols = ",".join(self.spec.data.symbols)
        return f"{self.spec.name}: {self.spec.strategy} on {symbols} ({self.spec.data.kind})"

    def stats_document(self) -> dict[str, Any]:
        """``stats.json`` as data: the statistics (non-finite values as None) and the ``run`` record."""
        document: dict[str, Any] = json.loads(stats_to_json(self.stats))
        if self.provenance is not None:
            document[RUN_KEY] = self.provenance
        return document

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write stats.json, spec.yaml (the spec as run), trades.parquet, fills.parquet and report.html.

        ``botkit backtest --from-stats out_dir/stats.json`` (or ``botkit backtest out_dir/spec.yaml``,
        without the data check) runs it again.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "stats": out / "stats.json",
            "spec": out / "spec.yaml",
            "trades": out / "trades.parquet",
            "fills": out / "fills.parquet",
            "report": out / "report.html",
        }
        with atomic_write(paths["stats"]) as handle:
            handle.write((json.dumps(self.stats_document(), indent=2) + "\n").encode())
        if self.provenance is not None:
            with atomic_write(paths["spec"]) as handle:
                handle.write(yaml.safe_dump(self.provenance["spec"], sort_keys=False).encode())
        else:
            del paths["spec"]
        for key in ("trades", "fills"):
            frame = self.trades if key == "trades" else self.fills
            with atomic_write(paths[key]) as handle:
                frame.to_parquet(handle, index=False)
        self.plot(paths["report"])
        return paths

    def plot(self, path: str | Path | None = None) -> Path:
        """Write the self-contained HTML report (to a temporary file by default) and return its path.

        In Jupyter the report is also shown inline.
        """
        from botkit.backtest.report import write_report  # lazy: the report's plotting code (start-up time)

        target = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="botkit-")) / "report.html"
        write_report(
            target, title=self.title, stats=self.stats, equity=self.equity, trades=self.trades,
            prices=self.prices, volumes=self.volumes, benchmark=self.buy_and_hold,
            parameters=self.report_parameters(), kill_switch=self.kill_switch,
        )
        _show_in_notebook(target)
        return target


    def report_parameters(self) -> dict[str, Any]:
        """What the report's Parameters section lists: the run record (without each file's hash), then the spec."""
        if self.provenance is None:
            return self.spec.model_dump(mode="json")
        record = self.provenance
        data = record["data"]
        run = {
            "botkit_version": record["botkit_version"], "engine": record["engine"],
            "strategy_class": record["strategy_class"], "data_source": data["source"], "data_root": data["root"],
            "data_sha256": data["sha256"], "data_bytes": data["bytes"],
            "data_files": len(data.get("files", data.get("symbols", {}))),
        }
        return {RUN_KEY: run, **record["spec"]}


def _show_in_notebook(path: Path) -> None:
    try:
        from IPython import get_ipython  # optional: only inside notebooks
        from IPython.display import HTML, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(HTML(path.read_text(encoding="utf-8")))
