"""Code figures before and after issue 11: the largest files and functions (lines), the
``type: ignore`` comments, and the errors mypy finds with this project's configuration.

Usage: python benchmarks/code_metrics.py [--before SRC]   (SRC: the ``src`` folder of an
older checkout, e.g. ``git archive b6886bb | tar -x -C /tmp/before`` then /tmp/before/src).
Writes benchmarks/results/code_metrics.json.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "code_metrics.json"


def metrics(src: Path, top: int = 10) -> dict[str, Any]:
    """Line counts of the files and functions under ``src/ranks``, and mypy's errors."""
    pkg = src / "ranks"
    files = sorted(pkg.rglob("*.py"))
    lines = {str(f.relative_to(src)): len(f.read_text(encoding="utf-8").splitlines())
             for f in files}
    funcs: list[tuple[int, str]] = []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                funcs.append((n, f"{f.relative_to(src)}:{node.name}"))
    funcs.sort(reverse=True)
    ignores = sum(f.read_text(encoding="utf-8").count("type: ignore") for f in files)
    with tempfile.TemporaryDirectory() as cache:
        r = subprocess.run([sys.executable, "-m", "mypy", "--config-file",
                            str(ROOT / "pyproject.toml"), "--cache-dir", cache, str(pkg)],
                           capture_output=True, text=True, cwd=src)
    m = re.search(r"Found (\d+) errors?", r.stdout)
    errors = int(m.group(1)) if m else (0 if "Success" in r.stdout else -1)
    codes: dict[str, int] = {}
    for code in re.findall(r"error: .*\[([a-z-]+)\]$", r.stdout, flags=re.M):
        codes[code] = codes.get(code, 0) + 1
    return {
        "python_files": len(files),
        "total_lines": sum(lines.values()),
        "largest_files": dict(sorted(lines.items(), key=lambda kv: -kv[1])[:top]),
        "longest_functions": {name: n for n, name in funcs[:top]},
        "type_ignore_comments": ignores,
        "mypy_errors": errors,
        "mypy_errors_by_code": dict(sorted(codes.items(), key=lambda kv: -kv[1])),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default=None, help="src folder of the code to compare with")
    args = ap.parse_args()
    res: dict[str, Any] = {"mypy_config": "pyproject.toml [tool.mypy] of this checkout"}
    if args.before:
        res["before"] = metrics(Path(args.before))
    res["after"] = metrics(ROOT / "src")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
