"""The Python API of the optimizer: a spec and a parameter space in, an ``OptimizeResult`` out.

``optimize(spec, grid={"fast": "5:50:5", "slow": "20:200:10"}, where=["fast < slow"], metric="sharpe")``
validates the whole space before any work, reads the data once, runs the combinations in chunks
(the compiled sweep here, a process pool, or a Dask cluster with ``scheduler=``/``workers=``) and
returns one row per combination. With ``out=`` every finished chunk is kept on disk as it comes,
and a rerun of the same sweep resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from botkit.backtest.engine import DataInput, as_spec
from botkit.backtest.spec import BacktestSpec, OptimizeSpec
from botkit.core.config_model import checked_output_dir
from botkit.core.errors import ConfigError, DataError
from botkit.data.kinds import interval_to_ns
from botkit.optimize.chunks import SweepJob, load_market, plan_job
from botkit.optimize.grid import ParamSpace
from botkit.optimize.result import OptimizeResult, check_metric
from botkit.optimize.runner import ChunkRunner, Progress, local_runner, run_sweep
from botkit.optimize.validation import validate
from botkit.optimize.walk_forward import walk_forward as run_walk_forward
from botkit.strategy.loader import load_strategy_class


def optimize(
    spec: BacktestSpec | Mapping[str, Any] | str | Path,
    *,
    grid: Mapping[str, str | Sequence[Any]] | Sequence[str] | None = None,
    where: Sequence[str] = (),
    random: int | None = None,
    seed: int | None = None,
    metric: str | None = None,
    walk_forward: str | None = None,
    anchored: bool | None = None,
    data: DataInput | None = None,
    out: str | Path | None = None,
    resume: bool = True,
    chunk_size: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> OptimizeResult:
    """Run every combination of a parameter space and rank them by ``metric``.

    ``grid`` maps parameters to ranges (``"5:50:5"``, inclusive) or lists, or is a list of
    ``"name=range"`` texts as the CLI takes them; ``where`` lists constraints (``"fast < slow"``).
    Without them the spec's ``optimize:`` section is used. ``random`` samples that many
    combinations (``seed`` makes it reproducible) instead of the whole grid. ``scheduler`` (an
    address) or ``workers`` (a local cluster of that many processes) run the chunks on Dask.
    ``walk_forward`` (``"train=90d,test=30d"``) adds a walk-forward analysis (``anchored``: the
    training windows keep their start), in ``result.walk_forward``. An ``out`` that is a file, a
    device or cannot be written is a ConfigError before any work.
    """
    if out is not None:
        checked_output_dir(Path(out), "out")
    spec, document = as_spec(spec, None)
    cls = load_strategy_class(spec.strategy)
    section = spec.optimize
    space, sample, metric = _space(spec, grid, where, random, metric)
    metric = check_metric(metric)
    seed = seed if seed is not None else (section.seed if section is not None else 0)
    fixed = {**_defaults(cls), **spec.params}  # constraints may read a parameter the grid leaves at its default
    combos = space.random(sample, seed, fixed=fixed) if sample is not None else space.grid(fixed=fixed)
    validate(cls, combos, fixed=fixed)
    windows = _walk_forward_option(walk_forward, anchored, section)
    market = load_market(spec, data)
    job = plan_job(spec, market, threads)
    runner = _runner(job, scheduler, workers)
    try:
        frame = run_sweep(spec, market, job, combos, space.names, out=out, resume=resume, chunk_size=chunk_size,
                          runner=runner, progress=progress)
        result = OptimizeResult(spec=spec, table=frame, params=list(space.names), metric=metric,
                                space=space.describe(fixed=fixed), engine=_engine_name(job, scheduler, workers),
                                note=getattr(combos, "note", None), document=document, extra={"data": data})
        if windows is not None:
            train, test, is_anchored = windows
            result.walk_forward = run_walk_forward(
                spec, market, job, combos, space.names, metric, runner, train=train, test=test,
                anchored=is_anchored, hindsight=result.best_params)
    finally:
        close = getattr(runner, "close", None)
        if close is not None:
            close()
    return result


def _walk_forward_option(text: str | None, anchored: bool | None,
                         section: OptimizeSpec | None) -> tuple[str, str, bool] | None:
    """``(train, test, anchored)`` from ``"train=90d,test=30d"`` or the spec's ``optimize.walk_forward``."""
    if text is None:
        if section is None or section.walk_forward is None:
            return None
        wf = section.walk_forward
        return wf.train, wf.test, wf.anchored if anchored is None else anchored
    parts = dict(part.partition("=")[::2] for part in text.split(",") if part.strip())
    parts = {key.strip(): value.strip() for key, value in parts.items()}
    if set(parts) != {"train", "test"} or not all(parts.values()):
        raise ConfigError(f"--walk-forward expects train=SPAN,test=SPAN (e.g. train=90d,test=30d), got {text!r}")
    for key, value in parts.items():
        try:
            interval_to_ns(value)
        except DataError:
            raise ConfigError(f"--walk-forward {key}={value!r} is not a span such as 90d, 12h or 30m") from None
    return parts["train"], parts["test"], bool(anchored)


def _space(spec: BacktestSpec, grid: Mapping[str, Any] | Sequence[str] | None, where: Sequence[str],
           random: int | None, metric: str | None) -> tuple[ParamSpace, int | None, str]:
    """The space from the arguments, else from the spec's ``optimize:`` section."""
    section = spec.optimize
    if grid is None:
        if section is None or not section.grid:
            raise ConfigError(f"backtest {spec.name!r}: nothing to optimize; give --grid NAME=RANGE (or an "
                              "optimize: grid: section in the spec)")
        grid, where = section.grid, [*section.constraints, *where]
    if isinstance(grid, Mapping):
        space = ParamSpace.from_mapping(grid, list(where))
    else:
        space = ParamSpace.from_options(list(grid), list(where))
    sample = random if random is not None else (section.random if section is not None else None)
    chosen = metric or (section.metric if section is not None else None) or "sharpe"
    return space, sample, chosen


def _defaults(cls: type[Any]) -> dict[str, Any]:
    """The strategy's parameters that have defaults, at their defaults."""
    return {name: field.default for name, field in cls.Params.model_fields.items() if not field.is_required()}


def _runner(job: SweepJob, scheduler: str | None, workers: int | None) -> ChunkRunner:
    if scheduler is not None or workers is not None:
        from botkit.optimize.distributed import DaskRunner  # lazy: nothing of Dask without a cluster

        return DaskRunner(scheduler=scheduler, workers=workers)
    return local_runner(job, None)


def _engine_name(job: SweepJob, scheduler: str | None, workers: int | None) -> str:
    where = f"dask {scheduler}" if scheduler else f"dask local cluster ({workers} workers)" if workers else "local"
    return f"{'compiled sweep' if job.compiled else 'backtest per combination'}, {where}"
