"""Location and route state of a Flee scenario as NumPy arrays, with closures and paths.

Routes become directed links (two per route, as Flee's ``linkUp``).  A link is open or closed;
``close_count`` counts its closings so an agent can tell whether the link it is on was closed
after it set out (Flee keeps such agents on the orphaned link object and sends them back).
Paths are what Flee's ``selectRoute`` enumerates: sequences of open links from an origin up to
``awareness_level`` steps (markers do not count as steps, loops are skipped).
"""

from __future__ import annotations

import numpy as np

from ranks.flee.reader import (
    KIND_CAMP,
    KIND_CONFLICT,
    KIND_FORWARD,
    KIND_IDPCAMP,
    KIND_MARKER,
    KIND_TOWN,
    Closure,
    Scenario,
)
from ranks.flee.settings import FleeSettings
from ranks.routing import PathTable, capacity_multiplier, path_tree

__all__ = ["Network", "PathTable"]


class Network:
    """Mutable per-location and per-link state (units: km, km/day, daily probabilities)."""

    def __init__(self, scen: Scenario) -> None:
        s = scen.settings
        self.settings: FleeSettings = s
        locs = scen.locations
        n = len(locs)
        self.n = n
        self.names = [loc.name for loc in locs]
        self.index = {name: i for i, name in enumerate(self.names)}
        kinds = np.array([loc.kind for loc in locs], dtype=np.int8)
        countries = sorted({loc.country for loc in locs})
        self.country_names = countries
        self.country = np.array([countries.index(loc.country) for loc in locs], dtype=np.int32)
        home = locs[0].country
        self.foreign = np.array([loc.country != home for loc in locs])
        self.camp = np.isin(kinds, (KIND_CAMP, KIND_IDPCAMP))
        self.idpcamp = kinds == KIND_IDPCAMP
        self.town = kinds == KIND_TOWN
        self.marker = kinds == KIND_MARKER
        mc = np.empty(n)
        mc[kinds == KIND_CONFLICT] = s.conflict_movechance
        mc[kinds == KIND_TOWN] = s.default_movechance
        mc[kinds == KIND_CAMP] = s.camp_movechance
        mc[kinds == KIND_IDPCAMP] = s.idpcamp_movechance
        mc[np.isin(kinds, (KIND_FORWARD, KIND_MARKER))] = 1.0
        auto = (mc < 0.005) & ~self.camp  # Flee: low move chance makes a camp
        self.camp |= auto
        self.town &= ~auto
        self.movechance = mc
        self.conflict = np.full(n, -1.0)
        for i, loc in enumerate(locs):
            if kinds[i] == KIND_CONFLICT:
                self.conflict[i] = float(loc.attributes.get("conflict_intensity") or 1.0)
        self.time_of_conflict = np.full(n, -1, dtype=np.int64)
        self.pop = np.array([loc.pop for loc in locs], dtype=np.int64)
        self.capacity = np.array([loc.capacity for loc in locs], dtype=np.float64)
        self._pop_factor: np.ndarray | None = None  # (effective_movechance's, while fixed)

        src, dst, dist, speed, walk = [], [], [], [], []
        fix_dup = s.compat.fix_forced_redirection_duplicates

        def link_up(a: int, b: int, d: float, attrs: dict[str, str]) -> None:
            sp = float(attrs.get("max_move_speed") or s.max_move_speed)
            wp = float(attrs.get("walk_probability") or 0.0)
            for x, y in ((a, b), (b, a)):
                src.append(x)
                dst.append(y)
                dist.append(d)
                speed.append(sp)
                walk.append(wp)

        for r in scen.routes:
            if r.forced == 2:
                link_up(r.b, r.a, r.distance, r.attributes)
            elif r.forced == 1 and not fix_dup:  # Flee 3.1's if/if/else links these twice
                link_up(r.a, r.b, r.distance, r.attributes)
                link_up(r.a, r.b, r.distance, r.attributes)
            else:
                link_up(r.a, r.b, r.distance, r.attributes)
        self.src = np.array(src, dtype=np.intp)
        self.dst = np.array(dst, dtype=np.intp)
        self.dist = np.array(dist, dtype=np.float64)
        self.speed = np.array(speed, dtype=np.float64)
        self.walk_prob = np.array(walk, dtype=np.float64)
        self.open = np.ones(len(src), dtype=bool)
        self.close_count = np.zeros(len(src), dtype=np.int64)
        self.any_walk = bool((self.walk_prob > 0).any())
        self.structure_version = 0  # bumped when open links or markers change
        self.state_version = 0  # bumped when move chances, scores or conflicts change
        # conflict_decay's last two results: (state version, first day, last day, values)
        self._decay: list[tuple[int, int, int, np.ndarray]] = []
        self._max_hops = 1

    # ------------------------------------------------------------------ closures

    def _set_links(self, mask: np.ndarray, open_: bool) -> None:
        if open_:
            change = mask & ~self.open
        else:
            change = mask & self.open
            self.close_count[change] += 1
        if change.any():
            self.open[change] = open_
            self.structure_version += 1

    def _loc(self, name: str) -> int | None:
        return self.index.get(name)

    def enact_closures(self, closures: list[Closure], t: int) -> None:
        """Apply closures that start or end on day ``t`` (file order, as Flee does)."""
        for c in closures:
            if t == c.start:
                self._closure(c, close=True)
            if t == c.end:
                self._closure(c, close=False)

    def _closure(self, c: Closure, close: bool) -> None:
        s = self.settings
        if c.kind == "country":
            if c.name1 not in self.country_names or c.name2 not in self.country_names:
                return
            a = self.country_names.index(c.name1)
            b = self.country_names.index(c.name2)
            cs, cd = self.country[self.src], self.country[self.dst]
            self._set_links(((cs == a) & (cd == b)) | ((cs == b) & (cd == a)), open_=not close)
        elif c.kind == "location":
            i = self._loc(c.name1)
            if i is None:
                return
            state = self.open if close else ~self.open
            out = (self.src == i) & state
            back = np.isin(self.src, self.dst[out]) & (self.dst == i) & state
            self._set_links(out | back, open_=not close)
        elif c.kind == "link":
            i, j = self._loc(c.name1), self._loc(c.name2)
            if i is None or j is None or s.compat.link_closure == "flee":
                return  # Flee 3.1 compares names by identity: link closures do nothing
            mask = (self.src == j) & (self.dst == i)
            if s.compat.link_closure == "both":
                mask |= (self.src == i) & (self.dst == j)
            self._set_links(mask, open_=not close)
        elif c.kind in ("camp", "idpcamp"):
            i = self._loc(c.name1)
            if i is None:
                return
            self.conflict[i] = -1.0
            self.marker[i] = False
            if close:  # the camp becomes a town
                self.movechance[i] = s.default_movechance
                self.camp[i] = self.idpcamp[i] = False
                self.town[i] = True
            else:
                idp = c.kind == "idpcamp"
                self.movechance[i] = s.idpcamp_movechance if idp else s.camp_movechance
                self.camp[i] = True
                self.idpcamp[i] = idp
                self.town[i] = False
            self.structure_version += 1
            self.state_version += 1
        # remove_forced_redirection: Flee 3.1 stores the flag but never reads it.

    # ------------------------------------------------------------------ conflicts

    def update_conflicts(self, cols: np.ndarray, values: np.ndarray, prev: np.ndarray | None,
                         t: int) -> bool:
        """Flee's ``AddNewConflictZones`` for day ``t``; True when anything changed.

        A zone starts when its intensity rises above 1e-6 (with that intensity) and ends when
        it falls below 1e-6 after a day at exactly 1 (Flee 3.1; any positive value with
        ``fix_conflict_removal``).
        """
        s = self.settings
        eps = 1e-6
        up = values > eps
        if prev is not None:
            up &= prev < eps
            down = (values < eps) & ((prev >= eps) if s.compat.fix_conflict_removal
                                     else (prev == 1))
        else:
            down = None
        changed = False
        if up.any():
            i = cols[up]
            self.movechance[i] = s.conflict_movechance
            self.conflict[i] = values[up]
            self.town[i] = False
            self.time_of_conflict[i] = t
            changed = True
        if down is not None and down.any():
            i = cols[down]
            self.movechance[i] = s.default_movechance
            self.conflict[i] = -1.0
            self.town[i] = True
            changed = True
        if changed:
            self.state_version += 1
        return changed

    def conflict_decay(self, t: int) -> np.ndarray:
        """Conflict decay multiplier of each conflict zone on day ``t`` (1 at the other
        locations, and everywhere without a decay list)."""
        decay = self.settings.conflict_spawn_decay
        if not decay:
            return np.ones(self.n)
        for v, t0, t1, out in self._decay:  # valid from day t0 to t1 at version v
            if v == self.state_version and t0 <= t <= t1:
                return out
        zone = self.conflict > 0  # (zones start and end with a new state version)
        raw = (t - self.time_of_conflict) // 30
        k = np.minimum(raw.astype(np.int64), len(decay) - 1)
        out = np.where(zone, np.asarray(decay, dtype=np.float64)[np.maximum(k, 0)], 1.0)
        out.flags.writeable = False  # shared by the callers
        # the same values until a zone's 30-day period ends while its decay can change
        moving = zone & (raw < len(decay) - 1)
        until = (int((self.time_of_conflict[moving] + 30 * (raw[moving] + 1)).min()) - 1
                 if moving.any() else 2**62)
        self._decay = [self._decay[-1], (self.state_version, t, until, out)] if self._decay \
            else [(self.state_version, t, until, out)]
        return out

    def conflict_decay_through(self, t: int) -> int:
        """The last day from ``t`` on with the same decay multipliers as day ``t`` while
        the conflicts do not change (``t`` itself when unknown; far ahead without decay)."""
        if not self.settings.conflict_spawn_decay:
            return 2**62
        self.conflict_decay(t)
        for v, t0, t1, _ in self._decay:
            if v == self.state_version and t0 <= t <= t1:
                return t1
        return t

    def spawn_weights(self, t: int) -> np.ndarray:
        """Flee's spawn weights: population x conflict intensity (x decay) in conflict zones."""
        w = np.zeros(self.n)
        c = self.conflict > 0
        mult = self.conflict * (self.conflict_decay(t) if self.settings.conflict_spawn_decay
                                else 1.0)
        w[c] = self.pop[c] * mult[c]
        return w

    def scores(self, t: int) -> np.ndarray:
        """Location attractiveness (Flee's score 1) on day ``t``."""
        s = self.settings
        # (1 x foreign weight x camp weight, as products in that order)
        sc = np.where(self.foreign, s.foreign_weight, 1.0)
        sc *= np.where(self.camp, s.camp_weight, 1.0)
        c = self.conflict > 0
        if c.any():
            level = self.conflict[c]
            if s.conflict_spawn_decay:
                level = self.conflict_decay(t)[c] * level  # (x 1.0 without decay: exact)
            sc[c] *= s.conflict_weight ** level
        return sc

    def effective_movechance(self) -> np.ndarray:
        """Daily move chance including Flee's population scaling."""
        s = self.settings
        factor = self._pop_factor
        if factor is None:
            base = (np.maximum(self.pop.astype(np.float64), self.capacity)
                    / s.movechance_pop_base)
            factor = base ** s.movechance_pop_scale_factor
            if not s.take_from_population:  # the populations, hence the factor, stay
                self._pop_factor = factor
        return self.movechance * factor

    def cap_multiplier(self, count: np.ndarray) -> np.ndarray:
        """Flee's capacity multiplier from agents present (1 below buffer x cap, 0 at cap);
        :func:`ranks.routing.capacity_multiplier`."""
        s = self.settings
        return capacity_multiplier(self.capacity * s.capacity_scaling, count, s.capacity_buffer)

    # ------------------------------------------------------------------ paths

    def build_paths(self, awareness: int) -> PathTable:
        """Enumerate candidate routes on open links (Flee's ``calculateLinkWeight`` tree);
        :func:`ranks.routing.path_tree`."""
        table = path_tree(self.n, self.src, self.dst, self.dist, self.open, awareness,
                          self.marker)
        self._max_hops = max(self._max_hops, table.hops.shape[1])
        return table

    def open_link_lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted keys ``src * n + dst`` of open links and the first link id for each."""
        ids = np.flatnonzero(self.open)
        keys = self.src[ids].astype(np.int64) * self.n + self.dst[ids]
        uk, first = np.unique(keys, return_index=True)
        return uk, ids[first]
