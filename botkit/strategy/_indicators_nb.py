"""Numba kernels of the declared indicators: one update of every indicator per event.

Called only from the modules beside it (``botkit.strategy.indicators`` and ``botkit.strategy.declared``).
An indicator's state lives in a float64 row (a compiled step's state row, or the row botkit keeps
per symbol for Python hooks): its outputs as (value, previous value) pairs at ``out``, its scalar
state at ``st`` and its arrays (rings, queues), whose size depends on the window, at ``ring``.
The spec is a flat float64 array, ``SPEC_COLS`` numbers per row (kind, source, window, k, out, st,
history, ring). Values are NaN until the indicator is warm. Indicators over a window of one input
(SMA, STD, Bollinger, Lag) read a shared history of that input (kind ``HISTORY``: [count, position
of the newest, capacity] and a ring), updated first, so two averages of the closes keep one ring.

No running state drifts: window sums are compensated (TwoSum: the rounding error of every addition
is kept in a second float, exactly while the window's values share a binary grid, which prices do)
and re-anchored each time the history wraps, so a window sum is the exactly rounded sum of the
window, the ``math.fsum`` of its values. EMA, RSI and ATR are contractions (old rounding
errors shrink geometrically), the standard deviation is recomputed over the window at every update
and highest/lowest are exact.
"""

from __future__ import annotations

import math

import numba as nb
from numba.extending import register_jitable

# The updates are inlined into their caller (``inline="always"``), and every function that takes
# the state row does all its work on the row itself: only scalar helpers are nested. In code that
# counts references (the Python hooks' entry point), each level of array-taking inlined calls can
# cost atomic increments on every event; declared steps and the replay kernels count none.
_INLINE = {"cache": True, "inline": "always"}

SMA = 1
EMA = 2
STD = 3
BOLLINGER = 4
HIGHEST = 5
LOWEST = 6
DONCHIAN = 7
RSI = 8
ATR = 9
LAG = 10
HISTORY = 11
WINDOWED = (SMA, STD, BOLLINGER, LAG)
"""Kinds that read the shared history of their input."""

# Columns of one spec row.
S_KIND = 0
S_SOURCE = 1
S_WINDOW = 2
S_K = 3
S_OUT = 4
S_STATE = 5
S_HISTORY = 6
S_RING = 7
SPEC_COLS = 8

# Sources: the event's inputs, in the order update_indicators_nb takes them.
OPEN = 0
HIGH = 1
LOW = 2
CLOSE = 3
VOLUME = 4

SCALAR_SLOTS = {SMA: 2, STD: 2, BOLLINGER: 2, LAG: 0, HIGHEST: 3, LOWEST: 3, DONCHIAN: 6, EMA: 3, RSI: 8, ATR: 4,
                HISTORY: 3}
"""Scalar state slots of each kind (the same whatever the window, so their places are fixed per strategy)."""


def array_slots(kind: int, window: int) -> int:
    """Slots of a kind's arrays for ``window`` (a history's ring holds ``window`` inputs)."""
    if kind in (HIGHEST, LOWEST):
        return 2 * window
    if kind == DONCHIAN:
        return 4 * window
    return window if kind == HISTORY else 0


@register_jitable
def _add_nb(s, c, x):
    """``s + x`` and the compensation ``c`` plus that addition's exact rounding error (Knuth's TwoSum)."""
    t = s + x
    v = t - s
    c += (s - (t - v)) + (x - v)
    return t, c


@register_jitable
def _replace_nb(s, c, old, x):
    """The compensated sum with ``old`` taken out and ``x`` put in, exactly.

    ``x − old`` is exact when one is within a factor of two of the other (Sterbenz), as prices a
    window apart nearly always are: then one compensated addition does.
    """
    if old <= 2.0 * x and x <= 2.0 * old:
        return _add_nb(s, c, x - old)
    s, c = _add_nb(s, c, -old)
    return _add_nb(s, c, x)


