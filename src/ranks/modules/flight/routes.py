"""Routes and route choice (M23): the directed links of the network, the path tree and camp
capacity rule shared with ``ranks flee`` (:mod:`ranks.routing`), Flee's scores and pick.

A party at a place weighs every path of up to ``awareness_hops`` open links: score of the
path's end over distance (Flee's rule), with camps weighted by ``camp_weight`` and Flee's
capacity multiplier, abroad by ``abroad_weight``, front places by ``conflict_weight **
intensity``, the feared actor's places by ``hostile_weight``; a smuggled party prefers paths
that start on a desert link; going straight back is all but excluded. Units: km, km a day.
"""

from __future__ import annotations

import numpy as np

from ranks import kernels
from ranks.arrays import unique_first_inverse
from ranks.errors import RanksInputError
from ranks.modules.flight.params import FLEE, FlightParams
from ranks.routing import capacity_multiplier, path_tree
from ranks.scenario.model import PLACE_TYPES, ROUTE_KINDS, TimelineEvent
from ranks.world import World

TOWN_TYPES = tuple(PLACE_TYPES.index(t) for t in ("city", "town", "subdistrict"))
CAMP = PLACE_TYPES.index("camp")
ABROAD = PLACE_TYPES.index("abroad")
DESERT = ROUTE_KINDS.index("desert")
#: Weight factor on going straight back to the place just left (a dead end lets one out).
BACK_FACTOR = 1e-6
_EMPTY = np.zeros(0, dtype=np.int64)
#: Largest number of route-choice group keys given a table (9 bytes a key).
MAX_GROUP_KEYS = 4_000_000


