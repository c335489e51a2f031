"""Ranks vs Flee 3.1 (PyPI) on FabFlee's conflicts, side by side.

For each FabFlee conflict (``config_files/<name>`` or ``<config>/SWEEP/<name>``: ``input_csv/``,
``source_data/``, ``simsetting.yml``) this runs the Ranks engine for ``--seeds`` seeds and Flee
3.1 for ``--flee-seeds`` seeds, each run a separate single-threaded subprocess run one at a
time (wall and CPU time of reading + simulation, interpreter start-up and imports excluded;
peak RSS from ``wait4``), and scores both with the same functions
(``ranks.flee.validation.metrics``): ``averaged_relative_difference`` (ARD), ``total_error`` and
the bounded ``maape``.  A conflict passes when Ranks' mean ARD and mean total_error are both
within max(0.05, 10 %) of Flee's.

Flee is driven as its ``runscripts/run.py`` (3.1) does, reading ``sim_period.csv`` when there is
no ``conflict_period.csv``, with ``agents.csv`` when the settings ask for it and with the
``input_csv/demographics_*.csv`` files (Flee reads them from the working directory's
``input_csv/``).  Both engines read the same copy of the conflict's ``simsetting.yml`` in which
the log levels are set to 0 (Flee would otherwise write agent and link logs every day) and, for
the large conflicts, ``optimisations.hasten`` is raised so that a Flee run stays within
``--budget`` agent-steps (one agent then stands for ``hasten`` people in both; the hasten used is
in the JSON).  A conflict Flee 3.1 cannot run is listed with the reason and not counted.

Usage (FabFlee's ``config_files`` from ``$RANKS_FABFLEE_DIR``)::

    python benchmarks/flee_fabflee.py --seeds 5 --flee-seeds 1 --cache /tmp/ffcache
    python benchmarks/flee_fabflee.py --conflicts validation/SWEEP/mali2012 --flee-seeds 0

Runs are cached in ``--cache`` (one JSON per engine, conflict, hasten and seed) so an
interrupted comparison resumes; ``--rerun-ranks`` measures Ranks again.  The summary is written
to ``benchmarks/results/flee_fabflee.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _flee31 import flee_importable, import_flee, load_flee, quiet
from _timing import stamp, worker_env

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "flee_fabflee.json"

#: Conflicts compared by default (paths under FabFlee's config_files/).  FabFlee's own
#: validation set (validation/SWEEP, settings validation/simsetting.yml) and the other
#: conflict configurations with validation data that Flee 3.1's library can read.
DEFAULT_CONFLICTS = [
    "moo_f1_c3_t4",
    "validation/SWEEP/mali2012",
    "mali2012",
    "validation/SWEEP/burundi2015",
    "validation/SWEEP/tigray2020",
    "validation/SWEEP/nigeria2022_adm2",
    "validation/SWEEP/mali2017_adm1",
    "mali2017_adm1",
    "ethiopia",
    "mali2022_2024",
    "syria2022_2024",
    "moo_ssudan_H10_3obj",
    "validation/SWEEP/car2013",
    "validation/SWEEP/ssudan2013",
    "validation/SWEEP/ssudan2016",
    "validation/SWEEP/syria2013",
    "validation/SWEEP/ukraine2022",
    "validation/SWEEP/nigeria2016",
    "nigeria2016_adm2",
    "validation/SWEEP/venezuela2022",
]

HASTEN_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

#: FabFlee conflicts left out of the comparison, probed with ``--probe-excluded``: whether
#: Ranks reads them and whether Flee 3.1 (driven as above) runs their first two days, with
#: the error message when it does not.  Flood (DFlee) conflicts, conflicts run by their own
#: scripts (no period file), broken inputs, and duplicate location names.
EXCLUDED_PROBE = [
    "Ethiopia_dflee", "Mozambique_dflee", "Nigeria_dflee", "dflee_bangladesh_khulna_dist",
    "dflee_example", "dflee_weather_example", "validation_dflee/Ethiopia_dflee",
    "validation_dflee/dflee_test_small_flooding_revised",
    "flee_ssudan", "flee_ssudan_food", "mali_vis", "ssudan_food", "ssudan_macro_test",
    "mali-freek", "syria2017_adm1", "mali2017_adm2", "nigeria2019", "ssudan_whole_revised",
]


# --------------------------------------------------------------------------- settings copy


def settings_copy(config: Path, hasten: int | None, out: Path) -> Path:
    """Write the conflict's settings with log levels 0 (and ``hasten`` if given) to ``out``."""
    import yaml

    from ranks.flee.fabflee import resolve_layout

    src = resolve_layout(config).settings
    data: dict[str, Any] = {}
    if src is not None:
        data = yaml.safe_load(src.read_text(encoding="utf-8")) or {}
    levels = data.get("log_levels") or {}
    data["log_levels"] = {k: (0 if k != "granularity" else v) for k, v in levels.items()}
    if hasten is not None:
        opt = data.get("optimisations") or {}
        opt["hasten"] = int(hasten)
        data["optimisations"] = opt
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def base_hasten(settings: Path) -> int:
    """``optimisations.hasten`` of a settings file (1 when absent)."""
    import yaml

    data = yaml.safe_load(settings.read_text(encoding="utf-8")) or {}
    return int(((data.get("optimisations") or {}).get("hasten")) or 1)


