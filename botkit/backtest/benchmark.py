"""Buy and hold: what the capital would have made bought into the symbols at the start and held.

The capital is split equally between the symbols; each share buys its symbol at the symbol's
first mark price of the run (a bar's close, a trade's price, a quote's mid) and is valued at its
mark price from then on, without fees or slippage. A symbol's share is cash until its first
event. So the return is the mean over the symbols of last mark / first mark, minus one.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def buy_and_hold_return(first_marks: np.ndarray, last_marks: np.ndarray) -> float:
    """Equal-weight buy-and-hold return from each symbol's first and last mark (NaN: no symbol traded)."""
    first = np.asarray(first_marks, dtype=np.float64)
    last = np.asarray(last_marks, dtype=np.float64)
    seen = np.isfinite(first) & np.isfinite(last) & (first > 0)
    if not seen.any():
        return float("nan")
    return float(np.mean(last[seen] / first[seen]) - 1.0)


def marks_of(prices: Mapping[str, pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """Each symbol's first and last finite price in ``prices`` (NaN where it has none)."""
    first, last = [], []
    for series in prices.values():
        values = series.to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        first.append(values[0] if len(values) else np.nan)
        last.append(values[-1] if len(values) else np.nan)
    return np.array(first, dtype=np.float64), np.array(last, dtype=np.float64)


def buy_and_hold_curve(prices: Mapping[str, pd.Series], capital: float) -> pd.Series:
    """The buy-and-hold value of ``capital`` at every price point of ``prices`` (time-indexed, UTC)."""
    ratios = []
    for symbol, series in prices.items():
        clean = series[np.isfinite(series.to_numpy(dtype=np.float64))]
        clean = clean[~clean.index.duplicated(keep="last")]
        if len(clean) and clean.iloc[0] > 0:
            ratios.append((clean / clean.iloc[0]).rename(symbol))
    if not ratios:
        return pd.Series(dtype=np.float64, index=pd.DatetimeIndex([], tz="UTC"), name="buy_and_hold")
    if len(ratios) == 1:
        return (capital * ratios[0]).rename("buy_and_hold")
    frame = pd.concat(ratios, axis=1, sort=True).ffill().fillna(1.0)
    return (capital * frame.mean(axis=1)).rename("buy_and_hold")
