"""A day's moves of the Flee engine in one compiled call (Numba), for the plain rules.

:meth:`ranks.flee.engine.FleeEngine.step` moves agents in two phases: idle agents decide
and pick a route (phase 1), then everyone on a link advances by the day's speed and agents
who arrive with km to spare decide again, in waves, until nobody has time left (phase 2,
:meth:`~ranks.flee.engine.FleeEngine._travel_plain`).  In NumPy each wave is a dozen array
calls whose fixed cost dominates on small conflicts (a day has some 25 waves).
:func:`day_moves` does both phases in one call, agent by agent, in the order the NumPy code
uses, so it draws the same random numbers (from the same :class:`numpy.random.Generator`,
whose state Numba shares) for the same agents and gives the same numbers bit for bit:
integer counts, the same floating-point operations in the same order (cumulative weights
are summed left to right, as ``np.cumsum``), no fused multiply-add.  The NumPy code is its
twin: ``RANKS_NUMBA=0`` (or no Numba) runs it, and ``tests/test_kernels.py`` runs both on
random networks and compares every agent's state day by day.

Plain rules: one-step routes drawn from the weight table (awareness below 2), no walking
speeds, no leftover-speed fix, ``weight_power`` 1 (the engine checks; otherwise it runs the
NumPy code).  Units: km, km/day, daily probabilities.
"""

from __future__ import annotations

import numpy as np

from ranks.kernels import _compile

_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_MULT_HI = np.uint64(2549297995355413924)  # PCG64's 128-bit multiplier (numpy's pcg64.h)
_MULT_LO = np.uint64(4865540595714422341)


def _mul_64(a: np.uint64, b: np.uint64) -> tuple[np.uint64, np.uint64]:
    """The 128-bit product of two 64-bit words, as (high word, low word)."""
    a_lo, a_hi, b_lo, b_hi = a & _M32, a >> _S32, b & _M32, b >> _S32
    p0, p1, p2, p3 = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    mid = (p0 >> _S32) + (p1 & _M32) + (p2 & _M32)
    return p3 + (p1 >> _S32) + (p2 >> _S32) + (mid >> _S32), (p0 & _M32) | (mid << _S32)


def _pcg_uniform(st: np.ndarray) -> float:
    """The next ``Generator.random()`` of numpy's PCG64 whose state ``st`` holds (uint64
    words: state high, state low, increment high, increment low; advanced in place): a
    128-bit LCG step, the XSL-RR output, its top 53 bits as a double in [0, 1)."""
    hi, lo = mul_64(st[1], _MULT_LO)
    hi = hi + st[0] * _MULT_LO + st[1] * _MULT_HI
    new_lo = lo + st[3]
    hi = hi + st[2] + (np.uint64(1) if new_lo < lo else np.uint64(0))
    st[0] = hi
    st[1] = new_lo
    x = hi ^ new_lo
    r = hi >> np.uint64(58)
    out = (x >> r) | (x << ((np.uint64(64) - r) & np.uint64(63)))
    return np.float64(out >> np.uint64(11)) * (1.0 / 9007199254740992.0)


def pcg_state(gen: np.random.Generator) -> np.ndarray:
    """The PCG64 state of ``gen`` as the four words :func:`pcg_uniform` takes."""
    s = gen.bit_generator.state
    if s["bit_generator"] != "PCG64":
        raise ValueError(f"a PCG64 generator is needed, not {s['bit_generator']}")
    m = (1 << 64) - 1
    st, inc = s["state"]["state"], s["state"]["inc"]
    return np.array([st >> 64, st & m, inc >> 64, inc & m], dtype=np.uint64)


