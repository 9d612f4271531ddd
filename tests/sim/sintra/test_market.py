"""History paging as a pure function: adjacent pages neither overlap nor skip."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from botkit.sim.sintra.market import page_timestamps

steps = st.sampled_from([60, 3_600, 86_400])
limits = st.integers(min_value=1, max_value=25)
befores = st.integers(min_value=1_400_000_000, max_value=1_900_000_000)
earliest = st.integers(min_value=1_300_000_000, max_value=1_800_000_000)


@given(step=steps, limit=limits, before=befores, start=earliest)
def test_a_page_is_the_latest_grid_times_before_the_date(
    step: int, limit: int, before: int, start: int
) -> None:
    page = page_timestamps(step, before, limit, start)
    assert len(page) <= limit
    assert page == sorted(page)
    assert all(t % step == 0 and start <= t < before for t in page)
    if page:
        assert page[-1] + step >= before, "the latest grid time before the date is included"
    if len(page) < limit:
        assert not page or page[0] - step < start, "a short page means history starts here"


@given(step=steps, limit=limits, before=befores, start=earliest)
def test_walking_back_with_the_earliest_timestamp_neither_overlaps_nor_skips(
    step: int, limit: int, before: int, start: int
) -> None:
    seen: list[int] = []
    date = before
    for _ in range(4):
        page = page_timestamps(step, date, limit, start)
        if not page:
            break
        if seen:
            assert page[-1] == seen[0] - step
        seen = page + seen
        date = page[0]
    assert seen == list(range(seen[0], seen[-1] + 1, step)) if seen else True
