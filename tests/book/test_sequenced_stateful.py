"""SequencedBook against a simulated venue: random batches, losses, duplicates, late snapshots.

The venue keeps a dict-based reference book and its state at every sequence. After every step the
client book, whenever it is LIVE, must equal the venue's book at the client's sequence; when it is
not LIVE it must serve nothing; events must match its state changes; and a snapshot that can
bridge to the buffered deltas must bring it back LIVE at the venue's latest sequence.
"""

from __future__ import annotations

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from botkit.book.sequenced import BookState, BookUpdate, ResyncReason, SequencedBook
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookGap, BookResynced, BookSnapshot

from .reference import ReferenceBook

SYM = "BTCUSD"
MAX_BUFFER = 12
LIVE = BookState.LIVE

bid_prices = st.integers(190, 199).map(lambda i: i / 2)  # 95.0 .. 99.5
ask_prices = st.integers(201, 210).map(lambda i: i / 2)  # 100.5 .. 105.0
sizes = st.one_of(st.just(0.0), st.sampled_from([0.5, 1.0, 2.5, 7.0]))
level_changes = st.one_of(
    st.tuples(st.just(BookSide.BID), bid_prices, sizes),
    st.tuples(st.just(BookSide.ASK), ask_prices, sizes),
)
batches = st.lists(level_changes, min_size=1, max_size=4)


class VenueAndClient(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.venue = ReferenceBook(SYM, {99.0: 1.0, 98.5: 2.0}, {101.0: 1.0, 102.0: 3.0}, 0, 0)
        self.history = {0: self.venue.copy()}
        self.client = SequencedBook(SYM, max_buffer=MAX_BUFFER)
        self.delivered: list[tuple[BookDelta, ...]] = []
        self.pending: BookSnapshot | None = None
        self.window_ok = False  # since `pending` was taken: nothing lost, crossed or reset

    # --- venue -------------------------------------------------------------------------------

    def _next_batch(self, changes: list[tuple[BookSide, float, float]]) -> tuple[BookDelta, ...]:
        seq = self.venue.sequence + 1
        batch = tuple(BookDelta(seq, SYM, seq, side, price, size) for side, price, size in changes)
        for delta in batch:
            self.venue.apply(delta)
        self.history[seq] = self.venue.copy()
        if self.venue.crossed:
            self.window_ok = False
        return batch

    # --- client ------------------------------------------------------------------------------

    def _feed_batch(self, batch: tuple[BookDelta, ...]) -> BookUpdate:
        was, was_seq = self.client.state, self.client.sequence
        overflowed = self.client.stats.overflowed
        feed = self.client.on_delta if len(batch) == 1 else self.client.on_deltas
        update = self._checked(was, feed(batch[0] if len(batch) == 1 else batch))
        if self.client.stats.overflowed != overflowed:
            self.window_ok = False
        self.delivered.append(batch)
        seq = batch[0].sequence
        if was is LIVE and seq == was_seq + 1:
            crossed = self.history[seq].crossed
            assert (self.client.state is not LIVE) == crossed
            if crossed:
                assert update.reason is ResyncReason.CROSSED
        if was is LIVE and seq > was_seq + 1:
            assert self.client.state is BookState.RESYNCING
            assert update.reason is ResyncReason.GAP
            assert update.events == (BookGap(seq, SYM, was_seq + 1, seq),)
        return update

    def _checked(self, was: BookState, update: BookUpdate) -> BookUpdate:
        now = self.client.state
        if was is LIVE and now is not LIVE:
            assert len(update.events) == 1 and isinstance(update.events[0], BookGap)
            assert update.needs_snapshot and update.reason is not None
        elif was is BookState.RESYNCING and now is LIVE:
            assert len(update.events) == 1 and isinstance(update.events[0], BookResynced)
            assert update.events[0].sequence == self.client.sequence
        else:
            assert update.events == ()
        if now is not LIVE and update.needs_snapshot:
            assert update.reason is not None and update.detail
        return update

    # --- rules -------------------------------------------------------------------------------

    @rule(changes=batches)
    def deliver(self, changes):
        self._feed_batch(self._next_batch(changes))

    @rule(changes=batches)
    def lose(self, changes):
        self._next_batch(changes)
        self.window_ok = False

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def duplicate(self, data):
        batch = data.draw(st.sampled_from(self.delivered))
        was, was_seq, before = self.client.state, self.client.sequence, self.client.depth()
        self._feed_batch(batch)
        if was is LIVE and batch[0].sequence <= was_seq:
            assert self.client.state is LIVE and self.client.depth() == before

    @rule(price=ask_prices)
    def deliver_crossing_bid(self, price):
        self._feed_batch(self._next_batch([(BookSide.BID, price, 1.0)]))

    @rule()
    def deliver_uncrossing(self):
        changes = [(BookSide.BID, p, 0.0) for p in self.venue.bids if p > 100.0]
        self._feed_batch(self._next_batch(changes or [(BookSide.BID, 95.0, 0.0)]))

    @rule()
    def fresh_snapshot(self):
        was = self.client.state
        self._checked(was, self.client.on_snapshot(self.venue.snapshot()))
        self.window_ok = False
        if not self.venue.crossed:
            assert self.client.state is LIVE and self.client.sequence == self.venue.sequence

    @precondition(lambda self: self.pending is None)
    @rule()
    def take_snapshot(self):
        self.pending = self.venue.snapshot()
        self.window_ok = not self.venue.crossed

    @precondition(lambda self: self.pending is not None)
    @rule()
    def deliver_late_snapshot(self):
        assert self.pending is not None
        was = self.client.state
        self._checked(was, self.client.on_snapshot(self.pending))
        if self.window_ok and was is not LIVE:
            event("late snapshot bridged the buffer")
            assert self.client.state is LIVE and self.client.sequence == self.venue.sequence
        self.pending = None
        self.window_ok = False

    @rule()
    def reset(self):
        was = self.client.state
        update = self._checked(was, self.client.reset(ts=self.venue.sequence))
        assert update.needs_snapshot and update.reason is ResyncReason.RESET
        assert self.client.state is not LIVE and self.client.buffered == 0
        self.window_ok = False

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def live_book_equals_the_venue_at_its_sequence(self):
        client = self.client
        if client.state is LIVE:
            expected = self.history[client.sequence]
            assert not expected.crossed
            assert client.depth() == expected.snapshot()
            assert client.quote() == expected.quote()
        else:
            assert client.quote() is None and client.depth() is None and client.mid() is None

    @invariant()
    def buffer_is_bounded(self):
        assert self.client.buffered <= MAX_BUFFER
        assert self.client.state is not LIVE or self.client.buffered == 0


VenueAndClient.TestCase.settings = settings(max_examples=150, stateful_step_count=40,
                                            deadline=None)
TestVenueAndClient = VenueAndClient.TestCase