def state_view(gen: np.random.Generator) -> tuple[np.ndarray, bool] | None:
    """The live PCG64 state of ``gen`` as four uint64 words in its own memory (state,
    increment; 128 bits each), and whether each 128-bit value is stored low word first
    (native 128-bit integers) or high word first; None if the words cannot be found.

    :func:`day_moves` reads and advances the state there, so ``gen`` goes on from the
    day's last draw, without building ``bit_generator.state`` (a dict) every day.  The
    layout is checked against ``bit_generator.state``; the view lives as long as ``gen``'s
    bit generator (keep a reference)."""
    import ctypes

    bg = gen.bit_generator
    s = bg.state
    if s["bit_generator"] != "PCG64":
        return None
    ptr = ctypes.c_void_p.from_address(bg.ctypes.state_address).value
    if not ptr:
        return None
    view = np.ctypeslib.as_array((ctypes.c_uint64 * 4).from_address(ptr))
    m = (1 << 64) - 1
    st, inc = s["state"]["state"], s["state"]["inc"]
    words = [int(x) for x in view]
    if words == [st & m, st >> 64, inc & m, inc >> 64]:
        return view, True
    if words == [st >> 64, st & m, inc >> 64, inc & m]:
        return view, False
    return None


def _cumulate(w_ext: np.ndarray, ptr: np.ndarray, has_paths: np.ndarray,
              path_origin: np.ndarray, cw: np.ndarray, lo: np.ndarray, tot: np.ndarray,
              zero: np.ndarray) -> None:
    """``FleeEngine._cumulate`` in place: cumulative weights ``cw`` (P+1,) from path
    weights with a leading 0 ``w_ext``, each origin's start ``lo`` and total ``tot``
    (L,); an origin with paths whose weights are all 0 gets weight 1 on each path (Flee:
    all-zero weights mean equal weights).  ``zero``: (L,) scratch."""
    acc = w_ext[0]
    cw[0] = acc
    for j in range(1, w_ext.size):
        acc = acc + w_ext[j]
        cw[j] = acc
    any_zero = False
    for o in range(ptr.size - 1):
        a = cw[ptr[o]]
        lo[o] = a
        tot[o] = cw[ptr[o + 1]] - a
        zero[o] = tot[o] <= 0 and has_paths[o]
        any_zero = any_zero or zero[o]
    if not any_zero:
        return
    cw[0] = 0.0
    for j in range(1, w_ext.size):
        wj = 1.0 if zero[path_origin[j - 1]] else w_ext[j]
        acc = wj if j == 1 else acc + wj
        cw[j] = acc
    for o in range(ptr.size - 1):
        a = cw[ptr[o]]
        lo[o] = a
        tot[o] = cw[ptr[o + 1]] - a


def _weights(count: np.ndarray, cap_idx: np.ndarray, cap_lo: np.ndarray,
             cap_val: np.ndarray, denom: np.ndarray, buf_ge1: bool, n_clip: np.ndarray,
             fresh: bool, base_ext: np.ndarray, slot_ext: np.ndarray, campcap: np.ndarray,
             ext: np.ndarray, w_ext: np.ndarray, ok: np.ndarray, ptr: np.ndarray,
             has_paths: np.ndarray, path_origin: np.ndarray, cw: np.ndarray,
             lo: np.ndarray, tot: np.ndarray, zero: np.ndarray) -> None:
    """``FleeEngine._weights_now`` for the current ``count`` (agents per location), in
    place: path usability ``ok`` (P,) and the cumulative weights (see :func:`_cumulate`).

    Recomputed only when ``fresh`` or when the counts at capacity-limited locations,
    clipped to the range where the capacity multiplier varies (``n_clip``, kept between
    calls), changed.  The multiplier at a location of capacity c holding n agents is
    (c - n) / (c (1 - buffer)) above ``buffer`` x c (1 below; with a buffer of 1 or more,
    0 when full and else 1); a path's weight is multiplied by its destination's, and a
    path to a camp whose multiplier is below 0.5 cannot be taken."""
    k = cap_idx.size
    same = not fresh
    active = False
    for j in range(k):
        x = np.float64(count[cap_idx[j]])
        if x < cap_lo[j]:
            x = cap_lo[j]
        if x > cap_val[j]:
            x = cap_val[j]
        if x != n_clip[j]:
            same = False
            n_clip[j] = x
        if x > cap_lo[j]:
            active = True
    if same:
        return
    if not active:
        for p in range(ok.size):
            ok[p] = True
        cumulate(base_ext, ptr, has_paths, path_origin, cw, lo, tot, zero)
        return
    any_low = False
    for j in range(k):
        if buf_ge1:
            ext[j] = 0.0 if n_clip[j] >= cap_val[j] else 1.0
        else:
            ext[j] = (cap_val[j] - n_clip[j]) / denom[j]
        any_low = any_low or ext[j] < 0.5
    ext[k] = 1.0
    for p in range(w_ext.size):
        w_ext[p] = base_ext[p] * ext[slot_ext[p]]
    for p in range(ok.size):
        ok[p] = not (any_low and campcap[p] and ext[slot_ext[p + 1]] < 0.5)
    cumulate(w_ext, ptr, has_paths, path_origin, cw, lo, tot, zero)


