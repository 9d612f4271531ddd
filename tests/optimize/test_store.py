"""A sweep's results folder: an interrupted sweep resumes with only its missing chunks, other sweeps are refused."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from botkit.backtest.spec import BacktestSpec, validate_spec
from botkit.core.errors import ConfigError
from botkit.data.synthetic import synthetic_bars
from botkit.optimize import runner as runner_module
from botkit.optimize.chunks import MarketData, SweepJob, load_market, plan_job, run_chunk
from botkit.optimize.engine import optimize
from botkit.optimize.grid import ParamSpace
from botkit.optimize.runner import Chunk, InProcessRunner, OnDone, run_sweep
from botkit.optimize.store import CHUNKS, MANIFEST, ResultStore

SPEC = {"strategy": "sma_cross", "params": {"size": 1.0}, "capital": 100_000.0}
GRID = {"fast": "5:30:5", "slow": "20:80:10"}
WHERE = ["fast < slow"]
DATA = {"BTCUSD": synthetic_bars(20_000, seed=2)}
SIZE = 5
COMBOS = 38
CHUNK_COUNT = 8  # 38 combinations in chunks of 5


class CountingRunner:
    """Runs chunks here like InProcessRunner, keeping the number of every chunk it ran."""

    def __init__(self) -> None:
        self.ran: list[int] = []

    def run(self, market: MarketData, job: SweepJob, chunks: Sequence[Chunk], on_done: OnDone) -> None:
        for number, combos in chunks:
            self.ran.append(number)
            on_done(number, run_chunk(market, job, combos))


class InterruptedRunner:
    """Finishes ``after`` chunks, then is interrupted (Ctrl-C) while running the next one."""

    def __init__(self, after: int) -> None:
        self.after = after

    def run(self, market: MarketData, job: SweepJob, chunks: Sequence[Chunk], on_done: OnDone) -> None:
        for finished, (number, combos) in enumerate(chunks):
            columns = run_chunk(market, job, combos)
            if finished == self.after:
                raise KeyboardInterrupt
            on_done(number, columns)


class Sweep:
    """One sweep's inputs, as ``optimize`` prepares them for ``run_sweep``."""

    def __init__(self, grid: Mapping[str, str] = GRID, data: Mapping[str, Any] = DATA) -> None:
        self.spec: BacktestSpec = validate_spec(dict(SPEC), "spec")
        space = ParamSpace.from_mapping(grid, WHERE)
        self.names = space.names
        self.combos = space.grid(fixed=self.spec.params)
        self.market = load_market(self.spec, data)
        self.job = plan_job(self.spec, self.market)

    def run(self, runner: Any, out: Path | None, *, resume: bool = True, chunk_size: int = SIZE,
            progress: Any = None) -> pd.DataFrame:
        return run_sweep(self.spec, self.market, self.job, self.combos, self.names, out=out, resume=resume,
                         chunk_size=chunk_size, runner=runner, progress=progress)


@pytest.fixture(scope="module")
def sweep() -> Sweep:
    return Sweep()


@pytest.fixture(scope="module")
def whole(sweep: Sweep) -> pd.DataFrame:
    """The uninterrupted sweep, without a results folder."""
    table = sweep.run(InProcessRunner(), None)
    assert len(table) == COMBOS
    return table


def chunk_files(out: Path) -> list[str]:
    return sorted(path.name for path in (out / CHUNKS).iterdir())


def test_an_interrupted_sweep_resumes_with_only_the_missing_chunks(sweep: Sweep, whole: pd.DataFrame,
                                                                     tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        sweep.run(InterruptedRunner(after=2), tmp_path)
    assert chunk_files(tmp_path) == ["00000.parquet", "00001.parquet"]

    counting = CountingRunner()
    resumed = sweep.run(counting, tmp_path)
    assert counting.ran == list(range(2, CHUNK_COUNT))
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)
    assert chunk_files(tmp_path) == [f"{k:05d}.parquet" for k in range(CHUNK_COUNT)]

    again = CountingRunner()
    pd.testing.assert_frame_equal(sweep.run(again, tmp_path), whole, check_exact=True)
    assert again.ran == []


def test_a_progress_callback_interrupt_keeps_the_chunks_reported(sweep: Sweep, whole: pd.DataFrame,
                                                                  tmp_path: Path) -> None:
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 2 * SIZE:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep.run(InProcessRunner(), tmp_path, progress=progress)
    assert seen == [0, SIZE, 2 * SIZE]

    counting = CountingRunner()
    resumed_progress: list[int] = []
    resumed = sweep.run(counting, tmp_path, progress=lambda done, total: resumed_progress.append(done))
    assert counting.ran == list(range(2, CHUNK_COUNT))
    assert resumed_progress[0] == 2 * SIZE and resumed_progress[-1] == COMBOS
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)


