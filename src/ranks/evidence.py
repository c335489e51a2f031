"""The evidence table: every parameter of a scenario with its source or assumption."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ranks.scenario.loader import Loaded
from ranks.scenario.model import Evidenced, P


@dataclass
class EvidenceRow:
    """One parameter: dotted path, value, 'source: id' or 'assumption: why', origin, note."""

    path: str
    value: str
    evidence: str
    origin: str
    note: str


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list | dict):
        s = json.dumps(v, default=str)
        return s if len(s) <= 60 else s[:57] + "..."
    return str(v)


def _walk(obj: Any, path: str, origin: str, out: list[EvidenceRow], explicit: set[str]) -> None:
    if isinstance(obj, P):
        out.append(EvidenceRow(path, _fmt(obj.value), obj.evidence,
                               origin if path in explicit or origin == "scenario" else "default",
                               obj.note or ""))
        return
    if isinstance(obj, Evidenced):  # rows of places, routes, control, fronts, camps, timeline
        label = getattr(obj, "name", None) or getattr(obj, "place", None) or ""
        out.append(EvidenceRow(f"{path} {label}".strip(), "", obj.evidence, origin,
                               obj.note or ""))
        return
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            _walk(getattr(obj, name), f"{path}.{name}" if path else name, origin, out, explicit)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _walk(v, f"{path}[{i}]", origin, out, explicit)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk(v, f"{path}.{k}", origin, out, explicit)


def evidence_rows(loaded: Loaded) -> list[EvidenceRow]:
    """Every parameter and evidenced row of the scenario, module defaults included."""
    sc = loaded.scenario
    out: list[EvidenceRow] = []
    for name in ("population", "actors", "places", "routes", "control", "fronts", "camps",
                 "timeline"):
        _walk(getattr(sc, name), name, "scenario", out, set())
    for mname, params in loaded.module_params.items():
        given = sc.modules.get(mname) or {}
        explicit = {f"modules.{mname}.{k}" for k in given}
        _walk(params, f"modules.{mname}", "scenario-module", out, explicit)
    for r in out:
        if r.origin == "scenario-module":
            r.origin = "scenario"
    return out