def _pick(vo: np.int64, u: float, cw: np.ndarray, lo: np.ndarray, tot: np.ndarray,
          ptr: np.ndarray, last_path: np.ndarray) -> np.int64:
    """The path drawn at origin ``vo`` by uniform ``u``: the first path j with cumulative
    weight ``cw[j + 1]`` above the target ``u`` x the origin's total + its start, capped
    at the origin's last path (-1: the origin has none); the same as NumPy's
    ``searchsorted(cw[1:], target, "right")`` capped, since weights are not negative and
    the target is at least the origin's start: only the origin's paths are bisected."""
    last = np.int64(last_path[vo])
    if last < 0:
        return last
    target = u * tot[vo]
    target = target + lo[vo]
    a = np.int64(ptr[vo])
    b = last
    while a < b:
        mid = (a + b) // 2
        if cw[mid + 1] <= target:
            a = mid + 1
        else:
            b = mid
    return a


def _settle(i: np.int64, where: np.int64, dm: float, stints: bool, done_id: np.ndarray,
            done_loc: np.ndarray, n_done: int, km_id: np.ndarray, km: np.ndarray,
            n_km: int) -> tuple[int, int]:
    """Agent ``i`` ends the day at ``where`` after ``dm`` km (kept for the short-stint
    rule): appended to the settled lists; returns their new lengths."""
    done_id[n_done] = i
    done_loc[n_done] = where
    if stints:
        km_id[n_km] = i
        km[n_km] = dm
        n_km += 1
    return n_done + 1, n_km


