"""ranks.io.yamltext: libyaml's emitter only where it writes PyYAML's pure-Python bytes."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ranks import runner
from ranks.io import yamltext
from ranks.scenario.loader import dump_resolved
from tests.conftest import DEMO

pytestmark = pytest.mark.skipif(not hasattr(yaml, "CSafeDumper"), reason="no libyaml")

#: Pieces of strings: every kind of character the two emitters treat differently.
PIECES = [*string.printable, "  ", " #", ": ", "- ", "? ", "&a", "*a", "!x", "---", "...",
          "null", "yes", "1e3", "0x1", "2014-01-01", "é", "ش", "€", "\xa0", "\n", "\n\n",
          "😀", "\x85", "\u2028", "\ufeff", "\x7f", "\x01", "word ", "x" * 30]


def _doc(s: str, k: str, n: int) -> dict[str, Any]:
    """A document holding ``s`` and key ``k`` in block, flow, nested and key positions."""
    return {"k": s, "l": [s, {"n": s * n, "w": " ".join([s] * n)}], k: 1.5, "f": 0.1,
            "e": [], "m": {}, "b": True, "nn": None, "ll": [[s, k], {"a": [s], s: k}],
            "z": {"y": {"x": [{"w": s}]}}}


def _pure(d: Any) -> str:
    return str(yaml.safe_dump(d, sort_keys=False, allow_unicode=True))


def _libyaml(d: Any) -> str:
    return str(yaml.dump(d, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True))


texts = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(texts, st.integers(0, 140), st.integers(1, 4))
def test_libyaml_used_only_where_it_writes_the_same(s: str, k: int, n: int) -> None:
    d = _doc(s, s[:k], n)
    assert yamltext.safe_dump(d, sort_keys=False, allow_unicode=True) == _pure(d)
    if yamltext.libyaml_writes_same(d):
        assert _libyaml(d) == _pure(d)


def test_many_random_documents_both_ways() -> None:
    """Hundreds of documents of random pieces: both outcomes of the check occur, and
    where it sends a document to libyaml the text is the pure emitter's."""
    rng = random.Random(11)
    same = other = 0
    for _ in range(600):
        s = "".join(rng.choice(PIECES) for _ in range(rng.choice([5, 20, 80, 200])))
        d = _doc(s, s[:rng.randint(0, 140)], rng.randint(1, 4))
        if yamltext.libyaml_writes_same(d):
            same += 1
            assert _libyaml(d) == _pure(d), s
        else:
            other += 1
            assert yamltext.safe_dump(d, sort_keys=False, allow_unicode=True) == _pure(d)
    assert same > 60 and other > 60


@pytest.mark.parametrize("bad", [
    {"": 1}, {"k" * 65: 1}, {"a\nb": 1}, {1: "a"}, {"a": "x \ny"}, {"a": "x\n y"},
    {"a": "\t"}, {"a": "😀"}, {"a": "\ufeff"}, {"a": "x \u2028"}, {"a": b"x"}, {"a": [{"b": "\x85"}]}])
def test_what_goes_to_the_pure_emitter(bad: dict) -> None:
    assert not yamltext.libyaml_writes_same(bad)


def test_resolved_scenario_goes_through_libyaml_with_the_same_text() -> None:
    loaded = runner.load(DEMO)
    d = loaded.scenario.model_dump(mode="json", by_alias=True)
    d["modules"] = {k: v.model_dump(mode="json") for k, v in loaded.module_params.items()}
    assert yamltext.libyaml_writes_same(d)
    assert dump_resolved(loaded) == _pure(d)
