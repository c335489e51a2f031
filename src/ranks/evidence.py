"""The evidence table: every parameter of a scenario with its source or assumption."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ranks.scenario.loader import Loaded
from ranks.scenario.model import Evidenced, P, TimelineEvent
from ranks.scenario.practices import SECTIONS, Practices


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
    if isinstance(obj, TimelineEvent):
        out.append(EvidenceRow(f"{path} {obj.date}", _event_value(obj), obj.evidence, origin,
                               obj.note or ""))
        return
    if isinstance(obj, Evidenced):  # rows of places, routes, control, fronts, series
        label = getattr(obj, "name", None) or getattr(obj, "place", None) or ""
        values = {k: getattr(obj, k) for k in ("value", "market", "official", "wage", "jobs",
                                                "km2") if getattr(obj, k, None) is not None}
        scope = getattr(obj, "places", None) or getattr(obj, "held_by", None)
        when = getattr(obj, "from_", None) or getattr(obj, "date", None)
        if when is not None and not label:
            label = str(when) + (f" {','.join(scope)}" if scope else "")
        out.append(EvidenceRow(f"{path} {label}".strip(), _fmt(values) if values else "",
                               obj.evidence, origin, obj.note or ""))
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


def _event_value(ev: TimelineEvent) -> str:
    """What a timeline event sets: type, actor, value, places, until and arguments."""
    parts = [ev.type]
    if ev.actor:
        parts.append(ev.actor)
    if ev.value is not None:
        parts.append(f"value={ev.value:g}")
    if ev.places:
        parts.append("at " + ",".join(ev.places))
    if ev.tribe:
        parts.append(f"tribe={ev.tribe}")
    if ev.until is not None:
        parts.append(f"until {ev.until}")
    if ev.args:
        parts.append(json.dumps(ev.args, default=str, separators=(",", ":")))
    return " ".join(parts)


def _practices(pr: Practices, out: list[EvidenceRow]) -> None:
    """Rows of the practices: each regime's parameters by actor, date and module section,
    then the market series."""
    for actor, regimes in pr.actors.items():
        for r in regimes:
            for sec in SECTIONS:
                for k, v in r.section(sec).items():
                    _walk(v, f"practices.{actor}@{r.from_}.{sec}.{k}", "scenario", out, set())
    for name in ("exchange_rate", "prices", "wages"):
        _walk(getattr(pr.economy, name), f"practices.economy.{name}", "scenario", out, set())
    for actor, rows in pr.org_territory.items():
        _walk(rows, f"practices.org_territory.{actor}", "scenario", out, set())


def evidence_rows(loaded: Loaded) -> list[EvidenceRow]:
    """Every parameter and evidenced row of the scenario, module defaults included: the
    population, actors, places, routes, control, fronts, the timeline (with what each event
    sets), the per-actor practices by date and the module parameters."""
    sc = loaded.scenario
    out: list[EvidenceRow] = []
    for name in ("population", "actors", "places", "routes", "control", "fronts", "camps",
                 "timeline"):
        _walk(getattr(sc, name), name, "scenario", out, set())
    if sc.practices is not None:
        _practices(sc.practices, out)
    for mname, params in loaded.module_params.items():
        given = sc.modules.get(mname) or {}
        explicit = {f"modules.{mname}.{k}" for k in given}
        _walk(params, f"modules.{mname}", "scenario-module", out, explicit)
    for r in out:
        if r.origin == "scenario-module":
            r.origin = "scenario"
    return out
