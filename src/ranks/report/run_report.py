"""``ranks report``: one self-contained HTML page of a run directory.

Sections (each says so plainly when the run has no data for it): overview (event totals,
people by state), strength by actor and assignment, joins by motive, desertions and
defections by reason, minors' share, conscription/bribes/detentions, displacement (map of
flows, control strip, camp populations), deaths by cause, calibration targets, other stocks
and events. Population figures are synthetic counts divided by the run's scale. With several
replicates, lines are medians and shaded bands span min-max (5-95% from 20 replicates).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ranks.errors import RanksInputError
from ranks.report import figures as fg
from ranks.report import htmlkit as hk
from ranks.report.rundir import RunDir, is_count_stock, load_run_dir
from ranks.report.series import (
    band,
    event_series,
    event_totals,
    nonzero,
    people_under_control,
    stock_series,
    total,
)
from ranks.report.targets import (
    LoadedTargets,
    SeriesTarget,
    TargetResult,
    evaluate,
    fmt_value,
    pass_rates,
    result_rows,
    series_frame,
)

ETHICS = ("Scope: the people in this model are synthetic and places are aggregates; no real "
          "person is represented. Nothing here optimises an armed actor's recruitment, "
          "checkpoint, interdiction or punishment policy: experiments ask what happens to "
          "people if conditions change.")

#: Events shown in their own sections (others go to "Other events").
JOIN_EVENTS = ("joined", "switched")
LEAVE_EVENTS = ("deserted", "defected")
COERCION_EVENTS = ("conscripted", "registered", "evaded", "bribed_release", "detained",
                   "released", "raid", "property_confiscated")
FLIGHT_EVENTS = ("fled", "arrived", "interdicted", "returned")
DEATH_EVENTS = ("died", "killed", "executed", "forced_labour_death", "mine_death")
SERVICE_EVENTS = ("trained", "deployed", "rotated")
SHOWN_STOCKS = ("people", "strength", "minors_share", "control", "camp_population", "wanted",
                "hiding", "detained", "displaced", "in_transit")

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39"]


@dataclass
class Section:
    """One report section: id, title, an intro line, and body HTML parts."""

    id: str
    title: str
    intro: str = ""
    parts: list[str] = field(default_factory=list)

    def html(self) -> str:
        intro = f'<p class="note">{hk.esc(self.intro)}</p>' if self.intro else ""
        return (f'<section id="{self.id}"><h2>{hk.esc(self.title)}</h2>{intro}'
                + "".join(self.parts) + "</section>")


class Builder:
    """Builds the sections of one run's report."""

    def __init__(self, run: RunDir, targets: LoadedTargets | None, targets_note: str) -> None:
        self.run = run
        self.targets = targets
        self.targets_note = targets_note
        self.n_fig = 0
        self.multi = len(run.replicates) > 1
        self.colors: dict[str, str] = {}
        from matplotlib.colors import is_color_like

        for i, (aid, a) in enumerate(run.actors.items()):
            c = a.get("color")  # a run directory from elsewhere may hold any text here
            self.colors[aid] = c if isinstance(c, str) and is_color_like(c) else \
                PALETTE[i % len(PALETTE)]

    # -- helpers ------------------------------------------------------------------------
    def color(self, key: str, i: int) -> str:
        return self.colors.get(key) or PALETTE[i % len(PALETTE)]

    def fig(self, model: object, alt: str) -> str:
        """Embed an interactive figure (see :mod:`ranks.report.figures`)."""
        self.n_fig += 1
        return fg.embed(model, f"fig-{self.n_fig}", alt)

    def series_fig(self, panels: list[tuple[str, dict[str, pd.DataFrame], str]], alt: str,
                   step: bool = False, ncols: int = 2) -> str:
        """A grid of panels (title, frames, y label): median lines, bands, linked zoom."""
        return self.fig(fg.series_grid(panels, colors=self.colors, step=step, ncols=ncols),
                        alt)

    @property
    def per(self) -> str:
        return "week" if (self.run.end - self.run.start).days <= 270 else "month"

    def band_note(self) -> str:
        if not self.multi:
            return "One replicate: lines are that replicate."
        _, _, _, lab = band(pd.DataFrame(np.zeros((1, len(self.run.replicates)))))
        post = ("Each replicate ran with one parameter set drawn from the calibration's "
                "posterior, so the bands are posterior-predictive bands. "
                if self.run.manifest.get("posterior") else "")
        return (f"{len(self.run.replicates)} replicates: lines are medians, shaded bands "
                f"span {lab} across replicates. {post}").strip()

    # -- sections -----------------------------------------------------------------------
    def overview(self) -> Section:
        s = Section("overview", "Overview",
                    "Event totals over the run and people by state (population figures: "
                    "synthetic counts divided by the scale).")
        ppl = nonzero(stock_series(self.run, "people", by="category"))
        if ppl:
            s.parts.append("<h3>People by state</h3>")
            alive = {k: v for k, v in ppl.items() if k != "dead"}
            panels = [("Living people by state", alive, "people")]
            if "dead" in ppl:
                panels.append(("Dead (cumulative)", {"dead": ppl["dead"]}, "people"))
            s.parts.append(self.series_fig(panels, "people by state over time"))
        else:
            s.parts.append(hk.nodata("No 'people' stock in this run."))
        ev = self.run.events
        if ev.empty:
            s.parts.append(hk.nodata("No events were recorded in this run."))
        else:
            t = event_totals(self.run, None, by="event")
            rows: list[tuple[str, ...]] = []
            for name in t.index:
                vals = t.loc[name].to_numpy()
                rng = f"{fmt_value(vals.min())}–{fmt_value(vals.max())}" if self.multi else ""
                rows.append((name, fmt_value(float(np.mean(vals))), rng))
            hdr = ["event", "total (mean over replicates)" if self.multi else "total"]
            if self.multi:
                hdr.append("range")
            else:
                rows = [r[:2] for r in rows]
            s.parts.append(f"<details><summary>Event totals over the run ({len(rows)} "
                           "events; click to open)</summary>"
                           + hk.table(hdr, rows, num_cols=(1, 2)) + "</details>")
        return s

    def strength(self) -> Section:
        s = Section("strength", "Strength by actor and assignment",
                    "Members of each armed actor by assignment (training, guard, front, "
                    "distant, dangerous) at each stock snapshot.")
        st = self.run.stocks
        st = st[(st["stock"] == "strength") & (st["value"] != 0)]
        actors = [a for a in self.run.actors if a in set(st["actor"])] or \
            sorted(set(st["actor"].dropna()))
        if not actors:
            s.parts.append(hk.nodata("No members in this run (strength is zero throughout, "
                                     "or no module recruits)."))
            return s
        totals = {a: total(stock_series(self.run, "strength", actor=a)) for a in actors}
        panels = [("Total strength by actor", {a: v for a, v in totals.items() if v is not None},
                   "members")]
        for a in actors:
            panels.append((f"{a} by assignment",
                           nonzero(stock_series(self.run, "strength", by="category", actor=a)),
                           "members"))
        s.parts.append(self.series_fig(panels, "strength by actor and assignment"))
        return s

    def _event_section(self, sid: str, title: str, intro: str, groups: list[tuple[str, str]],
                       empty: str) -> Section:
        """Panels of events split by a column: groups = [(event, by)]."""
        s = Section(sid, title, intro)
        panels = []
        for ev, by in groups:
            fr = nonzero(event_series(self.run, ev, by=by))
            if fr:
                panels.append((f"{ev} by {by}", fr, f"people per {self.per}"))
        if not panels:
            s.parts.append(hk.nodata(empty))
        else:
            s.parts.append(self.series_fig(panels, title, step=True))
        return s

    def joins(self) -> Section:
        return self._event_section(
            "joins", "Joins by motive",
            f"People joining an armed actor per {self.per}, by motive, and by actor; switches "
            "between actors.",
            [("joined", "reason"), ("joined", "actor"), ("switched", "actor")],
            "No joins or switches in this run (no joining module, or nobody joined).")

    def leaving(self) -> Section:
        return self._event_section(
            "leaving", "Desertions and defections by reason",
            f"Members who deserted or defected per {self.per}, by reason; defections by "
            "destination.",
            [("deserted", "reason"), ("deserted", "actor"), ("defected", "reason"),
             ("defected", "destination")],
            "No desertions or defections in this run.")

    def minors(self) -> Section:
        s = Section("minors", "Minors' share",
                    "Share of each actor's members under 18 (not scaled).")
        fr = nonzero(stock_series(self.run, "minors_share", by="actor"))
        if not fr:
            s.parts.append(hk.nodata("No minors' share data (no members, or no minors)."))
        else:
            s.parts.append(self.series_fig([("Minors' share of members", fr, "share")],
                                           "minors share", ncols=1))
        return s

    def coercion(self) -> Section:
        s = Section("coercion", "Conscriptions, bribes, detentions",
                    f"Conscription, registration, evasion, bribed releases, detentions and "
                    f"releases per {self.per}; people wanted, hiding and detained.")
        panels = []
        ev = nonzero({k: v for k, v in ((e, total(event_series(self.run, e)))
                                        for e in COERCION_EVENTS) if v is not None})
        if ev:
            panels.append(("Coercion events", ev, f"people per {self.per}"))
        for e in ("conscripted", "detained", "bribed_release"):
            fr = nonzero(event_series(self.run, e, by="actor"))
            if fr:
                panels.append((f"{e} by actor", fr, f"people per {self.per}"))
        st = nonzero({k: v for k, v in ((n, total(stock_series(self.run, n)))
                                        for n in ("wanted", "hiding", "detained"))
                      if v is not None})
        if st:
            panels.append(("Wanted, hiding, detained (stocks)", st, "people"))
        if not panels:
            s.parts.append(hk.nodata("No conscription, bribe or detention data in this run."))
        else:
            s.parts.append(self.series_fig(panels, "coercion", step=False))
        return s

    def _flows(self) -> tuple[pd.DataFrame, str]:
        ev = self.run.events
        for name in ("fled", "arrived"):
            df = ev[(ev["event"] == name) & ev["destination"].notna()]
            if not df.empty:
                g = df.groupby(["place", "destination"])["count"].sum() / (
                    self.run.scale * len(self.run.replicates))
                return g.reset_index(name="n"), name
        return pd.DataFrame(columns=["place", "destination", "n"]), ""

    def displacement(self) -> Section:
        s = Section("displacement", "Displacement, control and camps",
                    "Map: places sized by population at the start, arrows from origin to "
                    "destination weighted by people who fled (mean over replicates). Strip: "
                    "who holds each place over time. Camp populations over time.")
        places = self.run.place_table()
        flows, fname = self._flows()
        if places.empty:
            s.parts.append(hk.nodata("No places with coordinates (scenario.resolved.yaml "
                                     "missing): no map."))
        else:
            s.parts.append("<h3>Map of flows</h3>")
            if flows.empty:
                s.parts.append(hk.nodata("No flight events with a destination in this run: "
                                         "the map shows places only."))
            s.parts.append(self.map_fig(places, flows, fname))
        s.parts.append("<h3>Control over time</h3>")
        strip = self.control_fig()
        s.parts.append(strip or hk.nodata("No control stock in this run."))
        s.parts.append("<h3>Flight over time and camp populations</h3>")
        panels = []
        fl = nonzero({k: v for k, v in ((e, total(event_series(self.run, e)))
                                        for e in FLIGHT_EVENTS) if v is not None})
        if fl:
            panels.append(("Flight events", fl, f"people per {self.per}"))
        camps = nonzero(stock_series(self.run, "camp_population", by="place"))
        label = "Camp population (stock camp_population)"
        if not camps and not places.empty:
            cp = places.index[places["type"] == "camp"].tolist()
            if cp:
                camps = nonzero(stock_series(self.run, "people", by="place", place=cp,
                                             category=[c for c in ("civilian", "camp",
                                                                   "hiding", "transit")]))
                label = "People at camp places (stock people)"
        if camps:
            panels.append((label, camps, "people"))
        disp = nonzero({k: v for k, v in ((n, total(stock_series(self.run, n)))
                                          for n in ("displaced", "in_transit")) if v is not None})
        if disp:
            panels.append(("Displaced and in transit (stocks)", disp, "people"))
        if not panels:
            s.parts.append(hk.nodata("No flight events and nobody in camps in this run."))
        else:
            s.parts.append(self.series_fig(panels, "flight and camps"))
        return s

    def map_fig(self, places: pd.DataFrame, flows: pd.DataFrame, fname: str) -> str:
        run = self.run
        pop = places["population"].astype(float)
        ppl = stock_series(run, "people", by="place",
                           category=["civilian", "hiding", "detained", "training", "serving",
                                     "deserted", "transit", "camp"])
        if ppl:
            d0 = run.snapshot_dates()[0]
            start = pd.Series({k: float(v.loc[d0].median()) for k, v in ppl.items()})
            pop = start.reindex(places.index).fillna(0.0)
        model = fg.flow_map(places, pop, flows, flow_label=fname or "fled",
                            people_label="people at the start",
                            title=f"Places (size: people at the start) and {fname or 'no'} "
                                  "flows (mean over replicates)")
        return self.fig(model, "map of places and displacement flows")

    def control_fig(self) -> str | None:
        run = self.run
        st = run.stocks
        c = st[(st["stock"] == "control") & (st["value"] > 0) &
               (st["replicate"] == run.replicates[0])]
        if c.empty:
            return None
        place_order = [p.name for p in run.places] or sorted(c["place"].unique())
        actors = [a for a in run.actors if a in set(c["actor"])] or sorted(c["actor"].unique())
        model = fg.control_strip(c[["date", "place", "actor"]], place_order, actors,
                                 {a: self.color(a, i) for i, a in enumerate(actors)}, run.end)
        return self.fig(model, "control of places over time")

    def deaths(self) -> Section:
        s = Section("deaths", "Deaths by cause",
                    f"Deaths per {self.per} by cause ('died' by reason), members killed by "
                    "actor, executions and other deaths.")
        panels = []
        fr = nonzero(event_series(self.run, "died", by="reason"))
        if fr:
            panels.append(("died by cause", fr, f"people per {self.per}"))
        fr = nonzero(event_series(self.run, "killed", by="actor"))
        if fr:
            panels.append(("members killed by actor", fr, f"people per {self.per}"))
        other = nonzero({k: v for k, v in ((e, total(event_series(self.run, e)))
                                           for e in DEATH_EVENTS[2:]) if v is not None})
        if other:
            panels.append(("executions and other deaths", other, f"people per {self.per}"))
        if not panels:
            s.parts.append(hk.nodata("No deaths recorded in this run."))
        else:
            s.parts.append(self.series_fig(panels, "deaths by cause", step=True))
        return s

    def calibration(self) -> Section:
        s = Section("targets", "Calibration targets",
                    "Each public figure against the simulated value (mean over replicates; "
                    "dots are replicates; with 5 or more, bars span their 90% and 50% "
                    "ranges). Grey band: the target's tolerance. Fitted targets informed "
                    "parameter values; held-out ones did not.")
        if self.targets is None:
            s.parts.append(hk.nodata(self.targets_note or "No targets file found."))
            return s
        try:
            res = evaluate(self.targets, self.run)
        except RanksInputError as e:
            s.parts.append(hk.nodata(f"The targets file does not fit this run: {e.format()}"))
            return s
        s.parts.append(f'<p class="note">Targets: {hk.esc(self.targets.path)}</p>')
        scalars = [r for r in res if not isinstance(r.target, SeriesTarget)]
        series = [r for r in res if isinstance(r.target, SeriesTarget)]
        if series:
            rates = pass_rates(res)
            s.parts.append('<p class="note">Pass rate of the figures with data (each point of '
                           "a dated series counts once): " + "; ".join(
                               f"{k.replace('_', '-')} {v['pass']} of {v['n']}"
                               for k, v in rates.items()) + ".</p>")
        for fitted in (True, False):
            sub = [r for r in scalars if r.target.used_in_fitting == fitted]
            rows = result_rows(sub) + [r for r in result_rows(series) if r["fitted"] == fitted]
            s.parts.append(f"<h3>{'Fitted' if fitted else 'Held-out'} targets ({len(rows)})</h3>")
            if not rows:
                s.parts.append(hk.nodata("None."))
                continue
            s.parts.append(hk.table(
                ["id", "description", "metric", "window", "target", "simulated", "evidence",
                 "result"],
                [(r["id"], r["description"], r["metric"], r["window"], r["target"],
                  r["simulated"], r["evidence"], r["status"] + (f" ({r['note']})" if r["note"]
                                                                else "")) for r in rows],
                num_cols=(5,),
                classes=[{"pass": "pass", "fail": "fail"}.get(r["status"], "nd") for r in rows]))
            if sub:
                s.parts.append(self.targets_fig(sub))
            if not fitted:
                s.parts.append(self.skill_html(res))
        if series:
            s.parts.append("<h3>Dated public series against the simulation</h3>")
            s.parts.append('<p class="note">Lines: the simulated series (median, band across '
                           "replicates); points: the public figures with their bands (filled: "
                           "held out of fitting, open: fitted; green passes, red fails). For "
                           "event counts each figure covers its own window and is drawn as a "
                           "bar against the simulated count of the same window.</p>")
            for r in series:
                s.parts.append(self.public_series_fig(r))
        return s

    def skill_html(self, res: list[TargetResult]) -> str:
        """Probabilistic skill of the held-out targets (docs/calibration.md)."""
        from ranks.calibrate.skill import LEVELS, heldout_skill

        if not self.multi:
            return hk.nodata("Probabilistic skill needs 2 or more replicates (e.g. ranks run "
                             "... --posterior DIR --replicates 20).")
        cal = (self.run.manifest.get("posterior") or {}).get("dir")
        sk = heldout_skill(res, cal)
        if not sk.n:
            return hk.nodata("No held-out target with a value and data: no skill scores.")
        rows = []
        for sc in sk.scores:
            rows.append((sc.obs.label, fmt_value(sc.obs.observed),
                         *(("in" if sc.hits[lev] else "out") +
                           f" ({fmt_value(sc.interval[lev][0])}–"
                           f"{fmt_value(sc.interval[lev][1])})" for lev in LEVELS),
                         fmt_value(sc.crps),
                         "n/a" if sc.crps_baseline is None else fmt_value(sc.crps_baseline),
                         "n/a" if sc.skill is None else f"{sc.skill:+.2f}"))
        skill = sk.skill()
        what = ("posterior-predictive" if cal else "replicate")
        intro = (f"Probabilistic skill on held-out targets ({what} intervals: the "
                 "replicates plus each figure's reporting error). Coverage "
                 + ", ".join(f"{int(lev * 100)}%: {sk.coverage(lev):.0%}" for lev in LEVELS)
                 + f"; mean CRPS {fmt_value(sk.mean_crps())}"
                 + ("" if skill is None else
                    f"; skill against the prior predictive {skill:+.2f} (1 perfect, 0 no "
                    "better, below 0 worse)") + ".")
        return (f'<p class="note">{hk.esc(intro)}</p>' + hk.table(
            ["id", "reported", "50% interval", "80% interval", "95% interval", "CRPS",
             "baseline CRPS", "skill"], rows, num_cols=(1, 5, 6, 7)))

    def public_series_fig(self, r: TargetResult) -> str:
        """One dated public series (a :class:`SeriesTarget`) over the simulation."""
        t = r.target
        assert isinstance(t, SeriesTarget)
        frame = None if t.measure == "event_sum" else series_frame(t, self.run)
        return self.fig(fg.public_series(r, frame), f"series {t.id} against the simulation")

    def targets_fig(self, res: list[TargetResult]) -> str:
        return self.fig(fg.target_strips(res), "calibration targets against simulation")

    def others(self) -> Section:
        s = Section("other", "Other stocks and events",
                    "Stocks and events recorded by modules that the sections above do not "
                    "show: counts summed over places and categories (by actor where they have "
                    "one); indices by place averaged over places.")
        panels = []
        for name in self.run.stock_names():
            if name in SHOWN_STOCKS:
                continue
            sub = self.run.stocks[self.run.stocks["stock"] == name]
            by = "actor" if sub["actor"].notna().any() else None
            if is_count_stock(name) or by == "actor" or not sub["place"].notna().any():
                fr = nonzero(stock_series(self.run, name, by=by))
                title = f"stock {name}"
            else:  # an index by place: the mean over places, not the sum
                per = stock_series(self.run, name, by="place")
                fr = nonzero({"mean over places": sum(per.values()) / len(per)} if per else {})
                title = f"stock {name} (mean over {len(per)} places)"
            if fr:
                panels.append((title, fr, name))
        shown = set(JOIN_EVENTS + LEAVE_EVENTS + COERCION_EVENTS + FLIGHT_EVENTS +
                    DEATH_EVENTS)
        rest = nonzero({k: v for k, v in ((e, total(event_series(self.run, e)))
                                          for e in self.run.event_names() if e not in shown)
                        if v is not None})
        if rest:
            panels.append(("other events", rest, f"people per {self.per}"))
        if not panels:
            s.parts.append(hk.nodata("No other stocks or events in this run."))
        else:
            s.parts.append(self.series_fig(panels, "other stocks and events"))
        return s


