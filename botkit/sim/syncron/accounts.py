"""Simulated accounts: balances with reservations, fee rates, and positions per symbol."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from botkit.model.enums import Side
from botkit.sim.syncron.config import AccountConfig, Permission
from botkit.sim.syncron.errors import ApiError, ErrorCode

ZERO = Decimal(0)
BPS = Decimal(10_000)


@dataclass(slots=True)
class AssetBalance:
    """Funds in one asset: ``free`` can be spent, ``locked`` backs working orders."""

    free: Decimal = ZERO
    locked: Decimal = ZERO


@dataclass(slots=True)
class SimPosition:
    """Net quantity traded in a symbol (negative = net sold), average entry and realized PnL."""

    qty: Decimal = ZERO
    avg_price: Decimal = ZERO
    realized_pnl: Decimal = ZERO

    def apply(self, side: Side, qty: Decimal, price: Decimal) -> None:
        """Book a fill with average-cost accounting; a flip opens the rest at ``price``."""
        signed = qty if side is Side.BUY else -qty
        if self.qty == 0 or (self.qty > 0) == (signed > 0):
            total = self.qty + signed
            self.avg_price = (self.avg_price * abs(self.qty) + price * qty) / abs(total)
            self.qty = total
            return
        closed = min(qty, abs(self.qty))
        direction = 1 if self.qty > 0 else -1
        self.realized_pnl += (price - self.avg_price) * closed * direction
        self.qty += signed
        if self.qty == 0:
            self.avg_price = ZERO
        elif (self.qty > 0) != (direction > 0):
            self.avg_price = price


@dataclass(slots=True)
class Account:
    """One trading account: an API key, its permissions, balances, fees and positions."""

    account_id: str
    api_key: str
    api_secret: str = field(repr=False)
    permissions: frozenset[Permission]
    maker_rate: Decimal
    taker_rate: Decimal
    balances: dict[str, AssetBalance] = field(default_factory=dict)
    positions: dict[str, SimPosition] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: AccountConfig) -> Account:
        """An account opened with ``config``'s balances; its id is its API key."""
        return cls(
            account_id=config.api_key,
            api_key=config.api_key,
            api_secret=config.api_secret.get_secret_value(),
            permissions=config.permissions,
            maker_rate=config.maker_fee_bps / BPS,
            taker_rate=config.taker_fee_bps / BPS,
            balances={a: AssetBalance(free=q) for a, q in config.balances.items()},
        )

    def balance(self, asset: str) -> AssetBalance:
        """The balance of ``asset``, created empty on first use."""
        found = self.balances.get(asset)
        if found is None:
            found = self.balances[asset] = AssetBalance()
        return found

    def position(self, symbol: str) -> SimPosition:
        """The position in ``symbol``, created flat on first use."""
        found = self.positions.get(symbol)
        if found is None:
            found = self.positions[symbol] = SimPosition()
        return found

    def reserve(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked, or raise ``40002`` if free is short."""
        bal = self.balance(asset)
        if amount > bal.free:
            raise ApiError(
                ErrorCode.INSUFFICIENT_BALANCE,
                f"insufficient {asset} balance",
                {"asset": asset, "required": str(amount), "available": str(bal.free)},
            )
        bal.free -= amount
        bal.locked += amount

    def release(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` back from locked to free."""
        bal = self.balance(asset)
        bal.locked -= amount
        bal.free += amount

    def settle(
        self, side: Side, base: str, quote: str, qty: Decimal, price: Decimal, fee: Decimal
    ) -> Decimal:
        """Apply a fill paid from this order's reservation; returns the reservation it used.

        A buy spends ``qty × price + fee`` locked quote and receives ``qty`` base; a sell spends
        ``qty`` locked base and receives ``qty × price − fee`` quote.
        """
        notional = qty * price
        if side is Side.BUY:
            used = notional + fee
            self.balance(quote).locked -= used
            self.balance(base).free += qty
        else:
            used = qty
            self.balance(base).locked -= qty
            self.balance(quote).free += notional - fee
        return used


class AccountRegistry:
    """All accounts by id and by API key."""

    def __init__(self) -> None:
        self._by_id: dict[str, Account] = {}
        self._by_key: dict[str, Account] = {}

    def add(self, account: Account) -> None:
        """Register ``account``; its id and API key must be new."""
        if account.account_id in self._by_id or account.api_key in self._by_key:
            raise ValueError(f"account {account.account_id!r} is already registered")
        self._by_id[account.account_id] = account
        self._by_key[account.api_key] = account

    def get(self, account_id: str) -> Account:
        """The account with ``account_id`` (KeyError if unknown)."""
        return self._by_id[account_id]

    def by_key(self, api_key: str) -> Account | None:
        """The account of ``api_key``, None if the key is unknown."""
        return self._by_key.get(api_key)
