"""The reproductions of ../shared/adversarial-report.md (B1-B10), kept as regression tests.

Each test names the break it proves fixed. They run in-process (Typer's CliRunner) on tiny
scenarios; benchmarks/adversarial_repro.py re-runs the report's commands as subprocesses.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ranks.cli import app
from tests.conftest import DEMO, POPULATION, ROOT, SOURCES, TINY


# -- helpers --------------------------------------------------------------------------------
def demo_text() -> str:
    """demo.yaml with absolute paths, so that a copy runs from any folder."""
    return DEMO.read_text("utf-8").replace(
        "population: common/population-deir-ezzor.yaml",
        f"population: {POPULATION}\nevidence: {SOURCES}")


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def one_line_error(r, *words: str) -> str:
    """Exit 2, one line ``error: ...`` on the output, no traceback; returns the line."""
    assert r.exit_code == 2, (r.exit_code, r.output, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    lines = [ln for ln in r.output.splitlines() if ln.strip() and not ln.startswith("note:")]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def at_line(line: str, fname: str) -> None:
    assert re.search(re.escape(fname) + r":\d+:", line), line


def no_run(monkeypatch) -> None:
    """Fail the test if a simulation starts (a refusal must come before)."""
    import ranks.runner

    def boom(*a, **k):
        raise AssertionError("the simulation started before the refusal")

    monkeypatch.setattr(ranks.runner, "run_replicate", boom)


@pytest.fixture(scope="module")
def tiny_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tiny")
    p = d / "tiny.yaml"
    p.write_text(TINY, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def tiny_run(tiny_scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("runs") / "tiny"
    r = CliRunner().invoke(app, ["run", str(tiny_scenario), "--out", str(out), "--scale",
                                 "0.2", "--replicates", "2", "-q"])
    assert r.exit_code == 0, r.output
    return out


# -- B1: --force deletes whatever --out names -------------------------------------------------
def test_b1_force_refuses_a_folder_of_scenarios(runner, tmp_path: Path, tiny_scenario,
                                                monkeypatch) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "mine.yaml").write_text("precious")
    no_run(monkeypatch)
    r = runner.invoke(app, ["run", str(tiny_scenario), "--out", str(folder), "--force", "-q"])
    one_line_error(r, "replaces only a run directory", "mine.yaml")
    assert (folder / "mine.yaml").read_text() == "precious"


def test_b1_force_refuses_a_scenario_file(runner, tmp_path: Path, monkeypatch) -> None:
    scen = write(tmp_path, TINY, "s.yaml")
    no_run(monkeypatch)
    r = runner.invoke(app, ["run", str(scen), "--out", str(scen), "--force", "-q"])
    one_line_error(r, "a file")
    assert scen.read_text() == TINY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_b1_force_refuses_the_current_directory(runner, tmp_path: Path, tiny_scenario,
                                                monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    no_run(monkeypatch)
    r = runner.invoke(app, ["run", str(tiny_scenario), "--out", ".", "--force", "-q"])
    one_line_error(r, "current directory")
    assert list(tmp_path.iterdir()) == []


def test_b1_force_still_replaces_a_run(runner, tmp_path: Path, tiny_scenario) -> None:
    out = tmp_path / "run"
    for seed in ("4", "5"):
        r = runner.invoke(app, ["run", str(tiny_scenario), "--out", str(out), "--force",
                                "--scale", "0.05", "--seed", seed, "-q"])
        assert r.exit_code == 0, r.output
    assert json.loads((out / "manifest.json").read_text())["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_b1_report_and_compare_keep_foreign_files(runner, tiny_run: Path, tmp_path: Path
                                                  ) -> None:
    mine = tmp_path / "notes.html"
    mine.write_text("my notes")
    one_line_error(runner.invoke(app, ["report", str(tiny_run), "--out", str(mine), "-q"]),
                   "not written by ranks")
    one_line_error(runner.invoke(app, ["compare", str(tiny_run), str(tiny_run), "--out",
                                       str(mine)]), "not written by ranks")
    assert mine.read_text() == "my notes"


def test_b1_ingest_force_keeps_a_scenario(runner, tmp_path: Path) -> None:
    scen = write(tmp_path, demo_text(), "s.yaml")
    acled = ROOT / "tests" / "data" / "ingest" / "acled_sample.csv"
    r = runner.invoke(app, ["ingest", str(acled), "--scenario", str(scen), "--source",
                            "x", "--out", str(scen), "--force"])
    one_line_error(r, "replaces only a fronts table")
    assert scen.read_text() == demo_text()


# -- B2: silent wrong values ----------------------------------------------------------------
B2 = [
    ("type: prices, value: 1.5", "type: prices, value: .nan", "finite"),
    ("type: prices, value: 1.5", "type: prices, value: .inf", "finite"),
    ("type: prices, value: 1.5", "type: prices, value: -1", "greater than 0"),
    ("type: pay_change, actor: GROUP_A, value: 0.5",
     "type: pay_change, actor: GROUP_A, value: -1", "greater than or equal to 0"),
    ("to: Sandcamp}, value: 0.02", "to: Sandcamp}, value: 2.0", "chance of a mine"),
    ("id: smuggler-price-2015, value: 1000", "id: smuggler-price-2015, value: -1000", "USD"),
    ("args: {ages: [20, 30]", "args: {ages: [42, 18]", "youngest, oldest"),
    ("args: {ages: [20, 30]", "args: {ages: [-5, 500]", "ages"),
    ("args: {days: 30}", "args: {days: -5}", "args.days"),
    ("args: {path: mortality.background_per_year}, value: 0.005",
     "args: {path: mortality.background_per_year}, value: -1", "is refused"),
    ("args: {path: mortality.background_per_year}, value: 0.005",
     "args: {path: leaving.food_price_index}, value: -2", "must be >= 0"),
    ("deadline_days: 7}", "deadline_day: 30}", "did you mean 'deadline_days'?"),
    ("args: {jobs: 0.7}", "args: {jobs: 1.7}", "args.jobs"),
    ("type: massacre, actor: GROUP_A, tribe: Beta, value: 300",
     "type: massacre, actor: GROUP_A, tribe: Beta, value: 300, until: 2015-01-01",
     "massacre does not take 'until'"),
]


@pytest.mark.parametrize(("old", "new", "words"), B2, ids=[b[1][-28:] for b in B2])
def test_b2_timeline_values_and_args_are_checked(runner, tmp_path: Path, old: str, new: str,
                                                 words: str) -> None:
    text = sub(demo_text(), old, new)
    r = runner.invoke(app, ["validate", str(write(tmp_path, text))])
    line = one_line_error(r, words, "timeline[")
    at_line(line, "x.yaml")
    n = int(re.search(r"x\.yaml:(\d+):", line).group(1))
    assert new in text.splitlines()[n - 1], (line, text.splitlines()[n - 1])


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_b2_set_cannot_bring_nan(runner, tmp_path: Path, value: str, monkeypatch) -> None:
    no_run(monkeypatch)
    r = runner.invoke(app, ["run", str(write(tmp_path, demo_text())), "--out",
                            str(tmp_path / "o"), "-q", "--set", f"timeline.3.value={value}"])
    one_line_error(r, "timeline[3].value", "finite")


def test_b2_set_param_obeys_the_parameter_bounds(runner, tmp_path: Path) -> None:
    text = TINY.replace("value: 0.01, assumption", "value: 1.5, assumption")
    r = runner.invoke(app, ["validate", str(write(tmp_path, text))])
    one_line_error(r, "mortality.background_per_year = 1.5 is refused")


def test_b2_args_are_typed_for_the_modules(tmp_path: Path) -> None:
    from ranks.runner import load

    text = sub(demo_text(), "args: {ages: [20, 30], deadline_days: 7}",
               "args: {ages: ['20', 30.0], deadline_days: '7'}")
    ev = next(e for e in load(write(tmp_path, text)).scenario.timeline
              if e.args.get("deadline_days") == 7)
    assert ev.args == {"ages": [20, 30], "deadline_days": 7}


SWEEP = """design: grid
scale: 0.01
until: 2014-08-01
parameters:
  - path: modules.mortality.background_per_year.value
    {rng}
