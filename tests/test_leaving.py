"""Leaving (M18-M21): desertion and defection drivers, deterrence, destinations, suspicion.

Members are made directly (men 18-40 of a home place, serving actor X at the front).
Runs use ``check=True`` and the same seed, so that two runs differ only by the mechanism.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ranks.engine import Simulation
from ranks.modules.economy import Economy
from ranks.modules.leaving import Leaving
from ranks.modules.wanted import WantedBook
from ranks.population import Assignment, Flag, State
from tests.test_coercion import build, count, run

MEMBERS = {"A": 1500, "B": 1000}


def leavers(sim: Simulation, place: str | None = None, reason: str | None = None,
            after: str | None = None, before: str | None = None) -> int:
    """Deserters plus defectors (optionally by place of departure, reason, dates)."""
    return sum(count(sim, e, reason, place, after, before) for e in ("deserted", "defected"))


def test_members_leave_and_every_leaver_is_somewhere(tmp_path: Path) -> None:
    sim = run(build(tmp_path, coercion=None, leaving="{rebel_actors: [R], safe_actors: [SAFE], "
                    "confiscate_chance: {value: 0.5, assumption: t}}"), members=MEMBERS)
    p, w = sim.people, sim.world
    ev = sim.record.events_frame()
    dest = ev[ev["event"].isin(["deserted", "defected"])].groupby(
        "destination", observed=True)["count"].sum()
    assert set(dest.index) >= {"Out", "S", "Rb"}
    # abroad: exactly the deserters sent there (no flight module)
    assert p.by_place_state[w.place_index["Out"], State.ABROAD] == dest["Out"]
    # the safe area: former members living there as civilians, one per deserter sent there
    at_s = (p.place == w.place_index["S"]) & ((p.flags & Flag.WAS_MEMBER) != 0)
    assert (at_s & (p.state == State.CIVILIAN)).sum() == dest["S"]
    # defectors serve the rebels, unless they left them again or were executed
    r = ev[ev["actor"] == "R"]
    left_r = int(r.loc[r["event"].isin(["deserted", "defected", "executed"]), "count"].sum())
    from_x = int(ev.loc[(ev["actor"] == "X") & (ev["event"] == "defected"), "count"].sum())
    assert from_x > 0
    assert p.strength[w.actor_index["R"]].sum() + left_r == from_x
    # deserters at home are hiding (DESERTED) and wanted by the actor they left
    home = p.state == State.DESERTED
    assert home.sum() > 0
    book = sim.get(WantedBook)
    assert book is not None and np.isin(book.wanted_by[home], [0, 1]).all()  # deserters of X, or of R
    assert ((p.flags[home] & Flag.WANTED) != 0).all()
    assert count(sim, "executed") > 0
    assert count(sim, "property_confiscated") > 0
    assert p.by_place_state.sum() == p.n


def test_tribe_massacre_raises_leaving_in_that_tribe_only(tmp_path: Path) -> None:
    massacre = ("  - {date: 2014-02-01, type: massacre, actor: X, tribe: T2, value: 700, "
                "assumption: t}\n")
    hit = run(build(tmp_path, massacre, coercion=None, leaving="{}"), members=MEMBERS)
    calm = run(build(tmp_path, coercion=None, leaving="{}"), members=MEMBERS)
    assert leavers(hit, "B") > 1.5 * leavers(calm, "B")
    assert leavers(hit, "B", "tribe_massacre") > 0
    assert leavers(hit, "A", "tribe_massacre") == 0
    # tribe T1 at A: nothing changes (same random numbers, no shared driver)
    assert leavers(hit, "A") == leavers(calm, "A")
    assert count(hit, "died", "massacre") > 0
    # mechanism off: the massacre kills but does not drive anyone out
    off = run(build(tmp_path, massacre, coercion=None,
                    leaving="{w_tribe_massacre: {value: 0.0, assumption: switched off}}"),
              members=MEMBERS)
    assert leavers(off, "B", "tribe_massacre") == 0


def test_public_executions_lower_desertion_for_a_while(tmp_path: Path) -> None:
    execution = ("  - {date: 2014-02-01, type: public_execution, actor: X, place: A, value: 40, "
                 "assumption: t}\n")
    members = {"A": 4000}
    shown = run(build(tmp_path, execution, coercion=None, leaving="{}", end="2014-09-01"),
                members=members)
    none = run(build(tmp_path, coercion=None, leaving="{}", end="2014-09-01"), members=members)
    assert count(shown, "executed", "public") == 40
    window = {"after": "2014-02-02", "before": "2014-03-15"}
    assert leavers(shown, "A", **window) < 0.7 * leavers(none, "A", **window)
    # ... and disillusion grows: later on, executions drive people out
    assert leavers(shown, "A", "disillusion", after="2014-05-01") > leavers(
        none, "A", "disillusion", after="2014-05-01")
    # deterrence off: no dip
    off = run(build(tmp_path, execution, coercion=None, end="2014-09-01",
                    leaving="{deterrence_max: {value: 0.0, assumption: switched off}}"),
              members=members)
    assert leavers(off, "A", **window) >= leavers(none, "A", **window)


def test_pay_cut_with_rising_food_prices_raises_desertion_for_pay(tmp_path: Path) -> None:
    cut = ("  - {date: 2014-02-01, type: pay_change, actor: X, value: 0.5, assumption: t}\n"
           "  - {date: 2014-02-01, type: set_param, args: {path: leaving.food_price_index}, "
           "value: 1.5, assumption: t}\n")
    poor = run(build(tmp_path, cut, coercion=None, leaving="{}"), members=MEMBERS)
    paid = run(build(tmp_path, coercion=None, leaving="{}"), members=MEMBERS)
    assert leavers(poor, reason="pay") > 0
    assert leavers(paid, reason="pay") == 0
    assert leavers(poor) > 1.2 * leavers(paid)
    off = run(build(tmp_path, cut, coercion=None,
                    leaving="{w_pay: {value: 0.0, assumption: switched off}}"), members=MEMBERS)
    assert leavers(off, reason="pay") == 0


def test_pay_is_read_from_the_economy_module_when_present(tmp_path: Path) -> None:
    """With an economy (pay_usd by actor, food_price_index by place) the pay driver follows
    it: prices doubled at B only raise pay-driven leaving at B only."""
    path = build(tmp_path, coercion=None, leaving="{}")
    days: list[int] = []

    class FixedEconomy(Economy):
        """Pay and prices only (a stand-in found by ``sim.get(Economy)``)."""

        def __init__(self, n_actors: int, n_places: int) -> None:
            self.pay_usd = np.full(n_actors, 100.0)
            self.food_price_index = np.ones(n_places)
            self.fx_index = 1.0

        def add_work_income(self, households: np.ndarray, usd: float) -> None:
            """No work earnings kept here."""

    def with_economy(sim: Simulation) -> None:
        econ = sim.provide(FixedEconomy(sim.world.n_actors, sim.world.n_places))
        leaving = sim.get(Leaving)
        assert leaving is not None
        step = leaving.step

        def step_with_prices(s: Simulation, day: int) -> None:
            if day == 30:
                econ.food_price_index[s.world.place_index["B"]] = 2.0
                days.append(day)
            step(s, day)

        leaving.step = step_with_prices

    sim = run(path, members=MEMBERS, setup=with_economy)
    assert days == [30]
    assert leavers(sim, "B", "pay") > 0
    assert leavers(sim, "A", "pay") == 0


def test_losing_territory_raises_leaving(tmp_path: Path) -> None:
    loss = "  - {date: 2014-02-01, place: B, actor: R, assumption: t}\n"
    losing = run(build(tmp_path, coercion=None, leaving="{}", control_extra=loss),
                 members={"A": 2000})
    holding = run(build(tmp_path, coercion=None, leaving="{}"), members={"A": 2000})
    assert leavers(losing, reason="losing") > 0
    assert leavers(holding, reason="losing") == 0
    assert leavers(losing) > leavers(holding)


def test_distant_redeployment_and_fear_drive_leaving(tmp_path: Path) -> None:
    path = build(tmp_path, coercion=None, leaving="{}")

    def distant(sim: Simulation) -> None:
        m = np.flatnonzero(sim.people.actor == 0)
        sim.people.set(m[: m.size // 2], 0, assignment=Assignment.DISTANT)

    def guards(sim: Simulation) -> None:
        m = np.flatnonzero(sim.people.actor == 0)
        sim.people.set(m[: m.size // 2], 0, assignment=Assignment.GUARD)

    far = run(path, members=MEMBERS, setup=distant)
    near = run(path, members=MEMBERS, setup=guards)
    assert leavers(far, reason="redeployment") > 0
    assert leavers(near, reason="redeployment") == 0
    assert leavers(far, reason="fear") > leavers(near, reason="fear")
    assert leavers(far) > leavers(near)


def test_favouritism_to_foreign_fighters(tmp_path: Path) -> None:
    path = build(tmp_path, coercion=None, leaving="{}")

    def foreign(sim: Simulation) -> None:
        m = np.flatnonzero(sim.people.actor == 0)
        sim.people.flags[m[::3]] |= np.uint8(Flag.FOREIGN)

    mixed = run(path, members=MEMBERS, setup=foreign)
    local = run(path, members=MEMBERS)
    assert leavers(mixed, reason="favouritism") > 0
    assert leavers(local, reason="favouritism") == 0


def test_suspicion_sends_members_on_dangerous_missions(tmp_path: Path) -> None:
    on = run(build(tmp_path, coercion=None, leaving="{}"), members=MEMBERS)
    off = run(build(tmp_path, coercion=None,
                    leaving="{suspicion_gain: {value: 0.0, assumption: switched off}}"),
              members=MEMBERS)
    assert count(on, "suspected") > 0 and count(on, "reassigned", "suspicion") > 0
    assert on.people.strength[0, Assignment.DANGEROUS] > 0
    assert count(off, "suspected") == 0 and count(off, "reassigned") == 0
    # without coercion, caught leavers are punished with dangerous missions: fewer than with
    # suspicion on
    assert off.people.strength[0, Assignment.DANGEROUS] < on.people.strength[
        0, Assignment.DANGEROUS]


def test_safe_exit_programme(tmp_path: Path) -> None:
    offer = ("  - {date: 2014-02-01, type: safe_exit, actor: X, until: 2014-04-01, value: 1.0, "
             "args: {destination: S}, assumption: t}\n")
    on = run(build(tmp_path, offer, coercion=None, leaving="{}"), members=MEMBERS)
    off = run(build(tmp_path, coercion=None, leaving="{}"), members=MEMBERS)
    ev = on.record.events_frame()
    se = ev[(ev["event"] == "deserted") & (ev["reason"] == "safe_exit")]
    assert se["count"].sum() > 0 and set(se["destination"]) == {"S"}
    assert leavers(on) > leavers(off)
    assert leavers(off, reason="safe_exit") == 0


def test_amnesty_settles_deserters(tmp_path: Path) -> None:
    amnesty = ("  - {date: 2014-04-01, type: amnesty, actor: X, value: 0.8, args: {rejoin: "
               "true}, assumption: t}\n")
    on = run(build(tmp_path, amnesty, leaving="{}"), members=MEMBERS)
    off = run(build(tmp_path, leaving="{}"), members=MEMBERS)
    assert count(on, "settled", "amnesty") > 0
    assert count(on, "conscripted", "amnesty") > 0
    assert on.people.by_place_state[:, State.DESERTED].sum() < off.people.by_place_state[
        :, State.DESERTED].sum()


def test_caught_deserters_executed_at_checkpoints_and_property_confiscated(
        tmp_path: Path) -> None:
    tl = ("  - {date: 2014-02-01, type: checkpoint_campaign, actor: X, value: 0.1, "
          "assumption: t}\n")
    on = run(build(tmp_path, tl, leaving="{safe_actors: [SAFE], confiscate_chance: {value: 0.5, "
                                         "assumption: t}}"), members=MEMBERS)
    assert count(on, "executed", "checkpoint") + count(on, "executed", "raid") > 0
    assert count(on, "died", "executed") == count(on, "executed")
    off = run(build(tmp_path, tl, leaving="{safe_actors: [SAFE], execute_share: {value: 0.0, "
                                          "assumption: switched off}, confiscate_chance: "
                                          "{value: 0.0, assumption: switched off}}"),
              members=MEMBERS)
    assert count(off, "executed") == 0
    assert count(off, "property_confiscated") == 0 < count(on, "property_confiscated")


def test_unknown_names_in_parameters_are_scenario_errors(tmp_path: Path) -> None:
    from ranks.errors import ScenarioError
    from ranks.runner import load

    with pytest.raises(ScenarioError, match="unknown actor 'REB'"):
        load(build(tmp_path, coercion=None, leaving="{rebel_actors: [REB]}"))
    with pytest.raises(ScenarioError, match="unknown actor 'Z'"):
        load(build(tmp_path, coercion="{bribe_usd_by_actor: {Z: {value: 100, "
                                               "assumption: t}}}"))


def test_mean_keep_is_numpys_weighted_average() -> None:
    """_mean_keep gives np.average's weighted mean bit for bit (float and integer weights,
    repeated places), 0 without places, and refuses weights that sum to zero as it does."""
    from ranks.modules.leaving import _mean_keep

    g = np.random.default_rng(3)
    for t in range(500):
        n = int(g.integers(1, 60))
        keep = g.random(n)
        pop = g.random(n) * 1000 if t % 2 else g.integers(0, 10**6, n)
        places = g.integers(0, n, int(g.integers(1, 20)))
        assert _mean_keep(keep, pop, places) == float(np.average(keep[places],
                                                                 weights=pop[places]))
    assert _mean_keep(np.ones(3), np.ones(3), np.zeros(0, dtype=np.int64)) == 0.0
    with pytest.raises(ZeroDivisionError):
        _mean_keep(np.ones(3), np.zeros(3), np.array([0, 1]))
