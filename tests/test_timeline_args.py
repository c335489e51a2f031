"""The typed timeline registry and the output vocabulary stay in step with the modules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ranks.modules.registry import MODULES
from ranks.scenario.loader import CORE_EVENT_TYPES
from ranks.scenario.timeline_args import EVENT_TYPES, TimelineContext, validate_event
from ranks.vocabulary import EVENTS, STOCKS
from tests.conftest import ROOT

SRC = ROOT / "src" / "ranks"


def test_every_handled_event_type_has_a_model_and_every_model_a_handler() -> None:
    handled = set(CORE_EVENT_TYPES)
    for cls in MODULES.values():
        handled |= set(cls.event_types)
    assert handled == set(EVENT_TYPES), handled ^ set(EVENT_TYPES)


def test_docs_list_every_event_type() -> None:
    doc = (ROOT / "docs" / "scenario-format.md").read_text("utf-8")
    for name in EVENT_TYPES:
        assert f"`{name}`" in doc, name


def _ctx() -> TimelineContext:
    return TimelineContext(places=["A", "B"], actors=["X"], tribes=["T"],
                           routes={frozenset(("A", "B"))}, module_params={})


@pytest.mark.parametrize(("type_", "given", "ok"), [
    ("prices", {"value": 1.2}, True),
    ("prices", {}, False),  # needs a value
    ("prices", {"value": 1.2, "actor": "X"}, False),  # does not take an actor
    ("conscription_order", {"actor": "X", "args": {"ages": [18, 30]}}, True),
    ("conscription_order", {"actor": "X", "args": {"age": [18, 30]}}, False),
    ("closure", {"args": {"from": "A", "to": "B"}}, True),
    ("closure", {"args": {"from": "A"}}, False),
    ("closure", {"place": "A", "args": {"from": "A", "to": "B"}}, False),
    ("safe_exit", {"actor": "X", "args": {"destination": "B"}}, True),
    ("safe_exit", {"actor": "X", "args": {"destination": "Z"}}, False),
    ("minefield", {"args": {"from": "A", "to": "B"}, "value": 1.0}, True),
    ("minefield", {"args": {"from": "A", "to": "B"}, "value": 1.01}, False),
])
def test_event_models(type_: str, given: dict, ok: bool) -> None:
    m, bad = validate_event(type_, given, _ctx())
    assert (bad is None) == ok, bad


def test_vocabulary_lists_every_name_the_modules_record() -> None:
    text = "\n".join(p.read_text("utf-8") for p in SRC.rglob("*.py"))
    events = set(re.findall(r'\.events?\(\s*"([a-z_]+)"', text))
    events |= {"deserted", "defected"}  # named in a loop by leaving (see its docstring)
    stocks = set(re.findall(r'add_stock\(\s*"([a-z_]+)"', text))
    assert events and stocks
    assert events <= EVENTS, events - EVENTS
    assert stocks <= STOCKS, stocks - STOCKS
    # and what the stored baseline runs recorded (every module on)
    base = json.loads((Path(__file__).parent / "baseline.json").read_text())
    for summary in base.values():
        assert set(summary["events_by_actor"]) <= EVENTS
        assert set(summary["stocks"]) <= STOCKS