# --------------------------------------------------------------------------- workers


def flee_worker(config: Path, settings: Path, seed: int, days: int | None) -> dict[str, Any]:
    """Run Flee 3.1 on a FabFlee conflict as its run.py does; return per-day camp counts."""
    import random

    import numpy as np

    from ranks.flee.fabflee import resolve_layout

    layout = resolve_layout(config)
    inp, val = layout.input_dir, layout.validation_dir
    random.seed(seed)
    np.random.seed(seed)
    work = Path(tempfile.mkdtemp(prefix="flee-run-"))
    (work / "input_csv").symlink_to(inp.resolve())  # Flee reads input_csv/demographics_*.csv
    os.chdir(work)
    try:
        with quiet():
            import_flee()
            from flee import spawning

            if os.environ.get("RANKS_FLEE_PATCH_MOVING_IMPORT") == "1":
                # Flee 3.1's moving.py uses spawning.getAttributeRatio (Match*Ethnicity rules)
                # without importing spawning, so those rules stop with a NameError; the tests
                # add the missing import to compare with the rule as written.
                import flee.moving as flee_moving

                flee_moving.spawning = spawning

            import gc

            gc.collect()
            gc.freeze()  # as for Ranks: the imports' objects are left out of collections
            wall0, cpu0 = time.perf_counter(), time.process_time()
            m = load_flee(inp, val, settings, days, ("conflict_period.csv", "sim_period.csv"),
                          agents_csv=True)
            sim: list[list[int]] = []
            obs: list[list[float]] = []
            total: list[float] = []
            agent_steps = 0
            loop0 = time.perf_counter()
            for t in range(m.days):
                agent_steps += m.day(t)[0]
                sim.append([m.lm[c].numAgents for c in m.camps])
                obs.append([m.d.get_field(c, t) for c in m.camps])
                total.append(m.d.get_field("total", t))
            loop_s = time.perf_counter() - loop0
            wall_s = time.perf_counter() - wall0
            cpu_s = time.process_time() - cpu0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"engine": "flee-3.1", "seed": seed, "days": m.days, "camps": m.camps,
            "agents_final": len(m.e.agents), "agent_steps": agent_steps, "wall_s": wall_s,
            "cpu_s": cpu_s, "loop_s": loop_s, "sim": sim, "obs": obs, "total": total}


