"""Scenario: the validated, typed, frozen description of one simulation.

``ranks.scenario.loader.load_scenario(path)`` reads the YAML file and the CSV files it
names, keeps the file and line of every value, validates the core scenario with pydantic
and cross-checks names and dates; module parameters are validated by the registry
(``ranks.runner.load`` does both). Any problem raises :class:`ranks.errors.ScenarioError`
naming file, line and field.
"""

from ranks.scenario.model import P, Scenario

__all__ = ["P", "Scenario"]