@register_jitable
def _anchor_nb(s, c):
    """Re-anchor a compensated sum: the rounded total and the exact rest (TwoSum), the same value."""
    total = s + c
    v = total - s
    return total, (s - (total - v)) + (c - v)


@register_jitable
def _rsi_nb(avg_gain, avg_loss):
    """RSI from the average gain and loss: 100 with only gains, 50 with no change at all."""
    if avg_loss == 0.0:
        return 100.0 if avg_gain > 0.0 else 50.0
    return 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)


# One function per family of kinds. Declared steps call them in straight-line code made for the
# strategy's declaration, with the kind and the scalar slots as constants and a history's
# (count, position, capacity) passed on in registers; ``update_indicators_nb`` reads the same
# numbers from the spec and the row. Same functions, same arithmetic, on every path.
# Offsets into rings are indexed as unsigned (they are never negative): a signed index costs the
# negative-index wraparound at every access in the replay's hot loop (about 9 % of the bar kernel).


@nb.njit(**_INLINE)
def history_push_nb(row, x, ring, count, pos, cap):
    """Append ``x`` to a history whose (count, position, capacity) the caller holds; the new (count, position)."""
    pos += 1
    if pos == cap:
        pos = 0
    row[nb.uint64(ring + pos)] = x
    return count + 1.0, pos


@nb.njit(**_INLINE)
def history_nb(row, x, st, ring):
    """``history_push_nb`` on a history kept in the row; returns (count, position of ``x``, capacity).

    The position steps in float arithmetic here: it is carried from event to event through the
    row, and an int round trip on that chain (float -> int -> float) would set the replay's pace.
    """
    at = row[st + 1] + 1.0
    if at == row[st + 2]:
        at = 0.0
    pos = int(at)
    row[nb.uint64(ring + pos)] = x
    count = row[st] + 1.0
    row[st] = count
    row[st + 1] = at
    return count, pos, int(row[st + 2])


@nb.njit(**_INLINE)
def window_sum_nb(row, n, w, x, s, c, ring, count, pos, cap):
    """The compensated sum of a history's last ``w`` (= ``n``) inputs after ``x``: (sum, compensation, mean).

    The sum is re-anchored when the history wraps, so its value is the exactly rounded sum of the
    window; the mean is NaN until the window is full.
    """
    if count > n:
        oldest = pos - w
        s, c = _replace_nb(s, c, row[nb.uint64(ring + (oldest + cap if oldest < 0 else oldest))], x)
    else:
        s, c = _add_nb(s, c, x)
    if pos == 0:
        s, c = _anchor_nb(s, c)
    return s, c, (s + c) / n if count >= n else math.nan


@nb.njit(**_INLINE)
def window_nb(row, spec, b, x, kind, out, st, ring, count, pos, cap):
    """SMA, STD or Bollinger of the last ``window`` inputs of a history; scalar state [sum, compensation].

    The mean is ``window_sum_nb``'s. The standard deviation is summed over the window, oldest first,
    each time.
    """
    n = spec[b + S_WINDOW]
    k = spec[b + S_K]
    w = int(n)
    s, c, mean = window_sum_nb(row, n, w, x, row[st], row[st + 1], ring, count, pos, cap)
    row[st] = s
    row[st + 1] = c
    if kind == SMA:
        row[out + 1] = row[out]
        row[out] = mean
        return
    sd = math.nan
    if count >= n:
        squares = 0.0
        first = pos - w + 1
        if first < 0:
            for j in range(first + cap, cap):
                d = row[nb.uint64(ring + j)] - mean
                squares += d * d
            first = 0
        for j in range(first, pos + 1):
            d = row[nb.uint64(ring + j)] - mean
            squares += d * d
        sd = math.sqrt(squares / n)
    if kind == STD:
        row[out + 1] = row[out]
        row[out] = sd
        return
    row[out + 1] = row[out]
    row[out] = mean
    row[out + 3] = row[out + 2]
    row[out + 2] = mean + k * sd
    row[out + 5] = row[out + 4]
    row[out + 4] = mean - k * sd


