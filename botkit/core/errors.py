"""The one error tree of botkit.

Every error botkit raises on purpose is a ``BotkitError``. The tree splits on the question a
caller has to answer: *can I try again?*

    BotkitError
    ├── TransientError            retry later; the same call may succeed
    │   ├── RateLimited           the venue (or our budget) says wait ``retry_after`` seconds
    │   └── VenueUnavailable      network failure, timeout or a 5xx from the venue
    └── NeedsHumanError           retrying cannot help; somebody has to change something
        ├── ConfigError           a config file, CLI argument or spec is invalid
        ├── DataError             an archived data file is missing, malformed or inconsistent
        ├── AuthError             credentials are missing, wrong or lack a permission
        ├── ProtocolError         a venue sent a payload that does not match its spec
        ├── NotFoundError         the venue does not know the requested object
        ├── OrderRejected         an order was refused (by risk rules or by the venue)
        │   └── InsufficientFunds the account cannot pay for the order
        └── StrategyError         user strategy code raised or returned something invalid

Messages name the field and the value and say what to do; they never contain secrets.
"""

from __future__ import annotations


class BotkitError(Exception):
    """Base of every error botkit raises on purpose."""


class TransientError(BotkitError):
    """A failure that may go away: retry with backoff."""


class RateLimited(TransientError):
    """The venue, or our local budget, refuses more requests until ``retry_after`` seconds pass."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class VenueUnavailable(TransientError):
    """The venue could not be reached, timed out or answered with a server error."""


class NeedsHumanError(BotkitError):
    """A failure that retrying cannot fix: a person has to change a config, key or code."""


class ConfigError(NeedsHumanError):
    """A config file, CLI argument or backtest spec is invalid."""


class DataError(NeedsHumanError):
    """An archived data file is missing, malformed or inconsistent."""


class AuthError(NeedsHumanError):
    """Credentials are missing or wrong, or lack a permission."""


class ProtocolError(NeedsHumanError):
    """A venue sent a payload that does not match its documented format."""


class NotFoundError(NeedsHumanError):
    """The venue does not know the requested object (order, symbol, pair)."""


class OrderRejected(NeedsHumanError):
    """An order was refused, by a risk rule or by the venue; ``reason`` says why."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class InsufficientFunds(OrderRejected):
    """The account cannot pay for the order."""


class StrategyError(NeedsHumanError):
    """User strategy code raised, or returned something botkit cannot use."""

    def __init__(self, strategy: str, hook: str, event: object, cause: BaseException | str) -> None:
        detail = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        super().__init__(f"strategy {strategy!r} failed in {hook}({event!r}): {detail}")
        self.strategy = strategy
        self.hook = hook
        self.event = event


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` is worth retrying: a TransientError, or a plain timeout/connection error."""
    return isinstance(error, (TransientError, TimeoutError, ConnectionError))
