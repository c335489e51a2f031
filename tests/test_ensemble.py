"""Ensembles on Dask: replicates in parallel equal replicates in series; sweeps resume after
a kill and survive a dying worker; bad sweep files exit 2 naming file and line; Sobol and
Morris indices point at the parameter that drives the outcome.

Sweeps use the demo region with only the mortality module (``mini``): its outcomes must not
move when the sweep changes another module's parameters, so the tests stay meaningful while
other modules are added to the demo. One LocalCluster of 2 worker processes is shared by
the tests of this file.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import yaml
from distributed import LocalCluster

from ranks.cli import app
from ranks.ensemble.cluster import NO_DASHBOARD_PORT, worker_loaded
from ranks.ensemble.replicates import replicate_task, run_replicates_dask
from ranks.ensemble.sensitivity import analyze, write_outputs
from ranks.ensemble.sweep import RunArgs, RunOutput, run_sweep, sweep_task
from ranks.errors import RanksInputError
from ranks.runner import ReplicateResult, load, run_scenario

from .conftest import DEMO, POPULATION, SOURCES

# Fault-injecting tasks below are shipped to workers by value (workers need not import tests).
cloudpickle.register_pickle_by_value(sys.modules[__name__])

SCALE_ARGS = ["--scale", "0.05", "--until", "2014-09-01"]


@pytest.fixture(scope="module")
def scheduler():
    """Address of a LocalCluster with 2 single-threaded worker processes."""
    import logging

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR,
                      scheduler_kwargs=NO_DASHBOARD_PORT) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo region with only the mortality module enabled."""
    d = yaml.safe_load(DEMO.read_text("utf-8"))
    d["population"] = str(POPULATION)
    d["evidence"] = str(SOURCES)
    d["modules"] = {"mortality": {}}
    d["timeline"] = []  # a dated set_param of the rate would override the swept value
    d.pop("experiments", None)  # the demo's levers name entries and modules removed here
    path = tmp_path_factory.mktemp("mini") / "mini.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    return path


def write_sweep(path: Path, design: str, body: str) -> Path:
    """A sweep over the mortality rate (drives deaths) and median savings (does not)."""
    path.write_text(f"""design: {design}
{body}
parameters:
  - path: modules.mortality.background_per_year.value
    name: background
    min: 0.002
    max: 0.04
  - path: population.savings_usd_median.value
    name: savings
    min: 100
    max: 600
outcomes:
  - {{name: died_late, event: died, from: 2014-06-15}}
""", encoding="utf-8")
    return path


def same_files(a: Path, b: Path, names: tuple[str, ...] = ("events.parquet", "stocks.parquet")
               ) -> None:
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), f"{a / n} differs from {b / n}"


def same_sweeps(a: Path, b: Path) -> None:
    ra = pd.read_parquet(a / "runs.parquet").drop(columns="runtime_s")
    rb = pd.read_parquet(b / "runs.parquet").drop(columns="runtime_s")
    pd.testing.assert_frame_equal(ra, rb)
    assert (ra["status"] == "ok").all()
    for rid in ra["run_id"]:
        same_files(a / "runs" / rid, b / "runs" / rid)
    assert (a / "design.parquet").read_bytes() == (b / "design.parquet").read_bytes()


@pytest.mark.slow
# -- replicates --------------------------------------------------------------------------------
def test_replicates_in_parallel_equal_replicates_in_series(tmp_path: Path, runner) -> None:
    serial, par = tmp_path / "serial", tmp_path / "parallel"
    r1 = runner.invoke(app, ["run", str(DEMO), "--out", str(serial), "--replicates", "4",
                             "-q", *SCALE_ARGS])
    assert r1.exit_code == 0, r1.output
    r2 = runner.invoke(app, ["run", str(DEMO), "--out", str(par), "--replicates", "4",
                             "--workers", "2", "-q", *SCALE_ARGS])
    assert r2.exit_code == 0, r2.output
    same_files(serial, par)
    ev = pd.read_parquet(par / "events.parquet")
    assert sorted(ev["replicate"].unique()) == [0, 1, 2, 3]
    per_rep = ev.groupby("replicate")["count"].sum()
    assert per_rep.nunique() > 1, "replicates should differ (distinct spawned seeds)"
    man = json.loads((par / "manifest.json").read_text())
    assert man["executor"]["kind"] == "dask" and man["executor"]["worker_threads"] == 2
    assert [r["seed"] for r in man["replicates"]] == [
        r["seed"] for r in json.loads((serial / "manifest.json").read_text())["replicates"]]


