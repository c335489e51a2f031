"""Time the phases of `ranks run` outside the day loop, old code against new (issue 11).

Each run is one fresh process (pinned to one core, ``taskset -c $RANKS_BENCH_CPU``,
default 0) that runs the `ranks` command line in-process on the flagship, with these
phases timed around the functions both codes have:

- ``import``: ``import ranks.cli`` and ``ranks.runner`` (what the command line imports,
  and what `ranks run` imports when it starts: the engine, the modules, the kernels);
- ``load``: ``ranks.runner.load`` (YAML, CSVs, validation of the scenario and modules);
- ``synthesis``: the people and households (``synthesis_s`` of the manifest);
- ``setup``: building the simulation apart from synthesis (world, modules, recorder);
- ``loop``: the day loop (``loop_s`` of the manifest; not this benchmark's subject);
- ``tables``: ``Recorder.events_frame`` and ``Recorder.stocks_frame``;
- ``write``: ``ranks.runner.write_run_dir`` (Parquet, resolved scenario, manifest, the
  move into place);
- ``other``: the rest (interpreter start and exit, option parsing, the output checks);
- ``total``: the whole process, timed from the parent.

With ``--before SRC`` (the ``src`` folder of another checkout, e.g. made with
``git worktree add --detach /tmp/before main``) that code is timed too, the two codes
alternating so that both see the same machine load; a tiny run of each first warms its
cache of compiled loops (untimed). ``--until`` shortens the day loop (the other phases
keep their size except the tables, which hold fewer days). Both codes' outputs are
compared: the Parquet files and the resolved scenario must be the same bytes.

Writes benchmarks/results/startup_phases.json. Usage:
    python benchmarks/startup_phases.py [--repeat 3] [--before SRC] [--until DATE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "deir-ezzor-2014-2017.yaml"
OUT = ROOT / "benchmarks" / "results" / "startup_phases.json"
PHASES = ("import", "load", "synthesis", "setup", "loop", "tables", "write", "other",
          "total")

#: The child: the command line in-process, phases timed by wrapping functions by name.
CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import ranks.cli
import ranks.runner as runner  # what `ranks run` imports when it starts running
import ranks.engine as engine
from ranks.record import Recorder
t_import = time.perf_counter() - t0
spent = {"load": 0.0, "tables": 0.0, "write": 0.0, "init": 0.0}

def timing(key, fn):
    def wrapped(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spent[key] += time.perf_counter() - t
    return wrapped

runner.load = timing("load", runner.load)
runner.write_run_dir = timing("write", runner.write_run_dir)
Recorder.events_frame = timing("tables", Recorder.events_frame)
Recorder.stocks_frame = timing("tables", Recorder.stocks_frame)
engine.Simulation.__init__ = timing("init", engine.Simulation.__init__)
sys.argv = ["ranks", *sys.argv[1:]]
t1 = time.perf_counter()
try:
    ranks.cli.main()
except SystemExit as e:
    if e.code not in (0, None):
        raise
spent["main"] = time.perf_counter() - t1
spent["import"] = t_import
print("PHASES " + json.dumps(spent))
"""


def run_once(src: Path, scenario: str, out: Path, until: str | None) -> dict[str, float]:
    """Phase seconds of one run of the code in ``src`` (a fresh process)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-c", CHILD, "run", scenario, "--out", str(out), "--force", "-q"]
    if until:
        cmd += ["--until", until]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", os.environ.get("RANKS_BENCH_CPU", "0"), *cmd]
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    total = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {r.stderr[-3000:]}")
    line = next(x for x in r.stdout.splitlines() if x.startswith("PHASES "))
    spent = json.loads(line[len("PHASES "):])
    m = json.loads((out / "manifest.json").read_text())
    synth, loop = m["synthesis_s"][0], m["loop_s"][0]
    ph = {"import": spent["import"], "load": spent["load"], "synthesis": synth,
          "setup": spent["init"] - synth, "loop": loop, "tables": spent["tables"],
          "write": spent["write"], "total": total}
    ph["other"] = total - sum(v for k, v in ph.items() if k != "total")
    return {k: round(ph[k], 3) for k in PHASES}


def digests(out: Path) -> dict[str, str]:
    return {f: hashlib.md5((out / f).read_bytes()).hexdigest()[:12]
            for f in ("events.parquet", "stocks.parquet", "scenario.resolved.yaml")}


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in PHASES}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scenario", default=str(FLAGSHIP))
    ap.add_argument("--before", default=None, help="src folder of the code to compare with")
    ap.add_argument("--until", default=None, help="stop the runs before this date")
    args = ap.parse_args()
    codes = {"after": ROOT / "src"}
    if args.before:
        codes["before"] = Path(args.before).resolve()
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in codes}
    loads: list[tuple[float, float, float]] = [os.getloadavg()]
    outs: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, src in codes.items():  # warm each code's cache of compiled loops
            run_once(src, args.scenario, Path(tmp) / f"warm-{name}", "2014-06-10")
        for _ in range(args.repeat):
            for name, src in codes.items():
                out = Path(tmp) / name
                runs[name].append(run_once(src, args.scenario, out, args.until))
                outs[name] = digests(out)
                loads.append(os.getloadavg())
    res: dict = {
        "scenario": str(Path(args.scenario).resolve().relative_to(ROOT)),
        "until": args.until,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "pinned_to_one_core": bool(shutil.which("taskset"))},
        "load_avg_1min": [round(x[0], 2) for x in loads],
        "phases": list(PHASES),
        "median_s": {k: summary(v) for k, v in runs.items()},
        "runs_s": runs,
        "parquet_md5": outs,
    }
    if "before" in runs:
        a, b = res["median_s"]["after"], res["median_s"]["before"]
        res["before_src"] = args.before
        res["saved_s"] = {k: round(b[k] - a[k], 3) for k in PHASES}
        non_loop = [k for k in PHASES if k not in ("loop", "total")]
        res["non_loop_s"] = {"before": round(sum(b[k] for k in non_loop), 3),
                             "after": round(sum(a[k] for k in non_loop), 3)}
        res["same_output_bytes"] = outs["after"] == outs["before"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({k: res[k] for k in res if k != "runs_s"}, indent=2))


if __name__ == "__main__":
    main()
