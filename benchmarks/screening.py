"""Morris screening of a scenario's uncertain parameters against its fitted targets
(ranks.calibrate.screening): which of the parameters marked as an assumption or fitted move
the targets, and a draft priors file of the 8-15 that move them most.

    python benchmarks/screening.py scenarios/demo.yaml --targets scenarios/demo/targets.yaml \
        --scale 0.05 --trajectories 4 --workers 2 --out /tmp/screen-demo
    python benchmarks/screening.py scenarios/deir-ezzor-2014-2017.yaml --scale 0.02 \
        --trajectories 4 --workers 2 --out /tmp/screen-flagship

Resumable (a Morris sweep: run the same line again). Writes DIR/screening.csv,
DIR/screening.json, DIR/priors.draft.yaml and benchmarks/results/screening-<scenario>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ranks.calibrate.core import default_targets
from ranks.calibrate.screening import screen

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--targets", type=Path, default=None)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--trajectories", type=int, default=4)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--until", default=None)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    targets = a.targets or default_targets(a.scenario)
    if targets is None:
        raise SystemExit("no targets file: give --targets")
    t0 = time.perf_counter()
    doc = screen(a.scenario, targets, a.out, trajectories=a.trajectories, scale=a.scale,
                 until=a.until, workers=a.workers)
    doc["total_wall_s"] = round(time.perf_counter() - t0, 1)
    chosen = [r for r in doc["ranking"] if r["chosen"]]
    doc["chosen"] = [r["path"] for r in chosen]
    res = ROOT / "benchmarks" / "results" / f"screening-{a.scenario.stem}.json"
    res.write_text(json.dumps({k: v for k, v in doc.items() if k != "candidates"}, indent=2)
                   + "\n", encoding="utf-8")
    for r in doc["ranking"]:
        print(f"{'*' if r['chosen'] else ' '} {r['effect']:7.3f}  {r['path']}")
    print(f"{len(doc['candidates'])} candidates, {doc['runs']} runs, "
          f"{doc['total_wall_s']} s; wrote {a.out / 'priors.draft.yaml'} and {res}")


if __name__ == "__main__":
    main()
