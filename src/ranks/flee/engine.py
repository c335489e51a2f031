"""Vectorized Flee 3.1 daily rules: agents are NumPy arrays, draws are made for all at once.

One day follows Flee's ``runscripts/run.py``: new conflict zones, spawning (data-driven from the
refugee totals with Flee's refugee debt, or conflict-driven), closures, then ``evolve``: every
agent at a location draws against its location's move chance and movers pick a route from the
per-origin cumulative weight table (one ``searchsorted`` for all movers); then every agent on a
link advances by the day's speed (km/day).  Agents that arrive with distance to spare decide
again at once, in waves, as Flee's recursive ``finish_travel`` does; location counts (and so
capacity) are refreshed between waves rather than after every single agent.  At camps and
other locations with a small move chance, movers are drawn per location (see
:class:`FleeEngine`), so the many agents who stay cost nothing.

Random numbers come from ``numpy.random.default_rng([seed, day])``, so a run is reproducible
and a day's draws do not depend on earlier days' consumption.

With Numba, the day's decisions and travel waves under the plain rules run in one compiled
call (:mod:`ranks.flee.daymoves`) that draws the same numbers in the same order and gives
the same results; the NumPy code below is its twin (``RANKS_NUMBA=0``).
"""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ranks import kernels
from ranks.errors import RanksInputError
from ranks.flee import daymoves
from ranks.flee.agents import AgentStore
from ranks.flee.demographics import AttributeDraws, RouteClasses
from ranks.flee.network import Network, PathTable
from ranks.flee.reader import Scenario
from ranks.flee.validation import metrics

FALLBACK_SPAWN_PER_CONFLICT_DAY = 10.0  # agents per unit conflict intensity per day


@dataclass
class RunResult:
    """Per-day outputs of a run (counts are agents; one agent stands for ``hasten`` people)."""

    scenario: Scenario
    seed: int
    camp_names: list[str]
    camp_sim: np.ndarray  # (T, C) agents in each camp at the end of the day
    camp_obs: np.ndarray  # (T, C) observed (people / hasten), NaN where no series
    total_obs: np.ndarray  # (T,) observed total refugees (raw UNHCR count), NaN if none
    agents: np.ndarray  # (T,) agents alive at the end of the day
    on_links: np.ndarray  # (T,) agents travelling at the end of the day
    new_agents: np.ndarray  # (T,) agents spawned that day
    debt: np.ndarray  # (T,) Flee's refugee debt after spawning
    agent_steps: int  # sum over days of agents evolved
    agents_final: int
    loop_s: float  # s spent in the day loop
    wall_s: float  # s from engine construction (the CLI: from reading inputs) to the end
    peak_rss_mb: float
    spawn_mode: str
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """summary.json content (metric is None without validation data)."""
        has = ~np.isnan(self.camp_obs[0]) if self.camp_obs.size else np.zeros(0, bool)
        ard = tot = maape = None
        if self.scenario.validation is not None and has.any():
            m = metrics(self.camp_sim[:, has].astype(np.float64), self.camp_obs[:, has],
                        self.total_obs)
            ard, tot, maape = m["averaged_relative_difference"], m["total_error"], m["maape"]
        s = self.scenario.settings
        return {
            "averaged_relative_difference": ard,
            "total_error": tot,
            "maape": maape,
            "agent_steps": self.agent_steps,
            "wall_s": round(self.wall_s, 3),
            "loop_s": round(self.loop_s, 3),
            "agent_steps_per_s": round(self.agent_steps / self.loop_s, 1) if self.loop_s else None,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "seed": self.seed,
            "days": int(self.scenario.days),
            "start_date": self.scenario.start_date.isoformat(),
            "agents_final": self.agents_final,
            "people_per_agent": s.hasten,
            "spawn_mode": self.spawn_mode,
            "camps": self.camp_names,
            "camps_final_sim": [int(x) for x in self.camp_sim[-1]],
            "settings": s.source or "Flee defaults (simsetting.yml)",
            "compat": {k: getattr(s.compat, k) for k in s.compat.__dataclass_fields__},
            "input_dir": str(self.scenario.input_dir),
            "warnings": list(self.warnings),
        }


_EMPTY = np.zeros(0, dtype=np.int64)
_EMPTY_F = np.zeros(0, dtype=np.float64)

# numpy's SeedSequence constants (kernels.seed_words hashes one entropy at a time, compiled;
# here all days at once, in NumPy) and PCG64's seeding constants (pcg64.c)
_SS_INIT_A, _SS_MULT_A = kernels.SS_INIT_A, kernels.SS_MULT_A
_SS_INIT_B, _SS_MULT_B = kernels.SS_INIT_B, kernels.SS_MULT_B
_SS_MIX_L, _SS_MIX_R = kernels.SS_MIX_L, kernels.SS_MIX_R
_PCG_MULT = (2549297995355413924 << 64) | 4865540595714422341
_M128 = (1 << 128) - 1


def day_seed_words(seed: int, days: int) -> np.ndarray:
    """``SeedSequence([seed, t]).generate_state(4, uint64)`` for t = 0..days-1, vectorized
    (a (days, 4) uint64 array).

    The same uint32 hash as numpy's SeedSequence (pool size 4, entropy [seed, t]), computed
    for all days at once; valid for 0 <= seed, t < 2**32.
    """
    u = np.uint32
    with np.errstate(over="ignore"):
        zero = np.zeros(days, u)
        ent = [np.full(days, seed, u), np.arange(days, dtype=u), zero, zero]
        h = u(_SS_INIT_A)
        pool = []
        for e in ent:
            v = e ^ h
            h = u(h * u(_SS_MULT_A))
            v = v * h
            pool.append(v ^ (v >> u(16)))
        for i_src in range(4):
            for i_dst in range(4):
                if i_src != i_dst:
                    v = pool[i_src] ^ h
                    h = u(h * u(_SS_MULT_A))
                    v = v * h
                    v = v ^ (v >> u(16))
                    r = u(_SS_MIX_L) * pool[i_dst] - u(_SS_MIX_R) * v
                    pool[i_dst] = r ^ (r >> u(16))
        hb = u(_SS_INIT_B)
        words = []
        for i in range(8):
            v = pool[i % 4] ^ hb
            hb = u(hb * u(_SS_MULT_B))
            v = v * hb
            words.append((v ^ (v >> u(16))).astype(np.uint64))
    w64 = [words[2 * i] | (words[2 * i + 1] << np.uint64(32)) for i in range(4)]
    return np.stack(w64, axis=1)


class DayRng:
    """``numpy.random.default_rng([seed, day])`` without building a SeedSequence each day.

    The PCG64 state is set from precomputed SeedSequence words (see :func:`day_seed_words`),
    so the draws are identical to ``default_rng([seed, day])``'s.
    """

    def __init__(self, seed: int, days: int) -> None:
        self.seed = seed
        ok = 0 <= seed < 2**32 and days < 2**32
        self.word_array = day_seed_words(seed, days) if ok else np.zeros((0, 4), np.uint64)
        self.words: list[list[int]] = self.word_array.tolist()
        self.bg = np.random.PCG64(0)
        self.gen = np.random.Generator(self.bg)
        # the generator's live state words (daymoves.state_view), set by the engine: the
        # state is then written there by compiled code instead of through a dict
        self.view: tuple[np.ndarray, bool] | None = None

    def __call__(self, t: int) -> np.random.Generator:
        if t >= len(self.words):
            return np.random.default_rng([self.seed, t])
        if self.view is not None:
            daymoves.seed_day(self.word_array[t], self.view[0], self.view[1])
            return self.gen
        w = self.words[t]
        inc = (((w[2] << 64) | w[3]) << 1 | 1) & _M128
        state = (((inc + ((w[0] << 64) | w[1])) & _M128) * _PCG_MULT + inc) & _M128
        self.bg.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                         "has_uint32": 0, "uinteger": 0}
        return self.gen


DORMANT_MOVECHANCE = 0.05  # locations below this daily move chance are sampled per location
LINEAR_SEARCH_MAX_PATHS = 8  # route draws step through this many paths per origin, then
LINEAR_SEARCH_MIN_DRAWS = 2048  # bisect; only when drawing at least this many routes at once


