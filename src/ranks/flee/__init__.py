"""Flee-compatible displacement engine: Flee 3.1's daily rules on NumPy agent arrays.

Entry points: :func:`ranks.flee.reader.read_scenario`, :func:`ranks.flee.engine.run_scenario`,
:func:`ranks.flee.output.write_outputs` and the ``ranks flee`` command (:mod:`ranks.flee.cli`).
"""

from ranks.flee.engine import FleeEngine, RunResult, run_scenario
from ranks.flee.reader import Scenario, read_scenario
from ranks.flee.settings import CompatSettings, FleeSettings, load_settings

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
