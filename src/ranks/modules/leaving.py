"""Leaving: desertion and defection from named drivers, deterrence, destinations, suspicion
(M18-M21), with a safe-exit programme and massacres as timeline events.

Requires: members (``people.actor >= 0`` in TRAINING or SERVING, made by joining, service or
coercion), ``world.control`` (territory trend), ``world.front`` (fear). Uses the economy
module's ``pay_usd`` (USD a month by actor) and ``food_price_index`` (by place) when it is
enabled; without it, keeps its own pay index by actor (timeline ``pay_change``: value =
factor on pay) and a food price index (``set_param leaving.food_price_index``). Uses the
coercion module (caught deserters are detained when it runs) and tells the service module
that its suspicion rule (M21) moves serving suspects. Sets the wanted book's punisher
(caught deserters, M19).

Outputs: events ``deserted`` and ``defected`` (reason = the driver drawn, destination = place
index), ``executed`` (reason caught_leaving / checkpoint / raid / public), ``punished``,
``property_confiscated``, ``suspected``, ``reassigned`` (reason suspicion); deaths ``massacre``
and ``executed`` through ``sim.request_death``. Stock ``suspected`` by actor.

Step behaviour, each day (members only, from ``people.members()``):
  h_i = (base + sum_k w_k x_k,i) * deterrence(a_i, place_i) + w_safe * safe_exit(a_i, place_i)
with drivers x (0..1): losing (relative loss of population-weighted territory over a window),
disillusion (recent executions of members from the same home place), favouritism (share of
foreign members, for local members), pay (fall of real pay: pay / food price against the best
seen), redeployment (distant fronts; former members of other groups at the front), tribe
massacre (recent massacre of the household's tribe by the actor), fear (by assignment and
front intensity). A member leaves with chance h_i; the reason is drawn in proportion to the
terms. Leavers are caught with a chance raised for the suspected (informers): executed or
detained (M19). The others go to a destination (M20): a rebel group (defection), home into
hiding (state DESERTED, wanted), an area of a safe actor, or abroad; families of those who
escape may lose their property. Members with a high hazard become suspected and may be sent
on dangerous missions (M21). Draws are per person (``person_uniform``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from ranks import kernels, rng
from ranks.arrays import unique
from ranks.errors import RanksInputError
from ranks.modules.actors import ActorParams, NonNeg, PosF, PosInt, Prob, check_actor_names
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.coercion import Coercion
from ranks.modules.economy import Economy
from ranks.modules.joining import Joining
from ranks.modules.practices import (
    BACK_TO_UNIT,
    EXECUTED,
    FORGIVEN,
    HANDED_OVER,
    P_DETAINED,
    P_FINED,
    PUNISHMENTS,
    ActorSettings,
    check_shares,
    punishment_codes,
)
from ranks.modules.service import Service
from ranks.modules.wanted import WantedBook, wanted_book
from ranks.population import Assignment, Flag, State
from ranks.scenario.model import P, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation

#: Reasons in the order of the hazard terms (``family``: a family gets a boy out, not a
#: hazard term; seed-003 ¶24).
REASONS = ("other", "losing", "disillusion", "favouritism", "pay", "redeployment",
           "tribe_massacre", "fear", "safe_exit", "family")
N_TERMS = len(REASONS) - 1  # the hazard terms and safe exit
DESTINATIONS = ("rebel", "home", "safe_area", "abroad")
_EMPTY = np.zeros(0, dtype=np.int64)


def _punish_shares(v: P[dict[str, float]] | None) -> P[dict[str, float]] | None:
    if v is not None and v.value is not None:
        msg = check_shares(v.value, PUNISHMENTS)
        if msg:
            raise ValueError(msg)
    return v


class LeavingActor(ActorParams):
    """How an actor treats those who leave it (M19, M20). A parameter left empty (None)
    takes the module's value."""

    caught_chance: P[Prob | None] = P(value=None, assumption="the module's caught_chance")
    caught_chance_foreign: P[Prob | None] = P(value=None, assumption="as local members")
    punishment_local: P[dict[str, float] | None] = P(
        value=None, assumption="the module's execute_share, the rest detained")
    punishment_foreign: P[dict[str, float] | None] = P(value=None, assumption="as locals")
    handed_to: P[str | None] = P(value=None, assumption="nobody hands leavers to another "
                                 "actor")
    confiscate_chance: P[Prob | None] = P(value=None, assumption="the module's value")
    reprisal_risk: P[dict[str, Prob]] = P(value={}, assumption="no reprisals feared from "
                                          "other actors")

    _v_local = field_validator("punishment_local")(_punish_shares)
    _v_foreign = field_validator("punishment_foreign")(_punish_shares)


