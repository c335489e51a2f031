"""``ranks ingest``: a conflict-event dataset (ACLED or UCDP GED columns) -> a fronts table.

See ``docs/ingest.md`` for the mapping; :mod:`ranks.ingest.events` reads the CSV and
:mod:`ranks.ingest.fronts` turns events into front intensity by place and date.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ranks.errors import OutputExistsError, RanksInputError
from ranks.ingest.events import Format, read_events
from ranks.ingest.fronts import FrontMapping, IngestSummary, events_to_fronts
from ranks.scenario.model import Scenario


def is_fronts_table(path: Path) -> bool:
    """True when ``path`` starts with a CSV header holding date, place and intensity."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            head = f.readline(4096)
    except OSError:
        return False
    cols = {c.strip().strip('"') for c in head.split(",")}
    return {"date", "place", "intensity"} <= cols


def ingest(events_csv: Path, scenario: Scenario, out: Path, *, fmt: Format | None = None,
           mapping: FrontMapping | None = None, source: str = "",
           force: bool = False) -> IngestSummary:
    """Read ``events_csv``, map it onto ``scenario``'s places and period, write ``out``.

    ``out`` is a CSV in the scenario's fronts format (``date,place,intensity,source,note``),
    written to a temporary file and renamed when complete; an existing file is refused
    unless ``force``.
    """
    from ranks.io.outdir import check_out_path, describe_contents

    check_out_path(out, is_file=True)  # before reading: a name the filesystem takes, ...
    if out.exists() or out.is_symlink():
        if not force:
            raise OutputExistsError("output file exists; pass --force to replace it",
                                    file=out, field="--out")
        if not out.is_file() or out.is_symlink():
            raise RanksInputError(f"is {describe_contents(out)}; expected a file name",
                                  file=out, field="--out")
        if not is_fronts_table(out):
            raise RanksInputError("--force replaces only a fronts table (a CSV with date, "
                                  "place and intensity columns); this file is not one; "
                                  "nothing was changed", file=out, field="--out")
    if not source.strip():
        raise RanksInputError("give the evidence id of the dataset (an id in "
                              "evidence/sources.yaml)", field="--source")
    events, _ = read_events(events_csv, fmt)
    places = [p for p in scenario.places if p.type != "abroad"]
    fronts, summary = events_to_fronts(
        events, [p.name for p in places], np.array([p.lat for p in places]),
        np.array([p.lon for p in places]), scenario.period.start, scenario.period.end,
        mapping, source)
    from ranks.io.outdir import write_file_atomic

    text = fronts.to_csv(index=False, date_format="%Y-%m-%d", float_format="%g")
    write_file_atomic(out, text, replace=lambda _p: force)
    return summary


__all__ = ["FrontMapping", "IngestSummary", "events_to_fronts", "ingest", "read_events"]
