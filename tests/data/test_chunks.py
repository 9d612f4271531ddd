import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from botkit.core.errors import ConfigError
from botkit.data.chunks import rechunk, rechunk_aligned


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
