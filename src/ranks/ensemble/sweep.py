"""Parameter sweeps: ``ranks sweep SCENARIO SWEEP.yaml --out DIR``, resumable.

Layout of DIR::

    sweep.json        what was asked (sweep spec, scenario digest, seed, scale, until)
    design.parquet    one row per design point: unit coordinates and parameter values
    runs/<run_id>/    one run directory per (point, replicate): manifest.json (with the
                      run's overrides and summary outcomes), events.parquet,
                      stocks.parquet, scenario.resolved.yaml; written atomically by the
                      worker that ran it
    runs.parquet      one row per run: parameters, seed, status, error, outcomes

A run is done when ``runs/<run_id>/manifest.json`` exists. Starting the same command again
on the same DIR runs only the runs that are not done (failed runs are tried again), so a
sweep killed at any point ends with the same results as one never interrupted. Every
design point uses the same replicate seeds (:func:`ranks.runner.replicate_seed` of the
root seed): common random numbers across points, which lowers the noise in differences.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import ranks
from ranks.ensemble.cluster import RETRIES, as_path, run_tasks, worker_loaded
from ranks.ensemble.design import build_design, point_overrides
from ranks.ensemble.spec import OutcomeSpec, SweepSpec, load_sweep, param_error
from ranks.errors import RanksInputError, ScenarioError
from ranks.io.outdir import OutputLock, check_out_path
from ranks.io.writers import write_json, write_parquet
from ranks.runner import ReplicateResult, load, replicate_seed, run_replicate, write_run_dir
from ranks.scenario.loader import Loaded

SWEEP_FORMAT = 1


@dataclass
class RunArgs:
    """Everything a worker needs for one run (plain data: it is shipped to workers)."""

    run_id: str
    point: int
    replicate: int
    seed: int
    scenario: str
    digest: str
    overrides: dict[str, Any]
    scale: float
    until: dt.date | None
    check: bool
    root_seed: int
    out: str
    outcomes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunOutput:
    """What a run returns: its summary (its tables are in its run directory), or its
    error."""

    run_id: str
    status: str
    error: str | None = None
    summary: dict[str, float] = field(default_factory=dict)
    runtime_s: float = 0.0


# -- outcomes ----------------------------------------------------------------------------
def summarize(res: ReplicateResult, loaded: Loaded, outcomes: list[OutcomeSpec]
              ) -> dict[str, float]:
    """Summary outcomes of one run.

    - ``events.<name>``: total events of each name (people or acts, as recorded);
    - ``strength_final.<actor>``: members of each armed actor on the last snapshot (people);
    - ``camp_peak``: most people alive at camp places on any snapshot (people), when the
      scenario has camps;
    - one column per outcome of the sweep file.
    """
    sc = loaded.scenario
    out: dict[str, float] = {f"events.{k}": float(v) for k, v in sorted(res.totals.items())}
    st = res.stocks
    last = st["date"].max() if len(st) else None
    strength = st[(st["stock"] == "strength") & (st["date"] == last)] if last else st.iloc[:0]
    by_actor = strength.groupby("actor", observed=True)["value"].sum()
    for a in sc.actors:
        if a.kind != "none":
            out[f"strength_final.{a.id}"] = float(by_actor.get(a.id, 0.0))
    camps = [p.name for p in sc.places if p.type == "camp"]
    if camps:
        ppl = st[(st["stock"] == "people") & st["place"].isin(camps)
                 & (st["category"] != "dead")]
        per_day = ppl.groupby("date")["value"].sum()
        out["camp_peak"] = float(per_day.max()) if len(per_day) else 0.0
    for o in outcomes:
        out[o.name] = outcome_value(res, o)
    return out


def outcome_value(res: ReplicateResult, o: OutcomeSpec) -> float:
    """Value of one sweep-file outcome for one run."""
    df = res.events if o.event is not None else res.stocks
    m = np.ones(len(df), dtype=bool)
    if o.event is not None:
        m &= (df["event"] == o.event).to_numpy()
    else:
        m &= (df["stock"] == o.stock).to_numpy()
    for col in ("actor", "place", "reason", "category"):
        v = getattr(o, col)
        if v is not None and col in df:
            m &= (df[col] == v).to_numpy(dtype=bool, na_value=False)
    dates = pd.to_datetime(df["date"])
    if o.from_ is not None:
        m &= (dates >= pd.Timestamp(o.from_)).to_numpy()
    if o.until is not None:
        m &= (dates < pd.Timestamp(o.until)).to_numpy()
    sel = df[m]
    if o.event is not None:
        return float(sel["count"].sum())
    per_day = sel.groupby("date")["value"].sum()
    if per_day.empty:
        return 0.0
    stat = o.stat or "max"
    if stat == "final":
        return float(per_day.sort_index().iloc[-1])
    return float(getattr(per_day, stat)())


# -- the task ------------------------------------------------------------------------------
def sweep_task(args: RunArgs) -> RunOutput:
    """Run one sweep run in a worker and write its run directory ``args.out`` atomically
    (workers read the scenario from its path, so they share the driver's filesystem).

    A failure of the run itself (bad value, crash of a module, conservation failure) is
    returned as status ``failed`` with its error, so the other runs go on; a worker that
    dies is Dask's business (the task is rescheduled and retried)."""
    t0 = time.perf_counter()
    man = Path(args.out) / "manifest.json"
    if man.exists():  # done meanwhile (by a copy of this task from an earlier driver)
        summary = json.loads(man.read_text("utf-8")).get("summary", {})
        return RunOutput(args.run_id, "ok", summary=summary, runtime_s=0.0)
    try:
        loaded = worker_loaded(args.scenario, args.overrides, args.digest)
        res = run_replicate(loaded, args.seed, args.scale, args.until, args.replicate,
                            args.check)
        outcomes = [OutcomeSpec.model_validate(o) for o in args.outcomes]
        summary = summarize(res, loaded, outcomes)
        extra = {"sweep": {"run_id": args.run_id, "point": args.point,
                           "replicate": args.replicate, "overrides": args.overrides,
                           "runtime_s": round(time.perf_counter() - t0, 3)},
                 "summary": summary}
        # force: a stale copy of this task (from a killed driver) may have written the
        # same, identical run meanwhile; the rename stays atomic.
        write_run_dir(Path(args.out), True, loaded, [res], args.root_seed, args.scale,
                      args.until, t0, extra=extra)
    except Exception as e:  # recorded, not raised: one bad run must not stop the sweep
        msg = e.format() if isinstance(e, RanksInputError) else f"{type(e).__name__}: {e}"
        tb = traceback.extract_tb(e.__traceback__)
        where = f" [{Path(tb[-1].filename).name}:{tb[-1].lineno}]" if tb else ""
        return RunOutput(args.run_id, "failed", error=msg + where,
                         runtime_s=time.perf_counter() - t0)
    return RunOutput(args.run_id, "ok", summary=summary, runtime_s=time.perf_counter() - t0)


# -- preparing a sweep ----------------------------------------------------------------------
def _base_value(loaded: Loaded, dotted: str) -> Any:
    """The validated value at ``dotted`` in the scenario, or None when not found."""
    keys = dotted.split(".")
    cur: Any
    if keys[0] == "modules" and len(keys) > 1:
        cur = loaded.module_params.get(keys[1])
        keys = keys[2:]
    else:
        cur = loaded.scenario
    for k in keys:
        if cur is None:
            return None
        if isinstance(cur, list | tuple) and k.lstrip("-").isdigit():
            i = int(k)
            cur = cur[i] if -len(cur) <= i < len(cur) else None
        elif isinstance(cur, dict):
            cur = cur.get(k)
        else:
            cur = getattr(cur, k, None)
    return cur


def check_outcomes(spec: SweepSpec, loaded: Loaded, locs: Any, sweep_file: Path,
                   until: dt.date | None) -> None:
    """Every name in the sweep file's outcomes exists: events and stocks a module records
    (:mod:`ranks.vocabulary`), places, actors and tribes of the scenario; dates fall in the
    simulated period. An unknown name would give 0 in every run, silently.

    Raises:
        RanksInputError: naming the sweep file, line and field, with "did you mean".
    """
    import difflib

    from ranks.vocabulary import EVENTS, STOCKS

    sc = loaded.scenario
    known = {"event": sorted(EVENTS), "stock": sorted(STOCKS),
             "place": [p.name for p in sc.places], "actor": [a.id for a in sc.actors]}
    end = until or sc.period.end
    for i, o in enumerate(spec.outcomes):
        for key, names in known.items():
            v = getattr(o, key, None)
            if v is not None and v not in names:
                hint = difflib.get_close_matches(v, names, n=1)
                f, line = locs.find(("outcomes", i, key))
                raise RanksInputError(
                    f"unknown {key} '{v}'" + (f"; did you mean '{hint[0]}'?" if hint else
                                              f"; known: {', '.join(names[:12])}"
                                              + (", ..." if len(names) > 12 else "")),
                    file=f or sweep_file, line=line, field=f"outcomes[{i}].{key}")
        lo, hi = o.from_ or sc.period.start, o.until or end
        if lo >= end or hi <= sc.period.start:  # the window misses the run: always 0
            key = "from" if lo >= end else "until"
            f, line = locs.find(("outcomes", i, key))
            raise RanksInputError(f"the window {lo}..{hi} is outside the simulated period "
                                  f"{sc.period.start}..{end}, so the outcome would be 0 in "
                                  "every run", file=f or sweep_file, line=line,
                                  field=f"outcomes[{i}].{key}")


@dataclass
class Prepared:
    """A validated sweep ready to run."""

    spec: SweepSpec
    sweep_file: Path
    loaded: Loaded
    design: pd.DataFrame
    integer: list[bool]
    root_seed: int
    scale: float
    until: dt.date | None
    replicates: int
    check: bool
    runs: list[RunArgs]

    def key(self) -> dict[str, Any]:
        """What must match for DIR to be resumed."""
        return {
            "format": SWEEP_FORMAT,
            "spec": self.spec.model_dump(mode="json", by_alias=True),
            "scenario_sha256": self.loaded.digest,
            "seed": self.root_seed,
            "scale": self.scale,
            "until": self.until.isoformat() if self.until else None,
            "replicates": self.replicates,
            "check": self.check,
        }


def prepare(scenario: Path, sweep_file: Path, out: Path, *, seed: int | None = None,
            scale: float | None = None, until: dt.date | None = None,
            replicates: int | None = None, check: bool = False) -> Prepared:
    """Load scenario and sweep file, check every parameter's range against the scenario
    model (a value the scenario refuses is an error naming the sweep file's line), and
    build the design and the list of runs.

    Raises:
        RanksInputError: bad scenario, bad sweep file, or a range the scenario refuses.
    """
    from ranks.ensemble.design import MAX_RUNS, design_size
    from ranks.resources import check_run, check_scale, check_seed

    spec, locs = load_sweep(sweep_file)
    check_seed(seed)
    if scale is not None:
        check_scale(scale)
    loaded = load(scenario)
    scale = spec.scale if scale is None else scale
    until = spec.until if until is None else until
    sc = loaded.scenario
    if until is not None and not sc.period.start < until <= sc.period.end:
        f, line = locs.find(("until",))
        raise RanksInputError(f"until {until} is outside the period {sc.period.start}.."
                              f"{sc.period.end}", file=f or sweep_file, line=line,
                              field="until")
    reps = spec.replicates if replicates is None else replicates
    n_runs = design_size(spec) * reps
    if n_runs > MAX_RUNS:
        f, line = locs.find(("design",))
        raise RanksInputError(f"the design makes {n_runs:,} runs ({design_size(spec):,} "
                              f"points x {reps} replicate(s)); at most {MAX_RUNS:,} are "
                              "run by one sweep", file=f or sweep_file, line=line,
                              field="design")
    check_run(loaded, scale, until, seed, parallel=0)  # scale makes people; memory: below
    check_outcomes(spec, loaded, locs, sweep_file, until)
    integer: list[bool] = []
    for i, p in enumerate(spec.parameters):
        base = _base_value(loaded, p.path)
        is_int = isinstance(base, int | np.integer) and not isinstance(base, bool)
        integer.append(p.integer if p.integer is not None else is_int)
        if integer[-1] and p.min is not None and p.max is not None and \
                round(p.min) == round(p.max):
            raise param_error(sweep_file, locs, i, "integer" if p.integer else "min",
                              f"integer: the range {p.min:g}..{p.max:g} holds only the whole "
                              f"number {round(p.min)}, so every point would be the same; "
                              "widen the range or set integer: false")
        tries = ([("values", v) for v in p.values] if p.values is not None
                 else [("min", p.min), ("max", p.max)])
        for key, v in tries:
            assert v is not None
            val = int(round(v)) if integer[-1] else v
            try:
                load(scenario, {p.path: val})
            except ScenarioError as e:
                raise param_error(sweep_file, locs, i, key, f"{p.path} = {val!r} is refused "
                                  f"by the scenario: {e.message}") from None
    design = build_design(spec, integer)
    root = sc.seed if seed is None else seed
    prep = Prepared(spec, sweep_file, loaded, design, integer, root, scale, until, reps,
                    check, [])
    set_runs(prep, design, out)
    return prep


def set_runs(prep: Prepared, design: pd.DataFrame, out: Path) -> None:
    """Use ``design`` and list its runs: every point times every replicate."""
    prep.design = design
    outcomes = [o.model_dump(mode="json", by_alias=True) for o in prep.spec.outcomes]
    path = as_path(prep.loaded.path)
    runs_dir = Path(as_path(out)) / "runs"
    prep.runs = []
    for _, row in design.iterrows():
        ov = point_overrides(prep.spec, row, prep.integer)
        pt = int(row["point"])
        for r in range(prep.replicates):
            rid = run_id(pt, r)
            prep.runs.append(RunArgs(rid, pt, r, replicate_seed(prep.root_seed, r), path,
                                     prep.loaded.digest, ov, prep.scale, prep.until,
                                     prep.check, prep.root_seed, str(runs_dir / rid),
                                     outcomes))


def run_id(point: int, replicate: int) -> str:
    """Directory name of a run."""
    return f"p{point:05d}-r{replicate:02d}"


# -- the sweep directory --------------------------------------------------------------------
def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    tmp.replace(path)


def open_sweep_dir(out: Path, prep: Prepared, force: bool) -> None:
    """Create DIR with sweep.json and design.parquet, or check that DIR holds this sweep.

    Raises:
        RanksInputError: DIR holds another sweep or something else (exit 2).
    """
    from ranks.io.outdir import describe_contents, hidden_stem, ranks_output_kind

    key = prep.key()
    meta = out / "sweep.json"
    stem = hidden_stem(out.name)
    for junk in out.parent.glob(f".{glob.escape(stem)}.old-*"):  # a killed --force
        shutil.rmtree(junk, ignore_errors=True)
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise RanksInputError(f"is {describe_contents(out)}; a sweep directory is needed",
                              file=out, field="--out")
    if out.exists() and force:
        if not ranks_output_kind(out, "sweep") and any(out.iterdir()):
            raise RanksInputError("--force replaces only a sweep directory written by ranks "
                                  f"(with its sweep.json); this is {describe_contents(out)}; "
                                  "nothing was changed", file=out, field="--out")
        old = out.with_name(f".{stem}.old-{os.getpid()}")
        out.rename(old)  # out of the way at once; a kill while deleting leaves no half sweep
        shutil.rmtree(old, ignore_errors=True)
    if meta.exists():
        try:
            old = json.loads(meta.read_text("utf-8"))
            stored = pd.read_parquet(out / "design.parquet")
        except (OSError, ValueError) as e:
            raise RanksInputError(f"cannot read the sweep directory: {e}", file=out) from None
        diff = [k for k in key if old.get("key", {}).get(k) != key[k]]
        if diff:
            raise RanksInputError(
                f"the directory holds a different sweep ({', '.join(diff)} differ); "
                "use another --out, or --force to start over", file=out, field="--out")
        # the stored design is the truth (a newer sampler could draw other points)
        set_runs(prep, stored, out)
    else:
        if out.exists() and any(p.name not in ("design.parquet", "runs") and
                                not p.name.startswith(".") for p in out.iterdir()):
            raise RanksInputError("output directory exists and is not a sweep directory; "
                                  "use another --out or --force", file=out, field="--out")
        out.mkdir(parents=True, exist_ok=True)
        _write_atomic(out / "design.parquet", lambda p: write_parquet(prep.design, p))
        doc = {
            "key": key,
            "ranks_version": ranks.__version__,
            "sweep_file": str(prep.sweep_file),
            "scenario": {"name": prep.loaded.scenario.name, "path": str(prep.loaded.path)},
            "design": prep.spec.design,
            "parameters": [{"name": p.label, "path": p.path, "min": p.min, "max": p.max,
                            "values": p.values, "log": p.log, "integer": prep.integer[i]}
                           for i, p in enumerate(prep.spec.parameters)],
            "points": len(prep.design),
            "runs": len(prep.runs),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        _write_atomic(meta, lambda p: write_json(doc, p))
    (out / "runs").mkdir(exist_ok=True)
    for junk in (out / "runs").glob(".*.tmp-*"):  # half-written runs of a killed sweep
        shutil.rmtree(junk, ignore_errors=True)
    for junk in list((out / "runs").glob(".*.old-*")) + list(out.glob(".*.tmp-*")):
        if junk.is_dir():
            shutil.rmtree(junk, ignore_errors=True)
        else:
            junk.unlink(missing_ok=True)


def is_done(out: Path, rid: str) -> bool:
    """A run is done when its directory holds a manifest."""
    return (out / "runs" / rid / "manifest.json").exists()


def runs_table(out: Path, prep: Prepared, failures: dict[str, str]) -> pd.DataFrame:
    """runs.parquet: one row per run in (point, replicate) order."""
    labels = [p.label for p in prep.spec.parameters]
    design = prep.design.set_index("point")
    rows = []
    for a in prep.runs:
        row: dict[str, Any] = {"run_id": a.run_id, "point": a.point, "replicate": a.replicate,
                               "seed": a.seed}
        for lab in labels:
            row[lab] = float(design.at[a.point, lab])
        man = out / "runs" / a.run_id / "manifest.json"
        if man.exists():
            m = json.loads(man.read_text("utf-8"))
            row.update(status="ok", error=None,
                       runtime_s=float(m.get("sweep", {}).get("runtime_s", np.nan)))
            row.update({f"o:{k}": float(v) for k, v in m.get("summary", {}).items()})
        else:
            row.update(status="failed" if a.run_id in failures else "missing",
                       error=failures.get(a.run_id), runtime_s=np.nan)
        rows.append(row)
    df = pd.DataFrame(rows)
    ocols = sorted(c for c in df.columns if c.startswith("o:"))
    ok = df["status"] == "ok"
    for c in ocols:  # an event that never happened in an ok run counts 0
        if c.startswith("o:events."):
            df.loc[ok, c] = df.loc[ok, c].fillna(0.0)
    base = ["run_id", "point", "replicate", "seed", *labels, "status", "error", "runtime_s"]
    df = df[base + ocols].rename(columns={c: c[2:] for c in ocols})
    df["error"] = df["error"].astype("string")
    return df


def outcome_columns(runs: pd.DataFrame, labels: list[str]) -> list[str]:
    """Outcome columns of runs.parquet (everything after the fixed columns)."""
    fixed = {"run_id", "point", "replicate", "seed", "status", "error", "runtime_s", *labels}
    return [c for c in runs.columns if c not in fixed]


# -- running -------------------------------------------------------------------------------
@dataclass
class SweepReport:
    """What a sweep did."""

    out: Path
    runs: int
    already_done: int
    ran: int
    failed: int
    wall_s: float
    task_s: float
    executor: dict[str, Any]
    table: pd.DataFrame
    labels: list[str]


def run_sweep(scenario: Path, sweep_file: Path, out: Path, *, workers: int = 1,
              scheduler: str | None = None, seed: int | None = None,
              scale: float | None = None, until: dt.date | None = None,
              replicates: int | None = None, check: bool = False, force: bool = False,
              retries: int = RETRIES, on_start: Callable[[int, int], None] | None = None,
              on_run: Callable[[RunOutput], None] | None = None,
              task: Callable[[RunArgs], RunOutput] = sweep_task) -> SweepReport:
    """Run (or resume) a sweep into ``out``.

    Args:
        workers: with 1 and no ``scheduler``, runs in this process one after the other;
            otherwise on a Dask LocalCluster of ``workers`` processes.
        scheduler: address of an existing Dask scheduler.
        retries: Dask retries of a task that raised (a run's own failure does not raise).
        on_start: called with (runs in total, runs already done) before running.
        on_run: called after each run finishes (and is written).
        task: the per-run function (tests inject faults through it).
    """
    t0 = time.perf_counter()
    from ranks.resources import check_run

    prep = prepare(scenario, sweep_file, out, seed=seed, scale=scale, until=until,
                   replicates=replicates, check=check)
    check_run(prep.loaded, prep.scale, prep.until,
              parallel=0 if scheduler else max(1, min(workers, len(prep.runs))))
    lock = OutputLock(check_out_path(out), "--out")  # one sweep at a time in ``out``
    lock.acquire()
    try:
        return _run_locked(out, prep, t0, force, workers, scheduler, retries, on_start,
                           on_run, task)
    finally:
        lock.release()


def _run_locked(out: Path, prep: Prepared, t0: float, force: bool, workers: int,
                scheduler: str | None, retries: int,
                on_start: Callable[[int, int], None] | None,
                on_run: Callable[[RunOutput], None] | None,
                task: Callable[[RunArgs], RunOutput]) -> SweepReport:
    open_sweep_dir(out, prep, force)
    todo = [a for a in prep.runs if not is_done(out, a.run_id)]
    done_before = len(prep.runs) - len(todo)
    if on_start is not None:
        on_start(len(prep.runs), done_before)
    failures: dict[str, str] = {}
    task_s = 0.0

    def handle(a: RunArgs, ro: RunOutput) -> None:
        nonlocal task_s
        task_s += ro.runtime_s
        if ro.status != "ok" or not is_done(out, a.run_id):
            failures[a.run_id] = ro.error or "failed: no run directory was written"
        if on_run is not None:
            on_run(ro)

    executor = run_tasks(todo, task, workers=workers, scheduler=scheduler, retries=retries,
                         key=lambda a: f"ranks-sweep-{a.run_id}",
                         failed=lambda a, err: RunOutput(a.run_id, "failed", error=err),
                         on_result=handle, check_code=True)
    table = runs_table(out, prep, failures)
    _write_atomic(out / "runs.parquet", lambda p: write_parquet(table, p))
    return SweepReport(out, len(prep.runs), done_before, len(todo), len(failures),
                       time.perf_counter() - t0, task_s, executor, table,
                       [p.label for p in prep.spec.parameters])


__all__ = ["Prepared", "RunArgs", "RunOutput", "SweepReport", "asdict", "outcome_columns",
           "prepare", "run_sweep", "summarize", "sweep_task"]
