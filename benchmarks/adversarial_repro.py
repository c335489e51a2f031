"""Re-run the reproductions of ../shared/adversarial-report.md (B1-B10) and count how many
now hold.

Each case runs the ``ranks`` CLI as a subprocess in a sandbox (a copy of scenarios/ and
evidence/ in a temporary folder, the cwd of every command, as "a fresh clone at the
repository root"), with a timeout, and judges the promise of issue 17:

- exit 0 with the expected outputs, or exit 2 with one line ``error: ...`` on stderr
  (notes and warnings may precede it); never a traceback, never a hang (timeout), never a
  lost file;
- plus the case's own condition (the scenario folder still there, one of two concurrent
  runs refused, a refusal naming file and line, ...).

Writes benchmarks/results/adversarial_repro.json: per case id, class, what, held, why,
seconds; and the tally per class.

Usage: python benchmarks/adversarial_repro.py [-k SUBSTRING] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "adversarial_repro.json"
RANKS = [sys.executable, "-m", "ranks.cli"]
#: Seconds a command may take before it counts as a hang (RANKS_REPRO_TIMEOUT raises it
#: on a loaded machine: 90 s was too short at a load of 17 on 2 cores).
TIMEOUT = float(os.environ.get("RANKS_REPRO_TIMEOUT", "90"))


@dataclass
class Result:
    rc: int | None
    out: str
    err: str
    seconds: float

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.err or bool(
            re.search(r"^\w+(Error|Exception): ", self.err, re.M))

    def error_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()
                and not ln.startswith(("note:", "warning:"))]


def ranks(box: Path, *args: str, cwd: Path | None = None, timeout: float = TIMEOUT) -> Result:
    """Run the CLI in ``cwd`` (default the sandbox) and capture everything."""
    env = dict(os.environ, COLUMNS="200", PYTHONPATH=str(ROOT / "src"))
    t0 = time.perf_counter()
    try:
        p = subprocess.run([*RANKS, *args], cwd=cwd or box, capture_output=True, text=True,
                           timeout=timeout, env=env)
        return Result(p.returncode, p.stdout, p.stderr, time.perf_counter() - t0)
    except subprocess.TimeoutExpired as e:
        return Result(None, str(e.stdout or ""), f"TIMEOUT after {timeout} s",
                      time.perf_counter() - t0)


def promise(r: Result, allow: tuple[int, ...] = (0, 2)) -> str | None:
    """Why ``r`` breaks the general promise, or None."""
    if r.rc is None:
        return "hang (timeout)"
    if r.traceback:
        return "traceback: " + r.err.strip().splitlines()[-1][:160]
    if r.rc not in allow:
        return f"exit {r.rc}: {r.err.strip()[-200:]}"
    if r.rc == 2:
        lines = r.error_lines()
        if len(lines) != 1 or not lines[0].startswith("error:"):
            return f"not one error line: {lines[:3]}"
    return None


@dataclass
class Case:
    cid: str
    cls: str
    what: str
    fn: Callable[[Path], str | None]
    held: bool = False
    why: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


CASES: list[Case] = []


def case(cid: str, cls: str, what: str) -> Callable:
    def deco(fn: Callable[[Path], str | None]) -> Callable:
        CASES.append(Case(cid, cls, what, fn))
        return fn

    return deco


# -- helpers -------------------------------------------------------------------------------
DEMO = "scenarios/demo.yaml"


def sed(box: Path, old: str, new: str, name: str = "x.yaml", src: str = DEMO) -> str:
    text = (box / src).read_text()
    assert old in text, old
    (box / "scenarios" / name).write_text(text.replace(old, new, 1))
    return f"scenarios/{name}"


def mutate(box: Path, fn: Callable[[dict], None], name: str = "x.yaml") -> str:
    data = yaml.safe_load((box / DEMO).read_text())
    fn(data)
    (box / "scenarios" / name).write_text(yaml.safe_dump(data, sort_keys=False))
    return f"scenarios/{name}"


def refused_at_line(r: Result, fname: str = "x.yaml") -> str | None:
    """A refusal that names the file and a line."""
    why = promise(r)
    if why:
        return why
    if r.rc != 2:
        return f"accepted (exit {r.rc})"
    if not re.search(re.escape(fname) + r":\d+:", r.err):
        return "refusal without file:line: " + r.err.strip()[:200]
    return None


def refused(r: Result) -> str | None:
    why = promise(r)
    if why:
        return why
    return None if r.rc == 2 else f"accepted (exit {r.rc})"


def validate_means_runnable(box: Path, scen: str, fname: str = "x.yaml") -> str | None:
    """validate refuses with file:line, or validate accepts and a small run succeeds."""
    v = ranks(box, "validate", scen)
    if v.rc == 2:
        return refused_at_line(v, fname)
    why = promise(v)
    if why:
        return "validate: " + why
    out = box / f"vr-{fname}"
    shutil.rmtree(out, ignore_errors=True)
    r = ranks(box, "run", scen, "--out", str(out), "--scale", "0.02", "-q")
    if r.rc != 0:
        return f"validate said ok, run: exit {r.rc}: {r.err.strip()[-200:]}"
    return finite_outputs(out)


def finite_outputs(run: Path) -> str | None:
    import numpy as np
    import pandas as pd

    for t, col in (("events.parquet", "count"), ("stocks.parquet", "value")):
        df = pd.read_parquet(run / t)
        v = df[col].to_numpy(dtype=float)
        if not np.isfinite(v).all():
            return f"{t}: {int((~np.isfinite(v)).sum())} non-finite values"
        if t == "events.parquet" and (v < 0).any():
            return f"{t}: negative counts"
    st = pd.read_parquet(run / "stocks.parquet")
    bad = st[st["stock"].isin(["pay_bill_usd", "people", "strength"]) & (st["value"] < 0)]
    if len(bad):
        return f"negative {bad['stock'].iloc[0]}"
    return None


def listing(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def leftovers(d: Path, name: str) -> list[str]:
    return [p.name for p in d.iterdir() if p.name.startswith(f".{name}.")]


# -- B1: --force deletes what --out names ----------------------------------------------------
@case("b1-force-scenarios-folder", "B1", "run --out scenarios --force keeps the folder")
def _(box: Path) -> str | None:
    before = listing(box / "scenarios")
    r = ranks(box, "run", DEMO, "--out", "scenarios", "--force", "--scale", "0.02", "-q")
    if listing(box / "scenarios") != before:
        return "the scenarios folder changed"
    return refused(r)


@case("b1-force-scenario-file", "B1", "run --out scenarios/demo.yaml --force keeps the file")
def _(box: Path) -> str | None:
    text = (box / DEMO).read_text()
    r = ranks(box, "run", DEMO, "--out", DEMO, "--force", "--scale", "0.02", "-q")
    if not (box / DEMO).is_file() or (box / DEMO).read_text() != text:
        return "the scenario file changed"
    if leftovers(box / "scenarios", "demo.yaml"):
        return f"leftovers {leftovers(box / 'scenarios', 'demo.yaml')}"
    return refused(r)


@case("b1-force-dot", "B1", "run --out . --force: refused before the run, nothing left")
def _(box: Path) -> str | None:
    before = listing(box)
    r = ranks(box, "run", DEMO, "--out", ".", "--force", "--scale", "0.02", "-q")
    if listing(box) != before:
        return f"the folder changed: {sorted(set(listing(box)) ^ set(before))}"
    return refused(r)


@case("b1-force-replaces-run", "B1", "--force still replaces a run directory")
def _(box: Path) -> str | None:
    for seed in ("1", "2"):
        r = ranks(box, "run", DEMO, "--out", "runs/f", "--force", "--scale", "0.02", "--seed",
                  seed, "-q")
        if r.rc != 0:
            return f"exit {r.rc}: {r.err[-200:]}"
    seed = json.loads((box / "runs/f/manifest.json").read_text())["seed"]
    return None if seed == 2 else f"manifest seed {seed}"


# -- B2: silently wrong values -------------------------------------------------------------
B2_TEXT = [
    ("b2-prices-nan", "type: prices, value: 1.5", "type: prices, value: .nan"),
    ("b2-prices-inf", "type: prices, value: 1.5", "type: prices, value: .inf"),
    ("b2-prices-negative", "type: prices, value: 1.5", "type: prices, value: -1"),
    ("b2-pay-change-negative", "type: pay_change, actor: GROUP_A, value: 0.5",
     "type: pay_change, actor: GROUP_A, value: -1"),
    ("b2-minefield-above-1", "to: Sandcamp}, value: 0.02", "to: Sandcamp}, value: 2.0"),
    ("b2-smuggler-price-negative", "id: smuggler-price-2015, value: 1000",
     "id: smuggler-price-2015, value: -1000"),
    ("b2-ages-reversed", "args: {ages: [20, 30], deadline_days: 7}",
     "args: {ages: [42, 18], deadline_days: 7}"),
    ("b2-ages-absurd", "args: {ages: [20, 30], deadline_days: 7}",
     "args: {ages: [-5, 500], deadline_days: 7}"),
    ("b2-rotation-days-negative", "args: {days: 30}", "args: {days: -5}"),
    ("b2-set-param-negative", "args: {path: mortality.background_per_year}, value: 0.005",
     "args: {path: mortality.background_per_year}, value: -1"),
    ("b2-args-typo", "args: {ages: [20, 30], deadline_days: 7}",
     "args: {ages: [20, 30], deadline_day: 30}"),
]
for _cid, _old, _new in B2_TEXT:
    def _make(old: str = _old, new: str = _new) -> Callable[[Path], str | None]:
        def fn(box: Path) -> str | None:
            return refused_at_line(ranks(box, "validate", sed(box, old, new)))
        return fn
    case(_cid, "B2", f"validate refuses {_new}")(_make())


@case("b2-args-typo-did-you-mean", "B2", "a misspelled args key gets 'did you mean'")
def _(box: Path) -> str | None:
    r = ranks(box, "validate", sed(box, "deadline_days: 7}", "deadline_day: 30}"))
    return None if "did you mean 'deadline_days'" in r.err else f"message: {r.err.strip()}"


@case("b2-set-nan", "B2", "--set timeline.3.value=.nan is refused")
def _(box: Path) -> str | None:
    return refused(ranks(box, "run", DEMO, "--out", "o-nan", "--scale", "0.05", "-q",
                         "--set", "timeline.3.value=.nan"))


@case("b2-set-inf", "B2", "--set timeline.3.value=.inf is refused")
def _(box: Path) -> str | None:
    return refused(ranks(box, "run", DEMO, "--out", "o-inf", "--scale", "0.05", "-q",
                         "--set", "timeline.3.value=.inf"))


SWEEP = """design: grid
scale: 0.01
until: 2014-03-01
parameters:
  - path: modules.mortality.background_per_year.value
    {range}
