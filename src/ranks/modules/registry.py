"""All modules, in the one fixed order in which the engine calls them each day."""

from __future__ import annotations

from ranks.modules.base import Module
from ranks.modules.mortality import Mortality

#: Modules in call order. The engine calls the enabled ones in exactly this order.
ORDER: list[type[Module]] = [
    Mortality,
]

MODULES: dict[str, type[Module]] = {m.name: m for m in ORDER}
