"""Numba kernels of the backtester: fills, accounting, sizing, risk checks and the replay loops.

Called only from ``botkit.backtest.compiled`` and ``botkit.backtest.replay`` (scalar helpers).
Every kernel name ends in ``_nb``. A replay kernel processes one chunk of events and keeps all
state that must survive to the next chunk in the arrays it is given.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from botkit.backtest._enums import (
    A_CASH,
    A_DAY_OPEN,
    A_DD_FLOOR,
    A_FEES,
    A_PEAK,
    A_TRIP_EQUITY,
    ACTION_CANCEL_ALL,
    ACTION_LIMIT,
    ACTION_MARKET,
    ACTION_MAX,
    ACTION_NONE,
    ACTION_REPLACE_LIMIT,
    ACTION_REPLACE_MARKET,
    C_EQ_BUCKET,
    C_EQUITY,
    C_ERROR_EVENT,
    C_EXPOSED,
    C_FILLS,
    C_KS_CODE,
    C_KS_DAY,
    C_KS_TS,
    C_NEXT_ORDER,
    C_REJECTS,
    C_WORKING,
    F_FEE,
    F_INST,
    F_LIQUIDITY,
    F_ORDER,
    F_PRICE,
    F_QTY,
    F_SIDE,
    F_TS,
    LIMIT_TOLERANCE,
    LIQUIDITY_MAKER,
    LIQUIDITY_TAKER,
    NS_PER_DAY,
    ORDER_LIMIT,
    ORDER_MARKET,
    ORDER_NONE,
    ORDER_STOP,
    R_INST,
    R_REASON,
    R_SIDE,
    R_TS,
    REJECT_DAILY_LOSS,
    REJECT_MAX_DRAWDOWN,
    REJECT_MAX_GROSS_EXPOSURE,
    REJECT_MAX_NET_EXPOSURE,
    REJECT_MAX_OPEN_ORDERS,
    REJECT_MAX_ORDER_NOTIONAL,
    REJECT_MAX_ORDER_QTY,
    REJECT_MAX_POSITION,
    REJECT_NO_SHORT,
    REJECT_QTY_ZERO,
    REJECT_REDUCE_ONLY,
    REJECT_TOO_MANY_ORDERS,
    SIZING_FIXED_NOTIONAL,
    SIZING_FIXED_QUANTITY,
    SLOT_CASH,
    SLOT_EQUITY,
    SLOT_POSITION,
    SLOT_REJECTED,
    SLOT_WORKING,
    STATUS_BAD_INTENT,
    STATUS_DONE,
    STATUS_NEED_SPACE,
    W_ELIGIBLE,
    W_ID,
    W_INST,
    W_PRICE,
    W_QTY,
    W_SIDE,
    W_TRIGGERED,
    W_TYPE,
    BarRecord,
    QuoteRecord,
    TradeRecord,
)


@nb.njit(cache=True, inline="always")
def slipped_price_nb(price: float, side: int, slippage_bps: float, slippage_ticks: float, tick: float) -> float:
    """``price`` moved against an order of ``side`` by the slippage setting."""
    if slippage_bps != 0.0:
        price = price * (1.0 + side * slippage_bps / 10_000.0)
    if slippage_ticks != 0.0:
        price = price + side * slippage_ticks * tick
    return price


@nb.njit(cache=True, inline="always")
def fee_nb(qty: float, price: float, bps: float) -> float:
    """Fee of a fill of ``qty`` at ``price`` at ``bps`` basis points."""
    return qty * price * bps / 10_000.0


@nb.njit(cache=True, inline="always")
def sized_qty_nb(
    qty: float, ref_price: float, equity: float, mode: int, value: float, lot: float, side: int, position: float
) -> float:
    """The order quantity: ``qty`` or, if NaN, the sizing rule's; rounded down to ``lot``.

    An order against the position whose quantity is within 1e-9 (relative) of it is set to exactly
    the position, so "sell what I hold" flattens exactly even when the position is off the lot grid.
    """
    if math.isnan(qty):
        if mode == SIZING_FIXED_QUANTITY:
            qty = value
        elif mode == SIZING_FIXED_NOTIONAL:
            qty = value / ref_price
        else:
            qty = value * equity / ref_price
    if lot > 0.0:
        qty = math.floor(qty / lot + 1e-9) * lot
    held = abs(position)
    if side * position < 0.0 and abs(qty - held) <= 1e-9 * max(1.0, held):
        qty = held
    return qty


@nb.njit(cache=True, inline="always")
def risk_reason_nb(side, qty, ref_price, k, pos, last, working, n_working, cfg) -> int:
    """0 if the risk rules accept the sized order, else the first rule's rejection code.

    The arithmetic of ``botkit.risk`` (engine state, then ``rules_from_limits`` in order):
    ``working`` is the signed remaining quantity of the working orders of instrument ``k`` on the
    order's side, ``n_working`` the working orders of all instruments; exposure values the order's
    instrument at ``ref_price`` and the others' positions at their last prices.
    """
    position = pos[k]
    if cfg.reduce_only and (
        side * position >= 0.0 or not abs(working) + qty <= abs(position) * (1.0 + LIMIT_TOLERANCE)
    ):
        return REJECT_REDUCE_ONLY
    if not qty > 0.0:
        return REJECT_QTY_ZERO
    if qty > cfg.max_order_qty:
        return REJECT_MAX_ORDER_QTY
    if qty * ref_price > cfg.max_order_notional:
        return REJECT_MAX_ORDER_NOTIONAL
    exposed = position + working
    projected = exposed + side * qty
    if abs(projected) > cfg.max_position * (1.0 + LIMIT_TOLERANCE) and abs(projected) > abs(exposed):
        return REJECT_MAX_POSITION
    if not cfg.allow_short and projected < -1e-12 * max(1.0, qty):
        return REJECT_NO_SHORT
    if cfg.max_gross_exposure < np.inf or cfg.max_net_exposure < np.inf:
        gross = 0.0
        net = 0.0
        for j in range(pos.shape[0]):
            if j != k and pos[j] != 0.0:
                value = pos[j] * (last[j] if last[j] > 0.0 else 0.0)
                gross += abs(value)
                net += value
        before = exposed * ref_price
        after = projected * ref_price
        if gross + abs(after) > cfg.max_gross_exposure * (1.0 + LIMIT_TOLERANCE) and (
            gross + abs(after) > gross + abs(before)
        ):
            return REJECT_MAX_GROSS_EXPOSURE
        if abs(net + after) > cfg.max_net_exposure * (1.0 + LIMIT_TOLERANCE) and abs(net + after) > abs(net + before):
            return REJECT_MAX_NET_EXPOSURE
    if n_working >= cfg.max_open_orders:
        return REJECT_MAX_OPEN_ORDERS
    return 0


@nb.njit(cache=True, inline="always")
def kill_switch_nb(now, equity, cfg, counters, acct) -> int:
    """Observe ``equity`` at ``now`` (``botkit.risk.killswitch.KillSwitch.observe``): the trip code or 0.

    Two shortcuts keep it to a few comparisons per event, with the same outcome: the UTC day is
    divided out only when ``now`` leaves the current day, and the drawdown is computed only below
    ``A_DD_FLOOR``, the equity of the limit plus a margin of 1e-9 of the peak (far above rounding).
    """
    day_start = counters[C_KS_DAY] * NS_PER_DAY
    if now < day_start or now - day_start >= NS_PER_DAY:
        counters[C_KS_DAY] = now // NS_PER_DAY
        acct[A_DAY_OPEN] = equity
    if equity > acct[A_PEAK]:
        acct[A_PEAK] = equity
        acct[A_DD_FLOOR] = equity * (1.0 - cfg.max_drawdown_pct / 100.0) + abs(equity) * 1e-9
    if acct[A_DAY_OPEN] - equity >= cfg.max_daily_loss:
        return REJECT_DAILY_LOSS
    if equity <= acct[A_DD_FLOOR]:
        peak = acct[A_PEAK]
        if peak > 0.0 and (peak - equity) / peak * 100.0 >= cfg.max_drawdown_pct:
            return REJECT_MAX_DRAWDOWN
    return 0


@nb.njit(cache=True, _nrt=False)  # rare path: compiled once, shared by every kernel (see _SHARED)
def _trip_nb(now, code, equity, cfg, pos, wi, wf, counters, acct):
    """The kill switch fired: record it, cancel every working order, flatten if configured."""
    counters[C_KS_CODE] = code
    counters[C_KS_TS] = now
    acct[A_TRIP_EQUITY] = equity
    n = 0
    if cfg.flatten_on_kill:
        for j in range(pos.shape[0]):
            if pos[j] != 0.0:
                wi[n, W_ID] = counters[C_NEXT_ORDER]
                wi[n, W_INST] = j
                wi[n, W_SIDE] = -1 if pos[j] > 0.0 else 1
                wi[n, W_TYPE] = ORDER_MARKET
                wi[n, W_ELIGIBLE] = now + cfg.latency_ns
                wi[n, W_TRIGGERED] = 0
                wf[n, W_QTY] = abs(pos[j])
                wf[n, W_PRICE] = np.nan
                counters[C_NEXT_ORDER] += 1
                n += 1
    counters[C_WORKING] = n


GUARD_OFF = 0  # no kill switch
GUARD_WATCHING = 1  # kill switch armed
GUARD_HALTED = 2  # kill switch tripped: the strategy is no longer called


@nb.njit(cache=True, inline="always")
def _guard_nb(cfg, counters) -> int:
    if not cfg.kill_switch:
        return GUARD_OFF
    return GUARD_HALTED if counters[C_KS_CODE] != 0 else GUARD_WATCHING


@nb.njit(cache=True, inline="always")
def _record_fill_nb(ts, order_id, inst, side, qty, price, fee, liquidity, fi, ff, counters):
    n = counters[C_FILLS]
    fi[n, F_TS] = ts
    fi[n, F_ORDER] = order_id
    fi[n, F_INST] = inst
    fi[n, F_SIDE] = side
    fi[n, F_LIQUIDITY] = liquidity
    ff[n, F_QTY] = qty
    ff[n, F_PRICE] = price
    ff[n, F_FEE] = fee
    counters[C_FILLS] = n + 1


@nb.njit(cache=True, inline="always")
def _fill_nb(ts, w, qty, price, liquidity, cfg, wi, pos, acct, fi, ff, counters):
    side = wi[w, W_SIDE]
    inst = wi[w, W_INST]
    fee = fee_nb(qty, price, cfg.maker_bps if liquidity == LIQUIDITY_MAKER else cfg.taker_bps)
    if side > 0:
        acct[A_CASH] -= qty * price + fee
    else:
        acct[A_CASH] += qty * price - fee
    acct[A_FEES] += fee
    pos[inst] += side * qty
    _record_fill_nb(ts, wi[w, W_ID], inst, side, qty, price, fee, liquidity, fi, ff, counters)


@nb.njit(cache=True, inline="always")
def _match_bar_nb(k, ts, o, h, lo, cfg, tick, wi, wf, pos, acct, fi, ff, counters):
    kept = 0
    for w in range(counters[C_WORKING]):
        px = np.nan
        if wi[w, W_INST] == k and wi[w, W_ELIGIBLE] <= ts:
            side = wi[w, W_SIDE]
            typ = wi[w, W_TYPE]
            level = wf[w, W_PRICE]
            if typ == ORDER_MARKET:
                px = slipped_price_nb(o, side, cfg.slippage_bps, cfg.slippage_ticks, tick)
            elif typ == ORDER_LIMIT:
                if side > 0 and lo <= level:
                    px = min(o, level)
                elif side < 0 and h >= level:
                    px = max(o, level)
            elif side > 0 and h >= level:
                px = slipped_price_nb(max(o, level), side, cfg.slippage_bps, cfg.slippage_ticks, tick)
            elif side < 0 and lo <= level:
                px = slipped_price_nb(min(o, level), side, cfg.slippage_bps, cfg.slippage_ticks, tick)
        if math.isnan(px):
            _move_row_nb(wi, wf, w, kept)
            kept += 1
        else:
            liq = LIQUIDITY_MAKER if wi[w, W_TYPE] == ORDER_LIMIT else LIQUIDITY_TAKER
            _fill_nb(ts, w, wf[w, W_QTY], px, liq, cfg, wi, pos, acct, fi, ff, counters)
    counters[C_WORKING] = kept


@nb.njit(cache=True, inline="always")
def _match_tick_nb(k, ts, buy_px, buy_avail, sell_px, sell_avail, shared, cfg, tick, wi, wf, pos, acct, fi, ff,
                   counters):
    """Match working orders of ``k`` against a trade or a quote (buys at ask, sells at bid).

    ``shared``: buys and sells draw on one quantity (a trade's size), not one per side.
    """
    kept = 0
    for w in range(counters[C_WORKING]):
        done = False
        if wi[w, W_INST] == k and wi[w, W_ELIGIBLE] <= ts:
            side = wi[w, W_SIDE]
            typ = wi[w, W_TYPE]
            level = wf[w, W_PRICE]
            ref = buy_px if side > 0 else sell_px
            px = np.nan
            if typ == ORDER_STOP and wi[w, W_TRIGGERED] == 0:
                if (side > 0 and ref >= level) or (side < 0 and ref <= level):
                    wi[w, W_TRIGGERED] = 1
            if typ == ORDER_MARKET or (typ == ORDER_STOP and wi[w, W_TRIGGERED] == 1):
                px = slipped_price_nb(ref, side, cfg.slippage_bps, cfg.slippage_ticks, tick)
            elif typ == ORDER_LIMIT and ((side > 0 and ref <= level) or (side < 0 and ref >= level)):
                px = level
            avail = buy_avail if side > 0 else sell_avail
            if not math.isnan(px) and avail > 0.0:
                remaining = wf[w, W_QTY]
                qty = remaining if remaining <= avail else avail
                if side > 0 or shared:
                    buy_avail -= qty
                if side < 0 or shared:
                    sell_avail -= qty
                liq = LIQUIDITY_MAKER if typ == ORDER_LIMIT else LIQUIDITY_TAKER
                _fill_nb(ts, w, qty, px, liq, cfg, wi, pos, acct, fi, ff, counters)
                done = qty == remaining
                if not done:
                    wf[w, W_QTY] = remaining - qty
        if not done:
            _move_row_nb(wi, wf, w, kept)
            kept += 1
    counters[C_WORKING] = kept


@nb.njit(cache=True, inline="always")
def _move_row_nb(wi, wf, src, dst):
    # Element by element: a slice (a view) costs two atomic reference counts per array, and keeps
    # the compiler from dropping those of the arrays around it (half the time of a fill-heavy replay).
    if src != dst:
        for c in range(wi.shape[1]):
            wi[dst, c] = wi[src, c]
        for c in range(wf.shape[1]):
            wf[dst, c] = wf[src, c]


@nb.njit(cache=True, inline="always")
def valid_intent_nb(action, side, qty, price) -> bool:
    """Whether a step's returned ``(action, side, qty, price)`` is a legal intent.

    The replay loops and the adapter that calls a step from Python (``backtest/step_adapter.py``)
    both judge a step's intents with this function.
    """
    if action < ACTION_NONE or action > ACTION_MAX:
        return False
    if action == ACTION_NONE or action == ACTION_CANCEL_ALL:
        return True
    if side != 1 and side != -1:
        return False
    if not (math.isnan(qty) or (qty > 0.0 and qty < np.inf)):
        return False
    if action != ACTION_MARKET and action != ACTION_REPLACE_MARKET and not (price > 0.0 and price < np.inf):
        return False
    return True


@nb.njit(cache=True, inline="always")
def _cancel_all_nb(k, wi, wf, counters):
    kept = 0
    for w in range(counters[C_WORKING]):
        if wi[w, W_INST] != k:
            _move_row_nb(wi, wf, w, kept)
            kept += 1
    counters[C_WORKING] = kept


@nb.njit(cache=True, inline="always")
def decode_action_nb(action):
    """What a valid ``action`` asks for: (cancel the instrument's working orders first, order type).

    The order type is ``ORDER_MARKET``, ``ORDER_LIMIT``, ``ORDER_STOP`` or ``ORDER_NONE`` (nothing
    to place). ``_submit_nb`` and the step adapter (``backtest/step_adapter.py``) both decode with it.
    """
    cancel_first = action == ACTION_CANCEL_ALL or action >= ACTION_REPLACE_LIMIT
    if action == ACTION_NONE or action == ACTION_CANCEL_ALL:
        return cancel_first, ORDER_NONE
    if action == ACTION_MARKET or action == ACTION_REPLACE_MARKET:
        return cancel_first, ORDER_MARKET
    if action == ACTION_LIMIT or action == ACTION_REPLACE_LIMIT:
        return cancel_first, ORDER_LIMIT
    return cancel_first, ORDER_STOP


@nb.njit(cache=True, _nrt=False)  # rare path: compiled once, shared by every kernel (see _SHARED)
def _submit_nb(ts, k, row, action, side, qty, price, ref_price, equity, cfg, lot, pos, last, wi, wf, ri, counters):
    """Cancel, size, risk-check and enqueue one intent of the step; rejections are logged."""
    cancel_first, typ = decode_action_nb(action)
    if cancel_first:
        _cancel_all_nb(k, wi, wf, counters)
    if typ == ORDER_NONE:
        return
    qty = sized_qty_nb(qty, ref_price, equity, cfg.sizing_mode, cfg.sizing_value, lot, side, pos[k])
    n = counters[C_WORKING]
    working = 0.0
    for w in range(n):
        if wi[w, W_INST] == k and wi[w, W_SIDE] == side:
            working += side * wf[w, W_QTY]
    reason = risk_reason_nb(side, qty, ref_price, k, pos, last, working, n, cfg)
    if reason == 0 and n >= cfg.max_working:
        reason = REJECT_TOO_MANY_ORDERS
    if reason != 0:
        r = counters[C_REJECTS]
        ri[r, R_TS] = ts
        ri[r, R_INST] = k
        ri[r, R_REASON] = reason
        ri[r, R_SIDE] = side
        counters[C_REJECTS] = r + 1
        row[SLOT_REJECTED] += 1.0
        return
    wi[n, W_ID] = counters[C_NEXT_ORDER]
    wi[n, W_INST] = k
    wi[n, W_SIDE] = side
    wi[n, W_TYPE] = typ
    wi[n, W_ELIGIBLE] = ts + cfg.latency_ns
    wi[n, W_TRIGGERED] = 0
    wf[n, W_QTY] = qty
    wf[n, W_PRICE] = price
    counters[C_NEXT_ORDER] += 1
    counters[C_WORKING] = n + 1


@nb.njit(cache=True, inline="always")
def _equity_nb(cash, pos, last, n_inst):
    equity = cash
    for j in range(n_inst):
        equity += pos[j] * last[j]
    return equity


@nb.njit(cache=True, inline="always")
def _exposed_nb(pos, n_inst) -> bool:
    for j in range(n_inst):
        if pos[j] != 0.0:
            return True
    return False


@nb.njit(cache=True, inline="always")
def _working_count_nb(k, wi, n_working) -> float:
    working = 0
    for w in range(n_working):
        if wi[w, W_INST] == k:
            working += 1
    return float(working)


@nb.njit(cache=True, inline="always")
def _suspend_nb(status, i, counters, n_eq, bucket, exposed):
    counters[C_EQUITY] = n_eq
    counters[C_EQ_BUCKET] = bucket
    counters[C_EXPOSED] = exposed
    return status, i


# The replay loops keep their counters in local variables (registers) and write them back to
# ``counters`` only around the rare calls that change them (matching, submitting) and on return.
# The per-event part is written out in each loop on purpose: calls there cost more than the work.
# They allocate nothing, so they are compiled without numba's reference counting (``_NO_REFCOUNT``):
# with it, every inlined call that passes an array (the step's row, the helpers' tables) can cost
# atomic increments on every event, which refcount pruning does not always remove.
_NO_REFCOUNT = {"cache": False, "_nrt": False}
# _SHARED: submitting an order and the kill switch's trip run once an order or once a run, so the
# kernels call them instead of inlining them: compiled once (cached, without reference counting as
# the kernels are) and shared by every strategy's kernels. Matching stays inlined: a call per event
# while orders work cost the fill-heavy tick replay 20 %.


@nb.njit(cache=True, inline="always")
def _nothing_carried_nb(row, params):
    return 0


@nb.njit(cache=True, inline="always")
def _store_nothing_nb(row, carry):
    return None


def carried_ops(step, multi):
    """``(load, step, store)`` of ``step`` for a replay kernel (``declared_carried``'s protocol).

    A declared step replayed on one symbol has a form that carries its hottest indicator state in
    registers (``step.botkit_carried``); any other step (or several symbols: a row each) is called
    as it is, with nothing carried.
    """
    ops = None if multi else getattr(step, "botkit_carried", None)
    if ops is not None:
        return ops

    @nb.njit(cache=False, inline="always", _nrt=False)
    def uncarried_step(row, event, params, carry):
        action, side, qty, price = step(row, event, params)
        return action, side, qty, price, carry

    return _nothing_carried_nb, uncarried_step, _store_nothing_nb


def make_replay_bars_nb(step, multi):
    """A kernel replaying bars through the compiled strategy ``step``.

    With one instrument (``multi`` False) cash, position and last price live in registers and are
    synchronised with the arrays only around fills and submissions; equity timestamps are the bar
    timestamps and are not written (the wrapper uses ``ts``) unless an equity resolution is set.
    """
    load, carried_step, store = carried_ops(step, multi)

    @nb.njit(**_NO_REFCOUNT)
    def replay_bars_nb(
        ts, inst, o, h, lo, c, v, start, n_inst, cfg, tick, lot, state, params,
        pos, last, acct, wi, wf, fi, ff, ri, counters, eq_ts, eq_val,
    ):
        interval = cfg.bar_interval_ns
        res = cfg.equity_resolution_ns
        n_eq = counters[C_EQUITY]
        bucket = counters[C_EQ_BUCKET]
        exposed = counters[C_EXPOSED]
        n_working = counters[C_WORKING]
        fill_room = fi.shape[0] - counters[C_FILLS]
        reject_room = ri.shape[0] - counters[C_REJECTS]
        cash = acct[A_CASH]
        position = pos[0]
        guard = _guard_nb(cfg, counters)
        row = state[0]
        k = 0
        carry = load(row, params)
        for i in range(start, ts.shape[0]):
            if n_working >= fill_room or reject_room <= 0:
                if not multi and i > start:
                    last[0] = c[i - 1]
                store(row, carry)
                return _suspend_nb(STATUS_NEED_SPACE, i, counters, n_eq, bucket, exposed)
            t = ts[i]
            if multi:
                k = inst[i]
                row = state[k]
            if n_working > 0:
                _match_bar_nb(k, t, o[i], h[i], lo[i], cfg, tick[k], wi, wf, pos, acct, fi, ff, counters)
                n_working = counters[C_WORKING]
                fill_room = fi.shape[0] - counters[C_FILLS]
                cash = acct[A_CASH]
            close = c[i]
            if multi:
                last[k] = close
                position = pos[k]
                equity = _equity_nb(cash, pos, last, n_inst)
                if _exposed_nb(pos, n_inst):
                    exposed += 1
            else:
                position = pos[0]
                equity = cash + position * close
                if position != 0.0:
                    exposed += 1
            if res <= 0:
                eq_val[n_eq] = equity
                n_eq += 1
            else:
                if n_eq == 0 or t // res != bucket:
                    n_eq += 1
                    bucket = t // res
                eq_ts[n_eq - 1] = t
                eq_val[n_eq - 1] = equity
            row[SLOT_POSITION] = position
            row[SLOT_CASH] = cash
            row[SLOT_EQUITY] = equity
            row[SLOT_WORKING] = 0.0 if n_working == 0 else _working_count_nb(k, wi, n_working)
            if guard != GUARD_OFF:
                if guard == GUARD_WATCHING:
                    code = kill_switch_nb(t + interval, equity, cfg, counters, acct)
                    if code != 0:
                        _trip_nb(t + interval, code, equity, cfg, pos, wi, wf, counters, acct)
                        n_working = counters[C_WORKING]
                        guard = GUARD_HALTED
                if guard == GUARD_HALTED:
                    continue
            action, side, qty, price, carry = carried_step(row, BarRecord(t, k, o[i], h[i], lo[i], close, v[i]),
                                                           params, carry)
            if action != ACTION_NONE:
                if not valid_intent_nb(action, side, qty, price):
                    counters[C_ERROR_EVENT] = i
                    if not multi:
                        last[0] = close
                    store(row, carry)
                    return _suspend_nb(STATUS_BAD_INTENT, i, counters, n_eq, bucket, exposed)
                _submit_nb(t + interval, k, row, action, side, qty, price, close, equity, cfg, lot[k],
                           pos, last, wi, wf, ri, counters)
                n_working = counters[C_WORKING]
                reject_room = ri.shape[0] - counters[C_REJECTS]
        if not multi and ts.shape[0] > start:
            last[0] = c[ts.shape[0] - 1]
        store(row, carry)
        return _suspend_nb(STATUS_DONE, ts.shape[0], counters, n_eq, bucket, exposed)

    return replay_bars_nb


@nb.njit(cache=True, inline="always")
def _equity_point_nb(t, equity, res, n_eq, bucket, lo, hi, eq_ts, eq_val):
    """Write the equity at ``t``: a new point per event, or per ``res`` bucket ``[lo, hi)`` (no division per event)."""
    if res <= 0 or n_eq == 0 or t < lo or t >= hi:
        n_eq += 1
        if res > 0:
            bucket = t // res
            lo = bucket * res
            hi = lo + res
    eq_ts[n_eq - 1] = t
    eq_val[n_eq - 1] = equity
    return n_eq, bucket, lo, hi


def make_replay_trades_nb(step, multi):
    """A kernel replaying trades through ``step``; fills are bounded by each trade's size.

    Counters live in registers as in the bars loop, synchronised around matching and submitting.
    """
    load, carried_step, store = carried_ops(step, multi)

    @nb.njit(**_NO_REFCOUNT)
    def replay_trades_nb(
        ts, inst, price, size, side, start, n_inst, cfg, tick, lot, state, params,
        pos, last, acct, wi, wf, fi, ff, ri, counters, eq_ts, eq_val,
    ):
        res = cfg.equity_resolution_ns
        n_eq = counters[C_EQUITY]
        bucket = counters[C_EQ_BUCKET]
        lo = bucket * res if res > 0 and n_eq > 0 else 0
        hi = lo + res
        exposed = counters[C_EXPOSED]
        n_working = counters[C_WORKING]
        fill_room = fi.shape[0] - counters[C_FILLS]
        reject_room = ri.shape[0] - counters[C_REJECTS]
        guard = _guard_nb(cfg, counters)
        row = state[0]
        k = 0
        carry = load(row, params)
        for i in range(start, ts.shape[0]):
            t = ts[i]
            if multi:
                k = inst[i]
                row = state[k]
            if n_working >= fill_room or reject_room <= 0:
                store(row, carry)
                return _suspend_nb(STATUS_NEED_SPACE, i, counters, n_eq, bucket, exposed)
            if n_working > 0:
                _match_tick_nb(k, t, price[i], size[i], price[i], size[i], True, cfg, tick[k], wi, wf, pos, acct,
                               fi, ff, counters)
                n_working = counters[C_WORKING]
                fill_room = fi.shape[0] - counters[C_FILLS]
            mark = price[i]
            last[k] = mark
            cash = acct[A_CASH]
            equity = _equity_nb(cash, pos, last, n_inst) if multi else cash + pos[0] * mark
            if _exposed_nb(pos, n_inst) if multi else pos[0] != 0.0:
                exposed += 1
            n_eq, bucket, lo, hi = _equity_point_nb(t, equity, res, n_eq, bucket, lo, hi, eq_ts, eq_val)
            row[SLOT_POSITION] = pos[k]
            row[SLOT_CASH] = cash
            row[SLOT_EQUITY] = equity
            row[SLOT_WORKING] = 0.0 if n_working == 0 else _working_count_nb(k, wi, n_working)
            if guard != GUARD_OFF:
                if guard == GUARD_WATCHING:
                    code = kill_switch_nb(t, equity, cfg, counters, acct)
                    if code != 0:
                        _trip_nb(t, code, equity, cfg, pos, wi, wf, counters, acct)
                        n_working = counters[C_WORKING]
                        guard = GUARD_HALTED
                if guard == GUARD_HALTED:
                    continue
            action, o_side, qty, level, carry = carried_step(row, TradeRecord(t, k, price[i], size[i], side[i]), params,
                                                             carry)
            if action != ACTION_NONE:
                if not valid_intent_nb(action, o_side, qty, level):
                    counters[C_ERROR_EVENT] = i
                    store(row, carry)
                    return _suspend_nb(STATUS_BAD_INTENT, i, counters, n_eq, bucket, exposed)
                _submit_nb(t, k, row, action, o_side, qty, level, mark, equity, cfg, lot[k], pos, last, wi, wf,
                           ri, counters)
                n_working = counters[C_WORKING]
                reject_room = ri.shape[0] - counters[C_REJECTS]
        store(row, carry)
        return _suspend_nb(STATUS_DONE, ts.shape[0], counters, n_eq, bucket, exposed)

    return replay_trades_nb


def make_replay_quotes_nb(step, multi):
    """A kernel replaying quotes through ``step``; buys take the ask, sells the bid (counters as for trades)."""
    load, carried_step, store = carried_ops(step, multi)

    @nb.njit(**_NO_REFCOUNT)
    def replay_quotes_nb(
        ts, inst, bid, bid_size, ask, ask_size, start, n_inst, cfg, tick, lot, state, params,
        pos, last, acct, wi, wf, fi, ff, ri, counters, eq_ts, eq_val,
    ):
        res = cfg.equity_resolution_ns
        n_eq = counters[C_EQUITY]
        bucket = counters[C_EQ_BUCKET]
        lo = bucket * res if res > 0 and n_eq > 0 else 0
        hi = lo + res
        exposed = counters[C_EXPOSED]
        n_working = counters[C_WORKING]
        fill_room = fi.shape[0] - counters[C_FILLS]
        reject_room = ri.shape[0] - counters[C_REJECTS]
        guard = _guard_nb(cfg, counters)
        row = state[0]
        k = 0
        carry = load(row, params)
        for i in range(start, ts.shape[0]):
            t = ts[i]
            if multi:
                k = inst[i]
                row = state[k]
            if n_working >= fill_room or reject_room <= 0:
                store(row, carry)
                return _suspend_nb(STATUS_NEED_SPACE, i, counters, n_eq, bucket, exposed)
            if n_working > 0:
                _match_tick_nb(k, t, ask[i], ask_size[i], bid[i], bid_size[i], False, cfg, tick[k], wi, wf, pos,
                               acct, fi, ff, counters)
                n_working = counters[C_WORKING]
                fill_room = fi.shape[0] - counters[C_FILLS]
            mark = (bid[i] + ask[i]) / 2.0
            last[k] = mark
            cash = acct[A_CASH]
            equity = _equity_nb(cash, pos, last, n_inst) if multi else cash + pos[0] * mark
            if _exposed_nb(pos, n_inst) if multi else pos[0] != 0.0:
                exposed += 1
            n_eq, bucket, lo, hi = _equity_point_nb(t, equity, res, n_eq, bucket, lo, hi, eq_ts, eq_val)
            row[SLOT_POSITION] = pos[k]
            row[SLOT_CASH] = cash
            row[SLOT_EQUITY] = equity
            row[SLOT_WORKING] = 0.0 if n_working == 0 else _working_count_nb(k, wi, n_working)
            if guard != GUARD_OFF:
                if guard == GUARD_WATCHING:
                    code = kill_switch_nb(t, equity, cfg, counters, acct)
                    if code != 0:
                        _trip_nb(t, code, equity, cfg, pos, wi, wf, counters, acct)
                        n_working = counters[C_WORKING]
                        guard = GUARD_HALTED
                if guard == GUARD_HALTED:
                    continue
            action, o_side, qty, level, carry = carried_step(
                row, QuoteRecord(t, k, bid[i], bid_size[i], ask[i], ask_size[i]), params, carry)
            if action != ACTION_NONE:
                if not valid_intent_nb(action, o_side, qty, level):
                    counters[C_ERROR_EVENT] = i
                    store(row, carry)
                    return _suspend_nb(STATUS_BAD_INTENT, i, counters, n_eq, bucket, exposed)
                _submit_nb(t, k, row, action, o_side, qty, level, mark, equity, cfg, lot[k], pos, last, wi, wf,
                           ri, counters)
                n_working = counters[C_WORKING]
                reject_room = ri.shape[0] - counters[C_REJECTS]
        store(row, carry)
        return _suspend_nb(STATUS_DONE, ts.shape[0], counters, n_eq, bucket, exposed)

    return replay_quotes_nb
