"""HTTP Basic authentication with ``id.token`` API keys, in both documented forms."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from typing import NamedTuple

from botkit.sim.sintra.config import ApiKeyConfig, Plan


class Principal(NamedTuple):
    """Who a request authenticated as; never holds the token."""

    key_id: str
    plan: Plan


class InvalidCredentialsError(Exception):
    """An Authorization header that cannot be accepted; ``reason`` never holds secrets."""

    def __init__(self, reason: str, key_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key_id = key_id


def split_basic(header: str) -> tuple[str, str]:
    """The key id and token from a Basic header in either form.

    ``id.token:`` (whole key as username, empty password) and ``id:token`` are both accepted.
    """
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise InvalidCredentialsError("authorization scheme must be Basic")
    try:
        # a non-ASCII header is a plain ValueError here, not a binascii.Error
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise InvalidCredentialsError("credentials are not valid base64 of UTF-8 text") from exc
    username, colon, password = decoded.partition(":")
    if not colon:
        raise InvalidCredentialsError("credentials must be 'username:password'")
    if password:
        return username, password
    key_id, dot, token = username.partition(".")
    if not dot or not key_id or not token:
        raise InvalidCredentialsError("with an empty password the username must be id.token")
    return key_id, token


class KeyStore:
    """The API keys the simulator accepts."""

    def __init__(self, keys: Iterable[ApiKeyConfig]) -> None:
        self._keys = {key.id: key for key in keys}

    def authenticate(self, header: str) -> Principal:
        """The principal for an Authorization header, or :class:`InvalidCredentialsError`."""
        key_id, token = split_basic(header)
        key = self._keys.get(key_id)
        expected = key.token.get_secret_value() if key is not None else ""
        # compare even for unknown ids, so timing does not reveal which ids exist
        matches = hmac.compare_digest(token.encode(), expected.encode())
        if key is None or not matches:
            # a username like "id.token" sent with a password must not leak its token into logs
            safe_id = key_id.partition(".")[0]
            raise InvalidCredentialsError("unknown key id or wrong token", key_id=safe_id)
        return Principal(key_id=key.id, plan=key.plan)