def header_html(run: RunDir) -> str:
    """Scenario name, seeds, scale, dates, runtime, version."""
    m = run.manifest
    seeds = ", ".join(str(s) for s in run.seeds.values()) or str(m.get("seed", "?"))
    mods = ", ".join(m.get("modules") or []) or "none"
    rt = m.get("runtime_s")
    return (f"<h1>Ranks run report: {hk.esc(run.name)}</h1><div class=\"meta\">"
            f"Run directory <code>{hk.esc(run.path)}</code><br>"
            f"Dates {hk.esc(m.get('start', '?'))} to {hk.esc(m.get('end', '?'))} "
            f"({hk.esc(m.get('days', '?'))} days) · scale {run.scale:g} "
            f"({hk.esc(m.get('people', '?'))} synthetic people) · "
            f"{len(run.replicates)} replicate(s), seed(s) {hk.esc(seeds)}<br>"
            f"Modules: {hk.esc(mods)} · runtime {hk.esc(rt if rt is not None else '?')} s · "
            f"peak memory {hk.esc(m.get('peak_rss_mb', '?'))} MB · ranks "
            f"{hk.esc(m.get('ranks_version', '?'))} · scenario sha256 "
            f"{hk.esc(str((m.get('scenario') or {}).get('sha256', '?'))[:12])}</div>")


