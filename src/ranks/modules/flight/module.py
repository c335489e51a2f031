"""The flight module: the day of deciding, paying, travelling, stopping (M22-M25).

See the package docstring (:mod:`ranks.modules.flight`) for what it requires and records;
the parts live beside this file: ``decide`` (M22 terms), ``routes`` (M23 route choice on
the shared Flee rules), ``hazards`` (M24), ``camps`` (M25), ``parties``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ranks.errors import RanksInputError
from ranks.modules.base import Module, Problem
from ranks.modules.coercion import Coercion
from ranks.modules.economy import Economy
from ranks.modules.flight import decide
from ranks.modules.flight.camps import Displaced, camp_full
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
from ranks.modules.flight.parties import NOCAMP, SMUGGLED, Parties
from ranks.modules.flight.routes import Routes
from ranks.modules.practices import HELD_AGES, OTHERS, WANTED, default_interception_table
from ranks.modules.wanted import WantedBook, wanted_book
from ranks.population import Flag, State
from ranks.scenario.model import ROUTE_KINDS, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation

_EMPTY = np.zeros(0, dtype=np.int64)


class Flight(Module[FlightParams]):
    """Deciding to flee, smugglers, hazards, camps (M22-M25). See the package docstring."""

    name = "flight"
    mids = ("M22", "M23", "M24", "M25")
    Params = FlightParams
    event_types = ("closure", "smuggler_price", "minefield", "exit_ban",
                   "conscription_order", "checkpoint_campaign")
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
                      lambda day: self.displaced)

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
        if ev.type == "smuggler_price":
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
        self._decide(sim, day)
        self._camp_exits(sim, day)
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
        decisions += decide.front(sim, day, p, parties, self.settled)
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
        """Parties ``ids`` (lone men, or members of households) set out, if they can pay a
        smuggler where the actor holding their place bans exit (from savings, else relatives
        abroad pay with a chance: a trait of the party)."""
        if ids.size == 0:
            return
        people, hh, parties = sim.people, sim.households, self.parties
        place = people.place[ids].astype(np.int64)
        ctrl = sim.world.control[day].astype(np.int64)[place]
        feared = np.where(alone & ((people.flags[ids] & Flag.WANTED) != 0)
                          & (reason != int(Reason.FRONT)), self._wanted_by(sim, ids), ctrl)
        keys = self.H + ids if alone else parties.household_of(ids)
        ban = self._ban_today[np.where(ctrl >= 0, ctrl, self.A)] > 0
        smuggled = np.zeros(ids.size, dtype=bool)
        if ban.any():
            uk, inv, size = np.unique(keys[ban], return_inverse=True, return_counts=True)
            h = parties.household_of(uk - self.H) if alone else uk
            cost = self.price * size
            own = hh.savings[h] >= cost
            rel = ~own & (sim.trait("flight.relatives", uk)
                          < self.params.relatives_pay_chance.value)
            np.subtract.at(hh.savings, h[own], cost[own].astype(np.float32))
            paid = own | rel
            if (~paid).any():
                sim.record.events("stayed", place[ban][~paid[inv]], reason="cost")
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
        sim.record.events("fled", place, actor=feared, reason=reason, reasons=REASONS)
        parties.set_out(ids, feared, alone, smuggled)
        if (book := sim.get(WantedBook)) is not None:
            book.flight_started(ids)
        people.set(ids, day, state=State.TRANSIT)
        self._add_travellers(ids)

    def _wanted_by(self, sim: Simulation, ids: np.ndarray) -> np.ndarray:
        """The actor that wants each of ``ids`` (the wanted book's), else the actor holding
        their place today."""
        book = sim.get(WantedBook)
        if book is not None:
            return book.wanted_by[ids].astype(np.int64)
        return sim.world.control[sim.day].astype(np.int64)[sim.people.place[ids]]

    def _add_travellers(self, ids: np.ndarray) -> None:
        k = ids.size
        self.t_ids = np.concatenate([self.t_ids, ids])
        self.t_link = np.concatenate([self.t_link, np.full(k, -1, dtype=np.int64)])
        self.t_left = np.concatenate([self.t_left, np.zeros(k)])
        self.t_wait = np.concatenate([self.t_wait, np.zeros(k, dtype=np.int64)])
        self.t_prev = np.concatenate([self.t_prev, np.full(k, -1, dtype=np.int64)])

    # -- M25 camps ---------------------------------------------------------------------------
    def _camp_exits(self, sim: Simulation, day: int) -> None:
        """Sponsored camp residents leave after stays of weeks and move on."""
        p = self.params
        ids = self.displaced_book.sponsored_exits(sim, day, p.camp_stay_days_mean.value,
                                                  p.sponsor_share.value)
        if ids.size == 0:
            return
        sim.record.events("camp_exit", sim.people.place[ids], reason="sponsored")
        self.parties.avoid_camps(ids)
        sim.people.set(ids, day, state=State.TRANSIT)
        self._add_travellers(ids)

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
        score = routes.scores(control, front, people.by_place_state[:, State.CAMP], self.A)
        waiting = self.t_wait > 0
        self.t_wait[waiting] -= 1
        budget = np.where(waiting, 0.0, 1.0)  # days of travel left today
        for wave in range(self.params.max_legs_per_day.value):
            at_place = (self.t_link < 0) & (budget > 0)
            if at_place.any():
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
                self.t_left[i[go]] = (routes.l_km[link[go]]
                                      / routes.speed[routes.l_kind[link[go]]])
                budget[i[~go]] = 0.0
            moving = (self.t_link >= 0) & (budget > 0)
            if not moving.any():
                break
            i = np.flatnonzero(moving)
            step = np.minimum(self.t_left[i], budget[i])
            self.t_left[i] -= step
            budget[i] -= step
            arrive = i[self.t_left[i] <= 1e-9]
            if arrive.size:
                gone = self._arrive(sim, day, wave, arrive)
                if gone.size:
                    keep = np.ones(self.t_ids.size, dtype=bool)
                    keep[gone] = False
                    budget = budget[keep]
                    self._subset(keep)
                budget[self.t_wait > 0] = 0.0  # hosted by relatives: the next leg waits

    def _subset(self, keep: np.ndarray) -> None:
        self.t_ids, self.t_link, self.t_left = (self.t_ids[keep], self.t_link[keep],
                                                self.t_left[keep])
        self.t_wait, self.t_prev = self.t_wait[keep], self.t_prev[keep]

    def _arrive(self, sim: Simulation, day: int, wave: int, i: np.ndarray) -> np.ndarray:
        """Travellers at positions ``i`` finish their link: hazards (``hazards``), then
        stop or go on. Returns positions that left the travellers."""
        p, people, routes = self.params, sim.people, self.routes
        ids = self.t_ids[i]
        link = self.t_link[i]
        frm, to, kind = routes.l_from[link], routes.l_to[link], routes.l_kind[link]
        keys = self.parties.key(ids)
        feared = self.fled_from[ids].astype(np.int64)
        wanted = self._wanted_by(sim, ids) if sim.get(WantedBook) is not None else feared
        smuggled = (self.bits[ids] & SMUGGLED) != 0
        hz = hazard_chances(self.rates, link, frm, to, kind, sim.world.control[day], feared,
                            wanted, smuggled)
        gone = np.zeros(i.size, dtype=bool)
        p_stop = hz.p_stop
        if p_stop.any() or hz.p_mine.any():
            # one uniform per party: below p_checkpoint a checkpoint, then a patrol; past
            # both, the rest of the interval (rescaled) decides a mine
            u = sim.person_uniform(f"flight.hazard.{wave}", keys)
            stop_cp = u < hz.p_checkpoint
            stop_pat = ~stop_cp & (u < p_stop)
            for mask, actor, hazard in ((stop_cp, hz.checkpoint_actor, Hazard.CHECKPOINT),
                                        (stop_pat, hz.patrol_actor, Hazard.PATROL)):
                if mask.any():
                    through = self._interdict(sim, day, wave, ids[mask], actor[mask],
                                              to[mask], hazard, u[mask] / p_stop[mask])
                    gone[np.flatnonzero(mask)[~through]] = True
            u_mine = (u - p_stop) / np.maximum(1.0 - p_stop, 1e-12)
            hit = ~gone & (u_mine < hz.p_mine)
        else:
            hit = gone
        if hit.any():
            die = hit & (sim.person_uniform(f"flight.mine_kill.{wave}", ids)
                         < p.mine_lethality.value)
            mine_actor = hz.mine_actor
            sim.record.events("mine_death", people.place[ids[die]], actor=mine_actor[die])
            for a in np.unique(mine_actor[die]):  # deaths are requested per responsible actor
                sim.request_death(ids[die & (mine_actor == a)], "mine", int(a))
            gone |= die
        # on to the link's end
        go = ~gone
        g_ids, g_to = ids[go], to[go]
        people.set(g_ids, day, place=g_to)
        pos = i[go]
        self.t_prev[pos] = frm[go]
        self.t_link[pos] = -1
        self.t_left[pos] = 0.0
        stop = self._stop(sim, day, wave, g_ids, keys[go], g_to, pos)
        return np.concatenate([i[gone], pos[stop]])

    def _stop(self, sim: Simulation, day: int, wave: int, ids: np.ndarray, keys: np.ndarray,
              at: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Where a party ends its journey (camp with room, abroad, settle in a safe town) or
        waits with relatives. Returns a mask of those who left the travellers."""
        p, people, w, routes = self.params, sim.people, sim.world, self.routes
        ctrl = w.control[day].astype(np.int64)[at]
        safe = (ctrl != self.fled_from[ids]) & (w.front[day][at] < p.safe_front_max.value)
        out = np.zeros(ids.size, dtype=bool)
        camp = routes.is_camp[at] & ((self.bits[ids] & NOCAMP) == 0)
        if camp.any():
            sel = np.flatnonzero(camp)
            full = camp_full(routes.capacity, people.by_place_state[:, State.CAMP], at[camp],
                             keys[camp])
            self.parties.avoid_camps(ids[sel[full]])
            camp[sel[full]] = False
        abroad = routes.is_abroad[at]
        town = routes.is_town[at] & safe & ~camp & ~abroad
        s_ch = p.settle_chance.value
        u = (sim.person_uniform(f"flight.stop.{wave}", keys) if town.any()
             else np.ones(ids.size))
        settle = town & (u < s_ch)
        host = town & ~settle & (u < s_ch + (1.0 - s_ch) * p.host_chance.value)
        for mask, state in ((camp, State.CAMP), (abroad, State.ABROAD),
                            (settle, State.CIVILIAN)):
            if not mask.any():
                continue
            sel_ids = ids[mask]
            people.set(sel_ids, day, state=state)
            self.displaced_book.count(sel_ids, +1)
            sim.record.events("arrived", people.home[sel_ids], actor=ctrl[mask],
                              destination=at[mask])
            self.displaced_book.remember(sim, keys[mask], state == State.CAMP,
                                         p.sponsor_share.value)
            out |= mask
        if host.any():
            days = -np.log(np.maximum(sim.person_uniform(f"flight.host_days.{wave}",
                                                         keys[host]), 1e-12))
            self.t_wait[pos[host]] = np.maximum(np.rint(days * p.host_days_mean.value), 1)
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
        age = people.age_years(day, ids)
        fl = people.flags[ids]
        man = (people.sex[ids] == 1) & (age >= HELD_AGES[0]) & (age <= HELD_AGES[1])
        deserter = (((fl & Flag.WAS_MEMBER) != 0) & ((fl & Flag.EVADER) == 0)
                    & ((fl & Flag.WANTED) != 0))
        kind = np.where(book.wanted_by[ids].astype(np.int64) == actor, WANTED, OTHERS)
        oc = interception_outcome(u, table, actor, kind, man, deserter)
        for a in np.unique(actor[~deserter]):  # fines, fees, detention, conscription, death
            sel = (actor == a) & ~deserter
            fine, fee, to = (coercion.caught_terms(int(a)) if coercion is not None
                             else (0.0, 0.0, int(a)))
            oc[sel] = book.caught(sim, ids[sel], int(a), oc[sel], kind[sel], day,
                                  "interdiction", fine, fee, to)
        passed = oc == Outcome.PASSED
        parties.stopped(ids[~passed])
        where = people.place[ids].astype(np.int64)  # the place of interception
        back = oc == int(Outcome.RETURNED)
        if back.any():
            b_ids = ids[back]
            wanted = (fl[back] & Flag.WANTED) != 0
            people.set(b_ids[~wanted], day, state=State.CIVILIAN,
                       place=people.home[b_ids[~wanted]])
            people.set(b_ids[wanted], day, state=State.HIDING, place=people.home[b_ids[wanted]])
        sim.record.events("interdicted", where, actor=actor, reason=oc, destination=toward,
                          reasons=[f"{hazard.name.lower()}:{o}" for o in OUTCOME_NAMES])
        for a in np.unique(actor[deserter]):
            s_ids = ids[deserter & (actor == a)]
            if book.punish_deserters is not None:
                book.punish_deserters(sim, s_ids, int(a), day, "flight",
                                      draw=f".{hazard.name.lower()}.{wave}")
            else:
                book.detain(sim, s_ids, int(a), day, "flight")
        return passed
