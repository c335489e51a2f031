"""Timing of child processes for the benchmarks: each measured alone, single-threaded.

Wall time from ``time.perf_counter``, peak resident memory from ``os.wait4`` (``ru_maxrss``,
Linux KiB, given here in MB). Used by displacement.py, flagship.py, flee_compare.py and
flee_fabflee.py (run them as scripts: ``python benchmarks/<name>.py``).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

#: One thread per numeric library in a timed worker process.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


def worker_env() -> dict[str, str]:
    """This process's environment for a worker subprocess: :data:`SINGLE_THREAD_ENV`, and
    the repository's ``src/`` first on ``PYTHONPATH``."""
    env = dict(os.environ, **SINGLE_THREAD_ENV)
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def stamp() -> dict[str, Any]:
    """When and on what a comparison was made: ``generated_utc`` and ``machine`` (CPUs,
    platform, Python version)."""
    return {"generated_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"cpus": os.cpu_count(), "platform": sys.platform,
                        "python": sys.version.split()[0]}}


def timed_usage(cmd: list[str], ok_codes: tuple[int, ...] = (0,)) -> dict[str, float]:
    """Wall and CPU seconds and peak RSS (MB) of a child process pinned to one core
    (``RANKS_BENCH_CPU``, default 0, where ``taskset`` exists)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", os.environ.get("RANKS_BENCH_CPU", "0"), *cmd]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) not in ok_codes:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{cmd} failed: {err[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def timed(cmd: list[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a child process pinned to one core."""
    u = timed_usage(cmd, ok_codes)
    return u["wall_s"], u["peak_rss_mb"]


def machine() -> dict[str, Any]:
    """The machine a :func:`timed` run was measured on, and its load average then."""
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "load_avg": os.getloadavg(),
            "pinned_to_one_core": bool(shutil.which("taskset"))}


def run_figures(runs: list[tuple[float, float]], manifest: dict[str, Any]) -> dict[str, Any]:
    """Figures of :func:`timed` runs of ``ranks run`` and the manifest of the last one:
    people, days, modules, median and all wall seconds, peak RSS (MB), the run's own
    synthesis/loop/module seconds and loop milliseconds per simulated day."""
    return {
        "people": manifest["people"], "days": manifest["days"],
        "modules": manifest["modules"],
        "run_wall_s_median": round(statistics.median(r[0] for r in runs), 2),
        "run_wall_s_all": [round(r[0], 2) for r in runs],
        "run_peak_rss_mb": round(max(r[1] for r in runs), 1),
        "in_run": {"synthesis_s": manifest["synthesis_s"][0], "loop_s": manifest["loop_s"][0],
                   "module_s": manifest["module_s"][0]},
        "ms_per_day": round(manifest["loop_s"][0] / manifest["days"] * 1000, 2),
    }
