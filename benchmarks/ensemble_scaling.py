"""Ensemble scaling: 16 replicates of the demo scenario in this process, on 1 Dask worker
and on 2, side by side; writes benchmarks/results/ensemble_scaling.json.

Figures:
- ``speedup_2_vs_1``: wall time on 1 worker / wall time on 2 (goal >= 1.7), with the
  clusters already started, and ``speedup_2_vs_1_end_to_end`` including each LocalCluster's
  start-up;
- ``overhead_share``: (wall time x workers - sum of in-worker task times) / (wall time x
  workers): what scheduling, transfers and writing the run directory cost (goal < 5% for
  runs of a few seconds);
- the tables of every variant are checked byte for byte against the in-process run;
- ``no_dask_ceiling``: two plain OS processes running replicates at once vs one alone,
  without Dask: ``max_speedup_2_vs_1`` is what two cores of this machine allow at best.

The 1- and 2-worker runs alternate (``--order 1,2,2,1``) so a drift in the load of the
shared machine hits both alike; the load average is recorded after each run.

Usage: python benchmarks/ensemble_scaling.py [--scale 1] [--replicates 16] [--until DATE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cloudpickle
import dask
from distributed import LocalCluster

from ranks.ensemble.cluster import LOCAL_CONFIG, code_digest
from ranks.ensemble.replicates import replicate_task, run_replicates_dask
from ranks.runner import ReplicateResult, load, run_scenario

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"
OUT = ROOT / "benchmarks" / "results" / "ensemble_scaling.json"

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def timed_task(path: str, digest: str, seed: int, scale: float, until: dt.date | None,
               replicate: int, check: bool, **kw) -> ReplicateResult:
    """The normal replicate task, timed inside the worker (seconds, in ``module_s``)."""
    t0 = time.perf_counter()
    res = replicate_task(path, digest, seed, scale, until, replicate, check, **kw)
    res.info.module_s["_task_s"] = time.perf_counter() - t0
    return res


def task_seconds(run_dir: Path) -> list[float]:
    """In-worker task times of a run directory written with :func:`timed_task`."""
    m = json.loads((run_dir / "manifest.json").read_text())
    return [float(x["_task_s"]) for x in m["module_s"]]


CEILING_SCRIPT = """
import sys, time, json
from ranks.runner import load
from ranks.runner import run_replicate, replicate_seed
loaded = load(sys.argv[1])
until = None if sys.argv[4] == "None" else __import__("datetime").date.fromisoformat(sys.argv[4])
out = []
for r in map(int, sys.argv[2].split(",")):
    t0 = time.perf_counter()
    run_replicate(loaded, replicate_seed(loaded.scenario.seed, r), float(sys.argv[3]), until, r)
    out.append(time.perf_counter() - t0)
print(json.dumps(out))
"""


def cpu_seconds() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, CPU seconds of this process and its
    descendants) so far; their difference over a span is what other users consumed."""
    import psutil

    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    me = psutil.Process()
    ours = 0.0
    for p in [me, *me.children(recursive=True)]:
        try:
            c = p.cpu_times()
            ours += c.user + c.system
        except psutil.Error:  # pragma: no cover - a process ended meanwhile
            pass
    return busy, ours


