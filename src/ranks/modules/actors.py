"""What several modules share about armed actors (M28): per-actor settings with presets,
parameter types, and the camps that recruit where an allied actor holds control.

Per-actor settings (``ActorParams``) are declared by each module (pay in economy,
recruitment in joining, training in service); ``preset: <ID>`` starts from the built-in
settings of a known actor. :class:`Camps` is built by the joining module from its
``recruits_in`` settings and found by type (``sim.get(Camps)``) by the service module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    """Per-actor settings of one module. ``preset: <ID>`` starts from the built-in settings
    of a known actor (ISIS, SAA, NDF, IRAN, FSA, NUSRA, SDF) and overrides what is given."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {}

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and "preset" in data:
            data = dict(data)
            name = data.pop("preset")
            if name not in cls.PRESETS:
                raise ValueError(f"unknown preset '{name}'; known: {', '.join(cls.PRESETS)}")
            data = {**cls.PRESETS[name], **data}
        return data


A = TypeVar("A", bound=ActorParams)


def resolve_actors(given: Mapping[str, A], cls: type[A], actor_ids: list[str]
                   ) -> list[A | None]:
    """Settings per world actor: the scenario's, else the preset of the same id, else None
    (the actor is not configured: it pays, recruits or trains no one in this module)."""
    out: list[A | None] = []
    for a in actor_ids:
        if a in given:
            out.append(given[a])
        elif a in cls.PRESETS:
            out.append(cls.model_validate(cls.PRESETS[a]))
        else:
            out.append(None)
    return out


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
