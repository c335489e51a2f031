"""Layering: the data layer imports no behaviour, every module imports on its own (no
cycles hidden by import order), and the CLI registers its commands explicitly."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import ranks
from ranks.engine import Simulation
from ranks.scenario.loader import load_scenario

from .conftest import DEMO

#: The layers that import each other: the data layer, the engine, the modules, the root.
LAYERED = ("ranks.scenario", "ranks.modules", "ranks.engine", "ranks.runner", "ranks.record",
           "ranks.population", "ranks.world", "ranks.routing", "ranks.rng", "ranks.cli")
MODULES = sorted(m.name for m in pkgutil.walk_packages(ranks.__path__, "ranks.")
                 if m.name.startswith(LAYERED))


def test_scenario_layer_imports_no_module() -> None:
    code = ("import sys, ranks.scenario.loader, ranks.scenario.model; "
            "bad = [m for m in sys.modules if m.startswith(('ranks.modules', 'ranks.engine'))]; "
            "assert not bad, bad")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_every_module_imports_first_in_a_fresh_process() -> None:
    """Importing any module first must work: an import cycle fails for some order."""
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    for k in [k for k in sys.modules if k == 'ranks' or k.startswith('ranks.')]:\n"
            "        del sys.modules[k]\n"
            "    importlib.import_module(name)\n")
    r = subprocess.run([sys.executable, "-c", code, *MODULES], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert len(MODULES) > 20


def test_simulation_refuses_unvalidated_modules() -> None:
    loaded = load_scenario(DEMO)  # the core only: modules not validated
    with pytest.raises(ValueError, match="ranks.runner.load"):
        Simulation(loaded, scale=0.01)


def test_cli_registers_every_subcommand() -> None:
    from ranks.cli import app

    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert {"run", "validate", "evidence", "plan", "flee", "report", "check", "compare",
            "sweep", "sensitivity"} <= names


SHARED_BOOKS = {"WantedBook", "Camps"}


def test_modules_declare_what_they_look_up() -> None:
    """Every ``sim.get(X)`` in a module's file names a module it ``requires`` or ``uses`` (or a
    shared book), and every declared module is looked up; no attribute probing."""
    import inspect
    import re

    from ranks.modules.registry import ORDER

    for cls in ORDER:
        text = inspect.getsource(inspect.getmodule(cls))
        found = set(re.findall(r"\bsim\.get\((\w+)\)", text)) - {cls.__name__}
        declared = {d.__name__ for d in (*cls.requires, *cls.uses)}
        assert found - SHARED_BOOKS <= declared, (cls.name, found - SHARED_BOOKS - declared)
        assert declared <= found, (cls.name, declared - found)
        assert not re.search(r"\b(getattr|hasattr)\(sim\b", text), cls.name
        assert not re.search(r"\bsim\.\w+\s*=[^=]", text), cls.name


def test_declared_dependencies_are_registered_modules() -> None:
    from ranks.modules.registry import ORDER

    for cls in ORDER:
        for dep in (*cls.requires, *cls.uses):
            assert dep in ORDER, (cls.name, dep)
