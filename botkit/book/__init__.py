"""L2 order books kept from venue snapshots and deltas.

``botkit.book.l2.L2Book`` holds the price levels of one symbol; ``botkit.book.sequenced`` wraps it
in the sequence state machine a venue client drives (gaps, duplicates, buffering, resyncs). Import
from those modules; this package re-exports nothing. ``docs/book.md`` shows a client driving it.
"""