outcomes:
  - {outcome}
"""


def _sweep(box: Path, rng: str, outcome: str) -> Result:
    (box / "sw.yaml").write_text(SWEEP.format(range=rng, outcome=outcome))
    shutil.rmtree(box / "sw-out", ignore_errors=True)
    return ranks(box, "sweep", DEMO, "sw.yaml", "--out", "sw-out", "-q")


@case("b2-sweep-outcome-event", "B2", "sweep outcome event: flew is refused")
def _(box: Path) -> str | None:
    return refused_at_line(_sweep(box, "values: [0.005]", "{name: x, event: flew}"), "sw.yaml")


@case("b2-sweep-outcome-place", "B2", "sweep outcome place: Atlantis is refused")
def _(box: Path) -> str | None:
    return refused_at_line(_sweep(box, "values: [0.005]",
                                  "{name: x, stock: people, place: Atlantis}"), "sw.yaml")


@case("b2-sweep-integer-collapse", "B2", "integer: true on 0.002-0.02 is refused")
def _(box: Path) -> str | None:
    return refused_at_line(_sweep(box, "min: 0.002\n    max: 0.02\n    integer: true",
                                  "{name: x, event: died}"), "sw.yaml")


# -- B3: concurrent runs to one --out -----------------------------------------------------
@case("b3-concurrent-runs", "B3", "two runs to one --out: not both succeed (3 tries)")
def _(box: Path) -> str | None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    for attempt in range(3):
        out = box / f"same-dir-{attempt}"
        procs = [subprocess.Popen([*RANKS, "run", DEMO, "--out", str(out), "--scale", "0.1",
                                   "--seed", s, "-q"], cwd=box, env=env,
                                  stderr=subprocess.PIPE, text=True) for s in ("1", "2")]
        res = [(p.wait(timeout=TIMEOUT), p.stderr.read() if p.stderr else "") for p in procs]
        ok = [i for i, (rc, _) in enumerate(res) if rc == 0]
        if len(ok) != 1:
            return f"try {attempt}: exit codes {[rc for rc, _ in res]}"
        for rc, err in res:
            if rc != 0 and ("Traceback" in err or rc != 2):
                return f"try {attempt}: the refused run: exit {rc} {err[-200:]}"
        seed = json.loads((out / "manifest.json").read_text())["seed"]
        if seed != (1, 2)[ok[0]]:
            return f"try {attempt}: the run that succeeded is not the one kept"
    return None


# -- B4: valid input crashes ---------------------------------------------------------------
for _seed in ("18", "1"):
    def _mk(seed: str = _seed) -> Callable[[Path], str | None]:
        def fn(box: Path) -> str | None:
            r = ranks(box, "run", DEMO, "--out", f"o-s{seed}", "--scale", "0.003", "--seed",
                      seed, "-q")
            return promise(r, (0,)) or finite_outputs(box / f"o-s{seed}")
        return fn
    case(f"b4-scale-0.003-seed-{_seed}", "B4", f"scale 0.003 seed {_seed} runs")(_mk())


@case("b4-abroad-population", "B4", "population on the abroad node runs")
def _(box: Path) -> str | None:
    r = ranks(box, "run", DEMO, "--out", "o-abroad", "--scale", "0.02", "-q", "--set",
              "places.7.population=100")
    return promise(r, (0,)) or finite_outputs(box / "o-abroad")


@case("b4-one-person-places", "B4", "one person in a place (4 seeds at a tiny scale) runs")
def _(box: Path) -> str | None:
    for seed in range(0, 30, 8):
        out = f"o-tiny-{seed}"
        r = ranks(box, "run", DEMO, "--out", out, "--scale", "0.0004", "--seed", str(seed),
                  "-q")
        why = promise(r, (0,)) or finite_outputs(box / out)
        if why:
            return f"seed {seed}: {why}"
    return None


# -- B5: markup and emoji ------------------------------------------------------------------
@case("b5-markup-closing-tag", "B5", "a place named [/x] is echoed literally")
def _(box: Path) -> str | None:
    r = ranks(box, "validate", sed(box, "{from: Rivertown, to: Palmgrove",
                                   '{from: "[/x]", to: Palmgrove'))
    return refused(r) or (None if "[/x]" in r.err else f"message: {r.err.strip()}")


@case("b5-markup-style", "B5", "[bold red]Boom[/] is echoed literally")
def _(box: Path) -> str | None:
    r = ranks(box, "validate", sed(box, "{from: Rivertown, to: Palmgrove",
                                   '{from: "[bold red]Boom[/]", to: Palmgrove'))
    return refused(r) or (None if "[bold red]Boom[/]" in r.err else f"message: {r.err}")


@case("b5-emoji-codes", "B5", "a:x:b:smile: is echoed literally")
def _(box: Path) -> str | None:
    r = ranks(box, "validate", sed(box, "{from: Rivertown, to: Palmgrove",
                                   '{from: "a:x:b:smile:", to: Palmgrove'))
    return refused(r) or (None if "a:x:b:smile:" in r.err else f"message: {r.err}")


@case("b5-etc-passwd-csv", "B5", "/etc/passwd as a CSV path: one plain line")
def _(box: Path) -> str | None:
    if not Path("/etc/passwd").exists():
        return None
    r = ranks(box, "validate", sed(box, "places:\n", "places: /etc/passwd\nxplaces:\n"))
    if "❌" in r.err or "😄" in r.err:
        return "emoji in the message"
    return refused(r)


@case("b5-ok-line-literal", "B5", "validate's ok line shows a path with [markup] literally")
def _(box: Path) -> str | None:
    (box / "scenarios" / "[bold]x:smile:.yaml").write_text((box / DEMO).read_text())
    r = ranks(box, "validate", "scenarios/[bold]x:smile:.yaml")
    return promise(r, (0,)) or (None if "[bold]x:smile:" in r.out else f"output: {r.out}")


# -- B6: validate passed, run failed -------------------------------------------------------
def _drop_minefield_route(d: dict) -> None:
    for ev in d["timeline"]:
        if ev["type"] == "minefield":
            ev.pop("args")


def _closure_empty(d: dict) -> None:
    for ev in d["timeline"]:
        if ev["type"] == "closure":
            ev["place"] = []


def _exit_ban_no_actor(d: dict) -> None:
    for ev in d["timeline"]:
        if ev["type"] == "exit_ban":
            ev.pop("actor")


def _massacre_no_tribe(d: dict) -> None:
    for ev in d["timeline"]:
        if ev["type"] == "massacre":
            ev.pop("tribe")


def _many_actors(d: dict) -> None:
    d["actors"] += [{"id": f"X{i}", "name": f"x{i}", "assumption": "t"} for i in range(31)]


def _set_event(kind: str, key: str, value: object) -> Callable[[dict], None]:
    def fn(d: dict) -> None:
        for ev in d["timeline"]:
            if ev["type"] == kind:
                if key.startswith("args."):
                    ev.setdefault("args", {})[key[5:]] = value
                else:
                    ev[key] = value
                return
    return fn


def _add_event(ev: dict) -> Callable[[dict], None]:
    def fn(d: dict) -> None:
        d["timeline"].append(ev)
    return fn


B6 = [
    ("b6-empty-routes", lambda d: d.update(routes=[])),
    ("b6-33-actors-economy", _many_actors),
    ("b6-100-year-period", lambda d: d["period"].update(end="2114-01-01")),
    ("b6-ages-abc", _set_event("conscription_order", "args.ages", "abc")),
    ("b6-massacre-nan", _set_event("massacre", "value", float("nan"))),
    ("b6-checkpoint-nan", _set_event("checkpoint_campaign", "value", float("nan"))),
    ("b6-unknown-destination", _set_event("safe_exit", "args.destination", "Atlantis")),
    ("b6-actor-color", lambda d: d["actors"][0].update(color="notacolour")),
    ("b6-minefield-no-route", _drop_minefield_route),
    ("b6-closure-empty-place", _closure_empty),
    ("b6-exit-ban-no-actor", _exit_ban_no_actor),
    ("b6-massacre-no-tribe", _massacre_no_tribe),
    ("b6-deadline-zero", _set_event("conscription_order", "args.deadline_days", 0)),
    ("b6-unknown-route", _set_event("minefield", "args.to", "Stonewell")),
]
for _cid, _fn in B6:
    def _mk6(fn: Callable[[dict], None] = _fn) -> Callable[[Path], str | None]:
        def run(box: Path) -> str | None:
            return validate_means_runnable(box, mutate(box, fn))
        return run
    case(_cid, "B6", "validate refuses with file:line, or it runs")(_mk6())


@case("b6-population-1e12", "B6", "population 1e12: refused with an estimate, no traceback")
def _(box: Path) -> str | None:
    scen = mutate(box, lambda d: d["places"][0].update(population=10**12))
    r = ranks(box, "run", scen, "--out", "o-huge", "-q")
    return refused(r) or (None if "GiB" in r.err or "GB" in r.err else f"message: {r.err}")


@case("b6-actor-color-report", "B6", "report of a run whose actor colour is odd still works")
def _(box: Path) -> str | None:
    r = ranks(box, "run", DEMO, "--out", "o-col", "--scale", "0.02", "-q")
    if r.rc != 0:
        return f"run: exit {r.rc}"
    p = box / "o-col" / "scenario.resolved.yaml"
    p.write_text(p.read_text().replace("'#222222'", "notacolour"))
    return promise(ranks(box, "report", "o-col", "-q"))


# -- B7: relative paths --------------------------------------------------------------------
@case("b7-validate-in-scenarios", "B7", "cd scenarios && ranks validate demo.yaml")
def _(box: Path) -> str | None:
    return promise(ranks(box, "validate", "demo.yaml", cwd=box / "scenarios"), (0,))


FLAG = "scenarios/deir-ezzor-2014-2017.yaml"


@case("b7-check-from-elsewhere", "B7", "ranks check RUN from another directory finds targets")
def _(box: Path) -> str | None:
    r = ranks(box, "run", FLAG, "--out", "runs/flag", "--scale", "0.01", "--until",
              "2014-07-01", "-q")
    if r.rc != 0:
        return f"run: exit {r.rc} {r.err[-200:]}"
    elsewhere = Path(tempfile.mkdtemp())
    try:
        c = ranks(box, "check", str(box / "runs/flag"), cwd=elsewhere)
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)
    return promise(c, (0, 1)) or (None if c.rc in (0, 1) else "no targets")


# -- B8: output paths ----------------------------------------------------------------------
SLOW = ("--scale", "1.0")  # a run of many seconds: a refusal must come before it
_STARTUP: list[float] = []


def _early(r: Result, box: Path) -> str | None:
    """Refused, and about as fast as a refusal that reads nothing (the machine may be
    busy: compared with the time of such a refusal measured now, not a fixed limit)."""
    why = refused(r)
    if why:
        return why
    if not _STARTUP:
        _STARTUP.extend(ranks(box, "run", "missing.yaml", "--out", "never").seconds
                        for _ in range(2))
    limit = 1.5 * max(_STARTUP) + 3.0
    return None if r.seconds < limit else (f"refused only after {r.seconds:.1f} s (a "
                                           f"refusal that reads nothing: {max(_STARTUP):.1f} s)")


@case("b8-out-under-file", "B8", "--out /etc/hostname/x refused before the run")
def _(box: Path) -> str | None:
    (box / "afile").write_text("x")
    return _early(ranks(box, "run", DEMO, "--out", "afile/x", *SLOW, "-q"), box)


for _p in ("/proc/x", "/sys/x"):
    def _mk8(p: str = _p) -> Callable[[Path], str | None]:
        def fn(box: Path) -> str | None:
            return _early(ranks(box, "run", DEMO, "--out", p, *SLOW, "-q"), box)
        return fn
    case(f"b8-out-{_p.strip('/').replace('/', '-')}", "B8", f"--out {_p} refused early")(_mk8())


@case("b8-out-300-chars", "B8", "a 300-character --out name refused early")
def _(box: Path) -> str | None:
    return _early(ranks(box, "run", DEMO, "--out", "x" * 300, *SLOW, "-q"), box)


@case("b8-full-disk", "B8", "full disk: one line, the result rescued, the old run intact")
def _(box: Path) -> str | None:
    mnt = box / "small"
    mnt.mkdir()
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mnt)],
                       capture_output=True)
    if m.returncode != 0:
        return "skip: cannot mount a small tmpfs here"
    try:
        (mnt / "old").mkdir()
        (mnt / "old" / "manifest.json").write_text(json.dumps(
            {"ranks_version": "0", "scenario": {}, "seed": 7}))
        r = ranks(box, "run", DEMO, "--out", str(mnt / "old"), "--force", "--scale", "0.05",
                  "-q")
        why = refused(r)
        if why:
            return why
        if json.loads((mnt / "old" / "manifest.json").read_text())["seed"] != 7:
            return "the old run changed"
        m = re.search(r"saved to (\S+) instead", r.err)
        if not m or not (Path(m.group(1)) / "manifest.json").exists():
            return f"no rescued result: {r.err.strip()}"
        shutil.rmtree(m.group(1), ignore_errors=True)
        return None
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


@case("b8-kill-during-write", "B8", "kill -9 at random moments; the next run cleans up")
def _(box: Path) -> str | None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    for delay in (2.0, 3.0, 4.0, 5.0):
        p = subprocess.Popen([*RANKS, "run", DEMO, "--out", "killed", "--scale", "0.3", "-q",
                              "--force"], cwd=box, env=env, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
    r = ranks(box, "run", DEMO, "--out", "killed", "--scale", "0.02", "-q", "--force")
    if r.rc != 0:
        return f"exit {r.rc}: {r.err}"
    left = leftovers(box, "killed")
    return f"leftovers {left}" if left else None


@case("b8-force-rename-window", "B8", "a kill between the two renames of --force is repaired")
def _(box: Path) -> str | None:
    for seed in ("1", "2"):
        r = ranks(box, "run", DEMO, "--out", f"w{seed}", "--scale", "0.02", "--seed", seed,
                  "-q")
        if r.rc != 0:
            return f"setup: exit {r.rc}"
    # the state a kill between the renames leaves: old run aside, new run complete aside
    (box / "w1").rename(box / ".w.old-abc123")
    time.sleep(0.05)
    (box / "w2" / "manifest.json").touch()
    (box / "w2").rename(box / ".w.tmp-abc123")
    r = ranks(box, "run", DEMO, "--out", "w", "--scale", "0.02", "-q")
    if r.rc not in (0, 2) or "Traceback" in r.err:
        return f"exit {r.rc}: {r.err}"
    if not (box / "w" / "manifest.json").exists():
        return "no run at w"
    if json.loads((box / "w" / "manifest.json").read_text())["seed"] != 2:
        return "the newer run was not put in place"
    left = leftovers(box, "w")
    return f"leftovers {left}" if left else None


@case("b8-permissions", "B8", "run directories get the permissions of mkdir (umask)")
def _(box: Path) -> str | None:
    r = ranks(box, "run", DEMO, "--out", "o-perm", "--scale", "0.02", "-q")
    if r.rc != 0:
        return f"exit {r.rc}"
    mask = os.umask(0o022)
    os.umask(mask)
    mode = (box / "o-perm").stat().st_mode & 0o777
    return None if mode == 0o777 & ~mask else f"mode {oct(mode)}"


# -- B9: corrupt run directories -----------------------------------------------------------
def _base_run(box: Path) -> Path:
    base = box / "runs" / "base9"
    if not (base / "manifest.json").exists():
        r = ranks(box, "run", FLAG, "--out", str(base), "--scale", "0.01", "--until",
                  "2014-07-01", "-q", "--replicates", "2")
        assert r.rc == 0, r.err
    return base


def _manifest_edit(key: str, value: object) -> Callable[[Path], None]:
    def fn(d: Path) -> None:
        m = json.loads((d / "manifest.json").read_text())
        m[key] = value
        (d / "manifest.json").write_text(json.dumps(m))
    return fn


def _resolved_list(d: Path) -> None:
    (d / "scenario.resolved.yaml").write_text("- a\n- b\n")


def _count_strings(d: Path) -> None:
    import pandas as pd

    ev = pd.read_parquet(d / "events.parquet")
    ev["count"] = ev["count"].astype(str)
    ev.to_parquet(d / "events.parquet")


def _value_strings(d: Path) -> None:
    import pandas as pd

    st = pd.read_parquet(d / "stocks.parquet")
    st["value"] = st["value"].astype(str) + "x"
    st.to_parquet(d / "stocks.parquet")


CORRUPT = [
    ("scale-abc", _manifest_edit("scale", "abc")),
    ("scale-zero", _manifest_edit("scale", 0)),
    ("replicates-many", _manifest_edit("replicates", "many")),
    ("start-garbage", _manifest_edit("start", "garbage")),
    ("scenario-x", _manifest_edit("scenario", "x")),
    ("resolved-list", _resolved_list),
    ("count-strings", _count_strings),
    ("value-strings", _value_strings),
    ("manifest-list", lambda d: (d / "manifest.json").write_text("[1, 2]")),
]
for _name, _fn in CORRUPT:
    for _cmd in ("report", "check", "compare"):
        def _mk9(fn: Callable[[Path], None] = _fn, cmd: str = _cmd, name: str = _name
                 ) -> Callable[[Path], str | None]:
            def run(box: Path) -> str | None:
                base = _base_run(box)
                bad = box / "runs" / f"bad-{name}-{cmd}"
                shutil.rmtree(bad, ignore_errors=True)
                shutil.copytree(base, bad)
                fn(bad)
                args = {"report": ["report", str(bad), "-q"], "check": ["check", str(bad)],
                        "compare": ["compare", str(base), str(bad), "--out",
                                    str(box / f"cmp-{name}.html")]}[cmd]
                return refused(ranks(box, *args))
            return run
        case(f"b9-{_name}-{_cmd}", "B9", f"{_cmd} of a run dir with {_name}: one line, "
             "exit 2")(_mk9())


@case("b9-check-exit-codes", "B9", "check: 1 when a target fails, 2 when it cannot check")
def _(box: Path) -> str | None:
    base = _base_run(box)
    (box / "t.yaml").write_text(
        "targets:\n  - {id: impossible, description: never, metric: event_sum, event: died, "
        "window: [2014-06-01, 2014-07-01], value: 1.0e12, tolerance: {relative: 0.01}, "
        "used_in_fitting: false, assumption: test}\n")
    r = ranks(box, "check", str(base), "--targets", "t.yaml")
    if r.rc != 1:
        return f"a failing target: exit {r.rc} {r.err[-200:]}"
    (box / "t2.yaml").write_text("targets: 3\n")
    r = ranks(box, "check", str(base), "--targets", "t2.yaml")
    return refused(r)


@case("b9-sensitivity-corrupt-sweep-json", "B9", "sensitivity of a corrupt sweep.json")
def _(box: Path) -> str | None:
    d = box / "sens"
    d.mkdir(exist_ok=True)
    (d / "sweep.json").write_text('{"key": {"spec": 3}}')
    return refused(ranks(box, "sensitivity", str(d)))


@case("b9-sensitivity-sweep-json-not-json", "B9", "sensitivity of sweep.json that is not JSON")
def _(box: Path) -> str | None:
    d = box / "sens2"
    d.mkdir(exist_ok=True)
    (d / "sweep.json").write_text("{not json")
    return refused(ranks(box, "sensitivity", str(d)))


# -- B10: resources ------------------------------------------------------------------------
for _scale in ("nan", "inf", "1e6", "1e-9", "-1", "0"):
    def _mk10(s: str = _scale) -> Callable[[Path], str | None]:
        def fn(box: Path) -> str | None:
            return refused(ranks(box, "run", DEMO, "--out", f"o-scale-{s}", "--scale", s,
                                 "-q"))
        return fn
    case(f"b10-scale-{_scale}", "B10", f"--scale {_scale} refused")(_mk10())


@case("b10-seed-negative", "B10", "run --seed -1 refused")
def _(box: Path) -> str | None:
    return refused(ranks(box, "run", DEMO, "--out", "o-seed", "--seed", "-1", "--scale",
                         "0.02", "-q"))


@case("b10-20000-places", "B10", "20,000 places: refused with an estimate or runs")
def _(box: Path) -> str | None:
    rows = ["name,lat,lon,type,population,source"]
    rows += [f"P{i},{30 + (i % 100) / 10},{35 + (i // 100) / 100},town,100,assumption: t"
             for i in range(20_000)]
    (box / "scenarios" / "big-places.csv").write_text("\n".join(rows) + "\n")

    def fn(d: dict) -> None:
        d["places"] = "big-places.csv"
        d["routes"] = [{"from": "P0", "to": "P1", "assumption": "t"}]
        d["control"] = [{"date": "2014-01-01", "place": "P0", "actor": "GROUP_A",
                         "assumption": "t"}]
        d["timeline"] = []
        for m in ("economy", "joining", "service"):
            d["modules"][m] = {}
    scen = mutate(box, fn)
    r = ranks(box, "run", scen, "--out", "o-20k", "--scale", "0.1", "-q", timeout=180)
    return promise(r)


def _sweep_file(box: Path, text: str) -> Result:
    (box / "big.yaml").write_text(text)
    shutil.rmtree(box / "big-out", ignore_errors=True)
    return ranks(box, "sweep", DEMO, "big.yaml", "--out", "big-out", "-q")


@case("b10-grid-1e6", "B10", "a 10^6-point grid refused with its size")
def _(box: Path) -> str | None:
    params = "".join(f"  - {{path: population.{k}.value, min: 0.1, max: 0.5, points: 100}}\n"
                     for k in ("male_share", "polygamy_share", "women_employed"))
    return refused(_sweep_file(box, f"design: grid\nparameters:\n{params}"))


@case("b10-sobol-1e8", "B10", "10^8 Sobol samples refused with the size")
def _(box: Path) -> str | None:
    return refused(_sweep_file(box, "design: sobol\nsamples: 100000000\nparameters:\n"
                               "  - {path: population.male_share.value, min: 0.4, max: 0.6}\n"))


@case("b10-yaml-deep", "B10", "5,000-deep YAML nesting: one line")
def _(box: Path) -> str | None:
    (box / "scenarios" / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    return refused(ranks(box, "validate", "scenarios/deep.yaml"))


@case("b10-billion-laughs", "B10", "a billion-laughs YAML: one line, quickly")
def _(box: Path) -> str | None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    (box / "scenarios" / "lol.yaml").write_text("\n".join(lines) + "\n")
    return refused(ranks(box, "validate", "scenarios/lol.yaml", timeout=60))


@case("b10-symlink-loop", "B10", "a symlink loop as a CSV path: one line")
def _(box: Path) -> str | None:
    a, b = box / "scenarios" / "loop1.csv", box / "scenarios" / "loop2.csv"
    for p in (a, b):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    a.symlink_to(b)
    b.symlink_to(a)
    return refused(ranks(box, "validate", sed(box, "places:\n", "places: loop1.csv\nxplaces:\n")))


@case("b10-dev-zero", "B10", "/dev/zero as a CSV: one line")
def _(box: Path) -> str | None:
    return refused(ranks(box, "validate", sed(box, "places:\n", "places: /dev/zero\nxplaces:\n")))


@case("b10-fifo", "B10", "a FIFO as a CSV: one line, no hang")
def _(box: Path) -> str | None:
    f = box / "scenarios" / "fifo.csv"
    if not f.exists():
        os.mkfifo(f)
    return refused(ranks(box, "validate", sed(box, "places:\n", "places: fifo.csv\nxplaces:\n"),
                         timeout=30))


# -- flee ----------------------------------------------------------------------------------
def flee_input(box: Path, name: str, *, length: str = "30", conflicts: str | None = None,
               closures: str = "", settings: str | None = None, observed: str = "2000"
               ) -> tuple[Path, Path]:
    inp, val = box / name / "in", box / name / "val"
    for d in (inp, val):
        d.mkdir(parents=True, exist_ok=True)
    (inp / "locations.csv").write_text(
        "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
        "A,R,Home,0.0,0.0,conflict_zone,0,10000\nT,R,Home,0.0,1.0,town,,5000\n"
        "C1,R,Abroad,1.0,1.0,camp,,100000\n")
    (inp / "routes.csv").write_text("#name1,name2,distance,forced_redirection\n"
                                    "A,T,100,0\nT,C1,150,0\n")
    (inp / "closures.csv").write_text("#closure_type,name1,name2,closure_start,closure_end\n"
                                      + closures)
    (inp / "conflicts.csv").write_text(conflicts or "#Day,A\n" + "".join(
        f"{t},1.0\n" for t in range(30)))
    (inp / "sim_period.csv").write_text(f"StartDate,2020-01-01\nLength,{length}\n")
    if settings is not None:
        (inp / "simsetting.yml").write_text(settings)
    (val / "data_layout.csv").write_text("total,refugees.csv\nC1,c1.csv\n")
    (val / "refugees.csv").write_text("Date,Refugee_numbers\n2020-01-01,0\n2020-03-01,2000\n")
    (val / "c1.csv").write_text(f"Date,n\n2020-01-01,0\n2020-03-01,{observed}\n")
    return inp, val


def _flee(box: Path, name: str, *extra: str, **kw: object) -> Result:
    inp, val = flee_input(box, name, **kw)  # type: ignore[arg-type]
    return ranks(box, "flee", str(inp), str(val), "--out", str(box / name / "out"), *extra)


@case("flee-ok", "flee", "a small Flee scenario runs (control)")
def _(box: Path) -> str | None:
    return promise(_flee(box, "f-ok", "-q"), (0,))


@case("flee-seed-negative", "B10", "flee --seed -1 refused")
def _(box: Path) -> str | None:
    return refused(_flee(box, "f-seed", "--seed", "-1", "-q"))


@case("flee-length-1e9", "B10", "flee Length 1e9 refused with an estimate")
def _(box: Path) -> str | None:
    return refused(_flee(box, "f-len", "-q", length="1000000000"))


@case("flee-out-proc", "B8", "flee --out /proc/x refused")
def _(box: Path) -> str | None:
    inp, val = flee_input(box, "f-proc")
    return refused(ranks(box, "flee", str(inp), str(val), "--out", "/proc/x", "-q"))


@case("flee-conflict-negative", "B2", "flee: negative conflict intensity refused")
def _(box: Path) -> str | None:
    return refused(_flee(box, "f-neg", "-q", conflicts="#Day,A\n" + "".join(
        f"{t},{-1.0 if t == 3 else 1.0}\n" for t in range(30))))


@case("flee-conflict-above-1", "B2", "flee: conflict intensity above 1 refused")
def _(box: Path) -> str | None:
    return refused(_flee(box, "f-big", "-q", conflicts="#Day,A\n" + "".join(
        f"{t},{5.0 if t == 3 else 1.0}\n" for t in range(30))))


@case("flee-closure-end-before-start", "B2", "flee: closure end before start is said (a "
      "warning: Flee reads it as 'from start on', and Flee's own data use it)")
def _(box: Path) -> str | None:
    r = _flee(box, "f-clo", closures="location,T,T,10,5\n")
    why = promise(r)
    if why:
        return why
    return None if r.rc == 2 or "closure_end 5 is before closure_start 10" in r.err else (
        f"silent: {r.err.strip()[:200]}")


@case("flee-observed-negative", "B2", "flee: negative observed counts refused")
def _(box: Path) -> str | None:
    return refused(_flee(box, "f-obs", "-q", observed="-50"))


@case("flee-settings-typo", "B2", "flee: a misspelled settings key is refused or warned about")
def _(box: Path) -> str | None:
    r = _flee(box, "f-set", settings="move_rules:\n  max_move_sped: 100\n")
    why = promise(r)
    if why:
        return why
    return None if "max_move_speed" in r.err else f"silent: {r.err.strip()[:200]}"


# -- main ----------------------------------------------------------------------------------
def sandbox() -> Path:
    box = Path(tempfile.mkdtemp(prefix="ranks-adversarial-"))
    shutil.copytree(ROOT / "scenarios", box / "scenarios")
    shutil.copytree(ROOT / "evidence", box / "evidence")
    (box / "runs").mkdir()
    return box


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-k", default="", help="run only cases whose id contains this")
    ap.add_argument("--keep", action="store_true", help="keep the sandbox")
    ap.add_argument("--no-write", action="store_true", help="do not write the JSON")
    ap.add_argument("--merge", action="store_true", help="with -k: merge the re-run cases "
                    "into the stored JSON")
    a = ap.parse_args()
    box = sandbox()
    cases = [c for c in CASES if a.k in c.cid]
    t_all = time.perf_counter()
    try:
        for c in cases:
            t0 = time.perf_counter()
            try:
                why = c.fn(box)
            except Exception as e:  # noqa: BLE001 - a harness failure is a broken case
                why = f"harness: {type(e).__name__}: {e}"
            c.seconds = round(time.perf_counter() - t0, 2)
            c.held = why is None or why.startswith("skip:")
            c.why = why
            mark = "held " if why is None else ("skip " if c.held else "BROKE")
            print(f"{mark} {c.cid:42s} {c.seconds:6.1f}s  {why or ''}", flush=True)
    finally:
        if a.keep:
            print(f"sandbox kept: {box}")
        else:
            shutil.rmtree(box, ignore_errors=True)
    classes = sorted({c.cls for c in cases}, key=lambda s: (len(s), s))
    tally = {k: {"tried": sum(c.cls == k for c in cases),
                 "held": sum(c.cls == k and c.held for c in cases)} for k in classes}
    doc = {
        "what": "reproductions of ../shared/adversarial-report.md re-run against this tree",
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True).stdout.strip(),
        "machine": platform.platform(),
        "tried": len(cases),
        "held": sum(c.held for c in cases),
        "skipped": [c.cid for c in cases if c.why and c.why.startswith("skip:")],
        "seconds": round(time.perf_counter() - t_all, 1),
        "by_class": tally,
        "cases": [{"id": c.cid, "class": c.cls, "what": c.what, "held": c.held,
                   "why": c.why, "seconds": c.seconds} for c in cases],
    }
    print(f"{doc['held']} of {doc['tried']} held ({doc['seconds']} s)")
    if a.k and a.merge and OUT.exists():  # re-run some cases into the stored tally
        old = json.loads(OUT.read_text())
        new = {c["id"]: c for c in doc["cases"]}
        cases_all = [new.pop(c["id"], c) for c in old["cases"]] + list(new.values())
        doc = {**old, "commit": doc["commit"], "cases": cases_all,
               "tried": len(cases_all), "held": sum(c["held"] for c in cases_all),
               "skipped": [c["id"] for c in cases_all if (c["why"] or "").startswith(
                   "skip:")],
               "by_class": {k: {"tried": sum(c["class"] == k for c in cases_all),
                                "held": sum(c["class"] == k and c["held"] for c in cases_all)}
                            for k in old["by_class"]},
               "rerun": sorted(x.cid for x in cases)}
        print(f"merged: {doc['held']} of {doc['tried']} held")
    if not a.no_write and (not a.k or a.merge):
        OUT.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
