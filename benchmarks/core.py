"""Core figures (issue 3): synthesis time, bytes a person, bare day loop, peak memory.

Runs the Deir Ezzor skeleton at full scale (1.24 million people) on one core and writes
benchmarks/results/core.json. The bare loop (no modules, recording on, stocks every day) is
timed side by side with a peer: the same loop that recounts stocks from everyone each day
instead of keeping them as counts, so the ratio shows what the design buys.

Usage: python benchmarks/core.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKELETON = ROOT / "scenarios" / "deir-ezzor" / "skeleton.yaml"
OUT = ROOT / "benchmarks" / "results" / "core.json"

CHILD = """
import json, resource, sys, time
from ranks.runner import load
from ranks.engine import Simulation
from ranks.record import Recorder
loaded = load(sys.argv[1])
sim = Simulation(loaded, scale=1.0, modules=[])
t = time.perf_counter(); sim.run(); loop = time.perf_counter() - t
ev = sim.record.events_frame(); st = sim.record.stocks_frame()
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "days": sim.n_days, "loop_s": loop, "stock_rows": len(st)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--days", type=int, default=365, help="days of the timed bare loop")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from ranks.engine import Simulation
    from ranks.population import synthesize
    from ranks.runner import load

    loaded = load(SKELETON)
    sc = loaded.scenario
    sim = Simulation(loaded, scale=0.001, modules=[])
    world = sim.world
    synth = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        people, hh = synthesize(world.population, world.tribe, sc.population, 1.0, sc.seed,
                                world.n_actors, world.n_days)
        synth.append(time.perf_counter() - t)
    n = people.n
    bytes_people = people.nbytes / n
    bytes_all = (people.nbytes + hh.nbytes) / n
    del people, hh

    def loop_ms(recount: bool) -> float:
        s = Simulation(loaded, scale=1.0, modules=[])
        s.record.stocks_every = 1
        t = time.perf_counter()
        for d in range(args.days):
            s.step(d)
            if recount:
                s.people.recount()
        return (time.perf_counter() - t) / args.days * 1000

    kept, naive = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same machine load
        kept.append(loop_ms(False))
        naive.append(loop_ms(True))
    child = subprocess.run([sys.executable, "-c", CHILD, str(SKELETON)], capture_output=True,
                           text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    full = json.loads(child.stdout)
    res = {
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "load_avg": os.getloadavg()},
        "people": n,
        "synthesis_s_median": round(statistics.median(synth), 3),
        "synthesis_s_all": [round(x, 3) for x in synth],
        "synthesis_goal_s": 5.0,
        "bytes_per_person_people_arrays": round(bytes_people, 1),
        "bytes_per_person_with_households": round(bytes_all, 1),
        "bytes_goal": 100,
        "bare_loop_ms_per_day_median": round(statistics.median(kept), 3),
        "bare_loop_goal_ms": 5.0,
        "peer_recount_every_day_ms_per_day_median": round(statistics.median(naive), 3),
        "speedup_vs_recount": round(statistics.median(naive) / statistics.median(kept), 1),
        "full_run_no_modules": full,
        "full_run_peak_rss_goal_mb": 1024,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
