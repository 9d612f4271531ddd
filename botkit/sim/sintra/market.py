"""The simulated market as wire JSON: pairs, prices, 24-hour stats, fees and history pages."""

from __future__ import annotations

from collections.abc import Iterable

from botkit.sim.sintra.config import SintraSimConfig
from botkit.sim.sintra.errors import SintraHttpError, bad_request
from botkit.sim.sintra.fees import FEE_PRIORITIES, FeeModel
from botkit.sim.sintra.params import Interval, Sort
from botkit.sim.sintra.prices import SECONDS_PER_DAY, BtcPriceProcess

Json = dict[str, object]


def page_timestamps(step_s: int, before_s: int, limit: int, earliest_s: int) -> list[int]:
    """The ``limit`` latest multiples of ``step_s`` that are < ``before_s`` and >= ``earliest_s``.

    Ascending. Passing the first of them as the next ``before_s`` gives the adjacent older page.
    """
    last = (before_s - 1) // step_s * step_s
    first = max(last - (limit - 1) * step_s, -(-earliest_s // step_s) * step_s)
    return list(range(first, last + 1, step_s)) if last >= first else []


def _ordered(items: list[Json], sort: Sort) -> list[Json]:
    return items if sort is Sort.ASC else items[::-1]


class SintraMarket:
    """Answers the market-data endpoints from the seeded price and fee models."""

    def __init__(self, config: SintraSimConfig) -> None:
        self._config = config
        self._prices = BtcPriceProcess(config.prices, config.seed)
        self._fees = FeeModel(config.seed)

    @property
    def history_start_s(self) -> int:
        """The first second with data."""
        return self._prices.history_start_s

    def is_supported(self, quote: str) -> bool:
        """Whether Sintra itself prices ``quote`` (else only the Coinbase fallback may)."""
        return quote in self._config.currencies

    def require_supported(self, quote: str) -> None:
        """404 ``PAIR_NOT_FOUND`` unless ``btc<quote>`` is a supported pair."""
        if not self.is_supported(quote):
            raise SintraHttpError(404, f"Pair btc{quote} is not supported", "PAIR_NOT_FOUND")

    def price(self, quote: str, ts_s: int) -> float:
        """Sintra's price of 1 BTC in supported currency ``quote`` at ``ts_s``, 2 decimals."""
        return round(self._prices.usd_at(ts_s) * self._config.currencies[quote], 2)

    def pairs(self) -> list[Json]:
        """``GET /v1/pairs``."""
        return [{"pair": f"btc{q}", "base": "btc", "quote": q} for q in self._config.currencies]

    def exchanges(self) -> list[Json]:
        """``GET /v1/exchanges``."""
        return [exchange.model_dump() for exchange in self._config.exchanges]

    def current_price(self, quote: str, now_s: int) -> Json:
        """``GET /v1/prices/{pair}``: Sintra's price, or Coinbase's spot for other currencies."""
        if self.is_supported(quote):
            price, source = self.price(quote, now_s), "sintra"
        else:
            rate = self._config.coinbase_currencies.get(quote)
            if rate is None:
                message = f"Pair btc{quote} is not supported (not even by Coinbase)"
                raise SintraHttpError(404, message, "PAIR_NOT_FOUND")
            spot = self._prices.usd_at(now_s) * rate * (1.0 + self._config.coinbase_premium)
            price, source = round(spot, 2), "coinbase"
        return {
            "pair": f"btc{quote}",
            "base": "btc",
            "quote": quote,
            "price": price,
            "timestamp": now_s,
            "source": source,
        }

    def all_prices(self, now_s: int, missing: Iterable[str] = ()) -> Json:
        """``GET /v1/prices`` and the WebSocket ``data`` payload; ``missing`` keys are left out."""
        skip = set(missing)
        return {
            quote: {"price": self.price(quote, now_s), "timestamp": now_s}
            for quote in self._config.currencies
            if quote not in skip
        }

    def pair_stats(self, quote: str, date_s: int | None, now_s: int) -> Json:
        """``GET /v1/pairs/{pair}``: 24-hour stats from ``date_s``, or the current day so far."""
        self.require_supported(quote)
        if date_s is None:
            start = now_s // SECONDS_PER_DAY * SECONDS_PER_DAY
        elif date_s > now_s:
            raise bad_request(f"date {date_s} is in the future", "INVALID_DATE")
        elif date_s < self.history_start_s:
            raise bad_request(
                f"date {date_s} is before the start of history ({self.history_start_s})",
                "INVALID_DATE",
            )
        else:
            start = date_s
        end = min(start + SECONDS_PER_DAY, now_s)
        grid = range(-(-start // 60) * 60, end + 1, 60)
        samples = [self.price(quote, ts) for ts in grid]
        open_, close = self.price(quote, start), self.price(quote, end)
        samples += [open_, close]
        return {
            "pair": f"btc{quote}",
            "base": "btc",
            "quote": quote,
            "from": start,
            "to": end,
            "open": open_,
            "high": max(samples),
            "low": min(samples),
            "close": close,
            "change": round(close - open_, 2),
            "change_percent": round(100.0 * (close - open_) / open_, 2),
            "volume": round(self._prices.volume_between(start, end), 4),
        }

    def price_history(
        self, quote: str, interval: Interval, before_s: int, limit: int, sort: Sort
    ) -> list[Json]:
        """``GET /v1/prices/{pair}/history``: one page of grid prices before ``before_s``."""
        self.require_supported(quote)
        stamps = page_timestamps(interval.seconds, before_s, limit, self.history_start_s)
        return _ordered([{"timestamp": t, "price": self.price(quote, t)} for t in stamps], sort)

    def fees(self, now_s: int) -> list[Json]:
        """``GET /v1/fees``: the current fee rates, lowest first."""
        levels = self._fees.fees_at(now_s)
        return [{"priority": p, "fee": f} for p, f in zip(FEE_PRIORITIES, levels, strict=True)]

    def fee_history(self, before_s: int, limit: int, sort: Sort) -> list[Json]:
        """``GET /v1/fees/history``: one page of hourly fee rates before ``before_s``."""
        stamps = page_timestamps(3_600, before_s, limit, self.history_start_s)
        return _ordered([{"timestamp": t, "fees": self.fees(t)} for t in stamps], sort)
