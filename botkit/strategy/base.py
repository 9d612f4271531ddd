"""The Strategy base class: a frozen params model plus hooks that each take one typed event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from botkit.core.config_model import ConfigModel
from botkit.model.events import Bar, BookGap, BookResynced, Price, Quote, Trade
from botkit.model.order_events import OrderCanceled, OrderFilled, OrderRejected
from botkit.strategy.declared import declare, declared_compiled_step

if TYPE_CHECKING:
    from botkit.book.view import BookView
    from botkit.strategy.compiled import CompiledStep
    from botkit.strategy.context import StrategyContext, TimerFired
    from botkit.strategy.indicators import Indicator


class StrategyParams(ConfigModel):
    """Base of every strategy's parameters: frozen, unknown keys are errors, numbers finite and not booleans."""


P = TypeVar("P", bound=StrategyParams)
_MARKET_HOOKS = ("on_bar", "on_trade", "on_quote", "on_price", "on_book")


class Strategy(Generic[P]):
    """Base class of user strategies.

    Subclasses set ``Params`` to their own ``StrategyParams`` model and override the hooks they
    need. Hooks act through ``self.ctx`` (``buy``, ``sell``, ``limit``, ``stop``, ``cancel``…) and
    return None; returning an ``OrderIntent`` or a list of them also submits those intents.
    The same class runs in backtests, on paper and live.

    ``indicators`` declares what the strategy computes (``{"fast": SMA("close", "fast"), ...}``):
    botkit keeps them per symbol and updates them before ``on_bar``/``on_trade``/``on_quote``, where
    ``self.indicators.fast`` is the reading after this event. For speed a subclass may set ``step``
    to a numba function ``step(state, event, params, ind)`` that decides from those readings alone
    (``state_size`` user slots of its own); botkit compiles it into the backtester's replay loop and
    calls it live. Either form alone is a complete strategy (docs/strategies-fast.md). Hand-written
    steps of the bare protocol still come from overriding ``compiled_step``.
    """

    Params: ClassVar[type[StrategyParams]] = StrategyParams
    indicators: ClassVar[Mapping[str, Indicator]] = {}
    step: ClassVar[Any] = None
    state_size: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declare(cls)

    def __init__(self, params: P, ctx: StrategyContext) -> None:
        self.params = params
        self.ctx = ctx

    @property
    def name(self) -> str:
        """Name used in logs, errors and reports."""
        return type(self).__name__

    @classmethod
    def compiled_step(cls, params: P) -> CompiledStep | None:
        """The compiled form of this strategy for ``params`` (its declared ``step``), or None if it has none."""
        if cls.step is None:
            return None
        return declared_compiled_step(cls, params)

    @classmethod
    def has_hooks(cls) -> bool:
        """Whether the class has Python market hooks of its own (else its Python form is its compiled step)."""
        return any(getattr(cls, hook) is not getattr(Strategy, hook) for hook in _MARKET_HOOKS)

    def on_start(self) -> None:
        """Called once before the first event."""

    def on_bar(self, bar: Bar) -> None:
        """Called when a bar closes."""

    def on_trade(self, trade: Trade) -> None:
        """Called for every trade on a subscribed symbol."""

    def on_quote(self, quote: Quote) -> None:
        """Called for every top-of-book change on a subscribed symbol."""

    def on_price(self, price: Price) -> None:
        """Called for every reference price update (e.g. from Sintra)."""

    def on_book(self, book: BookView) -> None:
        """Called after every update of a symbol's order book while it is in sync (``market_data: book``).

        ``book`` is a read-only view of the whole book as it is now (top of book, depth, sequence);
        it is never called while the book is out of sync, between ``on_book_gap`` and ``on_book_resynced``.
        """

    def on_book_gap(self, event: BookGap) -> None:
        """Called when the order book of a symbol lost a message: no new orders until it has resynced."""

    def on_book_resynced(self, event: BookResynced) -> None:
        """Called when the order book of a symbol was rebuilt after a gap."""

    def on_order_filled(self, event: OrderFilled) -> None:
        """Called when one of this strategy's orders fills, fully or partly."""

    def on_order_rejected(self, event: OrderRejected) -> None:
        """Called when one of this strategy's intents is refused by risk rules or the venue."""

    def on_order_canceled(self, event: OrderCanceled) -> None:
        """Called when one of this strategy's orders is canceled."""

    def on_timer(self, event: TimerFired) -> None:
        """Called when a timer set with ``ctx.set_timer`` fires."""

    def on_stop(self) -> None:
        """Called once after the last event."""