def how_to_read(run: RunDir, b: Builder) -> str:
    return (
        "<section id=\"howto\"><h2>How to read this</h2><p class=\"note\">"
        f"All figures are population figures: counts of synthetic people divided by the run's "
        f"scale ({run.scale:g}), so they estimate the whole modelled population; shares are "
        "not scaled. Event plots show people per "
        f"{b.per} (steps); stock plots show the level at each snapshot. "
        f"{hk.esc(b.band_note())} A section without data says so instead of showing an empty "
        "plot. The model is a tool to explore mechanisms, not a forecast: compare scenarios "
        "rather than reading single numbers as facts.</p>"
        f"<p class=\"ethics\">{hk.esc(ETHICS)}</p></section>")


def build_report(run_dir: str | Path, out: Path | None = None,
                 targets: LoadedTargets | None = None, targets_note: str = "") -> Path:
    """Write the report of ``run_dir`` to ``out`` (default ``run_dir/report.html``),
    atomically. The default file is replaced; an existing ``out`` only when it is a page
    Ranks wrote. Returns the path written."""
    t0 = time.perf_counter()
    run = load_run_dir(run_dir)
    default = out is None  # the run directory's own report.html is always replaced
    out = out or run.path / "report.html"
    b = Builder(run, targets, targets_note)
    makers: list[Callable[[], Section]] = [b.overview, b.strength, b.joins, b.leaving,
                                           b.minors, b.coercion, b.displacement, b.deaths,
                                           b.calibration, b.others]
    sections = [m() for m in makers]
    nav = "<nav>" + "".join(f'<a href="#{s.id}">{hk.esc(s.title)}</a>' for s in sections) + \
        "</nav>"
    took = time.perf_counter() - t0
    foot = (f'<p class="note">Generated {dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}'
            f" in {took:.1f} s by <code>ranks report</code>.</p>")
    body = nav + how_to_read(run, b) + "".join(s.html() for s in sections) + foot
    return hk.write_atomic(hk.page(f"Ranks report: {run.name}", header_html(run), body), out,
                           replace_any=default)


__all__ = ["build_report", "people_under_control"]
