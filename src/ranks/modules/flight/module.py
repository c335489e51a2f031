"""The flight module: the day of deciding, paying, travelling, stopping (M22-M25).

See the package docstring (:mod:`ranks.modules.flight`) for what it requires and records;
the parts live beside this file: ``decide`` (M22 terms), ``routes`` (M23 route choice on
the shared Flee rules), ``hazards`` (M24), ``camps`` (M25), ``parties``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ranks import kernels, rng
from ranks.arrays import unique
from ranks.errors import RanksInputError
from ranks.modules.base import Module, Problem
from ranks.modules.coercion import Coercion
from ranks.modules.economy import Economy
from ranks.modules.flight import decide
from ranks.modules.flight.camp_rules import EXITS, TURNED_AWAY, CampRules
from ranks.modules.flight.camps import Displaced
from ranks.modules.flight.decide import REASONS, Decision, Fear, Reason
from ranks.modules.flight.hazards import (
    OUTCOME_NAMES,
    Hazard,
    HazardRates,
    Outcome,
    Window,
    hazard_chances,
    interception_outcome,
)
from ranks.modules.flight.params import FlightParams
from ranks.modules.flight.parties import LONE, NOCAMP, SMUGGLED, SPONSORED, Parties
from ranks.modules.flight.routes import BACK_FACTOR, DESERT, Routes
from ranks.modules.flight.sieges import Evacuation, Expulsion, Siege, besieged
from ranks.modules.practices import HELD_AGES, OTHERS, WANTED, default_interception_table
from ranks.modules.wanted import WantedBook, wanted_book
from ranks.population import Flag, People, State
from ranks.scenario.model import FRONT_KINDS, ROUTE_KINDS, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation

_EMPTY = np.zeros(0, dtype=np.int64)
_NO_WANTED = np.zeros(0, dtype=np.int8)  # the wanted-by column without a wanted book


#: Reason labels of event ``interdicted`` by hazard: ``hazard:outcome``.
_INTERDICTED = {h: tuple(f"{h.name.lower()}:{o}" for o in OUTCOME_NAMES) for h in Hazard}


def interceptions(people: People, wanted_by: np.ndarray, day: int, ids: np.ndarray,
                  actor: np.ndarray, u: np.ndarray, table: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What happens to people ``ids`` intercepted by ``actor`` (one each) on ``day``: the
    outcome drawn with ``u`` from ``table`` (:func:`~ranks.modules.flight.hazards.
    interception_outcome`), the kind of each (WANTED by that actor in ``wanted_by``, else
    OTHERS) and whether each is a caught deserter."""
    if kernels.ENABLED and table.shape[2] == len(OUTCOME_NAMES) - 1:  # one compiled loop
        oc, kind, deserter = kernels.interception(
            ids, actor, u, table, people.sex, people.birth, people.flags, wanted_by, day,
            HELD_AGES[0], HELD_AGES[1], Flag.WAS_MEMBER, Flag.EVADER, Flag.WANTED, WANTED,
            OTHERS, int(Outcome.DETAINED), int(Outcome.RETURNED), int(Outcome.PUNISHED))
        return oc, kind, deserter
    age = people.age_years(day, ids)
    fl = people.flags[ids]
    man = (people.sex[ids] == 1) & (age >= HELD_AGES[0]) & (age <= HELD_AGES[1])
    deserter = (((fl & Flag.WAS_MEMBER) != 0) & ((fl & Flag.EVADER) == 0)
                & ((fl & Flag.WANTED) != 0))
    kind = np.where(wanted_by[ids].astype(np.int64) == actor, WANTED, OTHERS)
    return interception_outcome(u, table, actor, kind, man, deserter), kind, deserter


