"""Replicates on Dask: ``ranks run SCENARIO --replicates R --workers W [--scheduler ADDR]``.

Each replicate is one Dask task that loads the scenario from its path, runs with the seed
:func:`ranks.runner.replicate_seed` gives it and returns its
:class:`~ranks.runner.ReplicateResult`; the driver collects the results in replicate order
and writes the run directory with :func:`ranks.runner.write_run_dir` (atomically). The
tables are byte for byte those of running the replicates one after the other.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ranks.ensemble.cluster import (
    RETRIES,
    as_path,
    dask_client,
    describe,
    worker_loaded,
    workers_with_other_code,
)
from ranks.io.outdir import OutputDir
from ranks.runner import ReplicateResult, replicate_seed, run_replicate, write_run_dir
from ranks.scenario.loader import Loaded


def replicate_task(path: str, digest: str, seed: int, scale: float, until: dt.date | None,
                   replicate: int, check: bool,
                   overrides: dict[str, Any] | None = None) -> ReplicateResult:
    """Run one replicate inside a worker (the scenario is loaded from ``path`` with the
    driver's ``overrides``; ``digest`` is the driver's scenario digest, checked by the
    worker)."""
    loaded = worker_loaded(path, overrides or None, digest)
    return run_replicate(loaded, seed, scale, until, replicate, check)


def run_replicates_dask(
    loaded: Loaded, out: Path, *, seed: int | None = None, scale: float = 1.0,
    until: dt.date | None = None, force: bool = False, replicates: int = 1,
    check: bool = False, workers: int = 2, scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    task: Callable[..., ReplicateResult] = replicate_task, retries: int = RETRIES,
    replicate_overrides: list[dict[str, Any]] | None = None, extra: dict | None = None,
) -> Path:
    """Run ``replicates`` replicates as Dask tasks and write the run directory ``out``.

    Args:
        loaded: the scenario, loaded by the driver (its path is what workers load).
        workers: worker processes of the LocalCluster (ignored with ``scheduler``).
        scheduler: address of an existing Dask scheduler (``tcp://host:8786``).
        progress: called with the replicate number as each replicate finishes.
        task: the function run per replicate, called like :func:`replicate_task` (tests
            inject faults through it).
        retries: Dask retries of a task that raised.
        replicate_overrides: per-replicate overrides added to the scenario's (posterior
            runs); ``extra`` goes into the manifest.

    Returns:
        ``out``.
    """
    with OutputDir(out, force=force, kind="run") as od:  # checked and locked first
        started = time.perf_counter()
        root = loaded.scenario.seed if seed is None else seed
        path = as_path(loaded.path)
        results: dict[int, ReplicateResult] = {}
        with dask_client(workers, scheduler) as client:
            from distributed import as_completed

            other = workers_with_other_code(client)

            def kw(r: int) -> dict[str, Any]:
                ov = {**loaded.overrides, **(replicate_overrides[r] if replicate_overrides
                                             else {})}
                return {"overrides": ov} if ov else {}

            futures = {
                client.submit(task, path, loaded.digest, replicate_seed(root, r), scale, until, r,
                              check, **kw(r), pure=False, retries=retries,
                              key=f"ranks-replicate-{r}-{time.time_ns()}"): r
                for r in range(replicates)
            }
            for fut in as_completed(futures):
                res = fut.result()
                results[futures[fut]] = res
                fut.release()
                if progress is not None:
                    progress(futures[fut])
            executor: dict[str, Any] = describe(client, scheduler, other)
        ordered = [results[r] for r in range(replicates)]
        write_run_dir(out, force, loaded, ordered, root, scale, until, started,
                      extra={"executor": executor, **(extra or {})}, target=od)
    return out
