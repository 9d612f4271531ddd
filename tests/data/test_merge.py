import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.core.errors import ConfigError, DataError
from botkit.data.merge import iter_merged_archive, merge_arrays, merge_chunks
from botkit.data.synthetic import synthetic_bars
from botkit.data.writer import write_records

from .factories import T0, make_bars, make_trades


def reference_merge(arrays):
    """Concatenate, then sort by (ts, source index), keeping each source's own order."""
    records = np.concatenate(arrays)
    instrument = np.concatenate([np.full(len(a), i, dtype=np.int16) for i, a in enumerate(arrays)])
    order = np.lexsort((instrument, records["ts"]))
    return instrument[order], records[order]


def split(array, sizes):
    """``array`` cut into chunks of the given sizes (cycled), as a lazy source."""
    start, i = 0, 0
    while start < len(array):
        size = sizes[i % len(sizes)]
        yield array[start : start + size]
        start += size
        i += 1


def joined(pairs):
    pairs = list(pairs)
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def test_ties_follow_source_order():
    a = make_trades([1, 1, 2, 5])
    b = make_trades([0, 1, 1, 5])
    c = make_trades([1])
    instrument, records = joined(merge_chunks([[a], [b], [c]], 100))
    assert records["ts"].tolist() == [0, 1, 1, 1, 1, 1, 2, 5, 5]
    assert instrument.tolist() == [1, 0, 0, 1, 1, 2, 0, 0, 1]
    assert instrument.dtype == np.int16
    # each source's own rows keep their order
    np.testing.assert_array_equal(records[instrument == 0], a)
    np.testing.assert_array_equal(records[instrument == 1], b)


def test_ties_across_chunk_borders_of_a_source():
    # source 0's rows at ts=3 arrive in two chunks; source 1's ts=3 row must wait for both.
    a = make_trades([1, 3, 3, 3, 3])
    b = make_trades([3, 4])
    instrument, records = joined(merge_chunks([split(a, [2]), split(b, [1])], 3))
    assert records["ts"].tolist() == [1, 3, 3, 3, 3, 3, 4]
    assert instrument.tolist() == [0, 0, 0, 0, 0, 1, 1]


source_ts = st.lists(st.integers(0, 30), max_size=60).map(sorted)


@settings(max_examples=150, deadline=None)
@given(
    sources=st.lists(source_ts, min_size=1, max_size=5),
    chunk_sizes=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    chunk_rows=st.integers(1, 25),
)
def test_merge_equals_stable_sort(sources, chunk_sizes, chunk_rows):
    arrays = [make_trades(ts) for ts in sources]
    pairs = list(merge_chunks([split(a, chunk_sizes) for a in arrays], chunk_rows))
    assert all(len(i) == len(r) <= chunk_rows for i, r in pairs)
    assert all(len(r) == chunk_rows for _, r in pairs[:-1])
    if sum(len(a) for a in arrays) == 0:
        assert pairs == []
        return
    instrument, records = joined(pairs)
    want_instrument, want_records = reference_merge(arrays)
    np.testing.assert_array_equal(records, want_records)
    np.testing.assert_array_equal(instrument, want_instrument)


def test_memory_is_bounded_by_one_chunk_per_source():
    pulled = [0, 0, 0]

    def source(index, n_chunks=1_000, rows=10):
        for c in range(n_chunks):
            pulled[index] += 1
            base = T0 + c * rows * 3
            yield make_bars(rows, start_ns=base + index, interval_ns=3)

    merged = merge_chunks([source(0), source(1), source(2)], chunk_rows=10)
    longest = 0
    for count, (_, records) in enumerate(merged):
        longest = max(longest, len(records))
        # never more than two chunks ahead per source, however far the merge has got
        consumed_chunks = (count + 1) // 3 + 1
        assert max(pulled) <= consumed_chunks + 2
    assert longest == 10
    assert pulled == [1_000, 1_000, 1_000]


def test_unsorted_source_rejected():
    with pytest.raises(DataError, match="merge source 1 is not sorted"):
        list(merge_chunks([[make_trades([1, 2])], [make_trades([2]), make_trades([1])]], 10))


def test_mixed_dtypes_rejected():
    with pytest.raises(ConfigError, match="different dtypes"):
        list(merge_chunks([[make_trades([1])], [make_bars(1)]], 10))


def test_merge_arrays():
    instrument, records = merge_arrays([make_trades([2, 4]), make_trades([1, 4])])
    assert records["ts"].tolist() == [1, 2, 4, 4]
    assert instrument.tolist() == [1, 0, 0, 1]
    instrument, records = merge_arrays([make_trades([])])
    assert len(instrument) == len(records) == 0


def test_merged_archive(tmp_path):
    btc = synthetic_bars(3_000, seed=1)
    eth = synthetic_bars(2_000, start_ns=T0 + 500 * 60 * 10**9, seed=2)
    write_records(tmp_path, "synthetic", "BTC", "bars_1m", btc)
    write_records(tmp_path, "synthetic", "ETH", "bars_1m", eth)
    pairs = list(
        iter_merged_archive(
            tmp_path, "synthetic", ["BTC", "ETH"], "bars_1m", T0, T0 + 10**15, chunk_rows=256
        )
    )
    assert max(len(r) for _, r in pairs) == 256
    instrument, records = joined(pairs)
    want_instrument, want_records = reference_merge([btc, eth])
    np.testing.assert_array_equal(records, want_records)
    np.testing.assert_array_equal(instrument, want_instrument)
