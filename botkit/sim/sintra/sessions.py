"""WebSocket sessions: created by ``POST /v1/sessions``, valid for a fixed time."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from botkit.core.clock import NS_PER_SECOND, Clock
from botkit.sim.sintra.auth import Principal


class SessionStatus(StrEnum):
    """What a ``sessionId`` is worth when a WebSocket connects with it."""

    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Session:
    """One created session; the id is a bearer secret and is never logged."""

    session_id: str
    principal: Principal
    expires_at_ns: int


class SessionStore:
    """Creates sessions and tells whether an id is valid, expired or unknown."""

    def __init__(self, clock: Clock, ttl_s: float) -> None:
        self._clock = clock
        self._ttl_ns = int(ttl_s * NS_PER_SECOND)
        self._sessions: dict[str, Session] = {}

    def create(self, principal: Principal) -> Session:
        """A new session for ``principal``, expiring ``ttl_s`` simulator seconds from now."""
        now = self._clock.now_ns()
        self._forget_long_expired(now)
        session = Session(
            session_id=secrets.token_urlsafe(24),
            principal=principal,
            expires_at_ns=now + self._ttl_ns,
        )
        self._sessions[session.session_id] = session
        return session

    def check(self, session_id: str) -> tuple[SessionStatus, Session | None]:
        """Whether ``session_id`` may open a Pro connection now, and its session if known."""
        session = self._sessions.get(session_id)
        if session is None:
            return SessionStatus.UNKNOWN, None
        if self._clock.now_ns() >= session.expires_at_ns:
            return SessionStatus.EXPIRED, session
        return SessionStatus.VALID, session

    def _forget_long_expired(self, now_ns: int) -> None:
        """Drop sessions expired for over a day (they stay 'expired', not 'unknown', till then)."""
        horizon = now_ns - 86_400 * NS_PER_SECOND
        stale = [sid for sid, s in self._sessions.items() if s.expires_at_ns < horizon]
        for sid in stale:
            del self._sessions[sid]
