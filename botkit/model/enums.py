"""Enumerations shared by events, orders and kernels; integer values are what kernels see."""

from __future__ import annotations

from enum import IntEnum


class Side(IntEnum):
    """Direction of an order, a fill or a trade's aggressor: +1 buys, -1 sells."""

    BUY = 1
    SELL = -1

    @property
    def sign(self) -> int:
        """+1 for buys, -1 for sells: multiply a quantity by it to get a signed position change."""
        return int(self)

    def opposite(self) -> Side:
        """The other side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(IntEnum):
    """How an order executes."""

    MARKET = 1
    LIMIT = 2
    STOP = 3


class TimeInForce(IntEnum):
    """How long an order stays working."""

    GTC = 1
    IOC = 2
    FOK = 3


class BookSide(IntEnum):
    """Which side of an order book a level belongs to."""

    BID = 1
    ASK = -1
