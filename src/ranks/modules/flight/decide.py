"""Deciding to flee (M22): one function per term of the daily chance, each returning who
decided today and why (:class:`Decision`: decision units and their :class:`Reason`).

Terms (docs/odd.md, M22): conscription fear (men of service age where an order or a
checkpoint campaign of the actor holding their place is in force), planned flight (men who
chose flight under an order), punishment (wanted evaders and deserters), conflict
(households at places with fighting: Flee's conflict-driven spawning by kind, intensity and
people exposed, decaying over the episode), hardship (households that cannot meet their
needs), expulsion (an actor orders the residents out). A lone man with dependants is held
back by family ties. Households flee together; wanted men, evaders
and deserters alone. Candidates are drawn by thinning or binomial counts: common random
numbers per day, not per person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from ranks import kernels, rng
from ranks.arrays import unique
from ranks.conditions import conflict_chance
from ranks.modules.flight.params import FlightParams
from ranks.modules.flight.parties import FLED, Parties
from ranks.modules.wanted import FLEE_BIT, WantedBook
from ranks.population import N_STATES, Flag, Role, State

if TYPE_CHECKING:
    from ranks.engine import Simulation


class Reason(IntEnum):
    """Why a party fled (the ``reason`` of event ``fled``)."""

    CONSCRIPTION = 0
    PLANNED = 1
    PUNISHMENT = 2
    CONFLICT = 3
    HARDSHIP = 4
    EXPULSION = 5


#: Labels of :class:`Reason`, as written in the outputs.
REASONS = tuple(r.name.lower() for r in Reason)


@dataclass
class Decision:
    """Units that decided to flee today under one term: men alone (``alone``) or
    households, and the reason of each."""

    units: np.ndarray
    reason: np.ndarray
    alone: bool


def _decision(units: np.ndarray, reason: Reason | np.ndarray, alone: bool) -> Decision:
    r = (np.full(units.size, int(reason), dtype=np.int64) if isinstance(reason, Reason)
         else reason)
    return Decision(units, r, alone)


@dataclass
class Fear:
    """A window of conscription fear: men of ``ages`` at ``places`` (None: where ``actor``
    holds control when the window opens) fear ``actor`` from ``start`` until ``until``
    (day indices) at ``level`` (0..1). ``key`` names its draws by the event that opened it
    (type, actor, day), never by its position among the windows."""

    actor: int
    places: np.ndarray | None
    level: float
    start: int
    until: int
    ages: tuple[int, int]
    key: str
    pool: np.ndarray | None = None


#: States from which a party can set out (:func:`can_leave`), by state.
_CAN_LEAVE = np.isin(np.arange(N_STATES), [State.CIVILIAN, State.HIDING, State.DESERTED])
_EMPTY = np.zeros(0, dtype=np.int64)


def can_leave(sim: Simulation, parties: Parties, ids: np.ndarray) -> np.ndarray:
    """Civilians, the hiding and deserters who are not already fleeing."""
    st = sim.people.state[ids]
    return (((st == State.CIVILIAN) | (st == State.HIDING) | (st == State.DESERTED))
            & ((parties.bits[ids] & FLED) == 0))


def ties_ok(sim: Simulation, p: FlightParams, parties: Parties, ids: np.ndarray,
            stream: str) -> np.ndarray:
    """Family ties: a head of household with dependants stays with chance
    ``family_ties`` (one uniform per man from ``stream``)."""
    hh = sim.households
    h = parties.household_of(ids)
    deps = (hh.n_wives[h].astype(np.int64) + hh.n_children[h] + hh.n_parents[h]) > 0
    tied = (sim.people.role[ids] == Role.HEAD) & deps
    return ~tied | (sim.person_uniform(stream, ids) >= p.family_ties.value)


def fear_pool(sim: Simulation, day: int, fear: Fear) -> np.ndarray:
    """Men of the window's ages at its places (one scan of everyone, once a window)."""
    people = sim.people
    places = fear.places if fear.places is not None else np.flatnonzero(
        sim.world.control[day] == fear.actor)
    at = np.zeros(sim.world.n_places, dtype=bool)
    at[places] = True
    cand = np.flatnonzero(at[people.place] & (people.sex == 1))
    age = people.age_years(day, cand)
    return cand[(age >= fear.ages[0]) & (age <= fear.ages[1])]


def conscription(sim: Simulation, day: int, p: FlightParams, parties: Parties,
                 fear: Fear) -> list[Decision]:
    """Conscription fear under one window: men of its pool at places the feared actor
    holds, thinned at ``conscription_fear_per_day`` x level; some take their household
    (``family_goes_share``), the others go alone unless family ties hold them."""
    people = sim.people
    if fear.pool is None:
        fear.pool = fear_pool(sim, day, fear)
    ctrl = sim.world.control[day].astype(np.int64)
    chance = p.conscription_fear_per_day.value * fear.level
    ids = sim.thin_candidates(f"flight.fear.{fear.key}", day, chance, fear.pool)
    ids = ids[(ctrl[people.place[ids]] == fear.actor) & can_leave(sim, parties, ids)
              & ((people.flags[ids] & Flag.WANTED) == 0)]
    if ids.size == 0:
        return []
    with_family = (sim.person_uniform(f"flight.family_goes.{fear.key}", ids)
                   < p.family_goes_share.value)
    fam = parties.household_of(ids[with_family])
    ids = ids[~with_family]
    ids = ids[ties_ok(sim, p, parties, ids, f"flight.ties.{fear.key}")]
    return [_decision(fam, Reason.CONSCRIPTION, alone=False),
            _decision(ids, Reason.CONSCRIPTION, alone=True)]


