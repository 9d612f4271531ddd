"""Every REST endpoint of the contract, over HTTP against a real simulator."""

from __future__ import annotations

import aiohttp

from botkit.sim.sintra import SintraSimServer

from .helpers import PRO, T0_S, assert_error, fetch

SUPPORTED = {"usd", "eur", "gbp", "jpy", "cad", "aud", "chf"}


async def test_list_exchanges(sim: SintraSimServer, http: aiohttp.ClientSession) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/exchanges")
    assert status == 200
    assert {e["id"] for e in body} >= {"coinbase", "kraken"}
    assert all(set(e) == {"id", "name", "url"} for e in body)


async def test_list_fees_lowest_first(sim: SintraSimServer, http: aiohttp.ClientSession) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/fees")
    assert status == 200
    assert [f["priority"] for f in body] == ["low", "medium", "high"]
    rates = [f["fee"] for f in body]
    assert rates == sorted(rates) and all(isinstance(r, int) and r >= 1 for r in rates)


async def test_list_pairs(sim: SintraSimServer, http: aiohttp.ClientSession) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/pairs")
    assert status == 200
    assert {p["quote"] for p in body} == SUPPORTED
    assert all(p["pair"] == "btc" + p["quote"] and p["base"] == "btc" for p in body)


async def test_retrieve_pair_for_the_current_day(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/pairs/BTCUSD")
    assert status == 200
    assert body["pair"] == "btcusd" and body["quote"] == "usd"
    assert body["from"] == T0_S // 86_400 * 86_400
    assert body["to"] >= T0_S
    assert body["low"] <= min(body["open"], body["close"])
    assert body["high"] >= max(body["open"], body["close"])
    assert body["change"] == round(body["close"] - body["open"], 2)
    assert body["volume"] > 0
    _, latest, _ = await fetch(http, f"{sim.base_url}/prices/btcusd")
    assert abs(latest["price"] - body["close"]) / body["close"] < 0.01


async def test_retrieve_pair_for_a_past_24_hours(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    date = 1_599_998_400  # on the minute (and hour) grid
    status, body, _ = await fetch(http, f"{sim.base_url}/pairs/btceur?date={date}")
    assert status == 200
    assert (body["from"], body["to"]) == (date, date + 86_400)
    again = await fetch(http, f"{sim.base_url}/pairs/btceur?date={date}")
    assert again[1] == body, "a past window is reproducible"
    _, history, _ = await fetch(
        http, f"{sim.base_url}/prices/btceur/history?interval=minute&limit=1&date={date + 1}", PRO
    )
    assert history[0]["price"] == body["open"]


async def test_retrieve_pair_errors(sim: SintraSimServer, http: aiohttp.ClientSession) -> None:
    assert_error(*(await fetch(http, f"{sim.base_url}/pairs/btcnzd"))[:2], 404, "PAIR_NOT_FOUND")
    assert_error(*(await fetch(http, f"{sim.base_url}/pairs/ethusd"))[:2], 400, "INVALID_PAIR")
    future = f"{sim.base_url}/pairs/btcusd?date={T0_S + 86_400}"
    assert_error(*(await fetch(http, future))[:2], 400, "INVALID_DATE")
    millis = f"{sim.base_url}/pairs/btcusd?date={T0_S * 1000}"
    assert_error(*(await fetch(http, millis))[:2], 400, "INVALID_DATE")
    ancient = f"{sim.base_url}/pairs/btcusd?date=1000000000"
    assert_error(*(await fetch(http, ancient))[:2], 400, "INVALID_DATE")


async def test_retrieve_price_of_a_supported_pair(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/prices/btcgbp")
    assert status == 200
    assert set(body) == {"pair", "base", "quote", "price", "timestamp", "source"}
    assert (body["pair"], body["base"], body["quote"], body["source"]) == (
        "btcgbp",
        "btc",
        "gbp",
        "sintra",
    )
    assert body["price"] > 0 and abs(body["timestamp"] - T0_S) < 60


async def test_unsupported_quote_falls_back_to_coinbase_spot(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/prices/btcnzd")
    assert status == 200
    assert body["source"] == "coinbase" and body["quote"] == "nzd" and body["price"] > 0
    status, body, _ = await fetch(http, f"{sim.base_url}/prices/btcxyz")
    assert_error(status, body, 404, "PAIR_NOT_FOUND")
    status, body, _ = await fetch(http, f"{sim.base_url}/prices/usdbtc")
    assert_error(status, body, 400, "INVALID_PAIR")


async def test_list_prices_keyed_by_currency(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await fetch(http, f"{sim.base_url}/prices")
    assert status == 200
    assert set(body) == SUPPORTED
    for entry in body.values():
        assert set(entry) == {"price", "timestamp"} and entry["price"] > 0
    usd, eur = body["usd"]["price"], body["eur"]["price"]
    assert 0.8 < eur / usd < 1.0


async def test_unknown_route_and_wrong_method_use_the_error_body(
    sim: SintraSimServer, http: aiohttp.ClientSession
) -> None:
    status, body, headers = await fetch(http, f"{sim.base_url}/nothing-here")
    assert_error(status, body, 404, "ROUTE_NOT_FOUND")
    assert "X-RateLimit-Limit" in headers
    status, body, _ = await fetch(http, f"{sim.base_url}/exchanges", method="POST")
    assert_error(status, body, 405, "METHOD_NOT_ALLOWED")