@nb.njit(**_INLINE)
def lag_nb(row, spec, b, out, ring, count, pos, cap):
    """The input ``window`` events ago, read from its history (NaN before)."""
    w = int(spec[b + S_WINDOW])
    oldest = pos - w
    value = row[nb.uint64(ring + (oldest + cap if oldest < 0 else oldest))]
    row[out + 1] = row[out]
    row[out] = value if count > w else math.nan


@nb.njit(**_INLINE)
def extremes_nb(row, spec, b, h, lo, kind, out, st, ring):
    """Highest (of ``h``), Lowest (of ``lo``) or Donchian (both): monotonic queues, amortised O(1).

    Each queue has scalars [count, front, size] at ``st`` (``st + 3`` for Donchian's lows) and
    values and sequence numbers (a window each) at ``ring`` (then ``ring + 2·window``).
    """
    w = int(spec[b + S_WINDOW])
    q = st
    vals = ring
    for side in range(2 if kind == DONCHIAN else 1):
        sign = -1.0 if kind == LOWEST or side == 1 else 1.0
        x = h if sign > 0.0 else lo
        seqs = vals + w
        count = row[q] + 1.0
        front = int(row[q + 1])
        size = int(row[q + 2])
        if size > 0 and row[nb.uint64(seqs + front)] <= count - w:  # at most one entry leaves the window per push
            front = front + 1 if front + 1 < w else 0
            size -= 1
        while size > 0:
            back = front + size - 1
            if back >= w:
                back -= w
            if sign * row[nb.uint64(vals + back)] > sign * x:
                break
            size -= 1
        tail = front + size
        if tail >= w:
            tail -= w
        row[nb.uint64(vals + tail)] = x
        row[nb.uint64(seqs + tail)] = count
        row[q] = count
        row[q + 1] = front
        row[q + 2] = size + 1
        o = out + 2 * side
        row[o + 1] = row[o]
        row[o] = row[nb.uint64(vals + front)] if count >= w else math.nan
        q += 3
        vals += 2 * w


@nb.njit(**_INLINE)
def smoothed_nb(row, spec, b, x, h, lo, kind, out, st):
    """EMA (of ``x``), RSI (of ``x``) or ATR (of the bar ``h``, ``lo``, ``x`` = close): seed, then smooth.

    Each is seeded with the exact mean of its first ``window`` inputs (inputs: the values, the gains
    and losses, the true ranges), then smoothed: EMA ``e + 2/(n+1)·(x − e)``, Wilder ``(a·(n−1) + x)/n``.
    State: EMA [count, seed sum, comp]; RSI [count, last, gain sum, comp, loss sum, comp, avg gain,
    avg loss]; ATR [count, previous close, seed sum, comp].
    """
    n = spec[b + S_WINDOW]
    count = row[st] + 1.0
    row[st] = count
    value = math.nan
    if kind == EMA:
        if count <= n:
            s, c = _add_nb(row[st + 1], row[st + 2], x)
            row[st + 1] = s
            row[st + 2] = c
            if count == n:
                value = (s + c) / n
        else:
            value = row[out] + 2.0 / (n + 1.0) * (x - row[out])
    elif kind == RSI:
        last = row[st + 1]
        row[st + 1] = x
        if count > 1.0:
            change = x - last
            gain = change if change > 0.0 else 0.0
            loss = -change if change < 0.0 else 0.0
            if count - 1.0 <= n:
                gs, gc = _add_nb(row[st + 2], row[st + 3], gain)
                ls, lc = _add_nb(row[st + 4], row[st + 5], loss)
                row[st + 2] = gs
                row[st + 3] = gc
                row[st + 4] = ls
                row[st + 5] = lc
                if count - 1.0 == n:
                    row[st + 6] = (gs + gc) / n
                    row[st + 7] = (ls + lc) / n
                    value = _rsi_nb(row[st + 6], row[st + 7])
            else:
                row[st + 6] = (row[st + 6] * (n - 1.0) + gain) / n
                row[st + 7] = (row[st + 7] * (n - 1.0) + loss) / n
                value = _rsi_nb(row[st + 6], row[st + 7])
    else:
        previous = row[st + 1]
        row[st + 1] = x
        tr = h - lo if count == 1.0 else max(h - lo, max(abs(h - previous), abs(lo - previous)))
        if count <= n:
            s, c = _add_nb(row[st + 2], row[st + 3], tr)
            row[st + 2] = s
            row[st + 3] = c
            if count == n:
                value = (s + c) / n
        else:
            value = (row[out] * (n - 1.0) + tr) / n
    row[out + 1] = row[out]
    row[out] = value


