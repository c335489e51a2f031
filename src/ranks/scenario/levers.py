"""Levers: the values a scenario offers for what-if experiments (``experiments.levers``).

A lever names a dotted path into the scenario (the same paths as ``ranks run --set``), a
label, the range of values that are meaningful, and the evidence for that range. At load
time (:func:`check_levers`, called by the composition root :func:`ranks.runner.load` once
module parameters are validated, so module defaults count) every lever must lead to a value
the scenario has (its baseline:
a number, a date, a yes/no or a ``[low, high]`` pair), its range must hold the baseline, and
both ends of the range must themselves be valid values of the field (a probability lever
cannot reach 2); any problem is a ScenarioError naming the lever's file, line and field.

:func:`resolve_levers` lists the levers of a loaded scenario with their kind and baseline;
:func:`lever_overrides` turns ``{lever id or dotted path: value}`` into the overrides that
:func:`ranks.runner.load` applies, refusing values outside a lever's range. This file
imports no behaviour: module parameter models are taken from the validated parameters.
Nothing here searches over levers: they are for asking what happens to people if a value
changes.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ranks.errors import RanksInputError, ScenarioError
from ranks.scenario.model import Lever, PlaceRow, PopulationSpec, Scenario, TimelineEvent
from ranks.scenario.sources import Locations

if TYPE_CHECKING:
    from ranks.scenario.loader import Loaded

#: Top-level sections a lever may change.
ROOTS = ("modules", "timeline", "places", "population")
#: Fields that describe rather than drive the model: never a lever.
META = frozenset({"source", "assumption", "note", "id", "name", "type", "color", "label",
                  "description", "lat", "lon", "district", "subdistrict", "tribe"})
KINDS = ("bool", "int", "float", "date", "pair")


@dataclass(frozen=True)
class LeverInfo:
    """A lever with its kind (``bool``, ``int``, ``float``, ``date``, ``pair``) and the
    scenario's value (the baseline)."""

    lever: Lever
    kind: str
    baseline: Any

    @property
    def id(self) -> str:
        return self.lever.id

    def check(self, value: Any) -> Any:
        """``value`` as this lever's type, inside its range; RanksInputError otherwise."""
        lv = self.lever
        try:
            v = _coerce(self.kind, value)
        except (TypeError, ValueError):
            raise RanksInputError(f"lever '{lv.id}' ({lv.label}) takes {_kind_text(self.kind)}, "
                                  f"got {value!r}", field=lv.id) from None
        ends = v if self.kind == "pair" else ([] if self.kind == "bool" else [v])
        if self.kind == "pair" and v[0] > v[1]:
            raise RanksInputError(f"lever '{lv.id}': low {v[0]} is above high {v[1]}",
                                  field=lv.id)
        for e in ends:
            if not (_num(lv.min, self.kind) <= e <= _num(lv.max, self.kind)):
                raise RanksInputError(
                    f"lever '{lv.id}' ({lv.label}): {e} is outside its range "
                    f"{lv.min}..{lv.max}", field=lv.id)
        return v


def _kind_text(kind: str) -> str:
    return {"bool": "true or false", "int": "a whole number", "float": "a number",
            "date": "a date YYYY-MM-DD", "pair": "a pair [low, high]"}[kind]


def _coerce(kind: str, value: Any) -> Any:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
            return value.lower() in ("true", "yes")
        raise ValueError(value)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))
    if kind == "pair":
        lo, hi = value
        return [_coerce("int" if float(lo).is_integer() and float(hi).is_integer() else
                        "float", x) for x in (lo, hi)]
    if isinstance(value, bool):
        raise TypeError(value)
    f = float(value)
    if kind == "int":
        if not f.is_integer():
            raise ValueError(value)
        return int(f)
    return f


def _show(v: Any) -> str:
    return str(v) if isinstance(v, dt.date) else repr(v)


def _num(x: Any, kind: str) -> Any:
    return x if kind == "date" else float(x)