def kill_first_attempt(path: str, digest: str, seed: int, scale: float, until, replicate: int,
                       check: bool, *, marker_dir: str, **kw) -> ReplicateResult:
    """Replicate 1 kills its own worker process on its first attempt."""
    marker = Path(marker_dir) / "rep-killed"
    if replicate == 1 and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return replicate_task(path, digest, seed, scale, until, replicate, check, **kw)


def kill_run_first_attempt(args: RunArgs) -> RunOutput:
    """Sweep run p00001-r00 kills its own worker process on its first attempt."""
    marker = Path(args.out).parent.parent / "killed"
    if args.run_id == "p00001-r00" and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return sweep_task(args)


@pytest.mark.slow
def test_replicates_survive_a_worker_killed_mid_run(tmp_path: Path, scheduler: str) -> None:
    loaded = load(DEMO)
    kw = dict(scale=0.05, until=dt.date(2014, 9, 1), replicates=3)
    run_scenario(loaded, tmp_path / "serial", **kw)
    run_replicates_dask(loaded, tmp_path / "dask", scheduler=scheduler,
                        task=functools.partial(kill_first_attempt, marker_dir=str(tmp_path)),
                        **kw)
    assert (tmp_path / "rep-killed").exists(), "the fault was not injected"
    same_files(tmp_path / "serial", tmp_path / "dask")


