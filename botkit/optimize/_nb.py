"""The sweep kernel: many params sets of one compiled step over the same bars, in time blocks.

Called only from ``botkit.optimize.sweep``. Every combination runs the backtester's own order
handling (``botkit.backtest._nb``: matching, fills, sizing, risk checks, kill switch), so a sweep
fills, refuses and halts exactly as single backtests do; what differs is what is kept. Instead of
fill logs and equity curves, each combination keeps running figures: round trips walked as fills
come (``_walk_fills_nb``), the drawdown of its equity points (the running-peak pass of
``backtest._stats_nb``), and its equity at the end of each UTC day. Memory is O(combinations).

The loop runs block by block over the events: first every distinct indicator the grid needs is
computed for the block (once for all combinations that read it), then every combination passes
over the block while its prices and indicator values are in cache. Nothing scales with the events
but the data itself.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from botkit.backtest._enums import (
    A_CASH,
    ACTION_NONE,
    C_FILLS,
    C_REJECTS,
    C_WORKING,
    F_FEE,
    F_PRICE,
    F_QTY,
    F_SIDE,
    SLOT_CASH,
    SLOT_EQUITY,
    SLOT_POSITION,
    SLOT_WORKING,
    BarRecord,
)
from botkit.backtest._nb import (
    GUARD_HALTED,
    GUARD_OFF,
    GUARD_WATCHING,
    _guard_nb,
    _match_bar_nb,
    _submit_nb,
    _trip_nb,
    kill_switch_nb,
    valid_intent_nb,
)
from botkit.strategy._indicators_nb import series_block_nb

# Float drawdown state per combination (``ddf``).
D_PEAK = 0
D_REIGN_MIN = 1
D_MAX_DD = 2
D_LAST_EQUITY = 3
D_COLS = 4
# Integer state per combination (``ddi``).
I_POINTS = 0
I_LAST_PEAK = 1
I_LAST_PEAK_TS = 2
I_LONGEST = 3
I_ANY_SPELL = 4
I_EXPOSED = 5
I_REJECTS = 6
I_DAY = 7
I_BAD_EVENT = 8
I_INEXACT = 9
I_COLS = 10
# Round-trip state and trade figures per combination (``trips``).
T_OPEN = 0
T_SIGN = 1
T_POSITION = 2
T_CASH = 3
T_FEES = 4
T_MAX_QTY = 5
T_COUNT = 6
T_WINS = 7
T_GROSS_PROFIT = 8
T_GROSS_LOSS = 9
T_PNL_SUM = 10
T_BEST = 11
T_WORST = 12
T_COLS = 13


@nb.njit(cache=True, nogil=True)
def _close_trip_nb(trips):
    pnl = trips[T_CASH] - trips[T_FEES]
    trips[T_COUNT] += 1.0
    if pnl > 0.0:
        trips[T_WINS] += 1.0
        trips[T_GROSS_PROFIT] += pnl
    elif pnl < 0.0:
        trips[T_GROSS_LOSS] += pnl
    trips[T_PNL_SUM] += pnl
    trips[T_BEST] = pnl if trips[T_COUNT] == 1.0 or pnl > trips[T_BEST] else trips[T_BEST]
    trips[T_WORST] = pnl if trips[T_COUNT] == 1.0 or pnl < trips[T_WORST] else trips[T_WORST]
    trips[T_OPEN] = 0.0


@nb.njit(cache=True, nogil=True)
def _walk_fills_nb(fi, ff, n, flat_tolerance, trips):
    """Walk ``n`` fills of one instrument into ``trips`` (``portfolio._nb.walk_fills_nb``'s rules).

    Flat means below ``flat_tolerance`` times the largest fill quantity *so far* (a whole log knows
    its largest fill in advance; a walk as fills come cannot).
    """
    for j in range(n):
        sign = float(fi[j, F_SIDE])
        qty = ff[j, F_QTY]
        price = ff[j, F_PRICE]
        fee = ff[j, F_FEE]
        trips[T_MAX_QTY] = max(trips[T_MAX_QTY], qty)
        tol = flat_tolerance * trips[T_MAX_QTY]
        if trips[T_OPEN] == 0.0:
            trips[T_OPEN] = 1.0
            trips[T_SIGN] = sign
            trips[T_CASH] = -sign * qty * price
            trips[T_FEES] = fee
            trips[T_POSITION] = sign * qty
            continue
        position = trips[T_POSITION]
        held_sign = trips[T_SIGN]
        if sign == held_sign:
            trips[T_CASH] -= held_sign * qty * price
            trips[T_FEES] += fee
            trips[T_POSITION] = position + sign * qty
            continue
        held = abs(position)
        if qty <= held + tol:
            trips[T_CASH] += held_sign * qty * price
            trips[T_FEES] += fee
            position += sign * qty
            trips[T_POSITION] = position
            if abs(position) < tol:
                _close_trip_nb(trips)
            continue
        closing_fee = fee * held / qty
        trips[T_CASH] += held_sign * held * price
        trips[T_FEES] += closing_fee
        _close_trip_nb(trips)
        rest = qty - held
        trips[T_OPEN] = 1.0
        trips[T_SIGN] = sign
        trips[T_CASH] = -sign * rest * price
        trips[T_FEES] = fee - closing_fee
        trips[T_POSITION] = sign * rest


@nb.njit(cache=True, nogil=True, inline="always")
def _peak_nb(t, equity, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact):
    """Take one equity point into the running drawdown (``_stats_nb._drawdown_finite_nb``)."""
    if points == 0:
        if not (equity > 0.0 and equity < np.inf):
            inexact = 1
        peak = equity
        reign = equity
        last_peak_ts = t
    elif equity < peak:
        if equity < reign:
            reign = equity
    else:
        if not equity < np.inf:
            inexact = 1
        if equity > peak:
            max_dd = min(max_dd, reign / peak - 1.0)
            peak = equity
            reign = equity
        if points - last_peak > 1:
            spell = t - last_peak_ts
            longest = spell if any_spell == 0 or spell > longest else longest
            any_spell = 1
        last_peak = points
        last_peak_ts = t
    return peak, reign, max_dd, points + 1, last_peak, last_peak_ts, longest, any_spell, inexact


@nb.njit(cache=True, nogil=True, inline="always")
def _point_nb(t, d, equity, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, today,
              last_equity, inexact, daily_q):
    """Take one equity point into the running drawdown and the daily values (a day's last point)."""
    peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact = _peak_nb(
        t, equity, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact)
    if d != today:
        if today >= 0:
            daily_q[today] = last_equity
        today = d
    return (peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, today, equity, inexact)


@nb.njit(cache=True, nogil=True, inline="always")
def _held_days_nb(start, stop, day, day_last, c, cash, position, today, last_equity, daily_q):
    """The daily values of a run of events ``[start, stop)`` with a constant cash and position.

    What ``_point_nb`` writes one event at a time: each day the run leaves ends at its last event's
    equity (``day_last``), and the run's last equity is pending for its last day.
    """
    first_day = day[start]
    if first_day != today:
        if today >= 0:
            daily_q[today] = last_equity
    for d in range(first_day, day[stop - 1]):
        last = day_last[d]
        if last >= 0:
            daily_q[d] = cash + position * c[last]
    return day[stop - 1], cash + position * c[stop - 1]


@nb.njit(cache=True, nogil=True, inline="always")
def _flat_points_nb(start, stop, ts, equity, peak, reign, max_dd, points, last_peak, last_peak_ts, longest,
                    any_spell, inexact):
    """Take the equal points ``equity`` of events ``[start, stop)`` into the drawdown as ``_peak_nb`` would one by one.

    The first goes through ``_peak_nb``; after it each is at the peak (a run of consecutive peak
    points makes no spell: only the last one counts) or below it (nothing moves but the count).
    """
    peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact = _peak_nb(
        ts[start], equity, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact)
    rest = stop - start - 1
    if rest > 0:
        if equity >= peak:
            last_peak = points + rest - 1
            last_peak_ts = ts[stop - 1]
        points += rest
    return peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact


@nb.njit(cache=True, nogil=True, inline="always")
def _load_point_state_nb(ddf_q, ddi_q):
    return (ddf_q[D_PEAK], ddf_q[D_REIGN_MIN], ddf_q[D_MAX_DD], ddi_q[I_POINTS], ddi_q[I_LAST_PEAK],
            ddi_q[I_LAST_PEAK_TS], ddi_q[I_LONGEST], ddi_q[I_ANY_SPELL], ddi_q[I_DAY], ddf_q[D_LAST_EQUITY],
            ddi_q[I_INEXACT])


@nb.njit(cache=True, nogil=True, inline="always")
def _store_point_state_nb(ddf_q, ddi_q, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell,
                          today, last_equity, inexact):
    ddf_q[D_PEAK] = peak
    ddf_q[D_REIGN_MIN] = reign
    ddf_q[D_MAX_DD] = max_dd
    ddf_q[D_LAST_EQUITY] = last_equity
    ddi_q[I_POINTS] = points
    ddi_q[I_LAST_PEAK] = last_peak
    ddi_q[I_LAST_PEAK_TS] = last_peak_ts
    ddi_q[I_LONGEST] = longest
    ddi_q[I_ANY_SPELL] = any_spell
    ddi_q[I_DAY] = today
    ddi_q[I_INEXACT] = inexact


def make_sweep_bars_nb(step, prepare):
    """A kernel running every combination of ``step`` (a sweep step) over one instrument's bars.

    ``step(row, event, params, values, cols, column)`` and ``prepare(params, cols)`` are
    ``declared_sweep.sweep_step``'s pair: a combination's params and rows are prepared once per run.
    The combinations come in groups (contiguous ranges, ``group_combos``), each with the keys its
    combinations read (``group_keys[group_key_at[g]:group_key_at[g + 1]]``) and its own indicator
    state and values (``kstate[g]``, ``rows[g]``, ``values[g]``). Block by block, a group first
    computes its keys' values for the block (``series_block_nb``), then runs its combinations over
    it. Groups run on numba's threads. Per-combination arrays have the combination first.

    A combination spends most events "quiet": no working order and no kill switch to watch, so
    its cash and position cannot change. ``quiet_nb`` runs those events in a loop of their own
    (equity, drawdown, the step) and stops at the first intent; every other event takes the full
    path of the replay kernels, one at a time.
    """

    @nb.njit(cache=False, nogil=True, _nrt=False, inline="always")
    def quiet_nb(i, b0, b1, ts, day, day_last, o, h, lo, c, v, values, colsq, pq, row, cash, position, ddf_q, ddi_q,
                 daily_q):
        (peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, today, last_equity,
         inexact) = _load_point_state_nb(ddf_q, ddi_q)
        row[SLOT_POSITION] = position
        row[SLOT_CASH] = cash
        row[SLOT_WORKING] = 0.0
        start = i
        prepared, rows = prepare(pq, colsq)
        action, side, qty, price = ACTION_NONE, 0, 0.0, 0.0
        shift = nb.uint64(1 - b0)  # a column of the block's values: event + 1 - b0 (wraps as unsigned: exact)
        if position == 0.0:
            # Flat: equity is the cash on every event of the run. Only the step runs per event; the
            # points are taken in one go after it (same figures as one by one, see _flat_points_nb).
            row[SLOT_EQUITY] = cash
            for j in range(nb.uint64(i), nb.uint64(b1)):
                action, side, qty, price = step(row, BarRecord(ts[j], 0, o[j], h[j], lo[j], c[j], v[j]), prepared,
                                                values, rows, j + shift)
                i = nb.int64(j) + 1
                if action != ACTION_NONE:
                    break
            if i > start:
                peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact = _flat_points_nb(
                    start, i, ts, cash, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell,
                    inexact)
        else:
            for j in range(nb.uint64(i), nb.uint64(b1)):  # unsigned: no negative-index wraparound per access
                t = ts[j]
                close = c[j]
                equity = cash + position * close
                peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact = _peak_nb(
                    t, equity, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, inexact)
                row[SLOT_EQUITY] = equity
                action, side, qty, price = step(row, BarRecord(t, 0, o[j], h[j], lo[j], close, v[j]), prepared,
                                                values, rows, j + shift)
                i = nb.int64(j) + 1
                if action != ACTION_NONE:
                    break
        if i > start:  # the days of the run, after it: no day test per event
            today, last_equity = _held_days_nb(start, i, day, day_last, c, cash, position, today, last_equity, daily_q)
        if position != 0.0:
            ddi_q[I_EXPOSED] += i - start
        _store_point_state_nb(ddf_q, ddi_q, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell,
                              today, last_equity, inexact)
        return i, action, side, qty, price

    @nb.njit(cache=False, nogil=True, _nrt=False, inline="always")
    def busy_nb(i, b0, ts, day, o, h, lo, c, v, values, colsq, pq, row, cfg, tick0, guard, acct, pos, cnt, wiq, wfq,
                fiq, ffq, flat_tolerance, trips_q, ddf_q, ddi_q, daily_q):
        t = ts[i]
        if cnt[C_WORKING] > 0:
            if cnt[C_FILLS] + cnt[C_WORKING] > fiq.shape[0]:
                _walk_fills_nb(fiq, ffq, cnt[C_FILLS], flat_tolerance, trips_q)
                cnt[C_FILLS] = 0
            _match_bar_nb(0, t, o[i], h[i], lo[i], cfg, tick0, wiq, wfq, pos, acct, fiq, ffq, cnt)
        cash = acct[A_CASH]
        position = pos[0]
        close = c[i]
        equity = cash + position * close
        if position != 0.0:
            ddi_q[I_EXPOSED] += 1
        (peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, today, last_equity,
         inexact) = _load_point_state_nb(ddf_q, ddi_q)
        (peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell, today, last_equity,
         inexact) = _point_nb(t, day[i], equity, peak, reign, max_dd, points, last_peak, last_peak_ts, longest,
                              any_spell, today, last_equity, inexact, daily_q)
        _store_point_state_nb(ddf_q, ddi_q, peak, reign, max_dd, points, last_peak, last_peak_ts, longest, any_spell,
                              today, last_equity, inexact)
        row[SLOT_POSITION] = position
        row[SLOT_CASH] = cash
        row[SLOT_EQUITY] = equity
        row[SLOT_WORKING] = float(cnt[C_WORKING])
        if guard != GUARD_OFF:
            if guard == GUARD_WATCHING:
                now = t + cfg.bar_interval_ns
                code = kill_switch_nb(now, equity, cfg, cnt, acct)
                if code != 0:
                    _trip_nb(now, code, equity, cfg, pos, wiq, wfq, cnt, acct)
                    guard = GUARD_HALTED
            if guard == GUARD_HALTED:
                return guard, ACTION_NONE, 0, 0.0, 0.0, equity
        prepared, rows = prepare(pq, colsq)
        action, side, qty, price = step(row, BarRecord(t, 0, o[i], h[i], lo[i], close, v[i]), prepared, values, rows,
                                        i - b0 + 1)
        return guard, action, side, qty, price, equity

    @nb.njit(cache=False, nogil=True, _nrt=False)
    def combo_block_nb(q, b0, b1, ts, day, day_last, o, h, lo, c, v, values, cols, params, cfg, tick0, lot0,
                       flat_tolerance,
                       states, accts, poss, lasts, wi, wf, fi, ff, ri, counters, trips, ddf, ddi, daily):
        ddi_q = ddi[q]
        if ddi_q[I_BAD_EVENT] >= 0:
            return
        row = states[q]
        acct = accts[q]
        pos = poss[q]
        cnt = counters[q]
        ri_q = ri[q]
        pq = params[q]
        colsq = cols[q]
        ddf_q = ddf[q]
        daily_q = daily[q]
        guard = _guard_nb(cfg, cnt)
        i = b0
        while i < b1:
            if guard == GUARD_OFF and cnt[C_WORKING] == 0:
                i, action, side, qty, price = quiet_nb(i, b0, b1, ts, day, day_last, o, h, lo, c, v, values, colsq, pq,
                                                       row,
                                                       acct[A_CASH], pos[0], ddf_q, ddi_q, daily_q)
                if action == ACTION_NONE:
                    break
                at = i - 1
                equity = row[SLOT_EQUITY]
            else:
                guard, action, side, qty, price, equity = busy_nb(
                    i, b0, ts, day, o, h, lo, c, v, values, colsq, pq, row, cfg, tick0, guard, acct, pos, cnt,
                    wi[q], wf[q], fi[q], ff[q], flat_tolerance, trips[q], ddf_q, ddi_q, daily_q)
                at = i
                i += 1
                if action == ACTION_NONE:
                    continue
            if not valid_intent_nb(action, side, qty, price):
                ddi_q[I_BAD_EVENT] = at
                return
            if cnt[C_REJECTS] >= ri_q.shape[0]:
                ddi_q[I_REJECTS] += cnt[C_REJECTS]
                cnt[C_REJECTS] = 0
            _submit_nb(ts[at] + cfg.bar_interval_ns, 0, row, action, side, qty, price, c[at], equity, cfg, lot0, pos,
                       lasts[q], wi[q], wf[q], ri_q, cnt)

    @nb.njit(cache=False, nogil=True, parallel=True)
    def sweep_bars_nb(
        ts, day, day_last, o, h, lo, c, v, mode, window, source, first, n_out, kstate, rows, specs, n_spec, values,
        group_combos, group_key_at, group_keys, cols, params, cfg, tick, lot, flat_tolerance, block,
        states, accts, poss, lasts, wi, wf, fi, ff, ri, counters, trips, ddf, ddi, daily,
    ):
        n = ts.shape[0]
        # Each group of combinations walks the blocks on its own with its own indicator values: no
        # barrier between blocks, so a thread the machine delays holds up only its own groups.
        for g in nb.prange(group_combos.shape[0] - 1):
            kstate_g = kstate[g]
            rows_g = rows[g]
            values_g = values[g]
            for b0 in range(0, n, block):
                b1 = min(n, b0 + block)
                for at in range(group_key_at[g], group_key_at[g + 1]):
                    series_block_nb(group_keys[at], b0, b1, o, h, lo, c, v, mode, window, source, first, n_out,
                                    kstate_g, rows_g, specs, n_spec, values_g)
                for q in range(group_combos[g], group_combos[g + 1]):
                    combo_block_nb(q, b0, b1, ts, day, day_last, o, h, lo, c, v, values_g, cols, params, cfg, tick[0],
                                   lot[0],
                                   flat_tolerance, states, accts, poss, lasts, wi, wf, fi, ff, ri, counters, trips,
                                   ddf, ddi, daily)
            for q in range(group_combos[g], group_combos[g + 1]):
                _walk_fills_nb(fi[q], ff[q], counters[q, C_FILLS], flat_tolerance, trips[q])
                counters[q, C_FILLS] = 0
                ddi[q, I_REJECTS] += counters[q, C_REJECTS]
                counters[q, C_REJECTS] = 0
                if ddi[q, I_DAY] >= 0:
                    daily[q, ddi[q, I_DAY]] = ddf[q, D_LAST_EQUITY]
                if n > 0:
                    lasts[q, 0] = c[n - 1]
        return 0

    return sweep_bars_nb
