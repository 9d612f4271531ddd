"""Order lifecycle rules of the simulated venue, without the network.

Order types, time in force, post-only, reduce-only, stops, funds and fees.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from botkit.core.clock import LiveClock
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.sim.syncron import DEFAULT_API_KEY
from botkit.sim.syncron.errors import ApiError, ErrorCode
from botkit.sim.syncron.exchange import Exchange
from botkit.sim.syncron.order_rules import OrderRequest
from botkit.sim.syncron.records import WireStatus

from .conftest import quiet_config

D = Decimal

ME = DEFAULT_API_KEY
SYM = "BTCUSD"


@pytest.fixture
def ex() -> Exchange:
    config = quiet_config()
    btc = config.symbols[0].model_copy(update={"min_notional": D("0.5")})
    exchange = Exchange(config.model_copy(update={"symbols": (btc,)}), LiveClock())
    exchange.add_internal_account("mm", {"BTC": D(1000), "USD": D(10**9)})
    return exchange


def order(
    side: Side, qty: str, kind: OrderType = OrderType.LIMIT, price: str | None = None, **kw
) -> OrderRequest:
    return OrderRequest(SYM, side, kind, D(qty), price=D(price) if price else None, **kw)


def ladder(ex: Exchange) -> None:
    """Asks 0.01 @ 100.0, 100.1, 100.2; bids 0.01 @ 99.9, 99.8, 99.7 (account mm)."""
    for i in range(3):
        ex.place("mm", order(Side.SELL, "0.01", price=str(D("100.0") + D("0.1") * i)))
        ex.place("mm", order(Side.BUY, "0.01", price=str(D("99.9") - D("0.1") * i)))


def usd(ex: Exchange) -> tuple[D, D]:
    bal = ex.accounts.get(ME).balance("USD")
    return bal.free, bal.locked


def error_code(call) -> ErrorCode:
    with pytest.raises(ApiError) as info:
        call()
    return info.value.code


def test_market_buy_walks_the_book_and_pays_taker_fee(ex):
    ladder(ex)
    o = ex.place(ME, order(Side.BUY, "0.025", OrderType.MARKET))
    assert o.status is WireStatus.FILLED and o.filled_qty == D("0.025")
    assert o.filled_quote == D("0.01") * D(100) + D("0.01") * D("100.1") + D("0.005") * D("100.2")
    fills = ex.orders.fills(ME)
    assert [f.price for f in reversed(fills)] == [D(100), D("100.1"), D("100.2")]
    assert all(
        f.liquidity.value == "taker" and f.fee == f.price * f.qty * D("0.0005") for f in fills
    )
    free, locked = usd(ex)
    assert locked == 0
    assert free == D(100_000) - o.filled_quote - sum(f.fee for f in fills)
    assert ex.accounts.get(ME).balance("BTC").free == D("1.025")


def test_ioc_fills_what_it_can_and_expires_the_rest(ex):
    ladder(ex)
    o = ex.place(ME, order(Side.BUY, "0.05", price="100.1", time_in_force=TimeInForce.IOC))
    assert o.status is WireStatus.EXPIRED and o.filled_qty == D("0.02")
    assert ex.markets[SYM].book.best_ask() == D("100.2")
    assert usd(ex)[1] == 0


def test_fok_all_or_nothing(ex):
    ladder(ex)
    o = ex.place(ME, order(Side.BUY, "0.05", price="100.2", time_in_force=TimeInForce.FOK))
    assert o.status is WireStatus.EXPIRED and o.filled_qty == 0
    assert len(ex.markets[SYM].book) == 6
    o = ex.place(ME, order(Side.BUY, "0.03", price="100.2", time_in_force=TimeInForce.FOK))
    assert o.status is WireStatus.FILLED


def test_limit_rests_with_funds_reserved_and_cancel_releases(ex):
    o = ex.place(ME, order(Side.BUY, "1", price="1000"))
    assert o.status is WireStatus.NEW and ex.markets[SYM].book.best_bid() == D(1000)
    assert usd(ex) == (D(100_000) - D("1000.5"), D("1000.5"))  # qty × price × (1 + 5 bp)
    ex.cancel(ME, order_id=o.order_id)
    assert o.status is WireStatus.CANCELED and o.cancel_reason == "user"
    assert usd(ex) == (D(100_000), 0)
    assert error_code(lambda: ex.cancel(ME, order_id=o.order_id)) is ErrorCode.ORDER_NOT_OPEN


def test_maker_fill_at_maker_price_with_maker_fee(ex):
    resting = ex.place(ME, order(Side.SELL, "0.1", price="200"))
    ex.place("mm", order(Side.BUY, "0.04", OrderType.MARKET))
    assert resting.status is WireStatus.PARTIALLY_FILLED and resting.filled_qty == D("0.04")
    (fill,) = ex.orders.fills(ME)
    assert fill.liquidity.value == "maker" and fill.price == D(200)
    assert fill.fee == D("0.04") * D(200) * D("0.0001")
    assert ex.accounts.get(ME).balance("BTC").locked == D("0.06")


def test_insufficient_balance_is_40002_and_changes_nothing(ex):
    assert error_code(lambda: ex.place(ME, order(Side.BUY, "2", price="60000"))) is (
        ErrorCode.INSUFFICIENT_BALANCE
    )
    assert error_code(lambda: ex.place(ME, order(Side.SELL, "1.5", price="60000"))) is (
        ErrorCode.INSUFFICIENT_BALANCE
    )
    assert usd(ex) == (D(100_000), 0) and not ex.orders.open_orders(ME)


def test_post_only_rejected_if_it_would_take(ex):
    ladder(ex)
    assert (
        error_code(lambda: ex.place(ME, order(Side.BUY, "0.01", price="100", post_only=True)))
        is ErrorCode.POST_ONLY_WOULD_TAKE
    )
    o = ex.place(ME, order(Side.BUY, "0.01", price="99.9", post_only=True))
    assert o.status is WireStatus.NEW


@pytest.mark.parametrize(
    ("req", "parameter"),
    [
        (order(Side.BUY, "0.00015", price="100"), "qty"),
        (order(Side.BUY, "0.1", price="100.05"), "price"),
        (order(Side.BUY, "0.001", price="100"), "qty"),  # notional 0.1 < min notional 0.5
        (order(Side.BUY, "0.1", OrderType.MARKET, price="100"), "price"),
        (order(Side.BUY, "0.1", OrderType.MARKET, time_in_force=TimeInForce.GTC), "time_in_force"),
        (order(Side.BUY, "0.1", OrderType.LIMIT), "price"),
        (order(Side.BUY, "0.1", OrderType.STOP), "stop_price"),
        (
            order(Side.BUY, "0.1", price="100", post_only=True, time_in_force=TimeInForce.IOC),
            "post_only",
        ),
        (OrderRequest("NOPE", Side.BUY, OrderType.MARKET, D(1)), "symbol"),
    ],
)
def test_invalid_orders_name_the_parameter(ex, req, parameter):
    with pytest.raises(ApiError) as info:
        ex.place(ME, req)
    assert info.value.code is ErrorCode.INVALID_PARAMETER
    assert info.value.details["parameter"] == parameter


def test_market_order_on_an_empty_book_expires(ex):
    o = ex.place(ME, order(Side.SELL, "0.1", OrderType.MARKET))
    assert o.status is WireStatus.EXPIRED and o.filled_qty == 0
    assert ex.accounts.get(ME).balance("BTC").locked == 0


def test_reduce_only_rules(ex):
    ladder(ex)
    flat = order(Side.SELL, "0.01", OrderType.MARKET, reduce_only=True)
    assert error_code(lambda: ex.place(ME, flat)) is ErrorCode.REDUCE_ONLY_REJECTED
    ex.place(ME, order(Side.BUY, "0.02", OrderType.MARKET))  # long 0.02
    same_side = order(Side.BUY, "0.01", price="99", reduce_only=True)
    assert error_code(lambda: ex.place(ME, same_side)) is ErrorCode.REDUCE_ONLY_REJECTED
    # a resting reduce-only sell bigger than the position is cut to it
    tp = ex.place(ME, order(Side.SELL, "0.5", price="150", reduce_only=True))
    assert tp.qty == D("0.02") and tp.status is WireStatus.NEW
    # closing the position elsewhere cancels it
    ex.place(ME, order(Side.SELL, "0.02", OrderType.MARKET))
    assert ex.accounts.get(ME).position(SYM).qty == 0
    assert tp.status is WireStatus.CANCELED and tp.cancel_reason == "reduce_only"
    assert ex.accounts.get(ME).balance("BTC").locked == 0


def test_stop_triggers_on_last_trade_and_executes(ex):
    ladder(ex)
    ex.place("mm", order(Side.BUY, "0.01", OrderType.MARKET))  # last trade 100.0
    stop = ex.place(
        ME, OrderRequest(SYM, Side.BUY, OrderType.STOP, D("0.01"), stop_price=D("100.1"))
    )
    assert stop.status is WireStatus.UNTRIGGERED and usd(ex)[1] == 0
    reached = OrderRequest(SYM, Side.BUY, OrderType.STOP, D("0.1"), stop_price=D(100))
    assert error_code(lambda: ex.place(ME, reached)) is ErrorCode.INVALID_PARAMETER
    ex.place("mm", order(Side.BUY, "0.01", OrderType.MARKET))  # trades at 100.1: trigger
    assert stop.triggered and stop.status is WireStatus.FILLED
    assert stop.avg_fill_price == D("100.2")


def test_stop_limit_rests_after_trigger_and_stop_sell(ex):
    ladder(ex)
    stop = ex.place(
        ME,
        OrderRequest(SYM, Side.SELL, OrderType.STOP, D("0.05"), price=D(95), stop_price=D("99.8")),
    )
    assert stop.time_in_force is TimeInForce.GTC
    ex.place("mm", order(Side.SELL, "0.02", OrderType.MARKET))  # trades 99.9, 99.8: trigger
    # the stop-limit sells 0.01 into the last bid (99.7) and rests the rest at 95
    assert stop.triggered and stop.status is WireStatus.PARTIALLY_FILLED
    assert stop.filled_qty == D("0.01") and stop.avg_fill_price == D("99.7")
    assert ex.markets[SYM].book.best_ask() == D(95)


def test_quote_and_base_are_conserved_between_accounts(ex):
    ladder(ex)
    accounts = [ex.accounts.get(ME), ex.accounts.get("mm")]

    def totals() -> tuple[D, D]:
        return (
            sum((a.balance("USD").free + a.balance("USD").locked for a in accounts), D(0)),
            sum((a.balance("BTC").free + a.balance("BTC").locked for a in accounts), D(0)),
        )

    usd0, btc0 = totals()
    ex.place(ME, order(Side.BUY, "0.025", OrderType.MARKET))
    ex.place(ME, order(Side.SELL, "0.02", price="99.8", time_in_force=TimeInForce.IOC))
    fees = sum((f.fee for f in ex.orders.fills(ME)), D(0))
    usd1, btc1 = totals()
    assert btc1 == btc0 and usd1 == usd0 - fees
