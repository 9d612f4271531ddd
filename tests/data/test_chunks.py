import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.core.errors import ConfigError
from botkit.data import chunks
from botkit.data.chunks import ChunkWriter, concat_records, rechunk, rechunk_aligned

from .factories import make_trades


@given(
    sizes=st.lists(st.integers(0, 50), max_size=20),
    chunk_rows=st.integers(1, 40),
)
def test_rechunk_keeps_rows_and_cuts_full_chunks(sizes, chunk_rows):
    total = sum(sizes)
    data = np.arange(total)
    pieces = np.split(data, np.cumsum(sizes)[:-1]) if sizes else []
    chunks = list(rechunk(pieces, chunk_rows))
    assert all(len(c) == chunk_rows for c in chunks[:-1])
    assert all(0 < len(c) <= chunk_rows for c in chunks)
    joined = np.concatenate(chunks) if chunks else np.empty(0, dtype=data.dtype)
    np.testing.assert_array_equal(joined, data)


def test_rechunk_aligned_keeps_arrays_together():
    pieces = [(np.arange(3), np.arange(3) * 10), (np.arange(3, 5), np.arange(3, 5) * 10)]
    chunks = list(rechunk_aligned(pieces, 4))
    assert [len(a) for a, _ in chunks] == [4, 1]
    for a, b in chunks:
        np.testing.assert_array_equal(b, a * 10)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_chunk_rows_must_be_positive_int(bad):
    with pytest.raises(ConfigError, match="chunk_rows must be an int >= 1"):
        list(rechunk([np.arange(3)], bad))


def test_concat_records_joins_record_arrays_exactly():
    trades = make_trades(list(range(10)))  # 25-byte records, not aligned
    parts = [trades[:3], trades[3:3], trades[3:]]
    joined = concat_records(parts)
    assert joined.dtype == trades.dtype
    np.testing.assert_array_equal(joined, trades)
    strided = concat_records([trades[::2], trades[1::2]])  # not contiguous: numpy's own path
    np.testing.assert_array_equal(strided, np.concatenate([trades[::2], trades[1::2]]))


@given(
    pieces=st.lists(st.tuples(st.booleans(), st.integers(0, 30), st.integers(0, 30)), max_size=20),
    chunk_rows=st.one_of(st.none(), st.integers(1, 25)),
    reserve_rows=st.sampled_from([None, 1, 7]),  # None: the default, larger than any chunk here
)
def test_chunk_writer_cuts_exact_chunks_whether_rows_are_copied_or_written_in_place(
    pieces, chunk_rows, reserve_rows
):
    data = make_trades(list(range(20 * 30)))
    with pytest.MonkeyPatch.context() as patch:
        if reserve_rows is not None:
            patch.setattr(chunks, "RESERVE_BYTES", reserve_rows * data.dtype.itemsize)
        writer = ChunkWriter(data.dtype, chunk_rows)
    out, used = [], 0
    for in_place, reserved, rows in pieces:
        rows = min(rows, reserved)  # e.g. a batch whose rows out of range are dropped
        room = writer.room(reserved) if in_place else None
        if room is None:
            out += writer.add(data[used : used + rows])
        else:
            chunk, offset = room
            chunk[offset : offset + rows] = data[used : used + rows]
            out += writer.wrote(rows)
        used += rows
    out += writer.finish()
    if chunk_rows is None:
        assert len(out) <= 1
    else:
        assert all(len(c) == chunk_rows for c in out[:-1])
    assert all(len(c) > 0 for c in out)
    joined = concat_records(out) if out else data[:0]
    np.testing.assert_array_equal(joined, data[:used])
