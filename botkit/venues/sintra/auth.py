"""Sintra's HTTP Basic authentication with ``id.token`` API keys, in both documented forms.

The token is a secret: ``SintraCredentials`` shows only the key id in its repr and in error
messages, and ``redact`` scrubs the token from any text that might reach a log.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from pydantic import SecretStr

from botkit.core.errors import ConfigError
from botkit.venues._http import RequestToSign
from botkit.venues.sintra import wire
from botkit.venues.sintra.config import API_KEY_ENV, AuthForm

REDACTED = "***"


class SintraCredentials:
    """A Pro API key split into its id and token, and the form to send it in."""

    __slots__ = ("_form", "_key_id", "_token")

    def __init__(self, api_key: SecretStr | str, form: AuthForm = AuthForm.KEY_AS_USERNAME) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        key_id, dot, token = key.strip().partition(".")
        if not dot or not key_id or not token:
            raise ConfigError(
                f"{API_KEY_ENV} must be '<id>.<token>' (two parts joined by '.'); "
                "the value given does not have that shape"
            )
        if ":" in key_id or (":" in token and form is AuthForm.KEY_AS_USERNAME):
            raise ConfigError(
                f"{API_KEY_ENV} (id {key_id.replace(':', '')!r}) contains ':', which HTTP Basic "
                f"authentication cannot carry in a username; check the key"
            )
        self._key_id = key_id
        self._token = SecretStr(token)
        self._form = AuthForm(form)

    @property
    def key_id(self) -> str:
        """The id part of the key: safe to log and to quote to Sintra's support."""
        return self._key_id

    @property
    def form(self) -> AuthForm:
        """How the key is sent."""
        return self._form

    def __repr__(self) -> str:
        return f"SintraCredentials(key_id={self._key_id!r}, form={self._form.value!r})"

    def authorization(self) -> str:
        """The ``Authorization`` header value: ``Basic base64(username:password)``."""
        token = self._token.get_secret_value()
        by_form = {
            AuthForm.KEY_AS_USERNAME: f"{self._key_id}.{token}:",
            AuthForm.ID_AND_TOKEN: f"{self._key_id}:{token}",
        }
        pair = by_form[self._form]
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")

    def headers(self, _request: RequestToSign | None = None) -> Mapping[str, str]:
        """The headers that authenticate a request (the same for every request): a ``Signer``."""
        return {wire.H_AUTHORIZATION: self.authorization()}

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the token (and of the Basic header) replaced."""
        encoded = self.authorization().removeprefix("Basic ")
        return text.replace(encoded, REDACTED).replace(self._token.get_secret_value(), REDACTED)
