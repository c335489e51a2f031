"""Side-by-side comparison of the Ranks Flee engine with Flee 3.1 (PyPI).

Every run (Ranks or Flee, one scenario, one seed) is a separate single-threaded subprocess, so
its wall time, CPU time and peak resident memory (``wait4`` rusage, MB) are measured alone.
Flee is run with a replica of its ``runscripts/run.py`` (data-driven spawning from the refugee
totals, registration corrections, ``hasten``) and scored with the same metric as Ranks
(``averaged_relative_difference``, see /work/shared/flee/README.md).

Usage::

    python benchmarks/flee_compare.py --seeds 10 --flee-seeds 2
    python benchmarks/flee_compare.py --scenarios mali2012 --seeds 3 --flee-seeds 0

Flee is looked for with ``--flee-python`` (default: ``$FLEE_PYTHON`` or this interpreter); when
it cannot import ``flee`` the Flee side is skipped and said so in the JSON.
``--flee-cache DIR`` keeps each Flee run's JSON so an interrupted comparison can be resumed
(cached runs are marked ``"cached": true``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _flee31 import flee_importable, import_flee, load_flee, quiet
from _timing import stamp, worker_env

REPO = Path(__file__).resolve().parents[1]
FLEE_DATA = REPO.parent / "shared" / "flee"
RESULTS = REPO / "benchmarks" / "results" / "flee_compare.json"

SCENARIOS: dict[str, dict[str, str]] = {
    "mali2012": {
        "input": "conflict_input/mali",
        "validation": "conflict_validation/mali2012",
        "settings": "simsetting.yml",
    },
    "syria2013": {
        "input": "conflict_input/syria",
        "validation": "conflict_validation/syria2013",
        "settings": "simsetting_hasten100.yml",
    },
    "burundi2015": {
        "input": "conflict_input/burundi",
        "validation": "conflict_validation/burundi2015",
        "settings": "simsetting.yml",
    },
}

# --------------------------------------------------------------------------- workers


def _metric(sim: list[list[int]], obs: list[list[float]], raw: list[float]) -> dict[str, float]:
    """Flee's validation metric from per-day camp counts (people / hasten)."""
    ard_days = []
    tot_days = []
    for s_row, o_row, r in zip(sim, obs, raw, strict=True):
        num = sum(abs(s - o) for s, o in zip(s_row, o_row, strict=True))
        ard_days.append(num / max(sum(o_row), 1.0))
        if r > 0:
            tot_days.append(num / r)
    return {
        "averaged_relative_difference": sum(ard_days) / max(len(ard_days), 1),
        "total_error": sum(tot_days) / max(len(tot_days), 1),
    }


def flee_worker(scenario: str, seed: int, days: int | None) -> dict[str, Any]:
    """Run Flee 3.1 as its run.py does; return the metric and counts (this process only)."""
    import random

    import numpy as np

    spec = SCENARIOS[scenario]
    inp = FLEE_DATA / spec["input"]
    val = FLEE_DATA / spec["validation"]
    settings = FLEE_DATA / spec["settings"]
    random.seed(seed)
    np.random.seed(seed)

    with quiet():
        import_flee()
        wall0, cpu0 = time.perf_counter(), time.process_time()  # imports excluded, as Ranks
        m = load_flee(inp, val, settings, days, ("sim_period.csv", "conflict_period.csv"),
                      agents_csv=False)
        sim: list[list[int]] = []
        obs: list[list[float]] = []
        raw: list[float] = []
        agent_steps = 0
        loop0 = time.perf_counter()
        for t in range(m.days):
            agents, refugees_raw = m.day(t)
            agent_steps += agents
            sim.append([m.lm[c].numAgents for c in m.camps])
            obs.append([m.d.get_field(c, t) for c in m.camps])
            raw.append(refugees_raw)
        loop_s = time.perf_counter() - loop0
    out = {
        "engine": "flee-3.1",
        "scenario": scenario,
        "seed": seed,
        "days": m.days,
        "agents_final": len(m.e.agents),
        "agent_steps": agent_steps,
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": time.process_time() - cpu0,
        "loop_s": loop_s,
        "camps": m.camps,
        "final_sim": sim[-1],
        "final_obs": obs[-1],
    }
    out.update(_metric(sim, obs, raw))
    return out


def ranks_worker(scenario: str, seed: int, days: int | None) -> dict[str, Any]:
    """Run the Ranks engine on one scenario and seed; return its summary."""
    from ranks.flee.engine import run_scenario
    from ranks.flee.reader import read_scenario

    spec = SCENARIOS[scenario]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    scen = read_scenario(
        FLEE_DATA / spec["input"],
        FLEE_DATA / spec["validation"],
        FLEE_DATA / spec["settings"],
        days=days,
    )
    result = run_scenario(scen, seed=seed)
    summary = result.summary()
    return {
        "engine": "ranks",
        "scenario": scenario,
        "seed": seed,
        "days": scen.days,
        "agents_final": int(result.agents_final),
        "agent_steps": int(result.agent_steps),
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": time.process_time() - cpu0,
        "loop_s": result.loop_s,
        "camps": list(scen.camp_names),
        "final_sim": [int(x) for x in result.camp_sim[-1]],
        "final_obs": [float(x) for x in result.camp_obs[-1]],
        "averaged_relative_difference": summary["averaged_relative_difference"],
        "total_error": summary["total_error"],
    }


# --------------------------------------------------------------------------- driver


