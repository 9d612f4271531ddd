"""Frozen pydantic settings of the Syncron simulator: symbols, accounts, limits, agents, faults."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

DEFAULT_API_KEY = "sim-demo-key"
"""API key of the demo account every default simulator has (a public test value)."""
DEFAULT_API_SECRET = "sim-demo-secret"
"""Secret of the demo account (a public test value, documented in docs/venues/syncron.md)."""

_QUOTES = ("USDT", "USDC", "USD", "EUR", "BTC")
_KNOWN: dict[str, tuple[str, str, str, str, str]] = {
    # symbol: tick, lot, min notional, initial price, default base balance
    "BTCUSD": ("0.1", "0.0001", "5", "60000", "1"),
    "ETHUSD": ("0.01", "0.001", "5", "3000", "30"),
}

Permission = Literal["read", "trade"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SymbolConfig(_Frozen):
    """One tradable symbol with its trading rules and the synthetic market's starting price."""

    symbol: str = Field(pattern=r"^[A-Z0-9]{2,20}$")
    base: str
    quote: str
    tick_size: Decimal = Field(gt=0)
    lot_size: Decimal = Field(gt=0)
    min_notional: Decimal = Field(ge=0)
    initial_price: Decimal = Field(gt=0)
    volatility: float = Field(default=0.6, ge=0, description="annualized volatility of the mid")


class AccountConfig(_Frozen):
    """An API key with its secret, permissions, starting balances and fee rates."""

    api_key: str = Field(min_length=1)
    api_secret: SecretStr
    permissions: frozenset[Permission] = frozenset({"read", "trade"})
    balances: dict[str, Decimal] = Field(default_factory=dict)
    maker_fee_bps: Decimal = Decimal(1)
    taker_fee_bps: Decimal = Decimal(5)


class RateLimitConfig(_Frozen):
    """Fixed-window request budget, one per API key and one per IP for anonymous requests."""

    limit: int = Field(default=1200, ge=1)
    window_s: float = Field(default=60.0, gt=0)


class AuthConfig(_Frozen):
    """Recv window and JWT lifetimes; ``jwt_secret`` None means a random one per app."""

    default_recv_window_ms: int = Field(default=5000, gt=0)
    max_recv_window_ms: int = Field(default=60_000, gt=0)
    future_tolerance_ms: int = Field(default=1000, ge=0)
    token_ttl_s: int = Field(default=900, ge=1)
    refresh_ttl_s: int = Field(default=86_400, ge=1)
    jwt_secret: SecretStr | None = None


class AgentConfig(_Frozen):
    """Synthetic participants: a GBM mid with GARCH(1,1) clustering, market makers, takers."""

    enabled: bool = True
    seed: int = 7
    speed: float = Field(default=1.0, gt=0, description="simulated seconds per real second")
    step_s: float = Field(default=0.25, gt=0, description="real seconds between agent steps")
    garch_alpha: float = Field(default=0.08, ge=0)
    garch_beta: float = Field(default=0.9, ge=0)
    mm_levels: int = Field(default=5, ge=1, le=50)
    mm_half_spread_bps: float = Field(default=2.0, gt=0)
    mm_level_step_bps: float = Field(default=1.5, gt=0)
    mm_level_notional: float = Field(default=5000.0, gt=0)
    taker_rate_per_s: float = Field(default=2.0, ge=0)
    taker_notional: float = Field(default=1500.0, gt=0)

    @model_validator(mode="after")
    def _stationary(self) -> AgentConfig:
        if self.garch_alpha + self.garch_beta >= 1:
            raise ValueError("garch_alpha + garch_beta must be < 1 for a stationary volatility")
        return self


class FaultConfig(_Frozen):
    """Fault injection switches; rates are probabilities in [0, 1]. All off by default."""

    http_error_rate: float = Field(default=0.0, ge=0, le=1)
    http_429_rate: float = Field(default=0.0, ge=0, le=1)
    http_429_burst: int = Field(
        default=1, ge=1, le=10_000, description="an injected 429 is the first of this many in a row"
    )
    http_429_retry_after_ms: int | None = Field(
        default=None, ge=0, le=3_600_000,
        description="wait an injected 429 asks for; None: until the rate window resets",
    )
    order_timeout_rate: float = Field(default=0.0, ge=0, le=1)
    order_timeout_s: float = Field(default=10.0, ge=0)
    ws_drop_rate: float = Field(default=0.0, ge=0, le=1)
    book_skip_rate: float = Field(default=0.0, ge=0, le=1)
    book_duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    ws_delay_ms: float = Field(default=0.0, ge=0)
    ws_reorder_rate: float = Field(default=0.0, ge=0, le=1)
    private_skip_rate: float = Field(default=0.0, ge=0, le=1)
    private_duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    private_reorder_rate: float = Field(default=0.0, ge=0, le=1)
    seed: int = 11


class SimConfig(_Frozen):
    """Everything a Syncron simulator needs; build one with ``default_config``."""

    symbols: tuple[SymbolConfig, ...]
    accounts: tuple[AccountConfig, ...]
    rate_limit: RateLimitConfig = RateLimitConfig()
    auth: AuthConfig = AuthConfig()
    agents: AgentConfig = AgentConfig()
    faults: FaultConfig = FaultConfig()
    ws_idle_timeout_s: float = Field(default=60.0, gt=0)
    trades_kept: int = Field(default=10_000, ge=100)

    @model_validator(mode="after")
    def _unique(self) -> SimConfig:
        names = [s.symbol for s in self.symbols]
        keys = [a.api_key for a in self.accounts]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"symbols must be non-empty and unique, got {names}")
        if len(set(keys)) != len(keys):
            raise ValueError("api keys must be unique")
        return self


def default_symbol(symbol: str) -> SymbolConfig:
    """Trading rules for ``symbol``: known ones from a table, others ``XXX<QUOTE>`` at price 100."""
    name = symbol.strip().upper()
    quote = next((q for q in _QUOTES if name.endswith(q) and len(name) > len(q)), None)
    if quote is None:
        raise ValueError(f"cannot split {symbol!r} into base and quote; use e.g. BTCUSD")
    tick, lot, min_notional, price, _ = _KNOWN.get(name, ("0.01", "0.001", "5", "100", "0"))
    return SymbolConfig(
        symbol=name,
        base=name[: -len(quote)],
        quote=quote,
        tick_size=Decimal(tick),
        lot_size=Decimal(lot),
        min_notional=Decimal(min_notional),
        initial_price=Decimal(price),
    )


def demo_account(symbols: Sequence[SymbolConfig]) -> AccountConfig:
    """The documented demo account: 100000 of each quote asset, ~100000 quote-worth of each base."""
    balances: dict[str, Decimal] = {}
    for s in symbols:
        balances[s.quote] = Decimal(100_000)
        known = _KNOWN.get(s.symbol)
        base_qty = Decimal(known[4]) if known else (Decimal(100_000) / s.initial_price)
        balances[s.base] = base_qty.quantize(s.lot_size)
    return AccountConfig(
        api_key=DEFAULT_API_KEY, api_secret=SecretStr(DEFAULT_API_SECRET), balances=balances
    )


def default_config(symbols: Sequence[str] = ("BTCUSD", "ETHUSD")) -> SimConfig:
    """A simulator config with default rules for ``symbols`` and the demo account."""
    specs = tuple(default_symbol(s) for s in symbols)
    return SimConfig(symbols=specs, accounts=(demo_account(specs),))