class FleeEngine:
    """Runs a :class:`Scenario` day by day with Flee 3.1's rules.

    Agents idle at locations with a high move chance are kept in an index (``awake``) and
    draw individually.  Agents at locations with a low move chance (camps) are not visited
    one by one: agent indices are sampled with geometric gaps and thinned (see
    :meth:`_pick_dormant`), which gives each of them the same independent daily chance
    without touching the (many) agents who stay.
    """

    def __init__(self, scen: Scenario, seed: int = 0) -> None:
        self.t0 = time.perf_counter()
        self.scen = scen
        self.s = s = scen.settings
        self.seed = int(seed)
        # The streamlined code paths (same results; False runs the general ones, for tests)
        self.fast_paths = True
        # Runs of days on which the network stays as it is go to one compiled call
        # (:meth:`_run_quiet`; same results; False: every day through step(), for tests)
        self.quiet_runs = True
        self._quiet: tuple[np.ndarray, bool] | None = None
        self.day_rng = DayRng(self.seed, scen.days)
        self._pcg_view: tuple[np.ndarray, bool] | None = None  # (see _pcg_words)
        self._pcg_looked = False
        self.warnings = list(scen.warnings)
        self.net = Network(scen)
        net = self.net
        self.awareness = s.awareness_level
        self.no_move = self.awareness <= 0 and not s.compat.fix_awareness_zero
        self.uniform = self.awareness <= 0
        # Route classes: agents whose attributes make them weigh routes differently
        # (ChildrenAvoidHazards, BoysTakeRisk, Flee 3.2's ethnicity rule); the path table
        # is repeated once per class, class c's copy under the origins c * n + location.
        self.rc: RouteClasses = scen.route_classes or RouteClasses(False, False, [])
        self.n_cls = self.rc.count
        self.draws = (AttributeDraws(self.rc, scen.demographics, net.names)
                      if self.n_cls > 1 else None)
        self.attr_rng = np.random.default_rng([self.seed, 0, 0x5EED])  # attribute draws
        self._eth_counts = self._ethnicity_counts()
        # _daily_state: move chances and weights follow the population (spawning takes
        # from it); versions and last day of the state last refreshed
        self._state_by_pop = s.take_from_population and bool(
            s.movechance_pop_scale_factor or s.use_pop_for_loc_weight
            or self._eth_counts is not None)
        self._state_key: tuple[int, int] | None = None
        self._pconst: tuple[PathTable, dict[str, Any]] | None = None  # _path_constants
        self._state_days = (0, -1)
        self.real_paths: PathTable = net.build_paths(max(self.awareness, 1))
        self.paths: PathTable = self._tile_paths(self.real_paths)
        self._stay = self._stay_factor()
        self.paths_version = net.structure_version
        self.lookup = net.open_link_lookup() if self.awareness >= 2 else None
        width = net._max_hops - 1 if self.awareness >= 2 else 0
        self.ag = AgentStore(max(width, 1) if self.awareness >= 2 else 0, s.avoid_short_stints,
                             s.start_on_foot, track_class=self.n_cls > 1)
        self.count = np.zeros(net.n, np.int64)  # agents present at each location
        self.trav = _EMPTY  # agents on links
        self.awake = _EMPTY  # agents idle at non-dormant locations
        self.dormant = np.zeros(net.n, bool)
        self._dormant_q = 0.0  # selection probability covering every dormant move chance
        self._dormant_p = np.zeros(net.n)  # keep probability p_l / q at dormant locations
        self._dormant_set = False  # whether the three above follow mce
        self.mce = net.effective_movechance()
        self._arrive_fresh = net.speed > net.dist  # set out this wave and arrive at once
        self._dst64 = net.dst.astype(np.intp, copy=False)  # intp: indices without a cast
        self.camp_idx = np.array(scen.camp_indices, dtype=np.int64)
        self.camp_names = scen.camp_names
        self.cols = np.array([net.index[c] for c in scen.conflict_names], dtype=np.int64)
        self._conflict_change = self._conflict_change_days(scen.conflicts)
        cap = net.capacity * s.capacity_scaling
        self.cap_idx = np.flatnonzero(cap >= 1)
        self.cap_val = cap[self.cap_idx]
        self.cap_lo = s.capacity_buffer * self.cap_val  # multiplier 1 up to here
        # Only closures (or, with the fix, reopenings) can send an agent back.
        self.track_epoch = any(c.kind in ("country", "location", "link") for c in scen.closures)
        self.debt = 0
        self.spawn_time = 0
        self._spawn_cache: tuple[Any, ...] | None = None
        self._trav_link: np.ndarray | None = None  # links of self.trav (int64), if known
        self._done_loc: np.ndarray | None = None  # where the day's settled agents are
        self._loc_ids = np.arange(net.n, dtype=np.intp)
        self.pop_warned = False
        self.unspawned = 0  # agents the data asked for but no conflict zone could supply
        self._wcache: dict[str, Any] = {}
        v = scen.validation
        self.total_int = v.total if v is not None else None
        self.spawn_mode = "data-driven (refugee totals)"
        self.cds = s.conflict_driven_spawning
        self.cds_mode, self.cds_rate = s.conflict_spawn_mode, s.displaced_per_conflict_day
        if s.conflict_driven_spawning:
            self.spawn_mode = f"conflict-driven ({s.conflict_spawn_mode})"
        elif v is None:
            self.cds, self.cds_mode = True, "constant"
            self.cds_rate = FALLBACK_SPAWN_PER_CONFLICT_DAY / s.hasten
            self.spawn_mode = (f"conflict-driven fallback ({self.cds_rate:g} agents per "
                               "conflict-zone day)")
            self.warnings.append("no validation data and no conflict_driven_spawning in the "
                                 f"settings: spawning {self.cds_rate:g} agents per day per "
                                 "unit of conflict intensity")
        # Flee's read_from_agents_csv_file: agents.csv's agents come first (run.py order).
        if scen.initial_agents is not None and len(scen.initial_agents.loc):
            ia = scen.initial_agents
            self._spawn_at(ia.loc, cls=self._classes_of(ia) if self.n_cls > 1 else None)
        # Flee's insert_day0: observed day-0 camp populations start in the camps.
        if s.insert_day0 and v is not None:
            for i, name in zip(self.camp_idx, self.camp_names, strict=True):
                obs = v.observed(name)
                if obs is not None and obs[0] > 0:
                    self._spawn_at(np.full(int(obs[0]), i, dtype=np.intp), count_pop=False)

    def _conflict_change_days(self, v: np.ndarray) -> np.ndarray:
        """Days on which :meth:`Network.update_conflicts` changes anything (it is a no-op on
        the others): a zone starts or ends, by the same tests on the same table."""
        eps = 1e-6
        v = np.asarray(v, dtype=np.float64)
        if v.ndim != 2 or v.shape[1] == 0:
            return np.zeros(len(v), dtype=bool)
        up = v > eps
        up[1:] &= v[:-1] < eps
        prev = v[:-1]
        down = (v[1:] < eps) & ((prev >= eps) if self.s.compat.fix_conflict_removal
                                else (prev == 1))
        change = np.asarray(up.any(axis=1))
        change[1:] |= down.any(axis=1)
        return change

    # ------------------------------------------------------------------ spawning

    def _spawn_at(self, where: np.ndarray, count_pop: bool = True,
                  per_loc: np.ndarray | None = None, cls: np.ndarray | None = None) -> None:
        """Add agents at ``where`` (``per_loc``: the same as counts per location, if known;
        ``cls``: their route classes, else drawn from the demographics of ``where``)."""
        if len(where) == 0:
            return
        net = self.net
        ids = self.ag.add(where)
        if self.n_cls > 1:
            assert self.draws is not None  # made with the route classes
            self.ag.cls[ids] = cls if cls is not None else self.draws.classes_at(
                where, self.attr_rng)
        self.count += np.bincount(where, minlength=net.n) if per_loc is None else per_loc
        awake = ~self.dormant[where]
        if awake.any():
            self.awake = np.concatenate((self.awake, ids[awake]))
        if count_pop and self.s.take_from_population:
            taken = np.bincount(where, minlength=net.n)
            taken[net.conflict <= 0] = 0
            net.pop -= taken
            if (net.pop < 0).any():
                if not self.pop_warned:
                    self.warnings.append("take_from_population: more agents spawned than "
                                         "people in a conflict zone (Flee 3.1 would stop); "
                                         "population clipped at 0")
                    self.pop_warned = True
                np.maximum(net.pop, 0, out=net.pop)

    def _spawn(self, t: int, rng: np.random.Generator) -> int:
        net = self.net
        if self.cds:
            c = net.conflict > 0
            n = np.zeros(net.n, dtype=np.int64)
            if self.cds_mode == "constant":
                n[c] = (self.cds_rate * net.conflict[c]).astype(np.int64)
            elif self.cds_mode == "pop_ratio":
                n[c] = (self.cds_rate * net.pop[c] * net.conflict[c]).astype(np.int64)
            else:
                n[c] = rng.poisson(self.cds_rate * net.conflict[c])
            self._spawn_at(np.repeat(self._loc_ids, n), per_loc=n)
            return int(n.sum())
        tot = self.total_int
        assert tot is not None  # a spawn mode that needs validation totals
        diff = int(tot[t] - (tot[t - 1] if t > 0 else 0))
        new = diff - self.debt
        if self.s.insert_day0 and t == 0:
            new = 0
        if new < 0:
            self.debt, new = -new, 0
        elif self.debt > 0:
            self.debt = 0
        if new == 0:
            return 0
        wsum, pvals = self._spawn_shares()
        if wsum <= 0 or pvals is None:
            if not self.unspawned:
                self.warnings.append(f"day {t}: no conflict zone with population to spawn "
                                     "from (Flee 3.1 would stop); such agents are skipped")
            self.unspawned += new
            return 0
        n = rng.multinomial(new, pvals)
        self._spawn_at(np.repeat(self._loc_ids, n), per_loc=n)
        return new

    def _spawn_shares(self) -> tuple[float, np.ndarray | None]:
        """The spawn weights' total and each location's share of new agents (None when
        the total is 0), as of ``spawn_time``."""
        net = self.net
        # Spawn weights change with conflicts (state_version) and, with a decay list or
        # take_from_population, with the day or the population: cache them otherwise.
        # (the decay multipliers are the same array while they do not change)
        key = None if self.s.take_from_population else net.state_version
        decay = (net.conflict_decay(self.spawn_time) if self.s.conflict_spawn_decay
                 else None)
        hit = self._spawn_cache
        if key is not None and hit is not None and hit[0] == key and hit[1] is decay:
            return hit[2], hit[3]
        w = net.spawn_weights(self.spawn_time)
        wsum = float(w.sum())
        pvals = w / wsum if wsum > 0 else None
        self._spawn_cache = (key, decay, wsum, pvals)
        return wsum, pvals

    # ------------------------------------------------------------------ route weights

    # ------------------------------------------------------------------ route classes

    def _tile_paths(self, p: PathTable) -> PathTable:
        """The path table repeated once per route class (class c: origins c * n + l)."""
        k = self.n_cls
        if k == 1:
            return p
        n_p = len(p.end)
        ptr = np.concatenate([p.ptr[:-1] + c * n_p for c in range(k)] + [[k * n_p]])
        return PathTable(ptr=ptr.astype(np.int64), end=np.tile(p.end, k),
                         dist=np.tile(p.dist, k), first_link=np.tile(p.first_link, k),
                         hops=np.tile(p.hops, (k, 1)))

    def _vorigin(self, ids: np.ndarray, loc: np.ndarray) -> np.ndarray:
        """Origins in the (tiled) path table of agents ``ids`` at locations ``loc``."""
        if self.n_cls == 1:
            return loc
        return loc + self.net.n * self.ag.cls[ids]

    def _classes_of(self, ia: Any) -> np.ndarray:
        """Route classes of agents.csv's agents from their ``age``/``gender``/``ethnicity``."""
        rc = self.rc
        n = len(ia.loc)
        age = ia.numbers("age") if rc.children else None
        male = (np.array([g == "male" for g in ia.column("gender")]) if rc.boys
                else np.zeros(n, dtype=bool))
        eth = None
        if rc.ethnicities:
            col = ia.column("ethnicity")
            unknown = [i for i, e in enumerate(col) if e not in rc.ethnicities]
            if unknown:
                raise RanksInputError(f"ethnicity {col[unknown[0]]!r} is not in "
                                      "demographics_ethnicity.csv", file=ia.path,
                                      line=ia.lines[unknown[0]], field="ethnicity")
            eth = np.array([rc.ethnicities.index(e) for e in col])
        return rc.classes(age, male, eth).astype(np.intp)

    def _stay_factor(self) -> np.ndarray | None:
        """Flee's stay_close_to_home factor per (untiled) path: 1 / max(1, d) ** power, d the
        great-circle km from the origin to the path's end (None when the rule is off).

        As Flee's ``Location.calculateDistance``: locations.csv's 4th column is taken as the
        longitude and the 5th as the latitude, Earth radius 6373 km (6371 km in Flee 3.2).
        """
        s = self.s
        if not s.stay_close_to_home:
            return None
        p, locs = self.real_paths, self.scen.locations
        lon = np.radians([loc.lat for loc in locs])  # Flee: x = 4th column, used as longitude
        lat = np.radians([loc.lon for loc in locs])
        origin = np.repeat(np.arange(self.net.n), np.diff(p.ptr))
        la1, la2, lo1, lo2 = lat[origin], lat[p.end], lon[origin], lon[p.end]
        a = (np.sin((la2 - la1) / 2.0) ** 2
             + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2.0) ** 2)
        a = np.clip(a, 0.0, 1.0)  # rounding can take it just past 1 for antipodes
        radius = 6371.0 if s.compat.v32 else 6373.0
        d = radius * 2.0 * np.arctan2(np.sqrt(a), np.sqrt(1.0 - a))
        return 1.0 / np.maximum(1.0, d) ** s.home_distance_power

    def _ethnicity_counts(self) -> np.ndarray | None:
        """(E, n) people of each ethnicity per location (Flee 3.2's rule), or None."""
        eths = self.rc.ethnicities
        if not eths:
            return None
        return np.array([[float(loc.attributes.get(e) or 0.0) for loc in self.scen.locations]
                         for e in eths])

    def _match_multiplier(self) -> np.ndarray | None:
        """Flee 3.1's ethnicity rules: x10 for each destination kind whose rule is on (the
        attribute ratio is a stub returning 1), else None."""
        s, net = self.s, self.net
        if not s.match_ethnicity:
            return None
        conflict = net.conflict > 0
        on = np.where(net.camp, s.match_camp_ethnicity,
                      np.where(conflict, s.match_conflict_ethnicity, s.match_town_ethnicity))
        return np.where(on, 10.0, 1.0)

    def _refresh_structure(self) -> None:
        if self.paths_version != self.net.structure_version:
            self.real_paths = self.net.build_paths(max(self.awareness, 1))
            self.paths = self._tile_paths(self.real_paths)
            self._stay = self._stay_factor()
            if self.awareness >= 2:
                self.lookup = self.net.open_link_lookup()
            self.paths_version = self.net.structure_version
            self._wcache.clear()

    def _base_weights(self, score: np.ndarray) -> np.ndarray:
        """Path weights without the capacity factor, raised to weight_power (all classes).

        Flee's ``getEndPointScore`` order: the destination's score, squared for children or
        1 for risk-taking boys, x the home-distance factor, x the ethnicity factor, x the
        population factor (not for camps).
        """
        s, net, p = self.s, self.net, self.real_paths
        if self.uniform:
            return np.ones(len(self.paths.end))
        sc = score[p.end]
        mult = self._stay
        match = self._match_multiplier()
        if match is not None:
            mult = match[p.end] if mult is None else mult * match[p.end]
        if s.use_pop_for_loc_weight:
            pop = net.pop[p.end].astype(np.float64)
            pf = (np.maximum(1.0, pop) if s.compat.fix_pop_loc_weight
                  else np.minimum(1.0, pop)) ** s.pop_power_for_loc_weight
            pf = np.where(net.camp[p.end], 1.0, pf)
        else:
            pf = None
        out = []
        for c in range(self.n_cls):
            age_c, eth_c = self.rc.split(c)
            base = sc if age_c == 0 else sc * sc if age_c == 1 else np.ones_like(sc)
            if mult is not None:
                base = base * mult
            if self._eth_counts is not None:
                base = base * self._ethnicity_factor(eth_c)[p.end]
            if pf is not None:
                base = base * pf  # pf is 1 at camps: x * 1.0 is x exactly
            w = (s.weight_softening + base) / (s.distance_softening + p.dist) ** s.distance_power
            out.append(w ** s.weight_power if s.weight_power != 1.0 else w)
        return out[0] if len(out) == 1 else np.concatenate(out)

    def _ethnicity_factor(self, e: int) -> np.ndarray:
        """Flee 3.2's ethnicity factor per destination for ethnicity ``e``: 10 x the
        destination's people of that ethnicity / its population where a rule applies."""
        s, net = self.s, self.net
        assert self._eth_counts is not None  # Flee 3.2's rule is on
        conflict = net.conflict > 0
        on = np.where(net.camp, s.match_camp_ethnicity,
                      np.where(conflict, s.match_conflict_ethnicity, s.match_town_ethnicity))
        ratio = self._eth_counts[e] / np.maximum(net.pop, 1).astype(np.float64)
        return np.where(on, 10.0 * ratio, 1.0)

    def _capm(self) -> np.ndarray | None:
        """Capacity multipliers of all locations, or None when all are 1 (cached)."""
        if len(self.cap_idx) == 0:
            return None
        buf = self.s.capacity_buffer
        n = np.minimum(np.maximum(self.count[self.cap_idx], self.cap_lo), self.cap_val)
        key = n.tobytes()
        c = self._wcache
        if c.get("capm_key") == key:
            return c["capm"]
        if not (n > self.cap_lo).any():
            m = None
        else:
            if buf >= 1.0:
                mm = np.where(n >= self.cap_val, 0.0, 1.0)
            else:
                mm = (self.cap_val - n) / (self.cap_val * (1.0 - buf))
            m = np.ones(self.net.n)
            m[self.cap_idx] = mm
            c.pop("cw1", None)
        c["capm_key"], c["capm"] = key, m
        return m

    def _weights_now(self) -> tuple[np.ndarray | None, tuple[np.ndarray, ...]]:
        """(capacity multipliers, :meth:`_cum_weights`) for the current counts.

        The same values as ``_cum_weights(_capm())`` with fewer array operations: cached on
        the counts at the capacity-limited locations (raw, then clipped to the range where
        the multiplier varies), and on a change only the paths' multipliers are rebuilt
        (the multiplier array itself is not: the caller only needs the weights).
        """
        c = self._wcache
        cap_idx = self.cap_idx
        if len(cap_idx) == 0:
            return None, self._cum_weights(None)
        n = self.count[cap_idx]
        raw = n.tobytes()
        if c.get("raw_key") == raw:
            return c["now"]
        n = np.minimum(np.maximum(n, self.cap_lo), self.cap_val)
        key = n.tobytes()
        if c.get("lean_key") == key:
            out = c["lean_now"]
        elif not (n > self.cap_lo).any():
            out = (None, self._cum_weights(None))
        else:
            tb = c.get("lean")
            if tb is None:
                tb = c["lean"] = self._lean_table()
            slot_ext, campcap, ext, base_ext, denom = tb
            if self.s.capacity_buffer >= 1.0:
                ext[:-1] = np.where(n >= self.cap_val, 0.0, 1.0)
            else:
                ext[:-1] = (self.cap_val - n) / denom
            ce = ext[slot_ext]  # (1, capm[p.end]...)
            wp = self.s.weight_power
            w = base_ext * (ce ** wp if wp != 1.0 else ce)  # leading 0: cumsum gives cw
            ok = None
            if (ext < 0.5).any():
                full = campcap & (ce[1:] < 0.5)
                ok = ~full if full.any() else None
            out = (True, self._cumulate(w, ok))
            c["lean_key"], c["lean_now"] = key, out
        c["raw_key"], c["now"] = raw, out
        return out

    def _path_constants(self) -> dict[str, Any]:
        """Per-origin and per-path arrays that change only with the path table (cached on
        it): whether each origin has paths (and whether all do), its first and last path
        (-1: none), each path's origin, the most paths of an origin; for the capacity
        multipliers, each path's capacity slot with a leading path-less entry (``k``:
        multiplier 1), whether it ends at a capacity-limited camp, and the multipliers'
        denominators c (1 - buffer)."""
        p = self.paths
        hit = self._pconst
        if hit is not None and hit[0] is p:
            return hit[1]
        npaths = np.diff(p.ptr)
        k = len(self.cap_idx)
        slot_of = np.full(self.net.n, k, dtype=np.int64)
        slot_of[self.cap_idx] = np.arange(k)
        slot = slot_of[p.end]
        out = dict(has_paths=npaths > 0, all_paths=bool((npaths > 0).all()),
                   last_path=np.where(npaths > 0, p.ptr[1:] - 1, -1),
                   origin=np.repeat(np.arange(len(npaths)), npaths), first_path=p.ptr[:-1],
                   max_paths=int(npaths.max()) if len(npaths) else 0,
                   slot_ext=np.concatenate(([k], slot)),
                   campcap=self.net.camp[p.end] & (slot < k),
                   denom=self.cap_val * (1.0 - self.s.capacity_buffer))
        self._pconst = (p, out)
        return out

    def _lean_table(self) -> tuple[Any, ...]:
        """Per-path constants for :meth:`_weights_now` (rebuilt with the weight cache)."""
        c, k = self._wcache, len(self.cap_idx)
        base_ext = np.concatenate(([0.0], c["base"]))
        return c["slot_ext"], c["campcap"], np.ones(k + 1), base_ext, c["denom"]

    def _cumulate(self, w_ext: np.ndarray, ok: np.ndarray | None) -> tuple[Any, ...]:
        """Cumulative weights from path weights with a leading 0 (see :meth:`_cum_weights`)."""
        c, p = self._wcache, self.paths
        cw = np.cumsum(w_ext)
        g = cw[p.ptr]
        lo = g[:-1]
        tot = g[1:] - lo
        if c["all_paths"]:
            zero_any = len(tot) > 0 and tot.min() <= 0
        else:
            zero = tot <= 0
            zero &= c["has_paths"]
            zero_any = zero.any()
        if zero_any:  # Flee: all-zero weights mean equal weights
            zero = (tot <= 0) & c["has_paths"]
            w = np.where(zero[c["origin"]], 1.0, w_ext[1:])
            cw = np.empty(len(w) + 1)
            cw[0] = 0.0
            np.cumsum(w, out=cw[1:])
            g = cw[p.ptr]
            lo = g[:-1]
            tot = g[1:] - lo
        return (cw, lo, tot, ok, c["last_path"], cw[1:], c["all_paths"])

    def _cum_weights(self, capm: np.ndarray | None) -> tuple[np.ndarray, ...]:
        """Cumulative path weights for the current capacities (cached).

        Returns the global cumulative weights with a leading 0 (P+1,), each origin's start and
        total weight (L,), each path's usability (destination not a camp whose capacity
        multiplier is below 0.5, or None when all are usable) and each origin's last path
        (-1: none).
        """
        c = self._wcache
        key = "cw0" if capm is None else "cw1"
        hit = c.get(key)
        if hit is not None:
            return hit
        p = self.paths
        w = c["base"]
        ok = None
        if capm is not None:
            ce = capm[p.end]
            w = w * (ce ** self.s.weight_power if self.s.weight_power != 1.0 else ce)
            full = self.net.camp[p.end] & (ce < 0.5)
            ok = ~full if full.any() else None
        out = c[key] = self._cumulate(np.concatenate(([0.0], w)), ok)
        return out

    # ------------------------------------------------------------------ movement

    def _choose(self, origin: np.ndarray, capm: np.ndarray | None,
                weights: tuple[np.ndarray, ...] | None, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
        """Draw a path for each origin from the cumulative weights: (path index, usable).

        Unusable draws (no route from the origin, or a destination camp that is nearly full,
        which Flee's ``take_next_step`` refuses) keep an in-range index.
        """
        cw, lo, tot, ok, last_path = (weights or self._cum_weights(capm))[:5]
        target = rng.random(len(origin))
        target *= tot[origin]
        target += lo[origin]
        pick = self._search(cw[1:], target, origin, last_path)  # -1: no route
        go = pick >= 0
        if ok is not None:
            go &= ok[pick]
        return pick, go

    def _choose_fast(self, origin: np.ndarray, weights: tuple[Any, ...],
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`_choose` with the weights given; the usable mask is None when all are."""
        _, lo, tot, ok, last_path, cw1, sure = weights
        target = rng.random(len(origin))
        target *= tot[origin]
        target += lo[origin]
        if len(target) < LINEAR_SEARCH_MIN_DRAWS:  # (see _search)
            pick = cw1.searchsorted(target, "right")
            np.minimum(pick, last_path[origin], out=pick)  # -1: no route
        else:
            pick = self._search(cw1, target, origin, last_path)
        if sure:  # every origin has a route
            return pick, (None if ok is None else ok[pick])
        go = pick >= 0
        if ok is not None:
            go &= ok[pick]
        return pick, go

    def _search(self, cw1: np.ndarray, target: np.ndarray, origin: np.ndarray,
                last_path: np.ndarray) -> np.ndarray:
        """The path each target falls in: the first path j of its origin with cw1[j] > target
        (cw1: cumulative weight through each path), capped at the origin's last path (-1:
        no path).  The same as ``searchsorted(cw1, target, "right")`` capped, since each
        target lies in [cw1[first path - 1], cw1[last path]).  With many draws the search
        steps through the first paths of every origin for all targets at once, which is
        faster than bisecting so few, and bisects only for targets still unresolved (with
        few draws the per-step overhead is not worth it)."""
        last = last_path[origin]
        if len(target) < LINEAR_SEARCH_MIN_DRAWS:
            pick = cw1.searchsorted(target, "right")
            np.minimum(pick, last, out=pick)
            return pick
        c = self._wcache
        pick = np.minimum(c["first_path"][origin], last)
        steps = c["max_paths"] - 1
        for _ in range(min(steps, LINEAR_SEARCH_MAX_PATHS)):
            adv = cw1[pick] <= target
            adv &= pick < last
            if not adv.any():
                return pick
            pick += adv
        if steps > LINEAR_SEARCH_MAX_PATHS:  # origins with many paths: binary search the rest
            rest = np.flatnonzero((cw1[pick] <= target) & (pick < last))
            if len(rest):
                found = cw1.searchsorted(target[rest], "right")
                pick[rest] = np.minimum(found, last[rest])
        return pick

    def _plain_choice(self) -> bool:
        """One-step routes drawn from the weight table (no stored routes, someone can move)."""
        return self.awareness < 2 and not self.no_move and len(self.paths.end) > 0

    def _depart(self, ids: np.ndarray, origin: np.ndarray, rng: np.random.Generator
                ) -> np.ndarray:
        """Agents ``ids`` at ``origin`` decided to move: take a route; return link or -1."""
        ag, net, p = self.ag, self.net, self.paths
        k = len(ids)
        if k == 0 or self.no_move or len(p.end) == 0:
            return np.full(k, -1, dtype=np.int64)
        if self.awareness < 2:
            vo = self._vorigin(ids, origin)
            if self.fast_paths:
                pick, go = self._choose(vo, *self._weights_now(), rng)
            else:
                pick, go = self._choose(vo, self._capm(), None, rng)
            link = np.where(go, p.first_link[pick], -1)
        else:
            capm = self._capm()
            link = np.full(k, -1, dtype=np.int64)
            has_route = ag.rlen[ids] > 0
            choose = np.flatnonzero(~has_route)
            pick, go = self._choose(self._vorigin(ids[choose], origin[choose]), capm, None,
                                    rng)
            dest = p.end[pick]
            link[choose[go]] = p.first_link[pick[go]]
            a_go = ids[choose[go]]
            rest = p.hops[pick[go], 1:]
            w = min(rest.shape[1], ag.route.shape[1])
            ag.route[a_go] = -1
            ag.route[a_go, :w] = rest[:, :w]
            ag.rlen[a_go] = (rest >= 0).sum(axis=1)
            ag.rdest[a_go] = dest[go]
            ri = np.flatnonzero(has_route)
            if len(ri):
                a = ids[ri]
                nxt = ag.route[a, 0]
                assert self.lookup is not None  # awareness >= 2
                keys, first = self.lookup
                key = origin[ri].astype(np.int64) * net.n + nxt
                pos = np.clip(np.searchsorted(keys, key), 0, max(len(keys) - 1, 0))
                found = (keys[pos] == key) if len(keys) else np.zeros(len(a), bool)
                ok = found
                if capm is not None:
                    ok &= ~(net.camp[ag.rdest[a]] & (capm[ag.rdest[a]] < 0.5))
                ag.rlen[a[~ok]] = 0  # route vanished or destination full: drop it
                ag.route[a[~ok]] = -1
                g = a[ok]
                link[ri[ok]] = first[pos[ok]]
                ag.route[g, :-1] = ag.route[g, 1:]
                ag.route[g, -1] = -1
                ag.rlen[g] -= 1
            go = link >= 0
        if self.track_epoch:
            ag.epoch[ids[go]] = net.close_count[link[go]]
        self.count -= np.bincount(origin[go], minlength=net.n)
        return link

    def _pick_dormant(self, rng: np.random.Generator) -> np.ndarray:
        """Agents at dormant locations who decide to move today.

        Every agent index is first selected with probability q (the largest dormant move
        chance) by drawing geometric gaps between selected indices, then a selected agent
        idle at a dormant location l is kept with probability p_l / q: overall each such
        agent moves with probability p_l, independently, as with one draw per agent, but
        only about q * agents indices are touched.
        """
        ag = self.ag
        n = ag.n
        q = self._dormant_q
        if n == 0 or q <= 0.0:
            return _EMPTY
        m = int(q * n + 6.0 * math.sqrt(q * n) + 16)
        pos = np.cumsum(rng.geometric(q, size=m))
        pos -= 1
        while pos[-1] < n:  # not enough gaps drawn to cover every index (rare)
            more = np.cumsum(rng.geometric(q, size=m)) + pos[-1]
            pos = np.concatenate((pos, more))
        pos = pos[: np.searchsorted(pos, n)]
        lc = ag.loc[pos]
        keep = (ag.link[pos] < 0) & (rng.random(len(pos)) < self._dormant_p[lc])
        return pos[keep]

    def _travel(self, rng: np.random.Generator, active: np.ndarray, a_link: np.ndarray,
                n_old: int) -> tuple[np.ndarray, np.ndarray]:
        """Flee's finish_travel for everyone on a link, in waves until nobody has time left.

        ``active[:n_old]`` were already travelling at the start of the day (only they can
        have had their link closed under them).  Wave 0 advances everyone on a link by the
        day's speed; agents who arrive with distance to spare decide again, and those who
        set out form the next wave (their km on the new link start at 0).  Returns (agents
        still on links, agents settled at a location this day) and writes their state back.
        """
        s, ag, net = self.s, self.ag, self.net
        if self._plain_travel():
            return self._travel_plain(rng, active, a_link, n_old)
        mce, dst = self.mce, net.dst
        keep_id: list[np.ndarray] = []
        keep_link: list[np.ndarray] = []
        keep_dl: list[np.ndarray] = []
        settled: list[np.ndarray] = []
        settled_loc: list[np.ndarray] = []
        moved_id: list[np.ndarray] = []
        moved_dm: list[np.ndarray] = []
        special_speed = s.start_on_foot or net.any_walk
        fix_leftover = s.compat.fix_leftover_speed
        stints = s.avoid_short_stints
        a_dl = ag.d_link[active]  # km done on the link before today's step
        a_dm = None  # km moved today before this wave (None: 0 for everyone)
        for wave in range(10_000):
            if len(active) == 0:
                break
            speed = net.speed[a_link]
            dist = net.dist[a_link]
            if special_speed:
                if s.start_on_foot:
                    speed = np.where(ag.first[active], s.max_walk_speed, speed)
                if net.any_walk:
                    speed = np.where(rng.random(len(active)) < net.walk_prob[a_link],
                                     s.max_walk_speed, speed)
            step = speed
            if fix_leftover and a_dm is not None:
                step = np.maximum(speed - a_dm, 0.0)
            fresh = a_dl is None  # set out in this wave: km on the link = this step
            a_dl = step if fresh else a_dl + step
            arr = a_dl > dist
            n_arr = int(np.count_nonzero(arr))
            if n_arr < len(active):
                stay = ~arr
                keep_id.append(active[stay])
                keep_link.append(a_link[stay])
                keep_dl.append(a_dl[stay])
                if stints:
                    moved_id.append(active[stay])
                    moved_dm.append(step[stay] if a_dm is None else (a_dm + step)[stay])
                if n_arr == 0:
                    break
                active, a_link, dist, speed = active[arr], a_link[arr], dist[arr], speed[arr]
                if fresh:
                    a_dl = step = speed if step is speed else step[arr]
                else:
                    a_dl, step = a_dl[arr], (speed if step is speed else step[arr])
                if a_dm is not None:
                    a_dm = a_dm[arr]
            if s.start_on_foot:
                ag.first[active] = False
            # km moved today up to the arrival (Flee removes the overshoot)
            if fresh:
                dm = dist if a_dm is None else a_dm + dist
            else:
                dm = dist - (a_dl - step)
                if a_dm is not None:
                    dm += a_dm
            if wave == 0 and n_old and self.track_epoch:
                if s.compat.fix_reopened_link_bounce:
                    bounce = ~net.open[a_link]
                else:
                    bounce = net.close_count[a_link] > ag.epoch[active]
                where = np.where(bounce, net.src[a_link], dst[a_link])
                go = ~bounce & (dm < speed)
            else:
                where = dst[a_link]
                go = dm < speed
            self.count += np.bincount(where, minlength=net.n)
            if stints:
                moved_id.append(active)
                moved_dm.append(dm)
                stint = (ag.recent[active] + dm / s.max_move_speed) / 2.0 < 0.5
                mc = np.where(stint & net.town[where], 1.0, mce[where])
            else:
                mc = mce[where]
            go &= rng.random(len(active)) < mc
            n_go = int(np.count_nonzero(go))
            if n_go < len(active):
                stop = ~go
                settled.append(active[stop])
                settled_loc.append(where[stop])
                if n_go == 0:
                    break
                active, where, dm = active[go], where[go], dm[go]
            link = self._depart(active, where, rng)
            dep = link >= 0
            n_dep = int(np.count_nonzero(dep))
            if n_dep < len(active):
                assert dep is not None  # None means every agent departs
                stop = ~dep
                settled.append(active[stop])
                settled_loc.append(where[stop])
                if n_dep == 0:
                    break
                active, link, dm = active[dep], link[dep], dm[dep]
            a_link, a_dm, a_dl = link, dm, None
        else:
            self.warnings.append("travel waves did not settle in 10000 steps")
        trav = np.concatenate(keep_id) if keep_id else _EMPTY
        if len(trav):
            ag.link[trav] = np.concatenate(keep_link)
            ag.d_link[trav] = np.concatenate(keep_dl)
        done = np.concatenate(settled) if settled else _EMPTY
        if len(done):
            ag.loc[done] = np.concatenate(settled_loc)
            ag.link[done] = -1
            ag.d_link[done] = 0.0
        if stints:
            ag.recent[: ag.n] *= 0.5
            if moved_id:
                ids = np.concatenate(moved_id)
                ag.recent[ids] += np.concatenate(moved_dm) / s.max_move_speed / 2.0
        return trav, done

    def _plain_travel(self) -> bool:
        """Whether the day's travel runs :meth:`_travel_plain` (no walking speeds or
        leftover-speed fix)."""
        s = self.s
        return self.fast_paths and not (s.start_on_foot or self.net.any_walk
                                        or s.compat.fix_leftover_speed)

    def _travel_plain(self, rng: np.random.Generator, active: np.ndarray, a_link: np.ndarray,
                      n_old: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_travel` without walking speeds or the leftover-speed fix.

        The same waves, draws and results with fewer array operations: an agent who set out
        in a wave arrives iff its link's speed exceeds its length (a per-link table), and
        the km it has done on a link it stays on are the link's speed.  With
        plain ``avoid_short_stints`` each agent's km of the day are recorded once, in its final
        state of the day (settled: km up to its arrival; on a link: km before setting out
        plus the link's speed), for Flee's recent-travel index.  Link epochs (for agents on
        a link closed under them) are set at the end of the day for agents who set out
        today and are still on a link: closures happen before travel, so the link's close
        count is the same all day, and only agents on a link at the next day's start use it.
        """
        ag, net = self.ag, self.net
        spd, dist, dst = net.speed, net.dist, self._dst64
        mce, count, n = self.mce, self.count, net.n
        arrive_fresh = self._arrive_fresh
        count_nonzero, bincount = np.count_nonzero, np.bincount
        plain = self._plain_choice()
        first_link = self.paths.first_link
        stints = self.s.avoid_short_stints
        if stints:
            town, recent, max_speed = net.town, ag.recent, self.s.max_move_speed
        moved_id: list[np.ndarray] = []  # (stints) agents and their km of the day
        moved_km: list[np.ndarray] = []
        keep_id: list[np.ndarray] = []
        keep_link: list[np.ndarray] = []
        settled: list[np.ndarray] = []
        settled_loc: list[np.ndarray] = []

        def settle(stop: np.ndarray, active: np.ndarray, where: np.ndarray,
                   dm: np.ndarray) -> None:
            """Agents ``active[stop]`` end the day at ``where`` after ``dm`` km."""
            settled.append(active[stop])
            settled_loc.append(where[stop])
            if stints:
                moved_id.append(settled[-1])
                moved_km.append(dm[stop])

        dl0 = _EMPTY  # km done by wave 0's agents who stay on their link
        epoch = self.track_epoch
        new_id: list[np.ndarray] = []  # (epoch) agents who set out today, still on a link
        new_link: list[np.ndarray] = []
        # Wave 0: everyone on a link at the start of the day advances by the day's speed.
        speed = spd[a_link]
        a_dl = ag.d_link[active] + speed
        arr = a_dl > dist[a_link]
        n_arr = int(count_nonzero(arr))
        check_bounce = bool(n_old) and epoch
        if check_bounce:  # only agents on a link since an earlier day can be sent back
            is_old = np.zeros(len(active), dtype=bool)
            is_old[:n_old] = True
        if n_arr < len(active):
            stay = ~arr
            keep_id.append(active[stay])
            keep_link.append(a_link[stay])
            if check_bounce:
                is_old = is_old[arr]
            if epoch:  # those who set out today (step's departures, after the n_old)
                fresh0 = stay.copy()
                fresh0[:n_old] = False
                new_id.append(active[fresh0])
                new_link.append(a_link[fresh0])
            dl0 = a_dl[stay]
            if stints:
                moved_id.append(keep_id[-1])
                moved_km.append(speed[stay])
            active, a_link, a_dl, speed = active[arr], a_link[arr], a_dl[arr], speed[arr]
        wave = 0
        a_dm = a_dl  # km moved today before the wave (set at the end of each wave)
        while n_arr:
            # arrivals of this wave: km moved today up to the arrival (Flee removes the
            # overshoot), then the decision to go on
            if wave == 0:
                dm = dist[a_link] - (a_dl - speed)
                if check_bounce:
                    if self.s.compat.fix_reopened_link_bounce:
                        bounce = ~net.open[a_link]
                    else:
                        bounce = is_old & (net.close_count[a_link] > ag.epoch[active])
                    where = np.where(bounce, net.src[a_link], dst[a_link])
                    go = ~bounce & (dm < speed)
                else:
                    where = dst[a_link]
                    go = dm < speed
            else:
                dm = a_dm + dist[a_link]
                where = dst[a_link]
                go = dm < spd[a_link]
            count += bincount(where, minlength=n)
            if stints:  # Flee's avoid_short_stints: short stints force a move from towns
                short = (recent[active] + dm / max_speed) / 2.0 < 0.5
                go &= rng.random(len(active)) < np.where(short & town[where], 1.0, mce[where])
            else:
                go &= rng.random(len(active)) < mce[where]
            n_go = int(count_nonzero(go))
            if n_go < len(active):
                settle(~go, active, where, dm)
                if n_go == 0:
                    break
                active, where, dm = active[go], where[go], dm[go]
            if plain:
                pick, dep = self._choose_fast(
                    where if self.n_cls == 1 else self._vorigin(active, where),
                    self._weights_now()[1], rng)
            else:
                link = self._depart(active, where, rng)
                dep = link >= 0
            n_dep = len(active) if dep is None else int(count_nonzero(dep))
            if n_dep < len(active):
                assert dep is not None  # None means every agent departs
                settle(~dep, active, where, dm)
                if n_dep == 0:
                    break
                active, dm = active[dep], dm[dep]
                if plain:
                    pick, where = pick[dep], where[dep]
                else:
                    link = link[dep]
            if plain:
                link = first_link[pick]
                count -= bincount(where, minlength=n)
            # the next wave: agents who set out (their km on the new link start at 0)
            wave += 1
            if wave == 10_000:
                self.warnings.append("travel waves did not settle in 10000 steps")
                break
            a_link, a_dm = link, dm
            arr = arrive_fresh[a_link]
            n_arr = int(count_nonzero(arr))
            if n_arr < len(active):
                stay = ~arr
                keep_id.append(active[stay])
                keep_link.append(a_link[stay])
                if epoch:
                    new_id.append(keep_id[-1])
                    new_link.append(keep_link[-1])
                if stints:
                    moved_id.append(keep_id[-1])
                    moved_km.append(a_dm[stay] + spd[keep_link[-1]])
                if n_arr:
                    active, a_link, a_dm = active[arr], a_link[arr], a_dm[arr]
        trav = np.concatenate(keep_id) if keep_id else _EMPTY
        if len(trav):
            links = np.concatenate(keep_link)
            ag.link[trav] = links
            self._trav_link = links
            dl = spd[links]  # set out today: km done = the link's speed
            dl[: len(dl0)] = dl0
            ag.d_link[trav] = dl
        done = np.concatenate(settled) if settled else _EMPTY
        if len(done):
            self._done_loc = np.concatenate(settled_loc)
            ag.loc[done] = self._done_loc
            ag.link[done] = -1
            ag.d_link[done] = 0.0
        if new_id:
            ids = np.concatenate(new_id)
            if len(ids):
                ag.epoch[ids] = net.close_count[np.concatenate(new_link)]
        if stints:  # Flee: recent = (recent + km today / max speed) / 2, for every agent
            recent[: ag.n] *= 0.5
            if moved_id:  # each agent once, in its final state of the day
                recent[np.concatenate(moved_id)] += np.concatenate(moved_km) / (2.0 * max_speed)
        return trav, done

    def _daily_state(self, t: int) -> None:
        """Refresh scores, move chances and the dormant set when the network changed."""
        net = self.net
        s = self.s
        # Scores change with the conflict decay multipliers (every 30 days of a zone under a
        # decay list); move chances and weights change with the population only when
        # spawning takes from it.
        # (conflict_decay gives the same array while its values stay the same)
        version = (net.structure_version, net.state_version)
        by_pop = self._state_by_pop
        if (not by_pop and self._state_key == version
                and self._state_days[0] <= t <= self._state_days[1]):
            return  # nothing changed since the last refresh (the quick test)
        decay = net.conflict_decay(t) if s.conflict_spawn_decay else None
        self._state_key, self._state_days = version, (t, net.conflict_decay_through(t))
        if (self._wcache.get("version") == version and self._wcache.get("decay") is decay
                and not by_pop):
            return
        mce = net.effective_movechance()
        same_mce = self._dormant_set and np.array_equal(mce, self.mce)
        self.mce = mce
        score = net.scores(t)
        self._wcache.clear()
        self._wcache.update(version=version, decay=decay, base=self._base_weights(score),
                            **self._path_constants())
        if same_mce:  # (a new decay window: the move chances, hence the dormant set, stay)
            return
        self._dormant_set = True
        dormant = self.mce < DORMANT_MOVECHANCE
        self._dormant_q = float(self.mce[dormant].max()) if dormant.any() else 0.0
        q = self._dormant_q if self._dormant_q > 0 else 1.0
        self._dormant_p = np.where(dormant, self.mce / q, 0.0)
        if not np.array_equal(dormant, self.dormant):
            self.dormant = dormant
            ag = self.ag
            n = ag.n
            self.awake = np.flatnonzero((ag.link[:n] < 0) & ~dormant[ag.loc[:n]])

    def _compiled_day(self) -> bool:
        """Whether the day's moves run in one compiled call (:mod:`ranks.flee.daymoves`):
        Numba is on and the rules are the plain ones that call covers."""
        return (kernels.ENABLED and self._plain_choice() and self._plain_travel()
                and self.s.weight_power == 1.0)

    def _moves_compiled(self, rng: np.random.Generator) -> None:
        """Phases 1 and 2 of :meth:`step` in one compiled call, with the same draws and
        results as the NumPy code (see :mod:`ranks.flee.daymoves`)."""
        ag = self.ag
        aw = self.awake
        u_aw = rng.random(len(aw))
        gaps = self._dormant_gaps(rng)
        fixed = self._fixed_moves()
        trav_link = self._trav_links()
        self.trav, self._trav_link, self.awake, cut = daymoves.day_moves(
            aw, u_aw, gaps, self._dormant_p, self.trav, trav_link, ag.loc, ag.link,
            ag.d_link, ag.epoch, ag.recent, ag.cls, ag.n, *fixed, *self._pcg_words(rng))
        if cut:
            self.warnings.append("travel waves did not settle in 10000 steps")

    def _fixed_moves(self) -> tuple[Any, ...]:
        """The arguments of :func:`ranks.flee.daymoves.day_moves` that stay the same while
        the weight cache does (cached in it)."""
        c = self._wcache
        fixed = c.get("day_moves")
        if fixed is None:
            net, s = self.net, self.s
            if "lean" not in c:
                c["lean"] = self._lean_table()
            slot_ext, campcap, _, base_ext, denom = c["lean"]
            fixed = c["day_moves"] = (
                self.count, self.dormant, self.mce, net.town, net.speed, net.dist, net.src,
                self._dst64, net.open, net.close_count, self._arrive_fresh,
                self.paths.first_link, self.paths.ptr, c["last_path"], c["has_paths"],
                c["origin"], base_ext, slot_ext, campcap, self.cap_idx, self.cap_lo,
                self.cap_val, denom, s.capacity_buffer >= 1.0, self.n_cls, self.track_epoch,
                s.compat.fix_reopened_link_bounce, s.avoid_short_stints,
                float(s.max_move_speed))
        return fixed

    def _trav_links(self) -> np.ndarray:
        """The links of the agents on links (int64), known or looked up."""
        trav_link = self._trav_link
        if trav_link is None or len(trav_link) != len(self.trav):
            trav_link = self.ag.link[self.trav].astype(np.int64)
        return trav_link

    # ------------------------------------------------------------------ runs of quiet days

    def _quiet_plan(self) -> tuple[np.ndarray, bool] | None:
        """Which days :meth:`_run_quiet` must leave to :meth:`step` (a bool per day) and
        whether it spawns from the refugee totals itself; None when it cannot run at all
        (no Numba, rules beyond the compiled day's, a seed outside the precomputed day
        generators, or state that follows the population).  Computed once per run."""
        s, scen, T = self.s, self.scen, self.scen.days
        if not (self.fast_paths and self._compiled_day()) or self._state_by_pop:
            return None
        if len(self.day_rng.words) < T or self.cds:
            return None  # (conflict-driven spawning makes agents on every conflict day)
        self._pcg_words(self.day_rng.gen)
        if self._pcg_view is None:
            return None  # the generator's live words cannot be reached
        stop = np.zeros(T, dtype=bool)
        stop[0] = True
        n_ch = min(T, len(self._conflict_change))
        stop[:n_ch] |= self._conflict_change[:n_ch]
        stop[n_ch:] = True
        for c in scen.closures:
            for d in (c.start, c.end):
                if 0 <= d < T:
                    stop[d] = True
        # (with a decay list the spawn shares change where the scores do, at the ends of
        # the state windows that bound every run; see _run_quiet)
        spawn_here = (self.total_int is not None and not s.take_from_population
                      and self.n_cls == 1)
        tot = self.total_int
        if tot is None:
            return None
        t_days = min(T, len(tot))
        stop[t_days:] = True
        if not spawn_here:  # days with new agents (or a changing debt) go to step()
            diff = np.diff(np.asarray(tot[:t_days], dtype=np.int64), prepend=0)
            stop[:t_days] |= diff != 0
        return stop, spawn_here

    def _run_quiet(self, t: int, t_end: int, rec: dict[str, np.ndarray],
                   ready: int | None = None) -> tuple[int, int]:
        """Days ``t`` .. ``t_end`` - 1 (as far as they stay quiet) in one compiled call
        (:func:`ranks.flee.daymoves.run_days`); returns (first day not done, agent-steps).
        ``ready``: day ``t`` went through :meth:`_prepare` (any day), with that many new
        agents; the call starts with its moves."""
        assert self._quiet is not None
        stop, spawn_here = self._quiet
        view = self._pcg_view
        if view is None or self._state_key != (self.net.structure_version,
                                               self.net.state_version):
            return t, 0
        t1 = min(t_end, self._state_days[1] + 1)
        if t1 <= t or (stop[t] and ready is None) or not self._compiled_day():
            return t, 0
        if ready is not None and (t + 1 >= t1 or stop[t + 1]):
            return t, 0  # a single day: its moves cost less through day_moves
        ag, s = self.ag, self.s
        if spawn_here:
            # spawn_time is t - 1, inside the state window (t - 1 >= its first day): the
            # decay multipliers of the shares are those of every day of the run
            wsum, pvals = self._spawn_shares()
            shares = pvals if (wsum > 0 and pvals is not None) else _EMPTY_F
            total = np.asarray(self.total_int, dtype=np.int64)
        else:
            shares, total = _EMPTY_F, _EMPTY
        t_done, n, debt, awake, trav, trav_link, steps, n_cut = daymoves.run_days(
            t, t1, stop, self.day_rng.word_array, self.day_rng.gen, view[0], view[1],
            total, np.int64(self.debt), spawn_here, bool(s.insert_day0), shares,
            ready is not None, np.int64(ready or 0),
            ag.cap, self._dormant_q, self._dormant_p, self.awake, self.trav,
            self._trav_links(), ag.loc, ag.link, ag.d_link, ag.epoch, ag.recent, ag.cls,
            ag.n, *self._fixed_moves(), self.camp_idx, rec["camp_sim"], rec["agents"],
            rec["on_links"], rec["new_agents"], rec["debt"])
        if t_done > t:
            ag.n, self.debt = int(n), int(debt)
            self.awake, self.trav, self._trav_link = awake, trav, trav_link
            self.spawn_time = t_done - 1
            for _ in range(n_cut):
                self.warnings.append("travel waves did not settle in 10000 steps")
        return int(t_done), int(steps)

    def _pcg_words(self, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
        """``rng``'s PCG64 state for :func:`ranks.flee.daymoves.day_moves`: a view of its
        live words when ``rng`` is the day generator (found once), else a copy."""
        if rng is self.day_rng.gen:
            if not self._pcg_looked:
                self._pcg_view, self._pcg_looked = daymoves.state_view(rng), True
                if kernels.ENABLED:  # (compiled: the Python twin's uint64 math warns)
                    self.day_rng.view = self._pcg_view
            if self._pcg_view is not None:
                return self._pcg_view
        return daymoves.pcg_state(rng), False

    def _dormant_gaps(self, rng: np.random.Generator) -> np.ndarray:
        """The geometric gaps :meth:`_pick_dormant` draws (the same draws), enough to pass
        the last agent; :func:`ranks.flee.daymoves.day_moves` selects from them."""
        n = self.ag.n
        q = self._dormant_q
        if n == 0 or q <= 0.0:
            return _EMPTY
        m = int(q * n + 6.0 * math.sqrt(q * n) + 16)
        gaps = rng.geometric(q, size=m)
        total = int(gaps.sum())
        while total - 1 < n:  # not enough gaps drawn to cover every index (rare)
            more = rng.geometric(q, size=m)
            total += int(more.sum())
            gaps = np.concatenate((gaps, more))
        return gaps

    def step(self, t: int) -> int:
        """Simulate day ``t``; return the number of agents evolved (agent-steps)."""
        return self._moves(self._prepare(t))

    def _prepare(self, t: int) -> np.random.Generator:
        """Day ``t`` up to its moves: conflicts, spawning, closures, the daily state;
        returns the day's generator (its draws go on in :meth:`_moves`)."""
        scen, net = self.scen, self.net
        rng = self.day_rng(t)
        if not self.fast_paths or t >= len(self._conflict_change) or self._conflict_change[t]:
            prev = scen.conflicts[t - 1] if t > 0 else None
            if net.update_conflicts(self.cols, scen.conflicts[t], prev, t):
                self.spawn_time = t
        self._daily_state(t)  # spawning sorts new agents into awake/dormant
        self._spawn(t, rng)
        self.spawn_time = t  # Flee refreshes spawn weights after spawning and in evolve
        net.enact_closures(scen.closures, t)
        self._refresh_structure()
        self._daily_state(t)
        return rng

    def _moves(self, rng: np.random.Generator) -> int:
        """The day's moves (phases 1 and 2) after :meth:`_prepare`; returns the agents
        evolved (agent-steps)."""
        net, ag = self.net, self.ag
        n = ag.n
        if self._compiled_day():
            self._moves_compiled(rng)
            return n
        # Phase 1 (Flee's evolve): agents at locations decide and set out.
        aw = self.awake
        go = rng.random(len(aw)) < self.mce[ag.loc[aw]]
        movers = np.concatenate((aw[go], self._pick_dormant(rng)))
        origin = ag.loc[movers]
        if self.fast_paths and self._plain_choice():
            pick, dep = self._choose_fast(self._vorigin(movers, origin),
                                          self._weights_now()[1], rng)
            if dep is None:
                dep = np.ones(len(movers), dtype=bool)
            left = movers[dep]
            link_left = self.paths.first_link[pick[dep]]
            if self.track_epoch and not self._plain_travel():
                ag.epoch[left] = net.close_count[link_left]  # (the plain loop sets it)
            self.count -= np.bincount(origin[dep], minlength=net.n)
        else:
            link = self._depart(movers, origin, rng)
            dep = link >= 0
            left = movers[dep]
            link_left = link[dep]
        stay = ~dep
        stay_aw = movers[stay]
        stay_aw = stay_aw[~self.dormant[origin[stay]]]
        rest = aw[~go]
        # Phase 2 (Flee's finish_travel): everyone on a link advances.
        active = np.concatenate((self.trav, left))
        trav_link = self._trav_link
        if trav_link is None or len(trav_link) != len(self.trav):
            trav_link = ag.link[self.trav].astype(np.int64)
        a_link = np.concatenate((trav_link, link_left))
        ag.d_link[left] = 0.0
        self._trav_link = None
        self._done_loc = None
        self.trav, done = self._travel(rng, active, a_link, len(self.trav))
        done_loc = self._done_loc if self._done_loc is not None else ag.loc[done]
        done_aw = done[~self.dormant[done_loc]]
        self.awake = np.concatenate((rest, stay_aw, done_aw))
        return n

    def run(self, on_day: Callable[[int], None] | None = None) -> RunResult:
        """Run all days; ``on_day(t)`` is called after each day (for progress bars)."""
        scen = self.scen
        T, C = scen.days, len(self.camp_idx)
        camp_sim = np.zeros((T, C), dtype=np.int64)
        agents = np.zeros(T, dtype=np.int64)
        on_links = np.zeros(T, dtype=np.int64)
        new_agents = np.zeros(T, dtype=np.int64)
        debt = np.zeros(T, dtype=np.int64)
        steps = 0
        loop0 = time.perf_counter()
        self._quiet = self._quiet_plan() if self.quiet_runs else None
        rec = {"camp_sim": camp_sim, "agents": agents, "on_links": on_links,
               "new_agents": new_agents, "debt": debt}
        t = 0
        while t < T:
            n0 = self.ag.n
            t_done = t
            if self._quiet is None:
                steps += self.step(t)
            else:
                t_done, k = self._run_quiet(t, T, rec)
                if t_done == t:
                    # the day's changes in Python, its moves and the quiet days after it
                    # in one compiled call
                    rng = self._prepare(t)
                    t_done, k = self._run_quiet(t, T, rec, ready=self.ag.n - n0)
                    if t_done == t:
                        steps += self._moves(rng)
            if t_done > t:  # days t .. t_done - 1 ran (and were recorded) compiled
                steps += k
                if on_day is not None:
                    for d in range(t, t_done):
                        on_day(d)
                t = t_done
                continue
            new_agents[t] = self.ag.n - n0
            debt[t] = self.debt
            camp_sim[t] = self.count[self.camp_idx]
            agents[t] = self.ag.n
            on_links[t] = len(self.trav)
            if on_day is not None:
                on_day(t)
            t += 1
        loop_s = time.perf_counter() - loop0
        if self.unspawned:
            self.warnings.append(f"{self.unspawned} agents in all were not spawned")
        v = scen.validation
        obs = np.full((T, C), np.nan)
        total = np.full(T, np.nan)
        if v is not None:
            total = v.total.astype(np.float64)
            for j, name in enumerate(self.camp_names):
                o = v.observed(name)
                if o is not None:
                    obs[:, j] = o
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss_mb = rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0
        return RunResult(
            scenario=scen, seed=self.seed, camp_names=list(self.camp_names), camp_sim=camp_sim,
            camp_obs=obs, total_obs=total, agents=agents, on_links=on_links,
            new_agents=new_agents, debt=debt, agent_steps=steps, agents_final=self.ag.n,
            loop_s=loop_s, wall_s=time.perf_counter() - self.t0, peak_rss_mb=rss_mb,
            spawn_mode=self.spawn_mode, warnings=self.warnings)


def run_scenario(scen: Scenario, seed: int = 0,
                 on_day: Callable[[int], None] | None = None) -> RunResult:
    """Build an engine for ``scen`` and run it (see :class:`FleeEngine`)."""
    return FleeEngine(scen, seed).run(on_day)
