"""Flagship figures (issue 7): the 2014-2017 Deir Ezzor scenario at full scale, all modules.

Runs `ranks run scenarios/deir-ezzor-2014-2017.yaml` (about 1.24 million people, 1,310
days) in a fresh process pinned to one core (RANKS_BENCH_CPU, default 0), side by side with
a peer: the governorate skeleton over the same period and people with civilian mortality
only (the core loop), so the ratio shows what the mechanisms cost on this machine at this
moment. Then times `ranks report` and `ranks check`
on the run. Peak memory is the child's maximum resident set size (os.wait4).
Writes benchmarks/results/flagship.json. Goals: under 60 s and under 2 GB (aim 20 s).

Usage: python benchmarks/flagship.py [--repeat 1] [--scenario PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import machine, run_figures, timed

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "deir-ezzor-2014-2017.yaml"
OUT = ROOT / "benchmarks" / "results" / "flagship.json"

SKELETON = ROOT / "scenarios" / "deir-ezzor" / "skeleton.yaml"
PEER = """
import sys, datetime as dt
from ranks.runner import load
from ranks.runner import run_replicate
flag = load(sys.argv[1]).scenario
loaded = load(sys.argv[2], overrides={"period.start": flag.period.start,
                                               "period.end": flag.period.end})
r = run_replicate(loaded, flag.seed, 1.0, None)
assert r.info.days == flag.n_days and r.info.people > 1_000_000
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--scenario", default=str(FLAGSHIP))
    args = ap.parse_args()
    ranks = [sys.executable, "-m", "ranks.cli"]
    runs, peers = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        for _ in range(args.repeat):  # interleaved with the peer: same machine load
            runs.append(timed([*ranks, "run", args.scenario, "--out", str(out), "--force",
                               "-q"]))
            peers.append(timed([sys.executable, "-c", PEER, args.scenario, str(SKELETON)]))
        manifest = json.loads((out / "manifest.json").read_text())
        report = timed([*ranks, "report", str(out)])
        check = timed([*ranks, "check", str(out)], ok_codes=(0, 1))  # 1: a target fails
        checked = subprocess.run([*ranks, "check", str(out)], capture_output=True, text=True)
    wall = statistics.median(r[0] for r in runs)
    peer = statistics.median(p[0] for p in peers)
    res = {
        "scenario": str(Path(args.scenario).relative_to(ROOT)),
        "machine": machine(),
        **run_figures(runs, manifest),
        "peer_core_only_wall_s_median": round(peer, 2),
        "ratio_flagship_over_core_only": round(wall / peer, 2),
        "goal_s": 60, "aim_s": 20, "goal_rss_mb": 2048,
        "report_wall_s": round(report[0], 2), "report_peak_rss_mb": round(report[1], 1),
        "check_wall_s": round(check[0], 2),
        "check_exit_code": checked.returncode,
        "check_output": checked.stdout.splitlines()[-1] if checked.stdout else "",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
