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

from ranks.arrays import unique
from ranks.modules.actors import (
    ActorParams,
    Age,
    Camps,
    NonNeg,
    NonNegInt,
    Prob,
    check_actor_names,
)
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.economy import Economy
from ranks.modules.practices import ActorSettings, territory_share
from ranks.modules.service import ROUTE_AMNESTY, ROUTE_VOLUNTEER, Service
from ranks.modules.wanted import wanted_book
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
    initial_homes: P[list[str]] = P(value=[], assumption="initial members live where the "
                                    "actor's camp first holds people")
    prospects_power: P[NonNeg] = P(value=0.0, assumption="voluntary joining does not depend "
                                   "on how the actor fares")


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
    grievance_weight: P[NonNeg] = P(
        value=1.0, source="seed-002",
        note="a man held and tortured by an actor turns against it (¶¶17-19: 11 months in "
        "regime detention radicalised the defector, who joined the FSA, then Nusra, then "
        "ISIS); his own detention counts in the revenge motive like one relative killed by "
        "that actor (weight assumed)")
    detained_before: P[dict[str, Prob]] = P(
        value={}, assumption="nobody carries a past detention at the start unless the "
        "scenario says by whom and what share of men 18-40")
    #: switches (mechanism on/off)
    motives: list[str] = Field(default_factory=lambda: list(MOTIVES))
    family_opposition: bool = True
    youth_targeting: bool = True
    channels: bool = True
    minors_rise: bool = True
    switching: bool = True
    takeover: bool = True
    prospects: bool = True
    grievance: bool = True


def _daily(h: np.ndarray | float) -> np.ndarray:
    return -np.expm1(-np.asarray(h, dtype=np.float64) / YEAR)


