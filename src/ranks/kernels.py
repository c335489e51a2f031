"""Compiled inner loops (Numba) for the small steps the simulation takes most often.

A day of the flagship calls :meth:`ranks.population.People.set` and
:func:`ranks.rng.person_uniform` about sixty times each, mostly for a few people; in NumPy
each call is a dozen array operations whose fixed cost dominates. The loops below do the
same work in one compiled call. Each has a NumPy twin (the code in ``population.py`` and
``rng.py``) that gives the same numbers bit for bit: integer counts and 64-bit integer
hashing, no floating-point reordering. ``tests/test_kernels.py`` compares them, and a run
with ``RANKS_NUMBA=0`` (or without Numba installed) writes the same bytes.

Compiled code is cached on disk (``cache=True``, under ``__pycache__`` or
``NUMBA_CACHE_DIR``), so only the first run on a machine pays the compile time (a few
seconds).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

#: Compiled loops are used when Numba imports and ``RANKS_NUMBA`` is not "0".
ENABLED = False
_njit: Callable[..., Any] | None = None
if os.environ.get("RANKS_NUMBA", "1") != "0":
    try:
        import numba

        _njit = numba.njit
        ENABLED = True
    except ImportError:  # Numba is optional at run time: the NumPy twins are used
        ENABLED = False


def _compile(fn: Callable[..., Any], inline: bool = False) -> Callable[..., Any]:
    """``fn`` compiled (cached, no Python objects; ``inline``: into its compiled callers),
    or ``fn`` itself without Numba."""
    if _njit is None:
        return fn
    if inline:
        return _njit(cache=True, nogil=True, inline="always")(fn)
    return _njit(cache=True, nogil=True)(fn)


def _set_people(ids: np.ndarray, day: int, state: np.ndarray, place: np.ndarray,
                actor: np.ndarray, assign: np.ndarray, has_state: bool, has_place: bool,
                has_actor: bool, has_assign: bool, dead: int, seen: np.ndarray,
                col_state: np.ndarray, col_place: np.ndarray, col_actor: np.ndarray,
                col_assign: np.ndarray, col_since: np.ndarray, col_birth: np.ndarray,
                by_place_state: np.ndarray, n_states: int, strength: np.ndarray,
                n_assign: int, by_birth: np.ndarray, n_buckets: int, span: int,
                width: int) -> bool:
    """The loop of ``People.set``. ``ids`` in any order, with repeats: a person moves once,
    with the values at their first occurrence (``seen``: an all-False scratch column, left
    all False). A value array holds one value per id, or one value for all. Membership
    counts are updated for people whose actor or assignment is given or who die (for the
    others they would be taken off and put back unchanged). Returns whether any were."""
    any_strength = False
    for j in range(ids.size):
        i = ids[j]
        if seen[i]:
            continue
        seen[i] = True
        if has_state or has_place:
            by_place_state[np.int64(col_place[i]) * n_states + col_state[i]] -= 1
            if has_place:
                col_place[i] = place[j if place.size > 1 else 0]
            if has_state:
                col_state[i] = state[j if state.size > 1 else 0]
                col_since[i] = day
            by_place_state[np.int64(col_place[i]) * n_states + col_state[i]] += 1
        if has_actor or has_assign or (has_state and col_state[i] == dead):
            any_strength = True
            b = (np.int64(col_birth[i]) + span) // width
            if b < 0:
                b = np.int64(0)
            if b > n_buckets - 1:
                b = np.int64(n_buckets - 1)
            a = np.int64(col_actor[i])
            if a >= 0:
                strength[a * n_assign + col_assign[i]] -= 1
                by_birth[a * n_buckets + b] -= 1
            if has_actor:
                col_actor[i] = actor[j if actor.size > 1 else 0]
            if has_assign:
                col_assign[i] = assign[j if assign.size > 1 else 0]
            if col_state[i] == dead:
                col_actor[i] = -1
                col_assign[i] = 0
            a = np.int64(col_actor[i])
            if a >= 0:
                strength[a * n_assign + col_assign[i]] += 1
                by_birth[a * n_buckets + b] += 1
    for j in range(ids.size):
        seen[ids[j]] = False
    return any_strength


def _uniforms(ids: np.ndarray, base: np.uint64, gold: np.uint64, m1: np.uint64,
              m2: np.uint64) -> np.ndarray:
    """splitmix64 of ``id * gold ^ base`` for each id, as uniforms in [0, 1)."""
    out = np.empty(ids.size, dtype=np.float64)
    for j in range(ids.size):
        z = np.uint64(ids[j]) * gold ^ base
        z = z + gold
        z = (z ^ (z >> np.uint64(30))) * m1
        z = (z ^ (z >> np.uint64(27))) * m2
        z = z ^ (z >> np.uint64(31))
        out[j] = np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)
    return out


def _return_candidates(keys: np.ndarray, n_households: int, hh_ptr: np.ndarray,
                       hh_members: np.ndarray, bits: np.ndarray, fled_from: np.ndarray,
                       displaced_state: np.ndarray, state: np.ndarray, place: np.ndarray,
                       home: np.ndarray, since: np.ndarray, sex: np.ndarray,
                       birth: np.ndarray, day: int, home_ok: np.ndarray, control: np.ndarray,
                       camp_state: int, exit_rule: np.ndarray, exit_free: int,
                       exit_sponsor: int, fled_bit: int, lone_bit: int, sponsored_bit: int,
                       min_days_away: int, age_lo: int, age_hi: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The displaced members of parties ``keys`` (sorted, distinct) and whether each may go
    home today, as ``Returns.step`` finds them in NumPy: members of households in key order,
    then men alone; a member counts when flagged FLED with the party's LONE bit, in a
    displaced state and away from home. Returns ids, party keys, ``safe`` (home held by
    someone other than the actor fled and ``home_ok``, away long enough, the camp's exit rule
    lets them out) and ``has_man`` (the party has a displaced man of ages ``age_lo``..
    ``age_hi`` in whole years)."""
    n = 0
    for j in range(keys.size):
        kk = keys[j]
        n += 1 if kk >= n_households else hh_ptr[kk + 1] - hh_ptr[kk]
    ids = np.empty(n, dtype=np.int64)
    ks = np.empty(n, dtype=np.int64)
    safe = np.zeros(n, dtype=np.bool_)
    man = np.zeros(n, dtype=np.bool_)
    m = 0
    for lone_pass in range(2):  # households first, then men alone (as Parties.members)
        for j in range(keys.size):
            kk = keys[j]
            lone = kk >= n_households
            if lone != (lone_pass == 1):
                continue
            lo = kk - n_households if lone else hh_ptr[kk]
            hi = lo + 1 if lone else hh_ptr[kk + 1]
            start = m
            any_man = False
            for q in range(lo, hi):
                i = q if lone else hh_members[q]
                b = bits[i]
                if (b & fled_bit) == 0 or ((b & lone_bit) != 0) != lone:
                    continue
                st = state[i]
                h = np.int64(home[i])
                at = np.int64(place[i])
                if not displaced_state[st] or at == h:
                    continue
                ids[m] = i
                ks[m] = kk
                c = control[h]
                ok = (home_ok[h] and c != fled_from[i]
                      and day - np.int64(since[i]) >= min_days_away)
                if ok and st == camp_state:
                    rule = exit_rule[at]
                    ok = rule == exit_free or (rule == exit_sponsor
                                               and (b & sponsored_bit) != 0)
                safe[m] = ok
                years = (day - np.int64(birth[i])) * 4 // 1461
                if sex[i] == 1 and age_lo <= years <= age_hi:
                    any_man = True
                m += 1
            for q in range(start, m):
                man[q] = any_man
    return ids[:m], ks[:m], safe[:m], man[:m]