outcomes:
  - {out}
"""


@pytest.mark.parametrize(("rng", "out", "words"), [
    ("values: [0.005]", "{name: x, event: flew}", "unknown event 'flew'; did you mean 'fled'"),
    ("values: [0.005]", "{name: x, stock: people, place: Atlantis}", "unknown place"),
    ("values: [0.005]", "{name: x, stock: peple}", "did you mean 'people'"),
    ("values: [0.005]", "{name: x, event: died, from: 2016-01-01}", "outside the simulated"),
    ("min: 0.002\n    max: 0.02\n    integer: true", "{name: x, event: died}",
     "holds only the whole number 0"),
])
def test_b2_sweep_outcomes_and_ranges_are_checked(runner, tmp_path: Path, rng: str, out: str,
                                                  words: str) -> None:
    sw = write(tmp_path, SWEEP.format(rng=rng, out=out), "sw.yaml")
    r = runner.invoke(app, ["sweep", str(write(tmp_path, demo_text())), str(sw), "--out",
                            str(tmp_path / "sw"), "-q"])
    at_line(one_line_error(r, words), "sw.yaml")
    assert not (tmp_path / "sw").exists()


# -- B3: two runs to one --out ------------------------------------------------------------------
def _run_into(scen: str, out: str, seed: int, q) -> None:
    from ranks.errors import RanksInputError
    from ranks.runner import load, run_scenario

    try:
        run_scenario(load(scen), Path(out), seed=seed, scale=0.3)
        q.put((seed, "ok"))
    except RanksInputError as e:
        q.put((seed, e.format()))


def test_b3_concurrent_runs_cannot_both_succeed(tmp_path: Path, tiny_scenario) -> None:
    ctx = multiprocessing.get_context("fork")
    out = tmp_path / "same-dir"
    for attempt in range(2):
        q = ctx.Queue()
        ps = [ctx.Process(target=_run_into, args=(str(tiny_scenario), str(out), s, q))
              for s in (1, 2)]
        for p in ps:
            p.start()
        for p in ps:
            p.join(120)
        res = dict(q.get(timeout=5) for _ in ps)
        ok = [s for s, msg in res.items() if msg == "ok"]
        assert len(ok) == (1 if attempt == 0 else 0), res
        for msg in res.values():
            if msg != "ok":
                assert "another ranks process" in msg or "output exists" in msg, msg
        if attempt == 0:
            kept = json.loads((out / "manifest.json").read_text())["seed"]
            assert kept == ok[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same-dir"]


# -- B4: valid input crashed the engine ------------------------------------------------------
@pytest.mark.parametrize(("seed", "scale"), [(18, 0.003), (1, 0.003), (5, 0.0003),
                                             (2, 0.0001)])
def test_b4_households_stay_in_step_at_small_scales(seed: int, scale: float) -> None:
    from ranks.population import synthesize
    from ranks.scenario.loader import load_scenario
    from ranks.world import build_world

    sc = load_scenario(DEMO).scenario
    w = build_world(sc)
    people, hh = synthesize(w.population, w.tribe, sc.population, scale, seed, w.n_actors,
                            w.n_days)
    H = len(hh)
    assert {len(getattr(hh, f)) for f in hh.__dataclass_fields__} == {H}
    assert people.household.min() >= 0 and people.household.max() < H
    np.testing.assert_array_equal(np.bincount(people.household, minlength=H), hh.size)
    assert (people.household[hh.head] == np.arange(H)).all()


def test_b4_seed_18_at_scale_0_003_runs(runner, tmp_path: Path) -> None:
    out = tmp_path / "o"
    r = runner.invoke(app, ["run", str(DEMO), "--out", str(out), "--scale", "0.003",
                            "--seed", "18", "--until", "2014-09-01", "-q"])
    assert r.exit_code == 0, r.output


def test_b4_population_abroad_runs(runner, tmp_path: Path) -> None:
    out = tmp_path / "o"
    r = runner.invoke(app, ["run", str(DEMO), "--out", str(out), "--scale", "0.02", "-q",
                            "--until", "2014-09-01", "--set", "places.7.population=100"])
    assert r.exit_code == 0, r.output
    st = pd.read_parquet(out / "stocks.parquet")
    assert np.isfinite(st["value"]).all()


# -- B5: markup and emoji ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["[/x]", "[bold red]Boom[/]", "a:x:b:smile:"])
def test_b5_user_values_are_printed_as_they_are(runner, tmp_path: Path, name: str) -> None:
    text = sub(demo_text(), "{from: Rivertown, to: Palmgrove", f'{{from: "{name}", to: Palmgrove')
    r = runner.invoke(app, ["validate", str(write(tmp_path, text))])
    one_line_error(r, name, "routes[0].from")


def test_b5_ok_line_shows_paths_literally(runner, tmp_path: Path) -> None:
    p = write(tmp_path, TINY, "[bold]x:smile:.yaml")
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 0 and "[bold]x:smile:.yaml" in r.output, r.output


def test_b5_the_error_path_cannot_crash(capsys) -> None:
    from ranks.cli import print_error

    print_error("error:", "[/x] \udcff :x: [bold]")  # a lone surrogate, markup, emoji code
    err = capsys.readouterr().err
    assert "[/x]" in err and ":x:" in err and "[bold]" in err and "\\udcff" in err
    assert err.count("\n") == 1


# -- B6: validate passed, then the run failed -------------------------------------------------
def _ev(d: dict, kind: str) -> dict:
    return next(e for e in d["timeline"] if e["type"] == kind)


B6 = {
    "empty-routes": (lambda d: d.update(routes=[]), "routes"),
    "33-actors-economy": (lambda d: d["actors"].extend(
        {"id": f"X{i}", "name": "x", "assumption": "t"} for i in range(31)),
        "at most 32 actors"),
    "100-year-period": (lambda d: d["period"].update(end="2114-01-01"), "period"),
    "ages-abc": (lambda d: _ev(d, "conscription_order")["args"].update(ages="abc"),
                 "args.ages"),
    "massacre-nan": (lambda d: _ev(d, "massacre").update(value=float("nan")), "finite"),
    "checkpoint-nan": (lambda d: _ev(d, "checkpoint_campaign").update(value=float("nan")),
                       "finite"),
    "unknown-destination": (lambda d: _ev(d, "safe_exit")["args"].update(
        destination="Atlantis"), "unknown place 'Atlantis'"),
    "actor-color": (lambda d: d["actors"][0].update(color="notacolour"), "colour"),
    "minefield-no-route": (lambda d: _ev(d, "minefield").pop("args"),
                           "minefield needs a place or args.from and args.to"),
    "closure-empty-place": (lambda d: _ev(d, "closure").update(place=[]), "empty list"),
    "exit-ban-no-actor": (lambda d: _ev(d, "exit_ban").pop("actor"),
                          "exit_ban needs an actor"),
    "massacre-no-tribe": (lambda d: _ev(d, "massacre").pop("tribe"),
                          "massacre needs a tribe"),
    "route-not-joined": (lambda d: _ev(d, "minefield")["args"].update(to="Stonewell"),
                         "no route joins"),
    "route-distance-inf": (lambda d: d["routes"][0].update(distance_km=float("inf")),
                           "finite"),
    "route-distance-1e308": (lambda d: d["routes"][0].update(distance_km=1e308),
                             "less than or equal"),
}


@pytest.mark.parametrize("case", list(B6))
def test_b6_validate_refuses_what_would_fail_at_run_time(runner, tmp_path: Path,
                                                         case: str) -> None:
    d = yaml.safe_load(demo_text())
    fn, words = B6[case]
    fn(d)
    p = write(tmp_path, yaml.safe_dump(d, sort_keys=False))
    at_line(one_line_error(runner.invoke(app, ["validate", str(p)]), words), "x.yaml")


def test_b6_huge_population_refused_with_the_estimate(runner, tmp_path: Path,
                                                      monkeypatch) -> None:
    no_run(monkeypatch)
    text = sub(demo_text(), "population: 30000", "population: 1000000000000")
    r = runner.invoke(app, ["run", str(write(tmp_path, text)), "--out", str(tmp_path / "o"),
                            "-q"])
    one_line_error(r, "GiB", "available")


def test_b6_report_survives_an_odd_actor_colour(runner, tiny_run: Path, tmp_path: Path
                                                ) -> None:
    import shutil

    bad = tmp_path / "run"
    shutil.copytree(tiny_run, bad)
    res = yaml.safe_load((bad / "scenario.resolved.yaml").read_text())
    res["actors"][0]["color"] = "notacolour"
    (bad / "scenario.resolved.yaml").write_text(yaml.safe_dump(res))
    r = runner.invoke(app, ["report", str(bad), "-q"])
    assert r.exit_code == 0, r.output


# -- B7: relative paths ------------------------------------------------------------------------
def test_b7_validate_from_the_scenario_folder(runner, monkeypatch) -> None:
    monkeypatch.chdir(ROOT / "scenarios")
    assert runner.invoke(app, ["validate", "demo.yaml"]).exit_code == 0


def test_b7_check_finds_targets_from_anywhere(runner, tmp_path: Path, monkeypatch) -> None:
    proj = tmp_path / "proj"
    (proj / "scenarios").mkdir(parents=True)
    (proj / "scenarios" / "t.yaml").write_text(TINY)
    (proj / "scenarios" / "targets.yaml").write_text(
        f"evidence: {SOURCES}\ntargets:\n  - {{id: d, description: deaths, metric: event_sum,"
        " event: died, window: [2014-01-01, 2014-03-01], value: 10, tolerance: {relative: "
        "100}, used_in_fitting: false, assumption: test}\n")
    monkeypatch.chdir(proj)
    r = runner.invoke(app, ["run", "scenarios/t.yaml", "--out", "runs/t", "--scale", "0.2",
                            "-q"])
    assert r.exit_code == 0, r.output
    man = json.loads((proj / "runs/t/manifest.json").read_text())["scenario"]
    assert man["path"] == "scenarios/t.yaml"
    assert man["path_from_run"] == "../../scenarios/t.yaml"
    assert Path(man["abs_path"]).is_absolute()
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["check", str(proj / "runs" / "t")])
    assert r.exit_code in (0, 1), r.output
    assert "1 targets pass" in r.output or "targets pass" in r.output


# -- B8: output paths ---------------------------------------------------------------------------
@pytest.mark.parametrize(("out", "words"), [("afile/x", "which is a file"),
                                            ("/proc/ranks-x", "cannot"),
                                            ("x" * 300, "bytes long")])
def test_b8_out_checked_before_the_simulation(runner, tmp_path: Path, tiny_scenario,
                                              monkeypatch, out: str, words: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    no_run(monkeypatch)
    r = runner.invoke(app, ["run", str(tiny_scenario), "--out", out, "-q"])
    one_line_error(r, words)


def test_b8_leftovers_of_a_killed_run_are_cleaned(runner, tmp_path: Path, tiny_scenario
                                                  ) -> None:
    (tmp_path / ".o.tmp-dead").mkdir()
    (tmp_path / ".o.tmp-dead" / "events.parquet").write_bytes(b"partial")
    r = runner.invoke(app, ["run", str(tiny_scenario), "--out", str(tmp_path / "o"),
                            "--scale", "0.05", "-q"])
    assert r.exit_code == 0, r.output
    assert "removed .o.tmp-dead" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_b8_force_rename_window_is_repaired(runner, tmp_path: Path, tiny_scenario) -> None:
    for s in ("1", "2"):
        r = runner.invoke(app, ["run", str(tiny_scenario), "--out", str(tmp_path / f"w{s}"),
                                "--scale", "0.05", "--seed", s, "-q"])
        assert r.exit_code == 0
    (tmp_path / "w1").rename(tmp_path / ".w.old-k")
    os.utime(tmp_path / "w2" / "manifest.json")
    (tmp_path / "w2").rename(tmp_path / ".w.tmp-k")
    r = runner.invoke(app, ["run", str(tiny_scenario), "--out", str(tmp_path / "w"), "-q"])
    one_line_error(r, "output exists")  # repaired first, then refused (no --force)
    assert "restored" in r.output
    assert json.loads((tmp_path / "w" / "manifest.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]


def test_b8_run_directories_get_normal_permissions(tiny_run: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    assert tiny_run.stat().st_mode & 0o777 == 0o777 & ~mask


# -- B9: corrupt run directories ----------------------------------------------------------------
def _manifest(key: str, value):
    def fn(d: Path) -> None:
        m = json.loads((d / "manifest.json").read_text())
        m[key] = value
        (d / "manifest.json").write_text(json.dumps(m))
    return fn


def _table(name: str, col: str):
    def fn(d: Path) -> None:
        t = pd.read_parquet(d / name)
        t[col] = t[col].astype(str) + "x"
        t.to_parquet(d / name)
    return fn


CORRUPT = {
    "scale-abc": _manifest("scale", "abc"),
    "scale-zero": _manifest("scale", 0),
    "scale-nan": lambda d: (d / "manifest.json").write_text(
        (d / "manifest.json").read_text().replace('"scale": 0.2', '"scale": NaN')),
    "replicates-many": _manifest("replicates", "many"),
    "start-garbage": _manifest("start", "garbage"),
    "scenario-x": _manifest("scenario", "x"),
    "manifest-list": lambda d: (d / "manifest.json").write_text("[1, 2]"),
    "manifest-not-json": lambda d: (d / "manifest.json").write_text("{"),
    "resolved-list": lambda d: (d / "scenario.resolved.yaml").write_text("- a\n- b\n"),
    "count-strings": _table("events.parquet", "count"),
    "value-strings": _table("stocks.parquet", "value"),
    "events-not-parquet": lambda d: (d / "events.parquet").write_bytes(b"PAR1 nonsense"),
}


@pytest.mark.parametrize("cmd", ["report", "check", "compare"])
@pytest.mark.parametrize("case", list(CORRUPT))
def test_b9_corrupt_run_directories_give_one_line(runner, tiny_run: Path, tmp_path: Path,
                                                  case: str, cmd: str) -> None:
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(tiny_run, bad)
    CORRUPT[case](bad)
    args = {"report": ["report", str(bad), "-q"],
            "check": ["check", str(bad), "--targets", str(tmp_path / "none.yaml")],
            "compare": ["compare", str(tiny_run), str(bad), "--out", str(tmp_path / "c.html")]}
    line = one_line_error(runner.invoke(app, args[cmd]))
    assert str(bad) in line


def test_b9_check_exit_codes_say_fail_or_could_not(runner, tiny_run: Path, tmp_path: Path
                                                   ) -> None:
    t = write(tmp_path, f"evidence: {SOURCES}\ntargets:\n  - {{id: never, description: never "
              "reached, metric: event_sum, event: died, window: [2014-01-01, 2014-03-01], "
              "value: 1.0e12, tolerance: {relative: 0.01}, used_in_fitting: false, "
              "assumption: test}\n", "t.yaml")
    r = runner.invoke(app, ["check", str(tiny_run), "--targets", str(t)])
    assert r.exit_code == 1 and "fail" in r.output, r.output
    t2 = write(tmp_path, "targets: 3\n", "t2.yaml")
    one_line_error(runner.invoke(app, ["check", str(tiny_run), "--targets", str(t2)]))


@pytest.mark.parametrize("text", ["{not json", '{"key": {"spec": 3}}', "[]",
                                  '{"key": {"spec": {"design": "sobol"}}}'])
def test_b9_sensitivity_of_a_corrupt_sweep(runner, tmp_path: Path, text: str) -> None:
    (tmp_path / "sweep.json").write_text(text)
    one_line_error(runner.invoke(app, ["sensitivity", str(tmp_path)]), "sweep.json")


# -- B10: resources ------------------------------------------------------------------------------
@pytest.mark.parametrize(("opt", "value", "words"), [
    ("--scale", "nan", "positive number"), ("--scale", "inf", "positive number"),
    ("--scale", "0", "positive number"), ("--scale", "-1", "positive number"),
    ("--scale", "1e6", "GiB"), ("--scale", "1e-9", "makes no people"),
    ("--seed", "-1", "whole number from 0"),
])
def test_b10_run_options_are_bounded(runner, tmp_path: Path, monkeypatch, opt: str,
                                     value: str, words: str) -> None:
    no_run(monkeypatch)
    r = runner.invoke(app, ["run", str(DEMO), "--out", str(tmp_path / "o"), opt, value, "-q"])
    one_line_error(r, words)


@pytest.mark.parametrize(("body", "words"), [
    ("design: grid\nparameters:\n" + "".join(
        f"  - {{path: population.{k}.value, min: 0.1, max: 0.5, points: 100}}\n"
        for k in ("male_share", "polygamy_share", "women_employed")), "1,000,000 runs"),
    ("design: sobol\nsamples: 100000000\nparameters:\n"
     "  - {path: population.male_share.value, min: 0.4, max: 0.6}\n", "300,000,000 runs"),
])
def test_b10_huge_designs_refused_before_drawing(runner, tmp_path: Path, body: str,
                                                 words: str) -> None:
    sw = write(tmp_path, body, "big.yaml")
    r = runner.invoke(app, ["sweep", str(DEMO), str(sw), "--out", str(tmp_path / "o"), "-q"])
    at_line(one_line_error(r, words), "big.yaml")


def test_b10_20000_places_refused_with_the_estimate(runner, tmp_path: Path,
                                                    monkeypatch) -> None:
    rows = ["name,lat,lon,type,population,source"] + [
        f"P{i},{30 + (i % 100) / 10},{35 + (i // 100) / 100},town,100,assumption: t"
        for i in range(20_000)]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    d = yaml.safe_load(demo_text())
    d.update(places="p.csv", routes=[{"from": "P0", "to": "P1", "assumption": "t"}],
             control=[{"date": "2014-06-01", "place": "P0", "actor": "GROUP_A",
                       "assumption": "t"}], fronts=[], timeline=[])
    d.pop("experiments", None)  # its levers name timeline entries removed here
    d["modules"] = {"flight": {}, "mortality": {}}
    p = write(tmp_path, yaml.safe_dump(d))
    no_run(monkeypatch)
    r = runner.invoke(app, ["run", str(p), "--out", str(tmp_path / "o"), "-q"])
    one_line_error(r, "20,000 places", "GiB")


def test_b10_deep_yaml_and_billion_laughs(runner, tmp_path: Path) -> None:
    deep = write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml")
    at_line(one_line_error(runner.invoke(app, ["validate", str(deep)]), "nested"), "deep.yaml")
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    lol = write(tmp_path, "\n".join(lines) + "\n", "lol.yaml")
    one_line_error(runner.invoke(app, ["validate", str(lol)]), "aliases")


@pytest.mark.parametrize("kind", ["fifo", "loop", "dev-zero", "directory"])
def test_b10_odd_files_as_csv_paths(runner, tmp_path: Path, kind: str) -> None:
    target = {"fifo": "f.csv", "loop": "l1.csv", "dev-zero": "/dev/zero", "directory": "d"}[kind]
    if kind == "fifo":
        os.mkfifo(tmp_path / "f.csv")
    elif kind == "loop":
        (tmp_path / "l1.csv").symlink_to(tmp_path / "l2.csv")
        (tmp_path / "l2.csv").symlink_to(tmp_path / "l1.csv")
    elif kind == "directory":
        (tmp_path / "d").mkdir()
    elif not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    text = TINY[:TINY.index("places:")] + f"places: {target}\n" + TINY[TINY.index("routes:"):]
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(TimeoutError("hang")))
    signal.alarm(30)
    try:
        r = runner.invoke(app, ["validate", str(write(tmp_path, text))])
    finally:
        signal.alarm(0)
    one_line_error(r, {"fifo": "FIFO", "loop": "loop", "dev-zero": "device",
                       "directory": "directory"}[kind])


# -- flee -----------------------------------------------------------------------------------------
def flee_dirs(tmp_path: Path, *, length: str = "20", conflict: str = "1.0",
              observed: str = "2000", settings: str | None = None) -> tuple[Path, Path]:
    inp, val = tmp_path / "in", tmp_path / "val"
    inp.mkdir()
    val.mkdir()
    (inp / "locations.csv").write_text(
        "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
        "A,R,Home,0.0,0.0,conflict_zone,0,10000\nT,R,Home,0.0,1.0,town,,5000\n"
        "C1,R,Abroad,1.0,1.0,camp,,100000\n")
    (inp / "routes.csv").write_text("#name1,name2,distance,forced_redirection\nA,T,100,0\n"
                                    "T,C1,150,0\n")
    (inp / "conflicts.csv").write_text("#Day,A\n" + "".join(
        f"{t},{conflict if t == 3 else '1.0'}\n" for t in range(20)))
    (inp / "sim_period.csv").write_text(f"StartDate,2020-01-01\nLength,{length}\n")
    if settings is not None:
        (inp / "simsetting.yml").write_text(settings)
    (val / "data_layout.csv").write_text("total,refugees.csv\nC1,c1.csv\n")
    (val / "refugees.csv").write_text("Date,Refugee_numbers\n2020-01-01,0\n2020-03-01,2000\n")
    (val / "c1.csv").write_text(f"Date,n\n2020-01-01,0\n2020-03-01,{observed}\n")
    return inp, val


@pytest.mark.parametrize(("kw", "extra", "words"), [
    ({}, ["--seed", "-1"], "whole number from 0"),
    ({"length": "1000000000"}, [], "day-by-day arrays"),
    ({}, ["--out", "/proc/ranks-x"], "cannot"),
    ({"conflict": "-1.0"}, [], "conflict intensity from 0 to 1"),
    ({"conflict": "5"}, [], "conflict intensity from 0 to 1"),
    ({"observed": "-50"}, [], "count of people >= 0"),
])
def test_flee_inputs_are_bounded(runner, tmp_path: Path, kw: dict, extra: list[str],
                                 words: str) -> None:
    inp, val = flee_dirs(tmp_path, **kw)
    args = ["flee", str(inp), str(val), "--out", str(tmp_path / "out"), "-q", *extra]
    if "--out" in extra:
        args = ["flee", str(inp), str(val), "-q", *extra]
    one_line_error(runner.invoke(app, args), words)


def test_flee_settings_typo_is_reported(runner, tmp_path: Path) -> None:
    inp, val = flee_dirs(tmp_path, settings="move_rules:\n  max_move_sped: 100\n")
    r = runner.invoke(app, ["flee", str(inp), str(val), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "did you mean move_rules.max_move_speed?" in r.output
