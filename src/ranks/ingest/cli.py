"""``ranks ingest``: conflict events (ACLED or UCDP GED columns) -> a scenario fronts table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from ranks.cli_common import console, handle_errors
from ranks.errors import RanksInputError
from ranks.ingest import FrontMapping, ingest
from ranks.ingest.events import Format
from ranks.ingest.fronts import DEFAULT_KIND_WEIGHTS


def _weights(items: list[str]) -> dict[str, float]:
    """``["airstrike=0.5"]`` -> the default kind weights with those changed."""
    out = dict(DEFAULT_KIND_WEIGHTS)
    for item in items:
        kind, sep, raw = item.partition("=")
        kind = kind.strip()
        if not sep or kind not in out:
            raise RanksInputError(f"expected KIND=WEIGHT with KIND one of {', '.join(out)}; "
                                  f"got {item!r}", field="--weight")
        try:
            w = float(raw)
        except ValueError:
            raise RanksInputError(f"not a number in {item!r}", field="--weight") from None
        if not 0.0 <= w <= 100.0:
            raise RanksInputError(f"weight {w} is outside 0..100", field="--weight")
        out[kind] = w
    return out


@handle_errors
def ingest_command(
    events: Annotated[Path, typer.Argument(help="Conflict-event CSV (ACLED or UCDP GED).")],
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario whose places and "
                                           "period the fronts are for.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Fronts CSV to write.")],
    source: Annotated[str, typer.Option("--source", help="Evidence id of the dataset in "
                                        "evidence/sources.yaml (written on every row).")],
    fmt: Annotated[str | None, typer.Option("--format", help="acled or ucdp (default: "
                                            "detected from the columns).")] = None,
    radius_km: Annotated[float, typer.Option(min=0.1, max=500.0, help="Farthest an event "
                                             "may be from its place (km).")] = 20.0,
    max_precision: Annotated[float, typer.Option(min=1, max=7, help="Vaguest location "
                                                 "precision kept.")] = 2.0,
    half_life_days: Annotated[float, typer.Option(min=0.5, max=3650.0, help="Half-life of "
                                                  "front pressure after fighting (days).")] = 10.0,
    saturation: Annotated[float, typer.Option(min=0.01, max=1e6, help="Pressure at which "
                                              "intensity reaches 0.63.")] = 5.0,
    step: Annotated[float, typer.Option(min=0.01, max=1.0, help="Intensity rounding "
                                        "step.")] = 0.1,
    weight: Annotated[list[str] | None, typer.Option("--weight", help="KIND=W: weight of "
                                                     "one event of a kind (repeatable).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Turn a conflict-event CSV into a fronts table for SCENARIO (docs/ingest.md)."""
    from ranks.runner import load

    if fmt is not None and fmt not in ("acled", "ucdp"):
        raise RanksInputError(f"expected acled or ucdp, got {fmt!r}", field="--format")
    loaded = load(scenario)
    mapping = FrontMapping(radius_km=radius_km, max_precision=max_precision,
                           half_life_days=half_life_days, saturation=saturation, step=step,
                           kind_weights=_weights(weight or []))
    s = ingest(events, loaded.scenario, out, fmt=cast(Format | None, fmt), mapping=mapping,
               source=source, force=force)
    console.print(f"{s.read} events read; kept {s.kept}; dropped: {s.outside_period} outside "
                  f"the period, {s.too_vague} too vague, {s.not_fighting} not fighting, "
                  f"{s.too_far} farther than {radius_km:g} km from any place", highlight=False)
    if s.by_place:
        t = Table(title="events by place")
        t.add_column("place")
        t.add_column("events", justify="right")
        for p, n in sorted(s.by_place.items(), key=lambda kv: -kv[1]):
            t.add_row(p, str(n))  # consoles print text as it is (no markup)
        console.print(t)
    console.print(f"wrote {s.rows} fronts rows to {out}", soft_wrap=True)
