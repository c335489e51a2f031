"""Paired what-if runs in the background on Dask: baseline and variant, replicate r of each
with the same seed (common random numbers), with progress and cancel.

:class:`Pool` owns one Dask LocalCluster for the life of the app (started in the background
so the first page does not wait for it, then warmed with the scenario). :class:`PairedJob`
submits one task per (run, replicate) - :func:`ranks.ensemble.replicates.replicate_task`, the
same task ``ranks run --workers`` uses, so results are byte for byte those of the CLI -
counts finished tasks for the progress bar, cancels the futures on request, and writes the
two run directories (atomically) when all replicates are in. A baseline already run with the
same scenario, seed, scale, replicates and end date is reused from :attr:`Pool.baselines`.
Reports are written afterwards by a low-priority child process, so figures show first and
the next run is not slowed.

Nothing here searches over lever values: a job runs exactly the values the analyst chose.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ranks.runner import load as load_scenario
from ranks.scenario.loader import Loaded

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The job was cancelled."""


class Pool:
    """A long-lived Dask client for the explorer (``workers`` single-threaded processes, or
    threads with ``processes=False``), started lazily in a background thread."""

    def __init__(self, workers: int = 2, processes: bool = True,
                 scheduler: str | None = None) -> None:
        self.workers = workers
        self.processes = processes
        self.scheduler = scheduler
        self.client: Any = None
        self.cluster: Any = None
        self.error: str | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        #: (scenario path, digest, seed, scale, replicates, until) -> baseline run dir
        self.baselines: dict[tuple[Any, ...], Path] = {}

    def start(self, warm: str | None = None) -> Pool:
        """Start the cluster in a background thread (idempotent); ``warm``: a scenario path
        each worker loads once, so the first run does not pay for it."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._start, args=(warm,), daemon=True,
                                                name="ranks-explore-dask")
                self._thread.start()
        return self

    def _start(self, warm: str | None) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster

            from ranks.ensemble.cluster import LOCAL_CONFIG, NO_DASHBOARD_PORT

            if self.scheduler:
                self.client = Client(self.scheduler, timeout="20s")
            else:
                with dask.config.set(LOCAL_CONFIG):
                    self.cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=1,
                        processes=self.processes, dashboard_address=None,
                        silence_logs=logging.ERROR, scheduler_kwargs=NO_DASHBOARD_PORT)
                    self.client = Client(self.cluster)
            if warm:
                from ranks.ensemble.cluster import worker_loaded

                self.client.run(worker_loaded, warm, None, None)
                self.client.run(warm_imports)
        except Exception as e:  # noqa: BLE001 - reported in the app
            self.error = f"could not start Dask: {e}"
        finally:
            self._ready.set()

    def wait(self, timeout: float = 120.0) -> Any:
        """The client once the cluster is up; RuntimeError when it failed to start."""
        self.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("Dask cluster did not start in time")
        if self.client is None:
            raise RuntimeError(self.error or "Dask cluster did not start")
        return self.client

    def close(self) -> None:
        """Close the client and the cluster."""
        for x in (self.client, self.cluster):
            if x is not None:
                with contextlib.suppress(Exception):
                    x.close()
        self.client = self.cluster = None


def warm_imports() -> None:
    """Import what the first results need (scipy's t quantiles, Bokeh, the report), so the
    first run does not pay for it."""
    import bokeh.plotting  # noqa: F401
    import scipy.stats  # noqa: F401

    import ranks.notebook  # noqa: F401
    import ranks.report.run_report  # noqa: F401


@dataclass
class PairedJob:
    """Baseline and variant of one scenario as paired replicates.

    Attributes:
        scenario: scenario file.
        overrides: dotted path -> value of the variant (from the levers).
        state: ``queued``, ``running``, ``writing``, ``done`` (run directories written),
            ``reports`` (figures can show; reports being written), ``finished``,
            ``cancelled`` or ``failed``.
        done, total: replicates finished and to run (the progress bar).
    """

    scenario: Path
    overrides: dict[str, Any]
    seed: int
    scale: float
    replicates: int
    out: Path
    until: dt.date | None = None
    reports: bool = True
    state: str = "queued"
    done: int = 0
    total: int = 0
    error: str | None = None
    baseline_dir: Path | None = None
    variant_dir: Path | None = None
    baseline_reused: bool = False
    started: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _futures: list[Any] = field(default_factory=list)

    def start(self, pool: Pool) -> PairedJob:
        """Run in a background thread."""
        self.started = time.perf_counter()
        self.state = "running"
        threading.Thread(target=self._run, args=(pool,), daemon=True,
                         name="ranks-explore-job").start()
        return self

    def cancel(self) -> None:
        """Stop: cancel the tasks not yet finished; nothing is written."""
        self._cancel.set()
        for f in list(self._futures):
            with contextlib.suppress(Exception):
                f.cancel()

    @property
    def finished(self) -> bool:
        return self.state in ("finished", "cancelled", "failed")

    def _run(self, pool: Pool) -> None:
        try:
            self._work(pool)
        except Cancelled:
            self.state = "cancelled"
        except Exception as e:  # noqa: BLE001 - shown in the app
            from ranks.errors import RanksInputError

            self.error = (e.format() if isinstance(e, RanksInputError)
                          else f"{type(e).__name__}: {e}")
            self.state = "cancelled" if self._cancel.is_set() else "failed"
            if self.state == "failed":
                log.exception("explore job failed")

    def _work(self, pool: Pool) -> None:
        from ranks.ensemble.cluster import as_path
        from ranks.ensemble.replicates import replicate_task
        from ranks.runner import replicate_seed, write_run_dir

        t0 = time.perf_counter()
        base = load_scenario(self.scenario)
        variant = load_scenario(self.scenario, overrides=self.overrides) if self.overrides \
            else base
        key = (as_path(self.scenario), base.digest, self.seed, self.scale, self.replicates,
               self.until)
        cached = pool.baselines.get(key)
        self.baseline_reused = cached is not None and (cached / "manifest.json").exists()
        runs: list[tuple[str, Loaded]] = [("variant", variant)]
        if not self.baseline_reused:
            runs.insert(0, ("baseline", base))
        self.total = self.replicates * len(runs)
        client = pool.wait()
        self.timings["cluster_wait_s"] = time.perf_counter() - t0
        if self._cancel.is_set():
            raise Cancelled
        from distributed import as_completed

        path = as_path(self.scenario)
        which: dict[Any, tuple[str, int]] = {}
        for name, ld in runs:
            for r in range(self.replicates):
                kw = {"overrides": ld.overrides} if ld.overrides else {}
                fut = client.submit(replicate_task, path, ld.digest,
                                    replicate_seed(self.seed, r), self.scale, self.until, r,
                                    False, **kw, pure=False,
                                    key=f"ranks-explore-{name}-{r}-{time.time_ns()}")
                which[fut] = (name, r)
                self._futures.append(fut)
        results: dict[str, dict[int, Any]] = {n: {} for n, _ in runs}
        for fut in as_completed(list(which)):
            if self._cancel.is_set():
                raise Cancelled
            name, r = which[fut]
            results[name][r] = fut.result()
            fut.release()
            self.done += 1
        if self._cancel.is_set():
            raise Cancelled
        self.timings["runs_s"] = time.perf_counter() - t0
        self.state = "writing"
        started = self.started
        for name, ld in runs:
            dest = self.out / name
            ordered = [results[name][r] for r in range(self.replicates)]
            write_run_dir(dest, False, ld, ordered, self.seed, self.scale, self.until, started,
                          extra={"executor": {"kind": "dask", "scheduler": "explore"},
                                 "explore": {"pair": self.out.name, "role": name}})
        self.variant_dir = self.out / "variant"
        if self.baseline_reused:
            assert cached is not None
            self.baseline_dir = cached
        else:
            self.baseline_dir = self.out / "baseline"
            pool.baselines[key] = self.baseline_dir
        self.timings["written_s"] = time.perf_counter() - t0
        self.state = "done"
        if self.reports:
            self.state = "reports"
            todo = [d for d in dict.fromkeys((self.variant_dir, self.baseline_dir))
                    if d is not None and not (d / "report.html").exists()]
            write_reports(todo, self._cancel)
            self.timings["reports_s"] = time.perf_counter() - t0
        self.state = "finished"


def write_reports(run_dirs: list[Path], cancel: threading.Event | None = None) -> None:
    """``ranks report`` for each run directory in one child process at low priority (nice
    10): the app stays responsive and the next run's simulations on the Dask workers go
    first. Stops the child when ``cancel`` is set."""
    if not run_dirs:
        return
    code = ("import sys\nfrom ranks.notebook import Results\n"
            "for d in sys.argv[1:]:\n    Results(d).report()\n")
    nice = [exe, "-n", "10"] if (exe := shutil.which("nice")) else []
    proc = subprocess.Popen([*nice, sys.executable, "-c", code, *map(str, run_dirs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None:
        if cancel is not None and cancel.is_set():
            proc.kill()
            proc.wait()
            raise Cancelled
        time.sleep(0.2)
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"writing the reports failed: {err.strip().splitlines()[-1:]}")


def new_pair_dir(root: Path, name: str) -> Path:
    """A fresh folder for one pair of runs: ``root/<name>-<UTC time>-<n>``."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        d = root / f"{name}-{stamp}-{n}"
        try:
            d.mkdir()
            return d
        except FileExistsError:
            continue
    raise RuntimeError("no free folder name")


__all__ = ["Cancelled", "PairedJob", "Pool", "new_pair_dir"]
