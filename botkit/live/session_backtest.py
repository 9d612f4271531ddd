"""The backtest of a bot's recorded session: the spec that replays it with the bot's own settings.

A paper session and the backtest of its recording make the same orders and fills when the
backtest uses the bot's strategy and parameters, capital, sizing, paper fees, slippage and
latency, the venue's trading rules (tick, lot, minimum notional) and the risk limits both sides
know (docs/live.md, "Replay parity"). ``session_spec`` writes that spec from the bot's config; it
is a plain backtest spec (``botkit backtest`` runs it too, saved as YAML).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from botkit.backtest.spec import BacktestSpec, validate_spec
from botkit.core.errors import ConfigError
from botkit.data.sessions import SessionRef
from botkit.model.instruments import Instrument
from botkit.risk.rules import RiskLimits
from botkit.settings import BotConfig

_REPLAYED_KIND = {"quotes": "quotes", "trades": "trades", "bars": "bars", "book": "book"}
"""What the strategy saw live (``engine.market_data``) → the backtest's ``data.kind``."""


def session_spec(
    config: BotConfig,
    instruments: Mapping[str, Instrument],
    *,
    venue: str,
    session: SessionRef = "last",
    root: Path | None = None,
    output: Path | None = None,
) -> BacktestSpec:
    """The backtest of ``config``'s recorded ``session`` on ``venue`` (the archive ``root``, default its record.root).

    ``instruments`` are the venue's trading rules the bot ran with (``LiveEngine.host.instruments``).
    """
    kind = _REPLAYED_KIND.get(config.engine.market_data)
    if kind is None:
        raise ConfigError(
            f"bot {config.name!r}: engine.market_data {config.engine.market_data!r} cannot be replayed yet; "
            f"replay parity covers {', '.join(_REPLAYED_KIND)}"
        )
    if root is None:
        if config.record is None:
            raise ConfigError(f"bot {config.name!r} has no record: section, so no recording to backtest")
        root = config.record.root
    data: dict[str, Any] = {"recording": str(root), "session": session, "venue": venue, "kind": kind,
                            "symbols": list(config.symbols)}
    if kind == "book":
        data["book_depth"] = config.engine.book_levels
    if kind == "bars":
        data["bar_interval"] = config.engine.bar_interval or "1m"
    paper = config.paper
    values: dict[str, Any] = {
        "name": f"{config.name}_replay",
        "strategy": config.strategy,
        "params": dict(config.params),
        "engine": "python",
        "data": data,
        "capital": config.capital,
        "sizing": config.sizing.model_dump(exclude_none=True),
        "fees": paper.fees.model_dump(),
        "slippage": paper.slippage.model_dump(),
        "latency_ns": paper.latency_ns,
        "instruments": {symbol: {"tick_size": instruments[symbol].tick_size, "lot_size": instruments[symbol].lot_size,
                                 "min_notional": instruments[symbol].min_notional} for symbol in config.symbols},
        "risk": config.risk.model_dump(include=set(RiskLimits.model_fields)),
    }
    if output is not None:
        values["output"] = {"dir": str(output)}
    return validate_spec(values, f"the backtest of bot {config.name!r}'s recording")