def kind_of(value: Any) -> str | None:
    """The lever kind of a baseline value, or None when it cannot be a lever."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.date):
        return "date"
    if (isinstance(value, list | tuple) and len(value) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)):
        return "pair"
    return None


def resolved_view(scenario: Scenario, module_params: Mapping[str, BaseModel]) -> dict[str, Any]:
    """The scenario as plain Python values (dates stay dates) with module defaults filled."""
    d = scenario.model_dump(mode="python", by_alias=True)
    d["modules"] = {k: v.model_dump(mode="python") for k, v in module_params.items()}
    return d


def get_path(root: Any, dotted: str) -> Any:
    """The value at ``dotted`` (list items by index, ``id`` or ``name``); KeyError with a
    message when the path leads nowhere."""
    from ranks.scenario.loader import list_key

    cur = root
    done: list[str] = []
    for k in dotted.split("."):
        if isinstance(cur, dict):
            if k not in cur:
                hint = difflib.get_close_matches(k, [str(x) for x in cur], n=1)
                raise KeyError(f"no field '{k}' under '{'.'.join(done) or '(top)'}'"
                               + (f"; did you mean '{hint[0]}'?" if hint else ""))
            cur = cur[k]
        elif isinstance(cur, list):
            j = int(k) if k.lstrip("-").isdigit() else list_key(cur, k)
            if not isinstance(j, int) or not -len(cur) <= j < len(cur):
                raise KeyError(f"no item '{k}' (index, id or name) in '{'.'.join(done)}'")
            cur = cur[j]
        else:
            raise KeyError(f"'{'.'.join(done)}' is a value, not a section")
        done.append(k)
    return cur


def _validate_end(lv: Lever, value: Any, scenario: Scenario, data: dict[str, Any],
                  ctx: dict[str, Any], module_params: Mapping[str, BaseModel]) -> str | None:
    """Why the field at ``lv.path`` cannot take ``value``, or None when it can."""
    from ranks.scenario.loader import apply_overrides, list_key

    parts = lv.path.split(".")
    root, rest = parts[0], parts[1:]
    model: type[BaseModel]
    if root == "modules":
        name = rest[0]
        sub = {"x": copy.deepcopy((data.get("modules") or {}).get(name) or {})}
        model, tail = type(module_params[name]), rest[1:]
    elif root == "population":
        sub = {"x": copy.deepcopy(data.get("population") or {})}
        model, tail = PopulationSpec, rest
    else:
        items: Any = data.get(root) or []
        j = int(rest[0]) if rest[0].lstrip("-").isdigit() else list_key(items, rest[0])
        sub = {"x": copy.deepcopy(items[j])}
        model = TimelineEvent if root == "timeline" else PlaceRow
        tail = rest[1:]
    try:
        apply_overrides(sub, {".".join(["x", *tail]): value}, scenario_path(data), Locations())
        obj = model.model_validate(sub["x"], context=ctx)
    except ScenarioError as e:
        return e.message
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        return f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}".removeprefix(": ")
    if isinstance(obj, TimelineEvent):
        p = scenario.period
        if not p.start <= obj.date < p.end:
            return f"date {obj.date} is outside the period {p.start}..{p.end}"
        if obj.until is not None and obj.until <= obj.date:
            return f"until {obj.until} is not after date {obj.date}"
    return None


def scenario_path(data: dict[str, Any]) -> Any:
    """A placeholder file for errors raised while trying lever values (never shown)."""
    from pathlib import Path

    return Path(str(data.get("name") or "scenario"))


def check_levers(loaded: Loaded) -> None:
    """Check every lever against the scenario as written (modules validated); ScenarioError
    (file, line, field) when one is unknown, has no usable baseline, or a range that holds
    invalid values or not the baseline."""
    scenario, module_params = loaded.scenario, loaded.module_params
    data, locs = loaded.raw, loaded.locs
    ctx = {"source_ids": set(loaded.sources)}
    view = resolved_view(scenario, module_params)
    seen: set[str] = set()
    for i, lv in enumerate(scenario.experiments.levers):
        base = ("experiments", "levers", i)
        fld = f"experiments.levers[{i}]"

        def err(key: str, msg: str, base: tuple = base, fld: str = fld,
                lv: Lever = lv) -> ScenarioError:
            f, line = locs.find((*base, key))
            return ScenarioError(f"lever '{lv.id}': {msg}", file=f, line=line,
                                 field=f"{fld}.{key}")

        if lv.id in seen:
            raise err("id", "duplicate lever id")
        seen.add(lv.id)
        parts = lv.path.split(".")
        if parts[0] not in ROOTS or len(parts) < 2:
            raise err("path", f"unknown path '{lv.path}': a lever changes a value under "
                      f"{', '.join(ROOTS)}")
        if parts[-1] in META:
            raise err("path", f"'{parts[-1]}' describes the scenario and does not drive the "
                      "model; point the lever at a value")
        if parts[0] == "modules" and parts[1] not in module_params:
            raise err("path", f"unknown path '{lv.path}': module '{parts[1]}' is not in "
                      f"this scenario (modules: {', '.join(module_params) or 'none'})")
        try:
            baseline = get_path(view, lv.path)
        except KeyError as e:
            raise err("path", f"unknown path '{lv.path}': {e.args[0]}") from None
        kind = kind_of(baseline)
        if kind is None:
            raise err("path", f"'{lv.path}' is {baseline!r} in this scenario; a lever needs a "
                      "number, a date, true/false or a [low, high] pair")
        if kind == "bool":
            if lv.min is not None or lv.max is not None:
                raise err("min", "a yes/no lever takes no min or max")
            ends: list[Any] = [not baseline]
        else:
            for key in ("min", "max"):
                v = getattr(lv, key)
                if v is None:
                    raise err(key, f"missing required field '{key}' (the range of values "
                              "offered)")
                if (kind == "date") != isinstance(v, dt.date):
                    want = _kind_text("date" if kind == "date" else "float")
                    raise err(key, f"{key} must be {want} like the value at the path "
                              f"({_show(baseline)}), got {_show(v)}")
                whole = kind == "int" or (kind == "pair" and all(isinstance(b, int)
                                                                  for b in baseline))
                if whole and not float(v).is_integer():
                    raise err(key, f"{key} must be a whole number, got {v!r}")
            lmin: Any = lv.min  # numbers or dates, one kind (checked above)
            lmax: Any = lv.max
            if lmin > lmax:
                raise err("max", f"range out of order: max {lv.max} is below min {lv.min}")
            lo, hi = (_num(lv.min, kind), _num(lv.max, kind))
            for b in (baseline if kind == "pair" else [baseline]):
                if not lo <= (b if kind == "date" else float(b)) <= hi:
                    raise err("min" if (b if kind == "date" else float(b)) < lo else "max",
                              f"the scenario's value {_show(baseline)} is outside the range "
                              f"{lv.min}..{lv.max}")
            if kind == "date":
                ends = [lv.min, lv.max]
            else:
                lo_v, hi_v = ((int(lmin), int(lmax)) if whole
                              else (float(lmin), float(lmax)))
                ends = [[lo_v, hi_v], [lo_v, lo_v], [hi_v, hi_v]] if kind == "pair" else \
                    [lo_v, hi_v]
        for v in ends:
            why = _validate_end(lv, v, scenario, data, ctx, module_params)
            if why is not None:
                key = "path" if kind == "bool" else ("min" if v is ends[0] else "max")
                raise err(key, f"out of range: {lv.path} = {_show(v)} is not allowed ({why})")


def resolve_levers(loaded: Loaded) -> list[LeverInfo]:
    """The levers of a loaded scenario with their kinds and baselines (as loaded, so after
    any overrides)."""
    view = resolved_view(loaded.scenario, loaded.module_params)
    out = []
    for lv in loaded.scenario.experiments.levers:
        b = get_path(view, lv.path)
        out.append(LeverInfo(lv, kind_of(b) or "float", list(b) if isinstance(b, tuple) else b))
    return out


def lever_overrides(loaded: Loaded, values: dict[str, Any]) -> dict[str, Any]:
    """``{lever id or dotted path: value}`` -> ``{dotted path: value}`` for
    :func:`ranks.runner.load`. Lever values are checked against the
    lever's kind and range (RanksInputError naming the lever); dotted paths pass through
    (the loader validates them)."""
    levers = {li.id: li for li in resolve_levers(loaded)}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in levers:
            li = levers[key]
            out[li.lever.path] = li.check(value)
        elif "." in key:
            out[key] = value
        else:
            hint = difflib.get_close_matches(key, list(levers), n=1)
            raise RanksInputError(
                f"unknown lever '{key}'" + (f"; did you mean '{hint[0]}'?" if hint else
                                            f"; levers: {', '.join(levers) or 'none'}")
                + " (or give a dotted path such as modules.flight.smuggler_price_usd.value)",
                field=key)
    return out


__all__ = ["KINDS", "LeverInfo", "check_levers", "get_path", "kind_of", "lever_overrides",
           "resolve_levers"]
