"""Flagship speed as a ratio to a fixed NumPy reference workload timed side by side (issue 11).

The 2014-2017 Deir Ezzor flagship (`ranks run scenarios/deir-ezzor-2014-2017.yaml`, about
1.24 million people, 1,310 days, every module) runs in a fresh process pinned to one core
(``taskset -c $RANKS_BENCH_CPU``, default 0), alternating with the reference workload in a
fresh process on the same core: 1,310 days of one full pass over 1.24 million people, each
day a mask, a draw (one uniform each) and two bincounts by place. The machine is shared and
noisy, so the figure is the ratio of the two medians (target at most 2, stretch 1.2), with
the run's per-day and per-module costs from its manifest. A tiny run of each code first
warms its cache of compiled loops (untimed).

With ``--before SRC`` (the ``src`` folder of an older checkout, e.g. made with
``git archive b6886bb | tar -x -C /tmp/before``) that code's flagship is timed in the same
rounds, so before and after are compared under the same load.

Writes benchmarks/results/flagship_ratio.json. Usage:
    python benchmarks/flagship_ratio.py [--repeat 3] [--scenario PATH] [--before SRC]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "deir-ezzor-2014-2017.yaml"
OUT = ROOT / "benchmarks" / "results" / "flagship_ratio.json"

#: The reference: what one full pass over everyone each day costs on this machine now.
REFERENCE = """
import time
import numpy as np
N, P, DAYS = 1_239_000, 54, 1310
g = np.random.default_rng(0)
place = g.integers(0, P, N).astype(np.uint16)
state = g.integers(0, 10, N).astype(np.uint8)
t = time.perf_counter()
total = 0
for day in range(DAYS):
    u = np.random.default_rng([0, day]).random(N)          # a draw
    m = state == day % 10                                   # a mask
    a = np.bincount(place[m], minlength=P)                  # a bincount
    b = np.bincount(place, weights=u < 0.01, minlength=P)   # a second one
    total += int(a[0]) + int(b[0])
print(time.perf_counter() - t, total)
"""


def timed(cmd: list[str], src: str | None = None) -> tuple[float, str]:
    """Wall seconds and stdout of a child process pinned to one core (importing ``ranks``
    from ``src`` when given)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    if src:
        env["PYTHONPATH"] = src
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", os.environ.get("RANKS_BENCH_CPU", "0"), *cmd]
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {r.stderr[-2000:]}")
    return wall, r.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenario", default=str(FLAGSHIP))
    ap.add_argument("--before", default=None, help="src folder of the code to compare with")
    args = ap.parse_args()
    runs: list[float] = []
    refs: list[float] = []
    befores: list[float] = []
    manifests: list[dict] = []
    before_manifests: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "ranks.cli", "run", args.scenario, "--out", str(out),
               "--force", "-q"]
        # compiled loops are cached on disk; a change to their file recompiles them at the
        # next run: warm each code's cache with a tiny run first, so no timing includes it
        warm = [*cmd[:-1], "--scale", "0.02", "-q"]
        timed(warm)
        if args.before:
            timed(warm, src=args.before)
        for _ in range(args.repeat):  # alternate: all see the same machine load
            w, _ = timed(cmd)
            runs.append(w)
            manifests.append(json.loads((out / "manifest.json").read_text()))
            w, _ = timed([sys.executable, "-c", REFERENCE])
            refs.append(w)
            if args.before:
                w, _ = timed(cmd, src=args.before)
                befores.append(w)
                before_manifests.append(json.loads((out / "manifest.json").read_text()))
    run, ref = statistics.median(runs), statistics.median(refs)
    best = min(range(len(runs)), key=lambda i: runs[i] / refs[i])
    m = manifests[best]
    days = m["days"]
    module_s = m["module_s"][0]
    res = {
        "scenario": str(Path(args.scenario).resolve().relative_to(ROOT)),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "load_avg": os.getloadavg(),
                    "pinned_to_one_core": bool(shutil.which("taskset"))},
        "people": m["people"], "days": days,
        "reference": "1,310 days x (a uniform draw, a mask, two bincounts) over 1.24 M",
        "flagship_wall_s": [round(x, 2) for x in runs],
        "reference_wall_s": [round(x, 2) for x in refs],
        "ratio_of_medians": round(run / ref, 2),
        "ratios": [round(a / b, 2) for a, b in zip(runs, refs, strict=True)],
        "target_ratio": 2.0, "stretch_ratio": 1.2,
        "in_run_of_best_pair": {
            "synthesis_s": m["synthesis_s"][0], "loop_s": m["loop_s"][0],
            "ms_per_day": round(m["loop_s"][0] / days * 1000, 2),
            "module_s": module_s,
            "module_ms_per_day": {k: round(v / days * 1000, 2) for k, v in module_s.items()},
            "reference_ms_per_day": round(refs[best] / days * 1000, 2),
        },
        "peak_rss_mb": max(x["peak_rss_mb"] for x in manifests),
    }
    if befores:
        before = statistics.median(befores)
        res["before"] = {"src": args.before, "flagship_wall_s": [round(x, 2) for x in befores],
                         "ratio_of_medians": round(before / ref, 2),
                         "speedup_after_over_before": round(before / run, 2),
                         "module_ms_per_day_by_run": _module_ms(before_manifests)}
        res["module_ms_per_day_by_run"] = _module_ms(manifests)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


def _module_ms(manifests: list[dict]) -> dict[str, list[float]]:
    """Each module's loop time per day (ms) in each run, from the runs' manifests."""
    return {k: [round(m["module_s"][0][k] / m["days"] * 1000, 2) for m in manifests]
            for k in manifests[0]["module_s"][0]} if manifests else {}


if __name__ == "__main__":
    main()
