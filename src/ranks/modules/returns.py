"""Returns: displaced people go home when home is safe again, in waves after a place is
retaken, held back by the front's nearness, mines, damage and fear of the new holder (M27).

Requires: the flight module (``sim.get(Flight)``: its pool of displaced parties, party
members, whom each fled from, the camps' exit rules, expulsions and sieges, and
``Flight.mark_returned`` for those who go home); ``world.control``, ``world.front`` and its
kinds; the conditions at home of :mod:`ranks.conditions`.

Outputs: event ``returned`` (reason ``safe``; place = where the party returns from,
destination = home, actor = the actor holding home); ``mine_death`` (reason return) and
deaths ``mine`` of returnees who hit a mine left at home.

Step behaviour, each day: candidate parties are drawn by thinning from the displaced pool
(camps, abroad, settled in towns away from home) at the largest daily chance; a party is
accepted with its own chance divided by that bound, and only when home is safe: held by an
actor other than the one it fled (and held by someone), with front intensity below
``safe_front_max`` (residual intensity after the fighting moved on, kind ``calm``, does not
count), at least ``min_days_away`` days after it left, not barred by an expulsion, and,
from a camp, when the camp's exit rule lets the party out (free exit, or a sponsor found:
M25). Its own chance is the base rate by where it is (camp, town, abroad) times the
conditions at home:

    wave     wave_floor + (1 - wave_floor) * 2 ** (-days since home became safe /
             wave_half_life_days)   (safe again: retaken, the front gone, a siege lifted)
    front    min(1, km to the nearest front of at least front_min_intensity / front_safe_km)
             x (1 - the front's intensity at home, unless calm)
    mines    1 - contamination (left by a mining actor, halving every mine_half_life_days)
    services 1 - damage (from fighting, healing with recovery_half_life_days)
    holder   conscription_return_factor for a party with a man of service age going back
             to a holder that conscripts (``conscripting_actors``)

Members of a party return together (state CIVILIAN at home); each returnee may die of a
mine at home with chance ``return_mine_death`` x contamination. Counts keep common random
numbers per day (thinning), acceptance is keyed by the party. A party listed twice in the
pool (between its compactions) has about twice the chance to be drawn until then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from ranks import kernels
from ranks.arrays import unique
from ranks.conditions import front_distance, mine_contamination, place_distances, service_damage
from ranks.modules.actors import NonNeg, NonNegInt, PosF, Prob
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.flight import SPONSORED, Flight
from ranks.modules.flight.camp_rules import EXITS
from ranks.modules.flight.camps import DISPLACED_STATE
from ranks.modules.flight.parties import FLED, LONE
from ranks.modules.flight.sieges import return_barred
from ranks.population import State
from ranks.scenario.model import FRONT_KINDS, P, Scenario

if TYPE_CHECKING:
    from ranks.engine import Simulation

_CALM = FRONT_KINDS.index("calm")


class ReturnsParams(ModuleParams):
    """Daily chances of a displaced party to go home once home is safe, and the conditions
    at home that hold returns back (distances in km, times in days)."""

    from_camp_per_day: P[Prob] = P(
        value=0.1, source="ret-hajin-2019-01",
        note="camp residents free to leave (free exit, or a sponsor found: the camp's exit "
        "rule is the gate) go home within days once home is safe (20-25,000 back in Hajin "
        "within a month of its capture); daily chance assumed")
    from_town_per_day: P[Prob] = P(
        value=0.01, source="ret-2018-01-to-2019-04-ocha",
        note="displaced living in towns return weeks to months after home is safe; value "
        "fitted with wave_half_life_days to the 317,000 returns of Jan 2018-Apr 2019 "
        "(docs/calibration.md)")
    from_abroad_per_day: P[Prob] = P(
        value=0.002, assumption="people abroad return more slowly (a year on average): "
        "crossing back is costly and risky")
    safe_front_max: P[Prob] = P(
        value=0.5, assumption="home counts as safe below this front intensity (residual "
        "intensity of kind calm aside); below it a front at home still lowers the chance by "
        "the factor 1 - intensity")
    min_days_away: P[NonNegInt] = P(
        value=7, assumption="nobody turns round within a week of leaving")
    wave_half_life_days: P[PosF] = P(
        value=180.0, source="ret-2018-01-to-2019-04-ocha",
        note="returns come in waves after home becomes safe, then slow down: 317,000 back in "
        "Jan 2018-Apr 2019, a few thousand a month later in 2019 (ret-ocha-monthly-*); "
        "half-life fitted with from_town_per_day")
    wave_floor: P[Prob] = P(
        value=0.2, assumption="long after home became safe, a fifth of the wave's chance "
        "remains")
    front_min_intensity: P[Prob] = P(
        value=0.5, assumption="a front this intense (and not calm) keeps people from "
        "returning near it")
    front_safe_km: P[PosF] = P(
        value=30.0, source="ret-hajin-2019-01",
        note="people went back to the Hajin area within weeks while the front was at "
        "al-Baghuz about 30 km on: the chance grows linearly with the distance to the nearest "
        "front up to this (km; shape assumed)")
    conscripting_actors: P[list[str]] = P(
        value=[], assumption="holders whose conscription men of service age fear on return: "
        "the scenario names them")
    conscription_return_factor: P[Prob] = P(
        value=0.5, source="ret-2018-11-salihiya",
        note="deserters and evaders returning to government areas had to settle their status "
        "first: factor on the return chance of a party with a man of service age going back "
        "to a conscripting holder (size assumed)")
    mining_actors: P[list[str]] = P(
        value=[], assumption="actors that leave mines where they withdraw: the scenario "
        "names them")
    mine_contamination: P[Prob] = P(
        value=0.5, source="seed-000",
        note="minefields scattered where ISIS held ground: contamination of a place when the "
        "mining actor leaves it, 0..1 (assumed)")
    mine_half_life_days: P[PosF] = P(
        value=180.0, assumption="contamination halves in six months (clearance; people learn "
        "where the mines are)")
    return_mine_death: P[Prob] = P(
        value=0.001, assumption="chance that a returnee dies of a mine at home, times the "
        "contamination")
    damage_per_day: P[Prob] = P(
        value=0.003, source="disp-sep-oct-2017-reach",
        note="fighting damages homes and services (58 of 135 communities uninhabited after "
        "Sep-Oct 2017): damage added a day at intensity 1 of an offensive (assumed)")
    damage_kind_weight: dict[str, P[NonNeg]] = Field(default_factory=lambda: {
        k: P(value=v, assumption="damage by kind of fighting, relative to an offensive")
        for k, v in (("offensive", 1.0), ("battle", 0.5), ("airstrike", 0.5),
                     ("shelling", 0.5), ("explosion", 0.3), ("siege", 0.3),
                     ("violence_against_civilians", 0.2), ("other", 0.0), ("calm", 0.0))})
    recovery_half_life_days: P[PosF] = P(
        value=365.0, assumption="services come back with a half-life of a year")


class Returns(Module[ReturnsParams]):
    """Displaced people return home when it is safe again (M27)."""

    name = "returns"
    mids = ("M27",)
    Params = ReturnsParams
    requires = (Flight,)

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: ReturnsParams) -> Problem | None:
        """Actors and front kinds named in the parameters exist."""
        ids = {a.id for a in scenario.actors}
        for field in ("conscripting_actors", "mining_actors"):
            for a in getattr(params, field).value:
                if a not in ids:
                    return f"unknown actor '{a}'", (field,)
        for k in params.damage_kind_weight:
            if k not in FRONT_KINDS:
                return f"unknown front kind '{k}' (one of {', '.join(FRONT_KINDS)})", (
                    "damage_kind_weight", k)
        return None

    def init(self, sim: Simulation) -> None:
        flight = sim.get(Flight)
        if flight is None:  # the registry and Simulation check ``requires``
            raise RuntimeError("the returns module needs the flight module")
        self.flight = flight
        p, w = self.params, sim.world
        self.dist = place_distances(w)
        self.mines = mine_contamination(w, [w.actor_index[a] for a in p.mining_actors.value],
                                        p.mine_contamination.value,
                                        p.mine_half_life_days.value)
        kw = np.array([p.damage_kind_weight[k].value if k in p.damage_kind_weight else 0.0
                       for k in FRONT_KINDS])
        self.damage = service_damage(w, kw, p.damage_per_day.value,
                                     p.recovery_half_life_days.value)
        self.conscripting = np.zeros(w.n_actors + 1, dtype=bool)  # index A: no holder
        for a in p.conscripting_actors.value:
            self.conscripting[w.actor_index[a]] = True
        #: the home place of each household when all its members share it (-1 if not):
        #: bounds a party's chance before its members are looked up (``step``)
        pt = flight.parties
        self.hh_home = np.full(pt.H, -1, dtype=np.int64)
        full = np.flatnonzero(np.diff(pt.hh_ptr) > 0)
        if full.size:  # each household's members stand together in hh_members
            homes = sim.people.home[pt.hh_members].astype(np.int64)
            lo = np.minimum.reduceat(homes, pt.hh_ptr[full])
            hi = np.maximum.reduceat(homes, pt.hh_ptr[full])
            self.hh_home[full] = np.where(lo == hi, lo, -1)
        #: the day each place last became unsafe (control changed, a front of at least
        #: front_min_intensity that is not calm, a siege): return waves start from it
        self.safe_since = np.zeros(w.n_places, dtype=np.int64)

    def _candidates(self, sim: Simulation, day: int, keys: np.ndarray, home_ok: np.ndarray,
                    ctrl_p: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Displaced members of candidate parties ``keys`` and their party keys; whether each
        may go home today (``safe``: home held by someone other than the actor fled and
        ``home_ok`` by place, away at least ``min_days_away``, let out by the camp's exit
        rule, M25); whether each one's party has a displaced man of service age. In one
        compiled loop when Numba is on (:func:`ranks.kernels.return_candidates`, the same
        arrays)."""
        flight, people, p = self.flight, sim.people, self.params
        lo, hi = flight.params.service_ages.value
        if kernels.ENABLED:
            pt = flight.parties
            return kernels.return_candidates(
                np.ascontiguousarray(keys, dtype=np.int64), pt.H, pt.hh_ptr, pt.hh_members,
                pt.bits, pt.fled_from, DISPLACED_STATE, people.state, people.place,
                people.home, people.since, people.sex, people.birth, day, home_ok, ctrl_p,
                int(State.CAMP), flight.camps.exit, EXITS.index("free"),
                EXITS.index("sponsorship"), FLED, LONE, SPONSORED, p.min_days_away.value,
                lo, hi)
        ids, k = flight.party_members(sim, keys)
        home = people.home[ids].astype(np.int64)
        at = people.place[ids].astype(np.int64)
        st = people.state[ids]
        safe = (home_ok[home] & (ctrl_p[home] != flight.fled_from[ids])
                & (day - people.since[ids] >= p.min_days_away.value) & (at != home))
        rule = flight.camps.exit[at]
        safe &= (st != State.CAMP) | (rule == EXITS.index("free")) | (
            (rule == EXITS.index("sponsorship")) & ((flight.bits[ids] & SPONSORED) != 0))
        years = people.age_years(day, ids)
        man = (people.sex[ids] == 1) & (years >= lo) & (years <= hi)
        _, party = np.unique(k, return_inverse=True)
        has_man = np.bincount(party, weights=man, minlength=1)[party] > 0
        return ids, k, safe, has_man

    def step(self, sim: Simulation, day: int) -> None:
        flight = self.flight
        p, people, w = self.params, sim.people, sim.world
        unsafe = (w.front[day] >= p.front_min_intensity.value) & (w.front_kind[day] != _CALM)
        if day > 0:
            unsafe |= w.control[day] != w.control[day - 1]
        unsafe |= flight.besieged_today
        self.safe_since[unsafe] = day
        rate = np.zeros(len(State))
        rate[State.CAMP] = p.from_camp_per_day.value
        rate[State.CIVILIAN] = p.from_town_per_day.value
        rate[State.HIDING] = p.from_town_per_day.value
        rate[State.ABROAD] = p.from_abroad_per_day.value
        p_max = float(rate.max())
        pool = flight.displaced_parties(sim, day)
        keys = unique(sim.thin_candidates("returns.candidates", day, p_max, pool))
        if keys.size == 0:
            return
        # the conditions at home are the same for everyone of a home place: one value per
        # place, then looked up by each returnee's home (the same numbers element by element)
        front, kind = w.front[day], w.front_kind[day]
        ctrl_p = w.control[day].astype(np.int64)
        calm_p = kind == _CALM
        home_ok = ((ctrl_p >= 0) & ((front < p.safe_front_max.value) | calm_p)
                   & ~return_barred(flight.expulsions, day, w.n_places))
        wave = p.wave_floor.value + (1.0 - p.wave_floor.value) * 0.5 ** (
            (day - self.safe_since) / p.wave_half_life_days.value)
        near = front_distance(w, day, self.dist, p.front_min_intensity.value)
        at_home = np.where(calm_p, 0.0, front.astype(np.float64))
        cond_p = (wave * np.clip(near / p.front_safe_km.value, 0.0, 1.0) * (1.0 - at_home)
                  * (1.0 - self.mines[day]) * (1.0 - self.damage[day]))
        # one number per party decides (below): a party goes only if it is below rate x
        # condition / p_max <= its home's condition (0 where home is not safe) x the holder
        # factor, so parties above that bound are dropped before their members are looked
        # up (the same returns; a small margin covers rounding). A household whose members
        # have different homes is bounded by the best condition of any safe home.
        fac = p.conscription_return_factor.value
        cond_ok = np.where(home_ok, cond_p, 0.0) * max(fac, 1.0)
        H = flight.parties.H
        lone = keys >= H
        k_home = np.where(lone, people.home[np.where(lone, keys - H, 0)],
                          self.hh_home[np.where(lone, 0, keys)])
        bound = np.where(k_home >= 0, cond_ok[np.maximum(k_home, 0)], cond_ok.max())
        u_key = sim.person_uniform("returns.accept", keys)
        maybe = u_key < bound * (1.0 + 1e-9)
        if not maybe.any():
            return
        keys, u_key = keys[maybe], u_key[maybe]
        ids, k, safe, has_man = self._candidates(sim, day, keys, home_ok, ctrl_p)
        sel = np.flatnonzero(safe)
        if sel.size == 0:
            return
        ids, k, has_man = ids[sel], k[sel], has_man[sel]
        home = people.home[ids].astype(np.int64)
        ctrl = ctrl_p[home]
        st = people.state[ids]
        # a party with a man of service age fears a conscripting holder
        fear = has_man & self.conscripting[np.where(ctrl >= 0, ctrl, w.n_actors)]
        cond = cond_p[home] * np.where(fear, fac, 1.0)
        u = u_key[np.searchsorted(keys, k)]  # each member's party's number
        go = u * p_max < rate[st] * cond
        ids, home, ctrl = ids[go], home[go], ctrl[go]
        if ids.size == 0:
            return
        sim.record.events("returned", people.place[ids], actor=ctrl, reason="safe",
                          destination=home)
        flight.mark_returned(sim, ids)
        people.set(ids, day, state=State.CIVILIAN, place=home)
        # mines left at home
        level = self.mines[day][home]
        if (level > 0).any():
            hit = sim.person_uniform("returns.mine", ids) < p.return_mine_death.value * level
            if hit.any():
                sim.record.events("mine_death", home[hit], reason="return")
                sim.request_death(ids[hit], "mine")
