"""FabFlee layout, the flee-suite command, replicate bands and the MAAPE metric."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ranks.flee.bands import run_replicates
from ranks.flee.cli import make_app
from ranks.flee.engine import FleeEngine
from ranks.flee.fabflee import find_conflicts, resolve_layout
from ranks.flee.reader import read_scenario
from ranks.flee.suite import run_suite
from ranks.flee.validation import maape, metrics
from tests.test_flee_rules import TWO_CAMPS, write_conflict

FABFLEE = os.environ.get("RANKS_FABFLEE_DIR")


def fabflee_dir() -> Path:
    """FabFlee's config_files (``$RANKS_FABFLEE_DIR``), or skip saying how to get it."""
    if not FABFLEE or not (Path(FABFLEE) / "validation" / "simsetting.yml").is_file():
        pytest.skip("FabFlee data not available: set RANKS_FABFLEE_DIR to a copy of "
                    "djgroen/FabFlee's config_files/ (it is not kept in this repository)")
    return Path(FABFLEE)


def _data_conflict(root: Path, days: int = 30) -> Path:
    """A conflict with data-driven spawning and camp data (a FabFlee directory)."""
    conf = write_conflict(
        root, locations=TWO_CAMPS, routes=[["O", "C1", "300", "0"], ["O", "C2", "500", "0"]],
        days=days, per_day=0,
        totals="2020-01-01,0\n2020-01-21,3000\n2020-03-01,3000\n",
        camps_data={"C1": "2020-01-01,0\n2020-01-21,1500\n", "C2": "2020-01-01,0\n"
                    "2020-01-21,1500\n"})
    text = (conf / "simsetting.yml").read_text()
    start = text.index("  conflict_driven_spawning")
    end = text.index("\n", start) + 1
    (conf / "simsetting.yml").write_text(text[:start] + text[end:])
    return conf


# ----------------------------------------------------------------------------- layout


def test_fabflee_layout_and_sweeps(tmp_path: Path) -> None:
    conf = _data_conflict(tmp_path / "cfg")
    lay = resolve_layout(conf)
    assert lay.fabflee and lay.input_dir == conf / "input_csv"
    assert lay.validation_dir == conf / "source_data" and lay.settings == conf / "simsetting.yml"
    # a sweep variant without settings takes its configuration's
    sweep = tmp_path / "cfg" / "SWEEP" / "v1"
    _data_conflict(sweep)
    (sweep / "simsetting.yml").unlink()
    found = find_conflicts(tmp_path)
    assert [f.root for f in found] == [conf, sweep]
    assert found[1].settings == conf / "simsetting.yml" and found[1].name == "cfg/v1"
    # a plain input directory keeps the old behaviour
    assert not resolve_layout(conf / "input_csv").fabflee


