"""Flee-compatible displacement engine: Flee 3.1's daily rules on NumPy agent arrays.

Entry points: :func:`ranks.flee.reader.read_scenario`, :func:`ranks.flee.engine.run_scenario`,
:func:`ranks.flee.output.write_outputs` and the ``ranks flee`` command (:mod:`ranks.flee.cli`).

The names below are imported from their modules on first use (PEP 562): a scenario run
needs only :mod:`ranks.flee.settings` (the flight module's Flee parameters), not the
engine and its readers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ranks.flee.engine import FleeEngine, RunResult, run_scenario
    from ranks.flee.reader import Scenario, read_scenario
    from ranks.flee.settings import CompatSettings, FleeSettings, load_settings

#: Each name the package offers -> the module defining it.
_WHERE = {
    "CompatSettings": "settings",
    "FleeEngine": "engine",
    "FleeSettings": "settings",
    "RunResult": "engine",
    "Scenario": "reader",
    "load_settings": "settings",
    "read_scenario": "reader",
    "run_scenario": "engine",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'ranks.flee' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ranks.flee.{where}"), name)


__all__ = [
    "CompatSettings",
    "FleeEngine",
    "FleeSettings",
    "RunResult",
    "Scenario",
    "load_settings",
    "read_scenario",
    "run_scenario",
]
