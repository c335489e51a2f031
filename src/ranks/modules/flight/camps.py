"""Camps and the displaced (M25): who is displaced where, camp admission by whole parties,
sponsorship and sponsored exits from camps (the camps' rules are in ``camp_rules``).

The displaced (not travelling) are kept as a pool of party keys and counted by current
place x home place (stock ``displaced``); counts are kept by transitions between
compactions, and recounted exactly from the pool at each compaction and at each stock
snapshot (:meth:`Displaced.exact`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ranks import kernels
from ranks.arrays import unique
from ranks.modules.flight.parties import FLED, LONE, SPONSORED, KeyPool, Parties
from ranks.population import People, State

if TYPE_CHECKING:
    from ranks.engine import Simulation

#: Days between compactions of the displaced pool (and exact recounts of ``displaced``).
COMPACT_DAYS = 90
#: A pool compaction reads everyone in id order when the pool has a key for every this many
#: people or more, else walks the pool's members (measured on a flagship pool of 90,000 keys
#: among 1.24 million people in mid-2016, people numbered household by household: 7 ms
#: against 32 ms; a walk costs about 0.35 us a key)
SCAN_PER_KEY = 64
#: States in which a person away from home counts as displaced (not travelling).
DISPLACED_STATE = np.zeros(len(State), dtype=bool)
DISPLACED_STATE[[State.CIVILIAN, State.HIDING, State.CAMP, State.ABROAD]] = True


class Displaced:
    """The displaced by this module who are not travelling: camps, abroad, settled away.

    Args:
        parties: the module's parties (keys, members, person bits).
        people: everyone.
        n_places: number of places.
    """

    def __init__(self, parties: Parties, people: People, n_places: int) -> None:
        self.parties = parties
        self.people = people
        self.P = n_places
        # party keys of the displaced: a growable buffer, duplicates and stale keys dropped
        # at each compaction
        self.pool = KeyPool()
        self.camp_pool = KeyPool()  # parties in camps with a sponsor
        self._compacted = 0
        #: displaced by this module and not travelling, by current place x home place
        self.counts = np.zeros((n_places, n_places), dtype=np.int64)

    def parties_today(self, sim: Simulation, day: int) -> np.ndarray:
        """Party keys of people displaced and not travelling (a view of a buffer).

        Every ``COMPACT_DAYS`` days duplicates and parties with nobody displaced left are
        dropped and ``counts`` are recounted from the pool (exact then; between compactions
        they are kept by this module's and returns' transitions and by deaths). Callers
        filter members with :meth:`members`.
        """
        if day - self._compacted >= COMPACT_DAYS:
            self._compacted = day
            if kernels.ENABLED:  # the same pools and counts, one pass each (ranks.kernels)
                self.counts[:] = 0
                self.pool.reset(self._kept(self.pool.view(), -1, True))
                self.camp_pool.reset(self._kept(self.camp_pool.view(), int(State.CAMP), False))
                return self.pool.view()
            ids, k = self.members(self._distinct(self.pool.view()))
            self.pool.reset(self._distinct(k))
            self.counts[:] = 0
            self.count(ids, +1)
            _, k = self.members(self._distinct(self.camp_pool.view()), State.CAMP)
            self.camp_pool.reset(self._distinct(k))
        return self.pool.view()

    def _kept(self, keys: np.ndarray, state: int, count: bool, scan: bool | None = None
              ) -> np.ndarray:
        """Sorted distinct ``keys`` with a displaced member left (in ``state`` unless -1),
        each such member counted into ``counts`` with ``count`` (compiled). ``scan``: read
        everyone in id order rather than walk the pool's members (the same result; by
        default when the pool holds more than one key for every ``SCAN_PER_KEY`` people,
        where the scan's one pass beats the walk's cost per key)."""
        pt, people = self.parties, self.people
        if scan is None:
            scan = keys.size * SCAN_PER_KEY > people.n
        return kernels.kept_parties(
            np.ascontiguousarray(keys, dtype=np.int64), pt.H + people.n, pt.H, pt.hh_ptr,
            pt.hh_members, pt.household, pt.bits, FLED, LONE, DISPLACED_STATE, people.state,
            people.place, people.home, state, self.counts.reshape(-1), self.P, count, scan)

    def _distinct(self, keys: np.ndarray) -> np.ndarray:
        """Sorted distinct party keys (``unique``); a large pool by a mask over all keys
        (households, then men alone) instead of a sort: the same array."""
        n_keys = self.parties.H + self.people.n
        if keys.size * 16 < n_keys:
            return unique(keys)
        seen = np.zeros(n_keys, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen).astype(keys.dtype, copy=False)

    def members(self, keys: np.ndarray, state: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Displaced members of parties ``keys`` (optionally only those in ``state``):
        flagged FLED, of this party, in a camp, abroad or living away from home."""
        pt, people = self.parties, self.people
        if kernels.ENABLED:  # the same arrays, in one compiled loop (ranks.kernels)
            return kernels.displaced_members(
                np.ascontiguousarray(keys, dtype=np.int64), pt.H, pt.hh_ptr, pt.hh_members,
                pt.bits, FLED, LONE, DISPLACED_STATE, people.state, people.place,
                people.home, -1 if state is None else int(state))
        ids, k = pt.members(keys)
        b = pt.bits[ids]
        ok = ((b & FLED) != 0) & (((b & LONE) != 0) == (k >= pt.H))
        st = people.state[ids]
        if state is not None:
            ok &= st == state
        else:
            ok &= DISPLACED_STATE[st] & (people.place[ids] != people.home[ids])
        return ids[ok], k[ok]

    def count(self, ids: np.ndarray, sign: int) -> None:
        """Add (+1) or remove (-1) ``ids`` from the counts at their place."""
        if ids.size:
            people = self.people
            if kernels.ENABLED:  # the same counts, in one compiled loop (ranks.kernels)
                kernels.count_pairs(np.ascontiguousarray(ids, dtype=np.int64), people.place,
                                    people.home, self.counts.reshape(-1), self.P, sign)
                return
            flat = people.place[ids].astype(np.int64) * self.P + people.home[ids]
            self.counts.reshape(-1)[:] += sign * np.bincount(flat, minlength=self.P * self.P)

    def on_death(self, ids: np.ndarray, cause: str, actor: int) -> None:
        """Deaths (before they are marked) leave the counts."""
        people = self.people
        st = people.state[ids]
        d = ids[((self.parties.bits[ids] & FLED) != 0) & DISPLACED_STATE[st]
                & (people.place[ids] != people.home[ids])]
        if d.size:
            flat = people.place[d].astype(np.int64) * self.P + people.home[d]
            self.counts.reshape(-1)[:] -= np.bincount(flat, minlength=self.P * self.P)

    def exact(self, sim: Simulation, day: int) -> np.ndarray:
        """The counts, recounted exactly from the pool now (the ``displaced`` stock: exact
        at every snapshot, whatever other modules did to displaced people since)."""
        self._compacted = day - COMPACT_DAYS
        self.parties_today(sim, day)
        return self.counts

    def remember(self, keys: np.ndarray, free_exit: np.ndarray | None = None) -> None:
        """Add party keys to the pool; parties in camps whose exit is free (``free_exit``:
        a mask of ``keys``) may leave as if sponsored (the camp pool)."""
        self.pool.add(keys)
        if free_exit is not None and free_exit.any():
            free = unique(keys[free_exit])
            ids, _ = self.members(free, State.CAMP)
            self.parties.bits[ids] |= np.uint8(SPONSORED)
            self.camp_pool.add(free)

    def sponsor(self, sim: Simulation, day: int, rate: np.ndarray, allowed: np.ndarray
                ) -> np.ndarray:
        """Camp residents who find a sponsor today: parties in camps where ``allowed``
        (places whose exit rule is sponsorship), each with the daily chance ``rate`` of its
        camp (by place). Thinning over the pool at the largest rate, accepted with their
        own (common random numbers per day). Returns the people now sponsored."""
        r_max = float(rate[allowed].max(initial=0.0))
        if r_max <= 0 or not self.people.by_place_state[:, State.CAMP].any():
            return np.zeros(0, dtype=np.int64)
        pool = self.parties_today(sim, day)
        keys = unique(sim.thin_candidates("flight.sponsor", day, r_max, pool))
        ids, k = self.members(keys, State.CAMP)
        at = self.people.place[ids]
        ok = allowed[at] & ((self.parties.bits[ids] & SPONSORED) == 0)
        ok &= sim.person_uniform("flight.sponsor.accept", k) * r_max < rate[at]
        ids, k = ids[ok], k[ok]
        self.parties.bits[ids] |= np.uint8(SPONSORED)
        self.camp_pool.add(unique(k))
        return ids

    def sponsored_exits(self, sim: Simulation, day: int, stay_days_mean: float,
                        may_leave: np.ndarray) -> np.ndarray:
        """Sponsored camp residents who move on today (stays of ``stay_days_mean`` days on
        average) from camps where ``may_leave`` (by place), no longer counted. Thinning over
        the camp pool: common random numbers per day."""
        if not self.people.by_place_state[:, State.CAMP].any():
            return np.zeros(0, dtype=np.int64)
        self.parties_today(sim, day)  # compacts the camp pool too when due
        keys = sim.thin_candidates("flight.camp_exit", day, 1.0 / stay_days_mean,
                                   self.camp_pool.view())
        if keys.size == 0:
            return keys
        keys = unique(keys)  # the pool may hold a party twice between compactions
        ids, _ = self.members(keys, State.CAMP)
        ids = ids[((self.parties.bits[ids] & SPONSORED) != 0)
                  & may_leave[self.people.place[ids]]]
        self.count(ids, -1)
        return ids


def camp_full(capacity: np.ndarray, in_camp: np.ndarray, at: np.ndarray, keys: np.ndarray
              ) -> np.ndarray:
    """Which arrivals find the camp full: camps admit whole parties, by party key, while
    they have room for all of them (a pure function).

    Args:
        capacity: people each place takes (0: no limit).
        in_camp: people in camps by place now.
        at: the camp each arriving person reached.
        keys: each arriving person's party key.
    Returns:
        bool per arrival: its party does not fit.
    """
    full = np.zeros(at.size, dtype=bool)
    if not (capacity[at] > 0).any():
        return full
    room = capacity[at] - in_camp[at]
    order = np.lexsort((keys, at))
    sa, sk = at[order], keys[order]
    rank = np.arange(sa.size) - np.searchsorted(sa, sa)  # 0.. within the camp
    new = np.concatenate([[True], (sa[1:] != sa[:-1]) | (sk[1:] != sk[:-1])])
    start = np.flatnonzero(new)
    last = np.maximum.reduceat(rank, start)  # rank of each party's last member
    party_last = np.repeat(last, np.diff(np.append(start, sa.size)))
    full[order] = (capacity[sa] > 0) & (party_last >= room[order])
    return full
