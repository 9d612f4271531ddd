"""Syncron error codes, the API error the handlers raise, and the response envelope."""

from __future__ import annotations

import time
from enum import IntEnum
from typing import Any

from aiohttp import web


class ErrorCode(IntEnum):
    """Error codes of the contract (docs/venues/syncron.md §6); the HTTP status is code // 100."""

    INVALID_PARAMETER = 40001
    INSUFFICIENT_BALANCE = 40002
    POST_ONLY_WOULD_TAKE = 40003
    REDUCE_ONLY_REJECTED = 40004
    ORDER_NOT_OPEN = 40005
    MISSING_CREDENTIALS = 40101
    UNKNOWN_API_KEY = 40102
    INVALID_SIGNATURE = 40103
    TIMESTAMP_OUTSIDE_WINDOW = 40104
    TOKEN_EXPIRED = 40105
    INVALID_TOKEN = 40106
    SIGNATURE_REPLAYED = 40107
    PERMISSION_DENIED = 40301
    NOT_FOUND = 40401
    METHOD_NOT_ALLOWED = 40501
    PAYLOAD_TOO_LARGE = 41301
    RATE_LIMITED = 42901
    INTERNAL_ERROR = 50001
    SERVICE_UNAVAILABLE = 50301
    GATEWAY_TIMEOUT = 50401

    @property
    def http_status(self) -> int:
        """The HTTP status that goes with this code."""
        return int(self) // 100


class ApiError(Exception):
    """A request failed with a contract error code; the app turns it into an error envelope."""

    def __init__(
        self, code: ErrorCode, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    def to_wire(self) -> dict[str, Any]:
        """The ``error`` object of the envelope."""
        return {"code": int(self.code), "message": self.message, "details": self.details}


def invalid_parameter(parameter: str, reason: str) -> ApiError:
    """A ``40001`` naming the offending parameter and why it was refused."""
    return ApiError(
        ErrorCode.INVALID_PARAMETER,
        f"invalid parameter: {parameter}",
        {"parameter": parameter, "reason": reason},
    )


def now_ms() -> int:
    """Wall-clock time in ms, for envelopes when no clock is at hand."""
    return time.time_ns() // 1_000_000


def ok_response(data: Any, ts_ms: int) -> web.Response:
    """A success envelope around ``data`` (already JSON-ready)."""
    return web.json_response({"success": True, "data": data, "timestamp": ts_ms})


def error_response(error: ApiError, ts_ms: int) -> web.Response:
    """An error envelope with the HTTP status of the error's code."""
    return web.json_response(
        {"success": False, "error": error.to_wire(), "timestamp": ts_ms},
        status=error.code.http_status,
    )
