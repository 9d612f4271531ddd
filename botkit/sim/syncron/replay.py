"""Replay protection: a signed request that changes state is accepted once per signature.

A signature covers timestamp, method, path and payload, and is valid for the request's recv
window. Within that window a captured ``POST /v5/order`` could be sent again and would place a
second order; the guard remembers every accepted signature of a state-changing request until its
window has passed (after that the timestamp check refuses it anyway), so memory holds at most the
signatures accepted in the last ``max_recv_window_ms`` plus the future tolerance.
"""

from __future__ import annotations

import heapq


class ReplayGuard:
    """Remembers accepted signatures until they expire; refuses one seen before."""

    def __init__(self) -> None:
        self._expiry_ms: dict[str, int] = {}
        self._by_expiry: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._expiry_ms)

    def admit(self, signature: str, expires_at_ms: int, now_ms: int) -> bool:
        """Record ``signature`` (valid until ``expires_at_ms``); False if it was already used."""
        self._forget_expired(now_ms)
        if signature in self._expiry_ms:
            return False
        self._expiry_ms[signature] = expires_at_ms
        heapq.heappush(self._by_expiry, (expires_at_ms, signature))
        return True

    def _forget_expired(self, now_ms: int) -> None:
        while self._by_expiry and self._by_expiry[0][0] < now_ms:
            _, signature = heapq.heappop(self._by_expiry)
            del self._expiry_ms[signature]
