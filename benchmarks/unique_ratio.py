"""np.unique against ranks.arrays.unique (sort and mask) on int64 id arrays, timed side by
side in one process (issue 11): the ratio, by array size.

NumPy 2.3+ answers ``np.unique(a)`` (no ``return_*`` flags) from a hash table; the day's
code asks for the distinct ids of arrays from a few people to a pool of displaced parties.
Writes benchmarks/results/unique_ratio.json. Usage: python benchmarks/unique_ratio.py
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ranks.arrays import unique

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "unique_ratio.json"


def best_of(fn: Callable[[np.ndarray], np.ndarray], a: np.ndarray, reps: int,
            rounds: int = 5) -> float:
    """Best mean seconds per call over ``rounds`` rounds of ``reps`` calls."""
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            fn(a)
        best = min(best, (time.perf_counter() - t) / reps)
    return best


def main() -> None:
    g = np.random.default_rng(0)
    rows = []
    for n in (10, 100, 1_000, 10_000, 100_000, 500_000):
        a = g.integers(0, 2 * n + 10, n)  # ids with repeats, like a pool between compactions
        assert np.array_equal(np.unique(a), unique(a))
        reps = max(3, 100_000 // n)
        t_np = best_of(np.unique, a, reps)
        t_ours = best_of(unique, a, reps)
        rows.append({"n": n, "np_unique_us": round(t_np * 1e6, 1),
                     "sort_unique_us": round(t_ours * 1e6, 1),
                     "ratio_np_over_sort": round(t_np / t_ours, 2)})
        print(rows[-1])
    res = {"numpy": np.__version__, "python": platform.python_version(),
           "load_avg": os.getloadavg(), "rows": rows}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