def test_cli_reads_fabflee_directory(tmp_path: Path) -> None:
    conf = _data_conflict(tmp_path / "cfg")
    out = tmp_path / "out"
    res = CliRunner().invoke(make_app(), ["flee", str(conf), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    s = json.loads((out / "summary.json").read_text())
    assert s["averaged_relative_difference"] is not None  # source_data/ was read
    assert s["settings"].endswith("simsetting.yml") and s["agents_final"] == 3000
    # the same files given the old way give the same bytes
    out2 = tmp_path / "out2"
    res = CliRunner().invoke(make_app(), ["flee", str(conf / "input_csv"),
                                          str(conf / "source_data"), "--settings",
                                          str(conf / "simsetting.yml"), "--out", str(out2),
                                          "--quiet"])
    assert res.exit_code == 0, res.output
    assert (out / "out.csv").read_bytes() == (out2 / "out.csv").read_bytes()


# ----------------------------------------------------------------------------- metric


def test_maape_is_bounded_where_ard_explodes() -> None:
    obs = np.array([[0.0, 0.0], [0.0, 1.0], [50.0, 50.0]])
    sim = np.array([[0.0, 0.0], [30.0, 0.0], [55.0, 45.0]])
    m = metrics(sim, obs, np.array([0.0, 1.0, 100.0]))
    # day 0: 0/0 -> 0; day 1: 31/1 -> ARD 31, arctan 31 ~ 1.54; day 2: 10/100
    assert m["averaged_relative_difference"] == pytest.approx((0 + 31 + 0.1) / 3)
    assert m["maape"] == pytest.approx((0 + math.atan(31) + math.atan(0.1)) / 3)
    assert maape(np.array([5.0]), np.array([0.0])) == pytest.approx(math.pi / 2)
    # for small errors it is close to the relative difference
    assert maape(np.array([1.0]), np.array([100.0])) == pytest.approx(0.01, rel=1e-3)


# ----------------------------------------------------------------------------- replicates


def test_replicate_bands_and_coverage(tmp_path: Path) -> None:
    scen = read_scenario(_data_conflict(tmp_path))
    rep = run_replicates(scen, [0, 1, 2, 3, 4, 5])
    q = rep.quantiles()
    assert q.shape == (3, 30, 2)
    assert (q[0] <= q[1]).all() and (q[1] <= q[2]).all()
    assert np.array_equal(q[1], np.median(rep.sims, axis=0))
    cov, per_camp = rep.coverage()
    inside = (rep.obs >= q[0]) & (rep.obs <= q[2])
    assert cov == pytest.approx(inside.mean())
    assert per_camp == pytest.approx(inside.mean(axis=0))
    # the first replicate is the single run of the first seed
    single = FleeEngine(scen, 0).run()
    assert np.array_equal(rep.sims[0], single.camp_sim)
    assert len(rep.run_metrics) == 6


def test_cli_replicates_outputs(tmp_path: Path) -> None:
    conf = _data_conflict(tmp_path / "cfg")
    out1, outn = tmp_path / "one", tmp_path / "many"
    app = make_app()
    assert CliRunner().invoke(app, ["flee", str(conf), "--out", str(out1), "-q",
                                    "--seed", "2"]).exit_code == 0
    res = CliRunner().invoke(app, ["flee", str(conf), "--out", str(outn), "--seed", "2",
                                   "--replicates", "4"])
    assert res.exit_code == 0, res.output
    assert "replicates" in res.output
    # out.csv is the first seed's, byte for byte
    assert (out1 / "out.csv").read_bytes() == (outn / "out.csv").read_bytes()
    assert not (out1 / "bands.csv").exists()
    s = json.loads((outn / "summary.json").read_text())
    assert s["replicates"]["seeds"] == [2, 3, 4, 5]
    assert 0.0 <= s["replicates"]["coverage"] <= 1.0
    rows = list(csv.DictReader((outn / "bands.csv").read_text().splitlines()))
    assert len(rows) == 30 * 2 and {r["camp"] for r in rows} == {"C1", "C2"}
    assert all(float(r["p05"]) <= float(r["p50"]) <= float(r["p95"]) for r in rows)
    html = (outn / "report.html").read_text()
    assert html.count('<img class="fig"') == 1 and "coverage" in html


# ----------------------------------------------------------------------------- suite


def test_suite_runs_every_conflict(tmp_path: Path) -> None:
    root = tmp_path / "configs"
    _data_conflict(root / "alpha", days=20)
    _data_conflict(root / "beta", days=25)
    bad = _data_conflict(root / "gamma")
    (bad / "input_csv" / "routes.csv").write_text("#name1,name2,distance\nO,Nowhere,5\n")
    out = tmp_path / "suite"
    rows = run_suite(root, out, replicates=3, jobs=2, show=False)
    assert [r["conflict"] for r in rows] == ["alpha", "beta", "gamma"]
    assert rows[0]["status"] == "ok" and rows[1]["days"] == 25
    assert rows[2]["status"].startswith("input error:") and "routes.csv:2" in rows[2]["status"]
    for r in rows[:2]:
        assert r["averaged_relative_difference"] >= 0 and r["agent_steps_per_s"] > 0
        assert r["peak_rss_mb"] > 10 and 0 <= r["coverage"] <= 1
    table = list(csv.DictReader((out / "suite.csv").read_text().splitlines()))
    assert [t["conflict"] for t in table] == ["alpha", "beta", "gamma"]
    assert float(table[0]["maape"]) == pytest.approx(rows[0]["maape"], rel=1e-5)
    html = (out / "index.html").read_text()
    assert html.count('<img class="fig"') == 2 and "gamma" in html
    assert (out / "alpha" / "bands.csv").exists() and (out / "beta" / "out.csv").exists()
    man = json.loads((out / "manifest.json").read_text())
    assert man["seeds"] == [0, 1, 2] and man["conflicts"]["beta"] == "ok"
    # refuses to overwrite, exit code 2 through the CLI
    from ranks.cli import app as main_app

    res = CliRunner().invoke(main_app, ["flee-suite", str(root), "--out", str(out)])
    assert res.exit_code == 2 and "--force" in res.output
    # one conflict did not run: exit 0, or 1 with --strict; none ran: exit 1
    args = ["flee-suite", str(root), "--out", str(out), "--force", "-q", "--days", "5"]
    assert CliRunner().invoke(main_app, args).exit_code == 0
    res = CliRunner().invoke(main_app, [*args, "--strict"])
    assert res.exit_code == 1 and "1 of 3 conflicts did not run" in res.output
    res = CliRunner().invoke(main_app, [*args, "--only", "gamma"])
    assert res.exit_code == 1 and "1 of 1 conflicts did not run" in res.output


def test_suite_on_fabflee_conflicts(tmp_path: Path) -> None:
    root = fabflee_dir()
    rows = run_suite(root, tmp_path / "s", days=40, show=False,
                     only=["validation/SWEEP/mali2012", "mali2017_adm1", "dflee_example"])
    by = {r["conflict"]: r for r in rows}
    assert by["validation/SWEEP/mali2012"]["status"] == "ok"
    # mali2017_adm1's correction divides by a zero count before the start: run as Flee does
    assert by["mali2017_adm1"]["status"] == "ok"
    assert "Flee 3.1 cannot run" in by["dflee_example"]["status"]
