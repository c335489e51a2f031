"""All modules, in the one fixed order in which the engine calls them each day, and the
validation of a scenario's ``modules:`` section against them.

``validate_modules(loaded)`` is the behaviour-layer half of loading a scenario (the data
layer, :func:`ranks.scenario.loader.load_scenario`, keeps ``modules:`` as raw mappings):
it validates each module's parameters, checks that what a module ``requires`` is enabled,
that every timeline event type is handled by the core or an enabled module, that
``set_param`` paths name settable parameters, and runs each module's ``check_scenario``.
:func:`ranks.runner.load` calls both halves.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from ranks.errors import ScenarioError
from ranks.modules.base import Module
from ranks.modules.coercion import Coercion
from ranks.modules.economy import Economy
from ranks.modules.flight import Flight
from ranks.modules.joining import Joining
from ranks.modules.leaving import Leaving
from ranks.modules.mortality import Mortality
from ranks.modules.returns import Returns
from ranks.modules.service import Service
from ranks.scenario.loader import (
    CORE_EVENT_TYPES,
    Loaded,
    error_at,
    pydantic_to_scenario_error,
    unknown_name,
)
from ranks.scenario.model import ModuleParams, TimelineEvent
from ranks.scenario.practices import SECTIONS

#: Modules in call order. The engine calls the enabled ones in exactly this order.
ORDER: list[type[Module[Any]]] = [
    Economy,
    Joining,
    Coercion,  # after joining, before service
    Service,
    Leaving,  # after service, before flight
    Flight,
    Returns,
    Mortality,
]

MODULES: dict[str, type[Module[Any]]] = {m.name: m for m in ORDER}


def validate_modules(loaded: Loaded) -> None:
    """Validate ``loaded.scenario.modules`` and the timeline against the modules; fill
    ``loaded.module_params``. Raises ScenarioError naming file, line and field."""
    sc, locs = loaded.scenario, loaded.locs
    ctx = {"source_ids": set(loaded.sources)}
    params: dict[str, ModuleParams] = {}
    for name, mdata in sc.modules.items():
        if name not in MODULES:
            hint = difflib.get_close_matches(name, list(MODULES), n=1)
            f, line = locs.find(("modules", name))
            raise ScenarioError(
                f"unknown module '{name}'" + (f"; did you mean '{hint[0]}'?" if hint else
                                              f"; known: {', '.join(MODULES)}"),
                file=f, line=line, field=f"modules.{name}",
            )
        params_cls = MODULES[name].Params
        try:
            params[name] = params_cls.model_validate(mdata or {}, context=ctx)
        except ValidationError as err:
            raise pydantic_to_scenario_error(
                err, mdata, locs, params_cls, prefix=("modules", name)
            ) from None
    enabled = {n for n, p in params.items() if p.enabled}
    for name in enabled:
        for dep in MODULES[name].requires:
            if dep.name not in enabled:
                raise error_at(locs, ("modules", name), f"modules.{name}",
                               f"the {name} module needs the {dep.name} module enabled")
    handled = set(CORE_EVENT_TYPES)
    for name in enabled:
        handled |= set(MODULES[name].event_types)
    for i, ev in enumerate(sc.timeline):
        base = ("timeline", i)
        if ev.type not in handled:
            raise error_at(locs, (*base, "type"), f"timeline[{i}].type",
                           unknown_name("event type (or its module is not enabled)", ev.type,
                                        sorted(handled)))
        if ev.type == "set_param":
            msg = _settable(ev, enabled)
            if msg:
                raise error_at(locs, (*base, "args", "path"), f"timeline[{i}].args.path", msg)
    _validate_practices(loaded, ctx)
    for name, p in params.items():
        problem = MODULES[name].check_scenario(sc, p)
        if problem is not None:
            msg, path = problem
            raise error_at(locs, ("modules", name, *path),
                           ".".join(["modules", name, *map(str, path)]), msg)
    loaded.module_params = dict(params)
    loaded.modules_validated = True


def _validate_practices(loaded: Loaded, ctx: dict[str, Any]) -> None:
    """Each practice regime's module sections against the module's per-actor settings:
    known parameter names and valid values (file, line and field on error)."""
    sc, locs = loaded.scenario, loaded.locs
    if sc.practices is None:
        return
    for actor, regimes in sc.practices.actors.items():
        for i, r in enumerate(regimes):
            for name in SECTIONS:
                given = r.section(name)
                if not given:
                    continue
                cls = MODULES[name].Actor
                base = ("practices", "actors", actor, i, name)
                field = f"practices.actors.{actor}[{i}].{name}"
                if cls is None:
                    raise error_at(locs, base, field, f"the {name} module has no per-actor "
                                   "settings")
                for key, leaf in given.items():
                    if key not in cls.model_fields:
                        raise error_at(locs, (*base, key), f"{field}.{key}", unknown_name(
                            f"{name} parameter", key, sorted(cls.model_fields)))
                    raw = {key: leaf.model_dump(exclude_none=True)}
                    try:
                        cls.model_validate(raw, context=ctx)
                    except ValidationError as err:
                        raise pydantic_to_scenario_error(err, raw, locs, cls,
                                                         prefix=base) from None


def _settable(ev: TimelineEvent, enabled: set[str]) -> str | None:
    """Why a ``set_param`` event cannot take effect, or None when it can."""
    path = ev.args.get("path")
    if ev.value is None:
        return "set_param needs a numeric 'value'"
    if not isinstance(path, str) or path.count(".") != 1:
        return "set_param needs args.path 'module.parameter'"
    module, name = path.split(".")
    if module not in enabled:
        return f"set_param: module '{module}' is not enabled in this scenario"
    settable = MODULES[module].settable
    if name not in settable:
        return (f"set_param cannot change '{path}' during a run; settable: "
                + (", ".join(f"{module}.{n}" for n in settable) or "none"))
    return None


def build(loaded: Loaded) -> list[Module[Any]]:
    """Instances of the enabled modules of ``loaded``, in :data:`ORDER`."""
    if not loaded.modules_validated:
        raise ValueError("the scenario's modules were not validated: load it with "
                         "ranks.runner.load (or call registry.validate_modules)")
    mp = loaded.module_params
    return [cls(mp[cls.name]) for cls in ORDER if cls.name in mp and mp[cls.name].enabled]
