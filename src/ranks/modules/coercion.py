"""Coercion: conscription orders, checkpoints and patrols, bribes, detention and forced labour,
house raids and informers; amnesty for evaders and deserters (M7-M12).

Requires: ``world.control`` (who holds each place), ``world.front`` (forced labour risk),
household savings (bribes) and income (hiding costs a wage); nothing from other modules.
Reads ``people.flags`` SUSPECTED (set by leaving) for informers.

Outputs: events ``registered``, ``conscripted`` (reason order / checkpoint / raid /
detention), ``evaded`` (reason hide / flee / ignore), ``hid`` (reason checkpoints),
``bribed_release``, ``detained`` (reason checkpoint / raid / violation), ``released``,
``forced_labour_death``, ``raid`` (households searched), ``returned`` and ``settled``
(reason amnesty); stocks ``wanted``, ``hiding``, ``detained`` and ``hiding_lost_wages_usd``
(monthly wages not earned by the wanted in hiding) by place.

Step behaviour, each day:
  1. decisions due today on a conscription order (spread uniformly over the deadline);
  2. checkpoint intensity by place: a base chance where an actor holds the place plus active
     campaigns;
  3. each wanted person in reach of the actor looking for them (the actor holds their place):
     a stop at a checkpoint with chance intensity x exposure (lower when hiding), else a house
     raid if hiding; informers multiply both for those planning to flee or suspected; a wanted
     man in the open hides with a chance rising with intensity;
  4. a stopped or found man pays a bribe if his household can and the patrol takes it, else
     is conscripted or detained; caught deserters go to the leaving module's deterrence;
  5. arrests for "violations" of men of service age where a campaign runs (thinning draw);
  6. detainees: forced labour at the front with a death risk, release or conscription.
Per-person draws use ``person_uniform`` (person-level common random numbers), except the
violation arrests, which thin candidates (common random numbers per day only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from ranks import kernels
from ranks.arrays import unique
from ranks.errors import RanksInputError
from ranks.modules.actors import ActorParams, NonNeg, PosF, PosInt, Prob, check_actor_names
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.practices import (
    DEFAULT_INTERCEPTION,
    KIND_FIELDS,
    OUTCOMES,
    PASSED,
    RETURNED,
    WANTED,
    ActorSettings,
    check_shares,
    cumulative_shares,
    interception_codes,
    practice_book,
)
from ranks.modules.wanted import FLEE_BIT, LOST_WORK_BIT, WantedBook, wanted_book
from ranks.population import Flag, State
from ranks.scenario.model import P, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation

_EMPTY = np.zeros(0, dtype=np.int64)
#: Order decisions: codes in the pending queue.
REGISTER, HIDE, FLEE, IGNORE = 0, 1, 2, 3
_CHOICE_REASON = {HIDE: "hide", FLEE: "flee", IGNORE: "ignore"}
#: States in which a wanted person can be stopped or found, and the hidden among them.
_IN_REACH = np.zeros(len(State), dtype=bool)
_IN_REACH[[State.CIVILIAN, State.HIDING, State.DESERTED, State.TRAINING, State.SERVING]] = True
_HIDDEN = np.zeros(len(State), dtype=bool)
_HIDDEN[[State.HIDING, State.DESERTED]] = True
#: Days between scans for men newly due under a standing duty (turning of age; control
#: changes and new practice regimes trigger a scan the same day).
DUTY_SCAN_DAYS = 30


def _shares(v: P[dict[str, float]]) -> P[dict[str, float]]:
    msg = check_shares(v.value, OUTCOMES)
    if msg:
        raise ValueError(msg)
    return v


class CoercionActor(ActorParams):
    """What an actor does to the people it wants and catches (M7-M11). A parameter left
    empty (None) takes the module's value."""

    interception_wanted: P[dict[str, float]] = P(
        value=DEFAULT_INTERCEPTION[0], assumption="generic: half released for a bribe, the "
        "rest taken or held (no actor-specific evidence)")
    interception_others: P[dict[str, float]] = P(
        value=DEFAULT_INTERCEPTION[1], assumption="generic: others caught leaving are sent "
        "back")
    fine_usd: P[NonNeg] = P(value=0.0, assumption="no fine")
    bribe_usd: P[NonNeg | None] = P(value=None, assumption="the module's bribe_usd")
    detention_days_mean: P[PosF | None] = P(value=None, assumption="the module's value")
    conscript_after_detention: P[Prob | None] = P(value=None, assumption="the module's value")
    forced_labour_share: P[Prob | None] = P(value=None, assumption="the module's value")
    raid_chance_per_day: P[Prob | None] = P(value=None, assumption="the module's value")
    conscript_for: P[str | None] = P(value=None, assumption="men it takes serve in its own "
                                     "ranks")
    order_comply_share: P[Prob | None] = P(value=None, assumption="the module's value")
    order_hide_share: P[Prob | None] = P(value=None, assumption="the module's value")
    order_flee_share: P[Prob | None] = P(value=None, assumption="the module's value")
    duty_ages: P[list[int]] = P(value=[], assumption="no standing conscription duty")
    duty_territory: P[list[str]] = P(value=[], assumption="its own places")
    duty_exempt_members_of: P[list[str]] = P(value=[], assumption="no exemption by "
                                             "membership")
    duty_comply_share: P[Prob] = P(value=0.5, assumption="half register when due")
    duty_hide_share: P[Prob] = P(value=0.3, assumption="generic")
    duty_flee_share: P[Prob] = P(value=0.2, assumption="generic, scaled by means")

    _v_wanted = field_validator("interception_wanted")(_shares)
    _v_others = field_validator("interception_others")(_shares)