class LeavingParams(ModuleParams):
    """Parameters of leaving. Hazards are daily chances per member."""

    base_per_day: P[Prob] = P(
        value=0.0002, assumption="background desertion of about 7% a year when no driver acts")
    w_losing: P[NonNeg] = P(
        value=0.004, source="seed-003",
        note="'they are growing weaker by the day'; daily chance at a total loss of territory "
        "(size assumed)")
    losing_window_days: P[PosInt] = P(
        value=90, assumption="members judge the trend over about three months")
    w_disillusion: P[NonNeg] = P(
        value=0.0015, source="seed-003",
        note="executions of friends and of suspected members; daily chance at saturation "
        "(assumed)")
    disillusion_exec_ref: P[PosF] = P(
        value=50.0, assumption="executions (full-scale count) of members from one home place "
        "that bring disillusion to 63% of its maximum")
    disillusion_days: P[PosF] = P(
        value=180.0, assumption="disillusion after executions fades with an e-folding time of "
        "half a year")
    w_favouritism: P[NonNeg] = P(
        value=0.002, source="seed-003",
        note="foreign fighters paid two to three times more and promoted; daily chance for local "
        "members when the foreign share reaches foreign_share_ref (assumed)")
    foreign_share_ref: P[PosF] = P(
        value=0.3, assumption="foreign share of members at which favouritism is felt fully")
    w_pay: P[NonNeg] = P(
        value=0.0015, source="seed-003",
        note="pay cut by up to half against rising food prices made those who joined for money "
        "leave (¶20); daily chance at a total loss of real pay beyond the dead band: 0.004 (a "
        "guess) scaled to the share of members who joined for pay (about a third in the model)")
    pay_dead_band: P[Prob] = P(
        value=0.4, assumption="a fall of real pay below 40% of the best seen drives no one "
        "out: seed-002 ¶21 calls the 2014 pay a fortune while prices rose, and seed-003 ¶20 "
        "ties pay-driven desertion to the cut of up to half; the width is a guess")
    w_redeployment: P[NonNeg] = P(
        value=0.003, source="seed-003",
        note="redeployment to Iraq or against former comrades; daily chance on a distant front")
    former_comrades: P[Prob] = P(
        value=0.5, source="seed-003",
        note="former members of other groups at the front: share of the redeployment driver")
    w_tribe_massacre: P[NonNeg] = P(
        value=0.01, source="seed-002",
        note="a massacre of one's own tribe as the final break; daily chance at full strength")
    massacre_ref_killed: P[PosF] = P(
        value=700.0, source="seed-002",
        note="more than 700 Sheitat killed: a massacre of this size has full strength")
    massacre_days: P[PosF] = P(
        value=365.0, assumption="the memory of a massacre fades with an e-folding time of a year")
    w_fear: P[NonNeg] = P(
        value=0.001, source="seed-004",
        note="escapes from the fronts almost every day for fear of death (¶8): daily chance at "
        "fear 1, sized so that the governorate's ISIS fighters (several thousand) lose a few a "
        "day to fear, the order seed-004 reports")
    fear_by_assignment: P[list[Prob]] = P(
        value=[0.0, 0.0, 0.0, 0.5, 0.8, 1.0], source="seed-004",
        note="none, training, guard, front, distant, dangerous: guards stay, the front is feared "
        "(levels assumed)")
    w_safe_exit: P[NonNeg] = P(
        value=0.01, assumption="daily chance added by a safe-exit programme at full strength")
    deterrence_max: P[Prob] = P(
        value=0.8, assumption="largest cut of others' leaving after executions at their place; "
        "seed-000 ¶12 shows public punishment and seed-002 ¶¶10-14 the fear of it, neither "
        "sizes deterrence")
    deterrence_exec_half: P[PosF] = P(
        value=5.0, assumption="executions (full-scale count) at a place that give 63% of the "
        "largest deterrence")
    deterrence_days: P[PosF] = P(
        value=30.0, assumption="deterrence fades with an e-folding time of a month")
    caught_chance: P[Prob] = P(
        value=0.1, assumption="generic share of leavers caught, for actors whose practices do "
        "not say (seed-003 ¶23 and pub-sohr-executions bound ISIS's, see the practices)")
    informer_boost: P[NonNeg] = P(
        value=1.0, source="seed-002",
        note="informers: catch chance x (1 + boost) for suspected members (assumed)")
    execute_share: P[Prob] = P(
        value=0.5, assumption="generic share of caught leavers executed (the rest detained) "
        "for actors whose practices do not say; the Deir Ezzor actors set their own")
    execute_share_by_actor: dict[str, P[Prob]] = Field(default_factory=dict)
    confiscate_chance: P[Prob] = P(
        value=0.0, assumption="generic: no confiscation unless an actor's practice says so "
        "(seed-000 ¶26 reports it of ISIS only)")
    fine_usd: P[NonNeg] = P(
        value=100.0, assumption="what a caught leaver's family pays when the punishment is a "
        "fine; no amount reported")
    family_extraction_per_day: P[Prob] = P(
        value=0.002, source="seed-003",
        note="a mother had her 14-year-old son's older brother take him to Turkey when she saw "
        "him brainwashed (¶24; pub-newsweek-2017-boys: an uncle moves a family with three "
        "boys out of Raqqa); daily chance for a member under 18 whose family opposes his "
        "joining (about half within a year: assumed)")
    destination_weights: P[dict[str, NonNeg]] = P(
        value={"rebel": 0.15, "home": 0.45, "safe_area": 0.15, "abroad": 0.25},
        source="seed-003",
        note="some join moderate rebels, others leave for Turkey or Jordan (seed-003), home "
        "into hiding (seed-004 raids); weights assumed")
    rebel_actors: list[str] = Field(default_factory=list)
    safe_actors: list[str] = Field(default_factory=list)
    abroad_places: list[str] = Field(default_factory=list)
    actors: dict[str, LeavingActor] = Field(default_factory=dict)
    #: switches (mechanism on/off)
    reprisals: bool = True
    family_extraction: bool = True
    suspicion_gain: P[NonNeg] = P(
        value=1.0, source="seed-003",
        note="suspicion builds on those likely to leave: daily chance = gain x hazard (assumed)")
    dangerous_chance: P[Prob] = P(
        value=0.05, source="seed-003",
        note="suspected members sent on the most dangerous missions; daily chance assumed")


