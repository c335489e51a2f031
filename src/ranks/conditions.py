"""Conditions at a place that decide whether the displaced go home (M27 inputs, issue 13):
how far the nearest front is, how contaminated by mines a retaken place is, how damaged its
services are. Pure functions of the world (control and fronts), computed once a run.

- **Front distance**: great-circle km from each place to the nearest place whose front is
  at least ``min_intensity`` and not ``calm`` (0 when the place itself is such a front;
  infinity when there is none).
- **Mines**: when a place passes from an actor that mines what it leaves (ISIS, seed-000:
  minefields in the desert; the Hajin and al-Baghuz pockets) to any other holder, its
  contamination jumps to ``initial`` and halves every ``half_life_days``; a place the
  mining actor still holds has none (its residents know where they are).
- **Damage to services**: each day of fighting of a kind that destroys (weights by kind,
  e.g. an offensive 1, air strikes 0.5) adds ``per_day x weight x intensity x (1 - damage)``
  and damage heals with a half-life of ``recovery_half_life_days``.

Parameters and their evidence live with the returns module that uses them.
"""

from __future__ import annotations

import numpy as np

from ranks.scenario.model import FRONT_KINDS
from ranks.world import World, great_circle_km

_CALM = FRONT_KINDS.index("calm")


def place_distances(world: World) -> np.ndarray:
    """Great-circle distances between places (km), (P, P)."""
    return great_circle_km(world.lat[:, None], world.lon[:, None], world.lat[None, :],
                           world.lon[None, :])


def front_distance(world: World, day: int, dist: np.ndarray,
                   min_intensity: float) -> np.ndarray:
    """Km from each place to the nearest front of at least ``min_intensity`` (not calm) on
    ``day``; ``inf`` when there is none."""
    hot = (world.front[day] >= min_intensity) & (world.front_kind[day] != _CALM)
    if not hot.any():
        return np.full(world.n_places, np.inf)
    return dist[:, hot].min(axis=1)


def mine_contamination(world: World, mining_actors: list[int], initial: float,
                       half_life_days: float) -> np.ndarray:
    """Contamination 0..1 by day and place, (n_days, P), float32 (see the module doc)."""
    n, P = world.control.shape
    out = np.zeros((n, P), dtype=np.float32)
    if not mining_actors or initial <= 0 or n == 0:
        return out
    mining = np.isin(world.control.astype(np.int64), mining_actors)
    left = np.zeros((n, P), dtype=bool)
    left[1:] = mining[:-1] & ~mining[1:]  # the mining actor's last day was the day before
    decay = 0.5 ** (1.0 / max(half_life_days, 1e-9))
    level = np.zeros(P)
    for d in range(n):
        level *= decay
        level[left[d]] = initial
        level[mining[d]] = 0.0
        out[d] = level
    return out


def service_damage(world: World, kind_weight: np.ndarray, per_day: float,
                   recovery_half_life_days: float) -> np.ndarray:
    """Damage 0..1 to services by day and place, (n_days, P), float32 (see the module doc).

    ``kind_weight``: weight of each kind of FRONT_KINDS (same order)."""
    n, P = world.front.shape
    out = np.zeros((n, P), dtype=np.float32)
    heal = 0.5 ** (1.0 / max(recovery_half_life_days, 1e-9))
    dmg = np.zeros(P)
    w = np.asarray(kind_weight, dtype=np.float64)
    for d in range(n):
        hit = np.minimum(per_day * w[world.front_kind[d]] * world.front[d], 1.0)
        dmg = dmg * heal
        dmg = dmg + hit * (1.0 - dmg)
        out[d] = dmg
    return out


def conflict_chance(world: World, day: int, per_day: float, kind_weight: np.ndarray,
                    half_life_days: float) -> np.ndarray:
    """Daily chance that a household at home at each place leaves because of the fighting
    there (M22, Flee's conflict-driven spawning generalised): ``per_day x weight(kind) x
    intensity x 2 ** (-(days since the episode started) / half_life_days)``, capped at 1.
    Applied to every household at home, the expected departures are in proportion to the
    intensity and to the people exposed (those still at home); they fall as the fighting
    goes on (the willing and able have gone) and when it ends (intensity down)."""
    f = world.front[day].astype(np.float64)
    w = np.asarray(kind_weight, dtype=np.float64)[world.front_kind[day]]
    age = day - world.front_rise[day].astype(np.float64)
    decay = 0.5 ** (np.maximum(age, 0.0) / max(half_life_days, 1e-9))
    return np.minimum(per_day * w * f * decay, 1.0)
