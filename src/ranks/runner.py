"""Run a scenario and write its run directory (manifest, events, stocks), atomically."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import ranks
from ranks import checkpoint
from ranks.engine import RunInfo, Simulation
from ranks.errors import RanksInputError
from ranks.io.inputs import abspath
from ranks.io.outdir import OutputDir
from ranks.io.writers import package_versions, peak_rss_mb, write_json, write_parquet
from ranks.modules.registry import MODULES, validate_modules
from ranks.record import drop_unused_categories
from ranks.scenario.loader import Loaded, dump_resolved, load_scenario
from ranks.scenario.runnable import finish


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> Loaded:
    """Load a scenario for running: the composition root of data and behaviour.

    The data layer validates the core scenario (:func:`~ranks.scenario.loader.load_scenario`,
    ``overrides`` as there); the module registry then validates the ``modules:`` section,
    timeline event types and ``set_param`` paths
    (:func:`~ranks.modules.registry.validate_modules`), then the scenario's levers
    (:func:`~ranks.scenario.levers.check_levers`). Raises ScenarioError on bad input.
    """
    loaded = load_scenario(path, overrides)
    validate_modules(loaded)
    # typed timeline args and the engine's limits: what validates runs
    settable = {name: tuple(cls.settable) for name, cls in MODULES.items()}
    loaded.scenario = finish(loaded.scenario, loaded.locs, loaded.module_params, settable)
    if loaded.scenario.experiments.levers and not overrides:
        # levers are checked on the file as written (module defaults included); a variant
        # with moved values need not keep every other lever's range valid
        from ranks.scenario.levers import check_levers

        check_levers(loaded)
    return loaded


def replicate_seed(root: int, replicate: int) -> int:
    """Seed of replicate ``replicate``: the root seed for replicate 0, then seeds spawned
    from the root with NumPy's SeedSequence (independent streams)."""
    if replicate == 0:
        return int(root)
    ss = np.random.SeedSequence([int(root), int(replicate)])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


@dataclass
class ReplicateResult:
    """Tables and timings of one replicate."""

    replicate: int
    seed: int
    events: pd.DataFrame
    stocks: pd.DataFrame
    info: RunInfo
    totals: dict[str, int]
    #: the simulation, kept only to write its checkpoint
    sim: Simulation | None = None


def run_replicate(loaded: Loaded, seed: int, scale: float, until: dt.date | None,
                  replicate: int = 0, check: bool = False,
                  progress: Callable[[int], None] | None = None, keep: bool = False,
                  sim: Simulation | None = None) -> ReplicateResult:
    """Build and run one replicate (or continue ``sim``, a resumed checkpoint); return its
    tables, and the simulation itself with ``keep`` (to write its checkpoint)."""
    if sim is None:
        sim = Simulation(loaded, seed=seed, scale=scale, until=until, replicate=replicate,
                         check=check)
    info = sim.run(progress)
    return ReplicateResult(replicate, sim.seed, sim.record.events_frame(),
                           sim.record.stocks_frame(), info, dict(sim.record.totals),
                           sim if keep else None)


def scenario_paths(loaded: Loaded, out: Path) -> dict[str, str]:
    """Where the scenario is, for finding it (and its targets) again from any directory:
    the path as given, absolute, and relative to the run directory ``out``."""
    given = Path(loaded.path)
    absolute = abspath(given)
    out_abs = abspath(out)
    try:
        rel = os.path.relpath(absolute, out_abs)
    except ValueError:  # another drive (Windows)
        rel = str(absolute)
    return {"path": str(given), "abs_path": str(absolute), "path_from_run": rel}


