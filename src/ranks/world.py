"""The world: places, routes, actors, who controls each place each day, front intensity (M26).

Built once from a scenario and then read-only, except for ``params`` overrides applied by
``set_param`` timeline events.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ranks.scenario.model import FRONT_KINDS, PLACE_TYPES, ROUTE_KINDS, Scenario, TimelineEvent

NO_ACTOR = -1
EARTH_RADIUS_KM = 6371.0
#: Road distance is taken as this factor times the great-circle distance when not given.
ROAD_FACTOR = 1.2


def great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                    lon2: np.ndarray) -> np.ndarray:
    """Haversine distance in km between points given in decimal degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


@dataclass
class World:
    """Places, routes, actors and their time series.

    Attributes:
        start: first simulated date; day index d is ``start + d days``.
        n_days: number of simulated days.
        place_names, place_type (index into PLACE_TYPES), lat, lon, population (people),
        tribe (index into ``tribes``, -1 none), capacity (people, 0 = unlimited).
        route_from, route_to (place indices), route_km, route_kind (index into ROUTE_KINDS).
        actor_ids: actor ids in scenario order; ``actor_index[id]`` their index.
        control: int8 array (n_days, n_places): index of the controlling actor, -1 none.
        front: float32 array (n_days, n_places): front intensity 0..1.
        front_kind: uint8 array (n_days, n_places): index into FRONT_KINDS of the fighting
            in force (``battle`` unless the fronts table says otherwise).
        front_rise: int32 array (n_days, n_places): day the front at the place last rose
            (its intensity went up, or it started): the start of the current episode of
            fighting, from which conflict-driven departures decay (flight, M22).
        events_on: timeline events by day index.
    """

    start: dt.date
    n_days: int
    place_names: list[str]
    place_index: dict[str, int]
    place_type: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray
    tribes: list[str]
    tribe: np.ndarray
    capacity: np.ndarray
    route_from: np.ndarray
    route_to: np.ndarray
    route_km: np.ndarray
    route_kind: np.ndarray
    actor_ids: list[str]
    actor_index: dict[str, int]
    control: np.ndarray
    front: np.ndarray
    front_kind: np.ndarray
    front_rise: np.ndarray
    events_on: dict[int, list[TimelineEvent]] = field(default_factory=dict)

    @property
    def n_places(self) -> int:
        return len(self.place_names)

    @property
    def n_actors(self) -> int:
        return len(self.actor_ids)

    def date(self, day: int) -> dt.date:
        """Calendar date of day index ``day``."""
        return self.start + dt.timedelta(days=int(day))

    def day_of(self, date: dt.date) -> int:
        """Day index of ``date`` (may be negative or past the end)."""
        return (date - self.start).days

    def places_of_type(self, *types: str) -> np.ndarray:
        """Indices of places whose type is one of ``types``."""
        codes = [PLACE_TYPES.index(t) for t in types]
        return np.flatnonzero(np.isin(self.place_type, codes))

    def neighbours(self) -> list[np.ndarray]:
        """Route indices leaving each place (routes are undirected)."""
        out: list[list[int]] = [[] for _ in range(self.n_places)]
        for i, (a, b) in enumerate(zip(self.route_from, self.route_to, strict=True)):
            out[int(a)].append(i)
            out[int(b)].append(i)
        return [np.array(x, dtype=np.int64) for x in out]


def build_world(sc: Scenario) -> World:
    """Build the world arrays of a validated scenario."""
    names = [p.name for p in sc.places]
    pidx = {n: i for i, n in enumerate(names)}
    tribes = sorted({p.tribe for p in sc.places if p.tribe})
    tidx = {t: i for i, t in enumerate(tribes)}
    lat = np.array([p.lat for p in sc.places], dtype=np.float64)
    lon = np.array([p.lon for p in sc.places], dtype=np.float64)
    rf = np.array([pidx[r.from_] for r in sc.routes], dtype=np.int64)
    rt = np.array([pidx[r.to] for r in sc.routes], dtype=np.int64)
    km = np.array(
        [r.distance_km if r.distance_km is not None else np.nan for r in sc.routes],
        dtype=np.float64,
    )
    if len(km):
        gc = great_circle_km(lat[rf], lon[rf], lat[rt], lon[rt]) * ROAD_FACTOR
        km = np.where(np.isnan(km), np.maximum(gc, 0.1), km)
    actor_ids = [a.id for a in sc.actors]
    aidx = {a: i for i, a in enumerate(actor_ids)}
    n_days, n_places = sc.n_days, len(names)
    control = np.full((n_days, n_places), NO_ACTOR, dtype=np.int8)
    for row in sc.control:  # rows are sorted by date: later rows overwrite from their day on
        d = max(0, (row.date - sc.period.start).days)
        control[d:, pidx[row.place]] = aidx[row.actor]
    front = np.zeros((n_days, n_places), dtype=np.float32)
    front_kind = np.full((n_days, n_places), FRONT_KINDS.index("battle"), dtype=np.uint8)
    front_rise = np.zeros((n_days, n_places), dtype=np.int32)
    last = np.zeros(n_places, dtype=np.float64)
    for frow in sc.fronts:
        d = max(0, (frow.date - sc.period.start).days)
        i = pidx[frow.place]
        front[d:, i] = frow.intensity
        front_kind[d:, i] = FRONT_KINDS.index(frow.kind)
        if frow.intensity > last[i]:  # a rise starts a new episode of fighting (on the
            # row's own date, also before the period: an old front has decayed)
            front_rise[d:, i] = (frow.date - sc.period.start).days
        last[i] = frow.intensity
    events_on: dict[int, list[TimelineEvent]] = defaultdict(list)
    for ev in sc.timeline:
        events_on[(ev.date - sc.period.start).days].append(ev)
    return World(
        start=sc.period.start, n_days=n_days, place_names=names, place_index=pidx,
        place_type=np.array([PLACE_TYPES.index(p.type) for p in sc.places], dtype=np.uint8),
        lat=lat, lon=lon,
        population=np.array([p.population for p in sc.places], dtype=np.int64),
        tribes=tribes,
        tribe=np.array([tidx.get(p.tribe, -1) if p.tribe else -1 for p in sc.places],
                       dtype=np.int16),
        capacity=np.array([p.capacity or 0 for p in sc.places], dtype=np.int64),
        route_from=rf, route_to=rt, route_km=km,
        route_kind=np.array([ROUTE_KINDS.index(r.kind) for r in sc.routes], dtype=np.uint8),
        actor_ids=actor_ids, actor_index=aidx, control=control, front=front,
        front_kind=front_kind, front_rise=front_rise, events_on=dict(events_on),
    )