def _run_sub(python: str, engine: str, scenario: str, seed: int, days: int | None) -> dict:
    """Run one worker in its own process; add its peak RSS (MB) from wait4."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [python, str(Path(__file__).resolve()), "--worker", engine, "--scenario", scenario,
               "--seed", str(seed), "--json-out", str(out)]
        if days:
            cmd += ["--days", str(days)]
        proc = subprocess.Popen(cmd, cwd=tmp, env=worker_env())
        _pid, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{engine} worker failed on {scenario} seed {seed}")
        res = json.loads(out.read_text())
    res["peak_rss_mb"] = rusage.ru_maxrss / 1024.0  # Linux: KiB
    return res


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _aggregate(runs: list[dict]) -> dict[str, Any]:
    if not runs:
        return {"runs": 0}
    ard = [r["averaged_relative_difference"] for r in runs]
    steps = sum(r["agent_steps"] for r in runs)
    return {
        "runs": len(runs),
        "seeds": [r["seed"] for r in runs],
        "ard_mean": _mean(ard),
        "ard_min": min(ard),
        "ard_max": max(ard),
        "total_error_mean": _mean([r["total_error"] for r in runs]),
        "agent_steps_per_run": _mean([r["agent_steps"] for r in runs]),
        "wall_s_mean": _mean([r["wall_s"] for r in runs]),
        "agent_steps_per_wall_s": steps / sum(r["wall_s"] for r in runs),
        "agent_steps_per_cpu_s": steps / sum(r["cpu_s"] for r in runs),
        "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default="mali2012,syria2013",
                    help="comma-separated: " + ",".join(SCENARIOS))
    ap.add_argument("--seeds", type=int, default=10, help="Ranks seeds per scenario")
    ap.add_argument("--flee-seeds", type=int, default=2, help="Flee seeds per scenario (slow)")
    ap.add_argument("--days", type=int, default=None, help="truncate runs (testing only)")
    ap.add_argument("--flee-python", default=os.environ.get("FLEE_PYTHON", sys.executable))
    ap.add_argument("--flee-cache", type=Path, default=None,
                    help="directory keeping each Flee run's JSON, reused when present")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--worker", choices=["flee", "ranks"], help=argparse.SUPPRESS)
    ap.add_argument("--scenario", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        fn = flee_worker if args.worker == "flee" else ranks_worker
        args.json_out.write_text(json.dumps(fn(args.scenario, args.seed, args.days)))
        return 0

    if not FLEE_DATA.exists():
        print(f"Flee data not found at {FLEE_DATA}", file=sys.stderr)
        return 2
    names = [s for s in args.scenarios.split(",") if s]
    have_flee = args.flee_seeds > 0 and flee_importable(args.flee_python, timeout=120)
    report: dict[str, Any] = {
        **stamp(),
        "method": (
            "each run is a separate single-threaded subprocess (OMP/BLAS threads = 1), run one "
            "at a time; peak_rss_mb is the subprocess's ru_maxrss; agent_steps = sum over days "
            "of agents alive; wall_s covers input reading + simulation; Flee is driven like its "
            "runscripts/run.py. Flee is run on fewer seeds than Ranks because one Flee run of "
            "mali2012 takes minutes."
        ),
        "flee_available": have_flee,
        "flee_python": args.flee_python if have_flee else None,
        "days_truncated_to": args.days,
        "scenarios": {},
    }
    for name in names:
        if name not in SCENARIOS:
            print(f"unknown scenario {name!r}", file=sys.stderr)
            return 2
        ranks_runs = []
        for seed in range(args.seeds):
            r = _run_sub(sys.executable, "ranks", name, seed, args.days)
            print(f"ranks {name} seed {seed}: ARD {r['averaged_relative_difference']:.4f} "
                  f"wall {r['wall_s']:.2f}s rss {r['peak_rss_mb']:.0f}MB", flush=True)
            ranks_runs.append(r)
        flee_runs = []
        for seed in range(args.flee_seeds if have_flee else 0):
            cache = None
            if args.flee_cache:
                args.flee_cache.mkdir(parents=True, exist_ok=True)
                cache = args.flee_cache / f"{name}_seed{seed}_days{args.days or 'all'}.json"
            if cache and cache.exists():
                r = json.loads(cache.read_text())
                r["cached"] = True
            else:
                r = _run_sub(args.flee_python, "flee", name, seed, args.days)
                r["cached"] = False
                if cache:
                    cache.write_text(json.dumps(r))
            print(f"flee  {name} seed {seed}: ARD {r['averaged_relative_difference']:.4f} "
                  f"wall {r['wall_s']:.1f}s rss {r['peak_rss_mb']:.0f}MB", flush=True)
            flee_runs.append(r)
        ra, fa = _aggregate(ranks_runs), _aggregate(flee_runs)
        entry: dict[str, Any] = {"settings": SCENARIOS[name]["settings"], "ranks": ra,
                                 "flee": fa, "ranks_runs": ranks_runs, "flee_runs": flee_runs}
        if flee_runs and ranks_runs:
            entry["ard_mean_difference"] = ra["ard_mean"] - fa["ard_mean"]
            entry["within_0.03"] = abs(entry["ard_mean_difference"]) <= 0.03
            entry["speedup_wall"] = ra["agent_steps_per_wall_s"] / fa["agent_steps_per_wall_s"]
            entry["speedup_cpu"] = ra["agent_steps_per_cpu_s"] / fa["agent_steps_per_cpu_s"]
            entry["rss_ratio"] = ra["peak_rss_mb_max"] / fa["peak_rss_mb_max"]
        report["scenarios"][name] = entry
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for name, entry in report["scenarios"].items():
        print(f"{name}: ranks ARD {entry['ranks'].get('ard_mean')}, "
              f"flee ARD {entry['flee'].get('ard_mean')}, "
              f"speedup {entry.get('speedup_wall')}, rss ratio {entry.get('rss_ratio')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
