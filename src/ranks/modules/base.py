"""The module protocol: what every mechanism module provides to the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ranks.modules.actors import ActorParams
from ranks.scenario.model import ModuleParams, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation

__all__ = ["Module", "ModuleParams", "ParamsT", "Problem"]

ParamsT = TypeVar("ParamsT", bound=ModuleParams)

#: What ``check_scenario`` returns for a problem: a message and the path of the offending
#: field under ``modules.<name>``.
Problem = tuple[str, tuple[Any, ...]]


class Module(Generic[ParamsT]):
    """A mechanism family, generic in its parameters (``class Flight(Module[FlightParams])``).

    Responsibilities are in each subclass's docstring (Requires, Outputs, Step behaviour).
    Life cycle: ``__init__(params)`` -> ``init(sim)`` once, after the world and people
    exist (add columns, stocks, index sets) -> each day ``on_event(sim, ev)`` for the
    timeline events of the types it declares, then ``step(sim, day)``.

    A module changes people only through ``sim.people.set`` / ``sim.request_death`` and
    reports every change with ``sim.record.events``. It finds other modules by type,
    ``sim.get(Economy)`` (None when not enabled), and changes their state only through
    their methods. It declares the modules it needs: ``requires`` (must be enabled: the
    registry refuses the scenario otherwise) and ``uses`` (read or called when enabled).
    """

    name: ClassVar[str] = ""
    mids: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[ModuleParams]] = ModuleParams
    event_types: ClassVar[tuple[str, ...]] = ()
    #: Parameters a timeline ``set_param`` may change; the module reads them each day
    #: through ``sim.param(name, default)``. Others are read once and cannot be set.
    settable: ClassVar[tuple[str, ...]] = ()
    #: Modules that must be enabled with this one.
    requires: ClassVar[tuple[type[Module[Any]], ...]] = ()
    #: Modules this one reads or calls when they are enabled (optional).
    uses: ClassVar[tuple[type[Module[Any]], ...]] = ()
    #: The per-actor settings this module reads (``modules.<name>.actors``), which a
    #: scenario's practices also set by date in their section named after the module.
    Actor: ClassVar[type[ActorParams] | None] = None

    def __init__(self, params: ParamsT) -> None:
        self.params: ParamsT = params

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: ParamsT) -> Problem | None:
        """Cross-check the parameters against the scenario (names of actors, places...).

        Returns None when fine, else a message and the field path under
        ``modules.<name>``."""
        return None

    def init(self, sim: Simulation) -> None:
        """Set up state once the world and people exist."""

    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        """Apply a timeline event of one of ``event_types`` on its day."""

    def step(self, sim: Simulation, day: int) -> None:
        """Advance one day."""
