"""Load a scenario: YAML + named CSVs -> validated :class:`Scenario`, or a ScenarioError.

This is the data layer: it validates the core scenario (places, routes, actors, control,
fronts, timeline dates and names) and keeps the ``modules:`` section as raw mappings. Module
parameters, timeline event types and ``set_param`` paths depend on the modules and are
validated by :func:`ranks.modules.registry.validate_modules`; :func:`ranks.runner.load`
(the composition root) calls both.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ranks.errors import ScenarioError
from ranks.io import yamltext
from ranks.io.inputs import abspath
from ranks.scenario.model import ControlRow, FrontRow, ModuleParams, Scenario
from ranks.scenario.sources import Locations, load_csv, load_yaml, read_text

#: CSV-able sections: required and optional columns.
CSV_SECTIONS: dict[str, tuple[list[str], list[str]]] = {
    "places": (["name", "lat", "lon", "type"],
               ["population", "district", "subdistrict", "tribe", "capacity", "source",
                "assumption", "note"]),
    "routes": (["from", "to"], ["distance_km", "kind", "source", "assumption", "note"]),
    "control": (["date", "place", "actor"], ["source", "assumption", "note"]),
    "fronts": (["date", "place", "intensity"], ["kind", "source", "assumption", "note"]),
    "camps": (["name", "opens"], ["closes", "soft_capacity", "hard_capacity", "screening",
                                  "exit", "exit_per_day", "transfer_to", "source",
                                  "assumption", "note"]),
}

#: Sections that may name another YAML file holding them.
YAML_INCLUDES = ("population", "practices")

#: Timeline event types the core itself understands.
CORE_EVENT_TYPES = {"set_param"}


class Loaded:
    """A loaded scenario with where it came from.

    ``module_params`` (module name -> validated parameters, in the scenario's order) is
    filled by :func:`ranks.modules.registry.validate_modules`; ``modules_validated`` says
    whether that has happened (a simulation refuses a scenario whose modules were not
    validated).
    """

    def __init__(
        self, scenario: Scenario, path: Path, locs: Locations, sources: dict[str, dict[str, Any]],
        digest: str,
    ) -> None:
        self.scenario = scenario
        self.path = path
        self.locs = locs
        self.sources = sources
        self.digest = digest
        self.module_params: dict[str, ModuleParams] = {}
        self.modules_validated = False
        #: dotted-path overrides applied at load (``--set``, sweeps); {} when none
        self.overrides: dict[str, Any] = {}
        #: the raw scenario data as validated (after CSVs, includes and overrides)
        self.raw: dict[str, Any] = {}


def _split_assumption(row: dict[str, Any]) -> None:
    """A CSV ``source`` cell may read ``assumption: why``; move it to ``assumption``."""
    src = row.get("source")
    if isinstance(src, str) and src.lower().startswith("assumption"):
        row["source"] = None
        row["assumption"] = src.split(":", 1)[1].strip() if ":" in src else src
    for k in [k for k, v in row.items() if v is None]:
        if k in ("source", "assumption", "note", "distance_km", "district", "subdistrict",
                 "tribe", "capacity", "population", "kind", "closes", "soft_capacity",
                 "hard_capacity", "screening", "exit", "exit_per_day", "transfer_to"):
            del row[k]


def find_sources_file(scenario_path: Path, data: dict[str, Any]) -> Path:
    """``evidence:`` in the scenario, else ``evidence/sources.yaml`` in a parent folder."""
    scenario_path = abspath(scenario_path)  # parents exist whatever the cwd
    if isinstance(data.get("evidence"), str):
        return abspath(scenario_path.parent / data["evidence"])
    for d in [scenario_path.parent, *scenario_path.parent.parents]:
        cand = d / "evidence" / "sources.yaml"
        if cand.exists():
            return cand
    raise ScenarioError(
        "no evidence/sources.yaml found beside or above the scenario; "
        "add 'evidence: <path to sources.yaml>'", file=scenario_path, field="evidence",
    )


def load_sources(path: Path) -> dict[str, dict[str, Any]]:
    """Read ``sources.yaml``: a list of sources with unique ``id``."""
    locs = Locations()
    data = load_yaml(path, locs, "evidence file")
    items = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ScenarioError("expected a top-level 'sources:' list", file=path, line=1)
    out: dict[str, dict[str, Any]] = {}
    for i, s in enumerate(items):
        f, line = locs.find(("sources", i))
        if not isinstance(s, dict) or not isinstance(s.get("id"), str):
            raise ScenarioError("each source needs an 'id'", file=f, line=line,
                                field=f"sources[{i}]")
        if s["id"] in out:
            raise ScenarioError(f"duplicate source id '{s['id']}'", file=f, line=line, field="id")
        out[s["id"]] = s
    return out


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """Follow a pydantic ``loc`` through the raw data, skipping union tags.

    Returns the data path found and the dotted field name for the message.
    """
    path: list[Any] = []
    cur = data
    names: list[str] = []
    for i, el in enumerate(loc):
        if isinstance(cur, dict) and el in cur:
            path.append(el)
            names.append(str(el))
            cur = cur[el]
        elif isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur):
            path.append(el)
            names[-1:] = [f"{names[-1]}[{el}]"] if names else [f"[{el}]"]
            cur = cur[el]
        elif i == len(loc) - 1 and isinstance(el, str) and not el.startswith(("list[", "dict[")):
            names.append(el)
    return tuple(path), ".".join(names) or None


def _fields_of(model: type[BaseModel], data: Any, path: tuple[Any, ...]) -> list[str]:
    """Allowed field names of the sub-model at ``path`` (best effort, for 'did you mean')."""
    import typing

    cls: Any = model
    for el in path:
        if isinstance(el, int):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or el not in cls.model_fields:
            return []
        ann = cls.model_fields[el].annotation
        for _ in range(3):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                break
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if models:
                ann = models[0]
                break
            if args:
                ann = args[0]
        cls = ann
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return [f.alias or n for n, f in cls.model_fields.items()]
    return []


def pydantic_to_scenario_error(
    err: ValidationError, data: Any, locs: Locations, model: type[BaseModel],
    prefix: tuple[Any, ...] = (),
) -> ScenarioError:
    """Turn the first pydantic error into a ScenarioError with file, line and field."""
    e = err.errors(include_url=False)[0]
    loc = tuple(e["loc"])
    path, field = _data_path(data, loc)
    file, line = locs.find(prefix + path)
    msg = e["msg"]
    etype = e["type"]
    if etype == "extra_forbidden":
        bad = str(loc[-1])
        allowed = _fields_of(model, data, path[:-1])
        hint = difflib.get_close_matches(bad, allowed, n=1, cutoff=0.6)
        msg = f"unknown field '{bad}'" + (f"; did you mean '{hint[0]}'?" if hint else
                                           (f"; allowed: {', '.join(allowed)}" if allowed else ""))
    elif etype == "missing":
        msg = f"missing required field '{loc[-1]}'"
    elif etype.startswith("value_error"):
        msg = msg.removeprefix("Value error, ")
    got = e.get("input")
    if etype not in ("missing", "extra_forbidden") and not isinstance(got, dict | list):
        msg += f" (got {got!r})"
    pfx = ".".join(str(p) for p in prefix)
    full_field = ".".join(x for x in (pfx, field) if x) or None
    return ScenarioError(msg, file=file, line=line, field=full_field)


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Loaded:
    """Read, validate and cross-check the core of a scenario file (not its modules: see
    :func:`ranks.runner.load`). Raises ScenarioError on bad input.

    ``overrides`` maps dotted paths into the raw scenario (after CSV tables and included
    YAML files are read) to new values, e.g. ``{"modules.mortality.background_per_year.value":
    0.01}``; they are applied before validation, so bad values are caught (see
    :func:`apply_overrides`). The digest stays that of the files.
    """
    path = Path(path)
    raw_text = read_text(path, "scenario file")
    locs = Locations()
    data = load_yaml(path, locs)
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping of sections at the top level", file=path, line=1)
    digest = hashlib.sha256(raw_text.encode()).hexdigest()
    for section, (req, opt) in CSV_SECTIONS.items():
        val = data.get(section)
        if isinstance(val, str):
            csv_path = abspath(path.parent / val)
            rows = load_csv(csv_path, section, locs, req, opt)
            for r in rows:
                _split_assumption(r)
            data[section] = rows
            digest = hashlib.sha256((digest + csv_path.read_text("utf-8-sig")).encode()).hexdigest()
    for section in YAML_INCLUDES:
        val = data.get(section)
        if isinstance(val, str):
            inc = abspath(path.parent / val)
            sub = Locations()
            data[section] = load_yaml(inc, sub)
            for k, v in sub._at.items():
                locs.add((section, *k), *v)
            digest = hashlib.sha256((digest + inc.read_text("utf-8-sig")).encode()).hexdigest()
    if overrides:
        apply_overrides(data, overrides, path, locs)
    sources_path = find_sources_file(path, data)
    sources = load_sources(sources_path)
    data.pop("evidence", None)
    ctx = {"source_ids": set(sources)}
    try:
        scenario = Scenario.model_validate(data, context=ctx)
    except ValidationError as err:
        raise pydantic_to_scenario_error(err, data, locs, Scenario) from None
    _cross_check(scenario, locs)
    _check_practices(scenario, locs)
    loaded = Loaded(scenario, path, locs, sources, digest)
    loaded.raw = data  # lever checks try values on copies of it (ranks.scenario.levers)
    loaded.overrides = dict(overrides or {})
    return loaded


#: Evidence given to a parameter that a sweep sets where the scenario left the default.
OVERRIDE_ASSUMPTION = "sweep override: value set by the sweep design"


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any], path: Path,
                    locs: Locations) -> None:
    """Set ``overrides`` (dotted path -> value) in the raw scenario dict, in place.

    A path segment that is an integer indexes a list (``places.3.population``). Missing
    mappings are created (a module listed as ``mortality: {}`` gets its parameter); a
    parameter created this way (path ending in ``.value``) gets the assumption
    :data:`OVERRIDE_ASSUMPTION`; an existing parameter keeps its evidence and gets a note
    ``sweep override (was X)``. Unknown fields are then caught by validation as usual.
    """
    for dotted, value in overrides.items():
        keys: list[str | int] = [int(k) if k.lstrip("-").isdigit() else k
                                 for k in str(dotted).split(".")]
        cur: Any = data
        for i, k in enumerate(keys[:-1]):
            nxt = keys[i + 1]
            if isinstance(cur, list) and isinstance(k, str):
                k = keys[i] = list_key(cur, k)
            if isinstance(cur, list):
                if not isinstance(k, int) or not -len(cur) <= k < len(cur):
                    f, line = locs.find(tuple(keys[:i]))
                    raise ScenarioError(f"override path: no item {k} in a list of {len(cur)}",
                                        file=f or path, line=line, field=dotted)
                cur = cur[k]
                continue
            if not isinstance(cur, dict):
                f, line = locs.find(tuple(keys[:i]))
                raise ScenarioError(f"override path: '{keys[i - 1]}' is not a mapping",
                                    file=f or path, line=line, field=dotted)
            if cur.get(k) is None:
                cur[k] = {} if not isinstance(nxt, int) else []
                if nxt == "value" and i + 1 == len(keys) - 1:
                    cur[k]["assumption"] = OVERRIDE_ASSUMPTION
            cur = cur[k]
        last = keys[-1]
        if isinstance(cur, list) and isinstance(last, str):
            last = list_key(cur, last)
        if isinstance(cur, list) and isinstance(last, int) and -len(cur) <= last < len(cur):
            cur[last] = value
        elif isinstance(cur, dict):
            if last == "value" and "value" in cur and cur.get("assumption") != OVERRIDE_ASSUMPTION:
                cur["note"] = f"sweep override (was {cur['value']!r})"
            cur[last] = value
        else:
            f, line = locs.find(tuple(keys[:-1]))
            raise ScenarioError("override path does not lead to a field", file=f or path,
                                line=line, field=dotted)
    if any(str(k).startswith("timeline.") for k in overrides):
        sort_timeline(data, locs)


def list_key(items: list[Any], key: str) -> str | int:
    """Index of the item of ``items`` whose ``id`` (timeline entries, levers) or ``name``
    (places) is ``key``; ``key`` itself when there is none (the caller reports it)."""
    for j, item in enumerate(items):
        if isinstance(item, dict) and key in (item.get("id"), item.get("name")):
            return j
    return key


def sort_timeline(data: dict[str, Any], locs: Locations) -> None:
    """Stable-sort the raw timeline by date after an override moved an entry's date (the
    entry goes to its place in date order; file lines move with it)."""
    tl = data.get("timeline")
    if not isinstance(tl, list):
        return
    order = sorted(range(len(tl)), key=lambda j: str(tl[j].get("date")) if
                   isinstance(tl[j], dict) else "")
    if order == list(range(len(tl))):
        return
    data["timeline"] = [tl[j] for j in order]
    new_of = {old: new for new, old in enumerate(order)}
    moved = {k: v for k, v in locs._at.items() if len(k) >= 2 and k[0] == "timeline"
             and isinstance(k[1], int) and k[1] in new_of}
    for k in moved:
        del locs._at[k]
    for k, v in moved.items():
        locs._at[("timeline", new_of[int(k[1])], *k[2:])] = v


def error_at(locs: Locations, path: tuple[Any, ...], field: str, msg: str) -> ScenarioError:
    """A ScenarioError at the file and line of data path ``path``."""
    f, line = locs.find(path)
    return ScenarioError(msg, file=f, line=line, field=field)


def unknown_name(kind: str, name: str, known: list[str]) -> str:
    """``unknown <kind> '<name>'`` with a "did you mean" hint when one is close."""
    hint = difflib.get_close_matches(name, known, n=1)
    return f"unknown {kind} '{name}'" + (f"; did you mean '{hint[0]}'?" if hint else "")


def _cross_check(sc: Scenario, locs: Locations) -> None:
    """Names exist, dates in order and inside the period.

    Control and front rows dated after the period end are allowed (and unused), so that
    scenarios of different periods can share one table. Event types and ``set_param``
    paths are checked with the modules (``registry.validate_modules``).
    """
    places: dict[str, int] = {}
    for i, p in enumerate(sc.places):
        if p.name in places:
            raise error_at(locs, ("places", i, "name"), f"places[{i}].name",
                           f"duplicate place name '{p.name}'")
        places[p.name] = i
    actors: dict[str, int] = {}
    for i, a in enumerate(sc.actors):
        if a.id in actors:
            raise error_at(locs, ("actors", i, "id"), f"actors[{i}].id",
                           f"duplicate actor '{a.id}'")
        actors[a.id] = i
    names = list(places)
    for i, r in enumerate(sc.routes):
        for end, key in ((r.from_, "from"), (r.to, "to")):
            if end not in places:
                raise error_at(locs, ("routes", i, key), f"routes[{i}].{key}",
                               unknown_name("place", end, names))
        if r.from_ == r.to:
            raise error_at(locs, ("routes", i), f"routes[{i}]", "a route must join two places")
    tribes = {p.tribe for p in sc.places if p.tribe}

    def dated_rows(section: str, rows: Sequence[ControlRow | FrontRow]) -> None:
        prev = None
        first: dict[tuple[Any, str], int] = {}
        for i, row in enumerate(rows):
            j = first.setdefault((row.date, row.place), i)
            if j != i:
                raise error_at(locs, (section, i), f"{section}[{i}]",
                               f"a second row for {row.place} on {row.date} (the first is "
                               f"{section}[{j}]): which one holds would be arbitrary")
            if row.place not in places:
                raise error_at(locs, (section, i, "place"), f"{section}[{i}].place",
                               unknown_name("place", row.place, names))
            actor = row.actor if isinstance(row, ControlRow) else None
            if actor is not None and actor not in actors:
                raise error_at(locs, (section, i, "actor"), f"{section}[{i}].actor",
                               unknown_name("actor", actor, list(actors)))
            if prev is not None and row.date < prev:
                raise error_at(locs, (section, i, "date"), f"{section}[{i}].date",
                               f"dates out of order: {row.date} comes after {prev}")
            prev = row.date

    dated_rows("control", sc.control)
    dated_rows("fronts", sc.fronts)
    camps = {p.name for p in sc.places if p.type == "camp"}
    seen: set[str] = set()
    for i, c in enumerate(sc.camps):
        for key in ("name", "transfer_to"):
            v = getattr(c, key)
            if v is not None and v not in camps:
                raise error_at(locs, ("camps", i, key), f"camps[{i}].{key}",
                               unknown_name("camp (a place of type camp)", v, sorted(camps)))
        if c.name in seen:
            raise error_at(locs, ("camps", i, "name"), f"camps[{i}].name",
                           f"duplicate camp '{c.name}'")
        seen.add(c.name)
    prev = None
    ids: set[str] = set()
    for i, ev in enumerate(sc.timeline):
        base = ("timeline", i)
        if ev.id is not None:
            if ev.id in ids:
                raise error_at(locs, (*base, "id"), f"timeline[{i}].id",
                               f"duplicate timeline id '{ev.id}'")
            ids.add(ev.id)
        if prev is not None and ev.date < prev:
            raise error_at(locs, (*base, "date"), f"timeline[{i}].date",
                           f"dates out of order: {ev.date} comes after {prev}")
        prev = ev.date
        if not (sc.period.start <= ev.date < sc.period.end):
            raise error_at(locs, (*base, "date"), f"timeline[{i}].date",
                           f"date {ev.date} is outside the period "
                           f"{sc.period.start}..{sc.period.end}")
        if ev.until is not None and ev.until <= ev.date:
            raise error_at(locs, (*base, "until"), f"timeline[{i}].until",
                           f"dates out of order: until {ev.until} is not after {ev.date}")
        for name in ev.places:
            if name not in places:
                raise error_at(locs, (*base, "place"), f"timeline[{i}].place",
                               unknown_name("place", name, names))
        if ev.actor is not None and ev.actor not in actors:
            raise error_at(locs, (*base, "actor"), f"timeline[{i}].actor",
                           unknown_name("actor", ev.actor, list(actors)))
        if ev.tribe is not None and ev.tribe not in tribes:
            raise error_at(locs, (*base, "tribe"), f"timeline[{i}].tribe",
                           unknown_name("tribe", ev.tribe, sorted(tribes)))


def _check_practices(sc: Scenario, locs: Locations) -> None:
    """Actor and place names and date order of the practices section (issue 12)."""
    from ranks.scenario.practices import check_practices

    def fail(path: tuple[Any, ...], field: str, msg: str) -> None:
        raise error_at(locs, path, field, msg)

    check_practices(sc.practices, {p.name for p in sc.places}, {a.id for a in sc.actors}, fail)


def dump_resolved(loaded: Loaded) -> str:
    """The scenario as resolved (after CSV loading and defaults), as YAML text."""
    d = loaded.scenario.model_dump(mode="json", by_alias=True)
    d["modules"] = {k: v.model_dump(mode="json") for k, v in loaded.module_params.items()}
    return yamltext.safe_dump(d, sort_keys=False, allow_unicode=True)