class CoercionParams(ModuleParams):
    """Parameters of coercion. Chances are per person and day unless said otherwise."""

    actors: dict[str, CoercionActor] = Field(default_factory=dict)
    order_register_share: P[Prob] = P(
        value=0.45, assumption="generic share of men named by an order who register, for an "
        "actor whose practices do not say (no count found anywhere; the Deir Ezzor actors "
        "set their own)")
    order_hide_share: P[Prob] = P(
        value=0.25, assumption="generic share who hide (seed-001: most young men fled to SDF "
        "areas or stayed home; split assumed)")
    order_flee_share: P[Prob] = P(
        value=0.20, assumption="generic share who flee, scaled by means (seed-000: escape "
        "seen as the only option)")
    flight_cost_usd: P[NonNeg] = P(
        value=1000.0, source="domain-figures",
        note="smugglers up to $1,000 a person by August 2017; fleeing needs savings")
    base_checkpoint_chance: P[Prob] = P(
        value=0.01, assumption="daily chance that a wanted man moving about normally is "
        "stopped where the actor looking for him holds the place and no campaign runs")
    hide_exposure: P[Prob] = P(
        value=0.1, source="seed-001",
        note="staying home lowers exposure to patrols; the factor 0.1 is an assumption")
    hide_per_intensity: P[NonNeg] = P(
        value=3.0, source="seed-001",
        note="more patrols, more men stay home; daily hiding chance = this x intensity "
        "(assumption on the slope)")
    mobile_factor: P[NonNeg] = P(
        value=1.5, source="seed-001",
        note="mobile checkpoints at neighbourhood entrances and markets reach more people "
        "than fixed ones; factor assumed")
    bribe_usd: P[NonNeg] = P(
        value=500.0, source="seed-001",
        note="patrols release for a 'large bribe'; the amount is an assumption")
    bribe_usd_by_actor: dict[str, P[NonNeg]] = Field(default_factory=dict)
    detention_days_mean: P[PosF] = P(
        value=30.0, assumption="mean detention of a month before release or conscription")
    forced_labour_share: P[Prob] = P(
        value=0.5, source="seed-001",
        note="detainees made to dig trenches at points of engagement; share assumed")
    forced_labour_death_per_day: P[Prob] = P(
        value=0.002, assumption="seed-001 ¶14 reports dozens killed among hundreds made to dig "
        "trenches, without a period; the daily rate (about 10% in two months at the heaviest "
        "front) is a guess at the time base")
    conscript_after_detention: P[Prob] = P(
        value=0.5, assumption="generic share of released detainees sent to serve; actors set "
        "their own (practices)")
    raid_chance_per_day: P[Prob] = P(
        value=0.002, source="seed-004",
        note="police patrols break into dozens of houses to find fleeing fighters (deserters "
        "hiding at home; evaders are raided only where a campaign runs); rate assumed")
    raid_per_intensity: P[NonNeg] = P(
        value=0.1, assumption="a checkpoint campaign also raids homes: daily raid chance "
        "added = this x campaign intensity")
    informer_boost: P[NonNeg] = P(
        value=1.0, source="seed-002",
        note="informers in towns: catch chance x (1 + boost) for those planning to flee and "
        "suspected members; size assumed")
    violation_arrest_per_intensity: P[NonNeg] = P(
        value=0.002, source="seed-001",
        note="hundreds of young men arrested for 'violations' during campaigns; daily chance "
        "= this x campaign intensity (assumed)")
    service_ages: P[list[int]] = P(
        value=[18, 42], source="pub-euaa-military-service",
        note="men 18-42 owe service (Law 30/2007; domain-figures): ages at risk of "
        "'violation' arrests; seed-001 ¶9 adds that older men were taken too")
    amnesty_take_up: P[Prob] = P(
        value=0.4, assumption="share of eligible evaders and deserters who take an amnesty "
        "or settlement when offered; no figure found")
    amnesty_window_days: P[PosInt] = P(
        value=30, source="decrees-desertion-amnesty",
        note="2015 and 2016 decrees: surrender within 30 days (default window)")


@dataclass
class Campaign:
    """A checkpoint campaign: daily stop chance ``intensity`` at ``places`` until ``until``."""

    places: np.ndarray
    actor: int
    intensity: float
    kind: str
    start: int
    until: int