def punishment(sim: Simulation, p: FlightParams, parties: Parties) -> list[Decision]:
    """Men the wanted book lists: those who chose flight under an order (planned), evaders
    and deserters (punishment) flee alone at their daily chances; family ties hold the
    unplanned."""
    book = sim.get(WantedBook)
    if book is None:
        return []
    people = sim.people
    W = book.wanted(sim)
    if kernels.ENABLED and W.size:  # the same, in one compiled loop (ranks.kernels)
        hh, d = sim.households, sim.day
        sim.person_uniform("flight.punishment", _EMPTY)  # the streams drawn today
        sim.person_uniform("flight.ties.punishment", _EMPTY)
        ids, why = kernels.punishment_flight(
            W, people.state, people.flags, people.role, people.household, parties.bits,
            book.bits, hh.n_wives, hh.n_children, hh.n_parents, _CAN_LEAVE, FLED, FLEE_BIT,
            int(Flag.WAS_MEMBER), int(Flag.EVADER), int(State.DESERTED), int(Role.HEAD),
            float(p.planned_flight_per_day.value), float(p.deserter_flight_per_day.value),
            float(p.evader_flight_per_day.value), float(p.family_ties.value),
            rng._base(sim.seed, "flight.punishment", d),
            rng._base(sim.seed, "flight.ties.punishment", d), rng._GOLD, rng._M1, rng._M2)
        return [_decision(ids, why, alone=True)]
    W = W[can_leave(sim, parties, W)]
    if W.size == 0:
        return []
    planned = book.planned_flight(W)
    deserter = (people.state[W] == State.DESERTED) | (
        ((people.flags[W] & Flag.WAS_MEMBER) != 0) & ((people.flags[W] & Flag.EVADER) == 0))
    daily = np.where(planned, p.planned_flight_per_day.value, np.where(
        deserter, p.deserter_flight_per_day.value, p.evader_flight_per_day.value))
    go = sim.person_uniform("flight.punishment", W) < daily
    go[~planned] &= ties_ok(sim, p, parties, W[~planned], "flight.ties.punishment")
    reason = np.where(planned[go], int(Reason.PLANNED), int(Reason.PUNISHMENT))
    return [_decision(W[go], reason.astype(np.int64), alone=True)]


def conflict(sim: Simulation, day: int, p: FlightParams, parties: Parties,
             settled: np.ndarray, kind_weight: np.ndarray) -> list[Decision]:
    """Households at places with fighting (not camps or abroad: ``settled`` False there): a
    binomial count per place over its households at the chance of
    :func:`ranks.conditions.conflict_chance` (by kind, intensity and the episode's age);
    households no longer at home drop out later, so departures follow the people exposed."""
    chance = conflict_chance(sim.world, day, p.conflict_flight_per_day.value, kind_weight,
                             p.conflict_half_life_days.value)
    hot = np.flatnonzero((chance > 0) & settled)
    if hot.size == 0:
        return []
    g = sim.rng("flight.conflict", day)
    n_hh = parties.place_hh[hot + 1] - parties.place_hh[hot]
    k = g.binomial(n_hh, chance[hot])
    if not k.sum():
        return []
    picks = unique(np.repeat(parties.place_hh[hot], k)
                      + (g.random(int(k.sum())) * np.repeat(n_hh, k)).astype(np.int64))
    return [_decision(picks, Reason.CONFLICT, alone=False)]


def expulsion(sim: Simulation, day: int, parties: Parties, places: np.ndarray, share: float,
              stream: str) -> list[Decision]:
    """The households of ``places`` an actor orders out today: each with chance ``share``
    (one uniform per household from ``stream``)."""
    hh = np.concatenate([np.arange(parties.place_hh[pl], parties.place_hh[pl + 1])
                         for pl in places]) if len(places) else np.zeros(0, dtype=np.int64)
    go = sim.person_uniform(stream, hh) < share
    return [_decision(hh[go], Reason.EXPULSION, alone=False)]


def hardship(sim: Simulation, day: int, p: FlightParams, parties: Parties,
             settled: np.ndarray, hardship_by_household: np.ndarray | None) -> list[Decision]:
    """Households that cannot meet their needs (the economy's hardship, 0..1), thinned at
    ``hardship_flight_per_day``; none without an economy."""
    rate = p.hardship_flight_per_day.value
    H = parties.H
    if hardship_by_household is None or rate <= 0 or not H:
        return []
    g = sim.rng("flight.hardship", day)
    n_cand = g.binomial(H, min(rate, 1.0))
    if not n_cand:
        return []
    picks = unique(g.integers(0, H, size=n_cand))
    picks = picks[g.random(picks.size) < np.asarray(hardship_by_household)[picks]]
    home = sim.households.place[picks].astype(np.int64)
    picks = picks[settled[home]]
    return [_decision(picks, Reason.HARDSHIP, alone=False)]