class Flight(Module[FlightParams]):
    """Deciding to flee, smugglers, hazards, camps (M22-M25). See the package docstring."""

    name = "flight"
    mids = ("M22", "M23", "M24", "M25")
    Params = FlightParams
    event_types = ("closure", "smuggler_price", "minefield", "exit_ban",
                   "conscription_order", "checkpoint_campaign", "siege", "evacuation",
                   "expulsion", "arrivals", "camp_exit_rate")
    uses = (Economy, Coercion)

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: FlightParams) -> Problem | None:
        """Actors and route kinds named in the parameters exist."""
        ids = {a.id for a in scenario.actors}
        for a in params.exit_ban_actors.value:
            if a not in ids:
                return f"unknown actor '{a}'", ("exit_ban_actors",)
        for field, by_kind in (("speed_km_day", params.speed_km_day),
                               ("checkpoint_chance", params.checkpoint_chance),
                               ("mine_chance", params.mine_chance)):
            for k in by_kind:
                if k not in ROUTE_KINDS:
                    return f"unknown route kind '{k}' (one of {', '.join(ROUTE_KINDS)})", (
                        field, k)
        lo, hi = params.service_ages.value
        if lo > hi:
            return "service_ages must be [low, high]", ("service_ages",)
        for k in params.conflict_kind_weight:
            if k not in FRONT_KINDS:
                return f"unknown front kind '{k}' (one of {', '.join(FRONT_KINDS)})", (
                    "conflict_kind_weight", k)
        return None

    # ------------------------------------------------------------------ set-up
    def init(self, sim: Simulation) -> None:
        p = self.params
        w, people = sim.world, sim.people
        self.P, self.A = w.n_places, w.n_actors
        self.parties = Parties(people, sim.households, self.P)
        self.H = self.parties.H
        #: person columns (owned here): flight bits and the actor each fled (-1 none)
        self.bits, self.fled_from = self.parties.bits, self.parties.fled_from
        self.routes = Routes(w, p, sim.scale)
        self.settled = ~self.routes.is_camp & ~self.routes.is_abroad
        # camps with rules (issue 13): their soft capacity replaces the place's capacity
        self.camps = CampRules(sim.scenario, w, sim.scale)
        self.routes.capacity = np.where(self.camps.has_rules, self.camps.soft,
                                        self.routes.capacity)
        self.kind_weight = np.array([p.conflict_kind_weight[k].value
                                     if k in p.conflict_kind_weight else 0.0
                                     for k in FRONT_KINDS])
        self.sieges: list[Siege] = []
        self.evacuations: list[Evacuation] = []
        self.expulsions: list[Expulsion] = []
        self._besieged = np.zeros(self.P, dtype=bool)
        #: people from outside who arrive during the run (ranks.arrivals), and how many
        #: households of each group have come
        self.arrivals = list(sim.reserve_groups)
        self._arrived = [0] * len(self.arrivals)
        self.cp_kind = np.array([p.checkpoint_chance[k].value if k in p.checkpoint_chance
                                 else 0.0 for k in ROUTE_KINDS])
        self.mine_kind = np.array([p.mine_chance[k].value if k in p.mine_chance else 0.0
                                   for k in ROUTE_KINDS])
        self.price = p.smuggler_price_usd.value
        self.ban_static = np.zeros(self.A + 1, dtype=bool)
        for a in p.exit_ban_actors.value:
            self.ban_static[w.actor_index[a]] = True
        self.fears: list[Fear] = []
        self.closures: list[Window] = []
        self.minefields: list[Window] = []
        self.bans: list[Window] = []
        # travellers (module-local, only people in transit)
        self.t_ids = _EMPTY
        self.t_link = _EMPTY  # link being travelled, -1 at a place
        self.t_left = np.zeros(0)  # days of travel left on the link
        self.t_wait = _EMPTY  # days to wait at the place (hosted) before the next leg
        self.t_prev = _EMPTY  # place before the current one (-1 none)
        #: spare room for travellers: the five arrays above are leading parts of these
        self._t_bufs: tuple[np.ndarray, ...] = ()
        self.displaced_book = Displaced(self.parties, people, self.P)
        #: displaced by this module and not travelling, by current place x home place
        self.displaced = self.displaced_book.counts
        sim.death_listeners.append(self.displaced_book.on_death)
        rec, names = sim.record, w.place_names
        rec.add_stock("camp_population", ("place",), (names,),
                      lambda day: people.by_place_state[:, State.CAMP])
        rec.add_stock("in_transit", ("place",), (names,),
                      lambda day: people.by_place_state[:, State.TRANSIT])
        rec.add_stock("displaced", ("place", "category"), (names, names),
                      lambda day: self.displaced_book.exact(sim, day))

    # ------------------------------------------------------------------ services
    def party_key(self, ids: np.ndarray) -> np.ndarray:
        """Party of each person: the household, or ``H + id`` for a man alone."""
        return self.parties.key(ids)

    def members(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """People of parties ``keys`` and the key of each."""
        return self.parties.members(keys)

    def displaced_parties(self, sim: Simulation, day: int) -> np.ndarray:
        """Party keys of people displaced and not travelling (a view; see
        :meth:`Displaced.parties_today`)."""
        return self.displaced_book.parties_today(sim, day)

    def party_members(self, sim: Simulation, keys: np.ndarray, state: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Displaced members of parties ``keys`` (optionally only those in ``state``)."""
        return self.displaced_book.members(keys, state)

    @property
    def besieged_today(self) -> np.ndarray:
        """Places under siege today, (P,) bool."""
        return self._besieged

    def mark_returned(self, sim: Simulation, ids: np.ndarray) -> None:
        """``ids`` go home (the returns module, M27): no longer displaced by this module.
        Call before moving them."""
        self.displaced_book.count(ids, -1)
        self.parties.home_again(ids)

    # ------------------------------------------------------------------ timeline
    def _place_ids(self, sim: Simulation, ev: TimelineEvent) -> np.ndarray | None:
        names = ev.places or ev.args.get("places")
        if isinstance(names, str):
            names = [names]
        if not names:
            return None
        try:
            return np.array([sim.world.place_index[n] for n in names], dtype=np.int64)
        except KeyError as e:
            raise RanksInputError(f"{ev.type}: unknown place {e}", field="timeline") from None

    def _links(self, sim: Simulation, ev: TimelineEvent) -> np.ndarray:
        """Links named by ``args: {from, to}``, else those touching the event's places."""
        named = ev.args.get("from") is not None or ev.args.get("to") is not None
        return self.routes.links_of(sim.world, ev, None if named else self._place_ids(sim, ev))

    def _actor(self, sim: Simulation, ev: TimelineEvent) -> int:
        name = ev.actor or ev.args.get("actor")
        if name is None:
            return -1
        if name not in sim.world.actor_index:
            raise RanksInputError(f"{ev.type}: unknown actor '{name}'", field="timeline")
        return sim.world.actor_index[name]

    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        day, w, p = sim.day, sim.world, self.params
        until = w.day_of(ev.until) if ev.until else w.n_days + 1
        if ev.type == "siege":
            self.sieges.append(Siege.from_event(w, ev, day))
        elif ev.type == "evacuation":
            self.evacuations.append(Evacuation.from_event(w, ev, day, sim.scale))
        elif ev.type == "expulsion":
            self.expulsions.append(Expulsion.from_event(w, ev, day))
        elif ev.type == "arrivals":
            return  # the people were made at set-up (ranks.arrivals); step moves them in
        elif ev.type == "camp_exit_rate":
            if ev.value is None or not 0.0 <= float(ev.value) <= 1.0:
                raise RanksInputError("camp_exit_rate needs a value (a daily chance, 0..1)",
                                      field="timeline")
            places = self._place_ids(sim, ev)
            if places is None:
                raise RanksInputError("camp_exit_rate needs a place (a camp)", field="timeline")
            self.camps.exit_per_day[places] = float(ev.value)
        elif ev.type == "smuggler_price":
            if ev.value is None:
                raise RanksInputError("smuggler_price needs a value (USD a person)",
                                      field="timeline")
            self.price = float(ev.value)
        elif ev.type == "closure":
            self.closures.append(Window(day, until, 1.0, links=self._links(sim, ev)))
        elif ev.type == "minefield":
            v = float(ev.value if ev.value is not None else 0.02)
            self.minefields.append(Window(day, until, v, self._actor(sim, ev),
                                          self._links(sim, ev)))
        elif ev.type == "exit_ban":
            a = self._actor(sim, ev)
            if a < 0:
                raise RanksInputError("exit_ban needs an actor", field="timeline")
            v = float(ev.value if ev.value is not None else p.exit_ban_factor.value)
            self.bans.append(Window(day, until, v, a))
        elif ev.type == "conscription_order":
            a = self._actor(sim, ev)
            if a < 0:
                return
            lo, hi = ev.args.get("ages", p.service_ages.value)
            end = day + int(ev.args.get("deadline_days", 7)) + p.order_fear_days.value
            self.fears.append(Fear(a, self._place_ids(sim, ev), 1.0, day,
                                   min(until, end) if ev.until else end, (int(lo), int(hi)),
                                   self._fear_key(sim, ev)))
        elif ev.type == "checkpoint_campaign":
            if ev.args.get("kind") == "desert_patrol":
                return
            a = self._actor(sim, ev)
            level = min(1.0, float(ev.value if ev.value is not None else 0.05)
                        * p.campaign_fear_scale.value)
            lo, hi = p.service_ages.value
            self.fears.append(Fear(a, self._place_ids(sim, ev), level, day, until,
                                   (int(lo), int(hi)), self._fear_key(sim, ev)))

    @staticmethod
    def _fear_key(sim: Simulation, ev: TimelineEvent) -> str:
        """The name of a fear window's draws: the event's type, actor and day (and its order
        among like events of the day)."""
        return sim.event_stream(f"{ev.type}.{ev.actor or ev.args.get('actor')}.{sim.day}")

    def _ban(self, day: int) -> np.ndarray:
        """Exit-ban factor by actor (index A = no actor): 0 = no ban."""
        out = np.where(self.ban_static, self.params.exit_ban_factor.value, 0.0)
        for b in self.bans:
            if b.start <= day < b.until:
                out[b.actor] = max(out[b.actor], b.value)
        out[self.A] = 0.0
        return out

    def _open_links(self, day: int) -> np.ndarray:
        open_ = np.ones(2 * self.routes.R, dtype=bool)
        for c in self.closures:
            if c.start <= day < c.until and c.links is not None:
                open_[c.links] = False
        return open_

    # ------------------------------------------------------------------ the day
    def step(self, sim: Simulation, day: int) -> None:
        p = self.params
        self.routes.update(self._open_links(day))
        self._ban_today = self._ban(day)
        coercion = sim.get(Coercion)
        self.rates = HazardRates(
            checkpoint_by_kind=self.cp_kind,
            smuggled_factor=p.smuggled_checkpoint_factor.value,
            campaign=coercion.checkpoint_intensity(sim, day) if coercion is not None else None,
            campaign_scale=p.campaign_checkpoint_scale.value,
            patrol_desert=p.patrol_chance_desert.value,
            patrols=coercion.patrol_intensity(sim, day) if coercion is not None else None,
            mine_by_kind=self.mine_kind, ban=self._ban_today,
            minefields=[m for m in self.minefields if m.start <= day < m.until])
        self._mines = self._minefields_today()
        self._besieged = besieged(self.sieges, day, self.P)
        for e in self.evacuations:
            e.used_today = 0.0
        self._arrivals_in(sim, day)
        self._camp_closures(sim, day)
        self._decide(sim, day)
        self._camp_exits(sim, day)
        self._convoys(sim, day)
        self._travel(sim, day)

    # -- M22 ---------------------------------------------------------------------------------
    def _decide(self, sim: Simulation, day: int) -> None:
        """Today's decisions, term by term (``decide``); a man or household listed by two
        terms takes the reason of the first."""
        p, people, parties = self.params, sim.people, self.parties
        decisions: list[Decision] = []
        self.fears = [f for f in self.fears if day < f.until]
        for f in self.fears:
            if day >= f.start:
                decisions += decide.conscription(sim, day, p, parties, f)
        decisions += decide.punishment(sim, p, parties)
        decisions += decide.conflict(sim, day, p, parties, self.settled, self.kind_weight)
        for j, e in enumerate(self.expulsions):
            if e.start == day:
                decisions += decide.expulsion(sim, day, parties, e.places, e.share,
                                              f"flight.expulsion.{j}")
        eco = sim.get(Economy)
        decisions += decide.hardship(sim, day, p, parties, self.settled,
                                     eco.hardship if eco is not None else None)
        lone = [d for d in decisions if d.alone]
        fam = [d for d in decisions if not d.alone]
        if lone:
            ids = np.concatenate([d.units for d in lone])
            ids, first = np.unique(ids, return_index=True)
            self._start(sim, day, ids, np.concatenate([d.reason for d in lone])[first],
                        alone=True)
        if fam:
            hhs = np.concatenate([d.units for d in fam])
            hhs, first = np.unique(hhs, return_index=True)
            ids, keys = parties.members(hhs)
            reason = np.concatenate([d.reason for d in fam])[first][np.searchsorted(hhs, keys)]
            ok = decide.can_leave(sim, parties, ids) & (people.place[ids] == people.home[ids])
            ok &= people.actor[ids] < 0
            self._start(sim, day, ids[ok], reason[ok], alone=False)

    # -- M23 smugglers -----------------------------------------------------------------------
    def _start(self, sim: Simulation, day: int, ids: np.ndarray, reason: np.ndarray,
               alone: bool) -> None:
        """Parties ``ids`` (lone men, or members of households) set out if they can: by an
        organised evacuation from their place when one has seats; else with a smuggler
        where their place is besieged or the actor holding it bans exit (paid from savings,
        else relatives abroad pay with a chance: a trait of the party); else on their own.
        Those driven out by fighting or expelled flee the danger, not a holder: they fear
        nobody on the way (an exit ban still stops them) or on their return."""
        if ids.size == 0:
            return
        p, people, hh, parties = self.params, sim.people, sim.households, self.parties
        place = people.place[ids].astype(np.int64)
        ctrl = sim.world.control[day].astype(np.int64)[place]
        feared = np.where(alone & ((people.flags[ids] & Flag.WANTED) != 0)
                          & (reason != int(Reason.CONFLICT)), self._wanted_by(sim, ids), ctrl)
        feared = np.where((reason == int(Reason.CONFLICT)) | (reason == int(Reason.EXPULSION)),
                          -1, feared)
        keys = self.H + ids if alone else parties.household_of(ids)
        taken = self._evacuation_seats(day, place, keys)
        if (taken >= 0).any():
            t = taken >= 0
            self._evacuate(sim, day, ids[t], keys[t], place[t], feared[t], reason[t],
                           taken[t], alone)
            rest = ~t
            ids, place, ctrl, feared, keys, reason = (ids[rest], place[rest], ctrl[rest],
                                                      feared[rest], keys[rest], reason[rest])
            if ids.size == 0:
                return
        sieged = self._besieged[place]
        ban = (self._ban_today[np.where(ctrl >= 0, ctrl, self.A)] > 0) | sieged
        ban &= reason != Reason.EXPULSION  # the actor that bans exit sends them out
        smuggled = np.zeros(ids.size, dtype=bool)
        if ban.any():
            uk, inv, size = np.unique(keys[ban], return_inverse=True, return_counts=True)
            h = parties.household_of(uk - self.H) if alone else uk
            in_siege = np.bincount(inv, weights=sieged[ban], minlength=uk.size) > 0
            cost = self.price * size * np.where(in_siege, p.siege_price_factor.value, 1.0)
            own = hh.savings[h] >= cost
            rel = ~own & (sim.trait("flight.relatives", uk)
                          < p.relatives_pay_chance.value)
            np.subtract.at(hh.savings, h[own], cost[own].astype(np.float32))
            paid = own | rel
            if (~paid).any():
                sim.record.events("stayed", place[ban][~paid[inv]],
                                  reason=in_siege[inv][~paid[inv]].astype(np.int64),
                                  reasons=("cost", "siege"))
            payer = np.where(own, 0, 1)[inv]
            sim.record.events("smuggled", place[ban][paid[inv]], reason=payer[paid[inv]],
                              reasons=("savings", "relatives"))
            keep = np.ones(ids.size, dtype=bool)
            keep[np.flatnonzero(ban)[~paid[inv]]] = False
            smuggled[ban] = paid[inv]
            ids, place, feared, keys, reason, smuggled = (
                ids[keep], place[keep], feared[keep], keys[keep], reason[keep], smuggled[keep])
        if ids.size == 0:
            return
        self._depart(sim, day, ids, place, feared, reason, alone, smuggled)
        people.set(ids, day, state=State.TRANSIT)
        self._add_travellers(ids)

    def _depart(self, sim: Simulation, day: int, ids: np.ndarray, place: np.ndarray,
                feared: np.ndarray, reason: np.ndarray, alone: bool,
                smuggled: np.ndarray) -> None:
        """People set out: event ``attempt`` for each, ``fled`` for those who start a
        displacement episode (count people, not attempts: someone turned back who sets out
        again within ``episode_gap_days`` is on the same episode); their flight bits."""
        parties = self.parties
        new = parties.new_episode(ids, sim.people.since[ids], day,
                                  self.params.episode_gap_days.value)
        sim.record.events("attempt", place, actor=feared, reason=reason, reasons=REASONS)
        sim.record.events("fled", place[new], actor=feared[new], reason=reason[new],
                          reasons=REASONS)
        parties.set_out(ids, feared, alone, smuggled)
        if (book := sim.get(WantedBook)) is not None:
            book.flight_started(ids)

    # -- sieges and organised evacuations ----------------------------------------------------
    def _evacuation_seats(self, day: int, place: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """The evacuation (index into ``evacuations``) that takes each person leaving today,
        -1 none: whole parties from the evacuation's places, in the order of their keys,
        while it has seats today."""
        out = np.full(place.size, -1, dtype=np.int64)
        for j, e in enumerate(self.evacuations):
            if e.who != "leavers" or not e.active(day):
                continue
            here = np.flatnonzero((out < 0) & np.isin(place, e.places))
            if here.size == 0:
                continue
            room = e.seats - e.used_today
            if np.isfinite(room):
                order = here[np.argsort(keys[here], kind="stable")]
                _, counts = np.unique(keys[order], return_counts=True)
                here = order[np.repeat(np.cumsum(counts) <= room, counts)]
            out[here] = j
            e.used_today += here.size
        return out

    def _evacuate(self, sim: Simulation, day: int, ids: np.ndarray, keys: np.ndarray,
                  place: np.ndarray, feared: np.ndarray, reason: np.ndarray,
                  which: np.ndarray, alone: bool) -> None:
        """Parties taken out by an organised evacuation go straight to its destination (event
        ``evacuated``, reason = its kind): into a camp (screened) or settled there."""
        self._depart(sim, day, ids, place, feared, reason, alone,
                     np.zeros(ids.size, dtype=bool))
        for j in unique(which):
            e = self.evacuations[int(j)]
            sel = which == j
            sim.record.events("evacuated", place[sel], reason=e.kind, destination=e.destination)
            self._settle_at(sim, day, ids[sel], keys[sel], e.destination,
                            f"evac.{j}.{'alone' if alone else 'households'}")

    def _settle_at(self, sim: Simulation, day: int, ids: np.ndarray, keys: np.ndarray,
                   dest: int, tag: str) -> None:
        """Displaced parties put at ``dest``: camp residents there (after screening) or
        settled in the place; counted and remembered as displaced."""
        in_camp = bool(self.routes.is_camp[dest])
        sim.people.set(ids, day, state=State.CAMP if in_camp else State.CIVILIAN,
                       place=np.full(ids.size, dest))
        if in_camp:
            ids, keys = self._screen(sim, day, ids, keys, np.full(ids.size, dest), tag)
        self.displaced_book.count(ids, +1)
        free = np.full(keys.size, in_camp and self.camps.exit[dest] == EXITS.index("free"))
        self.displaced_book.remember(keys, free)

    def _screen(self, sim: Simulation, day: int, ids: np.ndarray, keys: np.ndarray,
                at: np.ndarray, tag: str) -> tuple[np.ndarray, np.ndarray]:
        """Screening at camps (M25): the camp's holder detains a share ``screening`` of the
        arriving men of service age (through the wanted book: event ``detained``, reason
        screening). Returns the people who stay, and their keys."""
        held = self._screened(sim, day, ids, at, tag)
        if held is None:
            return ids, keys
        return ids[~held], keys[~held]

    def _screened(self, sim: Simulation, day: int, ids: np.ndarray, at: np.ndarray,
                  tag: str) -> np.ndarray | None:
        """The screening of :meth:`_screen`: a mask of ``ids`` (arriving at camps ``at``)
        detained, None where no camp screens."""
        share = self.camps.screening[at]
        if not (share > 0).any():
            return None
        people = sim.people
        lo, hi = self.params.service_ages.value
        age = people.age_years(day, ids)
        man = (people.sex[ids] == 1) & (age >= lo) & (age <= hi)
        held = man & (sim.person_uniform(f"flight.screening.{tag}", ids) < share)
        if held.any():
            holder = sim.world.control[day].astype(np.int64)[at[held]]
            book = wanted_book(sim)
            self.parties.stopped(ids[held])
            for a in unique(holder):
                book.detain(sim, ids[held][holder == a], int(a), day, "screening")
        return np.asarray(held, dtype=bool)

    def _wanted_by(self, sim: Simulation, ids: np.ndarray) -> np.ndarray:
        """The actor that wants each of ``ids`` (the wanted book's), else the actor holding
        their place today."""
        book = sim.get(WantedBook)
        if book is not None:
            return book.wanted_by[ids].astype(np.int64)
        return sim.world.control[sim.day].astype(np.int64)[sim.people.place[ids]]

    def _add_travellers(self, ids: np.ndarray) -> None:
        """Append ``ids`` to the travellers, at a place, with no wait and no previous place:
        written into spare room at the end of the traveller arrays (buffers of twice the
        size needed when they have none; the arrays are their leading parts: views of them
        are only ever made by slicing ``[:m]``)."""
        n, k = self.t_ids.size, ids.size
        cur = (self.t_ids, self.t_link, self.t_left, self.t_wait, self.t_prev)
        bufs = self._t_bufs
        if not (bufs and bufs[0].size >= n + k
                and all(a.base is b for a, b in zip(cur, bufs, strict=True))):
            cap = max(2 * (n + k), 1024)
            bufs = tuple(np.empty(cap, dtype=a.dtype) for a in cur)
            for a, b in zip(cur, bufs, strict=True):
                b[:n] = a
            self._t_bufs = bufs
        b_ids, b_link, b_left, b_wait, b_prev = bufs
        b_ids[n:n + k] = ids
        b_link[n:n + k] = -1
        b_left[n:n + k] = 0.0
        b_wait[n:n + k] = 0
        b_prev[n:n + k] = -1
        self.t_ids, self.t_link, self.t_left, self.t_wait, self.t_prev = (
            b[:n + k] for b in bufs)

    # -- M25 camps ---------------------------------------------------------------------------
    def _camp_exits(self, sim: Simulation, day: int) -> None:
        """Camp exits as the camps' rules allow (M25): residents of camps whose exit rule is
        sponsorship find a sponsor with their camp's daily chance (event ``sponsored``);
        sponsored residents, and all residents of camps with free exit, may go home when it
        is safe (the returns module) or move on after stays of weeks (event
        ``camp_exit``); residents of camps with organised exit leave only by convoys."""
        p, camps = self.params, self.camps
        rate = np.where(camps.has_rules, camps.exit_per_day, p.sponsor_per_day.value)
        allowed = camps.exit == EXITS.index("sponsorship")
        new = self.displaced_book.sponsor(sim, day, rate, allowed)
        if new.size:
            sim.record.events("sponsored", sim.people.place[new])
        ids = self.displaced_book.sponsored_exits(sim, day, p.camp_stay_days_mean.value,
                                                  camps.exit != EXITS.index("organised"))
        if ids.size == 0:
            return
        sim.record.events("camp_exit", sim.people.place[ids], reason="sponsored")
        self.parties.avoid_camps(ids)
        sim.people.set(ids, day, state=State.TRANSIT)
        self._add_travellers(ids)

    def _arrivals_in(self, sim: Simulation, day: int) -> None:
        """People from outside the governorate (timeline ``arrivals``; made at set-up by
        :mod:`ranks.arrivals`) arrive at their destination, an equal share of the group's
        households a day: event ``entered`` (place = origin, reason outside, destination);
        screened at camps; those the event calls displaced (from elsewhere in the country)
        are counted as displaced from their origin and may go back."""
        for gi, g in enumerate(self.arrivals):
            if not g.start_day <= day < g.end_day:
                continue
            target = int(round(g.hh.size * (day - g.start_day + 1) / (g.end_day - g.start_day)))
            hh_ids = np.sort(g.hh[self._arrived[gi]:target])
            self._arrived[gi] = target
            if hh_ids.size == 0:
                continue
            ids, keys = self.parties.members(hh_ids)
            live = sim.people.state[ids] == State.ABROAD
            ids, keys = ids[live], keys[live]
            sim.record.events("entered", np.full(ids.size, g.origin), reason="outside",
                              destination=g.destination)
            dest = g.destination
            in_camp = bool(self.routes.is_camp[dest])
            sim.people.set(ids, day, state=State.CAMP if in_camp else State.CIVILIAN,
                           place=np.full(ids.size, dest))
            if in_camp:
                ids, keys = self._screen(sim, day, ids, keys, np.full(ids.size, dest),
                                         f"arrivals.{gi}")
            ev = sim.scenario.timeline[g.event_index]
            if ev.args.get("displaced"):
                feared = sim.world.actor_index.get(str(ev.args.get("fled_from")), -1)
                self.parties.displaced_from_elsewhere(ids, feared)
                self.displaced_book.count(ids, +1)
                free = np.full(keys.size, in_camp and self.camps.exit[dest] == EXITS.index(
                    "free"))
                self.displaced_book.remember(keys, free)

    def _camp_residents(self, sim: Simulation, day: int, places: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Displaced people (and their party keys) in camps at ``places``."""
        pool = self.displaced_book.parties_today(sim, day)
        ids, k = self.displaced_book.members(unique(pool), State.CAMP)
        here = np.isin(sim.people.place[ids], places)
        return ids[here], k[here]

    def _camp_closures(self, sim: Simulation, day: int) -> None:
        """A camp that closes today sends its residents to its ``transfer_to`` camp (event
        ``evacuated``, reason transfer) or on their way (event ``camp_exit``, reason
        closed)."""
        for c in self.camps.closing_today(day):
            ids, keys = self._camp_residents(sim, day, np.array([c]))
            if ids.size == 0:
                continue
            self.displaced_book.count(ids, -1)
            dest = int(self.camps.transfer_to[c])
            if dest >= 0:
                sim.record.events("evacuated", sim.people.place[ids], reason="transfer",
                                  destination=dest)
                self.bits[ids] &= np.uint8(~SPONSORED & 0xFF)
                self._settle_at(sim, day, ids, keys, dest, f"closure.{c}")
            else:
                sim.record.events("camp_exit", sim.people.place[ids], reason="closed")
                self.parties.avoid_camps(ids)
                sim.people.set(ids, day, state=State.TRANSIT)
                self._add_travellers(ids)

    def _convoys(self, sim: Simulation, day: int) -> None:
        """Organised departures of camp residents (evacuations with ``who: residents``): a
        share of the parties a day taken to the destination (event ``evacuated``). Thinning
        over the displaced pool (common random numbers per day)."""
        for j, e in enumerate(self.evacuations):
            if e.who != "residents" or not e.active(day):
                continue
            pool = self.displaced_book.parties_today(sim, day)
            keys = unique(sim.thin_candidates(f"flight.convoy.{j}", day, e.share_per_day,
                                                 pool))
            ids, k = self.displaced_book.members(keys, State.CAMP)
            here = np.isin(sim.people.place[ids], e.places)
            ids, k = ids[here], k[here]
            if ids.size == 0:
                continue
            self.displaced_book.count(ids, -1)
            sim.record.events("evacuated", sim.people.place[ids], reason=e.kind,
                              destination=e.destination)
            self.bits[ids] &= np.uint8(~SPONSORED & 0xFF)
            self._settle_at(sim, day, ids, k, e.destination, f"convoy.{j}")

    # -- M23, M24 travel ---------------------------------------------------------------------
    def _travel(self, sim: Simulation, day: int) -> None:
        """Legs of the day: at a place a party moves on with Flee's move chance and picks a
        path; it covers links at the speed of their kind; at a link's end, hazards, then it
        may stop (:meth:`_arrive`)."""
        people, w, routes = sim.people, sim.world, self.routes
        # drop travellers whom another module moved (conscripted, detained, dead)
        keep = people.state[self.t_ids] == State.TRANSIT
        if not keep.all():
            self._subset(keep)
        if self.t_ids.size == 0:
            return
        control, front = w.control[day], w.front[day]
        closed = self._besieged | (routes.is_camp & ~self.camps.is_open(day))
        score = routes.scores(control, front, people.by_place_state[:, State.CAMP], self.A,
                              closed)
        waiting = self.t_wait > 0
        self.t_wait[waiting] -= 1
        budget = np.where(waiting, 0.0, 1.0)  # days of travel left today
        for wave in range(self.params.max_legs_per_day.value):
            self._set_out(sim, wave, budget, score, control, front)
            moving, arrive = self._advance(budget)
            if not moving:
                break
            if arrive.size:
                gone = self._arrive(sim, day, wave, arrive)
                if gone.size:
                    keep = np.ones(self.t_ids.size, dtype=bool)
                    keep[gone] = False
                    budget = self._subset_budget(keep, budget)
                budget[self.t_wait > 0] = 0.0  # hosted by relatives: the next leg waits

    def _set_out(self, sim: Simulation, wave: int, budget: np.ndarray, score: np.ndarray,
                 control: np.ndarray, front: np.ndarray) -> None:
        """Departures of a wave: travellers at a place with travel time left today
        (``budget``, days) move on with Flee's move chance and pick a path (one uniform per
        party: below the move chance, rescaled, it picks the path); those who start on a
        link get its travel time, the others stop for the day. In place."""
        people, routes, p = sim.people, self.routes, self.params
        if kernels.ENABLED:  # the same numbers, in one compiled loop (ranks.kernels)
            name = f"flight.move.{wave}"
            sim.person_uniform(name, _EMPTY)  # the stream drawn today
            kernels.set_out_on_links(
                self.t_ids, self.t_link, self.t_left, self.t_prev, budget, people.place,
                self.fled_from, self.bits, self.parties.household, self.H, LONE, NOCAMP,
                SMUGGLED, rng._base(sim.seed, name, sim.day), rng._GOLD, rng._M1, rng._M2,
                control, front, front.dtype.type(p.safe_front_max.value),
                float(p.town_movechance.value), score, routes.path_of, routes.path_end,
                routes.path_dist_w, routes.path_next, routes.path_link, routes.path_desert,
                routes.is_camp, float(p.desert_preference.value), BACK_FACTOR, routes.P,
                routes.l_km, routes.speed, routes.l_kind, *routes.group_tables(self.A))
            return
        at_place = (self.t_link < 0) & (budget > 0)
        if not at_place.any():
            return
        i = np.flatnonzero(at_place)
        ids = self.t_ids[i]
        at = people.place[ids].astype(np.int64)
        u = sim.person_uniform(f"flight.move.{wave}", self.parties.key(ids))
        feared = self.fled_from[ids].astype(np.int64)
        mc = routes.move_chance(at, self.t_prev[i], feared, control, front)
        move = u < mc
        budget[i[~move]] = 0.0
        i, ids, at, feared = i[move], ids[move], at[move], feared[move]
        # given a move, u / mc is uniform again: it picks the path
        b = self.bits[ids]
        link = routes.choose(at, self.t_prev[i], feared, (b & NOCAMP) != 0,
                             (b & SMUGGLED) != 0, score, u[move] / mc[move], self.A)
        go = link >= 0
        self.t_link[i[go]] = link[go]
        self.t_left[i[go]] = (routes.l_km[link[go]] / routes.speed[routes.l_kind[link[go]]])
        budget[i[~go]] = 0.0

    def _advance(self, budget: np.ndarray) -> tuple[bool, np.ndarray]:
        """Travellers on a link with travel time left today cover what they can of it:
        whether any was moving, and the positions of those who reach the link's end."""
        if kernels.ENABLED:  # the same, in one compiled loop (ranks.kernels)
            moving_any, arrive = kernels.advance(self.t_link, self.t_left, budget)
            return bool(moving_any), arrive
        moving = (self.t_link >= 0) & (budget > 0)
        if not moving.any():
            return False, _EMPTY
        i = np.flatnonzero(moving)
        step = np.minimum(self.t_left[i], budget[i])
        self.t_left[i] -= step
        budget[i] -= step
        return True, i[self.t_left[i] <= 1e-9]

    def _subset(self, keep: np.ndarray) -> None:
        """Keep the travellers where ``keep``."""
        if kernels.ENABLED:  # in place, in one compiled loop (ranks.kernels)
            self._compact(keep, self.t_left, False)
            return
        self.t_ids, self.t_link, self.t_left = (self.t_ids[keep], self.t_link[keep],
                                                self.t_left[keep])
        self.t_wait, self.t_prev = self.t_wait[keep], self.t_prev[keep]

    def _subset_budget(self, keep: np.ndarray, budget: np.ndarray) -> np.ndarray:
        """Keep the travellers where ``keep``; returns their ``budget``."""
        if kernels.ENABLED:  # in place, in one compiled loop (ranks.kernels)
            return budget[: self._compact(keep, budget, True)]
        self._subset(keep)
        return budget[keep]

    def _compact(self, keep: np.ndarray, budget: np.ndarray, has_budget: bool) -> int:
        m = int(kernels.compact(keep, self.t_ids, self.t_link, self.t_left, self.t_wait,
                                self.t_prev, budget, has_budget))
        self.t_ids, self.t_link, self.t_left = (self.t_ids[:m], self.t_link[:m],
                                                self.t_left[:m])
        self.t_wait, self.t_prev = self.t_wait[:m], self.t_prev[:m]
        return m

    def _minefields_today(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Today's minefields (``rates.minefields`` with links) for the compiled hazards:
        a row of links mined by each, its chance and its actor (-1 none), in order."""
        mf = [m for m in self.rates.minefields if m.links is not None]
        on = np.zeros((len(mf), 2 * self.routes.R), dtype=bool)
        for r, m in enumerate(mf):
            on[r, np.asarray(m.links, dtype=np.int64)] = True
        return (on, np.array([float(m.value) for m in mf], dtype=np.float64),
                np.array([int(m.actor) for m in mf], dtype=np.int64))

    def _hazards(self, sim: Simulation, day: int, wave: int, i: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                            np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Hazards of travellers at positions ``i`` finishing their link (``hazards``):
        their ids, link start and end, party keys; who is stopped (1 by a checkpoint, 2 by
        a patrol, 0 neither: one uniform per party, below the checkpoint chance a
        checkpoint, then a patrol), by which actor (-1 none), the uniform rescaled to the
        stop chance (it draws the outcome); who hits a mine unless stopped (past both, the
        rest of the interval, rescaled), and the actor behind each mine."""
        routes, rates = self.routes, self.rates
        book = sim.get(WantedBook)
        name = f"flight.hazard.{wave}"
        if kernels.ENABLED and all(a is None or a.dtype == np.float64
                                   for a in (rates.campaign, rates.patrols)):
            # the same numbers, in one compiled loop (ranks.kernels)
            empty = np.zeros(0)
            ids, frm, to, keys, stop, actor, u_rel, mine, mine_actor, any_hazard = (
                kernels.arrive_hazards(
                    i, self.t_ids, self.t_link, routes.l_from, routes.l_to, routes.l_kind,
                    self.bits, self.parties.household, self.H, LONE, SMUGGLED,
                    self.fled_from, book.wanted_by if book is not None else _NO_WANTED,
                    book is not None, sim.world.control[day], rates.checkpoint_by_kind,
                    float(rates.smuggled_factor),
                    rates.campaign if rates.campaign is not None else empty,
                    rates.campaign is not None, float(rates.campaign_scale),
                    float(rates.patrol_desert),
                    rates.patrols if rates.patrols is not None else empty,
                    rates.patrols is not None, rates.mine_by_kind, rates.ban, DESERT,
                    *self._mines, rng._base(sim.seed, name, sim.day), rng._GOLD, rng._M1,
                    rng._M2))
            if any_hazard:
                sim.person_uniform(name, _EMPTY)  # the stream drawn today
            return ids, frm, to, keys, stop, actor, u_rel, mine, mine_actor
        ids = self.t_ids[i]
        link = self.t_link[i]
        frm, to, kind = routes.l_from[link], routes.l_to[link], routes.l_kind[link]
        keys = self.parties.key(ids)
        feared = self.fled_from[ids].astype(np.int64)
        wanted = self._wanted_by(sim, ids) if book is not None else feared
        smuggled = (self.bits[ids] & SMUGGLED) != 0
        hz = hazard_chances(rates, link, frm, to, kind, sim.world.control[day], feared,
                            wanted, smuggled)
        n = i.size
        stop = np.zeros(n, dtype=np.int8)
        actor = np.full(n, -1, dtype=np.int64)
        u_rel = np.zeros(n)
        mine = np.zeros(n, dtype=bool)
        p_stop = hz.p_stop
        if p_stop.any() or hz.p_mine.any():
            u = sim.person_uniform(name, keys)
            stop_cp = u < hz.p_checkpoint
            stop_pat = ~stop_cp & (u < p_stop)
            stop[stop_cp] = 1
            stop[stop_pat] = 2
            actor[stop_cp] = hz.checkpoint_actor[stop_cp]
            actor[stop_pat] = hz.patrol_actor[stop_pat]
            s = stop_cp | stop_pat
            u_rel[s] = u[s] / p_stop[s]
            # past both stops only: a party stopped does not also walk onto a mine
            mine = (u >= p_stop) & ((u - p_stop) / np.maximum(1.0 - p_stop, 1e-12)
                                    < hz.p_mine)
        return ids, frm, to, keys, stop, actor, u_rel, mine, hz.mine_actor

    def _arrive(self, sim: Simulation, day: int, wave: int, i: np.ndarray) -> np.ndarray:
        """Travellers at positions ``i`` finish their link: hazards (:meth:`_hazards`), then
        stop or go on. Returns positions that left the travellers."""
        p, people, routes, w = self.params, sim.people, self.routes, sim.world
        ids, frm, to, keys, stop, actor, u_rel, mine, mine_actor = self._hazards(
            sim, day, wave, i)
        gone = np.zeros(i.size, dtype=bool)
        for code, hazard in ((1, Hazard.CHECKPOINT), (2, Hazard.PATROL)):
            sel = np.flatnonzero(stop == code)
            if sel.size:
                through = self._interdict(sim, day, wave, ids[sel], actor[sel], to[sel],
                                          hazard, u_rel[sel])
                gone[sel[~through]] = True
        hit = mine & ~gone
        if hit.any():
            die = hit & (sim.person_uniform(f"flight.mine_kill.{wave}", ids)
                         < p.mine_lethality.value)
            sim.record.events("mine_death", people.place[ids[die]], actor=mine_actor[die])
            for a in unique(mine_actor[die]):  # deaths are requested per responsible actor
                sim.request_death(ids[die & (mine_actor == a)], "mine", int(a))
            gone |= die
        # on to the link's end: whether it is safe there, whether it is a camp to enter
        control, front = w.control[day], w.front[day]
        if kernels.ENABLED:  # the same, in one compiled loop (ranks.kernels)
            g_ids, g_keys, g_to, pos, ctrl, safe, camp = kernels.go_on(
                i, gone, ids, keys, frm, to, self.t_prev, self.t_link, self.t_left, control,
                front, front.dtype.type(p.safe_front_max.value), self.fled_from, self.bits,
                NOCAMP, routes.is_camp)
        else:
            go = ~gone
            g_ids, g_keys, g_to, pos = ids[go], keys[go], to[go], i[go]
            self.t_prev[pos] = frm[go]
            self.t_link[pos] = -1
            self.t_left[pos] = 0.0
            ctrl = control.astype(np.int64)[g_to]
            safe = (ctrl != self.fled_from[g_ids]) & (front[g_to] < p.safe_front_max.value)
            camp = routes.is_camp[g_to] & ((self.bits[g_ids] & NOCAMP) == 0)
        people.set(g_ids, day, place=g_to)
        out = self._stop(sim, day, wave, g_ids, g_keys, g_to, pos, ctrl, safe, camp)
        return np.concatenate([i[gone], pos[out]])

    def _stop(self, sim: Simulation, day: int, wave: int, ids: np.ndarray, keys: np.ndarray,
              at: np.ndarray, pos: np.ndarray, ctrl: np.ndarray, safe: np.ndarray,
              camp: np.ndarray) -> np.ndarray:
        """Where a party ends its journey (camp with room, abroad, settle in a safe town) or
        waits with relatives; ``ctrl``: the holder of each place ``at``, ``safe``: whether
        it is safe for each, ``camp``: whether each would enter it as a camp (changed in
        place). Returns a mask of those who left the travellers."""
        p, people, w, routes = self.params, sim.people, sim.world, self.routes
        out = np.zeros(ids.size, dtype=bool)
        if camp.any():
            # the camp's rules (M25): closed, held by the actor fled, or full: turned away
            sel = np.flatnonzero(camp)
            verdict = self.camps.admit(day, at[sel], keys[sel], self.fled_from[ids[sel]],
                                       w.control[day].astype(np.int64),
                                       people.by_place_state[:, State.CAMP])
            away = sel[verdict >= 0]
            if away.size:
                sim.record.events("turned_away", at[away], reason=verdict[verdict >= 0],
                                  reasons=TURNED_AWAY)
                self.parties.avoid_camps(ids[away])
                camp[away] = False
                sel = np.flatnonzero(camp)
            if sel.size:  # screening of those admitted
                held = self._screened(sim, day, ids[sel], at[sel], f"stop.{wave}")
                if held is not None and held.any():
                    out[sel[held]] = True
                    camp[sel[held]] = False
        s_ch, h_ch = float(p.settle_chance.value), float(p.host_chance.value)
        name = f"flight.stop.{wave}"
        if kernels.ENABLED:  # the same, in one compiled loop (ranks.kernels)
            end, state, abroad, settled, hosted, any_town = kernels.journey_ends(
                at, keys, camp, safe, routes.is_abroad, routes.is_town, s_ch, h_ch,
                int(State.CAMP), int(State.ABROAD), int(State.CIVILIAN),
                rng._base(sim.seed, name, sim.day), rng._GOLD, rng._M1, rng._M2)
            if any_town:
                sim.person_uniform(name, _EMPTY)  # the stream drawn today
        else:
            is_abroad = routes.is_abroad[at]
            town = routes.is_town[at] & safe & ~camp & ~is_abroad
            u = sim.person_uniform(name, keys) if town.any() else np.ones(ids.size)
            settle = town & (u < s_ch)
            host = town & ~settle & (u < s_ch + (1.0 - s_ch) * h_ch)
            end = np.flatnonzero(camp | is_abroad | settle)
            state = np.where(camp[end], int(State.CAMP), np.where(
                is_abroad[end], int(State.ABROAD), int(State.CIVILIAN)))
            abroad, settled, hosted = (np.flatnonzero(is_abroad), np.flatnonzero(settle),
                                       np.flatnonzero(host))
        if end.size:  # journeys end: in a camp, abroad, or settled in a safe town
            sel_ids = ids[end]
            people.set(sel_ids, day, state=state)
            self.displaced_book.count(sel_ids, +1)
            sim.record.events("arrived", people.home[sel_ids], actor=ctrl[end],
                              destination=at[end])
            # the pool takes camps' parties first, then those abroad, then the settled
            if camp.any():
                c = np.flatnonzero(camp)
                self.displaced_book.remember(
                    keys[c], self.camps.exit[at[c]] == EXITS.index("free"))
            for sel in (abroad, settled):
                if sel.size:
                    self.displaced_book.remember(keys[sel])
            out[end] = True
        if hosted.size:
            days = -np.log(np.maximum(sim.person_uniform(f"flight.host_days.{wave}",
                                                         keys[hosted]), 1e-12))
            self.t_wait[pos[hosted]] = np.maximum(np.rint(days * p.host_days_mean.value), 1)
        return out

    def _interdict(self, sim: Simulation, day: int, wave: int, ids: np.ndarray,
                   actor: np.ndarray, toward: np.ndarray, hazard: Hazard, u: np.ndarray
                   ) -> np.ndarray:
        """Intercepted parties (M24): what happens to them is the intercepting actor's
        practice in force today, by kind of person (the coercion module's table, see
        :func:`~ranks.modules.flight.hazards.interception_outcome`): sent back home, fined
        and sent back, let through for a fee, detained, conscripted or killed; caught
        deserters go to the leaving module's deterrence (M19). Returns a mask of those let
        through (they go on)."""
        people, parties = sim.people, self.parties
        book = wanted_book(sim)
        coercion = sim.get(Coercion)
        table = (coercion.interception if coercion is not None
                 else default_interception_table(self.A))
        fl = people.flags[ids]
        oc, kind, deserter = interceptions(people, book.wanted_by, day, ids, actor, u, table)
        any_deserter = bool(deserter.any())
        acts = unique(actor[~deserter]) if any_deserter else unique(actor)
        for a in acts.tolist():  # fines, fees, detention, conscription, death
            fine, fee, to = (coercion.caught_terms(a) if coercion is not None
                             else (0.0, 0.0, a))
            if acts.size == 1 and not any_deserter:  # all of them (most calls)
                oc = book.caught(sim, ids, a, oc, kind, day, "interdiction", fine, fee, to)
                continue
            sel = (actor == a) & ~deserter
            oc[sel] = book.caught(sim, ids[sel], a, oc[sel], kind[sel], day,
                                  "interdiction", fine, fee, to)
        passed = oc == Outcome.PASSED
        parties.stopped(ids[~passed])
        where = people.place[ids].astype(np.int64)  # the place of interception
        back = oc == int(Outcome.RETURNED)
        if back.any():
            b_ids = ids[back]
            sim.record.events("turned_back", where[back], actor=actor[back])
            wanted = (fl[back] & Flag.WANTED) != 0
            people.set(b_ids, day, state=np.where(wanted, int(State.HIDING),
                                                  int(State.CIVILIAN)),
                       place=people.home[b_ids])
        sim.record.events("interdicted", where, actor=actor, reason=oc, destination=toward,
                          reasons=_INTERDICTED[hazard])
        for a in unique(actor[deserter]):
            s_ids = ids[deserter & (actor == a)]
            if book.punish_deserters is not None:
                book.punish_deserters(sim, s_ids, int(a), day, "flight",
                                      draw=f".{hazard.name.lower()}.{wave}")
            else:
                book.detain(sim, s_ids, int(a), day, "flight")
        return passed
