"""Ranks: an agent-based simulator of how armed actors fill their ranks and how people get out.

For notebooks: ``ranks.load(scenario)``, ``ranks.run(scenario, seed=, scale=, replicates=,
set={...})`` and ``ranks.open_run(run_dir)`` (see :mod:`ranks.notebook`, imported on first
use so that the command line starts fast).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("load", "run", "open_run", "Results", "Scenario")


def __getattr__(name: str) -> Any:
    if name in _API:
        from ranks import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'ranks' has no attribute {name!r}")


__all__ = ["Results", "Scenario", "__version__", "load", "open_run", "run"]
