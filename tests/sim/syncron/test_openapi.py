"""The OpenAPI document is served and describes exactly the routes the app serves."""

from __future__ import annotations

from botkit.sim.syncron import ROUTES

from .conftest import Client

CONTRACT_ROUTES = {
    ("get", "/v5/time"),
    ("get", "/v5/market/instruments"),
    ("get", "/v5/market/ticker"),
    ("get", "/v5/market/orderbook"),
    ("get", "/v5/market/trades"),
    ("get", "/v5/market/klines"),
    ("post", "/v5/auth/token"),
    ("post", "/v5/auth/refresh"),
    ("post", "/v5/order"),
    ("get", "/v5/order"),
    ("delete", "/v5/order"),
    ("get", "/v5/orders/open"),
    ("delete", "/v5/orders/open"),
    ("get", "/v5/fills"),
    ("get", "/v5/account/balances"),
    ("get", "/v5/account/positions"),
    ("get", "/v5/ws"),
}


async def test_openapi_lists_every_served_route(sim, session):
    async with session.get(sim.url + "/docs/openapi.json") as r:
        assert r.status == 200
        doc = await r.json()
    assert doc["openapi"].startswith("3.")
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in sim.app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    assert documented == served
    assert documented >= CONTRACT_ROUTES
    assert len(documented) == len(ROUTES)


async def test_openapi_schemas_match_the_handlers(sim, session):
    async with session.get(sim.url + "/docs/openapi.json") as r:
        doc = await r.json()
    schemas = doc["components"]["schemas"]
    place = doc["paths"]["/v5/order"]["post"]
    body_ref = place["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schemas[body_ref.rsplit("/", 1)[1]]
    assert set(body["required"]) == {"symbol", "side", "type", "qty"}
    assert place["security"]
    data = place["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["data"]
    order = schemas[data["$ref"].rsplit("/", 1)[1]]
    assert order["properties"]["price"]["anyOf"][0]["type"] == "string"
    # a real order has exactly the documented fields
    placed = await Client(session, sim.url).place(
        symbol="BTCUSD", side="buy", type="limit", qty="0.01", price="1000"
    )
    assert set(placed) == set(order["properties"])
    params = {p["name"] for p in doc["paths"]["/v5/market/orderbook"]["get"]["parameters"]}
    assert params == {"symbol", "depth"}


async def test_docs_page_is_html(sim, session):
    async with session.get(sim.url + "/docs") as r:
        assert r.status == 200 and r.content_type == "text/html"
        assert "/v5/order" in await r.text()
