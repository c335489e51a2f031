"""One hop from M-id to code: every mechanism M1-M29 has a section in docs/odd.md that names
its file and functions (``Code: `file`: `fn`, `Class.method`; ...``), every named file and
function exists, and every M-id is claimed by a module's ``mids`` (or the core's)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ranks import population
from ranks.modules.registry import ORDER

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "odd.md"
ALL = {f"M{i}" for i in range(1, 30)}


def sections() -> list[tuple[str, str]]:
    """(heading, body) of every ### and #### section."""
    parts = re.split(r"^(#{3,4} .*)$", ODD.read_text(encoding="utf-8"), flags=re.M)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def mechanism_sections() -> dict[str, list[str]]:
    """M-id -> the Code lines of the sections whose heading names it (ranges like M2-M6
    mark overview sections and do not count)."""
    out: dict[str, list[str]] = {}
    for head, body in sections():
        if re.search(r"M\d+-M\d+", head):
            continue
        code = [ln for ln in body.splitlines() if ln.startswith("Code: ")]
        for mid in re.findall(r"\bM\d+\b", head):
            out.setdefault(mid, []).extend(code)
    return out


def defined_names(path: Path) -> set[str]:
    """Top-level functions and classes of a file, and ``Class.method`` for methods."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}.{n.name}" for n in node.body
                      if isinstance(n, ast.FunctionDef)}
    return names


def test_every_mechanism_has_a_section_naming_its_code() -> None:
    found = mechanism_sections()
    missing = sorted(ALL - set(found), key=lambda m: int(m[1:]))
    assert not missing, f"no section of docs/odd.md is headed by {missing}"
    no_code = sorted((m for m, code in found.items() if not code), key=lambda m: int(m[1:]))
    assert not no_code, f"sections without a 'Code:' line: {no_code}"


def test_every_named_file_and_function_exists() -> None:
    named = 0
    for head, body in sections():
        for line in (ln for ln in body.splitlines() if ln.startswith("Code: ")):
            for part in line.removeprefix("Code: ").rstrip(".").split(";"):
                m = re.fullmatch(r"\s*`([^`]+)`: (.+)", part)
                assert m, f"{head}: cannot read {part!r}"
                path = ROOT / m.group(1)
                assert path.is_file(), f"{head}: no file {m.group(1)}"
                have = defined_names(path)
                for fn in re.findall(r"`([^`]+)`", m.group(2)):
                    assert fn in have, f"{head}: {m.group(1)} defines no {fn}"
                    named += 1
    assert named >= 40


def test_every_mechanism_is_claimed_by_a_module() -> None:
    claimed = set(population.MIDS)
    for cls in ORDER:
        claimed |= set(cls.mids)
    assert claimed == ALL, sorted(ALL ^ claimed)
