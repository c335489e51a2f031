"""The simulation bank of a calibration: parameter sets drawn from the prior, simulated on
Dask, resumable after a kill (the sweep's design: a simulation is done when its file exists).

Layout of the calibration directory DIR::

    calibration.json    what was asked (priors, targets, scenario digests, seed, scale,
                        until, budget, sbc): a restart with other inputs is refused
    design.parquet      sim, kind (train | sbc), z.<name> (standard-normal coordinates),
                        <name> (values), seed
    sims/s00012.json    one file per finished simulation: its target values, wall and
                        CPU seconds (CPU: a figure a shared machine's load inflates less);
                        written atomically by the worker that ran it
    simulations.parquet one row per simulation (written when all are done)

Simulation ``i`` runs with seed ``SeedSequence([root, 14, i])``: every simulation has its
own random stream (the estimator learns the simulator's noise), and the same stream on a
restart, so a resumed calibration equals an uninterrupted one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import ranks
from ranks.calibrate.priors import Priors
from ranks.ensemble.cluster import RETRIES, as_path, run_tasks, worker_loaded
from ranks.errors import RanksInputError
from ranks.io.writers import write_json, write_parquet

BANK_FORMAT = 1


def sim_seed(root: int, i: int) -> int:
    """Seed of simulation ``i`` of a calibration with root seed ``root``."""
    ss = np.random.SeedSequence([int(root), 14, int(i)])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


@dataclass
class SimArgs:
    """Everything a worker needs for one simulation (plain data, shipped to workers)."""

    sim: int
    seed: int
    scenario: str
    digest: str
    overrides: dict[str, Any]
    scale: float
    until: dt.date | None
    targets: str
    out: str


@dataclass
class SimOutput:
    """What a simulation returns: its target values, or its error."""

    sim: int
    status: str
    values: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    runtime_s: float = 0.0


def _write_json_atomic(doc: dict[str, Any], path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write_json(doc, tmp)
    tmp.replace(path)


_TARGETS: dict[str, Any] = {}


def _targets(path: str) -> Any:
    from ranks.report.targets import load_targets

    if path not in _TARGETS:
        _TARGETS[path] = load_targets(path)
    return _TARGETS[path]


def simulate_one(args: SimArgs) -> SimOutput:
    """Run one simulation in a worker; write ``args.out`` (its target values) atomically.

    A failure of the run itself is returned as status ``failed`` (the others go on); a
    worker that dies is Dask's business (rescheduled, retried)."""
    from ranks.calibrate.summaries import run_dir_of, target_values
    from ranks.runner import run_replicate

    t0 = time.perf_counter()
    c0 = time.process_time()
    out = Path(args.out)
    if out.exists():  # done meanwhile by a copy of this task from an earlier driver
        doc = json.loads(out.read_text("utf-8"))
        return SimOutput(args.sim, "ok", doc["values"], runtime_s=0.0)
    try:
        loaded = worker_loaded(args.scenario, args.overrides, args.digest)
        res = run_replicate(loaded, args.seed, args.scale, args.until, 0, False)
        lt = _targets(args.targets)
        run = run_dir_of([res], loaded, args.scale, args.until)
        values = target_values(lt, run)
    except Exception as e:  # recorded, not raised: one bad simulation must not stop the rest
        tb = traceback.extract_tb(e.__traceback__)
        where = f" [{Path(tb[-1].filename).name}:{tb[-1].lineno}]" if tb else ""
        return SimOutput(args.sim, "failed", error=f"{type(e).__name__}: {e}{where}",
                         runtime_s=time.perf_counter() - t0)
    rt = time.perf_counter() - t0
    doc = {"sim": args.sim, "seed": args.seed, "overrides": args.overrides,
           "values": {k: (None if v != v else v) for k, v in values.items()},
           "runtime_s": round(rt, 3), "loop_s": round(res.info.wall_s, 3),
           "cpu_s": round(time.process_time() - c0, 3)}
    _write_json_atomic(doc, out)
    return SimOutput(args.sim, "ok", values, runtime_s=rt)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


