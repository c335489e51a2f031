"""Fresh runs of the baseline scenarios equal the stored summary (tests/baseline.json).

A refactor must leave these numbers unchanged; a change that moves them on purpose
regenerates the file (``python tests/baseline.py``) and says which numbers moved and why.
"""

from __future__ import annotations

import json

import pytest

from tests.baseline import RUNS, STORED, diff, run_one


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_run_equals_stored_baseline(name: str) -> None:
    stored = json.loads(STORED.read_text())[name]
    fresh = json.loads(json.dumps(run_one(name)))  # the same JSON round trip as the file
    lines = diff(stored, fresh)
    assert not lines, f"{len(lines)} numbers moved:\n" + "\n".join(lines[:40])