def ranks_worker(config: Path, settings: Path, seed: int, days: int | None) -> dict[str, Any]:
    """Run the Ranks engine on a FabFlee conflict; return per-day camp counts."""
    import gc

    import numpy as np
    import psutil  # noqa: F401 - imported lazily by the reader's memory check: an import

    from ranks.flee import daymoves
    from ranks.flee.engine import run_scenario
    from ranks.flee.reader import read_scenario

    # Numba's start in this process (its initialisation and loading the compiled day
    # from the disk cache) is paid once, like an import: done here, timed apart.
    startup_cpu_s = daymoves.warm_up()
    gc.collect()
    gc.freeze()  # the imports' objects are not scanned again by the timed run's collections
    wall0, cpu0 = time.perf_counter(), time.process_time()
    scen = read_scenario(config, None, settings, days=days)
    res = run_scenario(scen, seed=seed)
    wall_s, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0
    has = ~np.isnan(res.camp_obs[0])
    return {"engine": "ranks", "seed": seed, "days": scen.days,
            "camps": [c for c, h in zip(res.camp_names, has, strict=True) if h],
            "agents_final": int(res.agents_final), "agent_steps": int(res.agent_steps),
            "wall_s": wall_s, "cpu_s": cpu_s, "loop_s": res.loop_s,
            "startup_cpu_s": startup_cpu_s,
            "sim": res.camp_sim[:, has].tolist(), "obs": res.camp_obs[:, has].tolist(),
            "total": res.total_obs.tolist(), "warnings": res.warnings}


# --------------------------------------------------------------------------- driver


def score(run: dict[str, Any]) -> dict[str, float]:
    """The three metrics of a run from its per-day camp counts."""
    import numpy as np

    from ranks.flee.validation import metrics

    sim = np.asarray(run["sim"], dtype=np.float64).reshape(len(run["sim"]), -1)
    obs = np.asarray(run["obs"], dtype=np.float64).reshape(sim.shape)
    return metrics(sim, obs, np.asarray(run["total"], dtype=np.float64))


