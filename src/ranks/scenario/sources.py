"""Readers that keep file and line numbers: YAML via PyYAML's node tree, CSV rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from ranks.errors import ScenarioError
from ranks.io.inputs import FAST_YAML_LOADER, check_yaml_bounds, read_input_text

Path_ = tuple[str | int, ...]


def fmt_path(path: Path_) -> str:
    """``('timeline', 0, 'date')`` -> ``timeline[0].date``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class Locations:
    """Where each value of a loaded document came from: path -> (file, line)."""

    def __init__(self) -> None:
        self._at: dict[Path_, tuple[str, int]] = {}

    def add(self, path: Path_, file: str, line: int) -> None:
        self._at.setdefault(path, (file, line))

    def find(self, path: Path_) -> tuple[str | None, int | None]:
        """The location of ``path`` or of its nearest recorded ancestor."""
        p = tuple(path)
        while True:
            if p in self._at:
                return self._at[p]
            if not p:
                return None, None
            p = p[:-1]


def read_text(path: Path, what: str, field: str | None = None) -> str:
    """Read a UTF-8 text file; missing, empty, binary or undecodable files, directories,
    FIFOs, devices, symbolic link loops and huge files are errors (never a hang)."""
    return read_input_text(Path(path), what, field, error=ScenarioError)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""


def load_yaml(path: Path, locs: Locations, what: str = "scenario file") -> Any:
    """Parse a YAML file, recording the line of every key and value into ``locs``.

    Nesting depth and alias expansion are bounded (:func:`ranks.io.inputs.check_yaml_bounds`).
    The node tree comes from libyaml's parser when PyYAML has it; a file it refuses is read
    again by the pure-Python parser, whose message and line are the ones reported.
    """
    text = read_text(path, what)
    check_yaml_bounds(text, path, error=ScenarioError)
    node: yaml.Node | None
    try:
        node = yaml.compose(text, Loader=FAST_YAML_LOADER)
    except yaml.YAMLError:
        node = _compose_pure(text, path)
    if node is None:
        raise ScenarioError("scenario file is empty", file=path)
    return _construct(node, (), str(path), locs, yaml.constructor.SafeConstructor())


def _compose_pure(text: str, path: Path) -> yaml.Node | None:
    """The node tree of ``text`` by the pure-Python parser, or a ScenarioError naming its
    first syntax error (and line)."""
    try:
        return yaml.compose(text, Loader=_Loader)
    except RecursionError:
        raise ScenarioError("YAML nested too deeply", file=path) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError(f"YAML syntax error: {problem}", file=path, line=line) from None


def _construct(node: yaml.Node, path: Path_, file: str, locs: Locations,
               ctor: yaml.constructor.SafeConstructor) -> Any:
    """The Python value of ``node`` (scalars built by ``ctor``, one for the whole file)."""
    locs.add(path, file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                raise ScenarioError(
                    "YAML merge keys (<<) are not supported", file=file,
                    line=knode.start_mark.line + 1,
                )
            key = ctor.construct_object(knode, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise ScenarioError(
                    "duplicate key", file=file, line=knode.start_mark.line + 1,
                    field=fmt_path((*path, key)),
                )
            locs.add((*path, key), file, knode.start_mark.line + 1)
            out[key] = _construct(vnode, (*path, key), file, locs, ctor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, (*path, i), file, locs, ctor) for i, v in enumerate(node.value)]
    try:
        return ctor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as e:
        raise ScenarioError(
            f"cannot read value {node.value!r}: {getattr(e, 'problem', None) or e}", file=file,
            line=node.start_mark.line + 1, field=fmt_path(path),
        ) from None


def load_csv(
    path: Path, section: str, locs: Locations, required: list[str], optional: list[str]
) -> list[dict[str, Any]]:
    """Read a CSV table named by the scenario into row dicts, recording each row's line.

    Empty cells become ``None``. Unknown or missing columns are errors naming the header line.
    """
    text = read_text(path, f"{section} table", field=section)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ScenarioError(f"{section} table is empty", file=path, field=section) from None
    allowed = set(required) | set(optional)
    for h in header:
        if h not in allowed:
            import difflib

            hint = difflib.get_close_matches(h, sorted(allowed), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else f"; expected {sorted(allowed)}"
            raise ScenarioError(f"unknown column '{h}'{extra}", file=path, line=1, field=h)
    for r in required:
        if r not in header:
            raise ScenarioError(f"missing column '{r}'", file=path, line=1, field=r)
    if len(set(header)) != len(header):
        raise ScenarioError("duplicate column in header", file=path, line=1, field=section)
    rows: list[dict[str, Any]] = []
    try:
        for rec in reader:
            line = reader.line_num
            if not rec or all(not c.strip() for c in rec):
                continue
            if len(rec) != len(header):
                raise ScenarioError(
                    f"expected {len(header)} cells, found {len(rec)}", file=path, line=line,
                    field=section,
                )
            i = len(rows)
            locs.add((section, i), str(path), line)
            row: dict[str, Any] = {}
            for h, c in zip(header, rec, strict=True):
                c = c.strip()
                locs.add((section, i, h), str(path), line)
                row[h] = c if c != "" else None
            rows.append(row)
    except csv.Error as e:
        raise ScenarioError(f"CSV error: {e}", file=path, line=reader.line_num) from None
    if not rows:
        raise ScenarioError(f"{section} table has a header but no rows", file=path, line=1)
    return rows
