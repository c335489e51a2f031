"""The explorer web app (Panel): pick a scenario, change its levers, run baseline and variant
as paired replicates in the background, and see what happens to people.

One :class:`Explorer` per browser session. Runs go to a shared :class:`~ranks.explore.jobs.Pool`
(Dask); a periodic callback on the session's event loop reads the job's progress and, when
the run directories are written, draws: a map of the region at a date chosen with a slider
(people at each place, camps as squares, flight so far), strength by actor, displaced, camp
and return series with bands, the paired differences with 95% intervals, and links to both
run directories and their reports. The app shows outcomes for people under the values the
analyst chose; it never searches lever values for any actor's advantage.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import panel as pn

from ranks.explore import views
from ranks.explore.jobs import PairedJob, Pool, new_pair_dir
from ranks.report.figures import diff_figure
from ranks.report.run_report import ETHICS
from ranks.report.rundir import RunDir, load_run_dir
from ranks.runner import load as load_scenario
from ranks.scenario.levers import LeverInfo, lever_overrides, resolve_levers
from ranks.scenario.loader import Loaded

EVIDENCE_STYLE = "font-size:11px;color:#666;line-height:1.25"
ETHICS_STYLE = ("font-size:12px;background:#e8f5e9;border-left:4px solid #43a047;"
                "padding:.3em .6em")
SCALES = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]


@dataclass
class Config:
    """What ``ranks explore`` was started with."""

    scenarios: list[Path]
    out: Path
    pool: Pool
    static_prefix: str = "/runs"
    scale: float = 0.1
    replicates: int = 4
    default: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    #: scenario path -> loaded scenario (the first session pays for loading)
    cache: dict[Path, Loaded] = field(default_factory=dict)


def find_scenarios(first: Path | None, root: Path | None = None) -> list[Path]:
    """``first`` and the scenarios beside it (or under ``root/scenarios``) that declare
    levers (an ``experiments:`` section)."""
    out: list[Path] = []
    if first is not None:
        out.append(first.resolve())
    folders = [first.parent] if first is not None else []
    if root is not None:
        folders.append(root / "scenarios")
    for folder in folders:
        for p in sorted(folder.glob("*.yaml")):
            try:
                text = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "\nexperiments:" in text and p.resolve() not in out:
                out.append(p.resolve())
    return out


def lever_widget(li: LeverInfo) -> Any:
    """The widget of one lever, set to the scenario's value."""
    lv = li.lever
    lo: Any = lv.min  # a number for the kinds below (checked by ranks.scenario.levers)
    hi: Any = lv.max
    name = lv.label + (f" ({lv.unit})" if lv.unit and lv.unit not in lv.label else "")
    kw: dict[str, Any] = {"label": name, "sizing_mode": "stretch_width",
                          "css_classes": [f"lever-{lv.id}"]}
    if li.kind == "bool":
        return pn.widgets.Checkbox(value=bool(li.baseline), **kw)
    if li.kind == "date":
        return pn.widgets.DatePicker(value=li.baseline, start=lv.min, end=lv.max, **kw)
    if li.kind == "pair":
        return pn.widgets.EditableRangeSlider(
            value=tuple(float(x) for x in li.baseline), start=float(lo),
            end=float(hi), step=lv.step or 1.0, format="0", **kw)
    if li.kind == "int":
        return pn.widgets.EditableIntSlider(value=int(li.baseline), start=int(lo),
                                            end=int(hi), step=int(lv.step or 1), **kw)
    step = lv.step or (float(hi) - float(lo)) / 100 or 0.01
    return pn.widgets.EditableFloatSlider(value=float(li.baseline), start=float(lo),
                                          end=float(hi), step=step, **kw)


def evidence_note(li: LeverInfo) -> Any:
    """A small line under a lever: its evidence and the path it changes."""
    lv = li.lever
    text = f"{lv.evidence}" + (f"; {lv.note}" if lv.note else "") + f" ({lv.path})"
    return pn.pane.HTML(f'<div style="{EVIDENCE_STYLE}">{html.escape(text)}</div>',
                        sizing_mode="stretch_width", margin=(0, 10, 8, 10))