#: Target fields that do not change what a simulation computes.
NOT_SIMULATED = ("value", "tolerance", "compare", "used_in_fitting", "description", "note",
                 "source", "assumption")


def targets_digest(path: Path) -> str:
    """sha256 of what the targets file asks simulations to compute: every target's metric,
    filters and window, without its reported value, tolerance, evidence or role."""
    from ranks.report.targets import Target, load_targets

    lt = load_targets(path)
    defs = [t.model_dump(mode="json", exclude=set(NOT_SIMULATED)) for t in lt.targets
            if isinstance(t, Target)]  # scalar targets: dated series are not fitted
    return hashlib.sha256(json.dumps(defs, sort_keys=True).encode()).hexdigest()


@dataclass
class BankSpec:
    """A simulation bank: what to simulate."""

    scenario: Path
    scenario_digest: str
    priors: Priors
    targets: Path
    seed: int
    scale: float
    until: dt.date | None
    budget: int
    sbc: int

    def key(self) -> dict[str, Any]:
        """What must match for DIR to be resumed. The targets enter by their definitions
        only (:func:`targets_digest`): new reported values re-fit without re-simulating."""
        return {"format": BANK_FORMAT, "scenario_sha256": self.scenario_digest,
                "priors_sha256": file_digest(self.priors.path),
                "targets_sha256": targets_digest(self.targets), "seed": self.seed,
                "scale": self.scale, "until": self.until.isoformat() if self.until else None,
                "budget": self.budget, "sbc": self.sbc}

    def design(self) -> pd.DataFrame:
        """Prior draws: ``budget`` training simulations, then ``sbc`` held-out ones."""
        n = self.budget + self.sbc
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 14, 0x5EED]))
        z = rng.standard_normal((n, self.priors.dim))
        vals = self.priors.to_values(z)
        df = pd.DataFrame({"sim": np.arange(n, dtype=np.int64),
                           "kind": ["train"] * self.budget + ["sbc"] * self.sbc})
        for j, lab in enumerate(self.priors.labels):
            df[f"z.{lab}"] = z[:, j]
        for j, lab in enumerate(self.priors.labels):
            df[lab] = vals[:, j]
        df["seed"] = [sim_seed(self.seed, i) for i in range(n)]
        return df


def sim_path(out: Path, i: int) -> Path:
    return out / "sims" / f"s{i:05d}.json"


