"""``botkit data generate`` replaces a kind's folder whole: an archive never mixes two runs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from botkit.core.errors import ConfigError
from botkit.data import parquet, staged
from botkit.data.archive import read_archive
from botkit.data.book_events import read_book_events
from botkit.data.synthetic import generate_archive, synthetic_bars
from botkit.data.synthetic_book import generate_book_archive
from botkit.data.writer import write_records

KIND = ("synthetic", "BTCUSD", "bars_1m")


def leftovers(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.endswith(".tmp"))


def test_a_shorter_run_over_a_longer_one_leaves_only_the_new_series(tmp_path):
    generate_archive(tmp_path, symbol="BTCUSD", n=5_000, seed=1)
    generate_archive(tmp_path, symbol="BTCUSD", n=2_000, seed=2)
    np.testing.assert_array_equal(read_archive(tmp_path, *KIND), synthetic_bars(2_000, seed=2))
    notes = json.loads((tmp_path / "synthetic" / "BTCUSD" / staged.GENERATED_NOTE).read_text())
    assert notes["bars_1m"]["seed"] == 2 and notes["bars_1m"]["rows"] == 2_000


def test_an_interrupted_run_leaves_the_archive_as_it_was(tmp_path, monkeypatch):
    generate_archive(tmp_path, symbol="BTCUSD", n=5_000, seed=1)
    before = read_archive(tmp_path, *KIND)
    written = []
    real_write = parquet.write_parquet

    def interrupted(path, records, **kwargs):
        if len(written) == 2:
            raise KeyboardInterrupt  # Ctrl-C on the third day file
        written.append(path)
        real_write(path, records, **kwargs)

    monkeypatch.setattr("botkit.data.writer.write_parquet", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generate_archive(tmp_path, symbol="BTCUSD", n=5_000, seed=2)
    assert len(written) == 2
    np.testing.assert_array_equal(read_archive(tmp_path, *KIND), before)  # all seed 1: no seam
    assert leftovers(tmp_path) == []


def test_the_scratch_folder_of_a_killed_run_is_removed_by_the_next(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / f".staged-{dead.stdout.strip()}-abc.tmp"
    (abandoned / "synthetic" / "BTCUSD" / "bars_1m").mkdir(parents=True)
    generate_archive(tmp_path, symbol="BTCUSD", n=100, seed=1)
    assert not abandoned.exists() and leftovers(tmp_path) == []


def test_downloaded_or_recorded_data_is_never_replaced(tmp_path):
    write_records(tmp_path, "sintra", "BTCUSD", "bars_1m", synthetic_bars(100, seed=5))
    with pytest.raises(ConfigError, match="holds data that botkit data generate did not write"):
        generate_archive(tmp_path, symbol="BTCUSD", n=100, seed=1, venue="sintra")
    np.testing.assert_array_equal(read_archive(tmp_path, "sintra", "BTCUSD", "bars_1m"), synthetic_bars(100, seed=5))
    assert leftovers(tmp_path) == []
    generate_archive(tmp_path, symbol="BTCUSD", n=100, seed=1, venue="sim")  # a folder of its own: fine
    generate_archive(tmp_path, symbol="BTCUSD", n=50, seed=2, venue="sim")  # and again: it wrote it
    assert len(read_archive(tmp_path, "sim", "BTCUSD", "bars_1m")) == 50


def test_other_kinds_and_symbols_are_left_alone(tmp_path):
    generate_archive(tmp_path, symbol="BTCUSD", n=100, seed=1)
    generate_archive(tmp_path, symbol="BTCUSD", n=100, seed=1, kind="trades")
    generate_archive(tmp_path, symbol="ETHUSD", n=100, seed=3)
    generate_archive(tmp_path, symbol="BTCUSD", n=10, seed=2)
    assert len(read_archive(tmp_path, "synthetic", "BTCUSD", "trades")) == 100
    assert len(read_archive(tmp_path, "synthetic", "ETHUSD", "bars_1m")) == 100
    assert len(read_archive(tmp_path, *KIND)) == 10


def test_a_book_archive_is_replaced_whole_too(tmp_path):
    generate_book_archive(tmp_path, symbol="BTCUSD", n=3_000, seed=1)
    generate_book_archive(tmp_path, symbol="BTCUSD", n=100, seed=2)
    assert len(list(read_book_events(tmp_path, "synthetic", ["BTCUSD"]))) == 101  # a snapshot, 100 updates
    assert leftovers(tmp_path) == []
    notes = json.loads((tmp_path / "synthetic" / "BTCUSD" / staged.GENERATED_NOTE).read_text())
    assert {"book_snapshots", "book_deltas"} <= set(notes) and notes["book_deltas"]["seed"] == 2