def _displaced_members(keys: np.ndarray, n_households: int, hh_ptr: np.ndarray,
                       hh_members: np.ndarray, bits: np.ndarray, fled_bit: int,
                       lone_bit: int, displaced_state: np.ndarray, state: np.ndarray,
                       place: np.ndarray, home: np.ndarray, want_state: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Members of parties ``keys`` (households' members in key order, then men alone, as
    ``Parties.members`` lists them) flagged FLED with their party's LONE bit and either in
    state ``want_state`` or, when it is -1, in a displaced state away from home; and the key
    of each (``Displaced.members``)."""
    n = 0
    for j in range(keys.size):
        kk = keys[j]
        n += 1 if kk >= n_households else hh_ptr[kk + 1] - hh_ptr[kk]
    ids = np.empty(n, dtype=np.int64)
    ks = np.empty(n, dtype=np.int64)
    m = 0
    for lone_pass in range(2):
        for j in range(keys.size):
            kk = keys[j]
            lone = kk >= n_households
            if lone != (lone_pass == 1):
                continue
            lo = kk - n_households if lone else hh_ptr[kk]
            hi = lo + 1 if lone else hh_ptr[kk + 1]
            for q in range(lo, hi):
                i = q if lone else hh_members[q]
                b = bits[i]
                if (b & fled_bit) == 0 or ((b & lone_bit) != 0) != lone:
                    continue
                st = state[i]
                if want_state >= 0:
                    if st != want_state:
                        continue
                elif not displaced_state[st] or place[i] == home[i]:
                    continue
                ids[m] = i
                ks[m] = kk
                m += 1
    return ids[:m], ks[:m]


set_people = _compile(_set_people)
uniforms = _compile(_uniforms)
return_candidates = _compile(_return_candidates)
displaced_members = _compile(_displaced_members)
