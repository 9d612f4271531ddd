"""Configuration of the Sintra simulator: plans, keys, market parameters and faults."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

DEMO_KEY_ID = "demo"
DEMO_KEY_TOKEN = "sintra-sim-demo-token"  # documented, local-only demo token
DEMO_API_KEY = f"{DEMO_KEY_ID}.{DEMO_KEY_TOKEN}"
"""The documented demo Pro key, ``id.token``; valid only against the simulator."""

HISTORY_START_S = 1_420_070_400  # 2015-01-01T00:00:00Z
ANCHOR_TIME_S = 1_704_067_200  # 2024-01-01T00:00:00Z


class Plan(StrEnum):
    """Sintra price plans."""

    STARTER = "starter"
    PRO = "pro"


class PlanConfig(BaseModel):
    """Limits and WebSocket update period of one plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests_per_window: int = Field(gt=0)
    ws_interval_s: int = Field(gt=0)


class ApiKeyConfig(BaseModel):
    """One API key the simulator accepts: ``<id>.<token>`` assigned to a plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    token: SecretStr
    plan: Plan = Plan.PRO

    @field_validator("token")
    @classmethod
    def _token_has_no_separator(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if not secret or ":" in secret:
            raise ValueError("token must be non-empty and must not contain ':'")
        return value


class ExchangeConfig(BaseModel):
    """A crypto exchange listed by ``GET /v1/exchanges``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    url: str


class PriceModelConfig(BaseModel):
    """Parameters of the seeded BTC/USD process (GBM with GARCH(1,1) daily volatility)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    history_start_s: int = Field(default=HISTORY_START_S, ge=0)
    anchor_time_s: int = Field(default=ANCHOR_TIME_S, ge=0)
    anchor_price_usd: float = Field(default=42_000.0, gt=0)
    annual_drift: float = Field(default=0.45, gt=-5, lt=5)
    annual_vol: float = Field(default=0.6, gt=0, lt=5)
    garch_alpha: float = Field(default=0.08, ge=0, lt=1)
    garch_beta: float = Field(default=0.9, ge=0, lt=1)
    minute_vol_persistence: float = Field(default=0.98, ge=0, lt=1)
    minute_vol_of_vol: float = Field(default=0.15, ge=0)
    btc_volume_per_day: float = Field(default=25_000.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> PriceModelConfig:
        if self.garch_alpha + self.garch_beta >= 1:
            raise ValueError("garch_alpha + garch_beta must be < 1 for a stationary variance")
        if self.history_start_s % 86_400 or self.anchor_time_s % 86_400:
            raise ValueError("history_start_s and anchor_time_s must be UTC midnights")
        if self.anchor_time_s < self.history_start_s:
            raise ValueError("anchor_time_s must not be before history_start_s")
        return self


class FaultConfig(BaseModel):
    """Faults to inject; all off by default. Rates are probabilities per request or event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    http_error_rate: float = Field(default=0.0, ge=0, le=1)
    http_error_status: int = Field(default=500, ge=500, le=599)
    latency_s: float = Field(default=0.0, ge=0, le=30)
    ws_drop_rate: float = Field(default=0.0, ge=0, le=1)
    ws_drop_after: int | None = Field(default=None, ge=0)
    ws_malformed_rate: float = Field(default=0.0, ge=0, le=1)
    missing_currencies: tuple[str, ...] = ()
    seed: int = Field(default=0, ge=0)


def _default_plans() -> dict[Plan, PlanConfig]:
    return {
        Plan.STARTER: PlanConfig(requests_per_window=10, ws_interval_s=10),
        Plan.PRO: PlanConfig(requests_per_window=250, ws_interval_s=1),
    }


def _default_keys() -> tuple[ApiKeyConfig, ...]:
    return (ApiKeyConfig(id=DEMO_KEY_ID, token=SecretStr(DEMO_KEY_TOKEN), plan=Plan.PRO),)


_SINTRA_CURRENCIES = {
    "usd": 1.0,
    "eur": 0.92,
    "gbp": 0.79,
    "jpy": 151.5,
    "cad": 1.36,
    "aud": 1.52,
    "chf": 0.88,
}
_COINBASE_ONLY_CURRENCIES = {
    "nzd": 1.64,
    "sgd": 1.35,
    "hkd": 7.82,
    "sek": 10.6,
    "nok": 10.7,
    "dkk": 6.87,
    "pln": 3.98,
    "inr": 83.3,
    "brl": 5.05,
    "mxn": 17.1,
    "zar": 18.6,
    "krw": 1340.0,
}
_EXCHANGES = (
    ExchangeConfig(id="coinbase", name="Coinbase", url="https://www.coinbase.com"),
    ExchangeConfig(id="kraken", name="Kraken", url="https://www.kraken.com"),
    ExchangeConfig(id="bitstamp", name="Bitstamp", url="https://www.bitstamp.net"),
    ExchangeConfig(id="gemini", name="Gemini", url="https://www.gemini.com"),
    ExchangeConfig(id="bitfinex", name="Bitfinex", url="https://www.bitfinex.com"),
)


class SintraSimConfig(BaseModel):
    """Everything the Sintra simulator needs; defaults match the documented venue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=4, ge=0)
    speed: float = Field(default=1.0, gt=0, le=10_000)
    start_time_s: int | None = Field(default=None, ge=0)
    plans: dict[Plan, PlanConfig] = Field(default_factory=_default_plans)
    keys: tuple[ApiKeyConfig, ...] = Field(default_factory=_default_keys)
    rate_window_s: float = Field(default=60.0, gt=0)
    session_ttl_s: float = Field(default=600.0, gt=0)
    trust_forwarded_for: bool = False
    currencies: dict[str, float] = Field(default_factory=lambda: dict(_SINTRA_CURRENCIES))
    coinbase_currencies: dict[str, float] = Field(
        default_factory=lambda: dict(_COINBASE_ONLY_CURRENCIES)
    )
    coinbase_premium: float = Field(default=0.0008, gt=-0.1, lt=0.1)
    exchanges: tuple[ExchangeConfig, ...] = _EXCHANGES
    prices: PriceModelConfig = Field(default_factory=PriceModelConfig)
    faults: FaultConfig = Field(default_factory=FaultConfig)
    admin_enabled: bool = True

    @model_validator(mode="after")
    def _check(self) -> SintraSimConfig:
        missing = {Plan.STARTER, Plan.PRO} - set(self.plans)
        if missing:
            raise ValueError(f"plans must configure starter and pro, missing {sorted(missing)}")
        for code in (*self.currencies, *self.coinbase_currencies):
            if not (code.isascii() and code.isalpha() and code.islower() and 3 <= len(code) <= 4):
                raise ValueError(f"currency codes are 3-4 lower-case letters, got {code!r}")
        if "usd" not in self.currencies:
            raise ValueError("currencies must include 'usd', the base of the price process")
        ids = [key.id for key in self.keys]
        if len(ids) != len(set(ids)):
            raise ValueError("API key ids must be unique")
        return self
