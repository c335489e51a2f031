"""A reduced-scale calibration of the Deir Ezzor 2014-2017 flagship, its held-out coverage
and skill, and where the time goes (simulation against Dask overhead).

1. ``ranks calibrate`` with scenarios/deir-ezzor-2014-2017/priors.yaml against the
   scenario's targets (fitted targets with a value are fitted; the others are held out) at
   ``--scale``, ``--budget`` training simulations (default 240, the command's default) and
   its default SBC share, on ``--workers`` Dask workers; resumable (run again after a kill).
2. ``ranks run --posterior`` with ``--replicates`` posterior draws at the same scale.
3. Held-out coverage of the 50/80/95% intervals, CRPS and skill against the prior
   predictive (``ranks check``'s numbers), and the fitted targets' pass marks.

Time: the calibration's wall time, mean wall time per simulation (in the worker), and the
share of worker-time not spent inside simulations (Dask scheduling, transfers, result
files, idle workers at the end): ``1 - sum(task seconds) / (wall * workers)`` over the
simulation phase.

    python benchmarks/calibration_flagship.py [--budget 240] [--scale 0.05] [--workers 2]
        [--replicates 20] [--work /tmp/ranks-flagship-calibration] [--status]

Every invocation is logged in ``WORK/timing.json`` (a heartbeat a minute: elapsed time,
the machine's load average, when the simulations started), so a calibration resumed after
a kill reports its wall time and Dask overhead summed over all its invocations.
``--status`` runs nothing: it writes the figures of the simulations finished so far
(``"complete": false``), for a run that could not finish in the time at hand.

Writes benchmarks/results/calibration_flagship.json. The model's rules change under other
issues: re-run this script on the final code (the simulations are redone when the scenario
files change; the directory is keyed by their digest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from ranks.calibrate.core import DEFAULT_BUDGET

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "deir-ezzor-2014-2017.yaml"
PRIORS = ROOT / "scenarios" / "deir-ezzor-2014-2017" / "priors.yaml"
TARGETS = ROOT / "scenarios" / "deir-ezzor-2014-2017" / "targets.yaml"


def others_cpu() -> float:
    """Load average over the last minute per core (other users of the machine included)."""
    return round(os.getloadavg()[0] / (os.cpu_count() or 1), 2)


def _utc(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds")


class Ledger:
    """``WORK/timing.json``: one entry per invocation, refreshed every ``every`` seconds
    (epoch seconds, the 1-minute load average), so a killed invocation keeps its times."""

    def __init__(self, work: Path, every: float = 60.0) -> None:
        self.path = work / "timing.json"
        self.doc: dict[str, Any] = (json.loads(self.path.read_text("utf-8"))
                                    if self.path.exists() else {"invocations": []})
        now = time.time()
        self.entry: dict[str, Any] = {"pid": os.getpid(), "start": now, "start_utc": _utc(now),
                                      "last": now, "bank_start": None, "bank_end": None,
                                      "calibration_s": None, "load": []}
        self.doc["invocations"].append(self.entry)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.every = every
        self.beat()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.beat()

    def beat(self, **fields: Any) -> None:
        with self._lock:
            now = time.time()
            self.entry.update(fields, last=now)
            self.entry["load"].append([round(now - self.entry["start"]), os.getloadavg()[0]])
            tmp = self.path.with_name(f".timing.json.tmp-{os.getpid()}")
            tmp.write_text(json.dumps(self.doc, indent=1) + "\n", encoding="utf-8")
            tmp.replace(self.path)

    def close(self) -> None:
        self._stop.set()
        self.beat()


def bank_progress(work: Path, workers: int) -> dict[str, Any]:
    """Figures of the simulations finished so far, over every logged invocation.

    Per invocation, the simulation phase runs from its ``bank_start`` to its ``bank_end``
    (or its last heartbeat when it was killed); a simulation belongs to the invocation whose
    phase holds its file's time. Simulations outside every logged phase (an invocation of
    an older script without the ledger) form one phase from the earliest start (file time
    minus run time) to the latest file. Dask overhead share: ``1 - sum(task seconds) /
    (sum(phase seconds) * workers)``; simulations cut off by a kill count as overhead."""
    cal = work / "cal"
    sims = []
    for f in sorted((cal / "sims").glob("s*.json")):
        d = json.loads(f.read_text("utf-8"))
        sims.append((f.stat().st_mtime, float(d["runtime_s"]), float(d.get("loop_s", 0.0)),
                     d.get("cpu_s")))
    total = None
    if (cal / "design.parquet").exists():
        import pandas as pd

        total = int(len(pd.read_parquet(cal / "design.parquet", columns=["sim"])))
    led = (json.loads((work / "timing.json").read_text("utf-8"))
           if (work / "timing.json").exists() else {"invocations": []})
    phases = []
    for e in led["invocations"]:
        if e.get("bank_start") is not None:
            phases.append([e["bank_start"], e.get("bank_end") or e["last"], 0.0, 0])
    loose = []
    for mtime, rt, *_ in sims:
        for ph in phases:
            if ph[0] <= mtime <= ph[1] + 5:
                ph[2] += rt
                ph[3] += 1
                break
        else:
            loose.append((mtime, rt))
    if loose:
        phases.append([min(m - r for m, r in loose), max(m for m, _ in loose),
                       sum(r for _, r in loose), len(loose)])
    phase_s = sum(ph[1] - ph[0] for ph in phases)
    task_s = sum(ph[2] for ph in phases)
    loads = [x[1] for e in led["invocations"] for x in e.get("load", [])]
    return {
        "simulations_finished": len(sims), "simulations_total": total,
        "simulation_wall_s_mean": float(np.mean([s[1] for s in sims])) if sims else None,
        "simulation_loop_s_mean": float(np.mean([s[2] for s in sims])) if sims else None,
        "simulation_cpu_s_mean": (float(np.mean(cpu)) if (cpu := [s[3] for s in sims
                                                                  if s[3] is not None])
                                  else None),
        "simulations_with_cpu_s": len(cpu),
        "simulation_phase_s": round(phase_s, 1), "simulation_task_s": round(task_s, 1),
        "dask_overhead_share": (1.0 - task_s / (phase_s * workers)) if phase_s > 0 else None,
        "invocations": [{"start_utc": e["start_utc"],
                         "elapsed_s": round(e["last"] - e["start"], 1),
                         "calibration_s": e.get("calibration_s")}
                        for e in led["invocations"]],
        "load_average_1min": ({"mean": round(float(np.mean(loads)), 2),
                               "min": min(loads), "max": max(loads), "samples": len(loads)}
                              if loads else None),
    }


def main() -> None:
    from ranks.calibrate.core import calibrate
    from ranks.calibrate.posterior import posterior_draws
    from ranks.calibrate.skill import heldout_skill
    from ranks.ensemble.replicates import run_replicates_dask
    from ranks.report.rundir import load_run_dir
    from ranks.report.targets import evaluate, load_targets
    from ranks.runner import load as load_scenario

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=int, default=DEFAULT_BUDGET)
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
    ap.add_argument("--status", action="store_true",
                    help="run nothing; write the figures of the simulations finished so far")
    a = ap.parse_args()
    resume = (f"nice -n 5 python benchmarks/calibration_flagship.py --budget {a.budget} "
              f"--scale {a.scale} --workers {a.workers} --replicates {a.replicates} "
              f"--work {a.work}" + (f" --sbc {a.sbc}" if a.sbc is not None else ""))
    if a.status:
        prog = bank_progress(a.work, a.workers)
        result = {"benchmark": "calibration_flagship", "complete": False,
                  "date": dt.datetime.now(dt.UTC).date().isoformat(),
                  "machine": f"{os.cpu_count()} cores, shared (load average: "
                             "load_average_1min, sampled each minute)",
                  "scenario": a.scenario.name, "scale": a.scale, "workers": a.workers,
                  "budget": a.budget, "resume_command": resume, **prog}
        if prog["simulation_cpu_s_mean"] and prog["simulations_total"]:
            # CPU-bound simulations on an otherwise idle machine with one core per worker
            cpu = prog["simulation_cpu_s_mean"]
            result["projection_idle_machine"] = {
                "basis": "CPU seconds per simulation x simulations / workers (training, "
                         "SBC inference and posterior runs not included)",
                "simulation_hours": round(prog["simulations_total"] * cpu / a.workers
                                          / 3600, 2),
                "simulations_in_2_hours": int(7200 * a.workers / cpu)}
        a.out_json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(result, indent=2))
        return
    a.work.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(a.work)
    load0 = others_cpu()
    t0 = time.perf_counter()
    cal = calibrate(a.scenario, a.priors, a.work / "cal", targets=a.targets, budget=a.budget,
                    scale=a.scale, sbc=a.sbc, workers=a.workers,
                    on_start=lambda total, done: ledger.beat(bank_start=time.time()),
                    on_phase=lambda phase: ledger.beat(bank_end=ledger.entry["bank_end"]
                                                       or time.time()))
    cal_s = time.perf_counter() - t0
    ledger.beat(calibration_s=round(cal_s, 1), bank_end=ledger.entry["bank_end"] or time.time())
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
    ledger.close()
    prog = bank_progress(a.work, a.workers)
    total_s = sum(e["calibration_s"] if e.get("calibration_s") is not None
                  else e["elapsed_s"] for e in prog["invocations"])
    result = {
        "benchmark": "calibration_flagship", "complete": True,
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores, shared; load per core at start {load0}, "
                   f"at end {others_cpu()}",
        "scenario": a.scenario.name, "scale": a.scale, "workers": a.workers,
        "budget": a.budget, "sbc_simulations": diag["sbc"].get("simulations", 0),
        "calibration_wall_s": round(cal_s, 1),
        "calibration_wall_s_all_invocations": round(total_s, 1),
        "within_2_hours": total_s <= 7200,
        "all_invocations": prog,
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
