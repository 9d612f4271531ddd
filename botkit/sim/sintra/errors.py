"""Sintra's error responses: ``{status_code, message, type, code}`` as the contract documents."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from aiohttp import web

_TYPES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    413: "PayloadTooLargeError",
    429: "TooManyRequestsError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
    504: "GatewayTimeoutError",
}

_DEFAULT_CODES = {
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def error_type(status: int) -> str:
    """The ``type`` string for an HTTP status, e.g. ``NotFoundError`` for 404."""
    known = _TYPES.get(status)
    if known is not None:
        return known
    return "InternalServerError" if status >= 500 else "BadRequestError"


class SintraHttpError(Exception):
    """Raised by handlers and middlewares; becomes a documented JSON error response."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code if code is not None else _DEFAULT_CODES.get(status)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, object]:
        """The JSON body: ``status_code``, ``message``, ``type`` and, if any, ``code``."""
        payload: dict[str, object] = {
            "status_code": self.status,
            "message": self.message,
            "type": error_type(self.status),
        }
        if self.code is not None:
            payload["code"] = self.code
        return payload

    def response(self) -> web.Response:
        """The aiohttp response carrying :meth:`body` and any extra headers."""
        return web.json_response(self.body(), status=self.status, headers=self.headers)


def bad_request(message: str, code: str) -> SintraHttpError:
    """A 400 ``BadRequestError`` with ``code``."""
    return SintraHttpError(400, message, code)


def from_http_exception(exc: web.HTTPException) -> SintraHttpError:
    """Turn aiohttp's own 404/405/... into the documented error body."""
    status = exc.status
    if status == 404:
        return SintraHttpError(404, "No such endpoint", "ROUTE_NOT_FOUND")
    if status == 413:
        return SintraHttpError(413, "Request body too large", "BODY_TOO_LARGE")
    if status == 405:
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return SintraHttpError(
            405, "Method not allowed on this endpoint", "METHOD_NOT_ALLOWED", headers=allow
        )
    return SintraHttpError(status, exc.reason or HTTPStatus(status).phrase)
