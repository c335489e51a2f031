"""Parties: who travels with whom (M22-M25).

A household flees together (its party key is the household index ``h``), a man alone is a
party of one (key ``H + id``). The module's person columns live here: ``bits`` (the flags
below) and ``fled_from`` (the actor a person fled, -1 none). Draws after the decision (path,
hazards, waits) are keyed by the party, so its members stay together.
"""

from __future__ import annotations

import numpy as np

from ranks.errors import RanksInputError
from ranks.population import Households, People

#: Bits of the ``flight_bits`` person column.
FLED = 1  # displaced by this module (in transit, in a camp, abroad or settled away)
LONE = 2  # fled as a man alone (party = the person), else with the household
SMUGGLED = 4  # paid a smuggler for this journey
NOCAMP = 8  # left a camp (or found it full): heads for towns or abroad
EVER_FLED = 16  # fled at least once (not cleared on return)
EPISODE = 32  # left home in the current displacement episode (cleared on return home)
SPONSORED = 64  # in a camp, free to leave (a sponsor found, or a camp with free exit)


class Parties:
    """Party keys and members, and the flight module's person columns.

    Args:
        people: everyone (the module adds ``flight_bits`` and ``fled_from``).
        households: households, sorted by home place (synthesis does).
        n_places: number of places.
    """

    def __init__(self, people: People, households: Households, n_places: int) -> None:
        self.H = len(households)
        self.household = people.household
        self.bits = people.add_column("flight_bits", np.uint8, 0)
        self.fled_from = people.add_column("fled_from", np.int8, -1)
        # people by household (CSR), households by home place (synthesis sorts them by place)
        order = np.argsort(people.household, kind="stable")
        self.hh_members = order.astype(np.int64)
        self.hh_ptr = np.concatenate([[0], np.cumsum(np.bincount(people.household,
                                                                 minlength=self.H))])
        hplace = households.place.astype(np.int64)
        if self.H and not (np.diff(hplace) >= 0).all():
            raise RanksInputError("flight needs households sorted by home place",
                                  field="population")
        #: households of place p are ``place_hh[p]:place_hh[p + 1]``
        self.place_hh = np.searchsorted(hplace, np.arange(n_places + 1))

    def household_of(self, ids: np.ndarray) -> np.ndarray:
        """Household index of each person, int64."""
        return self.household[ids].astype(np.int64)

    def key(self, ids: np.ndarray) -> np.ndarray:
        """Party of each person: the household, or ``H + id`` for a man alone."""
        lone = (self.bits[ids] & LONE) != 0
        return np.where(lone, self.H + ids, self.household_of(ids))

    def members(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """People of parties ``keys`` (households: all members; lone: the man), and the key
        of each."""
        keys = np.asarray(keys, dtype=np.int64)
        lone = keys >= self.H
        fam = keys[~lone]
        lo, hi = self.hh_ptr[fam], self.hh_ptr[fam + 1]
        n = hi - lo
        off = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
        idx = self.hh_members[np.arange(int(n.sum())) + off]
        return (np.concatenate([idx, keys[lone] - self.H]),
                np.concatenate([np.repeat(fam, n), keys[lone]]))

    def new_episode(self, ids: np.ndarray, since: np.ndarray, day: int, gap_days: int
                    ) -> np.ndarray:
        """Which of ``ids`` (about to set out) start a displacement episode: not on one, or
        home again (``since``: the day their state last changed) for more than
        ``gap_days``. The others are on the same episode: an attempt after a turn-back."""
        return ((self.bits[ids] & EPISODE) == 0) | (
            day - since.astype(np.int64) > gap_days)

    def set_out(self, ids: np.ndarray, feared: np.ndarray, alone: bool,
                smuggled: np.ndarray) -> None:
        """``ids`` set out fleeing ``feared`` (one each), alone or with their household."""
        bits = FLED | EVER_FLED | EPISODE | (LONE if alone else 0)
        self.bits[ids] = (self.bits[ids] & ~np.uint8(NOCAMP | SMUGGLED | LONE | SPONSORED)
                          ) | bits
        self.bits[ids[smuggled]] |= np.uint8(SMUGGLED)
        self.fled_from[ids] = feared

    def stopped(self, ids: np.ndarray) -> None:
        """``ids`` were stopped on the way: no longer fleeing (returned, taken, detained);
        still on their displacement episode (a new attempt soon is not a new departure)."""
        self.bits[ids] &= np.uint8(~(FLED | SMUGGLED | NOCAMP | SPONSORED) & 0xFF)
        self.fled_from[ids] = -1

    def home_again(self, ids: np.ndarray) -> None:
        """``ids`` went home (returns): no longer displaced, the episode over."""
        self.bits[ids] &= np.uint8(~(FLED | LONE | SMUGGLED | NOCAMP | SPONSORED | EPISODE)
                                   & 0xFF)
        self.fled_from[ids] = -1

    def displaced_from_elsewhere(self, ids: np.ndarray, feared: int) -> None:
        """``ids`` arrived displaced from outside the governorate (their home is their
        origin): displaced, on an episode, fleeing ``feared``."""
        self.bits[ids] |= np.uint8(FLED | EVER_FLED | EPISODE)
        self.fled_from[ids] = feared

    def avoid_camps(self, ids: np.ndarray) -> None:
        """``ids`` left a camp or found it full: they head for towns or abroad."""
        self.bits[ids] |= np.uint8(NOCAMP)


class KeyPool:
    """A growable buffer of party keys (duplicates allowed until the owner compacts it)."""

    def __init__(self) -> None:
        self.buf = np.zeros(1024, dtype=np.int64)
        self.n = 0

    def add(self, keys: np.ndarray) -> None:
        """Append ``keys``."""
        k = keys.size
        if self.n + k > self.buf.size:
            new = np.zeros(max(2 * self.buf.size, self.n + k), dtype=np.int64)
            new[: self.n] = self.buf[: self.n]
            self.buf = new
        self.buf[self.n: self.n + k] = keys
        self.n += k

    def view(self) -> np.ndarray:
        """The keys (a view, no copy)."""
        return self.buf[: self.n]

    def reset(self, keys: np.ndarray) -> None:
        """Replace the content by ``keys``."""
        self.n = 0
        self.add(keys)