class Leaving(Module[LeavingParams]):
    """Desertion and defection, deterrence, destinations and suspicion (M18-M21)."""

    name = "leaving"
    settable = ("food_price_index",)  # fallback when no economy module runs
    mids = ("M18", "M19", "M20", "M21")
    Params = LeavingParams
    Actor = LeavingActor
    event_types = ("massacre", "public_execution", "safe_exit", "pay_change", "exile")
    uses = (Economy, Coercion, Service, Joining)

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: LeavingParams) -> Problem | None:
        """Actors and places named in the parameters exist."""
        err = check_actor_names(scenario, list(params.actors))
        if err is not None:
            return err
        actors = {a.id for a in scenario.actors}
        places = {p.name for p in scenario.places}
        for field, names in (("rebel_actors", params.rebel_actors),
                             ("safe_actors", params.safe_actors)):
            for i, a in enumerate(names):
                if a not in actors:
                    return f"unknown actor '{a}'", (field, i)
        for k in params.execute_share_by_actor:
            if k not in actors:
                return f"unknown actor '{k}'", ("execute_share_by_actor", k)
        for i, n in enumerate(params.abroad_places):
            if n not in places:
                return f"unknown place '{n}'", ("abroad_places", i)
        for k in params.destination_weights.value:
            if k not in DESTINATIONS:
                return (f"unknown destination '{k}'; allowed: {', '.join(DESTINATIONS)}",
                        ("destination_weights",))
        if len(params.fear_by_assignment.value) != len(Assignment):
            return f"fear_by_assignment needs {len(Assignment)} values", ("fear_by_assignment",)
        return None

    def init(self, sim: Simulation) -> None:
        p = self.params
        self.p = p
        w = sim.world
        A, Pn = w.n_actors, w.n_places
        self.book: WantedBook = wanted_book(sim)
        self.book.set_punisher(self.punish)
        service = sim.get(Service)
        if service is not None:
            service.leave_suspects_to_leaving()
        self.scale = sim.scale
        # territory held, population-weighted, by day and actor (M18 losing)
        pop = w.population.astype(np.float64)
        held = np.zeros((w.n_days, A))
        for a in range(A):
            held[:, a] = ((w.control == a) * pop).sum(axis=1)
        self.held = held
        self.exec_place = np.zeros((A, Pn))  # deterrence: recent executions at a place
        self.exec_home = np.zeros((A, Pn))  # disillusion: recent executions by home place
        self.massacre = np.zeros((A, max(len(w.tribes), 1)))
        self.safe_exit: list[tuple[int, np.ndarray | None, float, int, int, int]] = []
        self.pay_index = np.ones(A)
        self.real_pay_ref = np.zeros(A)
        self.execute_share = np.full(A, p.execute_share.value)
        for k, v in p.execute_share_by_actor.items():
            self.execute_share[w.actor_index[k]] = v.value
        self.settings = ActorSettings(sim, self.name, LeavingActor, p.actors)
        self._hh_order: np.ndarray | None = None
        self.exiles: list[tuple[np.ndarray, np.ndarray, int]] = []
        self._hh_start = np.zeros(0, dtype=np.int64)
        self._actor_tables(sim, 0)
        self.rebels = np.array([w.actor_index[a] for a in p.rebel_actors], dtype=np.int64)
        self.safe = np.array([w.actor_index[a] for a in p.safe_actors], dtype=np.int64)
        abroad = ([w.place_index[n] for n in p.abroad_places] if p.abroad_places
                  else list(w.places_of_type("abroad")))
        self.abroad = np.array(abroad, dtype=np.int64)
        dw = p.destination_weights.value
        self.dest_w = np.array([dw.get(d, 0.0) for d in DESTINATIONS])
        self.fear = np.asarray(p.fear_by_assignment.value, dtype=np.float64)
        self.decay_det = float(np.exp(-1.0 / p.deterrence_days.value))
        self.decay_dis = float(np.exp(-1.0 / p.disillusion_days.value))
        self.decay_mas = float(np.exp(-1.0 / p.massacre_days.value))
        self._m_day = -1
        self._m = np.zeros(0, dtype=np.int64)
        sim.record.add_stock("suspected", ("actor",), (w.actor_ids,), lambda day: np.bincount(
            sim.people.actor[self._suspected_members(sim)].astype(np.int64), minlength=A)[:A])

    def _opt(self, field: str, day: int, fallback: np.ndarray | float) -> np.ndarray:
        """Per-actor values of an optional parameter: the actor's, else ``fallback``."""
        s = self.settings
        fb = np.broadcast_to(np.asarray(fallback, dtype=np.float64), (len(s.actor_ids),))
        return np.array([v if (v := s.value(field, a, day)) is not None else fb[a]
                         for a in range(len(s.actor_ids))], dtype=np.float64)

    def _actor_tables(self, sim: Simulation, day: int) -> None:
        """Per-actor practices in force on ``day``: who is caught, what happens to them,
        whose property is taken, where former members fear reprisals (M19, M20)."""
        p, s, w = self.p, self.settings, sim.world
        A = w.n_actors
        self.caught = self._opt("caught_chance", day, p.caught_chance.value)
        self.caught_foreign = self._opt("caught_chance_foreign", day, self.caught)
        self.confiscate = self._opt("confiscate_chance", day, p.confiscate_chance.value)
        self.handed_to = np.array([w.actor_index.get(s.value("handed_to", a, day) or "", -1)
                                   for a in range(A)], dtype=np.int64)
        # risk[b, h]: a former member of b in a place held by h (abroad and no holder: 0)
        self.risk = np.zeros((A, A + 1))
        if p.reprisals:
            for b in range(A):
                for h, r in s.value("reprisal_risk", b, day).items():
                    if h in w.actor_index:
                        self.risk[b, w.actor_index[h]] = float(r)

    def _punish_default(self, a: int) -> dict[str, float]:
        """Punishment shares of an actor whose practices do not set them."""
        x = float(self.execute_share[a])
        return {"executed": x, "detained": 1.0 - x}

    def _suspected_members(self, sim: Simulation) -> np.ndarray:
        m = self._members(sim)
        return m[(sim.people.flags[m] & Flag.SUSPECTED) != 0]

    def _members(self, sim: Simulation) -> np.ndarray:
        """Members (TRAINING or SERVING with an actor), from ``people.members()`` once a
        day; later calls the same day filter the cached set."""
        p = sim.people
        if self._m_day == sim.day:
            m = self._m[p.actor[self._m] >= 0]
        else:
            m = p.members()
            self._m_day = sim.day
        st = p.state[m]
        self._m = m[(st == State.TRAINING) | (st == State.SERVING)]
        return self._m

    # -- timeline ---------------------------------------------------------------------------
    def _actor(self, sim: Simulation, ev: TimelineEvent) -> int:
        name = ev.actor or ev.args.get("actor")
        if name is None or name not in sim.world.actor_index:
            raise RanksInputError(f"{ev.type} needs a known actor (got {name!r})",
                                  field="timeline")
        return sim.world.actor_index[name]

    def _places(self, sim: Simulation, ev: TimelineEvent) -> np.ndarray | None:
        names = ev.args.get("places") or ev.places
        if isinstance(names, str):
            names = [names]
        if not names:
            return None
        return np.array([sim.world.place_index[n] for n in names], dtype=np.int64)

    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        a = self._actor(sim, ev)
        if ev.type == "massacre":
            self._massacre(sim, ev, a)
        elif ev.type == "public_execution":
            self._public_execution(sim, ev, a)
        elif ev.type == "exile":
            self._exile(sim, ev, a)
        elif ev.type == "safe_exit":
            until = sim.world.day_of(ev.until) if ev.until else sim.world.n_days
            dest = ev.args.get("destination")
            d = sim.world.place_index[dest] if dest else -1
            self.safe_exit.append((a, self._places(sim, ev),
                                   float(ev.value if ev.value is not None else 1.0),
                                   sim.day, until, d))
        elif ev.type == "pay_change" and ev.value is not None:
            # own pay index, used only when no economy module provides pay
            self.pay_index[a] *= float(ev.args.get("factor", ev.value))

    def _massacre(self, sim: Simulation, ev: TimelineEvent, a: int) -> None:
        """A massacre of one tribe by actor ``a``: deaths, and a lasting driver to leave."""
        w, people = sim.world, sim.people
        if ev.tribe is None:
            raise RanksInputError("massacre needs a tribe", field="timeline")
        t = w.tribes.index(ev.tribe)
        killed = float(ev.value or 0.0)
        self.massacre[a, t] += min(killed / self.p.massacre_ref_killed.value, 1.0)
        n = int(round(killed * self.scale))
        if n <= 0:
            return
        places = self._places(sim, ev)
        hh_t = sim.households.tribe[people.household] == t
        cand = hh_t & (people.sex == 1) & (people.actor != a) & np.isin(
            people.state, (State.CIVILIAN, State.HIDING, State.DESERTED))
        if places is not None:
            cand &= np.isin(people.place, places)
        ids = np.flatnonzero(cand)
        ids = ids[people.age_years(sim.day, ids) >= 15]
        if ids.size:
            g = sim.rng(sim.event_stream("leaving.massacre"))
            pick = g.choice(ids, size=min(n, ids.size), replace=False)
            sim.request_death(np.sort(pick), "massacre", a)

    def _exile(self, sim: Simulation, ev: TimelineEvent, a: int) -> None:
        """Actor ``a`` drives a tribe out of its towns after a revolt (M28 tribes; seed-002
        ¶35, pub-syriadirect-2014-shaitat): a share ``value`` of the tribe's households at
        ``place`` (all of them by default) leave for other populated places of the
        governorate (weighted by their people), and those still there come home on
        ``until``, the date the elders' talks let them back. Events ``expelled`` and, on
        return, ``returned`` (reason exile_over)."""
        w, people = sim.world, sim.people
        if ev.tribe is None or ev.tribe not in w.tribes:
            raise RanksInputError("exile needs a known tribe", field="timeline")
        t = w.tribes.index(ev.tribe)
        places = self._places(sim, ev)
        hh = np.flatnonzero(sim.households.tribe == t)
        if places is not None:
            hh = hh[np.isin(sim.households.place[hh], places)]
        share = float(ev.value) if ev.value is not None else 1.0
        name = sim.event_stream("leaving.exile")
        hh = hh[sim.person_uniform(name, hh) < share]
        if hh.size == 0:
            return
        mark = np.zeros(len(sim.households), dtype=bool)
        mark[hh] = True
        ids = np.flatnonzero(mark[people.household] & (people.state == State.CIVILIAN)
                             & (people.place == people.home))
        if ids.size == 0:
            return
        elsewhere = np.flatnonzero((w.population > 0) & (w.tribe != t))
        u = sim.person_uniform(name + ".place", people.household[ids])
        to = _pick(elsewhere, w.population.astype(np.float64), u)
        sim.record.events("expelled", people.place[ids], actor=a, destination=to)
        people.set(ids, sim.day, place=to)
        back = sim.world.day_of(ev.until) if ev.until is not None else sim.n_days
        self.exiles.append((ids, to, back))

    def _exile_returns(self, sim: Simulation, day: int) -> None:
        """The exiled still where they were sent, alive and civilians, come home."""
        people = sim.people
        keep = []
        for ids, to, back in self.exiles:
            if day < back:
                keep.append((ids, to, back))
                continue
            ok = (people.state[ids] == State.CIVILIAN) & (people.place[ids] == to)
            home = ids[ok]
            if home.size:
                sim.record.events("returned", people.place[home], reason="exile_over",
                                  destination=people.home[home].astype(np.int64))
                people.set(home, day, place=people.home[home])
        self.exiles = keep

    def _public_execution(self, sim: Simulation, ev: TimelineEvent, a: int) -> None:
        """Public executions by ``a``: suspected members first, then other men, at places."""
        people = sim.people
        n = int(round(float(ev.value or 1.0) * self.scale))
        if n <= 0:
            return
        places = self._places(sim, ev)
        m = self._members(sim)
        m = m[people.actor[m] == a]
        if places is not None:
            m = m[np.isin(people.place[m], places)]
        sus = m[(people.flags[m] & Flag.SUSPECTED) != 0]
        g = sim.rng(sim.event_stream("leaving.public_execution"))
        pick = g.permutation(sus)[:n]
        if pick.size < n:
            rest = np.setdiff1d(m, pick)
            pick = np.concatenate([pick, g.permutation(rest)[: n - pick.size]])
        if pick.size < n and places is not None:
            civ = np.flatnonzero(np.isin(people.place, places) & (people.sex == 1)
                                 & (people.state == State.CIVILIAN))
            pick = np.concatenate([pick, g.permutation(civ)[: n - pick.size]])
        self._execute(sim, np.sort(pick).astype(np.int64), a, "public")

    # -- deterrence (M19) -------------------------------------------------------------------
    def _execute(self, sim: Simulation, ids: np.ndarray, a: int, reason: str) -> None:
        if ids.size == 0:
            return
        people = sim.people
        sim.record.events("executed", people.place[ids], actor=a, reason=reason)
        sim.request_death(ids, "executed", a)
        w = 1.0 / self.scale  # full-scale equivalent counts
        np.add.at(self.exec_place[a], people.place[ids].astype(np.int64), w)
        np.add.at(self.exec_home[a], people.home[ids].astype(np.int64), w)

    def punish(self, sim: Simulation, ids: np.ndarray, a: int, day: int, how: str,
               draw: str = "") -> None:
        """Caught deserters (or members caught leaving) of actor ``a``, caught ``how``, M19:
        the actor's punishment in force (locals and foreigners apart): executed; detained
        (with coercion, else back to the unit); back to the unit, suspected, on dangerous
        missions (M21); handed over to another actor's army; fined (the family pays, back to
        the unit); forgiven. Event ``punished`` (reason: the punishment) for all but
        executions and detentions. ``draw`` tells apart the calls of one day with the same
        ``how`` and actor (it names their random stream)."""
        people = sim.people
        if ids.size == 0:
            return
        foreign = (people.flags[ids] & Flag.FOREIGN) != 0
        u = sim.person_uniform(f"leaving.execute.{how}{draw}.{a}", ids)
        local = self.settings.value("punishment_local", a, day) or self._punish_default(a)
        fshares = self.settings.value("punishment_foreign", a, day) or local
        code = punishment_codes(local, fshares, foreign, u)
        self._execute(sim, ids[code == EXECUTED], a, how)
        det = ids[code == P_DETAINED]
        if sim.get(Coercion) is None:  # nobody to hold them: back to the unit
            code[code == P_DETAINED] = BACK_TO_UNIT
        else:
            self.book.detain(sim, det, a, day, how)
        to = int(self.handed_to[a])
        hand = ids[code == HANDED_OVER]
        if hand.size and to >= 0:
            sim.record.events("punished", people.place[hand], actor=a, reason="handed_over")
            self.book.conscript(sim, hand, to, day, "handed_over")
        elif hand.size:
            code[code == HANDED_OVER] = BACK_TO_UNIT
        fined = ids[code == P_FINED]
        if fined.size:
            self.book.pay(sim, fined, self.p.fine_usd.value)
        for c in (BACK_TO_UNIT, P_FINED, FORGIVEN):
            back = ids[code == c]
            if back.size == 0:
                continue
            sim.record.events("punished", people.place[back], actor=a, reason=PUNISHMENTS[c])
            self.book.clear_wanted(sim, back)
            asg = Assignment.DANGEROUS if c == BACK_TO_UNIT else Assignment.FRONT
            if c == BACK_TO_UNIT:
                people.flags[back] |= np.uint8(Flag.SUSPECTED)
            people.set(back, day, state=State.SERVING, actor=a, assignment=asg)

    # -- drivers ----------------------------------------------------------------------------
    def _real_pay_loss(self, sim: Simulation, day: int) -> np.ndarray:
        """Fall of real pay (0..1) by actor and place, beyond a dead band (M18): real pay =
        base pay in 2011 dollars (at today's exchange rate, whatever the currency paid in)
        over the food price index of the place; the reference is the best the actor's
        members saw so far where it holds (people-weighted)."""
        w = sim.world
        econ = sim.get(Economy)
        if econ is not None:
            pay = econ.real_pay_usd()
            price = np.maximum(np.asarray(econ.food_price_index, dtype=np.float64), 1e-9)
        else:
            pay = self.pay_index
            price = np.full(w.n_places, max(sim.param("leaving", "food_price_index", 1.0), 1e-9))
        real = pay[:, None] / price[None, :]
        ctrl = w.control[day].astype(np.int64)
        pop = w.population.astype(np.float64)
        mean_real = pay.copy()
        for a in range(w.n_actors):
            held = ctrl == a
            if held.any() and pop[held].sum() > 0:
                mean_real[a] = pay[a] * _average(1.0 / price[held], pop[held])
            else:
                mean_real[a] = pay[a] / float(np.mean(price))
        self.real_pay_ref = np.maximum(self.real_pay_ref, mean_real)
        ref = self.real_pay_ref[:, None]
        # last column: at the actor's own people-weighted prices (for members whose home
        # the actor does not hold: displaced families live where it holds)
        real = np.concatenate([real, mean_real[:, None]], axis=1)
        loss = np.where(ref > 0, np.clip(1.0 - real / np.maximum(ref, 1e-12), 0.0, 1.0), 0.0)
        band = self.p.pay_dead_band.value
        return np.asarray(np.clip((loss - band) / max(1.0 - band, 1e-9), 0.0, 1.0))

    def _losing(self, day: int) -> np.ndarray:
        past = self.held[max(day - self.p.losing_window_days.value, 0)]
        now = self.held[day]
        return np.where(past > 0, np.clip((past - now) / np.maximum(past, 1.0), 0.0, 1.0), 0.0)

    # -- the day ----------------------------------------------------------------------------
    def step(self, sim: Simulation, day: int) -> None:
        self.exec_place *= self.decay_det
        self.exec_home *= self.decay_dis
        self.massacre *= self.decay_mas
        self._m_day = -1  # members changed since yesterday: scan again
        if self.exiles:
            self._exile_returns(sim, day)
        if day > 0 and self.settings.changes_on(day):
            self._actor_tables(sim, day)
        m = self._members(sim)
        if m.size == 0:
            return
        if self.p.family_extraction:
            self._extract_boys(sim, day, m)
            m = self._members(sim)
        self._tables(sim, day)
        leave, sus, new_sus = self._draws(sim, day, m)
        self._suspicion(sim, day, m[new_sus], m[sus])
        if not leave.any():
            return
        ids = m[leave]
        t_l, det_l, safe_l = self._terms(sim, day, ids)
        x = np.zeros((ids.size, N_TERMS))
        for k, t in enumerate(t_l):
            if t is not None:
                x[:, k] = t * det_l
        x[:, N_TERMS - 1] = safe_l
        cum = np.cumsum(x, axis=1)
        r = sim.person_uniform("leaving.reason", ids) * cum[:, -1]
        reason = (cum < r[:, None]).sum(axis=1).clip(0, N_TERMS - 1)
        pl = sim.people.place[ids].astype(np.int64)
        a = sim.people.actor[ids].astype(np.int64)
        self._leave(sim, day, ids, a, reason, self._safe_dest[a, pl])

    def _draws(self, sim: Simulation, day: int, m: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's draw over members ``m``: one uniform a member; leave (u < h, the hazard
        of :meth:`_terms`), else become suspected (M21) with chance suspicion_gain x hazard
        (without the safe-exit term); disjoint, so exact. Returns masks ``leave``, ``sus``
        (already suspected) and ``new_sus``."""
        if kernels.ENABLED:  # the same draws, in one compiled loop (ranks.kernels)
            p, people, w = self.p, sim.people, sim.world
            sim.person_uniform("leaving.leave", _EMPTY)  # the stream drawn today
            out: tuple[np.ndarray, np.ndarray, np.ndarray] = kernels.leaving_draws(
                m, people.actor, people.place, people.home, people.assignment,
                people.flags, people.household, sim.households.tribe, w.control[day],
                w.n_places, w.n_actors, float(p.base_per_day.value), self._t_losing,
                self._any_losing, self._t_dis, self._any_dis, float(p.w_favouritism.value),
                float(p.foreign_share_ref.value), self._t_pay, self._any_pay,
                float(p.w_redeployment.value), float(p.former_comrades.value),
                Assignment.DISTANT, Assignment.FRONT, self._t_mas, self._any_mas,
                self._t_fear, self._t_det, self._any_det, self._t_safe, self._any_safe,
                float(p.suspicion_gain.value), Flag.FOREIGN, Flag.WAS_MEMBER,
                Flag.SUSPECTED, rng._base(sim.seed, "leaving.leave", sim.day), rng._GOLD,
                rng._M1, rng._M2)
            return out
        terms, det, safe = self._terms(sim, day, m)
        core = terms[0]
        assert core is not None  # the base term is never skipped
        for t in terms[1:]:
            if t is not None:
                core = core + t
        h = core * det + safe
        u = sim.person_uniform("leaving.leave", m)
        leave = u < h
        flags = sim.people.flags[m]
        sus = (flags & Flag.SUSPECTED) != 0
        new_sus = ~leave & ~sus & (u < h + self.p.suspicion_gain.value * core * det)
        return leave, sus, new_sus

    def _tables(self, sim: Simulation, day: int) -> None:
        """Today's drivers by group: actor, actor x place, assignment x place (small)."""
        p, w = self.p, sim.world
        A, Pn = w.n_actors, w.n_places
        self._t_losing = p.w_losing.value * self._losing(day)
        self._t_pay = (p.w_pay.value * self._real_pay_loss(sim, day)).ravel()
        self._t_det = (1.0 - p.deterrence_max.value * (
            1.0 - np.exp(-self.exec_place / p.deterrence_exec_half.value))).ravel()
        # terms that are zero (or one) for everyone today are skipped
        self._any_losing = bool(self._t_losing.max(initial=0.0) > 0)
        self._any_pay = bool(self._t_pay.max(initial=0.0) > 0)
        self._any_det = bool(self._t_det.min(initial=1.0) < 1.0)
        self._t_dis = (p.w_disillusion.value * (
            1.0 - np.exp(-self.exec_home / p.disillusion_exec_ref.value))).ravel()
        self._any_dis = bool(self.exec_home.max(initial=0.0) > 1e-6)
        fear = self.fear[:, None] * (0.5 + 0.5 * w.front[day][None, :].astype(np.float64))
        self._t_fear = (p.w_fear.value * fear).ravel()
        self._t_mas = (p.w_tribe_massacre.value * np.minimum(self.massacre, 1.0))
        self._any_mas = bool(self.massacre.max(initial=0.0) > 1e-6)
        safe = np.zeros((A, Pn))
        self._safe_dest = np.full((A, Pn), -1, dtype=np.int64)
        for sa, places, val, start, until, dest in self.safe_exit:
            if start <= day < until:
                cols = slice(None) if places is None else places
                safe[sa, cols] += p.w_safe_exit.value * val
                self._safe_dest[sa, cols] = dest
        self._t_safe = safe.ravel()
        self._any_safe = bool(safe.any())

    def _terms(self, sim: Simulation, day: int, ids: np.ndarray
               ) -> tuple[list[np.ndarray | None], np.ndarray, np.ndarray]:
        """Hazard terms of members ``ids`` in the order of REASONS[:-1] (None: zero today),
        the deterrence factor and the safe-exit term. Daily chances."""
        p, people, w = self.p, sim.people, sim.world
        Pn = w.n_places
        a = people.actor[ids].astype(np.int64)
        pl = people.place[ids].astype(np.int64)
        key = a * Pn + pl
        assign = people.assignment[ids].astype(np.int64)
        flags = people.flags[ids]
        terms: list[np.ndarray | None] = [np.full(ids.size, p.base_per_day.value)]
        terms.append(self._t_losing[a] if self._any_losing else None)
        terms.append(self._t_dis[a * Pn + people.home[ids]] if self._any_dis else None)
        foreign = (flags & Flag.FOREIGN) != 0
        if foreign.any() and p.w_favouritism.value > 0:
            A = w.n_actors
            n_a = np.bincount(a, minlength=A).astype(np.float64)
            share = np.bincount(a[foreign], minlength=A) / np.maximum(n_a, 1.0)
            fav = p.w_favouritism.value * np.minimum(share / p.foreign_share_ref.value, 1.0)
            terms.append(fav[a] * ~foreign)
        else:
            terms.append(None)
        # pay is weighed against prices where the member's family lives: his home when his
        # actor holds it, else the prices of the places his actor holds
        if self._any_pay:
            home = people.home[ids].astype(np.int64)
            own = sim.world.control[day][home] == a
            terms.append(self._t_pay[a * (Pn + 1) + np.where(own, home, Pn)])
        else:
            terms.append(None)
        redeploy = (assign == Assignment.DISTANT) + p.former_comrades.value * (
            (assign == Assignment.FRONT) & ((flags & Flag.WAS_MEMBER) != 0))
        terms.append(p.w_redeployment.value * redeploy)
        if self._any_mas:
            tribe = sim.households.tribe[people.household[ids]].astype(np.int64)
            terms.append(np.where(tribe >= 0, self._t_mas[a, np.maximum(tribe, 0)], 0.0))
        else:
            terms.append(None)
        terms.append(self._t_fear[assign * Pn + pl])
        det = self._t_det[key] if self._any_det else np.ones(ids.size)
        safe = self._t_safe[key] if self._any_safe else np.zeros(ids.size)
        return terms, det, safe

    def _suspicion(self, sim: Simulation, day: int, new: np.ndarray,
                   suspected: np.ndarray) -> None:
        """M21: suspicion builds on likely leavers; the suspected get dangerous missions."""
        p, people = self.p, sim.people
        if new.size:
            people.flags[new] |= np.uint8(Flag.SUSPECTED)
            sim.record.events("suspected", people.place[new], actor=people.actor[new])
        s = suspected[(people.state[suspected] == State.SERVING)
                      & (people.assignment[suspected] != Assignment.DANGEROUS)]
        send = s[sim.person_uniform("leaving.dangerous", s) < p.dangerous_chance.value]
        if send.size:
            sim.record.events("reassigned", people.place[send], actor=people.actor[send],
                              reason="suspicion")
            people.set(send, day, assignment=Assignment.DANGEROUS)

    def _leave(self, sim: Simulation, day: int, ids: np.ndarray, a: np.ndarray,
               reason: np.ndarray, safe_dest: np.ndarray) -> None:
        """Leavers: caught (deterrence) or gone to a destination (M19, M20)."""
        p, people, w = self.p, sim.people, sim.world
        suspected = (people.flags[ids] & Flag.SUSPECTED) != 0
        foreign = (people.flags[ids] & Flag.FOREIGN) != 0
        base = np.where(foreign, self.caught_foreign[a], self.caught[a])
        p_caught = np.minimum(base * (1.0 + p.informer_boost.value * suspected), 1.0)
        p_caught[reason == REASONS.index("safe_exit")] = 0.0
        caught = sim.person_uniform("leaving.caught", ids) < p_caught
        for b in unique(a[caught]):
            self.punish(sim, ids[caught & (a == b)], int(b), day, "caught_leaving")
        ids, a, reason, safe_dest = ids[~caught], a[~caught], reason[~caught], safe_dest[~caught]
        if ids.size == 0:
            return
        ctrl = w.control[day].astype(np.int64)
        pop = np.maximum(w.population.astype(np.float64), 1.0)
        u_dest = sim.person_uniform("leaving.destination", ids)
        u_place = sim.person_uniform("leaving.destination_place", ids)
        u_conf = sim.person_uniform("leaving.confiscate", ids)
        people.flags[ids] |= np.uint8(Flag.WAS_MEMBER)
        people.flags[ids] &= np.uint8(~Flag.SUSPECTED & 0xFF)
        dest = np.ones(ids.size, dtype=np.int64)  # index into DESTINATIONS
        to = people.home[ids].astype(np.int64)
        held_by = np.where(ctrl >= 0, ctrl, w.n_actors)
        for b in unique(a):  # destinations open to leavers of actor b today
            ib = np.flatnonzero(a == b)
            is_rebel = np.zeros(w.n_actors + 1, dtype=bool)
            is_rebel[self.rebels[self.rebels != b]] = True
            is_safe = np.zeros(w.n_actors + 1, dtype=bool)
            is_safe[self.safe[self.safe != b]] = True
            rebel_places = np.flatnonzero(is_rebel[held_by])
            safe_places = np.flatnonzero(is_safe[held_by])
            # reprisals (M20, seed-003 ¶16): a place held by an actor that takes revenge on
            # former members of b weighs (1 - risk); a category by its people-weighted mean
            keep = 1.0 - self.risk[b, held_by]
            w_reb = pop * keep
            w_safe = pop * keep
            home_keep = keep[people.home[ids[ib]].astype(np.int64)].mean() if ib.size else 1.0
            avail = np.array([_mean_keep(keep, pop, rebel_places), home_keep,
                              _mean_keep(keep, pop, safe_places),
                              _mean_keep(keep, np.ones(w.n_places), self.abroad)])
            wts = self.dest_w * avail
            if wts.sum() <= 0:
                wts = np.array([0.0, 1.0, 0.0, 0.0])
            cw = np.cumsum(wts / wts.sum())
            d = np.minimum(np.searchsorted(cw, u_dest[ib], side="right"), 3)
            forced = safe_dest[ib] >= 0  # a safe-exit programme names the destination
            d[forced] = DESTINATIONS.index("safe_area")
            dest[ib] = d
            t = to[ib]
            k = d == DESTINATIONS.index("rebel")
            t[k] = _pick(rebel_places, w_reb, u_place[ib][k])
            k = (d == DESTINATIONS.index("safe_area")) & ~forced & (safe_places.size > 0)
            t[k] = _pick(safe_places, w_safe, u_place[ib][k])
            t[forced] = safe_dest[ib][forced]
            k = d == DESTINATIONS.index("abroad")
            t[k] = _pick(self.abroad, np.maximum(keep, 1e-9), u_place[ib][k])
            to[ib] = t
        self._record_moves(sim, ids, a, reason, dest, to)
        rebel = dest == DESTINATIONS.index("rebel")
        if rebel.any():
            people.set(ids[rebel], day, state=State.SERVING, place=to[rebel],
                       actor=ctrl[to[rebel]], assignment=Assignment.FRONT)
        gone = ~rebel
        state = np.array([State.SERVING, State.DESERTED, State.CIVILIAN, State.ABROAD],
                         dtype=np.uint8)[dest[gone]]
        people.set(ids[gone], day, state=state, place=to[gone], actor=-1,
                   assignment=Assignment.NONE)
        self.book.add_wanted(sim, ids[gone], a[gone], evader=False)
        self.book.stop_work(sim, ids[dest == DESTINATIONS.index("home")])
        # M19: families of those who got away may lose their property (seed-000)
        away = (dest != DESTINATIONS.index("home")) & (u_conf < self.confiscate[a])
        if away.any():
            hh = people.household[ids[away]]
            hh, first = np.unique(hh, return_index=True)
            act = a[away][first]
            has = sim.households.savings[hh] > 0
            hh, act = hh[has], act[has]
            sim.households.savings[hh] = 0.0
            sim.record.events("property_confiscated",
                              sim.households.place[hh].astype(np.int64), actor=act)

    def _extract_boys(self, sim: Simulation, day: int, m: np.ndarray) -> None:
        """Families get boys out (seed-003 ¶24): a member under 18 whose family opposes his
        joining is taken abroad by an adult man of his household (18-49, a civilian at home),
        or alone when there is none, with a daily chance; the actor may catch them on the way
        (its caught chance for the boy: punishment; the escort goes home). Event ``deserted``
        reason ``family`` (destination abroad) and ``escorted`` for the escort."""
        joining = sim.get(Joining)
        people = sim.people
        if joining is None or self.abroad.size == 0:
            return
        age = people.age_years(day, m)
        boys = m[age < 18]
        if boys.size == 0:
            return
        h = people.household[boys].astype(np.int64)
        boys = boys[joining.opposing_household[h]]
        go = boys[sim.person_uniform("leaving.family", boys) < self.p.family_extraction_per_day
                  .value]
        if go.size == 0:
            return
        a = people.actor[go].astype(np.int64)
        caught = sim.person_uniform("leaving.family_caught", go) < self.caught[a]
        for b in unique(a[caught]):
            self.punish(sim, go[caught & (a == b)], int(b), day, "caught_leaving", ".family")
        go, a = go[~caught], a[~caught]
        if go.size == 0:
            return
        to = _pick(self.abroad, np.ones(sim.world.n_places),
                   sim.person_uniform("leaving.family_place", go))
        sim.record.events("deserted", people.place[go], actor=a, reason="family",
                          destination=to)
        people.flags[go] |= np.uint8(Flag.WAS_MEMBER)
        people.set(go, day, state=State.ABROAD, place=to, actor=-1, assignment=Assignment.NONE)
        # the escort: an adult man of the household at home
        hh = people.household[go].astype(np.int64)
        esc = self._escorts(sim, day, hh)
        has = esc >= 0
        if has.any():
            e = esc[has]
            sim.record.events("escorted", people.place[e], actor=a[has], destination=to[has])
            self.book.stop_work(sim, e)
            people.set(e, day, state=State.ABROAD, place=to[has])

    def _escorts(self, sim: Simulation, day: int, households: np.ndarray) -> np.ndarray:
        """For each household, a civilian man 18-49 of it who is at home, or -1."""
        people = sim.people
        if self._hh_order is None:  # households never change: index their members once
            self._hh_order = np.argsort(people.household, kind="stable")
            self._hh_start = np.searchsorted(people.household[self._hh_order],
                                             np.arange(len(sim.households) + 1))
        out = np.full(households.size, -1, dtype=np.int64)
        for i, hh in enumerate(households.tolist()):
            mem = self._hh_order[self._hh_start[hh]:self._hh_start[hh + 1]]
            ok = mem[(people.sex[mem] == 1) & (people.state[mem] == State.CIVILIAN)
                     & (people.actor[mem] < 0) & (people.place[mem] == people.home[mem])]
            if ok.size:
                age = people.age_years(day, ok)
                ok = ok[(age >= 18) & (age <= 49)]
                if ok.size:
                    out[i] = ok[0]
        return out

    @staticmethod
    def _record_moves(sim: Simulation, ids: np.ndarray, a: np.ndarray, reason: np.ndarray,
                      dest: np.ndarray, to: np.ndarray) -> None:
        """Events ``deserted`` / ``defected`` by actor left, reason and destination place."""
        frm = sim.people.place[ids].astype(np.int64)
        rebel = dest == DESTINATIONS.index("rebel")
        for name, sel in (("defected", rebel), ("deserted", ~rebel)):
            sim.record.events(name, frm[sel], actor=a[sel], reason=reason[sel],
                              reasons=REASONS, destination=to[sel])

def _mean_keep(keep: np.ndarray, pop: np.ndarray, places: np.ndarray) -> float:
    """People-weighted mean of ``keep`` over ``places`` (0 when there are none)."""
    if places.size == 0:
        return 0.0
    return _average(keep[places], pop[places])


def _average(values: np.ndarray, weights: np.ndarray) -> float:
    """``np.average(values, weights=weights)`` of 1-d float or integer arrays, by its
    arithmetic (weights summed as float64, then the weighted sum over that), without its
    per-call overhead: the same float. Weights summing to zero raise ZeroDivisionError as
    NumPy's do."""
    scl = weights.sum(dtype=np.float64)
    if scl == 0.0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return float(np.multiply(values, weights, dtype=np.float64).sum() / scl)


def _pick(places: np.ndarray, weight: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One of ``places`` per uniform in ``u``, in proportion to ``weight[places]``."""
    if places.size == 0:
        return np.full(u.size, -1, dtype=np.int64)
    cw = np.cumsum(weight[places])
    if cw[-1] <= 0:  # no weight anywhere (all ruled out): any of them alike
        cw = np.arange(1, places.size + 1, dtype=np.float64)
    return places[np.minimum(np.searchsorted(cw / cw[-1], u, side="right"), places.size - 1)]