def test_optimize_resumes_from_its_out_folder(sweep: Sweep, whole: pd.DataFrame, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def stop_after_three_chunks(done: int, total: int) -> None:
        if done >= 3 * SIZE:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        optimize(SPEC, grid=GRID, where=WHERE, data=DATA, out=tmp_path, chunk_size=SIZE,
                 progress=stop_after_three_chunks)
    calls: list[int] = []

    def counted(market: MarketData, job: SweepJob, combos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        calls.append(len(combos))
        return run_chunk(market, job, combos)

    monkeypatch.setattr(runner_module, "run_chunk", counted)
    result = optimize(SPEC, grid=GRID, where=WHERE, data=DATA, out=tmp_path, chunk_size=SIZE)
    assert sum(calls) == COMBOS - 3 * SIZE and len(calls) == CHUNK_COUNT - 3
    pd.testing.assert_frame_equal(result.table, whole, check_exact=True)


@pytest.mark.parametrize("change", ["grid", "chunk_size", "data"])
def test_another_sweep_in_the_same_folder_is_refused_on_resume(sweep: Sweep, tmp_path: Path, change: str) -> None:
    with pytest.raises(KeyboardInterrupt):
        sweep.run(InterruptedRunner(after=2), tmp_path)
    other = {"grid": Sweep({"fast": "5:30:5", "slow": "20:90:10"}), "chunk_size": sweep,
             "data": Sweep(data={"BTCUSD": synthetic_bars(20_000, seed=3)})}[change]
    size = SIZE + 1 if change == "chunk_size" else SIZE
    with pytest.raises(ConfigError, match=r"holds the results of another sweep.*--no-resume"):
        other.run(CountingRunner(), tmp_path, chunk_size=size)
    assert chunk_files(tmp_path) == ["00000.parquet", "00001.parquet"]  # refused, so left as it was


def test_resume_false_replaces_the_folder(sweep: Sweep, tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        sweep.run(InterruptedRunner(after=2), tmp_path)
    other = Sweep({"fast": "5:10:5", "slow": "20:30:10"})  # 4 combinations: one chunk
    counting = CountingRunner()
    table = other.run(counting, tmp_path, resume=False)
    assert counting.ran == [0] and len(table) == 4
    assert chunk_files(tmp_path) == ["00000.parquet"]
    pd.testing.assert_frame_equal(table, other.run(InProcessRunner(), None), check_exact=True)
    # and the folder now belongs to the new sweep: resuming it runs nothing
    again = CountingRunner()
    other.run(again, tmp_path)
    assert again.ran == []


def test_resume_false_on_the_same_sweep_runs_everything_again(sweep: Sweep, whole: pd.DataFrame,
                                                              tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        sweep.run(InterruptedRunner(after=2), tmp_path)
    counting = CountingRunner()
    pd.testing.assert_frame_equal(sweep.run(counting, tmp_path, resume=False), whole, check_exact=True)
    assert counting.ran == list(range(CHUNK_COUNT))


def test_a_chunk_that_fails_mid_write_leaves_no_file(sweep: Sweep, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def half_written(self: pd.DataFrame, handle: Any, **kwargs: Any) -> None:
        handle.write(b"PAR1 half a chunk")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_written)
    with pytest.raises(OSError, match="disk full"):
        sweep.run(InProcessRunner(), tmp_path)
    assert chunk_files(tmp_path) == []  # neither the chunk nor its temporary file
    monkeypatch.undo()

    counting = CountingRunner()
    sweep.run(counting, tmp_path)
    assert counting.ran == list(range(CHUNK_COUNT))


def test_an_unreadable_manifest_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text("{not json")
    with pytest.raises(ConfigError, match=f"{MANIFEST}: unreadable sweep manifest"):
        ResultStore(tmp_path, "digest", resume=True)


def test_the_manifest_names_the_sweep(sweep: Sweep, tmp_path: Path) -> None:
    sweep.run(InProcessRunner(), tmp_path)
    digest = json.loads((tmp_path / MANIFEST).read_text())["digest"]
    assert isinstance(digest, str) and len(digest) == 64
    assert ResultStore(tmp_path, digest, resume=True).finished() == set(range(CHUNK_COUNT))


class WideRunner(CountingRunner):
    """A runner as wide as a cluster of ``parallelism`` workers: its chunks of one round are dealt in turn."""

    def __init__(self, parallelism: int) -> None:
        super().__init__()
        self.parallelism = parallelism


@pytest.mark.parametrize("n, size, parallelism", [(38, 5, 4), (38, 5, 1), (174, 87, 2), (7, 7, 2), (0, 3, 2)])
def test_chunk_positions_cover_every_combination_once(n: int, size: int, parallelism: int) -> None:
    positions = runner_module.chunk_positions(n, size, parallelism)
    flat = sorted(int(i) for where in positions for i in where)
    assert flat == list(range(n))
    assert all(len(where) <= size for where in positions)
    dealt = runner_module.dealt(n, size, parallelism)
    assert dealt == (1 < len(positions) <= 2 * parallelism)
    if dealt:  # each chunk holds every count-th combination, so each sees the whole grid
        assert [int(where[0]) for where in positions] == list(range(len(positions)))


def test_dealt_chunks_give_the_same_table(sweep: Sweep, whole: pd.DataFrame, tmp_path: Path) -> None:
    wide = WideRunner(parallelism=4)  # 8 chunks of 5 ≤ 2 × 4: dealt in turn
    assert runner_module.dealt(COMBOS, SIZE, wide.parallelism)
    table = sweep.run(wide, tmp_path)
    pd.testing.assert_frame_equal(table, whole, check_exact=True)
    assert sorted(wide.ran) == list(range(CHUNK_COUNT))


def test_a_sweep_started_dealt_is_not_resumed_in_runs(sweep: Sweep, whole: pd.DataFrame, tmp_path: Path) -> None:
    """Chunk k holds other combinations in the other layout: resuming must not mix them."""
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep.spec, sweep.market, sweep.job, sweep.combos, sweep.names, out=tmp_path, resume=True,
                  chunk_size=SIZE, runner=_Interrupted(after=3, parallelism=4))
    with pytest.raises(ConfigError):
        sweep.run(CountingRunner(), tmp_path)  # same size, one at a time: runs, not dealt
    table = sweep.run(WideRunner(parallelism=4), tmp_path)
    pd.testing.assert_frame_equal(table, whole, check_exact=True)


class _Interrupted(InterruptedRunner):
    def __init__(self, after: int, parallelism: int) -> None:
        super().__init__(after)
        self.parallelism = parallelism
