"""Scenario: the validated, typed, frozen description of one simulation.

``load_scenario(path)`` reads the YAML file and the CSV files it names, keeps the file and
line of every value, validates everything with pydantic and cross-checks names and dates.
Any problem raises :class:`ranks.errors.ScenarioError` naming file, line and field.
"""

from ranks.scenario.loader import load_scenario
from ranks.scenario.model import P, Scenario

__all__ = ["P", "Scenario", "load_scenario"]
