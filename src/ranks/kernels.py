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
    ids, ks = displaced_members(keys, n_households, hh_ptr, hh_members, bits, fled_bit,
                                lone_bit, displaced_state, state, place, home, -1)
    m = ids.size
    safe = np.zeros(m, dtype=np.bool_)
    man = np.zeros(m, dtype=np.bool_)
    start = 0
    any_man = False
    for q in range(m):  # a party's members stand together (displaced_members' order)
        i = ids[q]
        st = state[i]
        h = np.int64(home[i])
        at = np.int64(place[i])
        c = control[h]
        ok = (home_ok[h] and c != fled_from[i]
              and day - np.int64(since[i]) >= min_days_away)
        if ok and st == camp_state:
            rule = exit_rule[at]
            ok = rule == exit_free or (rule == exit_sponsor
                                       and (bits[i] & sponsored_bit) != 0)
        safe[q] = ok
        years = (day - np.int64(birth[i])) * 4 // 1461
        if sex[i] == 1 and age_lo <= years <= age_hi:
            any_man = True
        if q == m - 1 or ks[q + 1] != ks[q]:
            for r in range(start, q + 1):
                man[r] = any_man
            start = q + 1
            any_man = False
    return ids, ks, safe, man


def _is_displaced_member(i: np.int64, lone: bool, bits: np.ndarray, fled_bit: int,
                         lone_bit: int, displaced_state: np.ndarray, state: np.ndarray,
                         place: np.ndarray, home: np.ndarray, want_state: int) -> bool:
    """Whether person ``i`` of a party (a man alone when ``lone``) counts among its displaced
    members: flagged FLED with the party's LONE bit, and in state ``want_state`` or, when it
    is -1, in a displaced state away from home."""
    b = bits[i]
    if (b & fled_bit) == 0 or ((b & lone_bit) != 0) != lone:
        return False
    st = state[i]
    if want_state >= 0:
        return bool(st == want_state)
    return bool(displaced_state[st] and place[i] != home[i])


is_displaced_member = _compile(_is_displaced_member, inline=True)


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
                if not is_displaced_member(i, lone, bits, fled_bit, lone_bit,
                                           displaced_state, state, place, home, want_state):
                    continue
                ids[m] = i
                ks[m] = kk
                m += 1
    return ids[:m], ks[:m]


set_people = _compile(_set_people)
uniforms = _compile(_uniforms)
return_candidates = _compile(_return_candidates)
displaced_members = _compile(_displaced_members)


def _kept_parties(keys: np.ndarray, n_keys: int, n_households: int, hh_ptr: np.ndarray,
                  hh_members: np.ndarray, household: np.ndarray, bits: np.ndarray,
                  fled_bit: int, lone_bit: int, displaced_state: np.ndarray,
                  state: np.ndarray, place: np.ndarray, home: np.ndarray, want_state: int,
                  counts: np.ndarray, n_places: int, count: bool, scan: bool) -> np.ndarray:
    """A compaction of a pool of party keys (``Displaced.parties_today``) in one pass: the
    sorted distinct keys of ``keys`` that still have a member as
    :func:`_displaced_members` finds them (same filter, ``want_state`` likewise); with
    ``count``, each such member adds one to ``counts`` (flat, current place x home place).

    Two ways to the same result. With ``scan`` (a large pool) everyone is read once in id
    order and each displaced person marks their party (``household``, or ``n_households +
    id`` for a man alone) when it is in the pool: sequential reads. Without (a small pool)
    the distinct keys' members are walked (``hh_ptr``/``hh_members``), at about 0.4 us a
    key: on a large pool several times slower than the scan."""
    if not scan:
        ks = np.sort(keys)
        out = np.empty(ks.size, dtype=np.int64)
        m = 0
        for j in range(ks.size):
            kk = ks[j]
            if j > 0 and kk == ks[j - 1]:
                continue
            lone = kk >= n_households
            lo = kk - n_households if lone else hh_ptr[kk]
            hi = lo + 1 if lone else hh_ptr[kk + 1]
            kept = False
            for q in range(lo, hi):
                i = q if lone else hh_members[q]
                if not is_displaced_member(i, lone, bits, fled_bit, lone_bit,
                                           displaced_state, state, place, home, want_state):
                    continue
                kept = True
                if count:
                    counts[np.int64(place[i]) * n_places + home[i]] += 1
            if kept:
                out[m] = kk
                m += 1
        return out[:m]
    mark = np.zeros(n_keys, dtype=np.uint8)  # 1: in the pool, 2: kept
    for j in range(keys.size):
        mark[keys[j]] = 1
    for i in range(bits.size):
        b = bits[i]
        if (b & fled_bit) == 0:
            continue
        st = state[i]  # (the test of is_displaced_member, a person's own party by LONE)
        if want_state >= 0:
            if st != want_state:
                continue
        elif not displaced_state[st] or place[i] == home[i]:
            continue
        kk = n_households + i if (b & lone_bit) != 0 else np.int64(household[i])
        if mark[kk] == 0:
            continue
        mark[kk] = 2
        if count:
            counts[np.int64(place[i]) * n_places + home[i]] += 1
    out = np.empty(min(n_keys, keys.size), dtype=np.int64)  # distinct keys: at most these
    m = 0
    for kk in range(n_keys):
        if mark[kk] == 2:
            out[m] = kk
            m += 1
    return out[:m]


