"""Shared fixtures: paths, a tiny scenario writer, a CLI runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEMO = ROOT / "scenarios" / "demo.yaml"
POPULATION = ROOT / "scenarios" / "common" / "population-deir-ezzor.yaml"
SOURCES = ROOT / "evidence" / "sources.yaml"

TINY = f"""\
name: tiny
period: {{start: 2014-01-01, end: 2014-03-01}}
seed: 3
evidence: {SOURCES}
places:
  - {{name: A, lat: 35.0, lon: 40.0, type: town, population: 2000, tribe: T1, assumption: test}}
  - {{name: B, lat: 35.2, lon: 40.2, type: town, population: 1000, tribe: T2, assumption: test}}
  - {{name: C, lat: 35.9, lon: 40.1, type: camp, assumption: test}}
routes:
  - {{from: A, to: B, assumption: test}}
  - {{from: B, to: C, kind: desert, assumption: test}}
actors:
  - {{id: X, name: Actor X, assumption: test}}
  - {{id: Y, name: Actor Y, assumption: test}}
control:
  - {{date: 2014-01-01, place: A, actor: X, assumption: test}}
  - {{date: 2014-01-01, place: B, actor: X, assumption: test}}
  - {{date: 2014-02-01, place: B, actor: Y, assumption: test}}
fronts:
  - {{date: 2014-01-20, place: B, intensity: 0.7, assumption: test}}
timeline:
  - {{date: 2014-02-10, type: set_param, args: {{path: mortality.background_per_year}}, value: 0.01, assumption: test}}
population: {POPULATION}
modules:
  mortality: {{}}
"""


def replace_control(rows: list[dict[str, Any]], given: list[dict[str, Any]] | None
                    ) -> list[dict[str, Any]]:
    """Control ``rows`` with each row of ``given`` replacing the row of its place and date:
    the rows not replaced, in their order, then ``given`` (the same dicts)."""
    at = {(c["place"], str(c["date"])) for c in given or []}
    return [*(r for r in rows if (r["place"], str(r["date"])) not in at), *(given or [])]


@pytest.fixture
def tiny_text() -> str:
    """The text of a tiny valid scenario (3 places, 2 actors, 59 days)."""
    return TINY


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write scenario text (and optional extra files) into tmp_path; return the YAML path."""

    def _write(text: str, name: str = "s.yaml", files: dict[str, bytes | str] | None = None
               ) -> Path:
        for fname, content in (files or {}).items():
            p = tmp_path / fname
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
