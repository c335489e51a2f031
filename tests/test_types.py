"""Types are checked: mypy (a test dependency) is clean on src/ with the pyproject config.

Fails, never skips, when mypy is missing: ``pip install -e ".[test]"`` installs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_is_clean_on_src() -> None:
    r = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                       text=True)
    assert "No module named mypy" not in r.stderr, "mypy is a test dependency: install .[test]"
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    assert "Success" in r.stdout


def test_no_type_ignore_in_src() -> None:
    """Types are fixed, not silenced."""
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in sorted((ROOT / "src").rglob("*.py"))
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if "type: ignore" in line]
    assert not hits, hits