def _day_moves(aw: np.ndarray, u_aw: np.ndarray, gaps: np.ndarray, dormant_p: np.ndarray,
               trav: np.ndarray, trav_link: np.ndarray, loc: np.ndarray, link: np.ndarray,
               d_link: np.ndarray, epoch: np.ndarray, recent: np.ndarray, cls: np.ndarray,
               n_agents: int, count: np.ndarray, dormant: np.ndarray, mce: np.ndarray,
               town: np.ndarray, speed: np.ndarray, dist: np.ndarray, src: np.ndarray,
               dst: np.ndarray, is_open: np.ndarray, close_count: np.ndarray,
               arrive_fresh: np.ndarray, first_link: np.ndarray, ptr: np.ndarray,
               last_path: np.ndarray, has_paths: np.ndarray, path_origin: np.ndarray,
               base_ext: np.ndarray, slot_ext: np.ndarray, campcap: np.ndarray,
               cap_idx: np.ndarray, cap_lo: np.ndarray, cap_val: np.ndarray,
               denom: np.ndarray, buf_ge1: bool, n_cls: int, track_epoch: bool,
               fix_bounce: bool, stints: bool, max_speed: float, pcg: np.ndarray,
               pcg_low_first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Phases 1 and 2 of a day (see the module docstring), in place on the agent columns
    (``loc``, ``link``, ``d_link`` km, ``epoch``, ``recent``) and on ``count`` (agents at
    each location).

    ``aw``: agents idle at non-dormant locations, ``u_aw`` their uniforms (already drawn);
    ``gaps``: geometric gaps between the agent indices selected at the dormant locations'
    common chance q (already drawn, enough to pass the last agent); a selected agent idle at
    a dormant location l moves with probability ``dormant_p[l]`` (p_l / q, one uniform
    each; see ``FleeEngine._pick_dormant``);
    ``trav``/``trav_link``: agents on links at the start of the day and their links.  The
    route choices and wave decisions draw from the PCG64 state ``pcg`` (see
    :func:`pcg_state` and :func:`state_view`; ``pcg_low_first``: the words are in the
    view's order; advanced in place) in the NumPy code's order.  Returns
    (agents on links at the end of the day, their links, agents idle at non-dormant
    locations, whether the waves were cut at 10 000).
    """
    rng = np.empty(4, dtype=np.uint64)  # state high, low, increment high, low
    for w in range(4):
        rng[w] = pcg[w ^ 1] if pcg_low_first else pcg[w]
    # agents at dormant locations who move today
    n_sel = 0
    pos = np.int64(-1)
    for j in range(gaps.size):
        pos += gaps[j]
        if pos >= n_agents:
            break
        n_sel += 1
    dormant_movers = np.empty(n_sel, dtype=np.int64)
    n_dm = 0
    pos = np.int64(-1)
    for j in range(n_sel):
        pos += gaps[j]
        keep = link[pos] < 0
        if pcg_uniform(rng) < dormant_p[loc[pos]] and keep:
            dormant_movers[n_dm] = pos
            n_dm += 1
    dormant_movers = dormant_movers[:n_dm]

    n = count.size
    n_paths = first_link.size
    n_orig = ptr.size - 1
    # the weight table, recomputed when the counts at capacity-limited locations change
    cw = np.empty(n_paths + 1)
    lo = np.empty(n_orig)
    tot = np.empty(n_orig)
    zero = np.zeros(n_orig, dtype=np.bool_)
    ok = np.ones(n_paths, dtype=np.bool_)
    ext = np.ones(cap_idx.size + 1)
    w_ext = np.empty(n_paths + 1)
    n_clip = np.zeros(cap_idx.size)
    weights(count, cap_idx, cap_lo, cap_val, denom, buf_ge1, n_clip, True, base_ext,
             slot_ext, campcap, ext, w_ext, ok, ptr, has_paths, path_origin, cw, lo, tot,
             zero)

    # Phase 1: idle agents decide (u_aw), movers pick a route; count leaves on departure.
    n_aw = aw.size
    n_mov = 0
    for j in range(n_aw):
        if u_aw[j] < mce[loc[aw[j]]]:
            n_mov += 1
    movers = np.empty(n_mov + dormant_movers.size, dtype=np.int64)
    awake = np.empty(n_aw + dormant_movers.size + trav.size + n_mov + dormant_movers.size,
                     dtype=np.int64)
    n_awake = 0
    m = 0
    for j in range(n_aw):
        if u_aw[j] < mce[loc[aw[j]]]:
            movers[m] = aw[j]
            m += 1
        else:
            awake[n_awake] = aw[j]  # rest: stay idle
            n_awake += 1
    for j in range(dormant_movers.size):
        movers[m] = dormant_movers[j]
        m += 1
    n_act = trav.size + movers.size
    act = np.empty(n_act, dtype=np.int64)
    a_link = np.empty(n_act, dtype=np.int64)
    for j in range(trav.size):
        act[j] = trav[j]
        a_link[j] = trav_link[j]
    n_old = trav.size
    k = n_old
    for j in range(movers.size):
        i = movers[j]
        o = np.int64(loc[i])
        vo = o + n * np.int64(cls[i]) if n_cls > 1 else o
        p = pick(vo, pcg_uniform(rng), cw, lo, tot, ptr, last_path)
        if p >= 0 and ok[p]:
            act[k] = i
            a_link[k] = first_link[p]
            d_link[i] = 0.0
            count[o] -= 1
            k += 1
        elif not dormant[o]:
            awake[n_awake] = i  # stay_aw: decided to move but had no usable route
            n_awake += 1
    n_act = k

    # Phase 2: travel in waves.
    keep_id = np.empty(n_act, dtype=np.int64)  # on a link at the end of the day
    keep_link = np.empty(n_act, dtype=np.int64)
    keep_dl = np.empty(n_act)
    keep_new = np.zeros(n_act, dtype=np.bool_)  # set out today (epoch to set)
    done_id = np.empty(n_act, dtype=np.int64)  # settled at a location
    done_loc = np.empty(n_act, dtype=np.int64)
    km = np.empty(n_act) if stints else np.empty(0)  # km of the day, by agent
    km_id = np.empty(n_act, dtype=np.int64) if stints else np.empty(0, dtype=np.int64)
    n_keep = 0
    n_done = 0
    n_km = 0
    # this wave's arrivals: ids, link arrived by, km moved today before arriving
    w_id = np.empty(n_act, dtype=np.int64)
    w_link = np.empty(n_act, dtype=np.int64)
    w_dm = np.empty(n_act)
    w_old = np.zeros(n_act, dtype=np.bool_)
    w_where = np.empty(n_act, dtype=np.int64)
    w_go = np.zeros(n_act, dtype=np.bool_)
    # wave 0: everyone on a link advances by the day's speed
    n_w = 0
    for j in range(n_act):
        i = act[j]
        lk = a_link[j]
        sp = speed[lk]
        dl = d_link[i] + sp
        if dl > dist[lk]:
            w_id[n_w] = i
            w_link[n_w] = lk
            w_dm[n_w] = dist[lk] - (dl - sp)  # km moved today up to the arrival
            w_old[n_w] = j < n_old
            n_w += 1
        else:
            keep_id[n_keep] = i
            keep_link[n_keep] = lk
            keep_dl[n_keep] = dl
            keep_new[n_keep] = j >= n_old
            n_keep += 1
            if stints:
                km_id[n_km] = i
                km[n_km] = sp
                n_km += 1
    check_bounce = n_old > 0 and track_epoch
    wave = 0
    cut = False
    while n_w > 0:
        # arrivals: where they are, then whether they go on (one uniform each)
        n_go = 0
        for j in range(n_w):
            i = w_id[j]
            lk = w_link[j]
            dm = w_dm[j]
            if wave == 0:
                sp = speed[lk]
                bounce = False
                if check_bounce:
                    if fix_bounce:
                        bounce = not is_open[lk]
                    else:
                        bounce = w_old[j] and close_count[lk] > epoch[i]
                where = src[lk] if bounce else dst[lk]
                go = (not bounce) and dm < sp
            else:
                where = dst[lk]
                go = dm < speed[lk]
            count[where] += 1
            w_where[j] = where
            u = pcg_uniform(rng)
            if stints:
                short = (recent[i] + dm / max_speed) / 2.0 < 0.5
                chance = 1.0 if short and town[where] else mce[where]
            else:
                chance = mce[where]
            go = go and u < chance
            w_go[j] = go
            if go:
                n_go += 1
            else:
                n_done, n_km = settle(i, where, dm, stints, done_id, done_loc, n_done, km_id,
                                      km, n_km)
        if n_go == 0:
            break
        # those who go on pick a route (one uniform each), with the counts after arrival
        weights(count, cap_idx, cap_lo, cap_val, denom, buf_ge1, n_clip, False, base_ext,
                 slot_ext, campcap, ext, w_ext, ok, ptr, has_paths, path_origin, cw, lo,
                 tot, zero)
        wave += 1
        cut = wave == 10_000  # (the NumPy code drops the agents then setting out)
        n_next = 0
        for j in range(n_w):
            if not w_go[j]:
                continue
            i = w_id[j]
            where = w_where[j]
            dm = w_dm[j]
            vo = where + n * np.int64(cls[i]) if n_cls > 1 else where
            p = pick(vo, pcg_uniform(rng), cw, lo, tot, ptr, last_path)
            if not (p >= 0 and ok[p]):  # no usable route: settles here
                n_done, n_km = settle(i, where, dm, stints, done_id, done_loc, n_done, km_id,
                                      km, n_km)
                continue
            lk = np.int64(first_link[p])
            count[where] -= 1
            if cut:
                continue
            if arrive_fresh[lk]:  # arrives within the wave: the next wave (compacted here)
                w_id[n_next] = i
                w_link[n_next] = lk
                w_dm[n_next] = dm + dist[lk]
                n_next += 1
            else:  # set out and stays on the link: km done = the link's speed
                keep_id[n_keep] = i
                keep_link[n_keep] = lk
                keep_dl[n_keep] = speed[lk]
                keep_new[n_keep] = True
                n_keep += 1
                if stints:
                    km_id[n_km] = i
                    km[n_km] = dm + speed[lk]
                    n_km += 1
        n_w = 0 if cut else n_next

    # Write the day's end state back.
    for j in range(n_keep):
        i = keep_id[j]
        link[i] = keep_link[j]
        d_link[i] = keep_dl[j]
        if track_epoch and keep_new[j]:
            epoch[i] = close_count[keep_link[j]]
    for j in range(n_done):
        i = done_id[j]
        loc[i] = done_loc[j]
        link[i] = -1
        d_link[i] = 0.0
        if not dormant[done_loc[j]]:
            awake[n_awake] = i  # done_aw
            n_awake += 1
    if stints:  # Flee: recent = (recent + km today / max speed) / 2, for every agent
        for i in range(n_agents):
            recent[i] *= 0.5
        for j in range(n_km):
            recent[km_id[j]] += km[j] / (2.0 * max_speed)
    for w in range(2):  # the generator goes on after the day's draws
        pcg[w ^ 1 if pcg_low_first else w] = rng[w]
    return keep_id[:n_keep], keep_link[:n_keep], awake[:n_awake], cut


def _seed_day(w: np.ndarray, pcg: np.ndarray, low_first: bool) -> None:
    """Set the PCG64 state held in ``pcg`` (a :func:`state_view`, ``low_first`` its word
    order) to ``numpy.random.default_rng([seed, t])``'s, from that day's SeedSequence
    words ``w`` (4 uint64; ``ranks.flee.engine.day_seed_words``): numpy's
    ``pcg64_set_seed``, state = (inc + initstate) x multiplier + inc (mod 2**128) with
    inc = initseq x 2 + 1."""
    one = np.uint64(1)
    zero = np.uint64(0)
    inc_hi = (w[2] << one) | (w[3] >> np.uint64(63))
    inc_lo = (w[3] << one) | one
    s_lo = inc_lo + w[1]
    s_hi = inc_hi + w[0] + (one if s_lo < inc_lo else zero)
    hi, lo = mul_64(s_lo, _MULT_LO)
    hi = hi + s_hi * _MULT_LO + s_lo * _MULT_HI
    new_lo = lo + inc_lo
    hi = hi + inc_hi + (one if new_lo < lo else zero)
    words = (hi, new_lo, inc_hi, inc_lo)
    for k in range(4):
        pcg[k ^ 1 if low_first else k] = words[k]


def _multinomial(gen: np.random.Generator, n: np.int64, p: np.ndarray) -> np.ndarray:
    """``gen.multinomial(n, p)`` with the same draws: numpy's ``random_multinomial``, one
    binomial per category on what is left (Numba has no ``Generator.multinomial``)."""
    out = np.zeros(p.size, dtype=np.int64)
    left = 1.0
    dn = np.int64(n)
    for j in range(p.size - 1):
        out[j] = gen.binomial(dn, p[j] / left)
        dn -= out[j]
        if dn <= 0:
            break
        left -= p[j]
    if dn > 0:
        out[p.size - 1] = dn
    return out


def _geometric_gaps(gen: np.random.Generator, q: float, n: int) -> np.ndarray:
    """``FleeEngine._dormant_gaps``: geometric gaps at chance ``q`` enough to pass agent
    index ``n`` - 1, with the same draws."""
    if n == 0 or q <= 0.0:
        return np.zeros(0, dtype=np.int64)
    m = int(q * n + 6.0 * np.sqrt(q * n) + 16)
    gaps = gen.geometric(q, size=m)
    total = gaps.sum()
    while total - 1 < n:
        more = gen.geometric(q, size=m)
        total += more.sum()
        gaps = np.concatenate((gaps, more))
    return gaps


def _run_days(t0: int, t1: int, stop: np.ndarray, day_words: np.ndarray,
              gen: np.random.Generator, pcg: np.ndarray, pcg_low_first: bool,
              total: np.ndarray, debt: np.int64, spawn_here: bool, insert_day0: bool,
              pvals: np.ndarray, first_ready: bool, first_new: np.int64, n_cap: int,
              dormant_q: float, dormant_p: np.ndarray,
              awake: np.ndarray, trav: np.ndarray, trav_link: np.ndarray,
              loc: np.ndarray, link: np.ndarray, d_link: np.ndarray, epoch: np.ndarray,
              recent: np.ndarray, cls: np.ndarray, n_agents: int, count: np.ndarray,
              dormant: np.ndarray, mce: np.ndarray, town: np.ndarray, speed: np.ndarray,
              dist: np.ndarray, src: np.ndarray, dst: np.ndarray, is_open: np.ndarray,
              close_count: np.ndarray, arrive_fresh: np.ndarray, first_link: np.ndarray,
              ptr: np.ndarray, last_path: np.ndarray, has_paths: np.ndarray,
              path_origin: np.ndarray, base_ext: np.ndarray, slot_ext: np.ndarray,
              campcap: np.ndarray, cap_idx: np.ndarray, cap_lo: np.ndarray,
              cap_val: np.ndarray, denom: np.ndarray, buf_ge1: bool, n_cls: int,
              track_epoch: bool, fix_bounce: bool, stints: bool, max_speed: float,
              camp_idx: np.ndarray, camp_sim: np.ndarray, agents_rec: np.ndarray,
              links_rec: np.ndarray, new_rec: np.ndarray, debt_rec: np.ndarray
              ) -> tuple[int, int, np.int64, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Days ``t0`` .. ``t1`` - 1 of ``FleeEngine.step`` in one compiled call, for days on
    which the network stays as it is: no conflict change, closure or refresh (``stop[t]``
    marks the days this call must leave to the engine), spawning only from the refugee
    totals (``spawn_here``; ``total`` per day, ``pvals`` the spawn shares per location,
    fixed while the conflicts are) or none.  Each day draws from ``default_rng([seed,
    t])`` (seeded from ``day_words``) in the engine's order: the spawn multinomial, the
    idle agents' uniforms, the dormant gaps, then :func:`day_moves`, so the results are
    the engine's bit for bit.  Stops early (before touching the day) on a ``stop`` day and
    when the day's new agents would not fit the agent columns (``n_cap``).
    ``first_ready``: the engine did day ``t0`` up to its moves (its generator, conflicts,
    ``first_new`` new agents); the call starts with that day's moves, whatever ``stop``
    says of it.  Records the
    engine's per-day series (camp counts, agents, agents on links, new agents, debt).
    Returns (first day not done, agents, debt, awake, on links, their links, agent-steps,
    days whose travel waves were cut)."""
    steps = 0
    n_cut = 0
    t = t0
    while t < t1:
        ready = first_ready and t == t0
        if stop[t] and not ready:
            break
        new = first_new if ready else np.int64(0)
        debt_after = debt
        if spawn_here and not ready:
            diff = total[t] - (total[t - 1] if t > 0 else 0)
            new = diff - debt
            if insert_day0 and t == 0:
                new = np.int64(0)
            if new < 0:
                debt_after = -new
                new = np.int64(0)
            elif debt > 0:
                debt_after = np.int64(0)
            if new > 0 and (pvals.size == 0 or n_agents + new > n_cap):
                break  # no spawn shares (the engine warns) or the columns must grow
        debt = debt_after
        if not ready:
            seed_day(day_words[t], pcg, pcg_low_first)
        if new > 0 and not ready:
            per_loc = multinomial(gen, new, pvals)
            n_wake = 0
            for lc in range(per_loc.size):
                if not dormant[lc]:
                    n_wake += per_loc[lc]
            woke = np.empty(awake.size + n_wake, dtype=np.int64)
            woke[:awake.size] = awake
            k = awake.size
            for lc in range(per_loc.size):
                for _ in range(per_loc[lc]):
                    loc[n_agents] = lc
                    if not dormant[lc]:
                        woke[k] = n_agents
                        k += 1
                    n_agents += 1
                count[lc] += per_loc[lc]
            awake = woke
        u_aw = gen.random(awake.size)
        gaps = geometric_gaps(gen, dormant_q, n_agents)
        trav, trav_link, awake, cut = day_moves(
            awake, u_aw, gaps, dormant_p, trav, trav_link, loc, link, d_link, epoch, recent,
            cls, n_agents, count, dormant, mce, town, speed, dist, src, dst, is_open,
            close_count, arrive_fresh, first_link, ptr, last_path, has_paths, path_origin,
            base_ext, slot_ext, campcap, cap_idx, cap_lo, cap_val, denom, buf_ge1, n_cls,
            track_epoch, fix_bounce, stints, max_speed, pcg, pcg_low_first)
        if cut:
            n_cut += 1
        for j in range(camp_idx.size):
            camp_sim[t, j] = count[camp_idx[j]]
        agents_rec[t] = n_agents
        links_rec[t] = trav.size
        new_rec[t] = new
        debt_rec[t] = debt
        steps += n_agents
        t += 1
    return t, n_agents, debt, awake, trav, trav_link, steps, n_cut


mul_64 = _compile(_mul_64, inline=True)
pcg_uniform = _compile(_pcg_uniform, inline=True)
cumulate = _compile(_cumulate)
weights = _compile(_weights)
pick = _compile(_pick, inline=True)
settle = _compile(_settle, inline=True)
day_moves = _compile(_day_moves)
seed_day = _compile(_seed_day)
multinomial = _compile(_multinomial)
geometric_gaps = _compile(_geometric_gaps)
run_days = _compile(_run_days)


def warm_up() -> float:
    """Load (or compile) :func:`day_moves` for the engine's argument types by calling it
    on a two-location network; returns the CPU seconds taken.  A process pays Numba's
    start (about half a second of CPU, more when compiling into an empty cache) at its
    first compiled call; calling this first moves that cost out of a timed run."""
    import time

    t0 = time.process_time()
    i64, b1 = np.int64, np.bool_
    ids = np.array([0, 1], dtype=i64)
    two = np.zeros(2, dtype=i64)
    one_b = np.ones(2, dtype=b1)
    agents = (two.astype(np.intp), np.full(2, -1, dtype=np.intp), np.zeros(2), two.copy(),
              np.zeros(2), two.astype(np.intp))
    net = (np.array([2, 0], dtype=i64), np.zeros(2, dtype=b1), np.ones(2),
           np.zeros(2, dtype=b1), np.full(2, 10.0), np.full(2, 50.0),
           np.array([0, 1], dtype=np.intp), np.array([1, 0], dtype=np.intp), one_b,
           two.copy(), np.zeros(2, dtype=b1), np.array([0, 1], dtype=i64),
           np.array([0, 1, 2], dtype=i64), np.array([0, 1], dtype=i64), one_b,
           np.array([0, 1], dtype=i64), np.array([0.0, 1.0, 1.0]),
           np.array([1, 0, 1], dtype=i64), np.array([False, True]),
           np.array([1], dtype=i64), np.array([0.9]), np.array([1.0]),
           np.array([0.1]), False, 1, True, False, True, 200.0)
    day_moves(ids, np.zeros(2), np.zeros(0, dtype=i64), np.zeros(2), np.zeros(0, dtype=i64),
              np.zeros(0, dtype=i64), *agents, 2, *net,
              pcg_state(np.random.default_rng(0)), False)
    gen = np.random.default_rng(0)
    view = state_view(gen)
    if view is not None:  # seed_day as DayRng calls it, run_days as FleeEngine._run_quiet
        seed_day(np.zeros((1, 4), dtype=np.uint64)[0], view[0], view[1])
        rec = np.zeros(1, dtype=i64)
        run_days(0, 1, np.zeros(1, dtype=b1), np.zeros((1, 4), dtype=np.uint64), gen,
                 view[0], view[1], np.zeros(1, dtype=i64), np.int64(0), True, False,
                 np.array([1.0, 0.0]), False, np.int64(0), 2, 0.5, np.array([0.0, 0.5]), ids,
                 two[:0].copy(), two[:0].copy(), *agents, 2, *net, np.array([1], dtype=i64),
                 np.zeros((1, 1), dtype=i64), rec, rec.copy(), rec.copy(), rec.copy())
    return time.process_time() - t0
