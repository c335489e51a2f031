"""Economy and pay (M2, M4): the pay table, pay changes, prices, hardship, economic control."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ranks.engine import Simulation
from ranks.modules.economy import Economy
from ranks.population import Flag, Role
from ranks.runner import load
from tests.actor_settings import ISIS_ECONOMY, ISIS_JOINING
from tests.conftest import POPULATION, SOURCES, replace_control


def make_scenario(tmp_path: Path, *, modules: dict[str, Any], timeline: list[dict] | None = None,
                  days: int = 120, pop_a: int = 30000, pop_b: int = 15000,
                  control: list[dict] | None = None, fronts: list[dict] | None = None,
                  name: str = "s.yaml") -> Path:
    """A two-town scenario: A and B held by X (ISIS settings), Y (FSA settings) holds
    nothing unless ``control`` says so; a camp C held by nobody's actor N."""
    start = dt.date(2014, 6, 1)
    a = "test"
    d: dict[str, Any] = {
        "name": "js-test", "period": {"start": start, "end": start + dt.timedelta(days=days)},
        "seed": 7, "evidence": str(SOURCES),
        "places": [
            {"name": "A", "lat": 35.0, "lon": 40.0, "type": "town", "population": pop_a,
             "tribe": "T1", "assumption": a},
            {"name": "B", "lat": 35.2, "lon": 40.2, "type": "town", "population": pop_b,
             "tribe": "T2", "assumption": a},
            {"name": "C", "lat": 35.9, "lon": 40.1, "type": "camp", "assumption": a}],
        "routes": [{"from": "A", "to": "B", "assumption": a},
                   {"from": "B", "to": "C", "kind": "desert", "assumption": a}],
        "actors": [{"id": "X", "name": "X", "assumption": a},
                   {"id": "Y", "name": "Y", "assumption": a},
                   {"id": "N", "name": "N", "kind": "none", "assumption": a}],
        # rows given in ``control`` replace the default row of their place and date
        "control": replace_control([{"date": start, "place": "A", "actor": "X", "assumption": a},
                                    {"date": start, "place": "B", "actor": "X", "assumption": a},
                                    {"date": start, "place": "C", "actor": "N", "assumption": a}],
                                   control),
        "fronts": fronts or [],
        "timeline": timeline or [],
        "population": str(POPULATION),
        "modules": modules,
    }
    for ev in d["timeline"]:
        ev.setdefault("assumption", a)
    for row in d["control"] + d["fronts"]:
        row.setdefault("assumption", a)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def run(path: Path, seed: int = 1, days: int | None = None) -> Simulation:
    """Run a scenario with daily conservation checks."""
    sim = Simulation(load(path), seed=seed, check=True)
    if days is None:
        sim.run()
    else:
        for d in range(days):
            sim.step(d)
    return sim


ISIS_X = {"actors": {"X": ISIS_ECONOMY}}
ISIS_J = {"actors": {"X": ISIS_JOINING}}


def test_isis_pay_table_exact_dollars(tmp_path: Path) -> None:
    """seed-003: $50 base + $50 a wife + $50 a dependent parent + $35 a child."""
    sim = run(make_scenario(tmp_path, modules={"economy": ISIS_X}, days=3), days=1)
    eco = sim.get(Economy)
    x = sim.world.actor_index["X"]
    pay = eco.cash_pay(x, n_wives=np.array([0, 1, 2, 0]), n_parents=np.array([0, 0, 1, 2]),
                       n_children=np.array([0, 0, 3, 4]))
    assert pay.tolist() == [50.0, 100.0, 305.0, 290.0]
    # foreigners two to three times more (2.5), the raise after 60 days at the front
    assert eco.cash_pay(x, 1, 0, 0, foreign=True).item() == 250.0
    assert eco.cash_pay(x, 0, 0, 0, front_days=59).item() == 50.0
    assert eco.cash_pay(x, 0, 0, 0, front_days=60).item() == 100.0


def test_allowances_off_pays_the_base_only(tmp_path: Path) -> None:
    mods = {"economy": {**ISIS_X, "allowances": False}}
    sim = run(make_scenario(tmp_path, modules=mods, days=3), days=1)
    x = sim.world.actor_index["X"]
    pay = sim.get(Economy).cash_pay(x, np.array([0, 2]), np.array([0, 1]), np.array([0, 3]))
    assert pay.tolist() == [50.0, 50.0]


