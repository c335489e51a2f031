"""Recorder.events now against Recorder.events of an older checkout, side by side in one
process (issue 11): calls with one value per person for a few to some thousands of people,
all of one (actor, reason, destination) key (most calls of a day) or of several.

Usage: python benchmarks/record_events_ratio.py OLD_SRC (the ``src`` folder of the older
code, e.g. ``git archive 5e216a6 | tar -x -C /tmp/old``: /tmp/old/src). Writes
benchmarks/results/record_events_ratio.json.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from ranks.record import Recorder

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "record_events_ratio.json"


def _old_recorder(src: str) -> type:
    spec = importlib.util.spec_from_file_location("old_record", Path(src) / "ranks" / "record.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["old_record"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod.Recorder


def _time(cls: type, n: int, keys: int, reps: int) -> tuple[float, list]:
    g = np.random.default_rng(n + keys)
    places = g.integers(0, 54, n)
    actor = g.integers(0, keys, n)
    best = float("inf")
    for _ in range(5):
        rec = cls([f"p{i}" for i in range(54)], ["a", "b", "c"], [], stocks_every=1)
        t = time.perf_counter()
        for _ in range(reps):
            rec.events("fled", places, actor=actor, reason="x")
        best = min(best, (time.perf_counter() - t) / reps)
    return best, sorted((k, v.tolist()) for k, v in rec._today.items())


def main() -> None:
    old = _old_recorder(sys.argv[1])
    rows = []
    for keys in (1, 3):
        for n in (5, 50, 500, 5000):
            t_old, r_old = _time(old, n, keys, 2000)
            t_new, r_new = _time(Recorder, n, keys, 2000)
            assert r_old == r_new
            rows.append({"people": n, "keys": keys, "old_us": round(t_old * 1e6, 1),
                         "new_us": round(t_new * 1e6, 1),
                         "ratio_old_over_new": round(t_old / t_new, 2)})
            print(rows[-1])
    OUT.write_text(json.dumps({"load_avg": os.getloadavg(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
