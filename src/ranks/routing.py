"""Flee's route rules, shared by ``ranks flee`` (:mod:`ranks.flee.network`) and the flight
module (:mod:`ranks.modules.flight`): the tree of candidate paths a traveller weighs, and
the capacity multiplier of a camp's attractiveness.

Flee (``flee.py``, ``selectRoute`` / ``calculateLinkWeight``) weighs every path of up to
``awareness`` links out of a place, skipping loops; marker locations do not count as a
step. Units: km; links are directed (a route is two links).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PathTable:
    """Candidate paths grouped by origin (CSR): ``ptr[o]:ptr[o+1]`` are origin ``o``'s, in
    Flee's depth-first order."""

    ptr: np.ndarray  # (n_places + 1,) int64
    end: np.ndarray  # (n_paths,) final place
    dist: np.ndarray  # (n_paths,) km along the path
    first_link: np.ndarray  # (n_paths,) link taken first
    hops: np.ndarray  # (n_paths, H) places after the origin, -1 padded, int32

    @property
    def origin(self) -> np.ndarray:
        """Origin place of each path, int64."""
        return np.repeat(np.arange(len(self.ptr) - 1, dtype=np.int64), np.diff(self.ptr))

    def padded(self) -> np.ndarray:
        """Path ids by origin as a table ``(n_places, K)``, -1 padded (K at least 1)."""
        n_per = np.diff(self.ptr)
        K = max(int(n_per.max(initial=0)), 1)
        out = np.full((len(n_per), K), -1, dtype=np.int64)
        org = self.origin
        out[org, np.arange(len(org)) - self.ptr[org]] = np.arange(len(org))
        return out


def path_tree(n_places: int, src: np.ndarray, dst: np.ndarray, dist: np.ndarray,
              open_: np.ndarray, awareness: int, marker: np.ndarray | None = None
              ) -> PathTable:
    """Enumerate candidate paths on open links (Flee's ``calculateLinkWeight`` tree).

    Args:
        n_places: number of places (locations).
        src, dst, dist: directed links: from, to, km.
        open_: bool per link; closed links are not walked.
        awareness: the most links a path has (markers excepted).
        marker: bool per place; a marker is passed through and is not a path's end.
    """
    out_links: list[list[int]] = [[] for _ in range(n_places)]
    for link in np.flatnonzero(open_):
        out_links[int(src[link])].append(int(link))
    is_marker = np.zeros(n_places, dtype=bool) if marker is None else marker
    ends: list[int] = []
    dists: list[float] = []
    firsts: list[int] = []
    hops_l: list[list[int]] = []
    origins: list[int] = []

    def rec(o: int, k: int, prior: float, visited: list[int], step: int, first: int,
            hops: list[int]) -> None:
        e = int(dst[k])
        h2 = hops + [e]
        if not is_marker[e]:
            origins.append(o)
            ends.append(e)
            dists.append(prior + dist[k])
            firsts.append(first)
            hops_l.append(h2)
        else:
            step -= 1
        if awareness > step:
            v2 = visited + [e]
            for k2 in out_links[e]:
                if int(dst[k2]) in visited:
                    continue
                rec(o, k2, prior + dist[k], v2, step + 1, first, h2)

    for o in range(n_places):
        for k in out_links[o]:
            rec(o, k, 0.0, [o], 1, k, [])
    width = max([len(h) for h in hops_l], default=1)
    hops = np.full((len(hops_l), width), -1, dtype=np.int32)
    for r, h in enumerate(hops_l):
        hops[r, : len(h)] = h
    org = np.array(origins, dtype=np.int64)
    ptr = np.zeros(n_places + 1, dtype=np.int64)
    np.add.at(ptr, org + 1, 1)
    return PathTable(ptr=np.cumsum(ptr), end=np.array(ends, dtype=np.intp),
                     dist=np.array(dists, dtype=np.float64),
                     first_link=np.array(firsts, dtype=np.int64), hops=hops)


def capacity_multiplier(capacity: np.ndarray, count: np.ndarray, buffer: float) -> np.ndarray:
    """Flee's capacity multiplier on a camp's attractiveness: 1 up to ``buffer`` x capacity
    present, falling linearly to 0 at capacity; 1 where ``capacity`` is below 1 (no limit).

    Args:
        capacity: people a place takes (already scaled), float.
        count: people (or agents) present.
        buffer: share of capacity at which the fall starts (Flee's ``capacity_buffer``).
    """
    cap = np.asarray(capacity, dtype=np.float64)
    out = np.ones(cap.shape)
    has = cap >= 1
    if has.any():
        c, n = cap[has], np.asarray(count)[has].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = 1.0 - (n - buffer * c) / (c * (1.0 - buffer))
        w = np.where(n <= buffer * c, 1.0, np.where(n >= c, 0.0, w))
        out[has] = w
    return out
