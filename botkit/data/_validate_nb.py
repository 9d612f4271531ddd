"""One compiled pass that says whether event columns pass ``botkit.data.validate``'s checks.

Called only from ``botkit.data.validate``: when a pass finds nothing (the usual case) the
vectorised checks, which name the earliest bad row and its problem, never run. The rules are the
same: prices finite and > 0, sizes finite and >= 0, bars' high/low around open and close, trade
sides +1/-1, timestamps inside ``[day_lo, day_hi)`` and not decreasing (bars: increasing), except
at the rows marked ``fresh`` (not compared with the row before them); row 0 is compared with
``prev_ts`` unless it is fresh. The loops have no early exit and no branches (bitwise ``|`` of
comparisons), so the compiler vectorises them.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, inline="always")
def _ts_bad_nb(ts, i, before, fresh, unique, day_lo, day_hi) -> bool:  # noqa: ANN001 - numba signature
    t = ts[i]
    out_of_order = (t <= before) if unique else (t < before)
    return (t < day_lo) | (t >= day_hi) | (out_of_order & ~fresh[i])


@nb.njit(cache=True, nogil=True)
def bars_ok_nb(ts, o, h, lo, c, v, fresh, prev_ts, day_lo, day_hi) -> bool:  # noqa: ANN001
    """Whether bar columns pass every check (``fresh``: bool per row; ``prev_ts``: ts before row 0)."""
    bad = False
    for i in range(ts.shape[0]):
        before = ts[i - 1] if i > 0 else prev_ts
        low = lo[i]
        high = h[i]
        bad |= _ts_bad_nb(ts, i, before, fresh, True, day_lo, day_hi)
        bad |= ~(low > 0.0) | ~(high < np.inf) | ~(low <= o[i]) | ~(low <= c[i]) | ~(o[i] <= high)
        bad |= ~(c[i] <= high) | ~(v[i] >= 0.0) | ~(v[i] < np.inf)
    return not bad


@nb.njit(cache=True, nogil=True)
def trades_ok_nb(ts, price, size, side, fresh, prev_ts, day_lo, day_hi) -> bool:  # noqa: ANN001
    """Whether trade columns pass every check."""
    bad = False
    for i in range(ts.shape[0]):
        before = ts[i - 1] if i > 0 else prev_ts
        bad |= _ts_bad_nb(ts, i, before, fresh, False, day_lo, day_hi)
        bad |= ~(price[i] > 0.0) | ~(price[i] < np.inf) | ~(size[i] >= 0.0) | ~(size[i] < np.inf)
        bad |= (side[i] != 1) & (side[i] != -1)
    return not bad


@nb.njit(cache=True, nogil=True)
def quotes_ok_nb(ts, bid, bid_size, ask, ask_size, fresh, prev_ts, day_lo, day_hi) -> bool:  # noqa: ANN001
    """Whether quote columns pass every check."""
    bad = False
    for i in range(ts.shape[0]):
        before = ts[i - 1] if i > 0 else prev_ts
        bad |= _ts_bad_nb(ts, i, before, fresh, False, day_lo, day_hi)
        bad |= ~(bid[i] > 0.0) | ~(ask[i] >= bid[i]) | ~(ask[i] < np.inf)
        bad |= ~(bid_size[i] >= 0.0) | ~(bid_size[i] < np.inf) | ~(ask_size[i] >= 0.0) | ~(ask_size[i] < np.inf)
    return not bad
