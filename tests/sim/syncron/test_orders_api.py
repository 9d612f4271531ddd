"""Trading and account endpoints over real HTTP, including idempotent client order ids."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from botkit.model.enums import OrderType, Side
from botkit.sim.syncron.order_rules import OrderRequest

from .conftest import Client

D = Decimal


def seed_asks(sim, prices=("60000", "60000.1", "60000.2"), qty="0.01") -> None:
    exchange = sim.context.exchange
    exchange.add_internal_account("mm", {"BTC": D(100), "USD": D(10**9)})
    for price in prices:
        exchange.place(
            "mm", OrderRequest("BTCUSD", Side.SELL, OrderType.LIMIT, D(qty), price=D(price))
        )


LIMIT = {"symbol": "BTCUSD", "side": "buy", "type": "limit", "qty": "0.01", "price": "50000"}


async def test_place_query_cancel_a_limit_order(client: Client):
    placed = await client.place(**LIMIT, client_order_id="my-1")
    assert placed["status"] == "new" and placed["time_in_force"] == "gtc"
    assert placed["price"] == "50000" and placed["avg_fill_price"] is None
    assert placed["client_order_id"] == "my-1"
    by_id = await client.ok("GET", "/v5/order", params={"order_id": placed["order_id"]})
    by_cid = await client.ok("GET", "/v5/order", params={"client_order_id": "my-1"})
    assert by_id == by_cid == placed
    assert [o["order_id"] for o in await client.ok("GET", "/v5/orders/open")] == [
        placed["order_id"]
    ]
    book = await client.ok("GET", "/v5/market/orderbook", params={"symbol": "BTCUSD"}, signed=False)
    assert book["bids"] == [["50000", "0.01"]] and book["seq"] >= 1
    canceled = await client.ok("DELETE", "/v5/order", params={"client_order_id": "my-1"})
    assert canceled["status"] == "canceled" and canceled["cancel_reason"] == "user"
    status, error = await client.error("DELETE", "/v5/order", params={"client_order_id": "my-1"})
    assert (status, error["code"]) == (400, 40005)
    status, error = await client.error("GET", "/v5/order", params={"order_id": "nope"})
    assert (status, error["code"]) == (404, 40401)


async def test_same_client_order_id_never_makes_a_second_order(client: Client, sim):
    first = await client.place(**LIMIT, client_order_id="dup-1")
    again = await client.place(**{**LIMIT, "price": "40000"}, client_order_id="dup-1")
    assert again == first
    concurrent = await asyncio.gather(
        *(client.place(**LIMIT, client_order_id="dup-2") for _ in range(5))
    )
    assert len({o["order_id"] for o in concurrent}) == 1
    assert len(await client.ok("GET", "/v5/orders/open")) == 2
    balances = {b["asset"]: b for b in await client.ok("GET", "/v5/account/balances")}
    assert balances["USD"]["locked"] == "1000.5"  # two orders × 0.01 × 50000 × 1.0005


async def test_rejected_order_does_not_consume_the_client_id(client: Client):
    status, error = await client.error(
        "POST", "/v5/order", body={**LIMIT, "qty": "100", "client_order_id": "r-1"}
    )
    assert (status, error["code"]) == (400, 40002)
    assert error["details"]["asset"] == "USD"
    assert (await client.place(**LIMIT, client_order_id="r-1"))["status"] == "new"


async def test_market_fill_shows_in_fills_balances_positions(client: Client, sim):
    seed_asks(sim)
    order = await client.place(symbol="BTCUSD", side="buy", type="market", qty="0.02")
    assert order["status"] == "filled" and order["time_in_force"] == "ioc"
    assert order["avg_fill_price"] == "60000.05" and order["filled_quote"] == "1200.001"
    fills = await client.ok("GET", "/v5/fills", params={"symbol": "BTCUSD"})
    assert [(f["price"], f["qty"], f["liquidity"]) for f in fills] == [
        ("60000.1", "0.01", "taker"),
        ("60000", "0.01", "taker"),
    ]
    assert fills[0]["fee_asset"] == "USD" and fills[1]["fee"] == "0.3"
    positions = await client.ok("GET", "/v5/account/positions", params={"symbol": "BTCUSD"})
    assert positions[0]["qty"] == "0.02" and positions[0]["avg_price"] == "60000.05"
    balances = {b["asset"]: b for b in await client.ok("GET", "/v5/account/balances")}
    assert balances["BTC"]["free"] == "1.02"
    assert D(balances["USD"]["total"]) == D(100_000) - D("1200.001") - D("0.6000005")
    trades = await client.ok("GET", "/v5/market/trades", params={"symbol": "BTCUSD"}, signed=False)
    assert [t["side"] for t in trades] == ["buy", "buy"] and trades[0]["price"] == "60000.1"
    ticker = await client.ok("GET", "/v5/market/ticker", params={"symbol": "BTCUSD"}, signed=False)
    assert ticker["last"] == "60000.1" and ticker["ask"] == "60000.2"
    assert ticker["volume_24h"] == "0.02" and ticker["bid"] is None
    klines = await client.ok("GET", "/v5/market/klines", params={"symbol": "BTCUSD"}, signed=False)
    assert klines[-1]["open"] == "60000" and klines[-1]["close"] == "60000.1"


async def test_cancel_all_and_validation_errors(client: Client):
    await client.place(**LIMIT)
    await client.place(**{**LIMIT, "symbol": "ETHUSD", "price": "1000"})
    canceled = await client.ok("DELETE", "/v5/orders/open", params={"symbol": "BTCUSD"})
    assert [o["symbol"] for o in canceled] == ["BTCUSD"]
    assert [o["symbol"] for o in await client.ok("GET", "/v5/orders/open")] == ["ETHUSD"]
    for body, parameter in [
        ({**LIMIT, "qty": "0.00001"}, "qty"),
        ({**LIMIT, "side": "long"}, "side"),
        ({**LIMIT, "price": "abc"}, "price"),
        ({**LIMIT, "extra": 1}, "extra"),
        ({**LIMIT, "symbol": "NOPE"}, "symbol"),
    ]:
        status, error = await client.error("POST", "/v5/order", body=body)
        assert (status, error["code"], error["details"]["parameter"]) == (400, 40001, parameter)
    status, error = await client.error("GET", "/v5/order")
    assert (status, error["code"]) == (400, 40001)


async def test_unknown_path_and_method_use_the_envelope(client: Client):
    status, error = await client.error("GET", "/v5/nope", signed=False)
    assert (status, error["code"]) == (404, 40401)
    status, error = await client.error("PUT", "/v5/order", signed=False)
    assert (status, error["code"]) == (405, 40501)