def open_dir(out: Path, spec: BankSpec, force: bool, extra: dict[str, Any]) -> pd.DataFrame:
    """Create DIR (calibration.json, design.parquet) or check it holds this calibration.

    Returns the design (the stored one on a resume).

    Raises:
        RanksInputError: DIR holds another calibration or something else.
    """
    key = spec.key()
    meta = out / "calibration.json"
    if out.exists() and force:
        if not meta.exists() and any(out.iterdir()):
            raise RanksInputError("--force replaces calibration directories only, and this "
                                  "one has no calibration.json", file=out, field="--out")
        shutil.rmtree(out)
    if meta.exists():
        try:
            old = json.loads(meta.read_text("utf-8"))
            design = pd.read_parquet(out / "design.parquet")
        except (OSError, ValueError) as e:
            raise RanksInputError(f"cannot read the calibration directory: {e}",
                                  file=out) from None
        diff = [k for k in key if old.get("key", {}).get(k) != key[k]]
        if diff:
            raise RanksInputError(
                f"the directory holds a different calibration ({', '.join(diff)} differ); "
                "use another --out, or --force to start over", file=out, field="--out")
    else:
        if out.exists() and any(not p.name.startswith(".") for p in out.iterdir()):
            raise RanksInputError("output directory exists and is not a calibration "
                                  "directory; use another --out or --force", file=out,
                                  field="--out")
        out.mkdir(parents=True, exist_ok=True)
        design = spec.design()
        tmp = out / f".design.parquet.tmp-{os.getpid()}"
        write_parquet(design, tmp)
        tmp.replace(out / "design.parquet")
        doc = {"key": key, "ranks_version": ranks.__version__,
               "scenario": str(spec.scenario), "priors": str(spec.priors.path),
               "targets": str(spec.targets),
               "parameters": [{"name": p.label, "path": p.path, "prior": p.describe(),
                               "evidence": p.evidence, "integer": spec.priors.integer[i]}
                              for i, p in enumerate(spec.priors.params)],
               "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **extra}
        _write_json_atomic(doc, meta)
    (out / "sims").mkdir(exist_ok=True)
    for junk in list((out / "sims").glob(".*.tmp-*")) + list(out.glob(".*.tmp-*")):
        junk.unlink(missing_ok=True)
    return design


@dataclass
class BankReport:
    """What simulating the bank did."""

    total: int
    already_done: int
    ran: int
    failed: int
    wall_s: float
    task_s: float
    executor: dict[str, Any]
    table: pd.DataFrame


def run_bank(out: Path, spec: BankSpec, design: pd.DataFrame, *, workers: int = 1,
             scheduler: str | None = None, retries: int = RETRIES,
             on_start: Callable[[int, int], None] | None = None,
             on_sim: Callable[[SimOutput], None] | None = None,
             task: Callable[[SimArgs], SimOutput] = simulate_one) -> BankReport:
    """Simulate every design row whose file is missing; write simulations.parquet."""
    t0 = time.perf_counter()
    labels = spec.priors.labels
    path = as_path(spec.scenario)
    targets = as_path(spec.targets)
    args = []
    for _, row in design.iterrows():
        i = int(row["sim"])
        vals = np.array([float(row[lab]) for lab in labels])
        args.append(SimArgs(i, int(row["seed"]), path, spec.scenario_digest,
                            spec.priors.overrides(vals), spec.scale, spec.until, targets,
                            str(sim_path(out, i))))
    todo = [a for a in args if not Path(a.out).exists()]
    if on_start is not None:
        on_start(len(args), len(args) - len(todo))
    failures: dict[int, str] = {}
    task_s = 0.0

    def handle(a: SimArgs, so: SimOutput) -> None:
        nonlocal task_s
        task_s += so.runtime_s
        if so.status != "ok" or not Path(a.out).exists():
            failures[a.sim] = so.error or "failed: no result was written"
        if on_sim is not None:
            on_sim(so)

    executor = run_tasks(todo, task, workers=workers, scheduler=scheduler, retries=retries,
                         key=lambda a: f"ranks-calibrate-{a.sim}",
                         failed=lambda a, err: SimOutput(a.sim, "failed", error=err),
                         on_result=handle)
    table = bank_table(out, design, labels, failures)
    tmp = out / f".simulations.parquet.tmp-{os.getpid()}"
    write_parquet(table, tmp)
    tmp.replace(out / "simulations.parquet")
    return BankReport(len(args), len(args) - len(todo), len(todo), len(failures),
                      time.perf_counter() - t0, task_s, executor, table)


def bank_table(out: Path, design: pd.DataFrame, labels: list[str],
               failures: dict[int, str]) -> pd.DataFrame:
    """One row per simulation: design columns, status, runtime, ``t:<target id>`` values."""
    rows = []
    for _, d in design.iterrows():
        i = int(d["sim"])
        row: dict[str, Any] = {"sim": i, "kind": d["kind"], "seed": int(d["seed"])}
        for lab in labels:
            row[f"z.{lab}"] = float(d[f"z.{lab}"])
            row[lab] = float(d[lab])
        p = sim_path(out, i)
        if p.exists():
            doc = json.loads(p.read_text("utf-8"))
            row.update(status="ok", error=None, runtime_s=float(doc.get("runtime_s", np.nan)),
                       loop_s=float(doc.get("loop_s", np.nan)))
            row.update({f"t:{k}": (np.nan if v is None else float(v))
                        for k, v in doc["values"].items()})
        else:
            row.update(status="failed" if i in failures else "missing",
                       error=failures.get(i), runtime_s=np.nan, loop_s=np.nan)
        rows.append(row)
    df = pd.DataFrame(rows)
    df["error"] = df["error"].astype("string")
    return df


__all__ = ["BankReport", "BankSpec", "SimArgs", "SimOutput", "open_dir", "run_bank",
           "sim_seed", "simulate_one"]
