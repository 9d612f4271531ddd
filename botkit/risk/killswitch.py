"""The kill switch: trading stops for good when the day's loss or the drawdown reaches its limit.

It watches equity (marked to market) and trips once; what tripping does is up to its owner: the
live engine cancels working orders, optionally flattens, persists ``halted`` and refuses to trade
again until a person re-arms it; the backtester does the same in simulated time and reports when.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from botkit.risk.rejection import RejectCode, Rejection

NS_PER_DAY = 86_400 * 1_000_000_000


@dataclass(slots=True)
class KillSwitchMemory:
    """What the switch must remember across restarts: the UTC day, its opening equity and the peak."""

    day: int = -1
    day_open_equity: float = 0.0
    peak_equity: float = 0.0

    def to_dict(self) -> dict[str, float | int]:
        """The memory as a JSON object."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float | int]) -> KillSwitchMemory:
        """Memory saved by ``to_dict``."""
        return cls(int(data.get("day", -1)), float(data.get("day_open_equity", 0.0)),
                   float(data.get("peak_equity", 0.0)))


class KillSwitch:
    """Trips when equity falls ``max_daily_loss`` below the day's opening equity or ``max_drawdown_pct`` below its peak.

    The day's opening equity is the first equity observed on each UTC day; the peak is the highest
    equity observed since the memory began (a restart carries both on through ``memory``).
    """

    def __init__(self, max_daily_loss: float | None, max_drawdown_pct: float | None,
                 memory: KillSwitchMemory | None = None) -> None:
        self.max_daily_loss = max_daily_loss
        self.max_drawdown_pct = max_drawdown_pct
        self.memory = memory or KillSwitchMemory()
        self.tripped: Rejection | None = None
        self.tripped_ns: int | None = None

    @property
    def enabled(self) -> bool:
        """Whether any limit is set."""
        return self.max_daily_loss is not None or self.max_drawdown_pct is not None

    def observe(self, ts_ns: int, equity: float) -> Rejection | None:
        """Record equity at ``ts_ns``; returns the trip the first time a limit is reached, else None."""
        if self.tripped is not None or not self.enabled:
            return None
        memory = self.memory
        day = ts_ns // NS_PER_DAY
        if day != memory.day:
            memory.day, memory.day_open_equity = day, equity
        if equity > memory.peak_equity:
            memory.peak_equity = equity
        trip: Rejection | None = None
        loss = memory.day_open_equity - equity
        if self.max_daily_loss is not None and loss >= self.max_daily_loss:
            trip = Rejection(RejectCode.DAILY_LOSS, "risk.max_daily_loss",
                             f"kill switch: loss today {loss:g} reached risk.max_daily_loss {self.max_daily_loss:g} "
                             f"(equity {equity:g}, day opened at {memory.day_open_equity:g})",
                             loss, self.max_daily_loss)
        elif self.max_drawdown_pct is not None and memory.peak_equity > 0:
            drawdown = (memory.peak_equity - equity) / memory.peak_equity * 100.0
            if drawdown >= self.max_drawdown_pct:
                trip = Rejection(RejectCode.MAX_DRAWDOWN, "risk.max_drawdown_pct",
                                 f"kill switch: drawdown {drawdown:.2f}% reached risk.max_drawdown_pct "
                                 f"{self.max_drawdown_pct:g}% (equity {equity:g}, peak {memory.peak_equity:g})",
                                 drawdown, self.max_drawdown_pct)
        if trip is not None:
            self.tripped, self.tripped_ns = trip, ts_ns
        return trip

    def rearm(self) -> None:
        """Clear a trip and start the drawdown peak afresh (a person decided to trade on)."""
        self.tripped = self.tripped_ns = None
        self.memory = KillSwitchMemory()
