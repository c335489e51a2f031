"""Checks that make "valid" mean "runs": the typed timeline and the limits of the engine.

Called by :func:`ranks.runner.load` (the composition root) after the core scenario and
the modules are validated, so that ``ranks validate`` refuses, with file, line and field,
everything the engine or a module would otherwise refuse (or crash on) only at run time:

- every timeline entry against the model of its type (:mod:`ranks.scenario.timeline_args`):
  fields it needs or takes, bounds of ``value``, typed ``args`` with "did you mean", names
  in args, routes that exist;
- limits of the people arrays (the period fits 16-bit day counters; at most 127 actors);
- what enabled modules need of the scenario (flight needs routes; the economy at most 32
  actors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ranks.errors import ScenarioError
from ranks.scenario.model import Scenario
from ranks.scenario.sources import Locations
from ranks.scenario.timeline_args import (
    TYPED_FIELDS,
    TimelineContext,
    typed_args,
    validate_event,
)

#: Longest period: people's day counters (``since``, ``assign_until``) are 16-bit.
MAX_DAYS = 32_000
#: Most actors: ``people.actor`` is an 8-bit signed integer.
MAX_ACTORS = 127
#: Most actors the economy module handles (a 32-bit mask per household).
MAX_ECONOMY_ACTORS = 32


def _err(locs: Locations, path: tuple[Any, ...], field: str, msg: str) -> ScenarioError:
    f, line = locs.find(path)
    return ScenarioError(msg, file=f, line=line, field=field)


def _enabled(module_params: Mapping[str, BaseModel], name: str) -> bool:
    p = module_params.get(name)
    return p is not None and bool(getattr(p, "enabled", True))


def check_timeline(sc: Scenario, locs: Locations, module_params: Mapping[str, BaseModel],
                   settable: dict[str, tuple[str, ...]]) -> Scenario:
    """Check every timeline entry against its type's model; return the scenario with the
    entries' ``args`` typed (only the keys given) and ``value`` as validated.
    ``settable`` maps each module to the parameters ``set_param`` may change.

    Raises:
        ScenarioError: the first bad entry, with file, line and field.
    """
    ctx = TimelineContext(
        places=[p.name for p in sc.places], actors=[a.id for a in sc.actors],
        tribes=sorted({p.tribe for p in sc.places if p.tribe}),
        routes={frozenset((r.from_, r.to)) for r in sc.routes},
        module_params=module_params, settable=settable,
        camps=[p.name for p in sc.places if p.type == "camp"])
    events = []
    changed = False
    for i, ev in enumerate(sc.timeline):
        given = {k: getattr(ev, k) for k in TYPED_FIELDS if getattr(ev, k) is not None}
        if not ev.args:
            given.pop("args", None)
        m, bad = validate_event(ev.type, given, ctx)
        if bad is not None:
            msg, where = bad
            raise _err(locs, ("timeline", i, *where),
                       ".".join([f"timeline[{i}]", *map(str, where)]), msg)
        assert m is not None
        args = typed_args(m) if ev.args else {}
        value = getattr(m, "value", ev.value)
        if args != ev.args or value != ev.value:
            ev = ev.model_copy(update={"args": args, "value": value})
            changed = True
        events.append(ev)
    return sc.model_copy(update={"timeline": events}) if changed else sc


def check_limits(sc: Scenario, locs: Locations, module_params: Mapping[str, BaseModel]) -> None:
    """Limits of the engine and of the enabled modules, as input errors."""
    if sc.n_days > MAX_DAYS:
        raise _err(locs, ("period",), "period",
                   f"the period is {sc.n_days:,} days; at most {MAX_DAYS:,} (about 87 years) "
                   "are supported (day counters are 16-bit)")
    if len(sc.actors) > MAX_ACTORS:
        raise _err(locs, ("actors",), "actors",
                   f"{len(sc.actors)} actors; at most {MAX_ACTORS} are supported")
    if _enabled(module_params, "economy") and len(sc.actors) > MAX_ECONOMY_ACTORS:
        raise _err(locs, ("modules", "economy"), "modules.economy",
                   f"the economy module handles at most {MAX_ECONOMY_ACTORS} actors; the "
                   f"scenario has {len(sc.actors)}")
    if _enabled(module_params, "flight") and not sc.routes:
        raise _err(locs, ("routes",), "routes",
                   "the flight module needs at least one route (people flee along routes); "
                   "add routes or disable flight")


def finish(sc: Scenario, locs: Locations, module_params: Mapping[str, BaseModel],
           settable: dict[str, tuple[str, ...]]) -> Scenario:
    """All checks of this module; returns the scenario with typed timeline args. The
    composition root (:func:`ranks.runner.load`) passes what the modules declare, so this
    data-layer module imports no module."""
    check_limits(sc, locs, module_params)
    return check_timeline(sc, locs, module_params, settable)
