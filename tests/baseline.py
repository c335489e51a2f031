"""The stored baseline: a summary of fixed runs that every refactor must leave unchanged.

Two runs with fixed seeds: the demo at scale 0.2 and the 2014-2017 Deir Ezzor flagship at
scale 0.05 (about 62,000 people, 1,310 days, every module). Each is summarised as event
totals by event, reason and year, and by event, actor and year, and stock totals (the sum
of every snapshot's values) by stock and year, and by stock, category and year for the
``people`` and ``strength`` stocks. ``tests/test_baseline.py`` runs them again and compares
with ``tests/baseline.json`` exactly.

A change that moves the numbers on purpose regenerates the file and says in its commit
message which numbers moved and why:

    python tests/baseline.py            # rewrite tests/baseline.json
    python tests/baseline.py --diff     # print what differs from the stored file
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STORED = Path(__file__).resolve().parent / "baseline.json"

#: name -> (scenario file, seed, scale)
RUNS: dict[str, tuple[str, int, float]] = {
    "demo": ("scenarios/demo.yaml", 1, 0.2),
    "deir-ezzor-2014-2017": ("scenarios/deir-ezzor-2014-2017.yaml", 20140101, 0.05),
}

#: Stock sums are rounded to this many significant digits (float sums of shares and USD).
DIGITS = 12


def _round(x: float) -> float | int:
    if float(x).is_integer():
        return int(x)
    return float(f"{x:.{DIGITS}g}")


def _nest(series: Any) -> dict[str, Any]:
    """A Series indexed by (key..., year) -> nested dicts with string keys."""
    out: dict[str, Any] = {}
    for idx, v in series.items():
        d = out
        *keys, year = idx if isinstance(idx, tuple) else (idx,)
        for k in keys:
            d = d.setdefault("-" if k is None or k != k else str(k), {})
        d[str(year)] = _round(float(v))
    return out


def summarise(events: Any, stocks: Any) -> dict[str, Any]:
    """Event and stock totals by type and year (see the module docstring)."""
    ev = events.copy()
    ev["year"] = [d.year for d in ev["date"]]
    for c in ("event", "reason", "actor"):
        ev[c] = ev[c].astype(object).where(ev[c].notna(), "-").astype(str)
    st = stocks.copy()
    st["year"] = [d.year for d in st["date"]]
    st["stock"] = st["stock"].astype(str)
    st["category"] = st["category"].astype(object).where(st["category"].notna(), "-").astype(
        str)
    by_cat = st[st["stock"].isin(["people", "strength"])]
    return {
        "events_by_reason": _nest(ev.groupby(["event", "reason", "year"])["count"].sum()),
        "events_by_actor": _nest(ev.groupby(["event", "actor", "year"])["count"].sum()),
        "stocks": _nest(st.groupby(["stock", "year"])["value"].sum()),
        "stocks_by_category": _nest(by_cat.groupby(["stock", "category", "year"])["value"]
                                    .sum()),
    }


def run_one(name: str) -> dict[str, Any]:
    """Run baseline ``name`` and summarise it."""
    from ranks.runner import load, run_replicate

    path, seed, scale = RUNS[name]
    loaded = load(ROOT / path)
    r = run_replicate(loaded, seed, scale, None)
    return {"scenario": path, "seed": seed, "scale": scale, "days": r.info.days,
            "people": r.info.people, **summarise(r.events, r.stocks)}


def compute() -> dict[str, Any]:
    """Every baseline run's summary."""
    return {name: run_one(name) for name in RUNS}


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Lines describing where ``a`` (stored) and ``b`` (fresh) differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}/{k}: new {b[k]!r}")
            elif k not in b:
                out.append(f"{path}/{k}: gone (was {a[k]!r})")
            else:
                out += diff(a[k], b[k], f"{path}/{k}")
        return out
    return [] if a == b else [f"{path}: {a!r} -> {b!r}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--diff", action="store_true", help="print differences, write nothing")
    args = ap.parse_args()
    fresh = compute()
    if args.diff:
        stored = json.loads(STORED.read_text())
        lines = diff(stored, fresh)
        print("\n".join(lines) or "no difference")
        sys.exit(1 if lines else 0)
    STORED.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n")
    print(f"wrote {STORED}")


if __name__ == "__main__":
    main()
