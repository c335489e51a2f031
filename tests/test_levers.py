"""Scenario levers (``experiments.levers``): checked at load like the rest of the scenario,
offered with kinds and baselines, turned into overrides that move outcomes, and the shipped
scenarios declare valid ones."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from ranks.cli import app
from ranks.errors import RanksInputError
from ranks.runner import load as load_scenario
from ranks.scenario.levers import lever_overrides, resolve_levers
from tests.conftest import DEMO, ROOT, TINY

LEVERS = """\
timeline:
  - {date: 2014-02-10, type: set_param, id: later-deaths, args: {path: mortality.background_per_year}, value: 0.01, assumption: test}
experiments:
  levers:
    - {id: deaths_date, label: "Mortality change on", path: timeline.later-deaths.date, min: 2014-01-05, max: 2014-02-27, assumption: test}
    - {id: deaths_rate, label: "Mortality from then on", path: timeline.later-deaths.value, min: 0.0, max: 0.5, assumption: test}
    - {id: background, label: "Background mortality", path: modules.mortality.background_per_year.value, min: 0.0, max: 0.1, assumption: test}
    - {id: camp_capacity, label: "Camp C capacity", path: places.C.capacity, min: 10, max: 1000, assumption: test}
"""


def scenario_text(**repl: str) -> str:
    """The tiny scenario with the levers above, after replacing text."""
    text = TINY[:TINY.index("timeline:")] + LEVERS + TINY[TINY.index("\npopulation:") + 1:]
    text = text.replace("type: camp, assumption: test}", "type: camp, capacity: 100, "
                        "assumption: test}")
    for old, new in repl.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_levers_resolve_with_kinds_and_baselines(write_scenario) -> None:
    loaded = load_scenario(write_scenario(scenario_text()))
    got = {li.id: (li.kind, li.baseline) for li in resolve_levers(loaded)}
    assert got == {"deaths_date": ("date", dt.date(2014, 2, 10)),
                   "deaths_rate": ("float", 0.01),
                   "background": ("float", loaded.module_params["mortality"]
                                  .background_per_year.value),
                   "camp_capacity": ("int", 100)}


BAD = [
    ("unknown field under a timeline entry", {"path: timeline.later-deaths.value":
                                              "path: timeline.later-deaths.valu"},
     "deaths_rate", "path", "unknown path 'timeline.later-deaths.valu'"),
    ("unknown timeline id", {"path: timeline.later-deaths.value":
                             "path: timeline.earlier-deaths.value"},
     "deaths_rate", "path", "no item 'earlier-deaths'"),
    ("module not in the scenario", {"path: modules.mortality.background_per_year.value":
                                    "path: modules.flight.relatives_pay_chance.value"},
     "background", "path", "module 'flight' is not in this scenario"),
    ("outside the root sections", {"path: places.C.capacity": "path: period.end"},
     "camp_capacity", "path", "a lever changes a value under"),
    ("a descriptive field", {"path: places.C.capacity": "path: places.C.lat"},
     "camp_capacity", "path", "does not drive the model"),
    ("max not allowed by the field", {"min: 0.0, max: 0.1, assumption":
                                      "min: 0.0, max: 1.5, assumption"},
     "background", "max", "= 1.5 is not allowed"),
    ("min not allowed by the field", {"min: 10, max: 1000": "min: -10, max: 1000"},
     "camp_capacity", "min", "= -10 is not allowed"),
    ("date range leaves the period", {"min: 2014-01-05, max: 2014-02-27":
                                      "min: 2013-12-01, max: 2014-02-27"},
     "deaths_date", "min", "outside the period"),
    ("baseline outside the range", {"min: 0.0, max: 0.5": "min: 0.02, max: 0.5"},
     "deaths_rate", "min", "the scenario's value 0.01 is outside the range"),
    ("range out of order", {"min: 10, max: 1000": "min: 1000, max: 10"},
     "camp_capacity", "max", "range out of order"),
    ("missing max", {"min: 0.0, max: 0.1, assumption": "min: 0.0, assumption"},
     "background", "max", "missing required field 'max'"),
    ("whole numbers for counts", {"min: 10, max: 1000": "min: 10.5, max: 1000"},
     "camp_capacity", "min", "must be a whole number"),
    ("a number where a date is expected", {"min: 2014-01-05": "min: 5"},
     "deaths_date", "min", "must be a date"),
    ("no evidence", {", min: 0.0, max: 0.1, assumption: test}": ", min: 0.0, max: 0.1}"},
     "background", None, "no evidence"),
    ("unknown lever field", {"label: \"Camp C capacity\"": "label: \"Camp C capacity\", "
                                                             "maxx: 5"},
     "camp_capacity", None, "unknown field 'maxx'; did you mean 'max'?"),
]


@pytest.mark.parametrize(("cid", "repl", "lever", "key", "words"), BAD,
                         ids=[b[0] for b in BAD])
def test_bad_levers_are_refused_with_file_line_field(runner, write_scenario, cid, repl,
                                                      lever, key, words) -> None:
    text = scenario_text(**repl)
    path = write_scenario(text)
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2, (cid, r.output)
    out = " ".join(r.output.split())
    assert "Traceback" not in out
    line = _line_of(text, f"{{id: {lever},")
    assert f"s.yaml:{line}:" in out, (cid, out)
    assert "experiments.levers[" in out, out
    if key:
        assert re.search(rf"experiments\.levers\[\d\]\.{key}", out), out
    assert words in out, (cid, out)


def test_duplicate_lever_and_timeline_ids(runner, write_scenario) -> None:
    text = scenario_text(**{"{id: background,": "{id: deaths_rate,"})
    r = runner.invoke(app, ["validate", str(write_scenario(text))])
    assert r.exit_code == 2 and "duplicate lever id" in r.output
    text = scenario_text().replace(
        "timeline:\n", "timeline:\n  - {date: 2014-01-10, type: set_param, id: later-deaths, "
        "args: {path: mortality.background_per_year}, value: 0.02, assumption: test}\n", 1)
    r = runner.invoke(app, ["validate", str(write_scenario(text, "t.yaml"))])
    assert r.exit_code == 2 and "duplicate timeline id 'later-deaths'" in r.output


def test_lever_values_become_overrides_and_are_range_checked(write_scenario) -> None:
    loaded = load_scenario(write_scenario(scenario_text()))
    ov = lever_overrides(loaded, {"deaths_rate": 0.2, "deaths_date": "2014-01-20",
                                  "modules.mortality.conflict_per_year_at_full_front.value": 0.1})
    assert ov == {"timeline.later-deaths.value": 0.2,
                  "timeline.later-deaths.date": dt.date(2014, 1, 20),
                  "modules.mortality.conflict_per_year_at_full_front.value": 0.1}
    for bad, words in (({"deaths_rate": 0.9}, "outside its range 0.0..0.5"),
                       ({"deaths_date": "soon"}, "takes a date"),
                       ({"camp_capacity": 50.5}, "takes a whole number"),
                       ({"deaths_rat": 0.1}, "did you mean 'deaths_rate'")):
        with pytest.raises(RanksInputError, match=re.escape(words)):
            lever_overrides(loaded, bad)


def test_moving_a_timeline_date_keeps_the_timeline_in_date_order(write_scenario) -> None:
    text = scenario_text().replace(
        "timeline:\n", "timeline:\n  - {date: 2014-01-15, type: set_param, args: {path: "
        "mortality.conflict_per_year_at_full_front}, value: 0.05, assumption: test}\n", 1)
    path = write_scenario(text)
    base = load_scenario(path)
    moved = load_scenario(path, overrides=lever_overrides(base, {"deaths_date": "2014-01-06"}))
    assert [e.id for e in moved.scenario.timeline] == ["later-deaths", None]
    assert moved.scenario.timeline[0].date == dt.date(2014, 1, 6)


def test_a_lever_moves_outcomes_and_the_baseline_is_unchanged(write_scenario, tmp_path) -> None:
    """Raising the mortality the lever controls raises deaths; the same seeds without a
    change give the same numbers (paired runs differ only by the lever)."""
    import ranks

    sc = ranks.load(write_scenario(scenario_text()))
    base = ranks.run(sc, seed=5, scale=0.5, replicates=2, out=tmp_path / "a")
    same = ranks.run(sc, seed=5, scale=0.5, replicates=2, out=tmp_path / "b")
    more = ranks.run(sc, seed=5, scale=0.5, replicates=2, out=tmp_path / "c",
                     set={"deaths_rate": 0.5})
    died = {k: r.events.loc[r.events.event == "died", "count"].sum()
            for k, r in (("base", base), ("same", same), ("more", more))}
    assert died["base"] == died["same"]
    assert died["more"] > 3 * died["base"] > 0
    assert more.overrides == {"timeline.later-deaths.value": 0.5}


SHIPPED = [ROOT / "scenarios" / n for n in ("demo.yaml", "deir-ezzor-2014-2017.yaml",
                                             "deir-ezzor-2017-2020.yaml",
                                             "deir-ezzor-2014-2020.yaml")]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_declare_valid_sourced_levers(path: Path) -> None:
    loaded = load_scenario(path)
    levers = resolve_levers(loaded)
    assert len(levers) >= 10
    paths = " ".join(li.lever.path for li in levers)
    # the families the explorer is for, where the model has parameters for them
    for family in ("amnesty", "relatives_pay_chance", "ages", "deadline_days"):
        assert family in paths, (path.name, family)
    assert "checkpoints" in paths and ("smuggler" in paths)
    for li in levers:
        assert li.lever.evidence and li.lever.label
        if li.kind != "bool" and path.name == "demo.yaml":  # (flagships: checked at load)
            # both ends of every range load (each lever alone at its extremes)
            for end in (li.lever.min, li.lever.max):
                v = [end, end] if li.kind == "pair" else end
                load_scenario(path, overrides=lever_overrides(loaded, {li.id: v}))


def test_demo_levers_cover_camps_and_safe_exit() -> None:
    kinds = {li.id: li.kind for li in resolve_levers(load_scenario(DEMO))}
    assert kinds["camp_capacity"] == "int" and kinds["safe_exit_strength"] == "float"
    assert kinds["amnesty_rejoin"] == "bool" and kinds["order_ages"] == "pair"


def test_set_by_timeline_id_and_place_name_on_the_cli(runner, write_scenario, tmp_path) -> None:
    path = write_scenario(scenario_text())
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", str(path), "--out", str(out), "--scale", "0.2", "-q",
                            "--set", "timeline.later-deaths.value=0.3",
                            "--set", "places.C.capacity=500"])
    assert r.exit_code == 0, r.output
    import json

    m = json.loads((out / "manifest.json").read_text())
    assert m["overrides"] == {"timeline.later-deaths.value": 0.3, "places.C.capacity": 500}
    r = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "x"), "-q",
                            "--set", "timeline.nope.value=0.3"])
    assert r.exit_code == 2 and "no item nope" in r.output
