"""The kill switch: daily loss from the day's opening equity, drawdown from the peak, latched, re-armed."""

from botkit.risk.killswitch import NS_PER_DAY, KillSwitch, KillSwitchMemory
from botkit.risk.rejection import RejectCode


def test_daily_loss_counts_from_the_first_equity_of_each_utc_day():
    switch = KillSwitch(max_daily_loss=100.0, max_drawdown_pct=None)
    assert switch.observe(10, 1_000.0) is None
    assert switch.observe(20, 950.0) is None
    assert switch.observe(NS_PER_DAY + 1, 920.0) is None, "a new day opens at 920"
    assert switch.observe(NS_PER_DAY + 2, 830.0) is None
    trip = switch.observe(NS_PER_DAY + 3, 820.0)
    assert trip is not None and trip.code is RejectCode.DAILY_LOSS and trip.value == 100.0 and trip.limit == 100.0
    assert switch.tripped is trip and switch.tripped_ns == NS_PER_DAY + 3
    assert switch.observe(NS_PER_DAY + 4, 100.0) is None, "it trips once and stays tripped"


def test_drawdown_counts_from_the_peak_and_survives_a_restart_through_its_memory():
    switch = KillSwitch(max_daily_loss=None, max_drawdown_pct=10.0)
    for ts, equity in enumerate([1_000.0, 1_200.0, 1_100.0]):
        assert switch.observe(ts, equity) is None
    restarted = KillSwitch(None, 10.0, KillSwitchMemory.from_dict(switch.memory.to_dict()))
    trip = restarted.observe(5, 1_080.0)
    assert trip is not None and trip.code is RejectCode.MAX_DRAWDOWN and "peak 1200" in trip.message
    restarted.rearm()
    assert restarted.tripped is None and restarted.observe(6, 1_080.0) is None, "re-armed: the peak starts afresh"


def test_a_switch_without_limits_never_trips():
    switch = KillSwitch(None, None)
    assert not switch.enabled and switch.observe(1, -1e9) is None
