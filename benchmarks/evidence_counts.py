"""Evidence counts (issue 12): how many parameters of the Deir Ezzor scenarios cite a source
and how many are marked assumptions, from the rows `ranks evidence` prints.

Rows are grouped by what they are:
  parameters  module parameters and population inputs
  practices   per-actor practices by date and the market series (scenario data, issue 12)
  timeline    dated events of the scenario's timeline (with their values)
  data rows   places, routes, control and fronts tables (one row = one evidenced record)
It also counts the per-actor presets that live in module code and that `ranks evidence` does
not list ("hidden presets"): the review (../shared/fidelity-review.md, section 4) asked that
they move into scenario data.

Usage: python benchmarks/evidence_counts.py --label before|after [SCENARIO ...]
Writes benchmarks/results/evidence-counts-<label>.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["scenarios/deir-ezzor-2014-2017.yaml", "scenarios/deir-ezzor-2017-2020.yaml",
             "scenarios/deir-ezzor-2014-2020.yaml"]


def _group(path: str) -> str:
    head = path.split(".", 1)[0].split("[", 1)[0].split(" ", 1)[0]
    if head == "practices":
        return "practices"
    if head in ("modules", "population"):
        return "parameters"
    if head == "timeline":
        return "timeline"
    return "data rows"


def hidden_presets() -> dict[str, dict[str, int]]:
    """Leaves of per-actor presets defined in module code (not listed by `ranks evidence`),
    by evidence: source or assumption."""
    out: dict[str, dict[str, int]] = {}
    try:
        from ranks.modules import economy, joining, service
    except ImportError:  # pragma: no cover
        return out
    for mod, cls in ((economy, "EconomyActor"), (joining, "JoiningActor"),
                     (service, "ServiceActor")):
        presets = getattr(getattr(mod, cls, None), "PRESETS", {}) or {}
        leaves = [leaf for v in presets.values() for leaf in v.values()]
        n_ass = sum(1 for leaf in leaves if isinstance(leaf, dict) and leaf.get("assumption"))
        out[cls] = {"source": len(leaves) - n_ass, "assumption": n_ass}
    return out


def counts(scenario: str) -> dict[str, object]:
    from ranks.evidence import evidence_rows
    from ranks.runner import load

    rows = evidence_rows(load(ROOT / scenario))
    res: dict[str, dict[str, int]] = {}
    for r in rows:
        g = res.setdefault(_group(r.path), {"source": 0, "assumption": 0})
        g["assumption" if r.evidence.startswith("assumption") else "source"] += 1
    total = {"source": sum(g["source"] for g in res.values()),
             "assumption": sum(g["assumption"] for g in res.values())}
    with_value = sum(1 for r in rows if r.path.startswith("timeline") and r.value != "")
    n_tl = sum(1 for r in rows if r.path.startswith("timeline"))
    return {"groups": res, "total": total, "timeline_rows_with_value": with_value,
            "timeline_rows": n_tl}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("scenarios", nargs="*", default=SCENARIOS)
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    res = {"label": args.label, "commit": commit, "hidden_presets": hidden_presets(),
           "scenarios": {s: counts(s) for s in args.scenarios}}
    out = ROOT / "benchmarks" / "results" / f"evidence-counts-{args.label}.json"
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
