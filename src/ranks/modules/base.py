"""The module protocol: what every mechanism module provides to the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

from ranks.scenario.model import TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation


class ModuleParams(BaseModel):
    """Base of every module's parameters: unknown keys are errors; ``enabled`` switch."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True


class Module:
    """A mechanism family.

    Responsibilities are in each subclass's docstring (Requires, Outputs, Step behaviour).
    Life cycle: ``__init__(params)`` -> ``init(sim)`` once, after the world and people
    exist (add columns, stocks, index sets) -> each day ``on_event(sim, ev)`` for the
    timeline events of the types it declares, then ``step(sim, day)``.
    A module changes people only through ``sim.people.set`` / ``sim.request_death``
    and reports every change with ``sim.record.event``.
    """

    name: ClassVar[str] = ""
    mids: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[ModuleParams]] = ModuleParams
    event_types: ClassVar[tuple[str, ...]] = ()
    #: Parameters a timeline ``set_param`` may change; the module reads them each day
    #: through ``sim.param(name, default)``. Others are read once and cannot be set.
    settable: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: ModuleParams) -> None:
        self.params = params

    def init(self, sim: Simulation) -> None:
        """Set up state once the world and people exist."""

    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        """Apply a timeline event of one of ``event_types`` on its day."""

    def step(self, sim: Simulation, day: int) -> None:
        """Advance one day."""
