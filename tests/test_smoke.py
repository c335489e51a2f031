"""Smoke runs of the shipped scenarios at --scale 0.05 through the CLI, and lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ranks.cli import app
from tests.conftest import DEMO, ROOT

SCENARIOS = [DEMO, ROOT / "scenarios" / "deir-ezzor" / "skeleton.yaml"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_validates_and_runs(runner, tmp_path: Path, scenario: Path) -> None:
    r = runner.invoke(app, ["validate", str(scenario)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["evidence", str(scenario), "--csv"])
    assert r.exit_code == 0 and "assumption" in r.output
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--scale", "0.05",
                            "--check", "-q"])
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["people"] > 0
    s = pd.read_parquet(out / "stocks.parquet")
    assert (s[s.stock == "people"].groupby("date")["value"].sum() == m["people"]).all()


def test_every_parameter_of_shipped_scenarios_has_evidence() -> None:
    from ranks.evidence import evidence_rows
    from ranks.runner import load

    for sc in SCENARIOS:
        rows = evidence_rows(load(sc))
        assert rows
        assert all(r.evidence.startswith(("source: ", "assumption: ")) for r in rows)


def test_version_and_help(runner) -> None:
    import ranks

    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and ranks.__version__ in r.output
    r = runner.invoke(app, ["--help"])
    for cmd in ("run", "validate", "evidence"):
        assert cmd in r.output


def test_ruff_clean() -> None:
    """Lint is part of the tests; ruff is a test dependency (fails, never skips, without)."""
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks"],
                       cwd=ROOT, capture_output=True, text=True)
    assert "No module named ruff" not in r.stderr, "ruff is a test dependency: install .[test]"
    assert r.returncode == 0, r.stdout + r.stderr
    assert "All checks passed" in r.stdout


FLAGSHIPS = [(ROOT / "scenarios" / "deir-ezzor-2014-2017.yaml", "2014-11-01"),
             (ROOT / "scenarios" / "deir-ezzor-2017-2020.yaml", "2017-12-01")]


@pytest.mark.parametrize(("scenario", "until"), FLAGSHIPS, ids=lambda x: getattr(x, "stem", x))
def test_flagship_validates_and_runs_a_few_months(runner, tmp_path: Path, scenario: Path,
                                                  until: str) -> None:
    from ranks.evidence import evidence_rows
    from ranks.runner import load

    rows = evidence_rows(load(scenario))
    assert all(r.evidence.startswith(("source: ", "assumption: ")) for r in rows)
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--scale", "0.02",
                            "--until", until, "--check", "-q"])
    assert r.exit_code == 0, r.output
    e = pd.read_parquet(out / "events.parquet")
    assert {"joined", "fled"} <= set(e["event"].astype(str))


@pytest.mark.slow
@pytest.mark.parametrize("scenario", [f[0] for f in FLAGSHIPS], ids=lambda p: p.stem)
def test_flagship_whole_period_conserves_people(scenario: Path) -> None:
    """The whole period at a tenth of the people, recounting everyone every day."""
    from ranks.engine import Simulation
    from ranks.runner import load

    sim = Simulation(load(scenario), scale=0.1, check=True)
    info = sim.run()
    assert info.days == sim.scenario.n_days
    assert sim.people.by_place_state.sum() == sim.people.n
