"""A Dask client for ensembles, and what every worker task shares.

Workers receive the scenario *path* (plus overrides), never a pickled ``Loaded`` (its
pydantic generics do not pickle); each worker process loads a scenario once and keeps it
in a small cache keyed by path, overrides and the digest the driver saw, so a worker that
reads a different file than the driver fails loudly instead of computing something else.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import json
import logging
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ranks.errors import RanksInputError

if TYPE_CHECKING:
    from distributed import Client

    from ranks.scenario.loader import Loaded

#: Times Dask re-runs a task that raised (a task that dies with its worker is rescheduled
#: by the scheduler on its own, up to ``distributed.scheduler.allowed-failures`` times).
RETRIES = 2

#: A task's argument and its result (see :func:`run_tasks`).
A = TypeVar("A")
R = TypeVar("R")

_CACHE: OrderedDict[tuple[str, str, str], Loaded] = OrderedDict()
_CACHE_SIZE = 4

#: Environment of LocalCluster worker processes: Dask's default without
#: ``MALLOC_TRIM_THRESHOLD_``. That setting switches off glibc's adaptive mmap threshold, so
#: every large NumPy temporary is mmapped and unmapped again: simulations ran 3-10 times
#: slower in workers than in the driver. One thread per BLAS library, as Dask sets.
WORKER_ENV = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}

#: The scheduler's HTTP server (it runs even without a dashboard) on a free port, not on
#: 8787, which another cluster on the machine may hold (Dask then warns).
NO_DASHBOARD_PORT = {"dashboard_address": ":0"}

#: Dask settings of our LocalClusters: that environment, and no statistical profiler (it
#: samples the task thread every 10 ms; nobody reads its output here).
LOCAL_CONFIG: dict[str, Any] = {"distributed.nanny.pre-spawn-environ": WORKER_ENV,
                                "distributed.worker.profile.enabled": False}

_TUNED = False


def tune_malloc() -> None:
    """In a worker started with ``MALLOC_TRIM_THRESHOLD_`` (Dask's default, e.g. workers of
    an external cluster), serve arrays under 64 MB from the heap again (glibc ``mallopt``),
    once per process. Does nothing elsewhere or off glibc."""
    global _TUNED
    if _TUNED:
        return
    _TUNED = True
    if not sys.platform.startswith("linux") or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        libc.mallopt(m_mmap_threshold, 64 * 2**20)
        libc.mallopt(m_trim_threshold, 256 * 2**20)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


#: Parts of the package that do not take part in a simulation run (left out of the digest).
NOT_SIMULATION = ("report/", "flee/", "cli.py")


@functools.cache
def code_digest() -> str:
    """Digest of the ``ranks`` Python sources that take part in a run (all but
    :data:`NOT_SIMULATION`), as this process first sees them."""
    import ranks

    root = Path(ranks.__file__).parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith(NOT_SIMULATION):
            continue
        h.update(rel.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def worker_loaded(path: str, overrides: dict[str, Any] | None, digest: str | None) -> Loaded:
    """The scenario at ``path`` with ``overrides``, loaded once per process.

    Raises:
        RanksInputError: the file this process reads has another digest than ``digest``
            (the driver and the workers do not see the same scenario files).
    """
    from ranks.runner import load

    tune_malloc()
    key = (str(path), json.dumps(overrides or {}, sort_keys=True), digest or "")
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    loaded = load(path, overrides)
    if digest is not None and loaded.digest != digest:
        raise RanksInputError(
            "the scenario files seen by this Dask worker differ from the driver's "
            "(workers need the same files at the same path)", file=path)
    _CACHE[key] = loaded
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return loaded


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[Client]:
    """A Dask client: on ``scheduler`` when given, else on a new LocalCluster of ``workers``
    single-threaded worker processes (closed on exit).

    Raises:
        RanksInputError: the scheduler cannot be reached (field ``--scheduler``).
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise RanksInputError(f"cannot reach the Dask scheduler: {e}",
                                  field="--scheduler") from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise RanksInputError("need at least one worker", field="--workers")
    with dask.config.set(LOCAL_CONFIG):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR,
                               scheduler_kwargs=NO_DASHBOARD_PORT)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()


def workers_with_other_code(client: Client) -> list[str]:
    """Addresses of workers whose ``ranks`` sources differ from this process's (e.g.
    workers started before ranks was updated): their results may differ."""
    mine = code_digest()
    try:
        theirs = client.run(code_digest)
    except Exception:  # pragma: no cover - informational only
        return []
    return sorted(addr for addr, d in theirs.items() if d != mine)


def describe(client: Client, scheduler: str | None, other_code: list[str] | None = None
             ) -> dict[str, Any]:
    """Executor facts for the manifest: scheduler address, worker threads, the driver's
    :func:`code_digest` and the workers that saw other code (checked before and after)."""
    try:
        n = sum(client.nthreads().values())
    except Exception:  # pragma: no cover - informational only
        n = -1
    other = sorted(set(other_code or []) | set(workers_with_other_code(client)))
    return {"kind": "dask", "scheduler": scheduler or "local", "worker_threads": n,
            "code_digest": code_digest(), "workers_with_other_code": other}


def run_tasks(todo: Sequence[A], task: Callable[[A], R], *, workers: int,
              scheduler: str | None, retries: int, key: Callable[[A], str],
              failed: Callable[[A, str], R], on_result: Callable[[A, R], None],
              check_code: bool = False) -> dict[str, Any]:
    """Run ``task`` on every item of ``todo``: one after the other in this process when
    ``workers <= 1`` and no ``scheduler``, else on :func:`dask_client`.

    Each result goes to ``on_result(item, result)`` as soon as it is in (in the order the
    tasks finish). A task that raises (on Dask: after ``retries``, or when it kept killing
    workers) fails its item only: its result is ``failed(item, "<Error>: <message>")``.
    On Dask each task's key is ``key(item)`` plus a time stamp (a resumed run never meets
    the keys of an earlier one) and each future is released once read.

    Args:
        check_code: also look for workers with other ``ranks`` sources before submitting
            (they are always looked for after).

    Returns:
        Executor facts for the manifest: ``{"kind": "serial"}``, or :func:`describe`.
    """
    if not todo:
        return {"kind": "serial"}
    if workers <= 1 and not scheduler:
        for a in todo:
            try:
                r = task(a)
            except Exception as e:  # as on Dask: a task that raises fails its item only
                r = failed(a, f"{type(e).__name__}: {e}")
            on_result(a, r)
        return {"kind": "serial"}
    with dask_client(workers, scheduler) as client:
        from distributed import as_completed

        other = workers_with_other_code(client) if check_code else None
        stamp = time.time_ns()
        futures = {client.submit(task, a, key=f"{key(a)}-{stamp}", pure=False,
                                 retries=retries): a for a in todo}
        for fut in as_completed(futures):
            a = futures[fut]
            try:
                r = fut.result()
            except Exception as e:  # the task kept killing workers, or raised
                r = failed(a, f"{type(e).__name__}: {e}")
            fut.release()
            on_result(a, r)
        return describe(client, scheduler, other)


def as_path(p: str | Path) -> str:
    """An absolute path string to ship to workers."""
    return str(Path(p).resolve())
