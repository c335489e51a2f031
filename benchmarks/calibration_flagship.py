"""A reduced-scale calibration of the Deir Ezzor 2014-2017 flagship, its held-out coverage
and skill, and where the time goes (simulation against Dask overhead).

1. ``ranks calibrate`` with scenarios/deir-ezzor-2014-2017/priors.yaml against the
   scenario's targets (fitted targets with a value are fitted; the others are held out) at
   ``--scale``, ``--budget`` training simulations (default 500, the command's default) and
   its default SBC share, on ``--workers`` Dask workers; resumable (run again after a kill).
2. ``ranks run --posterior`` with ``--replicates`` posterior draws at the same scale.
3. Held-out coverage of the 50/80/95% intervals, CRPS and skill against the prior
   predictive (``ranks check``'s numbers), and the fitted targets' pass marks.

Time: the calibration's wall time, mean wall time per simulation (in the worker), and the
share of worker-time not spent inside simulations (Dask scheduling, transfers, result
files, idle workers at the end): ``1 - sum(task seconds) / (wall * workers)`` over the
simulation phase.

    python benchmarks/calibration_flagship.py [--budget 500] [--scale 0.05] [--workers 2]
        [--replicates 20] [--work /tmp/ranks-flagship-calibration]

Writes benchmarks/results/calibration_flagship.json. The model's rules change under other
issues: re-run this script on the final code (the simulations are redone when the scenario
files change; the directory is keyed by their digest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "deir-ezzor-2014-2017.yaml"
PRIORS = ROOT / "scenarios" / "deir-ezzor-2014-2017" / "priors.yaml"
TARGETS = ROOT / "scenarios" / "deir-ezzor-2014-2017" / "targets.yaml"


def others_cpu() -> float:
    """Load average over the last minute per core (other users of the machine included)."""
    return round(os.getloadavg()[0] / (os.cpu_count() or 1), 2)


def main() -> None:
    from ranks.calibrate.core import calibrate
    from ranks.calibrate.posterior import posterior_draws
    from ranks.calibrate.skill import heldout_skill
    from ranks.ensemble.replicates import run_replicates_dask
    from ranks.report.rundir import load_run_dir
    from ranks.report.targets import evaluate, load_targets
    from ranks.runner import load as load_scenario

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=int, default=500)
    ap.add_argument("--sbc", type=int, default=None)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ranks-flagship-calibration"))
    ap.add_argument("--scenario", type=Path, default=SCENARIO,
                    help="another scenario (with --priors and --targets) to try the script")
    ap.add_argument("--priors", type=Path, default=PRIORS)
    ap.add_argument("--targets", type=Path, default=TARGETS)
    ap.add_argument("--out-json", type=Path,
                    default=ROOT / "benchmarks" / "results" / "calibration_flagship.json")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    load0 = others_cpu()
    t0 = time.perf_counter()
    cal = calibrate(a.scenario, a.priors, a.work / "cal", targets=a.targets, budget=a.budget,
                    scale=a.scale, sbc=a.sbc, workers=a.workers)
    cal_s = time.perf_counter() - t0
    diag = cal.diagnostics
    bank = diag["bank"]
    tab = cal.bank.table
    ok = tab[tab["status"] == "ok"]
    overhead = None
    if cal.bank.ran and cal.bank.wall_s > 0:
        overhead = 1.0 - cal.bank.task_s / (cal.bank.wall_s * a.workers)
    # posterior runs
    loaded = load_scenario(a.scenario)
    per_rep, section = posterior_draws(a.work / "cal", a.replicates, loaded.scenario.seed,
                                       loaded.digest)
    run_dir = a.work / "posterior-run"
    t1 = time.perf_counter()
    run_replicates_dask(loaded, run_dir, scale=a.scale, force=True, replicates=a.replicates,
                        workers=a.workers, replicate_overrides=per_rep,
                        extra={"posterior": section})
    post_s = time.perf_counter() - t1
    run = load_run_dir(run_dir)
    lt = load_targets(a.targets)
    results = evaluate(lt, run)
    held = heldout_skill(results, a.work / "cal")
    fitted = heldout_skill(results, a.work / "cal", held_out=False)
    result = {
        "benchmark": "calibration_flagship",
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, shared; load per core at start {load0}, "
                   f"at end {others_cpu()}",
        "scenario": a.scenario.name, "scale": a.scale, "workers": a.workers,
        "budget": a.budget, "sbc_simulations": diag["sbc"].get("simulations", 0),
        "calibration_wall_s": round(cal_s, 1),
        "within_2_hours": cal_s <= 7200,
        "simulations_run_now": cal.bank.ran, "simulations_done_before": cal.bank.already_done,
        "simulation_wall_s_mean": float(ok["runtime_s"].mean()),
        "simulation_loop_s_mean": float(ok["loop_s"].mean()),
        "dask_overhead_share": overhead,
        "train_s": diag["estimator"]["train_s"],
        "parameters": diag["parameters"],
        "sbc_coverage": diag["sbc"].get("overall"),
        "posterior_run": {"replicates": a.replicates, "wall_s": round(post_s, 1)},
        "targets": [{"id": r.target.id, "fitted": r.target.used_in_fitting,
                     "status": r.status, "mean": r.mean,
                     "p05_p95": ([float(np.quantile(r.values, 0.05)),
                                  float(np.quantile(r.values, 0.95))]
                                 if r.values.size else None)} for r in results],
        "held_out_skill": held.as_dict(),
        "fitted_skill_in_sample": fitted.as_dict(),
        "bank": bank,
    }
    out = a.out_json
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("parameters", "bank")},
                     indent=2))


if __name__ == "__main__":
    main()
