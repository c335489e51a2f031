"""Struct-of-arrays store of Flee agents (one array element per agent)."""

from __future__ import annotations

from typing import Any

import numpy as np


class AgentStore:
    """Growable struct-of-arrays agent store.

    ``loc`` is an agent's location while it is at one (its last one while it travels);
    ``link`` is the link it travels (-1 at a location) and ``d_link`` the km done on it.
    """

    def __init__(self, route_width: int, track_recent: bool, track_first: bool,
                 track_class: bool = False) -> None:
        self.n = 0
        self.cap = 0
        self.route_width = route_width
        self.track_recent = track_recent
        self.track_first = track_first
        self.track_class = track_class
        self.loc = np.zeros(0, np.intp)  # intp: used as an index without a cast
        self.link = np.zeros(0, np.intp)
        self.d_link = np.zeros(0, np.float64)  # km done on the current link
        self.epoch = np.zeros(0, np.int64)  # link close_count when it was entered
        self.recent = np.zeros(0, np.float64)  # Flee's recent_travel_distance (0..1)
        self.first = np.zeros(0, bool)  # Flee's places_travelled == 1
        self.route = np.zeros((0, max(route_width, 1)), np.int32)  # remaining hops, -1 pad
        self.rlen = np.zeros(0, np.int16)  # remaining hops
        self.rdest = np.zeros(0, np.intp)  # route destination
        self.cls = np.zeros(0, np.intp)  # route class (see ranks.flee.demographics)

    def _grow(self, need: int) -> None:
        new = max(need, 2 * self.cap, 1024)

        def ext(a: np.ndarray, fill: Any = 0) -> np.ndarray:
            out = np.full((new,) + a.shape[1:], fill, dtype=a.dtype)
            out[: self.n] = a[: self.n]
            return out

        self.loc, self.link = ext(self.loc), ext(self.link, -1)
        self.d_link, self.epoch = ext(self.d_link), ext(self.epoch)
        if self.track_recent:
            self.recent = ext(self.recent)
        if self.track_first:
            self.first = ext(self.first, True)
        if self.track_class:
            self.cls = ext(self.cls)
        if self.route_width:
            self.route, self.rlen, self.rdest = ext(self.route, -1), ext(self.rlen), \
                ext(self.rdest, -1)
        self.cap = new

    def add(self, where: np.ndarray) -> np.ndarray:
        """Append agents at the given locations (one entry per agent); return their ids."""
        k = len(where)
        if self.n + k > self.cap:
            self._grow(self.n + k)
        ids = np.arange(self.n, self.n + k, dtype=np.int64)
        self.loc[self.n: self.n + k] = where
        self.n += k
        return ids