def write_run_files(tmp: Path, out: Path, loaded: Loaded, results: list[ReplicateResult],
                    root_seed: int, scale: float, until: dt.date | None, started: float,
                    extra: dict | None = None) -> None:
    """Write events.parquet, stocks.parquet, scenario.resolved.yaml and, last,
    manifest.json into directory ``tmp`` (the run directory ``out`` being made)."""
    sc = loaded.scenario
    end = until or sc.period.end
    saved = [{"replicate": r.replicate, "file": checkpoint.CHECKPOINT.format(r=r.replicate),
              "sha256": checkpoint.save(r.sim, tmp / checkpoint.CHECKPOINT.format(
                  r=r.replicate))} for r in results if r.sim is not None]
    events = pd.concat([r.events for r in results], ignore_index=True)
    stocks = pd.concat([r.stocks for r in results], ignore_index=True)
    for df in (events, stocks):
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype):
                df[c] = drop_unused_categories(df[c].array)
    write_parquet(events, tmp / "events.parquet")
    write_parquet(stocks, tmp / "stocks.parquet")
    (tmp / "scenario.resolved.yaml").write_text(dump_resolved(loaded), encoding="utf-8")
    manifest = {
        "ranks_version": ranks.__version__,
        "scenario": {"name": sc.name, **scenario_paths(loaded, out), "sha256": loaded.digest},
        "seed": root_seed,
        "replicates": [{"replicate": r.replicate, "seed": r.seed} for r in results],
        "scale": scale,
        "start": sc.period.start.isoformat(),
        "end": end.isoformat(),
        "days": results[0].info.days if results else 0,
        "modules": [m for m in loaded.module_params if loaded.module_params[m].enabled],
        "overrides": {k: v for k, v in getattr(loaded, "overrides", {}).items()},
        "people": results[0].info.people if results else 0,
        "households": results[0].info.households if results else 0,
        "runtime_s": round(time.perf_counter() - started, 3),
        "synthesis_s": [round(r.info.synth_s, 3) for r in results],
        "loop_s": [round(r.info.wall_s, 3) for r in results],
        "module_s": [{k: round(v, 3) for k, v in r.info.module_s.items()} for r in results],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "event_totals": [r.totals for r in results],
        "packages": package_versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if saved:
        manifest["checkpoints"] = saved
    if extra:
        manifest.update(extra)
    write_json(manifest, tmp / "manifest.json")


def write_run_dir(out: Path, force: bool, loaded: Loaded, results: list[ReplicateResult],
                  root_seed: int, scale: float, until: dt.date | None, started: float,
                  extra: dict | None = None, target: OutputDir | None = None) -> Path:
    """Write the run directory ``out`` atomically (see :mod:`ranks.io.outdir`): into
    ``target`` when the caller opened it before running, else through a new
    :class:`~ranks.io.outdir.OutputDir`."""

    def write(tmp: Path) -> None:
        write_run_files(tmp, out, loaded, results, root_seed, scale, until, started, extra)

    if target is not None:
        target.write(write)
        return out
    with OutputDir(out, force=force, kind="run") as od:
        od.write(write)
    return out


def run_scenario(loaded: Loaded, out: Path, *, seed: int | None = None, scale: float = 1.0,
                 until: dt.date | None = None, force: bool = False, replicates: int = 1,
                 check: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 replicate_overrides: list[dict] | None = None,
                 extra: dict | None = None, keep_checkpoint: bool = False) -> Path:
    """Run ``replicates`` replicates one after the other and write the run directory
    (with ``keep_checkpoint``, each replicate's state at its end too).

    ``progress(replicate, day)`` is called after each day. ``replicate_overrides[r]``
    (posterior runs) are dotted-path values added to the scenario's overrides for
    replicate r only; ``extra`` goes into the manifest.
    """
    with OutputDir(out, force=force, kind="run") as od:  # checked and locked before running
        started = time.perf_counter()
        root = loaded.scenario.seed if seed is None else seed
        results = []
        for r in range(replicates):
            cb = None if progress is None else (lambda d, r=r: progress(r, d))
            lr = loaded if not replicate_overrides else replicate_loaded(
                loaded, replicate_overrides[r])
            results.append(run_replicate(lr, replicate_seed(root, r), scale, until, r,
                                         check, cb, keep=keep_checkpoint))
        write_run_dir(out, force, loaded, results, root, scale, until, started, extra=extra,
                      target=od)
    return out


def replicate_loaded(loaded: Loaded, overrides: dict) -> Loaded:
    """``loaded`` with ``overrides`` added to its own (re-read and validated)."""
    return load(loaded.path, {**loaded.overrides, **overrides})


def resume_scenario(loaded: Loaded, out: Path, source: Path, *, until: dt.date | None = None,
                    force: bool = False, progress: Callable[[int, int], None] | None = None,
                    keep_checkpoint: bool = False) -> Path:
    """Continue every replicate of the run in ``source`` from its checkpoint under
    ``loaded`` (see :mod:`ranks.checkpoint`) and write the whole run to ``out``."""
    from ranks.report.rundir import load_run_dir

    if Path(out).resolve() == Path(source).resolve():
        raise RanksInputError("--out is the run being continued; write the continued run "
                              "to another directory (the saved run is never replaced)",
                              file=out, field="--out")
    prev = load_run_dir(source)
    for r in prev.replicates:  # every checkpoint checked before anything is unpickled
        checkpoint.verify(source, r, prev.manifest, loaded)
    with OutputDir(out, force=force, kind="run") as od:  # checked and locked before running
        started = time.perf_counter()
        results = []
        for r in prev.replicates:
            state = checkpoint.load(source, r, prev.manifest, loaded)
            sim = checkpoint.resume(state, loaded, until, source)
            cb = None if progress is None else (lambda d, r=r: progress(r, d))
            results.append(run_replicate(loaded, sim.seed, sim.scale, until, r, progress=cb,
                                         keep=keep_checkpoint, sim=sim))
        extra = {"resumed_from": {"run": str(source), "day": int(state["day"]),
                                  "date": str(sim.world.date(int(state["day"])))}}
        write_run_dir(out, force, loaded, results, int(prev.manifest.get("seed", 0)),
                      prev.scale, until, started, extra, target=od)
    return out


__all__ = ["ReplicateResult", "asdict", "load", "replicate_seed", "resume_scenario",
           "run_replicate", "run_scenario", "scenario_paths", "write_run_dir", "write_run_files"]