CALLS = {
    HISTORY: "count{h}, pos{h}, cap{h} = history_nb(row, {x}, {st}, ring{h})",
    SMA: "window_nb(row, spec, {b}, {x}, {kind}, {out}, {st}, ring{h}, count{h}, pos{h}, cap{h})",
    LAG: "lag_nb(row, spec, {b}, {out}, ring{h}, count{h}, pos{h}, cap{h})",
    HIGHEST: "extremes_nb(row, spec, {b}, {x}, {x}, {kind}, {out}, {st}, int(spec[{b} + 7]))",
    DONCHIAN: "extremes_nb(row, spec, {b}, h, lo, {kind}, {out}, {st}, int(spec[{b} + 7]))",
    EMA: "smoothed_nb(row, spec, {b}, {x}, h, lo, {kind}, {out}, {st})",
    ATR: "smoothed_nb(row, spec, {b}, c, h, lo, {kind}, {out}, {st})",
}
"""How straight-line code calls each kind: ``{x}`` its input, ``{b}`` its spec row, ``{kind}`` its
code, ``{out}``/``{st}`` its slots, ``{h}`` the index of its history (``ring{h}`` read from the spec)."""
CALLS.update({STD: CALLS[SMA], BOLLINGER: CALLS[SMA], LOWEST: CALLS[HIGHEST], RSI: CALLS[EMA]})


@nb.njit(cache=True)
def update_indicators_nb(row, spec, at, n_rows, o, h, lo, c, v):
    """Update the ``n_rows`` spec rows from ``spec[at]`` on (histories first) with one event's inputs."""
    for j in range(n_rows):
        b = at + j * SPEC_COLS
        kind = int(spec[b + S_KIND])
        source = int(spec[b + S_SOURCE])
        x = o if source == OPEN else h if source == HIGH else lo if source == LOW else c if source == CLOSE else v
        out = int(spec[b + S_OUT])
        st = int(spec[b + S_STATE])
        ring = int(spec[b + S_RING])
        if kind == HISTORY:
            history_nb(row, x, st, ring)
            continue
        hist = int(spec[b + S_HISTORY])
        if kind == SMA or kind == STD or kind == BOLLINGER:
            window_nb(row, spec, b, x, kind, out, st, ring, row[hist], int(row[hist + 1]), int(row[hist + 2]))
        elif kind == LAG:
            lag_nb(row, spec, b, out, ring, row[hist], int(row[hist + 1]), int(row[hist + 2]))
        elif kind == HIGHEST or kind == LOWEST:
            extremes_nb(row, spec, b, x, x, kind, out, st, ring)
        elif kind == DONCHIAN:
            extremes_nb(row, spec, b, h, lo, kind, out, st, ring)
        elif kind == ATR:
            smoothed_nb(row, spec, b, c, h, lo, kind, out, st)
        else:
            smoothed_nb(row, spec, b, x, h, lo, kind, out, st)


@nb.njit(cache=True)
def indicator_series_nb(row, spec, n_rows, n_out, o, h, lo, c, v, values):
    """Run the indicators over whole input arrays: ``values[i, j]`` is output j after event i.

    The same update as the incremental path, event by event, so the series equals what a step or
    a hook sees at each event. Outputs are laid out from slot 0 of ``row`` (value, previous).
    """
    for i in range(o.shape[0]):
        update_indicators_nb(row, spec, 0, n_rows, o[i], h[i], lo[i], c[i], v[i])
        for j in range(n_out):
            values[i, j] = row[2 * j]