@pytest.mark.slow
# -- sweeps ------------------------------------------------------------------------------------
def test_sweep_killed_midway_resumes_only_missing_runs(tmp_path: Path, mini: Path,
                                                       scheduler: str) -> None:
    # 6 grid points x 2 replicates of ~0.25 s each (scale 2 with daily recounts)
    sw = tmp_path / "grid.yaml"
    sw.write_text("""design: grid
levels: 3
replicates: 2
scale: 2
parameters:
  - {path: modules.mortality.background_per_year.value, name: background, min: 0.002, max: 0.04}
  - {path: population.savings_usd_median.value, name: savings, values: [150, 450]}
""", encoding="utf-8")
    ref, out = tmp_path / "ref", tmp_path / "out"
    rep = run_sweep(mini, sw, ref, scheduler=scheduler, check=True)
    assert rep.runs == 12 and rep.failed == 0
    cmd = [sys.executable, "-m", "ranks.cli", "sweep", str(mini), str(sw), "--out", str(out),
           "--scheduler", scheduler, "--check", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    done: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        done = list(out.glob("runs/*/manifest.json"))
        if len(done) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 3 <= len(done) < 12, f"kill landed outside the sweep ({len(done)} runs done)"
    assert not (out / "runs.parquet").exists()
    # runs done at the kill; tasks the dead driver left running may still add a few
    at_kill = {p.parent.name: p.stat().st_mtime_ns for p in done}
    seen: list[tuple[int, int]] = []
    rep2 = run_sweep(mini, sw, out, scheduler=scheduler, check=True,
                     on_start=lambda n, d: seen.append((n, d)))
    assert len(seen) == 1 and seen[0][0] == 12 and len(at_kill) <= seen[0][1] < 12
    assert rep2.already_done == seen[0][1] and rep2.ran == 12 - seen[0][1]
    for rid, mtime in at_kill.items():  # runs done before the kill were not run again
        assert (out / "runs" / rid / "manifest.json").stat().st_mtime_ns == mtime
    same_sweeps(ref, out)
    # a third start finds nothing to do and leaves the same table
    rep3 = run_sweep(mini, sw, out, scheduler=scheduler, check=True)
    assert rep3.ran == 0
    same_sweeps(ref, out)


@pytest.mark.slow
def test_sweep_survives_a_worker_killed_mid_run(tmp_path: Path, mini: Path,
                                                scheduler: str) -> None:
    sw = write_sweep(tmp_path / "lhs.yaml", "lhs", "samples: 4\nscale: 0.5\n"
                     "until: 2015-03-01")
    run_sweep(mini, sw, tmp_path / "serial")
    rep = run_sweep(mini, sw, tmp_path / "dask", scheduler=scheduler,
                    task=kill_run_first_attempt)
    assert (tmp_path / "dask" / "killed").exists(), "the fault was not injected"
    assert rep.failed == 0
    same_sweeps(tmp_path / "serial", tmp_path / "dask")


def fail_point_2(args: RunArgs) -> RunOutput:
    if args.point == 2:
        raise RuntimeError("injected failure")
    return sweep_task(args)


def test_failed_run_is_recorded_and_others_go_on(tmp_path: Path, mini: Path) -> None:
    sw = write_sweep(tmp_path / "lhs.yaml", "lhs", "samples: 4\nscale: 0.2\n"
                     "until: 2014-09-01")
    rep = run_sweep(mini, sw, tmp_path / "out", task=fail_point_2)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert rep.failed == 1
    assert list(runs["status"]) == ["ok", "ok", "failed", "ok"]
    assert "injected failure" in runs.loc[2, "error"]
    assert np.isnan(runs.loc[2, "events.died"]) and runs.loc[0, "events.died"] > 0
    # started again, the failed run is tried again (now without the fault) and completes
    rep2 = run_sweep(mini, sw, tmp_path / "out")
    assert rep2.ran == 1 and rep2.failed == 0
    assert (pd.read_parquet(tmp_path / "out" / "runs.parquet")["status"] == "ok").all()


def test_workers_refuse_other_scenario_files(mini: Path) -> None:
    digest = load(mini).digest
    assert worker_loaded(str(mini), None, digest).digest == digest
    with pytest.raises(RanksInputError, match="scenario files seen by this Dask worker"):
        worker_loaded(str(mini), {"seed": 5}, "0" * 64)


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("design: lhs\nsamples: 4\nparameters:\n  - path: a.b\n    min: 1\n    mxa: 2\n", 6,
     "unknown field 'mxa'; did you mean 'max'?"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: a.b\n    min: 3\n    max: 2\n", 4,
     "min 3.0 is not below max 2.0"),
    ("design: sobel\nsamples: 4\nparameters: []\n", 1, "'sobol'"),
    ("design: lhs\nsamples: [4\nparameters: []\n", 3, "YAML syntax error"),
    ("design: lhs\nsamples: 4\nparameters:\n  - path: modules.mortality.background_per_year."
     "value\n    min: 0.1\n    max: 2.0\n", 6, "refused by the scenario"),
])
def test_malformed_sweep_file_exits_2_naming_file_and_line(tmp_path: Path, mini: Path, runner,
                                                           text: str, line: int,
                                                           needle: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["sweep", str(mini), str(bad), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    msg = " ".join(r.output.split())
    assert f"{bad}:{line}:" in msg and needle in msg
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_resume_refuses_a_different_sweep(tmp_path: Path, mini: Path, runner) -> None:
    sw = write_sweep(tmp_path / "lhs.yaml", "lhs", "samples: 2\nscale: 0.1\n"
                     "until: 2014-07-01")
    out = tmp_path / "out"
    assert runner.invoke(app, ["sweep", str(mini), str(sw), "--out", str(out), "-q"]
                         ).exit_code == 0
    r = runner.invoke(app, ["sweep", str(mini), str(sw), "--out", str(out), "--seed", "9"])
    assert r.exit_code == 2 and "different sweep" in r.output and "seed" in r.output


# -- sensitivity -------------------------------------------------------------------------------
@pytest.mark.parametrize(("design", "body", "n_runs"), [
    ("sobol", "samples: 8", 32),      # N (D + 2)
    ("morris", "samples: 3\nlevels: 4", 9),  # N (D + 1)
])
def test_sensitivity_points_at_the_parameter_that_drives_the_outcome(
        tmp_path: Path, mini: Path, runner, scheduler: str, design: str, body: str,
        n_runs: int) -> None:
    sw = write_sweep(tmp_path / "s.yaml", design, body + "\nscale: 0.3\nuntil: 2015-06-01")
    out = tmp_path / design
    rep = run_sweep(mini, sw, out, scheduler=scheduler)
    assert rep.runs == n_runs and rep.failed == 0
    r = runner.invoke(app, ["sensitivity", str(out), "--outcome", "died",
                            "--outcome", "died_late"])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "sensitivity.csv")
    assert set(t["outcome"]) == {"events.died", "died_late"}
    v = t.set_index(["outcome", "parameter", "index"])["value"]
    for o in ("events.died", "died_late"):
        if design == "sobol":
            # the mortality rate explains the deaths; savings (common random numbers: the
            # same deaths whatever the savings) explains nothing
            assert v[(o, "background", "ST")] > 0.5
            assert v[(o, "savings", "ST")] == 0 and v[(o, "savings", "S1")] == 0
        else:
            assert v[(o, "background", "mu")] > 0  # more mortality, more deaths
            assert v[(o, "background", "mu_star")] > 0
            assert v[(o, "savings", "mu_star")] == 0
    page = (out / "sensitivity.html").read_text()
    assert "data:image/png;base64," in page
    assert (out / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = analyze(out, ["died"])  # bootstrap intervals are seeded: reproducible
    write_outputs(tmp_path, again)
    pd.testing.assert_frame_equal(again.table, analyze(out, ["died"]).table)
    bad = runner.invoke(app, ["sensitivity", str(out), "--outcome", "deserters"])
    assert bad.exit_code == 2 and "unknown outcome 'deserters'" in bad.output
