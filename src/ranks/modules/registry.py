"""All modules, in the one fixed order in which the engine calls them each day."""

from __future__ import annotations

from ranks.modules.base import Module
from ranks.modules.coercion import Coercion
from ranks.modules.economy import Economy
from ranks.modules.flight import Flight
from ranks.modules.joining import Joining
from ranks.modules.leaving import Leaving
from ranks.modules.mortality import Mortality
from ranks.modules.returns import Returns
from ranks.modules.service import Service

#: Modules in call order. The engine calls the enabled ones in exactly this order.
ORDER: list[type[Module]] = [
    Economy,
    Joining,
    Coercion,  # after joining, before service
    Service,
    Leaving,  # after service, before flight
    Flight,
    Returns,
    Mortality,
]

MODULES: dict[str, type[Module]] = {m.name: m for m in ORDER}