def ceiling(scale: float, until: dt.date | None, reps: int = 2) -> dict[str, float]:
    """Without Dask: seconds per replicate of one OS process alone, and of two processes at
    once. Their ratio is what running two simulations side by side costs on this machine
    (shared caches, memory bandwidth, the host), which bounds any 2-worker speed-up."""
    def launch(replicates: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", CEILING_SCRIPT, str(DEMO), replicates,
                                 str(scale), str(until)], stdout=subprocess.PIPE, text=True)

    alone = json.loads(launch(",".join(map(str, range(reps)))).communicate()[0])
    procs = [launch(",".join(map(str, range(k * reps, (k + 1) * reps)))) for k in (1, 2)]
    together = [x for p in procs for x in json.loads(p.communicate()[0])]
    a, t = sum(alone) / len(alone), sum(together) / len(together)
    return {"alone_s_per_replicate": round(a, 3), "two_at_once_s_per_replicate": round(t, 3),
            "slowdown_two_at_once": round(t / a, 3), "max_speedup_2_vs_1": round(2 * a / t, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--replicates", type=int, default=16)
    ap.add_argument("--until", type=dt.date.fromisoformat, default=None)
    ap.add_argument("--order", default="1,2,2,1",
                    help="worker counts in run order (ABBA cancels a linear drift in load)")
    a = ap.parse_args()
    code = code_digest()
    loaded = load(DEMO)
    res: dict = {
        "benchmark": "ensemble_scaling",
        "scenario": "scenarios/demo.yaml", "scale": a.scale, "replicates": a.replicates,
        "until": a.until.isoformat() if a.until else None, "order": a.order,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "dask": dask.__version__,
                    "load_before": [round(x, 2) for x in os.getloadavg()]},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    kw = dict(scale=a.scale, until=a.until, replicates=a.replicates)
    order = [int(x) for x in a.order.split(",")]
    with tempfile.TemporaryDirectory(prefix="ens-bench-") as tmp, \
            dask.config.set(LOCAL_CONFIG):
        tmpd = Path(tmp)
        t0 = time.perf_counter()
        run_scenario(loaded, tmpd / "serial", **kw)
        res["in_process_s"] = round(time.perf_counter() - t0, 2)
        res["no_dask_ceiling"] = ceiling(a.scale, a.until)
        res["no_dask_ceiling"]["load_after"] = round(os.getloadavg()[0], 2)
        clusters: dict[int, LocalCluster] = {}
        startup: dict[int, float] = {}
        for w in sorted(set(order)):
            t0 = time.perf_counter()
            clusters[w] = LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
            startup[w] = time.perf_counter() - t0
        rounds: list[dict] = []
        try:
            for i, w in enumerate(order):
                d = tmpd / f"dask{w}-{i}"
                busy0, ours0 = cpu_seconds()
                t1 = time.perf_counter()
                run_replicates_dask(loaded, d, scheduler=clusters[w].scheduler_address,
                                    task=timed_task, **kw)
                wall = time.perf_counter() - t1
                busy1, ours1 = cpu_seconds()
                ts = task_seconds(d)
                man = json.loads((d / "manifest.json").read_text())
                rounds.append({
                    "workers": w, "wall_s": round(wall, 2), "task_s_sum": round(sum(ts), 2),
                    "task_s_mean": round(sum(ts) / len(ts), 3),
                    "overhead_share": round((wall * w - sum(ts)) / (wall * w), 4),
                    "identical_to_in_process": all(
                        (d / n).read_bytes() == (tmpd / "serial" / n).read_bytes()
                        for n in ("events.parquet", "stocks.parquet")),
                    "workers_with_other_code": len(man["executor"]["workers_with_other_code"]),
                    "load_after": round(os.getloadavg()[0], 2),
                    # CPU used by other users meanwhile, as a share of the 2 cores' time
                    "others_cpu_share": round(max(0.0, (busy1 - busy0) - (ours1 - ours0))
                                              / (wall * (os.cpu_count() or 1)), 3),
                })
                print(rounds[-1], flush=True)
        finally:
            for c in clusters.values():
                c.close()
    res["rounds"] = rounds
    for w in sorted(set(order)):
        rs = [r for r in rounds if r["workers"] == w]
        wall = sum(r["wall_s"] for r in rs) / len(rs)
        task = sum(r["task_s_sum"] for r in rs) / len(rs)
        res[f"workers_{w}"] = {
            "cluster_startup_s": round(startup[w], 2), "wall_s_mean": round(wall, 2),
            "task_s_sum_mean": round(task, 2),
            "task_s_per_replicate": round(task / a.replicates, 3),
            "overhead_share": round((wall * w - task) / (wall * w), 4),
        }
    w1, w2 = res["workers_1"], res["workers_2"]
    res["speedup_2_vs_1"] = round(w1["wall_s_mean"] / w2["wall_s_mean"], 3)
    res["speedup_2_vs_1_end_to_end"] = round(
        (w1["wall_s_mean"] + w1["cluster_startup_s"])
        / (w2["wall_s_mean"] + w2["cluster_startup_s"]), 3)
    res["speedup_share_of_ceiling"] = round(
        res["speedup_2_vs_1"] / res["no_dask_ceiling"]["max_speedup_2_vs_1"], 3)
    res["goals"] = {
        "speedup_2_vs_1 >= 1.7": res["speedup_2_vs_1"] >= 1.7,
        "overhead_share < 0.05 (1 worker)": w1["overhead_share"] < 0.05,
        "overhead_share < 0.05 (2 workers)": w2["overhead_share"] < 0.05,
        "identical to in-process": all(r["identical_to_in_process"] for r in rounds),
    }
    res["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    code_digest.cache_clear()
    res["inputs_unchanged"] = (code_digest() == code
                               and load(DEMO).digest == loaded.digest)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in res.items() if k != "rounds"}, indent=2))


if __name__ == "__main__":
    main()
