"""Where the simulated venue keeps orders (by id and client id) and each account's fills."""

from __future__ import annotations

from collections import deque

from botkit.sim.syncron.errors import ApiError, ErrorCode
from botkit.sim.syncron.records import FillRecord, SimOrder

FILLS_KEPT = 10_000


class OrderStore:
    """Orders by venue id and by (account, client id), open orders, and fills per account.

    Finished orders of internal (agent) accounts are forgotten, so a long run does not grow.
    """

    def __init__(self) -> None:
        self.internal: set[str] = set()
        self._orders: dict[str, SimOrder] = {}
        self._open: dict[str, SimOrder] = {}
        self._client_ids: dict[tuple[str, str], str] = {}
        self._fills: dict[str, deque[FillRecord]] = {}

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def add(self, order: SimOrder) -> None:
        """Keep a newly accepted order as open."""
        self._orders[order.order_id] = order
        self._open[order.order_id] = order
        self._client_ids[(order.account_id, order.client_order_id)] = order.order_id

    def closed(self, order: SimOrder) -> None:
        """``order`` finished: no longer open (and forgotten if it belongs to an agent)."""
        self._open.pop(order.order_id, None)
        if order.account_id in self.internal:
            self._orders.pop(order.order_id, None)
            self._client_ids.pop((order.account_id, order.client_order_id), None)

    def get(self, order_id: str) -> SimOrder:
        """A kept order by venue id (KeyError if unknown)."""
        return self._orders[order_id]

    def by_client_id(self, account_id: str, client_order_id: str) -> SimOrder | None:
        """The order ``account_id`` placed with ``client_order_id``, if any."""
        order_id = self._client_ids.get((account_id, client_order_id))
        return self._orders.get(order_id) if order_id is not None else None

    def find(
        self, account_id: str, order_id: str | None = None, client_order_id: str | None = None
    ) -> SimOrder:
        """An order of ``account_id`` by venue id or client id, or ``40401``."""
        if client_order_id is not None:
            order = self.by_client_id(account_id, client_order_id)
        else:
            order = self._orders.get(order_id or "")
        if order is None or order.account_id != account_id:
            raise ApiError(
                ErrorCode.NOT_FOUND,
                "order not found",
                {"order_id": order_id, "client_order_id": client_order_id},
            )
        return order

    def orders_of(self, account_id: str) -> list[SimOrder]:
        """Every kept order of ``account_id``, open or finished, in the order they were accepted."""
        return [o for o in self._orders.values() if o.account_id == account_id]

    def is_open(self, order_id: str) -> bool:
        """Whether ``order_id`` is an open order."""
        return order_id in self._open

    def open_orders(self, account_id: str, symbol: str | None = None) -> list[SimOrder]:
        """Open orders of ``account_id`` (optionally of one symbol), oldest first."""
        return [
            o
            for o in self._open.values()
            if o.account_id == account_id and (symbol is None or o.symbol == symbol)
        ]

    def add_fill(self, fill: FillRecord) -> None:
        """Keep ``fill`` in its account's history (the latest ``FILLS_KEPT``)."""
        self._fills.setdefault(fill.account_id, deque(maxlen=FILLS_KEPT)).append(fill)

    def fills(
        self,
        account_id: str,
        symbol: str | None = None,
        order_id: str | None = None,
        limit: int = 100,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[FillRecord]:
        """Fills of ``account_id``, newest first, optionally of one symbol or order, within [start, end] ms."""
        out: list[FillRecord] = []
        for fill in reversed(self._fills.get(account_id, ())):
            if len(out) >= limit or (start_ms is not None and fill.ts < start_ms):
                break
            if end_ms is not None and fill.ts > end_ms:
                continue
            if (symbol is None or fill.symbol == symbol) and order_id in (None, fill.order_id):
                out.append(fill)
        return out