class Joining(Module[JoiningParams]):
    """Who joins which actor and why; who switches sides (M3, M5, M6, M17, M28)."""

    name = "joining"
    mids = ("M3", "M5", "M6", "M17", "M28")
    Params = JoiningParams
    Actor = JoiningActor
    event_types = ("recruitment_office", "cultural_centre", "applications_closed",
                   "tribe_pledge")
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
        self.settings = ActorSettings(sim, self.name, JoiningActor, p.actors)
        self.camp = np.zeros((A, max(A, 1)), dtype=bool)
        self.enemy = np.zeros((A, max(A, 1)), dtype=bool)
        self.configured = np.zeros(A, dtype=bool)
        self._tables(sim, 0)
        self._tables_day = 0
        # prospects (M3): the whole organisation's territory against its peak, by day
        self.org_share = np.ones((sim.world.n_days, A))
        for a, actor in enumerate(w.actor_ids):
            t = territory_share(sim.scenario.practices, actor, sim.scenario.period.start,
                                sim.world.n_days)
            if t is not None:
                self.org_share[:, a] = t
        self.held_peak = np.zeros(A)
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
        self._is_avenger = np.zeros(ppl.n, dtype=bool)
        self._bereaved: list[np.ndarray] = []  # households bereaved since the last flush
        # the pool by household (CSR): the men of household h are pool_by_hh[ptr[h]:ptr[h+1]]
        hh_of = ppl.household[self.pool]
        self._pool_by_hh = self.pool[np.argsort(hh_of, kind="stable")]
        self._pool_ptr = np.concatenate([[0], np.cumsum(np.bincount(hh_of, minlength=H))])
        self.wage = float(sim.scenario.population.wage_usd_month.value)
        self.camps = sim.provide(Camps(self.camp, self.configured))
        self._power(sim, 0)
        self.book = wanted_book(sim)
        if p.grievance:
            self._detained_before(sim)
        self._initial_members(sim)

    def _tables(self, sim: Simulation, day: int) -> None:
        """Per-actor rates and camps from the practices in force on ``day`` (M28)."""
        p, s, w = self.params, self.settings, sim.world
        A = w.n_actors
        on = set(p.motives)
        self.rate = {m: (s.col(f, day) if m in on else np.zeros(A)) for m, f in (
            ("belief", "belief_per_year"), ("coercion_or_amnesty", "amnesty_per_year"),
            ("economics", "economic_per_year"), ("revenge", "revenge_per_year"),
            ("opportunism", "opportunism_per_year"))}
        self.minors_base = s.col("minors_base", day)
        self.minors_gain = s.col("minors_loss_gain", day) if p.minors_rise else np.zeros(A)
        self.office_mult = s.col("office_multiplier", day)
        self.centre_mult = s.col("cultural_centre_multiplier", day)
        self.switch_rate = s.col("switch_per_year", day) if p.switching else np.zeros(A)
        self.takeover_switch = s.col("switch_on_takeover", day)
        self.takeover_surrender = s.col("surrender_on_takeover", day)
        self.prospects_power = s.col("prospects_power", day) if p.prospects else np.zeros(A)
        configured = s.configured(day)
        # camp[a, c]: actor a recruits where actor c holds control
        self.camp[:] = False
        self.enemy[:] = False
        for a in np.flatnonzero(configured):
            holders = s.value("recruits_in", int(a), day) or [w.actor_ids[a]]
            for c in holders:
                if c in w.actor_index:
                    self.camp[a, w.actor_index[c]] = True
            self.enemy[a] = True
            self.enemy[a, a] = False
            for c in s.value("allies", int(a), day):
                if c in w.actor_index:
                    self.enemy[a, w.actor_index[c]] = False
        self.configured[:] = configured

    def _detained_before(self, sim: Simulation) -> None:
        """Men 18-40 at the start who were held by an actor before it (share by actor,
        ``detained_before``) carry a grievance against it (M3, seed-002 ¶¶17-19)."""
        ppl, w = sim.people, sim.world
        age = ppl.age_years(0, self.pool)
        men = self.pool[(age >= 18) & (age <= 40)]
        u = sim.trait("joining.detained_before", men)
        lo = 0.0
        for name, share in self.params.detained_before.value.items():
            if name not in w.actor_index:
                continue
            sel = men[(u >= lo) & (u < lo + share)]
            lo += share
            self.book.set_grievance(sel, w.actor_index[name])

    def _initial_members(self, sim: Simulation) -> None:
        """Members at the start: men 18-40 living in the actor's ``initial_homes`` (weighted
        by their people), else where the actor's camp holds control (or, for an actor that
        holds no populated place at the start, where it first does: its local supporters
        before the takeover); the foreign contingent (M29) taken the same way and flagged
        FOREIGN (a simplification: its men stand in for fighters who came from abroad)."""
        ppl, w, s = sim.people, sim.world, self.settings
        age = ppl.age_years(0, self.pool)
        free = self.pool[(age >= 18) & (age <= 40) & (ppl.actor[self.pool] < 0)]
        g = sim.rng("joining.initial", 0)
        populated = w.population > 0
        new: list[np.ndarray] = []
        for a in map(int, np.flatnonzero(self.configured)):
            n_local = int(round(s.value("initial_members", a, 0) * sim.scale))
            n_foreign = int(round(s.value("foreign_members", a, 0) * sim.scale))
            if n_local + n_foreign == 0:
                continue
            homes = [w.place_index[n] for n in s.value("initial_homes", a, 0)
                     if n in w.place_index]
            if homes:
                ok = free[np.isin(ppl.place[free], homes)]
            else:
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
            self.members = unique(np.concatenate(new))

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
        the avengers (kept sorted and unique), once a day however many deaths were
        resolved."""
        if not self._bereaved:
            return
        hh = unique(np.concatenate(self._bereaved))
        self._bereaved.clear()
        lo = self._pool_ptr[hh]
        n = self._pool_ptr[hh + 1] - lo  # (not np.diff over every household)
        kin = self._pool_by_hh[np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))]
        new = unique(kin[~self._is_avenger[kin]])
        if new.size:
            self._is_avenger[new] = True
            self.avengers = np.insert(self.avengers, np.searchsorted(self.avengers, new), new)

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
        self.held_now = self.camp.astype(np.float64) @ held
        self.held_peak = np.maximum(self.held_peak, self.held_now)
        self.power = self.held_now / max(pop.sum(), 1.0)
        # recruiting[a, p]: actor a recruits at place p today
        self.camps.update(ctrl)
        self.recruiting = self.camps.recruiting

    # -- timeline --------------------------------------------------------------------------
    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        """``recruitment_office`` / ``cultural_centre`` (actor, places, optional value =
        multiplier, optional until), ``applications_closed`` (actor, optional until),
        ``tribe_pledge`` (tribe, actor, value = share of the tribe's fighters in other groups
        who switch to the actor)."""
        p = self.params
        w = sim.world
        self._sync(sim, sim.day)
        if ev.actor is None:
            raise ValueError(f"{ev.date} {ev.type}: needs an actor")
        a = w.actor_index[ev.actor]
        until = w.day_of(ev.until) if ev.until is not None else w.n_days + 1
        if ev.type == "applications_closed":
            self.closed_until[a] = until
            return
        if ev.type == "tribe_pledge":
            self._pledge(sim, ev, a)
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

    def _pledge(self, sim: Simulation, ev: TimelineEvent, a: int) -> None:
        """A tribe pledges allegiance to actor ``a`` (timeline-shared 2014-07-03): a share
        ``value`` of its men serving in other armed groups switch to ``a`` (M6, M28)."""
        ppl, w = sim.people, sim.world
        if ev.tribe is None or ev.tribe not in w.tribes:
            raise ValueError(f"{ev.date} tribe_pledge: needs a known tribe")
        t = w.tribes.index(ev.tribe)
        m = self._valid_members(sim)
        m = m[(ppl.actor[m] != a) & (sim.households.tribe[ppl.household[m]] == t)
              & ((ppl.flags[m] & Flag.FOREIGN) == 0)]
        if m.size == 0:
            return
        go = m[sim.person_uniform(sim.event_stream("joining.pledge"), m) < float(ev.value or 0.0)]
        if go.size == 0:
            return
        old = ppl.actor[go].astype(np.int64)
        reasons = [f"pledge:{x}" for x in w.actor_ids]
        ppl.set(go, sim.day, actor=a)
        sim.record.events("switched", ppl.place[go], actor=a, reason=old, reasons=reasons)

    # -- day -------------------------------------------------------------------------------
    def step(self, sim: Simulation, day: int) -> None:
        p = self.params
        w = sim.world
        self._household = sim.people.household
        self._flush_bereaved()
        if day % 7 == 0:
            self.members = sim.people.members()
        strength = sim.people.strength[: w.n_actors].sum(axis=1).astype(np.float64)
        self.peak = np.maximum(self.peak, strength)
        self._sync(sim, day)
        if day > 0:
            changed = np.flatnonzero(w.control[day] != w.control[day - 1])
            if changed.size:
                self._power(sim, day)
                if p.takeover:
                    self._takeover(sim, day, changed)
        if day % 7 == 0 and p.grievance:
            self._add_aggrieved(sim)
        self._join(sim, day, strength)
        if self.switch_rate.any():
            self._switch(sim, day)

    def _sync(self, sim: Simulation, day: int) -> None:
        """Refresh the per-actor tables once on a day a practice regime starts."""
        if day > 0 and self._tables_day != day and self.settings.changes_on(day):
            self._tables(sim, day)
            self._power(sim, day)
            self._tables_day = day

    def _add_aggrieved(self, sim: Simulation) -> None:
        """Men of the pool with a grievance from their own detention join the avengers."""
        g = self.book.grievance[self.pool]
        self.avengers = unique(np.concatenate((self.avengers, self.pool[g >= 0]), axis=None))

    def prospects(self, day: int) -> np.ndarray:
        """How each actor fares, 0..1 (M3): the whole organisation's territory over its peak
        so far, times the people its camp holds in the scenario over their peak so far,
        raised to ``prospects_power`` (1 for actors with power 0)."""
        share = self.org_share[min(day, self.org_share.shape[0] - 1)] * np.where(
            self.held_peak > 0, self.held_now / np.maximum(self.held_peak, 1e-9), 1.0)
        return np.asarray(np.clip(share, 0.0, 1.0) ** self.prospects_power, dtype=np.float64)

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
        pr = self.prospects(day)
        r = {m: (v * pr if m != "coercion_or_amnesty" else v) for m, v in self.rate.items()}
        self._r_today = r
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
        r = self._r_today
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
            res = np.full(n, p.reservation_usd.value)
            if econ is not None:  # in 2011 dollars, like the offer below
                wage = wage * econ.wage_index[place] * econ.jobs_index[place]
                res = res * econ.wage_index[place]
            earning = np.where(employed, wage, 0.0) + res
        if 1 in motives:
            wanted = ((ppl.flags[ids] & (Flag.WANTED | Flag.WAS_MEMBER)) > 0).astype(float)
            # the repentance route is for men wanted by others and former members of other
            # groups (seed-003 ¶9), not for the actor's own deserters
            own = self.book.wanted_by[ids].astype(np.int64)
        if 3 in motives:
            kills = self.killed_by[h].astype(np.float64)
            grieved = self.book.grievance[ids].astype(np.int64)
            if p.grievance and (grieved >= 0).any():  # own detention (seed-002 ¶¶17-19)
                gw = np.zeros_like(kills)
                ok_g = grieved >= 0
                gw[np.flatnonzero(ok_g), grieved[ok_g]] = p.grievance_weight.value
                kills = kills + gw
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
                offer = ((econ.offer(sim, int(a), ids) + econ.in_kind[a]
                          + econ.in_kind_pp[a] * sim.households.size[h]) * econ.fx_index
                         if econ is not None else np.full(n, 100.0))
                rel = offer / np.maximum(offer + earning, 1e-9)
                hz[:, 2] = (r["economics"][a] * hardship * rel * fam * om_i
                            * (1 + centre[a, place]))
            if 1 in motives:
                hz[:, 1] = r["coercion_or_amnesty"][a] * wanted * (own != a)
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
            route = np.where(motive == MOTIVES.index("coercion_or_amnesty"), ROUTE_AMNESTY,
                             ROUTE_VOLUNTEER)
            service.enlist(sim, ids[by_actor], actor[by_actor], route[by_actor])
        else:
            ppl.set(ids, day, state=State.SERVING, actor=actor, assignment=Assignment.FRONT)
        sim.record.events("joined", ppl.place[ids], actor=actor, reason=motive,
                          reasons=MOTIVES)
        self.members = np.concatenate([self.members, ids])
        econ = sim.get(Economy)
        if econ is not None:
            econ.add_members(sim, ids)

    def _valid_members(self, sim: Simulation) -> np.ndarray:
        m = unique(self.members)  # a man who joined twice within a week is listed twice
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
        for a in unique(a_of):
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
                self.flagged = unique(np.concatenate((self.flagged, surrender), axis=None))
            if back.size:
                src_p = ppl.place[back].astype(np.int64)
                dest = np.zeros(back.size, dtype=np.int64)
                for sp in unique(src_p):  # the nearest place the actor holds
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
        cand = unique(cand)
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

