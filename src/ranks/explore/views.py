"""What the explorer shows of a pair of runs (baseline and variant), as Bokeh figures and
HTML, without Panel: map at a date, strength by actor, displacement, camps and returns with
bands, paired differences. Population figures throughout (counts / scale).
"""

from __future__ import annotations

import pandas as pd

from ranks.report import figures as fg
from ranks.report import htmlkit as hk
from ranks.report.compare import Diff, fmt_ci, paired
from ranks.report.rundir import ALIVE_STATES, RunDir
from ranks.report.series import event_series, nonzero, stock_series, total
from ranks.report.targets import fmt_value

BASE, VAR = "baseline", "variant"
COLORS = {BASE: "#757575", VAR: "#1565c0"}
#: Outcomes shown first in the table of differences (then the rest, largest change first).
KEY_OUTCOMES = ("displaced at end (stock displaced)", "displaced at end (transit+camp+abroad)",
                "peak camp population", "total fled", "total returned", "total smuggled",
                "total stayed", "total interdicted", "total conscripted", "total detained",
                "total died", "total deserted", "total defected", "total settled")


def people_at(run: RunDir, date: pd.Timestamp) -> pd.Series:
    """Living people per place at the last snapshot on or before ``date`` (median across
    replicates)."""
    fr = stock_series(run, "people", by="place", category=list(ALIVE_STATES))
    if not fr:
        return pd.Series(dtype=float)
    dates = run.snapshot_dates()
    d = dates[dates <= date]
    at = d[-1] if len(d) else dates[0]
    return pd.Series({k: float(v.loc[at].median()) for k, v in fr.items()})


def flows_until(run: RunDir, date: pd.Timestamp) -> tuple[pd.DataFrame, str]:
    """People who fled from each origin to each destination up to ``date`` (mean over
    replicates): columns place, destination, n; and the event used (``fled`` with a
    destination, else ``arrived``)."""
    ev = run.events
    for name in ("fled", "arrived"):
        df = ev[(ev["event"] == name) & ev["destination"].notna()]
        if not df.empty:
            df = df[df["date"] <= date]
            g = df.groupby(["place", "destination"])["count"].sum() / (
                run.scale * len(run.replicates))
            return g.reset_index(name="n"), name
    return pd.DataFrame(columns=["place", "destination", "n"]), "fled"


def map_figure(run: RunDir, date: pd.Timestamp, role: str) -> object:
    """The governorate at ``date``: places sized by people there (camps show camp sizes),
    arrows of flight so far."""
    places = run.place_table()
    flows, fname = flows_until(run, date)
    return fg.flow_map(places, people_at(run, date), flows, flow_label=f"{fname} so far",
                       people_label="people there",
                       title=f"{role.capitalize()} on {date.date()}: people at each place "
                             "(size; camps as squares) and flight so far (arrows)",
                       width=760, height=560)


def _pair(base: RunDir, var: RunDir, get) -> dict[str, pd.DataFrame]:  # noqa: ANN001
    out = {}
    for role, run in ((VAR, var), (BASE, base)):
        f = get(run)
        if f is not None:
            out[role] = f
    return out


def displaced(run: RunDir) -> pd.DataFrame | None:
    """Displaced people: stock ``displaced`` when recorded, else people in transit, camps
    and abroad."""
    f = total(stock_series(run, "displaced"))
    return f if f is not None else total(
        stock_series(run, "people", category=["transit", "camp", "abroad"]))


def camps(run: RunDir) -> pd.DataFrame | None:
    """People in camps: stock ``camp_population``, else people in state camp."""
    f = total(stock_series(run, "camp_population"))
    return f if f is not None else total(stock_series(run, "people", category=["camp"]))


def displacement_figure(base: RunDir, var: RunDir) -> object | None:
    """Displaced, in camps, fled and returned per period: variant (blue) over baseline
    (grey, dashed), medians with bands across replicates."""
    per = "week" if (var.end - var.start).days <= 270 else "month"
    panels = []
    for title, get, ylab in (
            ("Displaced", displaced, "people"),
            ("In camps", camps, "people"),
            (f"Fled per {per}", lambda r: total(event_series(r, "fled")), f"people per {per}"),
            (f"Returned per {per}", lambda r: total(event_series(r, "returned")),
             f"people per {per}")):
        fr = nonzero(_pair(base, var, get))
        if fr:
            panels.append((title, fr, ylab))
    if not panels:
        return None
    return fg.series_grid(panels, colors=COLORS, dashed=[BASE], width=1000)


def strength_figure(base: RunDir, var: RunDir) -> object | None:
    """Members per actor: variant solid, baseline dashed, same colour per actor."""
    frames: dict[str, pd.DataFrame] = {}
    colors: dict[str, str] = {}
    dashed = []
    actors = list(var.actors)
    for role, run in ((VAR, var), (BASE, base)):
        for a, f in nonzero(stock_series(run, "strength", by="actor")).items():
            key = f"{a} ({role})"
            frames[key] = f
            i = actors.index(a) if a in actors else len(colors)
            colors[key] = var.actors.get(a, {}).get("color") or fg.PALETTE[i % len(fg.PALETTE)]
            if role == BASE:
                dashed.append(key)
    if not frames:
        return None
    return fg.lines(frames, "Strength by actor: variant (solid) and baseline (dashed)",
                    "members", colors=colors, dashed=dashed, width=1000, height=380, maxn=24)


def differences(base: RunDir, var: RunDir) -> tuple[list[Diff], list[int], list[str]]:
    """Paired differences variant - baseline (as ``ranks compare``)."""
    return paired(base, var)


def ordered(diffs: list[Diff]) -> list[Diff]:
    """Key outcomes first, then the rest by largest relative change."""
    first = {n: i for i, n in enumerate(KEY_OUTCOMES)}
    key = [d for d in diffs if d.outcome in first]
    key.sort(key=lambda d: first[d.outcome])
    rest = [d for d in diffs if d.outcome not in first and (d.mean_a or d.mean_b)]
    rest.sort(key=lambda d: -abs(d.diff) / max(abs(d.mean_a), 1.0))
    return key + rest


def diff_table(diffs: list[Diff], limit: int = 30) -> str:
    """HTML table of paired differences (key outcomes first)."""
    rows = [(d.outcome, fmt_value(d.mean_a), fmt_value(d.mean_b), fmt_value(d.diff),
             fmt_ci(d)) for d in ordered(diffs)[:limit]]
    return hk.table(["outcome", "baseline mean", "variant mean", "variant − baseline",
                     "95% interval"], rows, num_cols=(1, 2, 3))


def headline(diffs: list[Diff]) -> dict[str, float]:
    """A few key differences by outcome name (for the status line and tests)."""
    return {d.outcome: d.diff for d in diffs if d.outcome in KEY_OUTCOMES}


__all__ = ["camps", "diff_table", "differences", "displaced", "displacement_figure",
           "flows_until", "headline", "map_figure", "ordered", "people_at", "strength_figure"]