class Routes:
    """The network as directed links (link ``l < R`` goes from->to, ``l >= R`` the other
    way), speeds by route kind, place kinds and camp capacities, and the path table.

    Args:
        world: places and routes.
        p: the module's parameters.
        scale: the run's scale (camp capacities are scaled, at least 1).
    """

    def __init__(self, world: World, p: FlightParams, scale: float) -> None:
        self.p = p
        self.P = world.n_places
        R = len(world.route_from)
        self.R = R
        self.l_from = np.concatenate([world.route_from, world.route_to]).astype(np.int64)
        self.l_to = np.concatenate([world.route_to, world.route_from]).astype(np.int64)
        self.l_km = np.concatenate([world.route_km, world.route_km]).astype(np.float64)
        self.l_kind = np.concatenate([world.route_kind, world.route_kind]).astype(np.int64)
        self.speed = np.array([p.speed_km_day[k].value if k in p.speed_km_day
                               else FLEE.max_move_speed for k in ROUTE_KINDS])
        self.is_camp = world.place_type == CAMP
        self.is_abroad = world.place_type == ABROAD
        self.is_town = np.isin(world.place_type, TOWN_TYPES)
        self.capacity = np.where(world.capacity > 0, np.maximum(world.capacity * scale, 1.0),
                                 0.0)
        self._open_key = b""
        self._seen = np.zeros(0, dtype=bool)
        self._index = _EMPTY
        self.rebuild(np.ones(2 * R, dtype=bool))

    # -- the path table --------------------------------------------------------------------
    def rebuild(self, open_: np.ndarray) -> None:
        """Paths of up to ``awareness_hops`` open links from each place (Flee's link-weight
        tree, :func:`ranks.routing.path_tree`); padded table ``path_of[origin, k]``."""
        self._open_key = open_.tobytes()
        t = path_tree(self.P, self.l_from, self.l_to, self.l_km, open_,
                      self.p.awareness_hops.value)
        self.path_of = t.padded()
        self.path_end = t.end.astype(np.int64)
        self.path_km = t.dist
        self.path_link = t.first_link
        self.path_next = t.hops[:, 0].astype(np.int64)
        p = self.p
        self.path_dist_w = 1.0 / (p.distance_softening.value + self.path_km) ** \
            p.distance_power.value
        self.path_desert = self.l_kind[self.path_link] == DESERT

    def update(self, open_: np.ndarray) -> None:
        """Rebuild the paths when the open links changed."""
        if open_.tobytes() != self._open_key:
            self.rebuild(open_)

    # -- Flee's rule -----------------------------------------------------------------------
    def scores(self, control: np.ndarray, front: np.ndarray, in_camp: np.ndarray,
               n_actors: int, closed: np.ndarray | None = None) -> np.ndarray:
        """Flee scores of each place for a traveller fearing actor f: (A + 1, P), row A for
        none. Camps weigh camp_weight x Flee's capacity multiplier, abroad abroad_weight,
        places at the front conflict_weight ** intensity, the feared actor's places
        hostile_weight; places ``closed`` to arrivals (a camp not open, a besieged place)
        and camps held by the actor a traveller fears weigh 0 (M25, issue 13).

        Args:
            control: actor holding each place today (-1 none).
            front: front intensity by place today.
            in_camp: people in camps by place now.
            closed: places nobody can stop at or get into today (None: none).
        """
        p = self.p
        s = np.ones(self.P)
        s[self.is_camp] = p.camp_weight.value
        s *= capacity_multiplier(self.capacity, in_camp, p.capacity_buffer.value)
        s[self.is_abroad] = p.abroad_weight.value
        s *= p.conflict_weight.value ** front.astype(np.float64)
        if closed is not None:
            s[closed] = 0.0
        out = np.repeat(s[None, :], n_actors + 1, axis=0)
        ctrl = control.astype(np.int64)
        held = ctrl >= 0
        out[ctrl[held], np.flatnonzero(held)] *= p.hostile_weight.value
        hc = held & self.is_camp
        out[ctrl[hc], np.flatnonzero(hc)] = 0.0  # nobody settles under the actor they flee
        return out

    def choose(self, at: np.ndarray, prev: np.ndarray, feared: np.ndarray,
               nocamp: np.ndarray, smuggled: np.ndarray, score: np.ndarray, u: np.ndarray,
               n_actors: int) -> np.ndarray:
        """A link for each traveller at ``at`` (Flee's rule over paths), -1 if none.

        Travellers who see the same weights (same place, feared actor, previous place,
        smuggled, camp-averse) form a group; each group's path weights are computed once and
        laid end to end in one cumulative array, and each traveller's pick is one
        ``searchsorted`` in it (as Flee's engine does per origin).

        Args:
            at, prev: place and previous place (-1 none) of each traveller.
            feared: actor each fled (-1 none); nocamp, smuggled: bools.
            score: :meth:`scores`; u: one uniform each.
        """
        if at.size == 0:
            return _EMPTY
        A = n_actors
        f = np.where(feared >= 0, feared, A)
        if kernels.ENABLED:  # the same picks, in one compiled loop (ranks.kernels)
            return kernels.choose_links(
                np.ascontiguousarray(at, dtype=np.int64),
                np.ascontiguousarray(prev, dtype=np.int64),
                f.astype(np.int64), np.ascontiguousarray(nocamp, dtype=np.bool_),
                np.ascontiguousarray(smuggled, dtype=np.bool_),
                np.ascontiguousarray(u, dtype=np.float64), score, self.path_of,
                self.path_end, self.path_dist_w, self.path_next, self.path_link,
                self.path_desert, self.is_camp, float(self.p.desert_preference.value),
                BACK_FACTOR, self.P, *self.group_tables(A))
        g = (((at * (A + 1) + f) * 2 + nocamp) * 2 + smuggled) * (self.P + 1) + prev + 1
        ug, first, inv = unique_first_inverse(g)
        r_at, r_f, r_nc, r_sm, r_prev = (at[first], f[first], nocamp[first], smuggled[first],
                                         prev[first])
        paths = self.path_of[r_at]  # (groups, K)
        valid = paths >= 0
        pp = np.where(valid, paths, 0)
        end = self.path_end[pp]
        wgt = score[r_f[:, None], end] * self.path_dist_w[pp]
        wgt[r_nc[:, None] & self.is_camp[end]] = 0.0
        if r_sm.any():
            wgt[r_sm] *= np.where(self.path_desert[pp[r_sm]], self.p.desert_preference.value,
                                  1.0)
        wgt[self.path_next[pp] == r_prev[:, None]] *= BACK_FACTOR  # back only at a dead end
        wgt[~valid] = 0.0
        K = wgt.shape[1]
        cw = np.cumsum(wgt.reshape(-1))
        lo = np.concatenate([[0.0], cw[K - 1:-1:K]]) if cw.size else np.zeros(0)
        tot = cw[K - 1::K] - lo
        target = lo[inv] + u * tot[inv]
        pos = np.searchsorted(cw, target, side="right")
        pos = np.minimum(np.maximum(pos, inv * K), inv * K + K - 1)
        link = self.path_link[pp.reshape(-1)[pos]]
        return np.where(tot[inv] > 0, link, -1)

    def group_tables(self, n_actors: int) -> tuple[np.ndarray, np.ndarray]:
        """Scratch tables of the compiled route choice (:func:`ranks.kernels.choose_links`),
        one place per group key (place, feared actor, camp-averse, smuggled, previous
        place): a mask left all False and an index; empty (the loop sorts the keys) for
        networks with more than :data:`MAX_GROUP_KEYS` keys."""
        size = self.P * (n_actors + 1) * 4 * (self.P + 1)
        if size > MAX_GROUP_KEYS:
            size = 0
        if self._seen.size != size:
            self._seen = np.zeros(size, dtype=bool)
            self._index = np.zeros(size, dtype=np.int64)
        return self._seen, self._index

    def move_chance(self, at: np.ndarray, prev: np.ndarray, feared: np.ndarray,
                    control: np.ndarray, front: np.ndarray) -> np.ndarray:
        """Flee's move chance at a place: 1 where the traveller is not safe (the feared
        actor's place, a front) or has just set out, ``town_movechance`` in a safe place."""
        safe = ((control.astype(np.int64)[at] != feared)
                & (front[at] < self.p.safe_front_max.value) & (prev >= 0))
        return np.where(safe, self.p.town_movechance.value, 1.0)

    # -- timeline --------------------------------------------------------------------------
    def links_of(self, world: World, ev: TimelineEvent, places: np.ndarray | None
                 ) -> np.ndarray:
        """Links named by ``args: {from, to}`` (both directions) or touching ``places``."""
        a, b = ev.args.get("from"), ev.args.get("to")
        if a is not None or b is not None:
            if a not in world.place_index or b not in world.place_index:
                raise RanksInputError(f"{ev.type}: args.from/args.to must name places joined "
                                      "by a route", field="timeline")
            i, j = world.place_index[a], world.place_index[b]
            m = ((self.l_from == i) & (self.l_to == j)) | ((self.l_from == j) & (self.l_to == i))
            if not m.any():
                raise RanksInputError(f"{ev.type}: no route between {a} and {b}",
                                      field="timeline")
            return np.flatnonzero(m)
        if places is None:
            raise RanksInputError(f"{ev.type} needs a place or args.from and args.to",
                                  field="timeline")
        return np.flatnonzero(np.isin(self.l_from, places) | np.isin(self.l_to, places))