def run_sub(python: str, engine: str, config: Path, settings: Path, seed: int,
            days: int | None, timeout: float | None) -> dict[str, Any]:
    """Run one worker in its own process; add its peak RSS (MB) from wait4, or its error."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        err = Path(tmp) / "err.txt"
        cmd = [python, str(Path(__file__).resolve()), "--worker", engine, "--config",
               str(config), "--settings-file", str(settings), "--seed", str(seed),
               "--json-out", str(out)]
        if days:
            cmd += ["--days", str(days)]
        env = worker_env()
        with open(err, "w") as fh:
            proc = subprocess.Popen(cmd, cwd=tmp, env=env, stderr=fh,
                                    stdout=subprocess.DEVNULL)
            t0 = time.monotonic()
            while True:
                pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if timeout and time.monotonic() - t0 > timeout:
                    proc.kill()
                    pid, status, rusage = os.wait4(proc.pid, 0)
                    return {"error": f"timed out after {timeout:.0f} s"}
                time.sleep(0.05)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or not out.exists():
            tail = [ln.strip() for ln in err.read_text(errors="replace").strip().splitlines()
                    if ln.strip(" ~^")][-2:]  # the failing line and the exception
            return {"error": f"exit code {code}: " + " | ".join(tail)}
        res = json.loads(out.read_text())
    res["peak_rss_mb"] = rusage.ru_maxrss / 1024.0  # Linux: KiB
    res["loadavg_1m_at_end"] = os.getloadavg()[0]  # the machine's load while it ran
    res["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return res


def estimate_agent_steps(config: Path, tmpdir: Path, days: int | None) -> int:
    """Agent-steps of a run at the settings' hasten, estimated as the sum over days of the
    refugee total (data-driven spawning adds agents up to it); raises when Ranks cannot read
    the conflict."""
    from ranks.flee.reader import read_scenario

    scen = read_scenario(config, None, settings_copy(config, None, tmpdir / "probe.yml"),
                         days=days)
    if scen.validation is None or scen.settings.conflict_driven_spawning:
        return int(run_sub(sys.executable, "ranks", config, tmpdir / "probe.yml", 0, days,
                           None).get("agent_steps", 0))
    return int(scen.validation.total.sum())


def choose_hasten(base: int, agent_steps: int, budget: float) -> int:
    """The smallest hasten >= base (from 1-2-5 steps x base) keeping agent-steps <= budget."""
    for k in HASTEN_STEPS:
        if agent_steps / k <= budget:
            return base * k
    return base * HASTEN_STEPS[-1]


def _mean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    return statistics.fmean(xs) if xs else None


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over runs (metrics, speed) and the largest peak RSS."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"runs": 0}
    steps = sum(r["agent_steps"] for r in ok)
    out: dict[str, Any] = {"runs": len(ok), "seeds": [r["seed"] for r in ok]}
    for key in ("averaged_relative_difference", "total_error", "maape"):
        vals = [r["metrics"][key] for r in ok]
        out[key] = _mean(vals)
        out[key + "_range"] = [min(vals), max(vals)]
    out.update(
        agent_steps_per_run=_mean([r["agent_steps"] for r in ok]),
        agents_final=_mean([r["agents_final"] for r in ok]),
        wall_s_mean=_mean([r["wall_s"] for r in ok]),
        agent_steps_per_wall_s=steps / sum(r["wall_s"] for r in ok),
        agent_steps_per_cpu_s=steps / sum(r["cpu_s"] for r in ok),
        agent_steps_per_cpu_s_with_startup=steps / sum(r["cpu_s"] + r.get("startup_cpu_s", 0.0)
                                                       for r in ok),
        peak_rss_mb_max=max(r["peak_rss_mb"] for r in ok),
        finished_utc=max(r.get("finished_utc", "") for r in ok),
    )
    return out


def within(r: float | None, f: float | None) -> bool | None:
    """Ranks' error within max(0.05, 10 %) of Flee's."""
    if r is None or f is None:
        return None
    return abs(r - f) <= max(0.05, 0.10 * abs(f))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fabflee", type=Path, default=os.environ.get("RANKS_FABFLEE_DIR"),
                    help="FabFlee config_files directory (default: $RANKS_FABFLEE_DIR)")
    ap.add_argument("--conflicts", default=",".join(DEFAULT_CONFLICTS))
    ap.add_argument("--seeds", type=int, default=5, help="Ranks seeds per conflict")
    ap.add_argument("--flee-seeds", type=int, default=1, help="Flee seeds per conflict")
    ap.add_argument("--budget", type=float, default=4e6,
                    help="largest agent-steps per Flee run (hasten is raised above it)")
    ap.add_argument("--days", type=int, default=None, help="truncate runs (testing only)")
    ap.add_argument("--flee-python", default=os.environ.get("FLEE_PYTHON", sys.executable))
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ranks-ffcache")
    ap.add_argument("--rerun-ranks", action="store_true")
    ap.add_argument("--flee-timeout", type=float, default=3600.0)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--probe-excluded", action="store_true",
                    help="also try the EXCLUDED_PROBE conflicts (2 days each) and say why")
    ap.add_argument("--markdown", type=Path, default=None,
                    help="print a results JSON as a Markdown table and exit")
    ap.add_argument("--worker", choices=["flee", "ranks"], help=argparse.SUPPRESS)
    ap.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--settings-file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0
    if args.worker:
        fn = flee_worker if args.worker == "flee" else ranks_worker
        res = fn(args.config, args.settings_file, args.seed, args.days)
        args.json_out.write_text(json.dumps(res))
        return 0

    if args.fabflee is None or not Path(args.fabflee).is_dir():
        print("FabFlee config_files not found: pass --fabflee or set RANKS_FABFLEE_DIR",
              file=sys.stderr)
        return 2
    root = Path(args.fabflee)
    args.cache.mkdir(parents=True, exist_ok=True)
    have_flee = args.flee_seeds > 0 and flee_importable(args.flee_python, timeout=300)
    report: dict[str, Any] = {
        **stamp(),
        "method": (
            "each run is a separate single-threaded subprocess, one at a time; Ranks' seeds of "
            "a conflict run just before Flee's, except where a run comes from --cache (marked "
            "cached, with its finished_utc and loadavg_1m_at_end): then the two engines were "
            "timed at different times and the CPU-time ratio (speedup_cpu) is the figure that "
            "depends least on the machine's load; wall_s/cpu_s cover reading + simulation "
            "(imports excluded); agent-steps = sum over days of agents alive (the same for "
            "both engines); peak_rss_mb from wait4; both read the same settings copy (log "
            "levels 0, hasten as listed); metrics from ranks.flee.validation.metrics on both. "
            "Pass: |Ranks - Flee| <= max(0.05, 10% of Flee) for mean ARD and mean total_error. "
            "Before the timer each worker collects and freezes the garbage of its imports "
            "(gc.freeze; Flee runs cached from before this was added were timed without it), "
            "and Ranks' worker starts Numba (initialisation, loading the compiled day from "
            "the disk cache): its CPU time is startup_cpu_s, left out of cpu_s like an import "
            "and counted in speedup_cpu_with_startup."
        ),
        "flee_available": have_flee,
        "fabflee_dir": str(root),
        "budget_agent_steps": args.budget,
        "days_truncated_to": args.days,
        "conflicts": {},
    }
    for name in [c for c in args.conflicts.split(",") if c]:
        config = root / name
        entry: dict[str, Any] = {"path": name}
        report["conflicts"][name] = entry
        key = name.replace("/", "__")
        tmpdir = Path(tempfile.mkdtemp(prefix="ffbench-"))
        try:
            from ranks.flee.fabflee import resolve_layout

            lay = resolve_layout(config)
            if lay.settings is None or lay.validation_dir is None:
                entry["status"] = "skipped: no simsetting.yml or no source_data/data_layout.csv"
                print(f"{name}: {entry['status']}", flush=True)
                continue
            base = base_hasten(lay.settings)
            try:
                steps_est = estimate_agent_steps(config, tmpdir, args.days)
            except Exception as exc:  # Ranks cannot read it: say why, skip Flee too
                entry["status"] = f"ranks cannot run it: {exc}"
                print(f"{name}: {entry['status']}", flush=True)
                continue
            cached = sorted(args.cache.glob(f"{key}__flee_h*_s0_d{args.days or 'all'}.json"))
            if cached:  # keep the hasten of a Flee run already made
                hasten = int(cached[0].name.split("__flee_h")[1].split("_")[0])
            else:
                hasten = choose_hasten(base, steps_est, args.budget)
            entry.update(hasten=hasten, hasten_in_settings=base,
                         agent_steps_estimate_at_settings_hasten=steps_est)
            sfile = settings_copy(config, hasten, tmpdir / "simsetting.yml")
            runs: dict[str, list[dict[str, Any]]] = {"ranks": [], "flee": []}
            plan = [("ranks", s) for s in range(args.seeds)]
            plan += [("flee", s) for s in range(args.flee_seeds if have_flee else 0)]
            for engine, seed in plan:
                cache = args.cache / f"{key}__{engine}_h{hasten}_s{seed}_d{args.days or 'all'}.json"
                if cache.exists() and not (engine == "ranks" and args.rerun_ranks):
                    r = json.loads(cache.read_text())
                    r["cached"] = True
                else:
                    python = args.flee_python if engine == "flee" else sys.executable
                    timeout = args.flee_timeout if engine == "flee" else None
                    r = run_sub(python, engine, config, sfile, seed, args.days, timeout)
                    if "error" not in r:
                        r["metrics"] = score(r)
                    r["cached"] = False
                    # Flee's failures are final (it cannot run the conflict); a timeout is not
                    if "error" not in r or (engine == "flee"
                                            and not r["error"].startswith("timed out")):
                        cache.write_text(json.dumps(r))
                if "error" in r:
                    print(f"{name} {engine} seed {seed}: {r['error']}", flush=True)
                else:
                    m = r["metrics"]
                    print(f"{name} {engine} seed {seed}: "
                          f"ARD {m['averaged_relative_difference']:.4f}"
                          f" TE {m['total_error']:.4f} wall {r['wall_s']:.1f}s "
                          f"rss {r['peak_rss_mb']:.0f}MB", flush=True)
                runs[engine].append({k: v for k, v in r.items()
                                     if k not in ("sim", "obs", "total")})
            ra, fa = aggregate(runs["ranks"]), aggregate(runs["flee"])
            entry.update(ranks=ra, flee=fa, ranks_runs=runs["ranks"], flee_runs=runs["flee"])
            flee_errors = [r["error"] for r in runs["flee"] if "error" in r]
            if flee_errors and not fa.get("runs"):
                entry["status"] = (f"Flee run {flee_errors[0]}"
                                   if flee_errors[0].startswith("timed out")
                                   else f"Flee 3.1 cannot run it: {flee_errors[0]}")
            elif ra.get("runs") and fa.get("runs"):
                ok_ard = within(ra["averaged_relative_difference"],
                                fa["averaged_relative_difference"])
                ok_te = within(ra["total_error"], fa["total_error"])
                entry.update(
                    ard_difference=ra["averaged_relative_difference"]
                    - fa["averaged_relative_difference"],
                    total_error_difference=ra["total_error"] - fa["total_error"],
                    ard_within=ok_ard, total_error_within=ok_te,
                    within_tolerance=bool(ok_ard and ok_te),
                    speedup_wall=ra["agent_steps_per_wall_s"] / fa["agent_steps_per_wall_s"],
                    speedup_cpu=ra["agent_steps_per_cpu_s"] / fa["agent_steps_per_cpu_s"],
                    speedup_cpu_with_startup=(ra["agent_steps_per_cpu_s_with_startup"]
                                              / fa["agent_steps_per_cpu_s"]),
                    rss_ratio=ra["peak_rss_mb_max"] / fa["peak_rss_mb_max"],
                    status="compared")
            else:
                entry["status"] = "ranks only" if ra.get("runs") else "no runs"
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report["summary"] = summarize(report["conflicts"])
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    if args.probe_excluded:
        report["excluded"] = {name: probe_excluded(root / name, args.flee_python if have_flee
                                                   else None) for name in EXCLUDED_PROBE}
    report["summary"] = summarize(report["conflicts"], report.get("excluded"))
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    s = report["summary"]
    print(json.dumps(s, indent=1))
    return 0


def markdown(report: dict[str, Any]) -> str:
    """The comparison as Markdown tables (for docs/flee-compatibility.md)."""
    lines = ["| conflict | hasten | agent-steps per run | ARD Ranks / Flee | total error Ranks / "
             "Flee | MAAPE Ranks / Flee | within | agent-steps/s Ranks / Flee (CPU) | ratio "
             "CPU; wall | peak MB Ranks / Flee |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in report["conflicts"].items():
        if c.get("status") != "compared":
            status = " / ".join(p.strip() for p in str(c.get("status", "")).split("|")
                                if p.strip(" ~^"))
            lines.append(f"| {name} | {c.get('hasten', '')} | {status} ||||||||")
            continue
        r, f = c["ranks"], c["flee"]
        lines.append(
            f"| {name} | {c['hasten']} | {r['agent_steps_per_run'] / 1e6:.2f} M | "
            f"{r['averaged_relative_difference']:.3f} / "
            f"{f['averaged_relative_difference']:.3f} | {r['total_error']:.3f} / "
            f"{f['total_error']:.3f} | {r['maape']:.3f} / {f['maape']:.3f} | "
            f"{'yes' if c['within_tolerance'] else 'no'} | "
            f"{r['agent_steps_per_cpu_s'] / 1e6:.2f} M / "
            f"{f['agent_steps_per_cpu_s'] / 1e6:.3f} M | {c['speedup_cpu']:.0f}x; "
            f"{c['speedup_wall']:.0f}x | {r['peak_rss_mb_max']:.0f} / "
            f"{f['peak_rss_mb_max']:.0f} |")
    if report.get("excluded"):
        lines += ["", "| excluded conflict | Ranks | Flee 3.1 (its first 2 days) |",
                  "|---|---|---|"]
        for name, e in report["excluded"].items():
            ranks, flee = (" ".join(e[k].replace("|", "/").split()) for k in ("ranks", "flee"))
            lines.append(f"| {name} | {ranks} | {flee} |")
    return "\n".join(lines)


def probe_excluded(config: Path, flee_python: str | None) -> dict[str, Any]:
    """Whether Ranks reads a conflict and Flee 3.1 runs its first two days (with reasons)."""
    from ranks.flee.reader import read_scenario

    out: dict[str, Any] = {}
    try:
        read_scenario(config, None, None, days=2)
        out["ranks"] = "reads it"
    except Exception as exc:
        out["ranks"] = f"cannot read it: {exc}"
    if flee_python is None:
        out["flee"] = "not tried (Flee not importable)"
        print(f"{config.name}: {out}", flush=True)
        return out
    with tempfile.TemporaryDirectory() as tmp:
        try:
            sfile = settings_copy(config, None, Path(tmp) / "simsetting.yml")
        except Exception as exc:
            out["flee"] = f"cannot run it: settings: {exc}"
            print(f"{config.name}: {out}", flush=True)
            return out
        r = run_sub(flee_python, "flee", config, sfile, 0, 2, 600.0)
    out["flee"] = f"cannot run it: {r['error']}" if "error" in r else "runs its first 2 days"
    print(f"{config.name}: {out}", flush=True)
    return out


def summarize(conflicts: dict[str, dict[str, Any]],
              excluded: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Counts of compared / within-tolerance conflicts, median speed-up, memory ratios."""
    comp = [c for c in conflicts.values() if c.get("status") == "compared"]
    speed = [c["speedup_wall"] for c in comp]
    cpu = [c["speedup_cpu"] for c in comp]
    rss = [c["rss_ratio"] for c in comp]
    return {
        "compared": len(comp),
        "within_tolerance": sum(1 for c in comp if c["within_tolerance"]),
        "flee_cannot_run": sorted(
            [n for n, c in conflicts.items()
             if str(c.get("status", "")).startswith("Flee 3.1 cannot")]
            + [n for n, c in (excluded or {}).items() if c["flee"].startswith("cannot")]),
        "ranks_cannot_run": sorted(
            [n for n, c in conflicts.items()
             if str(c.get("status", "")).startswith("ranks cannot")]
            + [n for n, c in (excluded or {}).items() if c["ranks"].startswith("cannot")]),
        "median_speedup_wall": statistics.median(speed) if speed else None,
        "min_speedup_wall": min(speed) if speed else None,
        "median_speedup_cpu": statistics.median(cpu) if cpu else None,
        "min_speedup_cpu": min(cpu) if cpu else None,
        "speedup_cpu_at_least_100": sum(1 for x in cpu if x >= 100),
        "speedup_cpu_with_startup_at_least_100": sum(
            1 for c in comp if c.get("speedup_cpu_with_startup", 0) >= 100),
        "median_speedup_cpu_with_startup": statistics.median(
            [c.get("speedup_cpu_with_startup", c["speedup_cpu"]) for c in comp])
        if comp else None,
        "median_rss_ratio": statistics.median(rss) if rss else None,
        "max_ranks_rss_mb": max((c["ranks"]["peak_rss_mb_max"] for c in comp), default=None),
    }


if __name__ == "__main__":
    raise SystemExit(main())
