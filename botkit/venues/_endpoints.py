"""Endpoint names to URLs, the same rule for every venue: a named endpoint or an explicit base URL."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

NamedEndpoints = Mapping[str, tuple[str, str]]
"""Endpoint name (``local``, ``production``…) → (REST base URL, WebSocket URL)."""


def derive_ws_url(rest_url: str, rest_prefix: str, ws_path: str) -> str:
    """The WebSocket URL beside a REST base URL: same host, ws(s) scheme, ``rest_prefix`` → ``ws_path``."""
    parts = urlsplit(rest_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/").removesuffix(rest_prefix) + ws_path
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def rest_url_for(endpoint: str, named: NamedEndpoints) -> str:
    """The REST base URL of ``endpoint``: the named one's, or the endpoint itself (an explicit URL)."""
    known = named.get(endpoint)
    return known[0] if known else endpoint


def websocket_url_for(
    endpoint: str, ws_url: str | None, named: NamedEndpoints, rest_prefix: str, ws_path: str
) -> str:
    """The WebSocket URL: ``ws_url`` if set, the named endpoint's, or derived from the REST URL."""
    if ws_url is not None:
        return ws_url
    known = named.get(endpoint)
    return known[1] if known else derive_ws_url(endpoint, rest_prefix, ws_path)