def widget_value(li: LeverInfo, w: Any) -> Any:
    """A widget's value in the lever's type."""
    v = w.value
    if li.kind == "pair":
        whole = all(isinstance(b, int) for b in li.baseline)
        return [int(round(x)) if whole else float(x) for x in v]
    if li.kind == "int":
        return int(v)
    if li.kind == "date" and isinstance(v, dt.datetime):
        return v.date()
    return v


def changed_values(levers: list[LeverInfo], widgets: dict[str, Any]) -> dict[str, Any]:
    """Lever id -> value for the levers moved away from the scenario's value."""
    out = {}
    for li in levers:
        v = widget_value(li, widgets[li.id])
        base: Any = list(li.baseline) if li.kind == "pair" else li.baseline
        same = abs(float(v) - float(base)) < 1e-12 if li.kind == "float" else v == base
        if not same:
            out[li.id] = v
    return out


class Explorer:
    """The app of one browser session."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.loaded: Loaded | None = None
        self.levers: list[LeverInfo] = []
        self.widgets: dict[str, Any] = {}
        self.job: PairedJob | None = None
        self.runs: tuple[RunDir, RunDir] | None = None
        self.n_shown = 0
        self._cb: Any = None
        names = [p.stem for p in cfg.scenarios]
        self.scenario = pn.widgets.Select(label="Scenario", options=dict(zip(names, cfg.scenarios,
                                                                           strict=True)),
                                          value=cfg.scenarios[cfg.default])
        self.seed = pn.widgets.IntInput(label="Seed (both runs)", value=1,
                                        start=0, css_classes=["ranks-seed"], width=170)
        self.scale = pn.widgets.Select(label="Scale (share of people)",
                                       options=SCALES, value=cfg.scale,
                                       css_classes=["ranks-scale"], width=190)
        self.replicates = pn.widgets.EditableIntSlider(
            label="Paired replicates", start=1, end=10, value=cfg.replicates,
            css_classes=["ranks-replicates"])
        self.until = pn.widgets.TextInput(
            label="Stop before (YYYY-MM-DD; empty: the whole period)",
            value=cfg.extra.get("until", ""), css_classes=["ranks-until"])
        self.run_btn = pn.widgets.Button(label="Run baseline and variant", color="primary",
                                         sizing_mode="stretch_width")
        self.cancel_btn = pn.widgets.Button(label="Cancel", color="warning",
                                            disabled=True, sizing_mode="stretch_width")
        self.reset_btn = pn.widgets.Button(label="Reset levers to the scenario",
                                           sizing_mode="stretch_width")
        self.progress = pn.indicators.Progress(label="progress", value=0, max=1,
                                               sizing_mode="stretch_width", active=False)
        self.status = pn.pane.HTML("Pick levers and press Run.", sizing_mode="stretch_width")
        self.info = pn.pane.HTML("", sizing_mode="stretch_width")
        self.changed = pn.pane.HTML("", sizing_mode="stretch_width",
                                    styles={"color": "#0d47a1", "font-size": "13px"})
        self.lever_box = pn.Column(sizing_mode="stretch_width")
        self.map_date = pn.widgets.DateSlider(label="Date", start=dt.date(2000, 1, 1),
                                              end=dt.date(2000, 1, 2), value=dt.date(2000, 1, 2),
                                              visible=False, sizing_mode="stretch_width",
                                              css_classes=["ranks-map-date"])
        self.map_role = pn.widgets.RadioButtonGroup(options=[views.VAR, views.BASE],
                                                    value=views.VAR, visible=False)
        self.map_pane = pn.pane.Bokeh(None)
        self.empty = pn.pane.HTML("<p>Run baseline and variant to see the map, strength, "
                                  "displacement and the paired differences.</p>")
        self.strength_pane = pn.pane.Bokeh(None)
        self.disp_pane = pn.pane.Bokeh(None)
        self.diff_pane = pn.pane.Bokeh(None)
        self.diff_table = pn.pane.HTML("", sizing_mode="stretch_width")
        self.links = pn.pane.HTML("", sizing_mode="stretch_width")
        self.marker = pn.pane.HTML('<span id="ranks-state" data-shown="0"></span>')
        self.run_btn.on_click(lambda _e: self.start_run())
        self.cancel_btn.on_click(lambda _e: self.cancel_run())
        self.reset_btn.on_click(lambda _e: self.reset_levers())
        self.scenario.param.watch(lambda _e: self.load(), "value")
        self.map_date.param.watch(lambda _e: self.draw_map(), "value_throttled")
        self.map_role.param.watch(lambda _e: self.draw_map(), "value")
        self.load()

    # -- scenario and levers ---------------------------------------------------------------
    def load(self) -> None:
        """Load the selected scenario and build its lever widgets."""
        try:
            path = Path(self.scenario.value)
            if path not in self.cfg.cache:
                self.cfg.cache[path] = load_scenario(path)
            self.loaded = self.cfg.cache[path]
        except Exception as e:  # noqa: BLE001 - shown to the analyst
            self.loaded, self.levers = None, []
            self.lever_box.objects = []
            self.set_status(f"cannot load the scenario: {_msg(e)}", error=True)
            return
        sc = self.loaded.scenario
        self.levers = resolve_levers(self.loaded)
        self.widgets = {li.id: lever_widget(li) for li in self.levers}
        groups: dict[str, list[Any]] = {}
        for li in self.levers:
            groups.setdefault(li.lever.group or "Levers", []).extend(
                [self.widgets[li.id], evidence_note(li)])
        for w in self.widgets.values():
            w.param.watch(lambda _e: self.show_changed(), "value")
        self.lever_box.objects = [pn.Card(*ws, title=g, sizing_mode="stretch_width",
                                          collapsed=False) for g, ws in groups.items()] or [
            pn.pane.HTML("<p>This scenario declares no levers (no <code>experiments:</code> "
                         "section).</p>")]
        self.info.object = (f"<b>{html.escape(sc.name)}</b>: {sc.period.start} to "
                            f"{sc.period.end}, {len(sc.places)} places, "
                            f"{len(self.levers)} levers. {html.escape(sc.description or '')}")
        self.show_changed()

    def reset_levers(self) -> None:
        for li in self.levers:
            w = self.widgets[li.id]
            w.value = tuple(float(x) for x in li.baseline) if li.kind == "pair" else li.baseline

    def show_changed(self) -> None:
        ch = changed_values(self.levers, self.widgets)
        if not ch:
            self.changed.object = "Variant = baseline (no lever moved)."
            return
        lab = {li.id: li for li in self.levers}
        items = "".join(f"<li>{html.escape(lab[k].lever.label)}: "
                        f"{html.escape(str(_fmt(lab[k].baseline)))} → "
                        f"<b>{html.escape(str(_fmt(v)))}</b></li>" for k, v in ch.items())
        self.changed.object = f"Variant changes:<ul>{items}</ul>"

    # -- running -------------------------------------------------------------------------
    def start_run(self) -> None:
        """Start a paired job with the levers as set."""
        if self.loaded is None or (self.job is not None and not self.job.finished
                                   and self.job.state not in ("done", "reports")):
            return
        try:
            values = changed_values(self.levers, self.widgets)
            overrides = lever_overrides(self.loaded, values)
            if overrides:  # check now: a bad combination fails here, not in a worker
                load_scenario(self.scenario.value, overrides=overrides)
        except Exception as e:  # noqa: BLE001
            self.set_status(f"cannot run these values: {_msg(e)}", error=True)
            return
        try:
            until = parse_until(self.until.value, self.loaded)
        except ValueError as e:
            self.set_status(str(e), error=True)
            return
        out = new_pair_dir(self.cfg.out, self.loaded.scenario.name)
        self.job = PairedJob(Path(self.scenario.value), overrides, int(self.seed.value),
                             float(self.scale.value), int(self.replicates.value), out,
                             until=until).start(self.cfg.pool)
        self.run_btn.disabled = True
        self.cancel_btn.disabled = False
        self.progress.value, self.progress.active = 0, True
        self.set_status("starting…")
        if self._cb is None:
            self._cb = pn.state.add_periodic_callback(self.poll, period=250)

    def cancel_run(self) -> None:
        if self.job is not None and not self.job.finished:
            self.job.cancel()
            self.set_status("cancelling…")

    def poll(self) -> None:
        """Periodic: progress, then results when written, then report links."""
        job = self.job
        if job is None:
            return
        if job.total:
            self.progress.max = job.total
            self.progress.value = min(job.done, job.total)
        if job.state == "running":
            reuse = " (baseline reused)" if job.baseline_reused else ""
            self.set_status(f"running {job.done} of {job.total or '…'} replicates{reuse} on "
                            "Dask…")
        elif job.state == "writing":
            self.set_status("writing the run directories…")
        elif job.state in ("done", "reports", "finished") and job.variant_dir is not None:
            if self.runs is None or self.runs[1].path != job.variant_dir:
                self.show_results(job)
            if job.state == "finished":
                self.show_links(job)
                self._stop_polling()
        elif job.finished:
            self.set_status("cancelled: nothing was written." if job.state == "cancelled" else
                            f"failed: {job.error}", error=job.state == "failed")
            self._stop_polling()

    def _stop_polling(self) -> None:
        if self._cb is not None:
            self._cb.stop()
            self._cb = None
        self.run_btn.disabled = False
        self.cancel_btn.disabled = True
        self.progress.active = False

    def set_status(self, text: str, error: bool = False) -> None:
        color = "#b71c1c" if error else "#263238"
        self.status.object = (f'<span id="ranks-status" style="color:{color}">'
                              f"{html.escape(text)}</span>")

    # -- results -------------------------------------------------------------------------
    def show_results(self, job: PairedJob) -> None:
        assert job.baseline_dir is not None and job.variant_dir is not None
        base, var = load_run_dir(job.baseline_dir), load_run_dir(job.variant_dir)
        self.runs = (base, var)
        self.cancel_btn.disabled = True  # the runs are written: nothing left to cancel
        self.run_btn.disabled = False  # the next pair may start while reports are written
        dates = var.snapshot_dates()
        self.map_date.param.update(start=dates[0].date(), end=dates[-1].date(),
                                   value=dates[-1].date(), visible=True)
        self.map_role.visible = True
        self.empty.visible = False
        self.draw_map()
        self.strength_pane.object = views.strength_figure(base, var)
        self.disp_pane.object = views.displacement_figure(base, var)
        diffs, reps, warns = views.differences(base, var)
        fig = diff_figure(diffs, len(reps), title="Paired differences variant − baseline "
                                                  "(% of the baseline mean)")
        self.diff_pane.object = fig
        note = "".join(f"<p>{html.escape(w)}</p>" for w in warns)
        one = "<p>One replicate: no interval; run 2 or more for 95% intervals.</p>" \
            if len(reps) < 2 else ""
        self.diff_table.object = (f"<p>{len(reps)} paired replicate(s), seeds "
                                  f"{', '.join(str(base.seeds.get(r)) for r in reps)}; "
                                  "population figures.</p>" + note + one
                                  + views.diff_table(diffs))
        self.n_shown += 1
        h = views.headline(diffs)
        disp = h.get("displaced at end (stock displaced)",
                     h.get("displaced at end (transit+camp+abroad)", float("nan")))
        self.marker.object = (f'<span id="ranks-state" data-shown="{self.n_shown}" '
                              f'data-displaced-diff="{disp:.6g}"></span>')
        took = job.timings.get("written_s", 0.0)
        self.set_status(f"done in {took:.1f} s: {len(reps)} paired replicate(s) at scale "
                        f"{job.scale:g}" + (" (baseline reused)" if job.baseline_reused else "")
                        + "; writing reports…")
        self.show_links(job)

    def draw_map(self) -> None:
        if self.runs is None:
            return
        base, var = self.runs
        run = var if self.map_role.value == views.VAR else base
        self.map_pane.object = views.map_figure(run, pd.Timestamp(self.map_date.value),
                                                self.map_role.value)

    def show_links(self, job: PairedJob) -> None:
        rows = []
        for role, d in ((views.VAR, job.variant_dir), (views.BASE, job.baseline_dir)):
            if d is None:
                continue
            rel = _rel(d, self.cfg.out)
            files = " · ".join(
                f'<a href="{self.cfg.static_prefix}/{rel}/{f}" target="_blank">{f}</a>'
                for f in ("manifest.json", "events.parquet", "stocks.parquet",
                          "scenario.resolved.yaml"))
            rep = (f'<a class="ranks-report" href="{self.cfg.static_prefix}/{rel}/report.html" '
                   f'target="_blank">report</a>' if (d / "report.html").exists()
                   else "report: being written…")
            rows.append(f"<li><b>{role}</b>: <code>{html.escape(str(d))}</code><br>{rep} · "
                        f"{files}</li>")
        cmp = ""
        if job.baseline_dir and job.variant_dir:
            cmp = (f"<p>Same comparison on the command line: <code>ranks compare "
                   f"{html.escape(str(job.baseline_dir))} {html.escape(str(job.variant_dir))}"
                   "</code></p>")
        self.links.object = "<ul>" + "".join(rows) + "</ul>" + cmp
        if job.state == "finished":
            took = job.timings.get("written_s", 0.0)
            self.set_status(f"done in {took:.1f} s: {job.replicates} paired replicate(s) at "
                            f"scale {job.scale:g}"
                            + (" (baseline reused)" if job.baseline_reused else "")
                            + "; reports written.")

    # -- layout --------------------------------------------------------------------------
    def view(self) -> Any:
        side = pn.Column(
            "## Ranks explorer",
            pn.pane.HTML("What happens to people if… Change the levers the scenario declares "
                         "and compare with the scenario as written.",
                         sizing_mode="stretch_width"),
            self.scenario, self.info, pn.Row(self.seed, self.scale),
            self.replicates, self.until,
            pn.Row(self.run_btn, self.cancel_btn, sizing_mode="stretch_width"),
            self.progress, self.status, self.changed,
            "### Levers", self.reset_btn, self.lever_box,
            pn.pane.HTML(f'<div style="{ETHICS_STYLE}">{html.escape(ETHICS)}</div>',
                         sizing_mode="stretch_width"),
            width=420)
        tabs = pn.Tabs(
            ("Map", pn.Column(self.empty,
                              pn.Row(self.map_role, self.map_date, sizing_mode="stretch_width"),
                              self.map_pane)),
            ("Strength", self.strength_pane),
            ("Displacement, camps, returns", self.disp_pane),
            ("Paired differences", pn.Column(self.diff_pane, self.diff_table)),
            ("Runs and reports", self.links),
            dynamic=False)
        return pn.Row(side, pn.Column(tabs, self.marker, sizing_mode="stretch_width"),
                      sizing_mode="stretch_width")


def parse_until(text: str, loaded: Loaded) -> dt.date | None:
    """The 'stop before' date typed by the analyst (None when empty); ValueError when it is
    not a date inside the scenario's period."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"stop before: expected a date YYYY-MM-DD, got {text!r}") from None
    p = loaded.scenario.period
    if not p.start < d <= p.end:
        raise ValueError(f"stop before: {d} is outside the period {p.start}..{p.end}")
    return d


def _rel(d: Path, root: Path) -> str:
    try:
        return d.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return d.name


def _fmt(v: Any) -> Any:
    return f"{v:g}" if isinstance(v, float) else v


def _msg(e: Exception) -> str:
    from ranks.errors import RanksInputError

    return e.format() if isinstance(e, RanksInputError) else f"{type(e).__name__}: {e}"


def create_app(cfg: Config) -> Any:
    """A new session's page. Dask and the imports the first results need start once the
    first page has loaded, so they do not compete with it for the processor."""
    pn.extension()
    app = Explorer(cfg)
    pn.state.onload(lambda: start_background(cfg))
    return app.view()


def start_background(cfg: Config) -> None:
    """Start the Dask cluster (warmed with the first scenario) and warm this process's
    imports, once."""
    if cfg.extra.get("started"):
        return
    cfg.extra["started"] = True
    import threading

    from ranks.explore.jobs import warm_imports

    cfg.pool.start(warm=str(cfg.scenarios[0]))
    threading.Thread(target=warm_imports, daemon=True, name="ranks-explore-warm").start()


__all__ = ["Config", "Explorer", "changed_values", "create_app", "find_scenarios",
           "lever_widget"]
