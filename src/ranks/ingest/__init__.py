"""``ranks ingest``: a conflict-event dataset (ACLED or UCDP GED columns) -> a fronts table.

See ``docs/ingest.md`` for the mapping; :mod:`ranks.ingest.events` reads the CSV and
:mod:`ranks.ingest.fronts` turns events into front intensity by place and date.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ranks.errors import OutputExistsError, RanksInputError
from ranks.ingest.events import Format, read_events
from ranks.ingest.fronts import FrontMapping, IngestSummary, events_to_fronts
from ranks.scenario.model import Scenario


def ingest(events_csv: Path, scenario: Scenario, out: Path, *, fmt: Format | None = None,
           mapping: FrontMapping | None = None, source: str = "",
           force: bool = False) -> IngestSummary:
    """Read ``events_csv``, map it onto ``scenario``'s places and period, write ``out``.

    ``out`` is a CSV in the scenario's fronts format (``date,place,intensity,source,note``),
    written to a temporary file and renamed when complete; an existing file is refused
    unless ``force``.
    """
    if out.exists() and not force:
        raise OutputExistsError("output file exists; pass --force to replace it", file=out,
                                field="--out")
    if out.exists() and not out.is_file():
        raise RanksInputError("not a regular file", file=out, field="--out")
    if not source.strip():
        raise RanksInputError("give the evidence id of the dataset (an id in "
                              "evidence/sources.yaml)", field="--source")
    events, _ = read_events(events_csv, fmt)
    places = [p for p in scenario.places if p.type != "abroad"]
    fronts, summary = events_to_fronts(
        events, [p.name for p in places], np.array([p.lat for p in places]),
        np.array([p.lon for p in places]), scenario.period.start, scenario.period.end,
        mapping, source)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.tmp-", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fronts.to_csv(fh, index=False, date_format="%Y-%m-%d", float_format="%g")
        Path(tmp).replace(out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return summary


__all__ = ["FrontMapping", "IngestSummary", "events_to_fronts", "ingest", "read_events"]
