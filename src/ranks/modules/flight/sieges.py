"""Sieges, organised evacuations and expulsions: dated timeline inputs of flight (M22, M23,
M25, M26; issue 13).

- ``siege`` (``place``, ``actor`` besieging, ``until``): people at a besieged place can
  leave only with a paid smuggler or an organised evacuation; nobody travels into it.
- ``evacuation`` (``place``: where from; ``until``; ``value``: seats a day, people at full
  scale, none = no limit; ``args: {destination, kind, who, share_per_day}``): an organised
  way out. ``kind`` is what it was (airlift, corridor, transfer, convoy); ``who`` is
  ``leavers`` (parties who decided to leave that day take the seats: an airlift out of a
  siege, the trucks from a front to a camp) or ``residents`` (a share ``share_per_day`` of
  the parties living in a camp there leave with it each day: convoys home or onward).
- ``expulsion`` (``place``, ``actor``, ``until``, ``value``: share of households): an
  actor orders residents out; the expelled leave that day and may not come home before
  ``until``.

Seats and shares are at full scale and scaled by the run's scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ranks.errors import RanksInputError
from ranks.scenario.model import TimelineEvent
from ranks.world import World

EVACUATION_KINDS = ("airlift", "corridor", "transfer", "convoy")
WHO = ("leavers", "residents")


def _places(world: World, ev: TimelineEvent) -> np.ndarray:
    if not ev.places:
        raise RanksInputError(f"{ev.type} needs a place", field="timeline")
    return np.array([world.place_index[p] for p in ev.places], dtype=np.int64)


def _until(world: World, ev: TimelineEvent, day: int) -> int:
    return world.day_of(ev.until) if ev.until is not None else world.n_days + 1


@dataclass
class Siege:
    """Places besieged by ``actor`` from ``start`` to ``until`` (day indices, exclusive)."""

    places: np.ndarray
    actor: int
    start: int
    until: int

    @classmethod
    def from_event(cls, world: World, ev: TimelineEvent, day: int) -> Siege:
        a = world.actor_index.get(ev.actor or "", -1)
        return cls(_places(world, ev), a, day, _until(world, ev, day))


@dataclass
class Evacuation:
    """An organised way out (see the module docstring); ``seats`` per day at the run's
    scale (inf = no limit)."""

    places: np.ndarray
    start: int
    until: int
    seats: float
    destination: int
    kind: str
    who: str
    share_per_day: float
    used_today: float = field(default=0.0)

    @classmethod
    def from_event(cls, world: World, ev: TimelineEvent, day: int, scale: float
                   ) -> Evacuation:
        args = ev.args
        dest = args.get("destination")
        if dest not in world.place_index:
            raise RanksInputError(f"evacuation: args.destination must name a place, not "
                                  f"{dest!r}", field="timeline")
        kind = str(args.get("kind", "corridor"))
        who = str(args.get("who", "leavers"))
        if kind not in EVACUATION_KINDS or who not in WHO:
            raise RanksInputError(f"evacuation: args.kind one of {', '.join(EVACUATION_KINDS)}"
                                  f"; args.who one of {', '.join(WHO)}", field="timeline")
        seats = float("inf") if ev.value is None else max(float(ev.value) * scale, 0.0)
        share = float(args.get("share_per_day", 0.0))
        if who == "residents" and not 0.0 < share <= 1.0:
            raise RanksInputError("evacuation of residents needs args.share_per_day in (0, 1]",
                                  field="timeline")
        return cls(_places(world, ev), day, _until(world, ev, day), seats,
                   world.place_index[str(dest)], kind, who, share)

    def active(self, day: int) -> bool:
        return self.start <= day < self.until


@dataclass
class Expulsion:
    """Households of ``places`` ordered out by ``actor`` (share ``share``) on ``start``; no
    return before ``until``."""

    places: np.ndarray
    actor: int
    start: int
    until: int
    share: float

    @classmethod
    def from_event(cls, world: World, ev: TimelineEvent, day: int) -> Expulsion:
        share = 1.0 if ev.value is None else float(ev.value)
        if not 0.0 <= share <= 1.0:
            raise RanksInputError("expulsion: value is the share of households (0..1)",
                                  field="timeline")
        return cls(_places(world, ev), world.actor_index.get(ev.actor or "", -1), day,
                   _until(world, ev, day), share)


def besieged(sieges: list[Siege], day: int, n_places: int) -> np.ndarray:
    """Places under siege on ``day``, (P,) bool."""
    out = np.zeros(n_places, dtype=bool)
    for s in sieges:
        if s.start <= day < s.until:
            out[s.places] = True
    return out


def return_barred(expulsions: list[Expulsion], day: int, n_places: int) -> np.ndarray:
    """Places whose expelled may not come home yet on ``day``, (P,) bool."""
    out = np.zeros(n_places, dtype=bool)
    for e in expulsions:
        if e.start <= day < e.until:
            out[e.places] = True
    return out