def test_dependents_counted_for_the_head_only(tmp_path: Path) -> None:
    sim = run(make_scenario(tmp_path, modules={"economy": ISIS_X}, days=3), days=1)
    ppl, hh = sim.people, sim.households
    x = sim.world.actor_index["X"]
    heads = hh.head[(hh.n_wives == 1) & (hh.n_children == 3) & (hh.n_parents == 0)][:5]
    assert np.allclose(sim.get(Economy).offer(sim, x, heads.astype(np.int64)), 50 + 50 + 3 * 35)
    sons = np.flatnonzero((ppl.role == Role.CHILD) & (ppl.sex == 1))[:5]
    assert np.allclose(sim.get(Economy).offer(sim, x, sons), 50.0)


def test_pay_cut_halves_pay_and_the_pay_bill(tmp_path: Path) -> None:
    cut = [{"date": dt.date(2014, 7, 1), "type": "pay_change", "actor": "X", "value": 0.5}]
    mods = {"economy": ISIS_X, "joining": {"actors": {"X": ISIS_JOINING}}}
    res = {}
    for label, eco_extra, tl in (("none", {}, []), ("cut", {}, cut),
                                 ("off", {"pay_changes": False}, cut)):
        m = {**mods, "economy": {**ISIS_X, **eco_extra}}
        sim = run(make_scenario(tmp_path, modules=m, timeline=tl, days=60, name=f"{label}.yaml"))
        x = sim.world.actor_index["X"]
        st = sim.record.stocks_frame()
        bill = st[(st.stock == "pay_bill_usd") & (st.actor == "X")]["value"].iloc[-1]
        per_member = bill / sim.people.strength[x].sum()
        res[label] = (sim.get(Economy).pay_usd[x], per_member)
    assert res["none"][0] == 50.0 and res["cut"][0] == 25.0 and res["off"][0] == 50.0
    assert res["cut"][1] < 0.6 * res["none"][1]
    assert abs(res["off"][1] - res["none"][1]) < 0.05 * res["none"][1]


def test_prices_and_lost_jobs_raise_hardship(tmp_path: Path) -> None:
    tl = [{"date": dt.date(2014, 6, 10), "type": "prices", "value": 3.0, "place": "A"},
          {"date": dt.date(2014, 6, 10), "type": "wages", "value": 0.5, "place": "A",
           "args": {"jobs": 0.5}}]
    base = run(make_scenario(tmp_path, modules={"economy": {}}, days=30, name="b.yaml"))
    hit = run(make_scenario(tmp_path, modules={"economy": {}}, timeline=tl, days=30))
    a = base.world.place_index["A"]
    in_a = base.households.place == a
    assert hit.get(Economy).hardship[in_a].mean() > base.get(Economy).hardship[in_a].mean() + 0.2
    # B had no change
    in_b = base.households.place != a
    assert np.allclose(hit.get(Economy).hardship[in_b], base.get(Economy).hardship[in_b])
    assert hit.get(Economy).food_price_index[a] == 3.0


def test_economic_control_raises_hardship_of_non_members_only(tmp_path: Path) -> None:
    on = run(make_scenario(tmp_path, modules={"economy": ISIS_X, "joining": ISIS_J},
                           days=10, name="on.yaml"))
    off = run(make_scenario(tmp_path, modules={"economy": {**ISIS_X, "economic_control": False},
                                               "joining": ISIS_J}, days=10))
    x = on.world.actor_index["X"]
    member_hh = np.unique(on.people.household[on.people.actor == x])
    non = np.setdiff1d(np.arange(len(on.households)), member_hh)
    diff = on.get(Economy).hardship[non] - off.get(Economy).hardship[non]
    assert diff.mean() > 0.1  # ISIS runs mills and bakeries (seed-002): +0.15 unless capped
    assert np.allclose(on.get(Economy).hardship[member_hh], off.get(Economy).hardship[member_hh],
                       atol=1e-6)


def test_pay_reaches_the_household_and_lowers_hardship(tmp_path: Path) -> None:
    mods = {"economy": {**ISIS_X, "economic_control": False}, "joining": ISIS_J}
    sim = run(make_scenario(tmp_path, modules=mods, days=10))
    eco = sim.get(Economy)
    members = np.flatnonzero(sim.people.actor >= 0)
    local = members[(sim.people.flags[members] & Flag.FOREIGN) == 0]
    h = np.unique(sim.people.household[local])
    assert (eco.household_pay[h] > 0).all()
    income_wo_pay = eco.work_income[h]
    assert (sim.households.income[h] > income_wo_pay).all()
    # their hardship is what it would be without pay, minus what pay covers
    need = sim.households.size[h] * 25.0
    without = np.clip(1 - income_wo_pay / need, 0, 1)
    assert (eco.hardship[h] <= without + 1e-6).all() and (eco.hardship[h] < without).any()