class Coercion(Module[CoercionParams]):
    """Conscription orders, checkpoints, bribes, detention, raids, informers (M7-M12)."""

    name = "coercion"
    mids = ("M7", "M8", "M9", "M10", "M11", "M12")
    Params = CoercionParams
    Actor = CoercionActor
    event_types = ("conscription_order", "checkpoint_campaign", "amnesty", "tribe_mediation")

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: CoercionParams) -> Problem | None:
        """Actors named in ``bribe_usd_by_actor`` and ``actors`` exist."""
        err = check_actor_names(scenario, list(params.actors))
        if err is not None:
            return err
        ids = {a.id for a in scenario.actors}
        for k in params.bribe_usd_by_actor:
            if k not in ids:
                return f"unknown actor '{k}'", ("bribe_usd_by_actor", k)
        lo, hi = params.service_ages.value
        if lo > hi:
            return "service_ages must be [low, high]", ("service_ages",)
        return None

    def init(self, sim: Simulation) -> None:
        p = self.params
        self.p = p
        self.book: WantedBook = wanted_book(sim)
        w = sim.world
        self.settings = ActorSettings(sim, self.name, CoercionActor, p.actors)
        self.practices = practice_book(sim)
        self.bribe_default = np.full(w.n_actors, p.bribe_usd.value)
        for k, v in p.bribe_usd_by_actor.items():
            self.bribe_default[w.actor_index[k]] = v.value
        self.duty_seen = sim.people.add_column("duty_seen", np.uint8, 0)
        self._tables(sim, 0)
        self._tables_day = 0
        ages = [v for a in range(w.n_actors)
                for v in self.practices.values_of("coercion", "duty_ages", a)
                + [self.settings.value("duty_ages", a, 0)] if len(v) == 2]
        if ages:
            lo, hi = min(v[0] for v in ages), max(v[1] for v in ages)
            ppl = sim.people
            old_enough = -int(lo * 365.25) + w.n_days  # born on or before: of age by the end
            young_enough = -int((hi + 1) * 365.25)  # born after: not too old at the start
            self._duty_pool = np.flatnonzero((ppl.sex == 1) & (ppl.birth <= old_enough)
                                             & (ppl.birth > young_enough))
        else:
            self._duty_pool = _EMPTY
        self._duty_day = -10_000
        self.campaigns: list[Campaign] = []
        #: tribal mediation windows: (actor, places, raid factor, start, until)
        self.mediations: list[tuple[int, np.ndarray, float, int, int]] = []
        # pending order decisions and amnesty acceptances: chunks of (ids, due day, code, actor)
        self._orders: list[tuple[np.ndarray, np.ndarray, np.ndarray, int, str]] = []
        self._amnesty: list[tuple[np.ndarray, np.ndarray, int, bool]] = []
        self._pool = _EMPTY
        self._pool_day = -10_000
        self._is_abroad = np.isin(np.arange(w.n_places), w.places_of_type("abroad"))
        rec, names = sim.record, w.place_names
        rec.add_stock("wanted", ("place",), (names,), lambda day: np.bincount(
            sim.people.place[self.book.wanted(sim)], minlength=w.n_places))
        rec.add_stock("hiding", ("place",), (names,),
                      lambda day: sim.people.by_place_state[:, State.HIDING])
        rec.add_stock("detained", ("place",), (names,),
                      lambda day: sim.people.by_place_state[:, State.DETAINED])
        rec.add_stock("hiding_lost_wages_usd", ("place",), (names,),
                      lambda day: self._lost_wages(sim))

    def _opt(self, field: str, day: int, fallback: np.ndarray | float) -> np.ndarray:
        """Per-actor values of an optional parameter: the actor's, else ``fallback``."""
        s = self.settings
        fb = np.broadcast_to(np.asarray(fallback, dtype=np.float64), (len(s.actor_ids),))
        return np.array([v if (v := s.value(field, a, day)) is not None else fb[a]
                         for a in range(len(s.actor_ids))], dtype=np.float64)

    def _tables(self, sim: Simulation, day: int) -> None:
        """Per-actor arrays from the practices in force on ``day``."""
        p, s, w = self.p, self.settings, sim.world
        A = w.n_actors
        self.bribe = self._opt("bribe_usd", day, self.bribe_default)
        self.fine = s.col("fine_usd", day)
        self.det_days = self._opt("detention_days_mean", day, p.detention_days_mean.value)
        self.after_det = self._opt("conscript_after_detention", day,
                                   p.conscript_after_detention.value)
        self.labour = self._opt("forced_labour_share", day, p.forced_labour_share.value)
        self.raid = self._opt("raid_chance_per_day", day, p.raid_chance_per_day.value)
        self.comply = self._opt("order_comply_share", day, p.order_register_share.value)
        self.hide = self._opt("order_hide_share", day, p.order_hide_share.value)
        self.flee = self._opt("order_flee_share", day, p.order_flee_share.value)
        self.conscript_for = np.array([w.actor_index.get(s.value("conscript_for", a, day) or "",
                                                         a) for a in range(A)], dtype=np.int64)
        # reach[a, h]: actor a stops, raids and calls up people where actor h holds
        self.reach = np.eye(A, dtype=bool)
        self.exempt = np.zeros((A, A), dtype=bool)  # exempt[a, m]: a spares members of m
        self.duty_ages: list[tuple[int, int] | None] = []
        for a in range(A):
            for h in s.value("duty_territory", a, day):
                if h in w.actor_index:
                    self.reach[a, w.actor_index[h]] = True
            for m in s.value("duty_exempt_members_of", a, day):
                if m in w.actor_index:
                    self.exempt[a, w.actor_index[m]] = True
            ages = s.value("duty_ages", a, day)
            self.duty_ages.append((int(ages[0]), int(ages[1])) if len(ages) == 2 else None)
        #: cumulative interception shares (actor, kind, outcome) in force (M8, M24)
        self.interception = cumulative_shares(
            [[s.value(f, a, day) for f in KIND_FIELDS] for a in range(A)], OUTCOMES)
        self.duty_share = np.stack([s.col("duty_comply_share", day),
                                    s.col("duty_hide_share", day),
                                    s.col("duty_flee_share", day)], axis=1)

    def caught_terms(self, actor: int) -> tuple[float, float, int]:
        """The fine and the passage fee or bribe (USD) of ``actor`` today, and the actor a
        man it conscripts serves (for the flight module's interceptions)."""
        return float(self.fine[actor]), float(self.bribe[actor]), int(self.conscript_for[actor])

    def _lost_wages(self, sim: Simulation) -> np.ndarray:
        """Monthly wages (USD) not earned by wanted people hiding, by their place."""
        W = self.book.wanted(sim)
        st = sim.people.state[W]
        W = W[((st == State.HIDING) | (st == State.DESERTED))
              & ((self.book.bits[W] & LOST_WORK_BIT) != 0)]
        return np.bincount(sim.people.place[W], minlength=sim.world.n_places) * \
            self.book.wage_usd

    # -- services for other modules ---------------------------------------------------------
    def checkpoint_intensity(self, sim: Simulation, day: int) -> np.ndarray:
        """Daily chance that a wanted man moving about normally is stopped, by place."""
        w = sim.world
        base = self.p.base_checkpoint_chance.value
        out = np.where(w.control[day] >= 0, base, 0.0)
        for c in self.campaigns:
            if c.start <= day < c.until:
                f = self.p.mobile_factor.value if c.kind == "mobile" else 1.0
                out[c.places] += c.intensity * f
        return np.minimum(out, 1.0)

    def patrol_intensity(self, sim: Simulation, day: int) -> np.ndarray:
        """Desert patrol intensity by place (0..1), for the flight module (M24)."""
        out = np.zeros(sim.world.n_places)
        for c in self.campaigns:
            if c.start <= day < c.until and c.kind == "desert_patrol":
                out[c.places] += c.intensity
        return np.minimum(out, 1.0)

    # -- timeline ---------------------------------------------------------------------------
    def _places(self, sim: Simulation, ev: TimelineEvent) -> np.ndarray | None:
        names = ev.args.get("places") or ev.places
        if isinstance(names, str):
            names = [names]
        if not names:
            return None
        try:
            return np.array([sim.world.place_index[n] for n in names], dtype=np.int64)
        except KeyError as e:
            raise RanksInputError(f"{ev.type}: unknown place {e}", field="timeline") from None

    def _actor(self, sim: Simulation, ev: TimelineEvent) -> int:
        name = ev.actor or ev.args.get("actor")
        if name is None:
            return -1
        if name not in sim.world.actor_index:
            raise RanksInputError(f"{ev.type}: unknown actor '{name}'", field="timeline")
        return sim.world.actor_index[name]

    def _sync(self, sim: Simulation, day: int) -> bool:
        """Refresh the per-actor tables once on a day a practice regime starts (events of
        that day already see them). Returns True when refreshed today."""
        if day > 0 and self._tables_day != day and self.settings.changes_on(day):
            self._tables(sim, day)
            self._tables_day = day
            return True
        return False

    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        self._sync(sim, sim.day)
        if ev.type == "conscription_order":
            self._order(sim, ev)
        elif ev.type == "checkpoint_campaign":
            places = self._places(sim, ev)
            a = self._actor(sim, ev)
            day = sim.day
            if places is None:
                places = (np.flatnonzero(sim.world.control[day] == a) if a >= 0
                          else np.flatnonzero(sim.world.control[day] >= 0))
            until = sim.world.day_of(ev.until) if ev.until else sim.world.n_days
            self.campaigns.append(Campaign(
                places, a, float(ev.value if ev.value is not None else 0.05),
                str(ev.args.get("kind", "fixed")), day, until))
            self._pool_day = -10_000  # refresh the pool of men at campaign places
        elif ev.type == "amnesty":
            self._offer_amnesty(sim, ev)
        elif ev.type == "tribe_mediation":
            self._mediation(sim, ev)

    def _order(self, sim: Simulation, ev: TimelineEvent) -> None:
        """M7: men named by the order decide, over the deadline: register, hide, flee, ignore.

        Args of the event: ``ages`` [low, high], ``sex``, ``deadline_days``,
        ``applies_to_members`` (members of other actors too, except those the actor's duty
        exempts), ``employed_only`` with ``employed_share`` (an order on employees, e.g. of
        the state: that share of employed men)."""
        people, w, day = sim.people, sim.world, sim.day
        a = self._actor(sim, ev)
        if a < 0:
            raise RanksInputError("conscription_order needs an actor", field="timeline")
        lo, hi = ev.args.get("ages", [18, 42])
        sex = ev.args.get("sex", "male")
        places = self._places(sim, ev)
        deadline = max(int(ev.args.get("deadline_days", 7)), 1)
        members_too = bool(ev.args.get("applies_to_members", False))
        ctrl = w.control[day].astype(np.int64)
        held = (ctrl >= 0) & self.reach[a, np.maximum(ctrl, 0)]
        in_place = (np.isin(people.place, places) if places is not None
                    else held[people.place])
        # also require the ordering actor (or its camp) to hold the place
        in_place &= held[people.place]
        ok_state = people.state == State.CIVILIAN
        if members_too:
            m_actor = people.actor.astype(np.int64)
            ok_state |= (np.isin(people.state, (State.TRAINING, State.SERVING))
                         & (m_actor != a) & ~self.exempt[a, np.maximum(m_actor, 0)])
        mask = in_place & ok_state & ((people.flags & Flag.WANTED) == 0)
        if sex in ("male", "female"):
            mask &= people.sex == (1 if sex == "male" else 0)
        if ev.args.get("employed_only", False):
            mask &= (people.flags & Flag.EMPLOYED) != 0
        ids = np.flatnonzero(mask)
        age = people.age_years(day, ids)
        ids = ids[(age >= lo) & (age <= hi)]
        if "employed_share" in ev.args:
            u_emp = sim.trait(f"coercion.order_employed.{a}", ids)
            ids = ids[u_emp < float(ev.args["employed_share"])]
        if ids.size == 0:
            return
        name = sim.event_stream(f"coercion.order.{a}")
        code = self._decide(sim, day, ids, a, self.comply[a], self.hide[a], self.flee[a], name)
        due = day + (sim.person_uniform(name.replace("order", "order_day", 1), ids)
                     * deadline).astype(
            np.int64)
        due[code == IGNORE] = day + deadline  # the wanted list starts at the deadline
        reason = str(ev.args.get("reason", "order"))
        self._orders.append((ids, due, code.astype(np.int8), a, reason))

    def _decide(self, sim: Simulation, day: int, ids: np.ndarray, a: int, comply: float,
                hide: float, flee: float, stream: str) -> np.ndarray:
        """Register, hide, flee or ignore, for men ``ids`` called up by ``a`` (M7): flight
        scaled by the household's means; more patrols, more hiding (seed-001); members of
        another actor stay in their unit (ignore: wanted)."""
        p, people = self.p, sim.people
        hh = people.household[ids]
        afford = np.minimum(sim.households.savings[hh] / max(p.flight_cost_usd.value, 1.0), 1.0)
        is_member = people.actor[ids] >= 0
        p_flee = flee * afford
        p_reg = np.full(ids.size, comply)
        cp = self.checkpoint_intensity(sim, day)[people.place[ids]]
        # who would flee but cannot pay a smuggler hides instead
        p_hide = np.minimum(hide + flee * (1.0 - afford) + p.hide_per_intensity.value * cp,
                            np.maximum(1.0 - p_reg - p_flee, 0.0))
        u = sim.person_uniform(stream, ids)
        c1 = p_reg
        c2 = c1 + p_hide
        c3 = c2 + p_flee
        code = np.where(u < c1, REGISTER, np.where(u < c2, HIDE, np.where(u < c3, FLEE,
                                                                            IGNORE)))
        code[is_member & ((code == HIDE) | (code == FLEE))] = IGNORE
        return np.asarray(code, dtype=np.int64)

    def _duty(self, sim: Simulation, day: int) -> None:
        """M7 standing duty: men of the duty ages living where the actor (or its camp) holds,
        not yet called by it, not members of an exempt actor, decide today: register, hide,
        flee or ignore (then wanted). Run on day 0, when control or the practices change,
        and every DUTY_SCAN_DAYS for those who come of age."""
        people, w = sim.people, sim.world
        ctrl = w.control[day].astype(np.int64)
        for a, ages in enumerate(self.duty_ages):
            if ages is None or a >= 8:
                continue
            bit = np.uint8(1 << a)
            held = (ctrl >= 0) & self.reach[a, np.maximum(ctrl, 0)]
            if not held.any():
                continue
            pool = self._duty_pool
            m_actor = people.actor[pool].astype(np.int64)
            st = people.state[pool]
            ok = (held[people.place[pool]] & ((self.duty_seen[pool] & bit) == 0)
                  & ((people.flags[pool] & Flag.WANTED) == 0)
                  & ((st == State.CIVILIAN)
                     | (np.isin(st, (State.TRAINING, State.SERVING)) & (m_actor != a)
                        & ~self.exempt[a, np.maximum(m_actor, 0)])))
            ids = pool[ok]
            if ids.size == 0:
                continue
            age = people.age_years(day, ids)
            ids = ids[(age >= ages[0]) & (age <= ages[1])]
            if ids.size == 0:
                continue
            self.duty_seen[ids] |= bit
            c, h, f = self.duty_share[a]
            code = self._decide(sim, day, ids, a, c, h, f, f"coercion.duty.{a}")
            self._orders.append((ids, np.full(ids.size, day, dtype=np.int64),
                                 code.astype(np.int8), a, "duty"))

    def _mediation(self, sim: Simulation, ev: TimelineEvent) -> None:
        """Tribal elders broker with actor ``a`` (M28 tribes; timeline-shared 2019-05-03,
        pub-sohr-tribal-releases-2020): a share ``value`` of the detainees it holds from the
        tribe (or from ``place``) go free (event ``released``, reason tribal_mediation), and
        with ``args.raid_factor`` its raids in those places are scaled until ``until``."""
        w, people = sim.world, sim.people
        a = self._actor(sim, ev)
        if a < 0:
            raise RanksInputError("tribe_mediation needs an actor", field="timeline")
        places = self._places(sim, ev)
        if places is None and ev.tribe is not None and ev.tribe in w.tribes:
            places = np.flatnonzero(w.tribe == w.tribes.index(ev.tribe))
        D = self.book.detained(sim)
        D = D[self.book.wanted_by[D] == a]
        if places is not None:
            D = D[np.isin(people.home[D], places)]
        share = float(ev.value) if ev.value is not None else 0.0
        rel = D[sim.person_uniform(sim.event_stream("coercion.mediation"), D) < share]
        if rel.size:
            sim.record.events("released", people.place[rel], actor=a, reason="tribal_mediation")
            self.book.release(sim, rel, sim.day)
        factor = ev.args.get("raid_factor")
        if factor is not None:
            until = w.day_of(ev.until) if ev.until else w.n_days
            cols = places if places is not None else np.arange(w.n_places)
            self.mediations.append((a, cols, float(factor), sim.day, until))

    def _offer_amnesty(self, sim: Simulation, ev: TimelineEvent) -> None:
        """Evaders and deserters wanted by the actor may come back over the window."""
        a = self._actor(sim, ev)
        W = self.book.wanted(sim)
        if a >= 0:
            W = W[self.book.wanted_by[W] == a]
        places = self._places(sim, ev)
        if places is not None:
            W = W[np.isin(sim.people.home[W], places)]
        W = W[sim.people.state[W] != State.ABROAD]
        if W.size == 0:
            return
        take = ev.value if ev.value is not None else self.p.amnesty_take_up.value
        window = (sim.world.day_of(ev.until) - sim.day if ev.until
                  else self.p.amnesty_window_days.value)
        name = sim.event_stream("coercion.amnesty")
        u = sim.person_uniform(name, W)
        W = W[u < take]
        due = sim.day + (sim.person_uniform(name + ".day", W) * max(window, 1)).astype(
            np.int64)
        self._amnesty.append((W, due, a, bool(ev.args.get("rejoin", False))))

    # -- the day ----------------------------------------------------------------------------
    def step(self, sim: Simulation, day: int) -> None:
        w = sim.world
        due = day == 0 or day - self._duty_day >= DUTY_SCAN_DAYS
        if self._sync(sim, day) or (day > 0 and self._tables_day == day):
            due = True
        if day > 0 and bool((w.control[day] != w.control[day - 1]).any()):
            due = True
        if due and any(a is not None for a in self.duty_ages):
            self._duty(sim, day)
            self._duty_day = day
        self._due_orders(sim, day)
        self._due_amnesty(sim, day)
        intensity = self.checkpoint_intensity(sim, day)
        self._wanted_day(sim, day, intensity)
        self._violation_arrests(sim, day)
        self._detention_day(sim, day)

    def _due_orders(self, sim: Simulation, day: int) -> None:
        if not self._orders:
            return
        keep = []
        people, book = sim.people, self.book
        for ids, due, code, a, reason in self._orders:
            now = due <= day
            if not now.all():
                keep.append((ids[~now], due[~now], code[~now], a, reason))
            ids, code = ids[now], code[now]
            st = people.state[ids]
            alive = (np.isin(st, (State.CIVILIAN, State.TRAINING, State.SERVING))
                     & (people.actor[ids] != a) & ((people.flags[ids] & Flag.WANTED) == 0))
            ids, code = ids[alive], code[alive]
            # the ordering actor (or its camp) must still hold the place
            ctrl = sim.world.control[day][people.place[ids]].astype(np.int64)
            here = (ctrl >= 0) & self.reach[a, np.maximum(ctrl, 0)]
            ids, code = ids[here], code[here]
            reg = ids[code == REGISTER]
            if reg.size:
                sim.record.events("registered", people.place[reg], actor=a, reason=reason)
                book.conscript(sim, reg, a, day, reason)
            for c in (HIDE, FLEE, IGNORE):
                sel = ids[code == c]
                if sel.size == 0:
                    continue
                sim.record.events("evaded", people.place[sel], actor=a, reason=_CHOICE_REASON[c])
                book.add_wanted(sim, sel, a, evader=True)
                if c == FLEE:
                    book.plan_flight(sel)
                if c in (HIDE, FLEE):
                    book.go_hiding(sim, sel[people.actor[sel] < 0], day)
        self._orders = keep

    def _due_amnesty(self, sim: Simulation, day: int) -> None:
        if not self._amnesty:
            return
        keep = []
        people, book = sim.people, self.book
        for ids, due, a, rejoin in self._amnesty:
            now = due <= day
            if not now.all():
                keep.append((ids[~now], due[~now], a, rejoin))
            ids = ids[now]
            ids = ids[((people.flags[ids] & Flag.WANTED) != 0) & (people.state[ids] != State.DEAD)
                      & (people.state[ids] != State.ABROAD)]
            if a >= 0:
                ids = ids[book.wanted_by[ids] == a]
            if ids.size == 0:
                continue
            st = people.state[ids]
            deserter = st == State.DESERTED
            hiding = st == State.HIDING
            actor_of = book.wanted_by[ids].astype(np.int64)
            book.clear_wanted(sim, ids)
            back = ids[hiding]
            if back.size:
                sim.record.events("returned", people.place[back], actor=actor_of[hiding],
                                  reason="amnesty")
                people.set(back, day, state=State.CIVILIAN)
                book.back_to_work(sim, back)
            rest = ids[~hiding]
            sim.record.events("settled", people.place[rest], actor=actor_of[~hiding],
                              reason="amnesty")
            des = ids[deserter]
            if des.size:
                if rejoin:
                    for b in unique(actor_of[deserter]):
                        book.conscript(sim, des[actor_of[deserter] == b], int(b), day, "amnesty")
                else:
                    people.set(des, day, state=State.CIVILIAN)
                    book.back_to_work(sim, des)
        self._amnesty = keep

    def _wanted_day(self, sim: Simulation, day: int, intensity: np.ndarray) -> None:
        """M8, M9, M11, M12: stops, raids and hiding of the wanted in reach.

        Those in the open (few: they hide or are caught within days) get one person-level
        uniform for three disjoint outcomes (stopped, goes into hiding, nothing). The hidden
        (many, each with a small chance) are thinned: candidates at the largest chance, then
        accepted with their own chance (common random numbers per day only)."""
        p, people, book = self.p, sim.people, self.book
        W = book.wanted(sim)
        if W.size == 0:
            return
        ctrl = sim.world.control[day]
        boost = 1.0 + p.informer_boost.value
        raid_add = np.zeros(sim.world.n_places)  # campaigns raid homes too
        for c in self.campaigns:
            if c.start <= day < c.until:
                raid_add[c.places] += p.raid_per_intensity.value * c.intensity
        op, o_pl, o_wb, o_mult, W_hidden = self._split(sim, W, ctrl)
        p_stop = np.minimum(intensity[o_pl] * o_mult, 1.0)
        p_hide = np.minimum(p.hide_per_intensity.value * intensity[o_pl]
                            * (people.state[op] == State.CIVILIAN), 1.0 - p_stop)
        u = sim.person_uniform("coercion.wanted", op)
        o_stop = u < p_stop
        hide = ~o_stop & (u < p_stop + p_hide)
        # hidden: thinning
        p_max = min(float((intensity.max(initial=0.0) * p.hide_exposure.value
                           + self.raid.max(initial=0.0) + raid_add.max(initial=0.0)) * boost),
                    1.0)
        hd, h_pl, h_wb, h_mult = self._in_reach(sim, sim.thin_candidates(
            "coercion.hidden", day, p_max, W_hidden), ctrl)
        u = sim.rng("coercion.hidden_accept", day).random(hd.size) * p_max
        p_stop_h = intensity[h_pl] * p.hide_exposure.value * h_mult
        h_stop = u < p_stop_h
        raid_f = np.ones(h_pl.size)
        for ma, cols, f, start, until in self.mediations:
            if start <= day < until:
                raid_f[(h_wb == ma) & np.isin(h_pl, cols)] *= f
        # house raids look for deserters (seed-004 ¶9); evaders at home are raided only
        # where a campaign runs (seed-001 ¶10: staying at home kept young men out of reach)
        evader = (people.flags[hd] & Flag.EVADER) != 0
        base_raid = np.where(evader, 0.0, self.raid[h_wb])
        raided = ~h_stop & (u < p_stop_h + (base_raid + raid_add[h_pl]) * h_mult * raid_f)
        W = np.concatenate([op, hd])
        pl = np.concatenate([o_pl, h_pl])
        wb = np.concatenate([o_wb, h_wb])
        stopped = np.concatenate([o_stop, h_stop])
        hide = np.concatenate([hide, np.zeros(hd.size, dtype=bool)])
        raided = np.concatenate([np.zeros(op.size, dtype=bool), raided])
        if hide.any():
            sim.record.events("hid", pl[hide], reason="checkpoints")
            book.go_hiding(sim, W[hide], day)
        if raided.any():
            r_ids, r_wb = W[raided], wb[raided]
            # one raid per household and actor looking for someone in it
            H = len(sim.households)
            pair = unique(r_wb * H + people.household[r_ids])
            sim.record.events("raid", sim.households.place[pair % H].astype(np.int64),
                              actor=pair // H)
            self._caught(sim, day, r_ids, r_wb, "raid")
        if stopped.any():
            self._caught(sim, day, W[stopped], wb[stopped], "checkpoint")

    def _in_reach(self, sim: Simulation, ids: np.ndarray, ctrl: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Of the wanted ``ids``, those the actor that wants them reaches where they are
        (its own places and its allies', ``reach``; ``ctrl``: holders by place today), with
        their place, that actor and the informer multiplier (1 + informer_boost if they
        planned to flee or are suspected)."""
        people, book = sim.people, self.book
        pl = people.place[ids].astype(np.int64)
        wb = book.wanted_by[ids].astype(np.int64)
        holder = ctrl.astype(np.int64)[pl]
        ok = (wb >= 0) & (holder >= 0) & self.reach[np.maximum(wb, 0), np.maximum(holder, 0)]
        ids, pl, wb = ids[ok], pl[ok], wb[ok]
        informed = book.planned_flight(ids) | ((people.flags[ids] & Flag.SUSPECTED) != 0)
        return ids, pl, wb, 1.0 + self.p.informer_boost.value * informed

    def _split(self, sim: Simulation, W: np.ndarray, ctrl: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The wanted ``W`` in the open and in reach (as :meth:`_in_reach` gives them), and
        the hidden (in the order of ``W``); in one compiled pass with Numba
        (:func:`ranks.kernels.wanted_in_open`, the same arrays)."""
        people, book = sim.people, self.book
        if kernels.ENABLED:
            return kernels.wanted_in_open(
                np.ascontiguousarray(W, dtype=np.int64), people.state, _HIDDEN, _IN_REACH,
                people.place, book.wanted_by, ctrl, self.reach, book.bits, FLEE_BIT,
                people.flags, int(Flag.SUSPECTED), float(self.p.informer_boost.value))
        st = people.state[W]
        return (*self._in_reach(sim, W[~_HIDDEN[st] & _IN_REACH[st]], ctrl),
                W[_HIDDEN[st]])

    def _caught(self, sim: Simulation, day: int, ids: np.ndarray, actor: np.ndarray,
                how: str) -> None:
        """A wanted person stopped or found (M8, M9, M11): deserters go to deterrence (M19);
        the others meet the outcome the actor's practice in force gives (released for a
        bribe, sent back, fined, detained, conscripted or killed)."""
        people, book = sim.people, self.book
        deserter = (people.state[ids] == State.DESERTED) | (
            ((people.flags[ids] & Flag.WAS_MEMBER) != 0) & ((people.flags[ids] & Flag.EVADER)
                                                             == 0) & (people.actor[ids] < 0))
        u = sim.person_uniform(f"coercion.caught.{how}", ids)
        for a in unique(actor):
            a = int(a)
            ia = actor == a
            des = ids[ia & deserter]
            if des.size:
                if book.punish_deserters is not None:
                    book.punish_deserters(sim, des, a, day, how)
                else:
                    book.detain(sim, des, a, day, how)
            rest = ia & ~deserter
            if not rest.any():
                continue
            r_ids = ids[rest]
            kind = np.full(r_ids.size, WANTED)
            codes = interception_codes(self.interception, np.full(r_ids.size, a), kind,
                                       u[rest])
            codes = book.caught(sim, r_ids, a, codes, kind, day, how, float(self.fine[a]),
                                float(self.bribe[a]), int(self.conscript_for[a]))
            paid = r_ids[codes == PASSED]
            if paid.size:
                sim.record.events("bribed_release", people.place[paid], actor=a, reason=how)
            let = r_ids[codes == RETURNED]
            if let.size:
                sim.record.events("let_go", people.place[let], actor=a, reason=how)

    def _violation_arrests(self, sim: Simulation, day: int) -> None:
        """M10: arrests of men of service age for 'violations' where a campaign runs."""
        p = self.p
        active = [c for c in self.campaigns if c.start <= day < c.until]
        if not active or p.violation_arrest_per_intensity.value <= 0:
            return
        w, people = sim.world, sim.people
        lvl = np.zeros(w.n_places)
        for c in active:
            lvl[c.places] += c.intensity
        if day - self._pool_day >= 30:
            lo, hi = p.service_ages.value
            cand = np.flatnonzero((lvl[people.place] > 0) & (people.sex == 1))
            age = people.age_years(day, cand)
            self._pool = cand[(age >= lo) & (age <= hi)]
            self._pool_day = day
        chance = np.minimum(p.violation_arrest_per_intensity.value * lvl, 1.0)
        p_max = float(chance.max())
        ids = sim.thin_candidates("coercion.violation", day, p_max, self._pool)
        if ids.size == 0:
            return
        pl = people.place[ids].astype(np.int64)
        ok = ((people.state[ids] == State.CIVILIAN) & ((people.flags[ids] & Flag.WANTED) == 0)
              & (w.control[day][pl] >= 0))
        u = sim.rng("coercion.violation_accept", day).random(ids.size) * p_max
        ok &= u < chance[pl]
        ids, pl = ids[ok], pl[ok]
        ctrl = w.control[day][pl].astype(np.int64)
        for a in unique(ctrl):
            self.book.detain(sim, ids[ctrl == a], int(a), day, "violation")

    def _detention_day(self, sim: Simulation, day: int) -> None:
        """M10: forced labour deaths; release or conscription after detention."""
        p, people, book, w = self.p, sim.people, self.book, sim.world
        D = book.detained(sim)
        if D.size == 0:
            return
        holder = book.wanted_by[D].astype(np.int64)
        fmax = np.zeros(w.n_actors + 1)
        ctrl = w.control[day].astype(np.int64)
        np.maximum.at(fmax, np.where(ctrl >= 0, ctrl, w.n_actors), w.front[day])
        fmax[w.n_actors] = 0.0
        hk = np.maximum(holder, 0)
        labour = sim.trait("coercion.labour_assign", D) < self.labour[hk]
        p_die = np.where(labour & (holder >= 0), p.forced_labour_death_per_day.value
                         * fmax[holder], 0.0)
        die = sim.person_uniform("coercion.labour_death", D) < p_die
        release = ~die & (sim.person_uniform("coercion.release", D)
                          < 1.0 / np.maximum(self.det_days[hk], 1e-9))
        to_army = release & (sim.person_uniform("coercion.after_detention", D)
                             < self.after_det[hk]) & (holder >= 0)
        for a in unique(holder):
            ia = holder == a
            dead = D[ia & die]
            if dead.size:
                sim.record.events("forced_labour_death", people.place[dead], actor=int(a))
                sim.request_death(dead, "forced_labour", int(a))
            out = D[ia & release & ~to_army]
            if out.size:
                sim.record.events("released", people.place[out], actor=int(a))
                book.release(sim, out, day)
            if a >= 0:
                book.conscript(sim, D[ia & to_army], int(self.conscript_for[a]), day,
                               "detention")

