"""The OpenAPI 3.1 document of the simulator, generated from the same route table it serves."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from botkit.sim.syncron.routing import Call, Route

OPENAPI_KEY: web.AppKey[dict[str, Any]] = web.AppKey("syncron_openapi", dict)
"""Where ``create_app`` keeps the built document."""

_REF = "#/components/schemas/{model}"
_SIGNED: dict[str, list[str]] = {"ApiKey": [], "Timestamp": [], "Signature": []}
_ERROR_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "required": ["success", "error", "timestamp"],
    "properties": {
        "success": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "integer", "examples": [40001]},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        },
        "timestamp": {"type": "integer", "description": "ms since the epoch"},
    },
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=_REF)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": route.handler.__name__,
    }
    if route.auth in ("read", "trade"):
        op["security"] = [_SIGNED, {"Bearer": []}]
        op["description"] = f"Needs the `{route.auth}` permission."
    elif route.auth == "signed":
        op["security"] = [_SIGNED]
    if route.query is not None:
        op["parameters"] = _parameters(route.query)
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(route.body)}},
        }
    if route.raw:
        kind = "text/html" if route.path == "/docs" else "application/json"
        op["responses"] = {"200": {"description": "OK", "content": {kind: {}}}}
        return op
    data: dict[str, Any] = {}
    if route.response is not None:
        data = _ref(route.response)
        if route.many:
            data = {"type": "array", "items": data}
    envelope = {
        "type": "object",
        "required": ["success", "data", "timestamp"],
        "properties": {"success": {"const": True}, "data": data, "timestamp": {"type": "integer"}},
    }
    op["responses"] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": envelope}}},
        "default": {
            "description": "error envelope (see the error code table)",
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model="ErrorEnvelope")}}
            },
        },
    }
    return op


def build_openapi(routes: Sequence[Route]) -> dict[str, Any]:
    """The OpenAPI document describing every route in ``routes``."""
    Mode = Literal["validation", "serialization"]
    models: dict[tuple[type[BaseModel], Mode], None] = {}
    for r in routes:
        if r.body is not None:
            models[(r.body, "validation")] = None
        if r.response is not None:
            models[(r.response, "serialization")] = None
    _, top = models_json_schema(list(models), ref_template=_REF)
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    schemas["ErrorEnvelope"] = _ERROR_ENVELOPE
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Syncron API (botkit simulator)",
            "version": "5",
            "description": "The contract is docs/venues/syncron.md; /_sim routes exist "
            "only on the simulator.",
        },
        "servers": [
            {"url": "https://api.syncron.finance"},
            {"url": "https://testnet-api.syncron.finance"},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-SYNCRON-APIKEY"},
                "Timestamp": {"type": "apiKey", "in": "header", "name": "X-SYNCRON-TIMESTAMP"},
                "Signature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-SYNCRON-SIGNATURE",
                    "description": "hex HMAC-SHA256(secret, timestamp + METHOD + path"
                    " + query string or raw body)",
                },
                "Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


async def openapi_json(call: Call) -> object:
    """The OpenAPI document as JSON (no envelope)."""
    return web.json_response(call.request.app[OPENAPI_KEY])


async def docs_page(call: Call) -> object:
    """A small HTML index of the routes, linking the OpenAPI document."""
    doc = call.request.app[OPENAPI_KEY]
    rows = "".join(
        f"<tr><td>{method.upper()}</td><td><code>{html.escape(path)}</code></td>"
        f"<td>{html.escape(op['summary'])}</td></tr>"
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    )
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{doc['info']['title']}"
        f"</title></head><body><h1>{doc['info']['title']}</h1>"
        f"<p><a href='/docs/openapi.json'>openapi.json</a></p><table>{rows}</table>"
        f"</body></html>"
    )
    return web.Response(text=page, content_type="text/html")


DOCS_ROUTES = (
    Route("GET", "/docs", docs_page, "HTML index of the API", "admin", "docs", raw=True),
    Route(
        "GET",
        "/docs/openapi.json",
        openapi_json,
        "This OpenAPI document",
        "admin",
        "docs",
        raw=True,
    ),
)
"""The documentation routes."""
