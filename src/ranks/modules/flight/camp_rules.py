"""Camps as places with rules (M25, issue 13): opening and closing dates, who holds them,
soft and hard capacity, screening of arrivals, and how residents may leave.

Built once from the scenario's ``camps`` table (``scenarios/<x>/camps.csv``, see
``CampRow`` in the scenario model) and the world; the flight module asks it, each day:

- ``is_open(day)``: camps open that day (a camp place without a row is always open, with
  no limits: the rules of the scenarios before issue 13);
- ``admit(...)``: which arriving parties a camp takes, whole, in the order given, and why
  the others are turned away: ``closed`` (before it opens or after it closes), ``holder``
  (held by the actor the party fled: nobody settles under the actor they flee), ``full``
  (the party would pass the hard capacity);
- ``soft`` capacity (people at the run's scale), used in Flee's capacity factor of route
  choice, so parties choose a camp less as it fills;
- ``screening`` share and ``exit`` rule per camp.

Everything is arrays over places (P), no loop over people.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from ranks.modules.flight.camps import camp_full
from ranks.scenario.model import Scenario
from ranks.world import World

#: Exit rules (``CampRow.exit``) as codes.
EXITS = ("free", "sponsorship", "organised")


class TurnedAway(IntEnum):
    """Why a camp turns a party away (reason of the ``turned_away`` event)."""

    CLOSED = 0
    HOLDER = 1
    FULL = 2


TURNED_AWAY = tuple(r.name.lower() for r in TurnedAway)
_NEVER = np.iinfo(np.int64).max


class CampRules:
    """The camp table as arrays over places (see the module docstring).

    Attributes (length P): ``has_rules``, ``opens``/``closes`` (day indices; closes = never
    when absent), ``soft``/``hard`` (people at the run's scale, 0 = none), ``screening``
    (share), ``exit`` (index into EXITS), ``exit_per_day`` (daily chance that a resident
    party finds the sponsor it needs to leave; timeline ``camp_exit_rate`` changes it),
    ``transfer_to`` (place index, -1 none).
    """

    def __init__(self, sc: Scenario, world: World, scale: float) -> None:
        P = world.n_places
        self.has_rules = np.zeros(P, dtype=bool)
        self.opens = np.full(P, -_NEVER // 2, dtype=np.int64)
        self.closes = np.full(P, _NEVER, dtype=np.int64)
        self.soft = np.zeros(P)
        self.hard = np.zeros(P)
        self.screening = np.zeros(P)
        self.exit = np.zeros(P, dtype=np.int64)
        self.exit_per_day = np.zeros(P)
        self.transfer_to = np.full(P, -1, dtype=np.int64)
        for c in sc.camps:
            i = world.place_index[c.name]
            self.has_rules[i] = True
            self.opens[i] = world.day_of(c.opens)
            if c.closes is not None:
                self.closes[i] = world.day_of(c.closes)
            self.soft[i] = max(c.soft_capacity * scale, 1.0) if c.soft_capacity else 0.0
            self.hard[i] = max(c.hard_capacity * scale, 1.0) if c.hard_capacity else 0.0
            self.screening[i] = c.screening
            self.exit[i] = EXITS.index(c.exit)
            self.exit_per_day[i] = c.exit_per_day
            if c.transfer_to is not None:
                self.transfer_to[i] = world.place_index[c.transfer_to]

    def is_open(self, day: int) -> np.ndarray:
        """Camps (and places without rules) open on ``day``, (P,) bool."""
        return (self.opens <= day) & (day < self.closes)

    def closing_today(self, day: int) -> np.ndarray:
        """Places whose camp closes on ``day``."""
        return np.flatnonzero(self.closes == day)

    def admit(self, day: int, at: np.ndarray, keys: np.ndarray, fled_from: np.ndarray,
              holder: np.ndarray, residents: np.ndarray) -> np.ndarray:
        """Which arriving people a camp takes.

        Args:
            at: camp place of each arriving person.
            keys: party key of each (members of a party are taken or refused together).
            fled_from: actor each person fled (-1 none).
            holder: actor holding each place today (P,).
            residents: people in each camp now (P,), before these arrivals.

        Returns:
            int8 per person: -1 admitted, else a :class:`TurnedAway` code. Parties are taken
            in the order of their keys while the hard capacity has room for the whole party.
        """
        out = np.full(at.size, -1, dtype=np.int8)
        if at.size == 0:
            return out
        closed = ~self.is_open(day)[at]
        out[closed] = TurnedAway.CLOSED
        h = holder[at]
        out[(out < 0) & (h >= 0) & (h == fled_from)] = TurnedAway.HOLDER
        cand = np.flatnonzero(out < 0)
        if cand.size:
            full = camp_full(self.hard, residents, at[cand], keys[cand])
            out[cand[full]] = TurnedAway.FULL
        return out
