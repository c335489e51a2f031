"""A Python API for notebooks: ``ranks.load``, ``ranks.run`` and :class:`Results`.

    import ranks
    demo = ranks.load("scenarios/demo.yaml")
    demo.levers                                   # the what-if levers the scenario offers
    base = ranks.run(demo, seed=1, scale=0.1, replicates=4)
    dear = ranks.run(demo, seed=1, scale=0.1, replicates=4, set={"smuggler_price": 3000})
    dear.series("camp_population")                # population figures, one row per date
    dear.compare(base)                            # paired differences with 95% intervals
    dear.plot("fled", by="reason")
    dear.report("dear.html")

Runs write an ordinary run directory (``out``, or a fresh temporary directory), so
everything the CLI reads (``ranks report``, ``ranks check``, ``ranks compare``) works on it
too. ``set`` takes lever ids of the scenario's ``experiments.levers`` (checked against the
lever's range) and dotted paths as for ``ranks run --set``. Same scenario, seed, scale and
``set`` give the same numbers as the CLI.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ranks.report.rundir import RunDir, load_run_dir
from ranks.report.series import band, event_series, event_totals, stock_series
from ranks.runner import load as load_scenario
from ranks.scenario.loader import Loaded

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ranks.scenario.levers import LeverInfo


@dataclass
class Scenario:
    """A loaded scenario (see :func:`load`). ``loaded`` is the validated scenario."""

    loaded: Loaded

    @property
    def name(self) -> str:
        return self.loaded.scenario.name

    @property
    def path(self) -> Path:
        return Path(self.loaded.path)

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """First day and the day after the last (exclusive)."""
        p = self.loaded.scenario.period
        return p.start, p.end

    def lever_infos(self) -> list[LeverInfo]:
        """The levers with their kinds and baselines."""
        from ranks.scenario.levers import resolve_levers

        return resolve_levers(self.loaded)

    @property
    def levers(self) -> pd.DataFrame:
        """One row per lever: id, group, label, path, kind, baseline, min, max, evidence."""
        rows = [{"id": li.id, "group": li.lever.group or "", "label": li.lever.label,
                 "path": li.lever.path, "kind": li.kind, "baseline": li.baseline,
                 "min": li.lever.min, "max": li.lever.max, "unit": li.lever.unit or "",
                 "evidence": li.lever.evidence} for li in self.lever_infos()]
        cols = ["id", "group", "label", "path", "kind", "baseline", "min", "max", "unit",
                "evidence"]
        return pd.DataFrame(rows, columns=cols).set_index("id")

    def __repr__(self) -> str:
        s, e = self.period
        return (f"<ranks scenario {self.name!r}: {s}..{e}, {len(self.loaded.scenario.places)} "
                f"places, {len(self.loaded.scenario.experiments.levers)} levers>")


def load(scenario: str | Path | Scenario, set: dict[str, Any] | None = None) -> Scenario:  # noqa: A002
    """Load and validate a scenario file; ``set`` changes values (lever ids or dotted paths)
    before validation. Bad input raises :class:`ranks.errors.RanksInputError` (file, line,
    field)."""
    if isinstance(scenario, Scenario):
        if not set:
            return scenario
        scenario = scenario.path
    base = load_scenario(scenario)
    if not set:
        return Scenario(base)
    from ranks.scenario.levers import lever_overrides

    return Scenario(load_scenario(scenario, overrides=lever_overrides(base, set)))


class Results:
    """The outcome of :func:`run`: a run directory and its tables.

    Counts in ``events`` and ``stocks`` are of synthetic people at the run's scale, as in
    the files; :meth:`series` and :meth:`compare` give population figures (count / scale).
    """

    def __init__(self, path: str | Path) -> None:
        self.run_dir: RunDir = load_run_dir(path)

    @property
    def path(self) -> Path:
        """The run directory."""
        return self.run_dir.path

    @property
    def events(self) -> pd.DataFrame:
        """Daily event counts: replicate, date, actor, place, event, reason, destination,
        count (docs/outputs.md)."""
        return self.run_dir.events

    @property
    def stocks(self) -> pd.DataFrame:
        """Stock snapshots: replicate, date, stock, actor, place, category, value."""
        return self.run_dir.stocks

    @property
    def manifest(self) -> dict[str, Any]:
        return self.run_dir.manifest

    @property
    def scale(self) -> float:
        return self.run_dir.scale

    @property
    def replicates(self) -> list[int]:
        return self.run_dir.replicates

    @property
    def overrides(self) -> dict[str, Any]:
        """Values changed for this run (dotted path -> value)."""
        return dict(self.manifest.get("overrides") or {})

    def names(self) -> dict[str, list[str]]:
        """Event and stock names present in this run."""
        return {"events": self.run_dir.event_names(), "stocks": self.run_dir.stock_names()}

    def series(self, name: str, by: str | None = None, *, summary: bool = False,
               per: str | None = None, **filters: Any) -> pd.DataFrame:
        """Population figures over time for an event or a stock, one row per date (and key).

        Args:
            name: an event (people per week or month) or a stock (level at each snapshot).
            by: split by ``actor``, ``place``, ``category`` (stocks), ``reason``,
                ``destination`` (events); None sums everything kept.
            summary: one row per date (and key) with ``median``, ``low``, ``high`` across
                replicates (min-max, 5-95% from 20 replicates) instead of one column per
                replicate.
            per: events only: ``"week"``, ``"month"`` or ``"day"`` (default: weeks for runs
                up to about nine months, else months).
            filters: column -> value(s) to keep, e.g. ``actor="ISIS"``.

        Returns:
            Columns ``date``, the ``by`` column (when given), then one column per replicate
            (``r0``, ``r1``, ...) or ``median``, ``low``, ``high``.
        """
        run = self.run_dir
        if name in run.stock_names():
            frames = stock_series(run, name, by, **filters)
        elif name in run.event_names():
            freq = {"week": "W-MON", "month": "MS", "day": "D", None: None}[per]
            frames = (_daily(run, name, by, **filters) if freq == "D" else
                      event_series(run, name, by, freq=freq, **filters))
        else:
            raise KeyError(f"no event or stock {name!r} in this run; events: "
                           f"{', '.join(run.event_names())}; stocks: "
                           f"{', '.join(run.stock_names())}")
        parts = []
        for key, f in frames.items():
            if summary:
                med, lo, hi, _ = band(f)
                df = pd.DataFrame({"median": med, "low": lo, "high": hi})
            else:
                df = f.rename(columns=lambda r: f"r{r}")
                df.columns.name = None
            df.index.name = "date"
            df = df.reset_index()
            if by:
                df.insert(1, by, key)
            parts.append(df)
        if not parts:
            cols = ["date", *([by] if by else []),
                    *(["median", "low", "high"] if summary else
                      [f"r{r}" for r in run.replicates])]
            return pd.DataFrame(columns=cols)
        return pd.concat(parts, ignore_index=True)

    def totals(self, event: str | None = None, by: str = "event") -> pd.DataFrame:
        """Totals over the run (population figures): index key, one column per replicate."""
        t = event_totals(self.run_dir, event, by=by)
        return t.rename(columns=lambda r: f"r{r}")

    def compare(self, baseline: Results) -> pd.DataFrame:
        """Paired differences ``self - baseline`` (replicate r with replicate r, same seeds),
        as ``ranks compare``: outcome, mean_a (baseline), mean_b (this run), diff, lo, hi
        (95% t-interval across pairs; NaN with one pair)."""
        from ranks.report.compare import paired

        diffs, _reps, _warnings = paired(baseline.run_dir, self.run_dir)
        return pd.DataFrame([d.__dict__ for d in diffs]).set_index("outcome")

    def plot(self, name: str, by: str | None = None, *, ax: Axes | None = None,
             **filters: Any) -> Axes:
        """Median line per key with the band across replicates (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 3.5))
        df = self.series(name, by, summary=True, **filters)
        groups = df.groupby(by, sort=False) if by else [(name, df)]
        for key, g in groups:
            x = pd.to_datetime(g["date"])
            (line,) = ax.plot(x, g["median"], label=str(key), lw=1.5)
            if len(self.replicates) > 1:
                ax.fill_between(x, g["low"], g["high"], color=line.get_color(), alpha=0.2, lw=0)
        ax.set_title(name)
        ax.set_ylabel("people" if name in self.run_dir.event_names() or
                      name in ("people", "strength") else name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        return ax

    def report(self, path: str | Path | None = None) -> Path:
        """Write the self-contained HTML report (default ``<run dir>/report.html``)."""
        from ranks.report.run_report import build_report
        from ranks.report.targets import find_targets, load_targets

        found = find_targets(self.run_dir)
        lt = load_targets(found) if found is not None else None
        return build_report(self.path, Path(path) if path else None, lt,
                            "" if lt else "No targets file found for this scenario.")

    def __repr__(self) -> str:
        m = self.manifest
        return (f"<ranks results {self.run_dir.name!r}: {m.get('start')}..{m.get('end')}, "
                f"scale {self.scale:g}, {len(self.replicates)} replicate(s), {self.path}>")


def _daily(run: RunDir, name: str, by: str | None, **filters: Any) -> dict[str, pd.DataFrame]:
    ev = run.events[run.events["event"] == name]
    for col, want in filters.items():
        ev = ev[ev[col].isin([want] if isinstance(want, str) else list(want))]
    keys = ev[by].fillna("(none)") if by else pd.Series("all", index=ev.index)
    idx = pd.date_range(run.start, run.end - pd.Timedelta(days=1), freq="D")
    out = {}
    for key, sub in ev.groupby(keys):
        t = sub.groupby(["date", "replicate"])["count"].sum().unstack("replicate")
        out[str(key)] = t.reindex(index=idx, columns=run.replicates).fillna(0.0) / run.scale
    return out


def run(scenario: str | Path | Scenario, *, seed: int | None = None, scale: float = 1.0,
        replicates: int = 1, set: dict[str, Any] | None = None,  # noqa: A002
        until: str | dt.date | None = None, out: str | Path | None = None,
        force: bool = False, workers: int = 1,
        progress: Callable[[int, int], None] | None = None) -> Results:
    """Run a scenario and return its :class:`Results`.

    Args:
        scenario: a path or a :class:`Scenario` from :func:`load`.
        seed: root seed (default the scenario's); replicate r uses
            :func:`ranks.runner.replicate_seed` (same seeds, paired runs).
        scale: fraction of the population simulated.
        replicates: number of replicates.
        set: lever ids or dotted paths -> values (see :func:`load`).
        until: stop before this date.
        out: run directory to write (default: a new temporary directory); an existing one
            is refused unless ``force``.
        workers: Dask worker processes (replicates in parallel when > 1).
        progress: in-process runs call ``progress(replicate, day)`` after each day.
    """
    sc = load(scenario, set)
    until_d = dt.date.fromisoformat(until) if isinstance(until, str) else until
    if out is None:
        out = Path(tempfile.mkdtemp(prefix=f"ranks-{sc.name}-")) / "run"
    out = Path(out)
    if workers > 1:
        from ranks.ensemble.replicates import run_replicates_dask

        run_replicates_dask(sc.loaded, out, seed=seed, scale=scale, until=until_d,
                            force=force, replicates=replicates, workers=workers)
    else:
        from ranks.runner import run_scenario

        run_scenario(sc.loaded, out, seed=seed, scale=scale, until=until_d, force=force,
                     replicates=replicates, progress=progress)
    return Results(out)


def open_run(path: str | Path) -> Results:
    """The :class:`Results` of an existing run directory."""
    return Results(path)


__all__ = ["Results", "Scenario", "load", "open_run", "run"]
