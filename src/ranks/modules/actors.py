"""What several modules share about armed actors (M28): per-actor settings, parameter
types, and the camps that recruit where an allied actor holds control.

Per-actor settings (``ActorParams``) are declared by each module (pay in economy,
recruitment in joining, training in service, stops and duty in coercion, punishment in
leaving); the values by actor and date come from the scenario's practices
(:class:`ranks.modules.practices.ActorSettings`). :class:`Camps` is built by the joining
module from its ``recruits_in`` settings and found by type (``sim.get(Camps)``) by the
service module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ranks.scenario.model import Scenario

#: Parameter types shared by the modules' pydantic models.
Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
PosF = Annotated[float, Field(gt=0.0)]
PosInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]
#: Whole days or counts kept in a uint8 person column (0..255).
Byte = Annotated[int, Field(ge=0, le=255)]
Age = Annotated[int, Field(ge=0, le=100)]


def src(value: Any, source: str, note: str = "") -> dict[str, Any]:
    """A preset parameter citing ``source`` (raw dict, validated with the actor model)."""
    return {"value": value, "source": source, "note": note or None}


def assume(value: Any, why: str) -> dict[str, Any]:
    """A preset parameter that is an assumption."""
    return {"value": value, "assumption": why}


class ActorParams(BaseModel):
    """Per-actor settings of one module (``modules.<name>.actors.<ID>``). Every field has a
    generic default (an actor pays, recruits or trains nobody unless configured); the
    practices of a scenario (``practices:``, :mod:`ranks.modules.practices`) set them by
    date. No actor-specific values live in module code."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


A = TypeVar("A", bound=ActorParams)


def resolve_actors(given: Mapping[str, A], cls: type[A], actor_ids: list[str]
                   ) -> list[A | None]:
    """Settings per world actor from ``modules.<name>.actors``, else None (the actor is not
    configured there; the practices may still configure it)."""
    return [given.get(a) for a in actor_ids]


def actor_column(settings: list[A | None], field: str, default: float = 0.0) -> np.ndarray:
    """The value of parameter ``field`` for each actor (float64; ``default`` where the
    actor is not configured)."""
    return np.array([getattr(s, field).value if s is not None else default for s in settings],
                    dtype=np.float64)


def check_actor_names(sc: Scenario, names: list[str]) -> tuple[str, tuple[Any, ...]] | None:
    """A cross-check error for actor ids in module params that the scenario lacks."""
    known = {a.id for a in sc.actors}
    for n in names:
        if n not in known:
            return f"unknown actor '{n}' (actors: {', '.join(sorted(known))})", ("actors", n)
    return None


class Camps:
    """Which actor recruits (and counts as holding) where (M28): ``recruiting[a, p]`` is
    True when actor ``a`` is configured and an actor of its camp (its ``recruits_in``)
    holds place ``p`` today. Built by the joining module, updated when control changes.

    Args:
        camp: bool (A, A): ``camp[a, c]`` when actor a recruits where actor c holds.
        configured: bool (A,): actors the joining module configures.
    """

    def __init__(self, camp: np.ndarray, configured: np.ndarray) -> None:
        self.camp = camp
        self.configured = configured
        self.recruiting = np.zeros((camp.shape[0], 0), dtype=bool)

    def update(self, control_today: np.ndarray) -> None:
        """Recompute ``recruiting`` from today's control (actor index by place, -1 none)."""
        ctrl = np.asarray(control_today).astype(np.int64)
        ok = ctrl >= 0
        rec = np.zeros((self.camp.shape[0], ctrl.size), dtype=bool)
        rec[:, ok] = self.camp[:, ctrl[ok]]
        rec &= self.configured[:, None]
        self.recruiting = rec