kept_parties = _compile(_kept_parties)


#: numpy's SeedSequence constants (numpy/random/bit_generator.pyx): hash and mix
SS_INIT_A, SS_MULT_A, SS_INIT_B, SS_MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
SS_MIX_L, SS_MIX_R = 0xCA01F9DD, 0x4973F715


def _seed_words(prefix: np.ndarray, last: int) -> np.ndarray:
    """``SeedSequence(entropy).generate_state(4, uint64)`` for the uint32 entropy words
    ``prefix`` followed by the word ``last`` (< 2**32): numpy's hash, pool of 4 words,
    step for step in 32-bit arithmetic."""
    mask = np.uint64(0xFFFFFFFF)
    ent = np.empty(prefix.size + 1, dtype=np.uint64)
    for j in range(prefix.size):
        ent[j] = np.uint64(prefix[j])
    ent[prefix.size] = np.uint64(last)
    h = np.uint64(SS_INIT_A)
    pool = np.zeros(4, dtype=np.uint64)
    for i in range(4):
        v = ent[i] if i < ent.size else np.uint64(0)
        v = v ^ h
        h = (h * np.uint64(SS_MULT_A)) & mask
        v = (v * h) & mask
        pool[i] = v ^ (v >> np.uint64(16))
    for i_src in range(4 + max(ent.size - 4, 0)):
        for i_dst in range(4):
            if i_src < 4 and i_src == i_dst:
                continue
            v = (pool[i_src] if i_src < 4 else ent[i_src]) ^ h
            h = (h * np.uint64(SS_MULT_A)) & mask
            v = (v * h) & mask
            v = v ^ (v >> np.uint64(16))
            r = (np.uint64(SS_MIX_L) * pool[i_dst] - np.uint64(SS_MIX_R) * v) & mask
            pool[i_dst] = r ^ (r >> np.uint64(16))
    hb = np.uint64(SS_INIT_B)
    out = np.zeros(4, dtype=np.uint64)
    for i in range(8):
        v = pool[i % 4] ^ hb
        hb = (hb * np.uint64(SS_MULT_B)) & mask
        v = (v * hb) & mask
        v = v ^ (v >> np.uint64(16))
        out[i // 2] |= v << np.uint64(32 * (i % 2))
    return out


seed_words = _compile(_seed_words)


def _wanted_in_open(W: np.ndarray, state: np.ndarray, hidden_tab: np.ndarray,
                    reach_tab: np.ndarray, place: np.ndarray, wanted_by: np.ndarray,
                    control: np.ndarray, reach: np.ndarray, book_bits: np.ndarray,
                    flee_bit: int, flags: np.ndarray, suspected: int, boost: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The first split of ``Coercion._wanted_day`` (its NumPy twin): of the wanted ``W``,
    those in the open (state in ``reach_tab``, not in ``hidden_tab``) whom the actor that
    wants them reaches where they are (``reach[wanted_by, holder]``), with their place,
    that actor and the informer multiplier ``1 + boost x informed`` (planned flight or
    suspected); and the hidden, in the order of ``W``."""
    n = W.size
    op = np.empty(n, dtype=np.int64)
    pl = np.empty(n, dtype=np.int64)
    wb = np.empty(n, dtype=np.int64)
    mult = np.empty(n, dtype=np.float64)
    hid = np.empty(n, dtype=np.int64)
    m = 0
    h = 0
    for j in range(n):
        i = W[j]
        st = state[i]
        if hidden_tab[st]:
            hid[h] = i
            h += 1
            continue
        if not reach_tab[st]:
            continue
        a = np.int64(wanted_by[i])
        at = np.int64(place[i])
        holder = np.int64(control[at])
        if a < 0 or holder < 0 or not reach[a, holder]:
            continue
        informed = (book_bits[i] & flee_bit) != 0 or (flags[i] & suspected) != 0
        op[m] = i
        pl[m] = at
        wb[m] = a
        mult[m] = 1.0 + boost * (1.0 if informed else 0.0)
        m += 1
    return op[:m], pl[:m], wb[:m], mult[:m], hid[:h]


wanted_in_open = _compile(_wanted_in_open)


def _choose_links(at: np.ndarray, prev: np.ndarray, f: np.ndarray, nocamp: np.ndarray,
                  smuggled: np.ndarray, u: np.ndarray, score: np.ndarray,
                  path_of: np.ndarray, path_end: np.ndarray, path_dist_w: np.ndarray,
                  path_next: np.ndarray, path_link: np.ndarray, path_desert: np.ndarray,
                  is_camp: np.ndarray, desert_pref: float, back_factor: float,
                  n_places: int, seen: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The loop of ``Routes.choose`` (Flee's pick over paths), as its NumPy twin computes it:
    travellers grouped by (place, feared actor ``f`` >= 0, camp-averse, smuggled, previous
    place) in ascending key order; each group's path weights (``K`` a group) laid end to end
    and summed in one running sum; each traveller's pick the first position whose running
    sum exceeds ``lo + u x total`` of its group (clamped into the group). -1 when the group
    has no weight. ``seen`` (all False, left so) and ``index``: scratch tables with a
    place for every key (empty: the keys are sorted instead)."""
    n = at.size
    K = path_of.shape[1]
    A1 = score.shape[0]
    g = np.empty(n, dtype=np.int64)
    for j in range(n):
        g[j] = ((((np.int64(at[j]) * A1 + f[j]) * 2 + np.int64(nocamp[j])) * 2
                 + np.int64(smuggled[j])) * (n_places + 1) + prev[j] + 1)
    inv = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    G = 0
    if seen.size >= n_places * A1 * 4 * (n_places + 1):
        # the distinct keys by a table (first occurrence of each), sorted among themselves
        for j in range(n):
            if not seen[g[j]]:
                seen[g[j]] = True
                first[G] = j
                G += 1
        keys = np.empty(G, dtype=np.int64)
        for r in range(G):
            keys[r] = g[first[r]]
        rank = np.argsort(keys)
        for r in range(G):
            index[keys[rank[r]]] = r
        reps = first[:G].copy()
        for r in range(G):
            first[r] = reps[rank[r]]
        for j in range(n):
            inv[j] = index[g[j]]
        for r in range(G):
            seen[keys[r]] = False
    else:
        order = np.argsort(g, kind="mergesort")
        for q in range(n):
            j = order[q]
            if q == 0 or g[j] != g[order[q - 1]]:
                first[G] = j
                G += 1
            inv[j] = G - 1
    cw = np.empty(G * K, dtype=np.float64)
    run = 0.0
    ascending = True  # no weight below 0 (or NaN): a group's pick is found in its own run
    for r in range(G):
        j = first[r]
        a, fr, nc, sm, pv = at[j], f[j], nocamp[j], smuggled[j], prev[j]
        for k in range(K):
            path = path_of[a, k]
            w = 0.0
            if path >= 0:
                e = path_end[path]
                w = score[fr, e] * path_dist_w[path]
                if nc and is_camp[e]:
                    w = 0.0
                if sm:
                    w *= desert_pref if path_desert[path] else 1.0
                if path_next[path] == pv:
                    w *= back_factor
            if not w >= 0.0:
                ascending = False
            run += w
            cw[r * K + k] = run
    out = np.empty(n, dtype=np.int64)
    for j in range(n):
        r = inv[j]
        lo = cw[r * K - 1] if r > 0 else 0.0
        tot = cw[r * K + K - 1] - lo
        if not tot > 0:
            out[j] = -1
            continue
        if ascending:  # the same position as in the whole array, clamped into the group
            pos = r * K + np.searchsorted(cw[r * K: r * K + K], lo + u[j] * tot,
                                          side="right")
        else:
            pos = np.searchsorted(cw, lo + u[j] * tot, side="right")
        pos = min(max(pos, r * K), r * K + K - 1)
        path = path_of[at[j], pos - r * K]
        out[j] = path_link[path if path >= 0 else 0]
    return out


choose_links = _compile(_choose_links)


def _link_hazards(frm: np.ndarray, to: np.ndarray, kind: np.ndarray, control: np.ndarray,
                  feared: np.ndarray, wanted: np.ndarray, smuggled: np.ndarray,
                  checkpoint_by_kind: np.ndarray, smuggled_factor: float,
                  campaign: np.ndarray, has_campaign: bool, campaign_scale: float,
                  patrol_desert: float, patrols: np.ndarray, has_patrols: bool,
                  mine_by_kind: np.ndarray, ban: np.ndarray, desert: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                             np.ndarray]:
    """The loop of ``hazard_chances`` before minefields (its NumPy twin, operation for
    operation): checkpoint chance and actor, patrol chance and actor, the route kind's mine
    chance and the actor holding the link's start."""
    n = frm.size
    A = ban.size - 1
    p_cp = np.empty(n, dtype=np.float64)
    cp_actor = np.empty(n, dtype=np.int64)
    p_pat = np.empty(n, dtype=np.float64)
    pat_actor = np.empty(n, dtype=np.int64)
    p_mine = np.empty(n, dtype=np.float64)
    for j in range(n):
        c_to = np.int64(control[to[j]])
        c_frm = np.int64(control[frm[j]])
        ca = c_to if c_to >= 0 else c_frm
        b = ban[ca if ca >= 0 else A]
        hostile = ca >= 0 and (ca == feared[j] or ca == wanted[j] or b > 0)
        cp = checkpoint_by_kind[kind[j]] * (smuggled_factor if smuggled[j] else 1.0)
        if has_campaign:
            cp = cp * (1.0 + campaign_scale * campaign[to[j]])
        p_cp[j] = min(cp * (1.0 + b), 1.0) * (1.0 if hostile else 0.0)
        cp_actor[j] = ca
        pb = ban[c_frm if c_frm >= 0 else A]
        pat_hostile = c_frm >= 0 and (c_frm == feared[j] or c_frm == wanted[j] or pb > 0)
        patrol = patrol_desert if kind[j] == desert else 0.0
        if has_patrols:
            patrol = patrol * (1.0 + patrols[frm[j]])
        p_pat[j] = min(patrol * (1.0 + pb), 1.0) * (1.0 if pat_hostile else 0.0)
        pat_actor[j] = c_frm
        p_mine[j] = mine_by_kind[kind[j]]
    return p_cp, cp_actor, p_pat, pat_actor, p_mine, pat_actor.copy()


link_hazards = _compile(_link_hazards)


def _uniform_of(i: np.int64, base: np.uint64, gold: np.uint64, m1: np.uint64,
                m2: np.uint64) -> float:
    """One id's number of :func:`_uniforms` (``person_uniform``)."""
    z = np.uint64(i) * gold ^ base
    z = z + gold
    z = (z ^ (z >> np.uint64(30))) * m1
    z = (z ^ (z >> np.uint64(27))) * m2
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


uniform_of = _compile(_uniform_of, inline=True)


def _punishment_flight(W: np.ndarray, state: np.ndarray, flags: np.ndarray,
                       role: np.ndarray, household: np.ndarray, flight_bits: np.ndarray,
                       book_bits: np.ndarray, n_wives: np.ndarray, n_children: np.ndarray,
                       n_parents: np.ndarray, leave_state: np.ndarray, fled_bit: int,
                       flee_bit: int, was_member: int, evader: int,
                       deserted: int, head: int, p_planned: float, p_deserter: float,
                       p_evader: float, family_ties: float, base_go: np.uint64,
                       base_ties: np.uint64, gold: np.uint64, m1: np.uint64, m2: np.uint64
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The loop of ``decide.punishment`` (its NumPy twin): of the wanted ``W``, those who
    can leave (``leave_state`` by state, not fleeing) and go today at their daily chance
    (planned, deserter, evader; one uniform each from ``base_go``), family ties holding the
    unplanned heads with dependants (a uniform from ``base_ties``); their ids in the order
    of ``W`` and the reason of each (1 planned, 2 punishment)."""
    out = np.empty(W.size, dtype=np.int64)
    why = np.empty(W.size, dtype=np.int64)
    m = 0
    for j in range(W.size):
        i = W[j]
        st = state[i]
        if not leave_state[st] or (flight_bits[i] & fled_bit) != 0:
            continue
        planned = (book_bits[i] & flee_bit) != 0
        fl = flags[i]
        deserter = st == deserted or ((fl & was_member) != 0 and (fl & evader) == 0)
        daily = p_planned if planned else (p_deserter if deserter else p_evader)
        if not uniform_of(i, base_go, gold, m1, m2) < daily:
            continue
        if not planned:
            h = household[i]
            deps = (np.int64(n_wives[h]) + np.int64(n_children[h])
                    + np.int64(n_parents[h])) > 0
            if role[i] == head and deps and not (
                    uniform_of(i, base_ties, gold, m1, m2) >= family_ties):
                continue
        out[m] = i
        why[m] = 1 if planned else 2
        m += 1
    return out[:m], why[:m]


punishment_flight = _compile(_punishment_flight)


def _interception(ids: np.ndarray, actor: np.ndarray, u: np.ndarray, cumulative: np.ndarray,
                  sex: np.ndarray, birth: np.ndarray, flags: np.ndarray,
                  wanted_by: np.ndarray, day: int, held_lo: int, held_hi: int,
                  was_member: int, evader: int, wanted_flag: int, kind_wanted: int,
                  kind_others: int, detained: int, returned: int, punished: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The outcomes of interceptions as ``Flight._interdict`` and ``interception_outcome``
    compute them in NumPy: the kind of each person (wanted by the intercepting actor, or
    others), whether a deserter, and the outcome drawn with ``u`` from the actor's
    cumulative shares (women, children and elders among the others sent back rather than
    held; deserters PUNISHED)."""
    n = ids.size
    n_out = cumulative.shape[2]
    oc = np.empty(n, dtype=np.int64)
    kind = np.empty(n, dtype=np.int64)
    deserter = np.empty(n, dtype=np.bool_)
    for j in range(n):
        i = ids[j]
        a = actor[j]
        fl = flags[i]
        k = kind_wanted if np.int64(wanted_by[i]) == a else kind_others
        kind[j] = k
        d = (fl & was_member) != 0 and (fl & evader) == 0 and (fl & wanted_flag) != 0
        deserter[j] = d
        c = 0
        for q in range(n_out):
            if cumulative[a, k, q] <= u[j]:
                c += 1
        c = min(max(c, 0), n_out - 1)
        years = (day - np.int64(birth[i])) * 4 // 1461
        man = sex[i] == 1 and held_lo <= years <= held_hi
        if k == kind_others and not man and c >= detained:
            c = returned
        oc[j] = punished if d else c
    return oc, kind, deserter


interception = _compile(_interception)


def _set_out_on_links(t_ids: np.ndarray, t_link: np.ndarray, t_left: np.ndarray,
                      t_prev: np.ndarray, budget: np.ndarray, place: np.ndarray,
                      fled_from: np.ndarray, bits: np.ndarray, household: np.ndarray,
                      n_households: int, lone_bit: int, nocamp_bit: int, smuggled_bit: int,
                      base: np.uint64, gold: np.uint64, m1: np.uint64, m2: np.uint64,
                      control: np.ndarray, front: np.ndarray, safe_front_max: np.float32,
                      town_movechance: float, score: np.ndarray, path_of: np.ndarray,
                      path_end: np.ndarray, path_dist_w: np.ndarray, path_next: np.ndarray,
                      path_link: np.ndarray, path_desert: np.ndarray, is_camp: np.ndarray,
                      desert_pref: float, back_factor: float, n_places: int,
                      l_km: np.ndarray, speed: np.ndarray, l_kind: np.ndarray,
                      seen: np.ndarray, index: np.ndarray) -> None:
    """One wave of departures of ``Flight._travel`` (its NumPy twin): travellers at a place
    with travel time left move on with Flee's move chance (one uniform per party from
    ``base``), pick a link (:func:`_choose_links`, with the same uniform rescaled) and
    start on it; the others stop for the day (``budget`` 0). Changes ``t_link``, ``t_left``
    and ``budget`` in place."""
    n = t_ids.size
    pos = np.empty(n, dtype=np.int64)
    at = np.empty(n, dtype=np.int64)
    prev = np.empty(n, dtype=np.int64)
    f = np.empty(n, dtype=np.int64)
    nocamp = np.empty(n, dtype=np.bool_)
    smuggled = np.empty(n, dtype=np.bool_)
    v = np.empty(n, dtype=np.float64)
    A = score.shape[0] - 1
    m = 0
    for q in range(n):
        if not (t_link[q] < 0 and budget[q] > 0):
            continue
        i = t_ids[q]
        b = bits[i]
        key = n_households + i if (b & lone_bit) != 0 else np.int64(household[i])
        u = uniform_of(key, base, gold, m1, m2)
        a = np.int64(place[i])
        feared = np.int64(fled_from[i])
        safe = (np.int64(control[a]) != feared and front[a] < safe_front_max
                and t_prev[q] >= 0)
        mc = town_movechance if safe else 1.0
        if not u < mc:
            budget[q] = 0.0
            continue
        pos[m] = q
        at[m] = a
        prev[m] = t_prev[q]
        f[m] = feared if feared >= 0 else A
        nocamp[m] = (b & nocamp_bit) != 0
        smuggled[m] = (b & smuggled_bit) != 0
        v[m] = u / mc
        m += 1
    if m == 0:
        return
    link = choose_links(at[:m], prev[:m], f[:m], nocamp[:m], smuggled[:m], v[:m], score,
                        path_of, path_end, path_dist_w, path_next, path_link, path_desert,
                        is_camp, desert_pref, back_factor, n_places, seen, index)
    for r in range(m):
        q = pos[r]
        lk = link[r]
        if lk >= 0:
            t_link[q] = lk
            t_left[q] = l_km[lk] / speed[l_kind[lk]]
        else:
            budget[q] = 0.0


def _advance(t_link: np.ndarray, t_left: np.ndarray, budget: np.ndarray
             ) -> tuple[bool, np.ndarray]:
    """Travellers on a link with travel time left cover what they can of it today (as
    ``Flight._travel`` in NumPy): whether any was moving, and the positions of those who
    reach the link's end."""
    n = t_link.size
    out = np.empty(n, dtype=np.int64)
    m = 0
    moving = False
    for q in range(n):
        if not (t_link[q] >= 0 and budget[q] > 0):
            continue
        moving = True
        step = min(t_left[q], budget[q])
        t_left[q] -= step
        budget[q] -= step
        if t_left[q] <= 1e-9:
            out[m] = q
            m += 1
    return moving, out[:m]


set_out_on_links = _compile(_set_out_on_links)
advance = _compile(_advance)


def _leaving_draws(m: np.ndarray, actor: np.ndarray, place: np.ndarray, home: np.ndarray,
                   assignment: np.ndarray, flags: np.ndarray, household: np.ndarray,
                   tribe: np.ndarray, control: np.ndarray, n_places: int, n_actors: int,
                   base_rate: float, t_losing: np.ndarray, any_losing: bool,
                   t_dis: np.ndarray, any_dis: bool, w_fav: float, fav_ref: float,
                   t_pay: np.ndarray, any_pay: bool, w_redeploy: float, former: float,
                   distant: int, front: int, t_mas: np.ndarray, any_mas: bool,
                   t_fear: np.ndarray, t_det: np.ndarray, any_det: bool, t_safe: np.ndarray,
                   any_safe: bool, gain: float, foreign_flag: int, was_member: int,
                   suspected_flag: int, base: np.uint64, gold: np.uint64, m1: np.uint64,
                   m2: np.uint64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The daily draw of ``Leaving.step`` over members ``m`` (its NumPy twin,
    ``Leaving._terms`` and the lines after it, term by term in the same order): the
    hazard ``h = (sum of terms) x deterrence + safe exit``, one uniform each from ``base``;
    returns ``leave`` (u < h), ``sus`` (already suspected) and ``new_sus`` (not leaving,
    not suspected, u < h + gain x terms x deterrence)."""
    n = m.size
    # favouritism: the foreign share of each actor's members (a first pass)
    n_a = np.zeros(n_actors, dtype=np.int64)
    n_f = np.zeros(n_actors, dtype=np.int64)
    for j in range(n):
        i = m[j]
        a = np.int64(actor[i])
        n_a[a] += 1
        if (flags[i] & foreign_flag) != 0:
            n_f[a] += 1
    any_fav = n_f.sum() > 0 and w_fav > 0
    fav = np.zeros(n_actors, dtype=np.float64)
    for b in range(n_actors):
        share = n_f[b] / max(np.float64(n_a[b]), 1.0)
        fav[b] = w_fav * min(share / fav_ref, 1.0)
    leave = np.empty(n, dtype=np.bool_)
    sus = np.empty(n, dtype=np.bool_)
    new_sus = np.empty(n, dtype=np.bool_)
    for j in range(n):
        i = m[j]
        a = np.int64(actor[i])
        pl = np.int64(place[i])
        hm = np.int64(home[i])
        asg = np.int64(assignment[i])
        fl = flags[i]
        core = base_rate
        if any_losing:
            core = core + t_losing[a]
        if any_dis:
            core = core + t_dis[a * n_places + hm]
        if any_fav:
            core = core + fav[a] * (0.0 if (fl & foreign_flag) != 0 else 1.0)
        if any_pay:
            col = hm if np.int64(control[hm]) == a else n_places
            core = core + t_pay[a * (n_places + 1) + col]
        r = ((1.0 if asg == distant else 0.0)
             + former * (1.0 if (asg == front and (fl & was_member) != 0) else 0.0))
        core = core + w_redeploy * r
        if any_mas:
            tr = np.int64(tribe[household[i]])
            core = core + (t_mas[a, tr] if tr >= 0 else 0.0)
        core = core + t_fear[asg * n_places + pl]
        key = a * n_places + pl
        det = t_det[key] if any_det else 1.0
        safe = t_safe[key] if any_safe else 0.0
        h = core * det + safe
        u = uniform_of(i, base, gold, m1, m2)
        lv = u < h
        s = (fl & suspected_flag) != 0
        leave[j] = lv
        sus[j] = s
        new_sus[j] = not lv and not s and u < h + gain * core * det
    return leave, sus, new_sus


leaving_draws = _compile(_leaving_draws)


def _event_counts(places: np.ndarray, actor: np.ndarray, destination: np.ndarray,
                  reason: np.ndarray, n_code: int, n_places: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The grouping of ``Recorder.events`` (its NumPy twin): each person's key
    ``((actor + 1) x (P + 1) + destination + 1) x n_code + reason`` (``actor``,
    ``destination`` and ``reason`` one each or one for all), the distinct keys in ascending
    order and the count of people by key and place, (keys, P)."""
    n = places.size
    na, nd, nr = actor.size, destination.size, reason.size
    m = max(na, nd, nr)
    p1 = n_places + 1
    combo = np.empty(m, dtype=np.int64)
    for j in range(m):
        combo[j] = (((actor[j if na > 1 else 0] + 1) * p1 + (destination[j if nd > 1 else 0]
                                                             + 1)) * n_code
                    + reason[j if nr > 1 else 0])
    one = True
    for j in range(1, m):
        if combo[j] != combo[0]:
            one = False
            break
    for j in range(n):
        if places[j] < 0 or places[j] >= n_places:
            raise ValueError("event place out of range")
    if one:
        counts = np.zeros((1, n_places), dtype=np.int64)
        for j in range(n):
            counts[0, places[j]] += 1
        return combo[:1].copy(), counts
    uk = np.unique(combo)
    counts = np.zeros((uk.size, n_places), dtype=np.int64)
    for j in range(n):
        counts[np.searchsorted(uk, combo[j]), places[j]] += 1
    return uk, counts


event_counts = _compile(_event_counts)


def _still_in(ids: np.ndarray, flags: np.ndarray, flag: int, state: np.ndarray,
              want_state: int, not_state: int, bits: np.ndarray, bit: int) -> np.ndarray:
    """The ids of an index set that still belong to it (the wanted book's ``_read``, its
    NumPy twin): flagged ``flag`` (0: any), in ``want_state`` (-1: any) and not in
    ``not_state`` (-1: none barred), in their order; the others lose ``bit`` of ``bits``."""
    out = np.empty(ids.size, dtype=np.int64)
    m = 0
    for j in range(ids.size):
        i = ids[j]
        st = state[i]
        ok = ((flag == 0 or (flags[i] & flag) != 0) and (want_state < 0 or st == want_state)
              and (not_state < 0 or st != not_state))
        if ok:
            out[m] = i
            m += 1
        else:
            bits[i] &= ~np.uint8(bit)
    return out[:m]


def _count_pairs(ids: np.ndarray, place: np.ndarray, home: np.ndarray, counts: np.ndarray,
                 n_places: int, sign: int) -> None:
    """Add ``sign`` to ``counts`` (flat, place x home) for each of ``ids``."""
    for j in range(ids.size):
        i = ids[j]
        counts[np.int64(place[i]) * n_places + np.int64(home[i])] += sign


still_in = _compile(_still_in)
count_pairs = _compile(_count_pairs)


def _compact(keep: np.ndarray, t_ids: np.ndarray, t_link: np.ndarray, t_left: np.ndarray,
             t_wait: np.ndarray, t_prev: np.ndarray, budget: np.ndarray,
             has_budget: bool) -> int:
    """The travellers where ``keep``, moved to the front of their arrays in order (in
    place; ``budget`` too when ``has_budget``). Returns how many are kept."""
    m = 0
    for q in range(keep.size):
        if keep[q]:
            t_ids[m] = t_ids[q]
            t_link[m] = t_link[q]
            t_left[m] = t_left[q]
            t_wait[m] = t_wait[q]
            t_prev[m] = t_prev[q]
            if has_budget:
                budget[m] = budget[q]
            m += 1
    return m


compact = _compile(_compact)


def _arrive_hazards(i: np.ndarray, t_ids: np.ndarray, t_link: np.ndarray,
                    l_from: np.ndarray, l_to: np.ndarray, l_kind: np.ndarray,
                    bits: np.ndarray, household: np.ndarray, n_households: int,
                    lone_bit: int, smuggled_bit: int, fled_from: np.ndarray,
                    wanted_by: np.ndarray, has_book: bool, control: np.ndarray,
                    checkpoint_by_kind: np.ndarray, smuggled_factor: float,
                    campaign: np.ndarray, has_campaign: bool, campaign_scale: float,
                    patrol_desert: float, patrols: np.ndarray, has_patrols: bool,
                    mine_by_kind: np.ndarray, ban: np.ndarray, desert: int,
                    mf_on: np.ndarray, mf_value: np.ndarray, mf_actor: np.ndarray,
                    base: np.uint64, gold: np.uint64, m1: np.uint64, m2: np.uint64
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                               np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """The hazards of travellers at positions ``i`` finishing their link, as
    ``Flight._arrive_hazards`` computes them in NumPy (its twin): ids, link start and end,
    party keys; who is stopped (1 by a checkpoint, 2 by a patrol, 0 neither: one uniform
    per party from ``base``, below the checkpoint chance a checkpoint, then a patrol), by
    which actor, the uniform rescaled to the stop chance; who hits a mine (only those not
    stopped: the rest of the interval, rescaled), and the mine's actor (today's minefields:
    rows of ``mf_on`` by link, in order); whether any hazard had a chance."""
    n = i.size
    ids = np.empty(n, dtype=np.int64)
    frm = np.empty(n, dtype=np.int64)
    to = np.empty(n, dtype=np.int64)
    kind = np.empty(n, dtype=np.int64)
    keys = np.empty(n, dtype=np.int64)
    feared = np.empty(n, dtype=np.int64)
    wanted = np.empty(n, dtype=np.int64)
    smuggled = np.empty(n, dtype=np.bool_)
    for j in range(n):
        q = i[j]
        p = t_ids[q]
        lk = t_link[q]
        ids[j] = p
        frm[j] = l_from[lk]
        to[j] = l_to[lk]
        kind[j] = l_kind[lk]
        b = bits[p]
        keys[j] = n_households + p if (b & lone_bit) != 0 else np.int64(household[p])
        feared[j] = fled_from[p]
        wanted[j] = wanted_by[p] if has_book else feared[j]
        smuggled[j] = (b & smuggled_bit) != 0
    p_cp, cp_actor, p_pat, pat_actor, p_mine, mine_actor = link_hazards(
        frm, to, kind, control, feared, wanted, smuggled, checkpoint_by_kind,
        smuggled_factor, campaign, has_campaign, campaign_scale, patrol_desert, patrols,
        has_patrols, mine_by_kind, ban, desert)
    stop = np.zeros(n, dtype=np.int8)
    actor = np.empty(n, dtype=np.int64)
    u_rel = np.zeros(n, dtype=np.float64)
    mine = np.zeros(n, dtype=np.bool_)
    any_hazard = False
    for j in range(n):
        lk = t_link[i[j]]
        pm = p_mine[j]
        for r in range(mf_value.size):
            if mf_on[r, lk]:
                pm += mf_value[r]
                if mf_actor[r] >= 0:
                    mine_actor[j] = mf_actor[r]
        pm = min(pm, 1.0)
        pc = p_cp[j]
        ps = pc + p_pat[j] * (1.0 - pc)
        if ps != 0.0 or pm != 0.0:  # as NumPy's any()
            any_hazard = True
        u = uniform_of(keys[j], base, gold, m1, m2)
        if u < pc:
            stop[j] = 1
            actor[j] = cp_actor[j]
            u_rel[j] = u / ps
        elif u < ps:
            stop[j] = 2
            actor[j] = pat_actor[j]
            u_rel[j] = u / ps
        else:
            actor[j] = -1
        # past both stops: the rest of the interval, rescaled, draws the mine; a party
        # stopped (u < ps) does not also walk onto one
        mine[j] = u >= ps and (u - ps) / max(1.0 - ps, 1e-12) < pm
    return ids, frm, to, keys, stop, actor, u_rel, mine, mine_actor, any_hazard


def _go_on(i: np.ndarray, gone: np.ndarray, ids: np.ndarray, keys: np.ndarray,
           frm: np.ndarray, to: np.ndarray, t_prev: np.ndarray, t_link: np.ndarray,
           t_left: np.ndarray, control: np.ndarray, front: np.ndarray,
           safe_front_max: np.float32, fled_from: np.ndarray, bits: np.ndarray,
           nocamp_bit: int, is_camp: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray]:
    """Travellers at positions ``i`` not ``gone`` reach their link's end (as
    ``Flight._arrive`` and ``_stop`` compute it in NumPy): their ids, keys, place and
    positions; the holder of the place, whether it is safe for each (not held by the actor
    fled, front below ``safe_front_max``) and whether each would enter it as a camp (a
    camp, not camp-averse). ``t_prev`` (the link's start), ``t_link`` (-1) and ``t_left``
    (0) change in place."""
    n = i.size
    m = 0
    for j in range(n):
        if not gone[j]:
            m += 1
    g_ids = np.empty(m, dtype=np.int64)
    g_keys = np.empty(m, dtype=np.int64)
    g_to = np.empty(m, dtype=np.int64)
    pos = np.empty(m, dtype=np.int64)
    ctrl = np.empty(m, dtype=np.int64)
    safe = np.empty(m, dtype=np.bool_)
    camp = np.empty(m, dtype=np.bool_)
    r = 0
    for j in range(n):
        if gone[j]:
            continue
        p = ids[j]
        a = to[j]
        q = i[j]
        g_ids[r] = p
        g_keys[r] = keys[j]
        g_to[r] = a
        pos[r] = q
        t_prev[q] = frm[j]
        t_link[q] = -1
        t_left[q] = 0.0
        c = np.int64(control[a])
        ctrl[r] = c
        safe[r] = c != fled_from[p] and front[a] < safe_front_max
        camp[r] = is_camp[a] and (bits[p] & nocamp_bit) == 0
        r += 1
    return g_ids, g_keys, g_to, pos, ctrl, safe, camp


def _journey_ends(at: np.ndarray, keys: np.ndarray, camp: np.ndarray, safe: np.ndarray,
                  is_abroad: np.ndarray, is_town: np.ndarray, settle_chance: float,
                  host_chance: float, camp_state: int, abroad_state: int, settled_state: int,
                  base: np.uint64, gold: np.uint64, m1: np.uint64, m2: np.uint64
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                             bool]:
    """Where journeys end (as ``Flight._stop`` computes it in NumPy): in a camp
    (``camp``), abroad, or settled in a safe town with ``settle_chance`` (one uniform per
    party from ``base``; failing that, hosted by relatives with ``host_chance``). Returns
    the positions that end, in order, and the state of each (``camp_state``,
    ``abroad_state`` or ``settled_state``); the positions of those abroad, of the settled,
    and of the hosted; whether any was in a safe town (the uniforms were used)."""
    n = at.size
    end = np.empty(n, dtype=np.int64)
    code = np.empty(n, dtype=np.int64)
    abroad = np.empty(n, dtype=np.int64)
    settled = np.empty(n, dtype=np.int64)
    hosted = np.empty(n, dtype=np.int64)
    ne = na = ns = nh = 0
    any_town = False
    for j in range(n):
        a = at[j]
        ab = is_abroad[a]
        if camp[j]:
            end[ne] = j
            code[ne] = camp_state
            ne += 1
        elif ab:
            end[ne] = j
            code[ne] = abroad_state
            ne += 1
        if ab:
            abroad[na] = j
            na += 1
        if not (is_town[a] and safe[j] and not camp[j] and not ab):
            continue
        any_town = True
        u = uniform_of(keys[j], base, gold, m1, m2)
        if u < settle_chance:
            end[ne] = j
            code[ne] = settled_state
            ne += 1
            settled[ns] = j
            ns += 1
        elif u < settle_chance + (1.0 - settle_chance) * host_chance:
            hosted[nh] = j
            nh += 1
    return end[:ne], code[:ne], abroad[:na], settled[:ns], hosted[:nh], any_town


arrive_hazards = _compile(_arrive_hazards)
go_on = _compile(_go_on)
journey_ends = _compile(_journey_ends)
