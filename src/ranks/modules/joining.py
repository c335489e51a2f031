"""Joining: five motives, recruitment channels, minors, switching sides (M3, M5, M6, M17, M28).

Requires: ``world.control`` (who recruits where). Uses the economy module when enabled (pay
offers, household hardship; without it the economic motive uses hardship 0.5 and the table
base) and the service module when enabled (new members go into training through
``Service.enlist``; without it they serve at once). Hears deaths with a responsible actor
(``sim.death_listeners``) for the revenge motive. Provides :class:`Camps` (where each
actor's camp recruits and holds) to other modules (``sim.get(Camps)``).

Outputs: events ``joined`` (actor, reason = motive: belief, coercion_or_amnesty, economics,
revenge, opportunism), ``switched`` (actor = new actor; reason ``drift:<old>`` or
``takeover:<old>``), ``surrendered`` (actor = old actor), ``withdrew`` (members pulled back to a
place their actor still holds; destination = that place). Initial members at the start
are not events.

Step behaviour:
1. takeovers: where control changed today, members of actors that no longer recruit there
   switch to the new holder, surrender (become civilians flagged WAS_MEMBER, candidates
   for the repentance route) or withdraw to the nearest place their actor holds;
2. joining: candidates are men of joining age in the pool (fixed at the start: everyone
   who is of joining age at some point of the period), drawn by thinning at an upper bound
   of the daily chance; each is accepted with their own chance divided by the bound, and
   the actor and motive are picked in proportion to the motive hazards. Not person-level
   common random numbers (thinning);
3. switching: members drift to a stronger, better-paying actor recruiting at their place,
   thinned from the member list the same way.

Daily hazard (per year) of candidate i at place p joining actor a that recruits at p:
    belief      = belief_per_year_a * youth_i * family_i
    coercion    = amnesty_per_year_a * [i is WANTED or WAS_MEMBER]
    economics   = economic_per_year_a * hardship_h * offer / (offer + earning_i + reservation)
                  * family_i * centre_ap
    revenge     = revenge_per_year_a * min(relatives killed by enemies of a, revenge_cap)
    opportunism = opportunism_per_year_a * power_a * youth_i * family_i
each voluntary term (all but coercion) times office_ap; the sum times minors_a for boys under
18 and 0 while the actor's applications are closed; daily chance 1 - exp(-sum / 365.25).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from ranks.modules.actors import (
    ActorParams,
    Age,
    Camps,
    NonNeg,
    NonNegInt,
    Prob,
    actor_column,
    assume,
    check_actor_names,
    resolve_actors,
)
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.economy import Economy
from ranks.modules.service import Service
from ranks.population import Assignment, Flag, Role, State
from ranks.scenario.model import P, Scenario, TimelineEvent
from ranks.world import great_circle_km

if TYPE_CHECKING:
    from ranks.engine import Simulation

YEAR = 365.25
MOTIVES = ("belief", "coercion_or_amnesty", "economics", "revenge", "opportunism")
ADULT_YEARS = 18


class JoiningActor(ActorParams):
    """How an actor fills its ranks by joining (M3, M5, M6, M17). Rates are per person and
    year at full strength of the motive."""

    recruits_in: P[list[str]] = P(value=[], assumption="recruits only where it holds control")
    allies: P[list[str]] = P(value=[], assumption="every other actor is an enemy for revenge")
    initial_members: P[NonNegInt] = P(value=0, assumption="no members at the start")
    foreign_members: P[NonNegInt] = P(value=0, assumption="no foreign contingent")
    belief_per_year: P[NonNeg] = P(value=0.0, assumption="no joining for belief")
    amnesty_per_year: P[NonNeg] = P(value=0.0, assumption="no amnesty offered")
    economic_per_year: P[NonNeg] = P(value=0.0, assumption="no joining for pay")
    revenge_per_year: P[NonNeg] = P(value=0.0, assumption="no joining for revenge")
    opportunism_per_year: P[NonNeg] = P(value=0.0, assumption="no joining for opportunism")
    minors_base: P[NonNeg] = P(value=0.0, assumption="does not take boys under 18")
    minors_loss_gain: P[NonNeg] = P(value=0.0, assumption="minors not sought when ranks thin")
    office_multiplier: P[NonNeg] = P(value=2.0, assumption="an office with gifts and promises "
                                     "doubles voluntary joining in its town (seed-004 reports "
                                     "the offices, not their effect)")
    cultural_centre_multiplier: P[NonNeg] = P(value=3.0, assumption="paid local mediators "
                                              "triple joining for pay (seed-001 reports the "
                                              "centres, not their effect)")
    switch_per_year: P[NonNeg] = P(value=0.0, assumption="members do not drift to others")
    switch_on_takeover: P[Prob] = P(value=0.0, assumption="no side change when a place falls")
    surrender_on_takeover: P[Prob] = P(value=0.0, assumption="no surrender when a place falls")


_YEARLY_NOTE = ("calibrated: with the other ISIS rates, ISIS strength in the governorate "
                "reaches the late-2014 order (domain-figures: over 3,000 around the city); "
                "the split between motives is an assumption")
JoiningActor.PRESETS = {
    "ISIS": {
        "initial_members": assume(1500, "ISIS fighters in the governorate in June 2014, before "
                                  "the July takeover; calibrated with the rates below "
                                  "(docs/odd.md section 3.4)"),
        "foreign_members": assume(300, "foreign contingent in the governorate (seed-003 "
                                  "describes it; its size there is not reported)"),
        "belief_per_year": assume(0.004, _YEARLY_NOTE),
        "amnesty_per_year": assume(0.3, "surrendered rebels and wanted men mostly take the "
                                   "repentance deal within a few years (seed-003, seed-002 "
                                   "and timeline-shared July 2014 repentance papers)"),
        "economic_per_year": assume(0.03, _YEARLY_NOTE),
        "revenge_per_year": assume(0.02, "per relative killed by an enemy; seed-003 names "
                                   "revenge as a motive, no rate reported"),
        "opportunism_per_year": assume(0.004, _YEARLY_NOTE),
        "minors_base": assume(0.3, "boys 14-17 join at 0.3 of the men's rate at full strength; "
                              "seed-003 reports a 14-year-old joining in 2014"),
        "minors_loss_gain": assume(8.0, "at half strength boys join at 1.5 times the men's "
                                   "rate, so that in thinned units most recruits can be minors "
                                   "(seed-003: 60 percent under 18 in one unit)"),
        "switch_per_year": assume(0.0, "ISIS is the actor others drift to (seed-002)"),
        "surrender_on_takeover": assume(0.5, "half of the ISIS members in a lost town "
                                        "surrender, the rest withdraw"),
    },
    "SAA": {
        "recruits_in": assume(["SAA"], "the army recruits where the government holds"),
        "allies": assume(["NDF", "IRAN"], "pro-government camp"),
        "initial_members": assume(2000, "army in the besieged city and airport in 2014"),
        "belief_per_year": assume(0.002, "volunteering is rare; the army relies on "
                                  "conscription (seed-001), handled by the coercion module"),
        "economic_per_year": assume(0.005, "low pay ($63, seed-003)"),
        "revenge_per_year": assume(0.01, "per relative killed by ISIS or rebels"),
    },
    "NDF": {
        "recruits_in": assume(["SAA"], "the NDF recruits in government-held places (seed-001)"),
        "allies": assume(["SAA", "IRAN"], "pro-government camp"),
        "initial_members": assume(1000, "NDF in the besieged city in 2014"),
        "economic_per_year": assume(0.02, "local militia pay draws poor men (seed-001)"),
        "opportunism_per_year": assume(0.003, "militia membership shields from army call-up "
                                       "until 2020 (seed-001)"),
        "revenge_per_year": assume(0.01, "per relative killed by ISIS or rebels"),
    },
    "IRAN": {
        "recruits_in": assume(["SAA", "IRAN"], "Iran-backed groups recruit in "
                              "government-held places (seed-001)"),
        "allies": assume(["SAA", "NDF"], "pro-government camp"),
        "economic_per_year": assume(0.03, "higher pay and protection from army call-up "
                                    "(seed-001; timeline-shared 2019-2020)"),
        "amnesty_per_year": assume(0.2, "wanted men and evaders join for the protective "
                                   "card exempting from army service (timeline-shared 2020)"),
    },
    "FSA": {
        "initial_members": assume(3000, "FSA brigades held most towns in early 2014 "
                                  "(places-shared control)"),
        "belief_per_year": assume(0.003, "revolutionary motive"),
        "revenge_per_year": assume(0.02, "per relative killed by the government (seed-003)"),
        "economic_per_year": assume(0.005, "$36 a month (seed-003)"),
        "switch_per_year": assume(0.4, "seed-002: FSA fighters drift to better-funded "
                                  "groups; the rate (40% a year at the largest gap) a guess"),
        "switch_on_takeover": assume(0.4, "surrendered brigades pledge to the winner "
                                     "(seed-003, timeline-shared July 2014)"),
        "surrender_on_takeover": assume(0.5, "most of the rest surrender and take the "
                                        "repentance papers (timeline-shared July 2014)"),
        "allies": assume(["NUSRA"], "rebel camp until 2014"),
    },
    "NUSRA": {
        "initial_members": assume(1000, "Nusra held Mayadin, Abu Kamal and Shuhayl in early "
                                  "2014 (places-shared control)"),
        "belief_per_year": assume(0.003, "Islamist motive"),
        "economic_per_year": assume(0.01, "$100 a month (seed-003)"),
        "switch_per_year": assume(0.3, "seed-002: Nusra fighters drift to ISIS when it is "
                                  "the strongest; the rate a guess"),
        "switch_on_takeover": assume(0.4, "pledges to ISIS after the July 2014 surrender "
                                     "(timeline-shared)"),
        "surrender_on_takeover": assume(0.4, "the rest surrender; some leave the governorate"),
        "allies": assume(["FSA"], "rebel camp until 2014"),
    },
    "SDF": {
        "belief_per_year": assume(0.002, "local councils' volunteers"),
        "economic_per_year": assume(0.02, "SDF pay is the only wage in many villages (2018)"),
        "revenge_per_year": assume(0.02, "per relative killed by ISIS"),
        "amnesty_per_year": assume(0.1, "tribal settlements for ex-ISIS men (timeline-shared)"),
    },
}


class JoiningParams(ModuleParams):
    """Joining, channels, minors and switching. Ages in years, money USD a month."""

    actors: dict[str, JoiningActor] = Field(default_factory=dict)
    min_age: P[Age] = P(value=14, source="seed-003",
                        note="a 14-year-old joined ISIS in 2014; youngest joiners modelled")
    max_age: P[Age] = P(value=49, assumption="oldest men who join; a fighting-age bound")
    youth_age: P[Age] = P(value=25, assumption="seed-002: the young are the target of "
                          "indoctrination; the cut-off age is a guess")
    youth_factor: P[NonNeg] = P(value=2.0, assumption="belief and opportunism twice as "
                                "likely under 25 (seed-002 says the young are targeted)")
    family_opposition_share: P[Prob] = P(value=0.3, assumption="share of families whose "
                                         "head opposes his sons joining (seed-000 tells of one)")
    family_opposition_effect: P[Prob] = P(value=0.7, assumption="an opposed son's voluntary "
                                          "joining is cut by 70% (seed-000)")
    reservation_usd: P[NonNeg] = P(value=100.0, assumption="USD a month a man can find "
                                   "besides his wage (casual work, help); pay offers are "
                                   "weighed against wage plus this")
    revenge_cap: P[NonNegInt] = P(value=3, assumption="relatives killed counted up to three")
    #: switches (mechanism on/off)
    motives: list[str] = Field(default_factory=lambda: list(MOTIVES))
    family_opposition: bool = True
    youth_targeting: bool = True
    channels: bool = True
    minors_rise: bool = True
    switching: bool = True
    takeover: bool = True


def _daily(h: np.ndarray | float) -> np.ndarray:
    return -np.expm1(-np.asarray(h, dtype=np.float64) / YEAR)


class Joining(Module[JoiningParams]):
    """Who joins which actor and why; who switches sides (M3, M5, M6, M17, M28)."""

    name = "joining"
    mids = ("M3", "M5", "M6", "M17", "M28")
    Params = JoiningParams
    event_types = ("recruitment_office", "cultural_centre", "applications_closed")
    uses = (Economy, Service)

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: JoiningParams) -> Problem | None:
        sc = scenario
        err = check_actor_names(sc, list(params.actors))
        if err is not None:
            return err
        known = {x.id for x in sc.actors}
        for a, s in params.actors.items():
            names = s.recruits_in.value
            if names and not set(names) & known:
                return (f"recruits_in names no actor of the scenario ({', '.join(names)})",
                        ("actors", a, "recruits_in"))
        bad = [m for m in params.motives if m not in MOTIVES]
        if bad:
            return f"unknown motive '{bad[0]}'; known: {', '.join(MOTIVES)}", ("motives",)
        return None

    # -- set up ----------------------------------------------------------------------------
    def init(self, sim: Simulation) -> None:
        p = self.params
        w, ppl = sim.world, sim.people
        A, P_ = w.n_actors, w.n_places
        self.settings = resolve_actors(p.actors, JoiningActor, w.actor_ids)
        self.configured = np.array([s is not None for s in self.settings])

        def col(field: str) -> np.ndarray:
            return actor_column(self.settings, field)

        on = set(p.motives)
        self.rate = {m: (col(f) if m in on else np.zeros(A)) for m, f in (
            ("belief", "belief_per_year"), ("coercion_or_amnesty", "amnesty_per_year"),
            ("economics", "economic_per_year"), ("revenge", "revenge_per_year"),
            ("opportunism", "opportunism_per_year"))}
        self.minors_base = col("minors_base")
        self.minors_gain = col("minors_loss_gain") if p.minors_rise else np.zeros(A)
        self.office_mult = col("office_multiplier")
        self.centre_mult = col("cultural_centre_multiplier")
        self.switch_rate = col("switch_per_year") if p.switching else np.zeros(A)
        self.takeover_switch = col("switch_on_takeover")
        self.takeover_surrender = col("surrender_on_takeover")
        # camp[a, c]: actor a recruits where actor c holds control
        self.camp = np.zeros((A, max(A, 1)), dtype=bool)
        self.enemy = np.zeros((A, max(A, 1)), dtype=bool)
        for a, s in enumerate(self.settings):
            if s is None:
                continue
            # names of actors the scenario lacks (from presets) are ignored
            holders = s.recruits_in.value or [w.actor_ids[a]]
            for c in holders:
                if c in w.actor_index:
                    self.camp[a, w.actor_index[c]] = True
            self.enemy[a] = True
            self.enemy[a, a] = False
            for c in s.allies.value:
                if c in w.actor_index:
                    self.enemy[a, w.actor_index[c]] = False
        self.office = np.zeros((A, P_))  # multiplier-1 of an open office, by actor and place
        self.office_until = np.full((A, P_), -1, dtype=np.int64)
        self.centre = np.zeros((A, P_))
        self.centre_until = np.full((A, P_), -1, dtype=np.int64)
        self.closed_until = np.full(A, -1, dtype=np.int64)
        self.peak = np.zeros(A)
        H = len(sim.households)
        self.killed_by = np.zeros((H, max(A, 1)), dtype=np.uint8)
        sim.death_listeners.append(self._on_death)
        u = sim.trait("joining.family_opposition", np.arange(H), key=0)
        self.opposing_household = u < p.family_opposition_share.value
        # the pool: men of joining age at some point of the period
        lo = -int(p.min_age.value * YEAR)  # born on or before this day to be old enough
        hi = -int((p.max_age.value + 1) * YEAR)  # born after this to be young enough at start
        end = sim.world.n_days  # the period, not where this run stops (--until, checkpoints)
        self._household = ppl.household
        self.pool = np.flatnonzero((ppl.sex == 1) & (ppl.birth <= lo + end) & (ppl.birth > hi))
        self.members = np.zeros(0, dtype=np.int64)
        self.flagged = np.zeros(0, dtype=np.int64)  # WANTED or WAS_MEMBER men (weekly)
        self.avengers = np.zeros(0, dtype=np.int64)  # men whose relatives an actor killed
        self._bereaved: list[np.ndarray] = []  # households bereaved since the last flush
        self.wage = float(sim.scenario.population.wage_usd_month.value)
        self.camps = sim.provide(Camps(self.camp, self.configured))
        self._power(sim, 0)
        self._initial_members(sim)

    def _initial_members(self, sim: Simulation) -> None:
        """Members at the start: men 18-40 where each actor recruits (or, for an actor that
        holds no populated place at the start, where it first does: its local supporters
        before the takeover); the foreign contingent
        (M29) taken the same way and flagged FOREIGN (a simplification: its men stand in for
        fighters who came from abroad)."""
        ppl, w = sim.people, sim.world
        age = ppl.age_years(0, self.pool)
        free = self.pool[(age >= 18) & (age <= 40) & (ppl.actor[self.pool] < 0)]
        g = sim.rng("joining.initial", 0)
        populated = w.population > 0
        new: list[np.ndarray] = []
        for a, s in enumerate(self.settings):
            if s is None:
                continue
            n_local = int(round(s.initial_members.value * sim.scale))
            n_foreign = int(round(s.foreign_members.value * sim.scale))
            # where the actor's camp holds people today, else on the first day it does
            holds = self.camp[a][np.maximum(w.control, 0)] & (w.control >= 0) & populated
            first = np.flatnonzero(holds.any(axis=1))
            if first.size == 0:
                continue
            holders = w.control[first[0]][ppl.place[free]]
            ok = free[(holders >= 0) & self.camp[a][np.maximum(holders, 0)]]
            k = min(n_local + n_foreign, len(ok))
            if k == 0:
                continue
            pick = g.choice(ok, size=k, replace=False)
            pick.sort()
            ppl.set(pick, 0, state=State.SERVING, actor=a, assignment=Assignment.FRONT)
            foreign = pick[:min(n_foreign, k)]
            ppl.flags[foreign] |= np.uint8(Flag.FOREIGN)
            free = np.setdiff1d(free, pick, assume_unique=True)
            new.append(pick)
        if new:
            self.members = np.unique(np.concatenate(new))

    def _on_death(self, ids: np.ndarray, cause: str, actor: int) -> None:
        """Count relatives killed by a responsible actor, by household (revenge motive)."""
        if actor < 0 or len(ids) == 0:
            return
        h = self._sim_households_of(ids)
        nz, cnt = np.unique(h, return_counts=True)
        col = self.killed_by[nz, actor].astype(np.int64) + cnt
        self.killed_by[nz, actor] = np.minimum(col, 255).astype(np.uint8)
        self._bereaved.append(nz)  # their kin join the avengers once a day (_flush_bereaved)

    def _flush_bereaved(self) -> None:
        """Add the men of the candidate pool from households bereaved since the last call to
        the avengers (one pass over the pool a day, however many deaths were resolved)."""
        if not self._bereaved:
            return
        mark = np.zeros(self.killed_by.shape[0], dtype=bool)
        mark[np.concatenate(self._bereaved)] = True
        self._bereaved.clear()
        kin = self.pool[mark[self._household[self.pool]]]
        self.avengers = np.union1d(self.avengers, kin)

    def _sim_households_of(self, ids: np.ndarray) -> np.ndarray:
        return self._household[ids].astype(np.int64)

    def _power(self, sim: Simulation, day: int) -> None:
        """Share of the governorate's people living where each actor's camp holds control."""
        w = sim.world
        ctrl = w.control[day].astype(np.int64)
        pop = w.population.astype(np.float64)
        held = np.zeros(w.n_actors)
        ok = ctrl >= 0
        np.add.at(held, ctrl[ok], pop[ok])
        self.power = (self.camp.astype(np.float64) @ held) / max(pop.sum(), 1.0)
        # recruiting[a, p]: actor a recruits at place p today
        self.camps.update(ctrl)
        self.recruiting = self.camps.recruiting

    # -- timeline --------------------------------------------------------------------------
    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        """``recruitment_office`` / ``cultural_centre`` (actor, places, optional value =
        multiplier, optional until), ``applications_closed`` (actor, optional until)."""
        p = self.params
        w = sim.world
        if ev.actor is None:
            raise ValueError(f"{ev.date} {ev.type}: needs an actor")
        a = w.actor_index[ev.actor]
        until = w.day_of(ev.until) if ev.until is not None else w.n_days + 1
        if ev.type == "applications_closed":
            self.closed_until[a] = until
            return
        if not p.channels:
            return
        places = ([w.place_index[n] for n in ev.places] if ev.places
                  else list(range(w.n_places)))
        if ev.type == "recruitment_office":
            mult = ev.value if ev.value is not None else self.office_mult[a]
            self.office[a, places] = mult - 1.0
            self.office_until[a, places] = until
        elif ev.type == "cultural_centre":
            mult = ev.value if ev.value is not None else self.centre_mult[a]
            self.centre[a, places] = mult - 1.0
            self.centre_until[a, places] = until

    # -- day -------------------------------------------------------------------------------
    def step(self, sim: Simulation, day: int) -> None:
        p = self.params
        w = sim.world
        self._household = sim.people.household
        self._flush_bereaved()
        if day % 7 == 0:
            self.members = np.flatnonzero(sim.people.actor >= 0)
        strength = sim.people.strength[: w.n_actors].sum(axis=1).astype(np.float64)
        self.peak = np.maximum(self.peak, strength)
        if day > 0:
            changed = np.flatnonzero(w.control[day] != w.control[day - 1])
            if changed.size:
                self._power(sim, day)
                if p.takeover:
                    self._takeover(sim, day, changed)
        self._join(sim, day, strength)
        if self.switch_rate.any():
            self._switch(sim, day)

    def _open(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        office = np.where(self.office_until > day, self.office, 0.0)
        centre = np.where(self.centre_until > day, self.centre, 0.0)
        accepting = self.closed_until <= day
        return office, centre, accepting

    def _join(self, sim: Simulation, day: int, strength: np.ndarray) -> None:
        """Three thinning streams over three pools, so that rare motives do not inflate
        the bound of the common ones: voluntary motives (belief, economics, opportunism)
        over the whole pool; coercion_or_amnesty over men flagged WANTED or WAS_MEMBER;
        revenge over men whose households lost relatives to an actor."""
        p = self.params
        office, centre, accepting = self._open(day)
        rec = self.recruiting & accepting[:, None]
        if not rec.any():
            return
        loss = np.where(self.peak > 0, np.clip(1 - strength / np.maximum(self.peak, 1), 0, 1), 0)
        minors = self.minors_base * (1 + self.minors_gain * loss)
        youth = p.youth_factor.value if p.youth_targeting else 1.0
        r = self.rate
        om = 1 + office.max(axis=1, initial=0.0)
        cm = 1 + centre.max(axis=1, initial=0.0)
        active = rec.any(axis=1) * np.maximum(1.0, minors)
        if day % 7 == 0:
            fl = sim.people.flags[self.pool]
            self.flagged = self.pool[(fl & (Flag.WANTED | Flag.WAS_MEMBER)) > 0]
        streams = (
            ("joining.candidates", self.pool, (0, 2, 4),
             (r["belief"] * youth + r["economics"] * cm
              + r["opportunism"] * self.power * youth) * om),
            ("joining.amnesty", self.flagged, (1,), r["coercion_or_amnesty"]),
            ("joining.revenge", self.avengers, (3,), r["revenge"] * p.revenge_cap.value * om),
        )
        for name, pool, motives, bound in streams:
            p_max = float(_daily((bound * active).sum()))
            if p_max <= 0 or len(pool) == 0:
                continue
            ids = sim.thin_candidates(name, day, p_max, pool)
            if ids.size:
                self._accept(sim, day, ids, p_max, motives, rec, office, centre, minors,
                             youth, name)

    def _accept(self, sim: Simulation, day: int, ids: np.ndarray, p_max: float,
                motives: tuple[int, ...], rec: np.ndarray, office: np.ndarray,
                centre: np.ndarray, minors: np.ndarray, youth: float, name: str) -> None:
        """Accept thinned candidates with their own chance over ``p_max``; pick the actor
        and the motive in proportion to the hazards."""
        p = self.params
        ppl, w = sim.people, sim.world
        age = ppl.age_years(day, ids)
        ok = ((ppl.state[ids] == State.CIVILIAN) & (ppl.actor[ids] < 0)
              & (age >= p.min_age.value) & (age <= p.max_age.value))
        ids, age = ids[ok], age[ok]
        if ids.size == 0:
            return
        r = self.rate
        n = len(ids)
        place = ppl.place[ids].astype(np.int64)
        h = ppl.household[ids].astype(np.int64)
        young = np.where(age < p.youth_age.value, youth, 1.0)
        son = ppl.role[ids] == Role.CHILD
        fam = np.where(p.family_opposition & son & self.opposing_household[h],
                       1 - p.family_opposition_effect.value, 1.0)
        econ = sim.get(Economy)
        if 2 in motives:
            hardship = econ.hardship[h].astype(np.float64) if econ is not None else 0.5
            employed = (ppl.flags[ids] & Flag.EMPLOYED) > 0
            wage = np.full(n, self.wage)
            if econ is not None:
                wage = wage * econ.wage_index[place] * econ.jobs_index[place]
            earning = np.where(employed, wage, 0.0) + p.reservation_usd.value
        if 1 in motives:
            wanted = ((ppl.flags[ids] & (Flag.WANTED | Flag.WAS_MEMBER)) > 0).astype(float)
        if 3 in motives:
            kills = self.killed_by[h].astype(np.float64)
        minor_m = age < ADULT_YEARS
        A = w.n_actors
        haz = np.zeros((n, A, len(MOTIVES)))
        for a in np.flatnonzero(rec.any(axis=1)):
            here = rec[a, place]
            if not here.any():
                continue
            om_i = 1 + office[a, place]
            hz = np.zeros((n, len(MOTIVES)))
            if 0 in motives:
                hz[:, 0] = r["belief"][a] * young * fam * om_i
                hz[:, 4] = r["opportunism"][a] * self.power[a] * young * fam * om_i
            if 2 in motives and r["economics"][a] > 0:
                offer = (econ.offer(sim, int(a), ids) + econ.in_kind[a] if econ is not None
                         else np.full(n, 100.0))
                rel = offer / np.maximum(offer + earning, 1e-9)
                hz[:, 2] = (r["economics"][a] * hardship * rel * fam * om_i
                            * (1 + centre[a, place]))
            if 1 in motives:
                hz[:, 1] = r["coercion_or_amnesty"][a] * wanted
            if 3 in motives:
                rev = np.minimum((kills * self.enemy[a][None, :]).sum(axis=1),
                                 p.revenge_cap.value)
                hz[:, 3] = r["revenge"][a] * rev * om_i
            hz *= np.where(minor_m, minors[a], 1.0)[:, None]
            haz[:, a, :] = hz * here[:, None]
        flat = haz.reshape(n, -1)
        total = flat.sum(axis=1)
        g = sim.rng(name + ".accept", day)
        join = g.random(n) * p_max < _daily(total)
        if not join.any():
            return
        ids, flat, total = ids[join], flat[join], total[join]
        cum = np.cumsum(flat, axis=1)
        pick = (cum < (g.random(len(ids)) * total)[:, None]).sum(axis=1)
        pick = np.minimum(pick, flat.shape[1] - 1)
        self.enlist(sim, day, ids, pick // len(MOTIVES), pick % len(MOTIVES))

    def enlist(self, sim: Simulation, day: int, ids: np.ndarray, actor: np.ndarray,
               motive: np.ndarray) -> None:
        """Make ``ids`` members of ``actor`` (array, one per id); record ``joined``."""
        ppl = sim.people
        service = sim.get(Service)
        by_actor = np.argsort(actor, kind="stable")  # trainees are listed actor by actor
        if service is not None:
            service.enlist(sim, ids[by_actor], actor[by_actor])
        else:
            ppl.set(ids, day, state=State.SERVING, actor=actor, assignment=Assignment.FRONT)
        sim.record.events("joined", ppl.place[ids], actor=actor, reason=motive,
                          reasons=MOTIVES)
        self.members = np.concatenate([self.members, ids])
        econ = sim.get(Economy)
        if econ is not None:
            econ.add_members(sim, ids)

    def _valid_members(self, sim: Simulation) -> np.ndarray:
        m = np.unique(self.members)  # a man who joined twice within a week is listed twice
        st = sim.people.state[m]
        return m[(sim.people.actor[m] >= 0) & ((st == State.SERVING) | (st == State.TRAINING))]

    def _takeover(self, sim: Simulation, day: int, places: np.ndarray) -> None:
        """Members of actors that no longer recruit at a taken place switch, surrender or
        withdraw (M6; the surrendered become candidates for the repentance route, M3)."""
        ppl, w = sim.people, sim.world
        m = self._valid_members(sim)
        at = m[np.isin(ppl.place[m], places)]
        if at.size == 0:
            return
        a_of = ppl.actor[at].astype(np.int64)
        stranded = ~self.recruiting[a_of, ppl.place[at].astype(np.int64)]
        at, a_of = at[stranded], a_of[stranded]
        if at.size == 0:
            return
        u = sim.person_uniform("joining.takeover", at, day)
        ctrl = w.control[day].astype(np.int64)
        for a in np.unique(a_of):
            sel = a_of == a
            who, uu = at[sel], u[sel]
            sw = self.takeover_switch[a] if self.configured[a] else 0.0
            su = self.takeover_surrender[a] if self.configured[a] else 1.0
            new = ctrl[ppl.place[who].astype(np.int64)]
            can_switch = (new >= 0) & self.configured[np.maximum(new, 0)]
            s_ids = who[(uu < sw) & can_switch]
            if s_ids.size:
                to = ctrl[ppl.place[s_ids].astype(np.int64)]
                ppl.set(s_ids, day, actor=to)
                sim.record.events("switched", ppl.place[s_ids], actor=to,
                                  reason=f"takeover:{w.actor_ids[a]}")
            rest = who[~((uu < sw) & can_switch)]
            ur = uu[~((uu < sw) & can_switch)]
            surrender = rest[ur < sw + su]
            back = rest[ur >= sw + su]
            held = np.flatnonzero(self.recruiting[a])
            if held.size == 0:
                surrender, back = rest, back[:0]
            if surrender.size:
                sim.record.events("surrendered", ppl.place[surrender], actor=int(a))
                ppl.set(surrender, day, state=State.CIVILIAN, actor=-1,
                        assignment=Assignment.NONE)
                ppl.flags[surrender] |= np.uint8(Flag.WAS_MEMBER)
                self.flagged = np.union1d(self.flagged, surrender)
            if back.size:
                src_p = ppl.place[back].astype(np.int64)
                dest = np.zeros(back.size, dtype=np.int64)
                for sp in np.unique(src_p):  # the nearest place the actor holds
                    d = great_circle_km(w.lat[sp], w.lon[sp], w.lat[held], w.lon[held])
                    dest[src_p == sp] = held[np.argmin(d)]
                sim.record.events("withdrew", src_p, actor=int(a), destination=dest)
                ppl.set(back, day, place=dest)

    def _switch(self, sim: Simulation, day: int) -> None:
        """Drift to the strongest, best-paying actor recruiting at the member's place (M6)."""
        ppl, w = sim.people, sim.world
        p_max = float(_daily(self.switch_rate.max()))
        cand = sim.thin_candidates("joining.switch", day, p_max, self.members)
        if cand.size == 0:
            return
        cand = np.unique(cand)
        a_c = ppl.actor[cand].astype(np.int64)
        cand = cand[(a_c >= 0) & (ppl.state[cand] == State.SERVING)
                    & (self.switch_rate[np.maximum(a_c, 0)] > 0)]
        if cand.size == 0:
            return
        m = self._valid_members(sim)
        A, P_ = w.n_actors, w.n_places
        local = np.bincount(ppl.actor[m].astype(np.int64) * P_ + ppl.place[m],
                            minlength=A * P_).reshape(A, P_).astype(np.float64)
        econ = sim.get(Economy)
        pay = econ.pay_usd + econ.in_kind if econ is not None else np.zeros(A)
        a = ppl.actor[cand].astype(np.int64)
        pl = ppl.place[cand].astype(np.int64)
        _, _, accepting = self._open(day)
        gap = np.full((len(cand), A), -np.inf)
        for b in range(A):
            ok = self.recruiting[b, pl] & accepting[b] & (a != b)
            if not ok.any():
                continue
            sa, sb = local[a, pl], local[b, pl]
            g_s = (sb - sa) / np.maximum(sa + sb, 1.0)
            g_p = (pay[b] - pay[a]) / np.maximum(pay[a] + pay[b], 1.0)
            gap[:, b] = np.where(ok, 0.5 * g_s + 0.5 * g_p, -np.inf)
        best = gap.argmax(axis=1)
        g = gap[np.arange(len(cand)), best]
        chance = _daily(self.switch_rate[a] * np.clip(g, 0, 1))
        u = sim.rng("joining.switch_accept", day).random(len(cand))
        go = u * p_max < chance
        if go.any():
            ppl.set(cand[go], day, actor=best[go])
            sim.record.events("switched", ppl.place[cand[go]], actor=best[go], reason=a[go],
                              reasons=[f"drift:{x}" for x in w.actor_ids])

