"""Engine: determinism, common random numbers, conservation, timeline days, run dirs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ranks.cli import app
from ranks.engine import ConservationError, Simulation
from ranks.modules.base import Module
from ranks.modules.mortality import Mortality, MortalityParams
from ranks.population import Assignment, State
from ranks.runner import load
from tests.conftest import DEMO, TINY


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_differs(runner, tmp_path: Path) -> None:
    outs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        out = tmp_path / name
        r = runner.invoke(app, ["run", str(DEMO), "--out", str(out), "--seed", str(seed),
                                "--scale", "0.2", "--until", "2015-03-01", "-q"])
        assert r.exit_code == 0, r.output
        outs.append(out)
    for f in ("events.parquet", "stocks.parquet"):
        assert _digest(outs[0] / f) == _digest(outs[1] / f)
    assert _digest(outs[0] / "events.parquet") != _digest(outs[2] / "events.parquet")
    m = json.loads((outs[0] / "manifest.json").read_text())
    assert m["seed"] == 5 and m["replicates"][0]["seed"] == 5 and m["scale"] == 0.2
    for key in ("ranks_version", "scenario", "runtime_s", "peak_rss_mb", "packages", "start",
                "end"):
        assert key in m
    assert len(m["scenario"]["sha256"]) == 64


class Noisy(Module):
    """Draws from its own stream and changes nothing."""

    name = "noisy"

    def step(self, sim, day):  # noqa: D102
        sim.rng("noisy.draws", day).random(1000)
        sim.person_uniform("noisy.person", np.arange(10))


def test_adding_a_module_leaves_other_draws_unchanged(write_scenario, tiny_text) -> None:
    loaded = load(write_scenario(tiny_text))
    params = MortalityParams(
        background_per_year={"value": 0.2, "assumption": "test"},
        conflict_per_year_at_full_front={"value": 0.5, "assumption": "test"})
    runs = []
    for extra in ([], [Noisy(Module.Params())]):
        sim = Simulation(loaded, seed=9, scale=1.0, modules=[*extra, Mortality(params)])
        sim.run()
        runs.append(sim.record.events_frame())
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert runs[0]["count"].sum() > 10


def test_person_draws_do_not_depend_on_who_else_is_drawn(write_scenario, tiny_text) -> None:
    sim = Simulation(load(write_scenario(tiny_text)), seed=1)
    a = sim.person_uniform("x", np.array([3, 10, 77]), day=4)
    b = sim.person_uniform("x", np.array([77, 5, 3]), day=4)
    assert a[0] == b[2] and a[2] == b[0]
    assert not np.array_equal(sim.person_uniform("x", np.array([3]), day=5), a[:1])


def test_control_timeline_applied_on_the_right_day(write_scenario, tiny_text) -> None:
    loaded = load(write_scenario(tiny_text))
    sim = Simulation(loaded, seed=1, scale=0.1)
    w = sim.world
    b, x, y = w.place_index["B"], w.actor_index["X"], w.actor_index["Y"]
    change = w.day_of(dt.date(2014, 2, 1))
    assert w.control[change - 1, b] == x and w.control[change, b] == y
    assert w.front[w.day_of(dt.date(2014, 1, 19)), b] == 0
    assert w.front[w.day_of(dt.date(2014, 1, 20)), b] == pytest.approx(0.7)
    sim.run()
    s = sim.record.stocks_frame()
    held = s[(s.stock == "control") & (s.place == "B")]
    assert set(held[held.date < dt.date(2014, 2, 1)].actor) == {"X"}
    assert set(held[held.date >= dt.date(2014, 2, 1)].actor) == {"Y"}


def test_set_param_takes_effect_from_its_day(write_scenario, tiny_text) -> None:
    sim = Simulation(load(write_scenario(tiny_text)), seed=1, scale=0.1)
    day = sim.world.day_of(dt.date(2014, 2, 10))
    for d in range(day):
        sim.step(d)
    assert sim.param("mortality", "background_per_year", -1.0) == -1.0
    sim.step(day)
    assert sim.param("mortality", "background_per_year", -1.0) == 0.01


def test_set_param_changes_what_the_module_does_from_that_day(write_scenario,
                                                              tiny_text) -> None:
    """A higher death rate set on 2014-02-10 raises deaths from that day on only."""
    def deaths(value: str) -> pd.Series:
        text = tiny_text.replace("value: 0.01, assumption: test}", f"value: {value}, "
                                 "assumption: test}")
        sim = Simulation(load(write_scenario(text, name=f"s{value}.yaml")), seed=4)
        sim.run()
        e = sim.record.events_frame()
        e = e[(e.event == "died") & (e.reason == "background")]
        return e.groupby(e.date >= dt.date(2014, 2, 10))["count"].sum()
    low, high = deaths("0.0037"), deaths("0.9")
    assert low.get(False, 0) == high.get(False, 0)  # same draws before the change
    assert high[True] > 20 * max(low.get(True, 0), 1)


def test_mortality_off_removes_deaths_and_front_raises_them(write_scenario, tiny_text) -> None:
    no_events = tiny_text.split("timeline:")[0] + "population:" + tiny_text.rsplit(
        "\npopulation:", 1)[1]  # the tiny timeline would set the background rate again
    loaded = load(write_scenario(no_events))
    def deaths(bg: float, conflict: float) -> pd.DataFrame:
        p = MortalityParams(background_per_year={"value": bg, "assumption": "t"},
                            conflict_per_year_at_full_front={"value": conflict,
                                                             "assumption": "t"})
        sim = Simulation(loaded, seed=2, modules=[Mortality(p)], check=True)
        sim.run()
        e = sim.record.events_frame()
        return e[e.event == "died"]
    assert deaths(0.0, 0.0).empty
    d = deaths(0.0, 0.9)
    assert set(d.reason) == {"conflict"} and set(d.place) == {"B"}  # only B has a front
    assert d["count"].sum() > 5


class Shuffler(Module):
    """Moves random people between states, places, actors and assignments."""

    name = "shuffler"

    def step(self, sim, day):  # noqa: D102
        g = sim.rng("shuffler", day)
        p = sim.people
        if p.n == 0:
            return
        ids = np.unique(g.integers(0, p.n, size=max(1, p.n // 20)))
        ids = ids[p.state[ids] != State.DEAD]
        k = len(ids)
        p.set(ids, day, state=g.integers(0, State.DEAD, k), place=g.integers(0, p.n_places, k),
              actor=g.integers(-1, sim.world.n_actors, k),
              assignment=g.integers(0, len(Assignment), k))
        sim.request_death(ids[: k // 10], "test")
        sim.request_death(ids[: k // 20], "twice")  # asked twice: dies once


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pops=st.lists(st.integers(0, 1500), min_size=2, max_size=5),
       seed=st.integers(0, 2**31), days=st.integers(5, 40),
       switch=st.lists(st.tuples(st.integers(1, 39), st.integers(0, 4), st.integers(0, 1)),
                       max_size=6))
def test_conservation_under_random_scenarios(tmp_path_factory, pops, seed, days, switch) -> None:
    tmp = tmp_path_factory.mktemp("cons")
    start = dt.date(2014, 1, 1)
    places = "\n".join(
        f"  - {{name: P{i}, lat: 35.{i}, lon: 40.{i}, type: town, population: {n}, "
        f"tribe: T{i % 2}, assumption: t}}" for i, n in enumerate(pops))
    ctrl = [f"  - {{date: {start}, place: P{i}, actor: X, assumption: t}}"
            for i in range(len(pops))]
    seen: set[tuple[int, int]] = set()
    for d, pl, a in sorted(switch):  # one row per place and day (a second is refused)
        if d < days and pl < len(pops) and (d, pl) not in seen:
            seen.add((d, pl))
            ctrl.append(f"  - {{date: {start + dt.timedelta(days=d)}, place: P{pl}, "
                        f"actor: {'XY'[a]}, assumption: t}}")
    text = TINY.split("places:")[0].replace("end: 2014-03-01",
                                            f"end: {start + dt.timedelta(days=days)}")
    text += (f"places:\n{places}\nactors:\n  - {{id: X, name: X, assumption: t}}\n"
             f"  - {{id: Y, name: Y, assumption: t}}\ncontrol:\n" + "\n".join(ctrl) + "\n"
             + "population: " + TINY.split("population: ")[-1].split("\n")[0] + "\n")
    path = tmp / "s.yaml"
    path.write_text(text)
    loaded = load(path)
    p = MortalityParams(background_per_year={"value": 0.3, "assumption": "t"},
                        conflict_per_year_at_full_front={"value": 0.0, "assumption": "t"})
    sim = Simulation(loaded, seed=seed, modules=[Shuffler(Module.Params()), Mortality(p)],
                     check=True)
    sim.run()
    assert sim.people.by_place_state.sum() == sum(pops)
    died = sim.record.totals.get("died", 0)
    assert died == sim.people.by_place_state[:, State.DEAD].sum()


def test_conservation_check_fails_loudly_on_a_lost_person(write_scenario, tiny_text) -> None:
    class Leaky(Module):
        name = "leaky"

        def step(self, sim, day):  # noqa: D102
            sim.people.state[0] = State.CAMP  # bypasses people.set: books no longer balance

    sim = Simulation(load(write_scenario(tiny_text)), seed=1,
                     modules=[Leaky(Module.Params())], check=True)
    with pytest.raises(ConservationError, match="recount"):
        sim.run()


def test_plan_is_printable_and_ordered(runner) -> None:
    r = runner.invoke(app, ["plan", str(DEMO)])
    assert r.exit_code == 0
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("1. timeline") and "deaths" in lines[-2]


@pytest.mark.slow
def test_outputs_schema_and_atomic_dir(runner, tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", str(DEMO), "--out", str(out), "--scale", "0.05", "-q",
                            "--check"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temp dirs left
    e = pd.read_parquet(out / "events.parquet")
    assert list(e.columns) == ["replicate", "date", "actor", "place", "event", "reason",
                               "destination", "count"]
    s = pd.read_parquet(out / "stocks.parquet")
    assert list(s.columns) == ["replicate", "date", "stock", "actor", "place", "category",
                               "value"]
    ppl = s[s.stock == "people"].groupby("date")["value"].sum()
    assert ppl.nunique() == 1  # everyone counted once every day
    r = runner.invoke(app, ["run", str(DEMO), "--out", str(out), "--scale", "0.05", "-q",
                            "--force", "--seed", "99"])
    assert r.exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 99


def test_set_overrides_a_value_and_is_recorded(runner, tmp_path: Path) -> None:
    """--set changes the scenario for this run only, is validated, and lands in the manifest;
    Dask workers load the same overrides."""
    from ranks.ensemble.replicates import replicate_task
    from ranks.runner import load

    base, cut = tmp_path / "base", tmp_path / "cut"
    common = ["--scale", "0.1", "--until", "2014-10-01", "-q", "--seed", "3"]
    assert runner.invoke(app, ["run", str(DEMO), "--out", str(base), *common]).exit_code == 0
    r = runner.invoke(app, ["run", str(DEMO), "--out", str(cut), *common,
                            "--set", "modules.mortality.background_per_year.value=0.5"])
    assert r.exit_code == 0, r.output
    m = json.loads((cut / "manifest.json").read_text())
    assert m["overrides"] == {"modules.mortality.background_per_year.value": 0.5}
    died = [pd.read_parquet(d / "events.parquet").query("event == 'died'")["count"].sum()
            for d in (base, cut)]
    assert died[1] > 3 * died[0]
    loaded = load(DEMO, overrides=m["overrides"])
    res = replicate_task(str(DEMO), loaded.digest, 3, 0.1, dt.date(2014, 10, 1), 0, False,
                         overrides=m["overrides"])
    pd.testing.assert_frame_equal(res.events, pd.read_parquet(cut / "events.parquet"),
                                  check_categorical=False, check_dtype=False)
    r = runner.invoke(app, ["run", str(DEMO), "--out", str(tmp_path / "x"), "-q",
                            "--set", "modules.mortality.background_per_year.value=2"])
    assert r.exit_code == 2 and "background_per_year" in r.output