@nb.njit(cache=True, nogil=True)
def sma_series_nb(x, w, cap, out):
    """The SMA of ``w`` inputs after each of ``x``, as ``window_nb`` computes it over a history of ``cap`` (> w).

    The same compensated sum, replacement and re-anchoring, for one window alone (a sweep's hot
    start: every distinct average of a grid, at a few nanoseconds an event).
    """
    s = 0.0
    c = 0.0
    pos = cap - 1
    for i in range(x.shape[0]):
        s, c, pos, out[i] = _sma_event_nb(x, i, w, cap, s, c, pos)


@register_jitable
def _sma_event_nb(x, i, w, cap, s, c, pos):
    """One event of an SMA over ``x`` (window ``w``, history ``cap``): the new sum, position and value."""
    pos += 1
    if pos == cap:
        pos = 0
    if i >= w:
        s, c = _replace_nb(s, c, x[i - w], x[i])
    else:
        s, c = _add_nb(s, c, x[i])
    if pos == 0:
        s, c = _anchor_nb(s, c)
    return s, c, pos, (s + c) / w if i + 1 >= w else math.nan


@nb.njit(cache=True, nogil=True)
def indicator_series_nogil_nb(row, spec, n_rows, n_out, o, h, lo, c, v, values):
    """``indicator_series_nb`` without the GIL, so threads compute several indicators at once."""
    for i in range(o.shape[0]):
        update_indicators_nb(row, spec, 0, n_rows, o[i], h[i], lo[i], c[i], v[i])
        for j in range(n_out):
            values[i, j] = row[2 * j]


SERIES_SMA = 0
"""``series_block_nb``'s kinds: an SMA by its own loop, or any kind through the general update."""
SERIES_GENERAL = 1
# Columns of a key's float state in ``series_block_nb`` (the SMA's compensated sum and history position).
K_SUM = 0
K_COMP = 1
K_POS = 2
K_COLS = 3


@nb.njit(cache=True, nogil=True)
def series_block_nb(k, b0, b1, o, h, lo, c, v, mode, window, source, first, n_out, kstate, rows, specs, n_spec,
                    values):
    """Key ``k``'s outputs for events ``[b0, b1)`` into columns ``1..`` of its rows of ``values``.

    Column 0 receives the output before ``b0`` (the previous block's last, NaN at the start), so a
    reader of event ``i`` finds its value at column ``i - b0 + 1`` and the value before at the
    column left of it. An SMA (``mode`` SERIES_SMA) runs ``sma_series_nb``'s arithmetic over a
    history of ``window + 1`` and reads the inputs ``window`` events back from the data; any other
    key keeps a state row (``rows[k]``) and spec (``specs[k]``, ``n_spec[k]`` rows) for the general update.
    """
    r0 = first[k]
    w = window[k]
    last = values.shape[1] - 1
    for j in range(n_out[k]):
        values[r0 + j, 0] = values[r0 + j, last] if b0 > 0 else math.nan
    if mode[k] == SERIES_SMA:
        x = o if source[k] == OPEN else h if source[k] == HIGH else lo if source[k] == LOW else c if (
            source[k] == CLOSE) else v
        s = kstate[k, K_SUM]
        comp = kstate[k, K_COMP]
        pos = int(kstate[k, K_POS])
        for i in range(b0, b1):
            s, comp, pos, values[r0, i - b0 + 1] = _sma_event_nb(x, i, w, w + 1, s, comp, pos)
        kstate[k, K_SUM] = s
        kstate[k, K_COMP] = comp
        kstate[k, K_POS] = pos
        return
    row = rows[k]
    spec = specs[k]
    for i in range(b0, b1):
        update_indicators_nb(row, spec, 0, n_spec[k], o[i], h[i], lo[i], c[i], v[i])
        for j in range(n_out[k]):
            values[r0 + j, i - b0 + 1] = row[2 * j]
