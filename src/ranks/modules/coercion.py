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
from pydantic import Field

from ranks.errors import RanksInputError
from ranks.modules.actors import NonNeg, PosF, PosInt, Prob
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.wanted import LOST_WORK_BIT, WantedBook, wanted_book
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


class CoercionParams(ModuleParams):
    """Parameters of coercion. Chances are per person and day unless said otherwise."""

    order_register_share: P[Prob] = P(
        value=0.45, assumption="share of men named by an order who register; the order came "
        "with a threat of forced enlistment (press-isis-order-2017); no count found")
    order_hide_share: P[Prob] = P(
        value=0.25, source="seed-001",
        note="most young men fled to SDF areas or stayed home; split hide/flee assumed")
    order_flee_share: P[Prob] = P(
        value=0.20, source="seed-000",
        note="escape seen as the only option; share is an assumption, scaled by means")
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
    bribe_accept_chance: P[Prob] = P(
        value=0.5, source="seed-001",
        note="some patrols take money for immediate release; the share is assumed")
    stop_conscript_share: P[Prob] = P(
        value=0.6, source="seed-001",
        note="stopped evaders are press-ganged into service, the rest detained; share assumed")
    detention_days_mean: P[PosF] = P(
        value=30.0, assumption="mean detention of a month before release or conscription")
    forced_labour_share: P[Prob] = P(
        value=0.5, source="seed-001",
        note="detainees made to dig trenches at points of engagement; share assumed")
    forced_labour_death_per_day: P[Prob] = P(
        value=0.002, source="seed-001",
        note="dozens killed among hundreds over some months: about 10% in two months at the "
        "heaviest front (front intensity 1)")
    conscript_after_detention: P[Prob] = P(
        value=0.5, source="press-isis-arrests-2017",
        note="2017-08-13: arrested young men sent to camps and fronts; share assumed")
    raid_chance_per_day: P[Prob] = P(
        value=0.002, source="seed-004",
        note="police patrols break into dozens of houses to find fleeing fighters; rate "
        "assumed")
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
        value=[18, 42], source="seed-001",
        note="compulsory service of men 18-42: ages at risk of 'violation' arrests")
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
    event_types = ("conscription_order", "checkpoint_campaign", "amnesty")

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: CoercionParams) -> Problem | None:
        """Actors named in ``bribe_usd_by_actor`` exist."""
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
        self.bribe = np.full(w.n_actors, p.bribe_usd.value)
        for k, v in p.bribe_usd_by_actor.items():
            self.bribe[w.actor_index[k]] = v.value
        self.campaigns: list[Campaign] = []
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

    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
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

    def _order(self, sim: Simulation, ev: TimelineEvent) -> None:
        """M7: men named by the order decide, over the deadline: register, hide, flee, ignore."""
        p, people, w, day = self.p, sim.people, sim.world, sim.day
        a = self._actor(sim, ev)
        if a < 0:
            raise RanksInputError("conscription_order needs an actor", field="timeline")
        lo, hi = ev.args.get("ages", [18, 42])
        sex = ev.args.get("sex", "male")
        places = self._places(sim, ev)
        deadline = max(int(ev.args.get("deadline_days", 7)), 1)
        members_too = bool(ev.args.get("applies_to_members", False))
        in_place = (np.isin(people.place, places) if places is not None
                    else w.control[day][people.place] == a)
        # also require the ordering actor to hold the place: nobody obeys a distant order
        in_place &= w.control[day][people.place] == a
        ok_state = people.state == State.CIVILIAN
        if members_too:
            ok_state |= (np.isin(people.state, (State.TRAINING, State.SERVING))
                         & (people.actor != a))
        mask = in_place & ok_state & ((people.flags & Flag.WANTED) == 0)
        if sex in ("male", "female"):
            mask &= people.sex == (1 if sex == "male" else 0)
        ids = np.flatnonzero(mask)
        age = people.age_years(day, ids)
        ids = ids[(age >= lo) & (age <= hi)]
        if ids.size == 0:
            return
        hh = people.household[ids]
        afford = np.minimum(sim.households.savings[hh] / max(p.flight_cost_usd.value, 1.0), 1.0)
        is_member = people.actor[ids] >= 0
        p_flee = p.order_flee_share.value * afford
        p_reg = np.full(ids.size, p.order_register_share.value)
        # more patrols, more men stay home rather than move about wanted (seed-001)
        cp = self.checkpoint_intensity(sim, day)[people.place[ids]]
        p_hide = np.minimum(p.order_hide_share.value + p.hide_per_intensity.value * cp,
                            np.maximum(1.0 - p_reg - p_flee, 0.0))
        name = sim.event_stream(f"coercion.order.{a}")
        u = sim.person_uniform(name, ids)
        c1 = p_reg
        c2 = c1 + p_hide
        c3 = c2 + p_flee
        code = np.where(u < c1, REGISTER, np.where(u < c2, HIDE, np.where(u < c3, FLEE,
                                                                            IGNORE)))
        # members of another actor stay in their unit, now wanted (seed-001)
        code[is_member & ((code == HIDE) | (code == FLEE))] = IGNORE
        due = day + (sim.person_uniform(name.replace("order", "order_day", 1), ids)
                     * deadline).astype(
            np.int64)
        due[code == IGNORE] = day + deadline  # the wanted list starts at the deadline
        reason = str(ev.args.get("reason", "order"))
        self._orders.append((ids, due, code.astype(np.int8), a, reason))

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
            # the ordering actor must still hold the place
            here = sim.world.control[day][people.place[ids]] == a
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
                    for b in np.unique(actor_of[deserter]):
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
        st = people.state[W]
        hidden = _HIDDEN[st]
        boost = 1.0 + p.informer_boost.value
        raid_rate = np.full(sim.world.n_places, p.raid_chance_per_day.value)
        for c in self.campaigns:
            if c.start <= day < c.until:
                raid_rate[c.places] += p.raid_per_intensity.value * c.intensity

        def in_reach(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            pl = people.place[ids].astype(np.int64)
            wb = book.wanted_by[ids].astype(np.int64)
            ok = (ctrl[pl] == wb) & (wb >= 0)
            ids, pl, wb = ids[ok], pl[ok], wb[ok]
            informed = book.planned_flight(ids) | (
                (people.flags[ids] & Flag.SUSPECTED) != 0)
            return ids, pl, wb, 1.0 + p.informer_boost.value * informed

        # in the open: exact, person-level
        op, o_pl, o_wb, o_mult = in_reach(W[~hidden & _IN_REACH[st]])
        p_stop = np.minimum(intensity[o_pl] * o_mult, 1.0)
        p_hide = np.minimum(p.hide_per_intensity.value * intensity[o_pl]
                            * (people.state[op] == State.CIVILIAN), 1.0 - p_stop)
        u = sim.person_uniform("coercion.wanted", op)
        o_stop = u < p_stop
        hide = ~o_stop & (u < p_stop + p_hide)
        # hidden: thinning
        p_max = min(float((intensity.max(initial=0.0) * p.hide_exposure.value
                           + raid_rate.max(initial=0.0)) * boost), 1.0)
        hd, h_pl, h_wb, h_mult = in_reach(sim.thin_candidates("coercion.hidden", day, p_max,
                                                             W[hidden]))
        u = sim.rng("coercion.hidden_accept", day).random(hd.size) * p_max
        p_stop_h = intensity[h_pl] * p.hide_exposure.value * h_mult
        h_stop = u < p_stop_h
        raided = ~h_stop & (u < p_stop_h + raid_rate[h_pl] * h_mult)
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
            pair = np.unique(r_wb * H + people.household[r_ids])
            sim.record.events("raid", sim.households.place[pair % H].astype(np.int64),
                              actor=pair // H)
            self._caught(sim, day, r_ids, r_wb, "raid")
        if stopped.any():
            self._caught(sim, day, W[stopped], wb[stopped], "checkpoint")

    def _caught(self, sim: Simulation, day: int, ids: np.ndarray, actor: np.ndarray,
                how: str) -> None:
        """A wanted person stopped or found: deserters to deterrence; others bribe, are
        conscripted or detained."""
        p, people, book = self.p, sim.people, self.book
        deserter = (people.state[ids] == State.DESERTED) | (
            ((people.flags[ids] & Flag.WAS_MEMBER) != 0) & ((people.flags[ids] & Flag.EVADER)
                                                             == 0) & (people.actor[ids] < 0))
        hh = people.household[ids]
        price = self.bribe[actor]
        savings = sim.households.savings
        u_b = sim.person_uniform(f"coercion.bribe.{how}", ids)
        u_c = sim.person_uniform(f"coercion.conscript.{how}", ids)
        for a in np.unique(actor):
            ia = actor == a
            des = ids[ia & deserter]
            if des.size:
                if book.punish_deserters is not None:
                    book.punish_deserters(sim, des, int(a), day, how)
                else:
                    book.detain(sim, des, int(a), day, how)
            rest = ia & ~deserter
            if not rest.any():
                continue
            r_ids, r_hh, r_u = ids[rest], hh[rest], u_b[rest]
            pr = float(price[rest][0])
            can = (savings[r_hh] >= pr) & (r_u < p.bribe_accept_chance.value) & (pr > 0)
            if can.any():
                # one bribe per household and day buys the release of all stopped with him
                b_ids, b_hh = r_ids[can], r_hh[can]
                first = np.unique(b_hh, return_index=True)[1]
                savings[b_hh[first]] -= pr
                sim.record.events("bribed_release", people.place[b_ids], actor=int(a),
                                 reason=how)
            others = ~can
            o_ids, o_u = r_ids[others], u_c[rest][others]
            take = o_u < p.stop_conscript_share.value
            book.conscript(sim, o_ids[take], int(a), day, how)
            book.detain(sim, o_ids[~take], int(a), day, how)

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
        for a in np.unique(ctrl):
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
        labour = sim.trait("coercion.labour_assign", D) < \
            p.forced_labour_share.value
        p_die = np.where(labour & (holder >= 0), p.forced_labour_death_per_day.value
                         * fmax[holder], 0.0)
        die = sim.person_uniform("coercion.labour_death", D) < p_die
        release = ~die & (sim.person_uniform("coercion.release", D)
                          < 1.0 / p.detention_days_mean.value)
        to_army = release & (sim.person_uniform("coercion.after_detention", D)
                             < p.conscript_after_detention.value) & (holder >= 0)
        for a in np.unique(holder):
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
                book.conscript(sim, D[ia & to_army], int(a), day, "detention")

