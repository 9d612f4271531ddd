"""What a replay produced, in the same form for the compiled and the Python path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from botkit.backtest._enums import (
    F_FEE,
    F_INST,
    F_LIQUIDITY,
    F_ORDER,
    F_PRICE,
    F_QTY,
    F_SIDE,
    F_TS,
    LIQUIDITY_MAKER,
    LIQUIDITY_TAKER,
    R_INST,
    R_REASON,
    R_SIDE,
    R_TS,
    REJECT_MAX_ORDER_NOTIONAL,
    REJECT_MAX_ORDER_QTY,
    REJECT_MAX_POSITION,
    REJECT_NO_SHORT,
    REJECT_QTY_ZERO,
    REJECT_TOO_MANY_ORDERS,
)

LIQUIDITY_NAMES = ["maker", "taker"]  # indexed by the kernels' liquidity codes
assert LIQUIDITY_NAMES.index("maker") == LIQUIDITY_MAKER and LIQUIDITY_NAMES.index("taker") == LIQUIDITY_TAKER

REJECT_REASONS = {
    REJECT_QTY_ZERO: "quantity is zero after sizing and lot rounding",
    REJECT_MAX_ORDER_QTY: "order quantity above risk.max_order_qty",
    REJECT_MAX_ORDER_NOTIONAL: "order notional above risk.max_order_notional",
    REJECT_MAX_POSITION: "position would exceed risk.max_position",
    REJECT_NO_SHORT: "order would open a short position and risk.allow_short is false",
    REJECT_TOO_MANY_ORDERS: "too many working orders",
}


@dataclass
class ReplayOutcome:
    """Fills, rejections, equity points and final account state of one replay."""

    symbols: tuple[str, ...]
    fill_ints: np.ndarray
    fill_floats: np.ndarray
    reject_ints: np.ndarray
    equity_ts: np.ndarray
    equity: np.ndarray
    cash: float
    fees: float
    positions: np.ndarray
    last_prices: np.ndarray
    events: int
    exposed_events: int
    reject_texts: list[str] | None = None

    @property
    def final_equity(self) -> float:
        """Cash plus open positions marked at their last prices."""
        return float(self.cash + float(np.dot(self.positions, self.last_prices)))

    def fills_frame(self) -> pd.DataFrame:
        """The fill log: ts (ns), symbol (categorical), side (+1/-1), qty, price, fee, liquidity, order_id."""
        ints, floats = self.fill_ints, self.fill_floats
        return pd.DataFrame(
            {
                "ts": ints[:, F_TS].astype(np.int64),
                "symbol": pd.Categorical.from_codes(ints[:, F_INST], categories=list(self.symbols)),
                "side": ints[:, F_SIDE].astype(np.int64),
                "qty": floats[:, F_QTY],
                "price": floats[:, F_PRICE],
                "fee": floats[:, F_FEE],
                "liquidity": pd.Categorical.from_codes(ints[:, F_LIQUIDITY], categories=LIQUIDITY_NAMES),
                "order_id": ints[:, F_ORDER].astype(np.int64),
            }
        )

    def rejections_frame(self) -> pd.DataFrame:
        """Rejected intents: ts (ns), symbol, side, reason."""
        ints = self.reject_ints
        symbols = np.array(self.symbols, dtype=object)
        return pd.DataFrame(
            {
                "ts": ints[:, R_TS].astype(np.int64),
                "symbol": symbols[ints[:, R_INST]] if len(ints) else np.array([], dtype=object),
                "side": ints[:, R_SIDE].astype(np.int64),
                "reason": self.reject_texts
                if self.reject_texts is not None
                else [REJECT_REASONS[int(r)] for r in ints[:, R_REASON]],
            }
        )

    def equity_series(self) -> pd.Series:
        """Equity points indexed by UTC time."""
        index = pd.to_datetime(self.equity_ts, unit="ns", utc=True)
        return pd.Series(self.equity, index=index, name="equity")
