"""Interactive figures (Bokeh), one function per figure, shared by the run report, the
comparison page and ``ranks explore``.

Every function takes plain data (series frames from :mod:`ranks.report.series`, place
tables, paired differences) and returns a Bokeh model; :func:`embed` turns a model into an
HTML fragment for a self-contained page whose BokehJS is inlined once (:func:`bokeh_js`, no
CDN, about 1.3 MB). Figures zoom (wheel, box, reset), show values on hover, and hide or
show a series when its legend entry is clicked.

Series frames are indexed by date with one column per replicate; a line is the median
across replicates and the shaded band spans min-max (5-95% from 20 replicates), as in
:func:`ranks.report.series.band`. Values are population figures (counts / scale) unless
the caller says otherwise.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from bokeh.embed import json_item
from bokeh.layouts import column, gridplot
from bokeh.models import (
    Arrow,
    ColumnDataSource,
    FactorRange,
    GlyphRenderer,
    HoverTool,
    Legend,
    LegendItem,
    Line,
    NumeralTickFormatter,
    Range1d,
    Span,
    Step,
    VArea,
    VAreaStep,
    VeeHead,
)
from bokeh.plotting import figure

from ranks.report.series import band, total

if TYPE_CHECKING:
    from bokeh.model import Model

    from ranks.report.compare import Diff
    from ranks.report.targets import TargetResult

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39"]
TOOLS = "pan,wheel_zoom,box_zoom,reset,save"
#: Place types: marker and colour on maps.
PLACE_STYLE = {"city": ("circle", "#37474f"), "town": ("circle", "#546e7a"),
               "subdistrict": ("circle", "#90a4ae"), "camp": ("square", "#e65100"),
               "crossing": ("diamond", "#6a1b9a"), "abroad": ("triangle", "#2e7d32")}
FLOW_COLOR = "#c62828"
PanelSpec = tuple[str, dict[str, pd.DataFrame], str]


@functools.cache
def bokeh_js() -> str:
    """``<script>`` holding BokehJS (core only) inline, read from the installed package: pages
    need no network. (Not ``bokeh.resources``: extensions loaded in the same process, e.g.
    Panel's, would add external script tags.)"""
    from bokeh.util.paths import bokehjs_path

    code = (bokehjs_path() / "js" / "bokeh.min.js").read_text(encoding="utf-8")
    code = code.replace("</script", "<\\/script")
    return ("<script>\n" + code + "\n</script>\n"
            '<script>Bokeh.set_log_level("warn");</script>')


#: Defines ``ranksEmbed(item, id)``: queue one figure; figures are drawn one after the
#: other (visible ones first), so the first shows without waiting for the whole page; each
#: is marked ``data-rendered="yes"`` once drawn with a non-zero size (``"no"`` on failure).
EMBED_JS = """<style>div.fig[data-kind=bokeh]:not([data-rendered]){min-height:300px}</style>
<script>
var ranksQ=[],ranksBusy=false,ranksObs=null;
function ranksMarkFig(el,ok){el.setAttribute('data-rendered',
 (ok&&el.offsetWidth>0&&el.firstElementChild)?'yes':'no');}
function ranksNext(){if(ranksBusy||!ranksQ.length)return;ranksBusy=true;
 var j=ranksQ.shift(),el=document.getElementById(j.id);
 function done(ok){ranksMarkFig(el,ok);ranksBusy=false;setTimeout(ranksNext,0);}
 try{Bokeh.embed.embed_item(j.item,j.id).then(function(){done(true);},
   function(){done(false);});}catch(e){done(false);}}
if('IntersectionObserver' in window){ranksObs=new IntersectionObserver(function(es){
 es.forEach(function(e){if(!e.isIntersecting)return;ranksObs.unobserve(e.target);
  var k=ranksQ.findIndex(function(j){return j.id===e.target.id;});
  if(k>0)ranksQ.unshift(ranksQ.splice(k,1)[0]);});ranksNext();},{rootMargin:'400px'});}
function ranksEmbed(item,id){ranksQ.push({item:item,id:id});
 if(ranksObs)ranksObs.observe(document.getElementById(id));}
document.addEventListener('DOMContentLoaded',ranksNext);
</script>"""


def embed(model: Model, fig_id: str, alt: str) -> str:
    """HTML for one figure: a ``<div class="fig">`` and the script that renders it."""
    import html

    item = json.dumps(json_item(model), separators=(",", ":")).replace("</", "<\\/")
    return (f'<div class="fig" id="{html.escape(fig_id)}" data-kind="bokeh" role="img" '
            f'aria-label="{html.escape(alt)}"></div>'
            f"<script>ranksEmbed({item},{json.dumps(fig_id)});</script>")


def _x(index: pd.Index) -> np.ndarray:
    return pd.DatetimeIndex(index).to_numpy(dtype="datetime64[ms]")


def _renderer(f: Any, src: ColumnDataSource, glyph: Any, name: str | None = None) -> Any:
    """Add a glyph renderer with Bokeh's automatic selection and muted glyphs (made in the
    browser, not as models here: fewer models, smaller and faster pages)."""
    r = GlyphRenderer(data_source=src, glyph=glyph, name=name)
    f.renderers.append(r)
    return r


def top_series(frames: dict[str, pd.DataFrame], maxn: int = 12) -> list[tuple[str, pd.DataFrame]]:
    """The largest ``maxn`` series (by sum), the rest summed into 'other'."""
    items = sorted(frames.items(), key=lambda kv: -float(kv[1].to_numpy().sum()))
    if len(items) > maxn:
        rest = total(dict(items[maxn - 1:]))
        assert rest is not None
        items = [*items[:maxn - 1], ("other", rest)]
    return items


def lines(frames: dict[str, pd.DataFrame], title: str, ylabel: str, *,
          colors: dict[str, str] | None = None, step: bool = False,
          width: int = 520, height: int = 290, x_range: Any = None,
          maxn: int = 12, dashed: Sequence[str] = ()) -> Any:
    """One panel: median line and band per series, hover values, legend toggles.

    Args:
        frames: key -> frame (date index, one column per replicate).
        step: draw steps (counts per period) instead of lines (levels at snapshots).
        x_range: share another figure's x range (linked zoom).
        dashed: keys drawn with dashed lines (e.g. a baseline under its variant).
    """
    kw: dict[str, Any] = {"x_range": x_range} if x_range is not None else {}
    f = figure(width=width, height=height, x_axis_type="datetime", tools=TOOLS,
               title=title, active_scroll=None, **kw)
    f.title.text_font_size = "10pt"
    f.yaxis.axis_label = ylabel
    f.yaxis.formatter = NumeralTickFormatter(format="0,0.[00]")
    f.toolbar.logo = None
    multi = any(fr.shape[1] > 1 for fr in frames.values())
    renderers = []
    items = []
    for i, (key, fr) in enumerate(top_series(frames, maxn)):
        med, lo, hi, _ = band(fr)
        c = (colors or {}).get(key) or PALETTE[i % len(PALETTE)]
        src = ColumnDataSource({"x": _x(med.index), "y": med.to_numpy(float),
                                "lo": lo.to_numpy(float), "hi": hi.to_numpy(float)})
        parts = []
        if multi:
            area = (VAreaStep(x="x", y1="lo", y2="hi", step_mode="after", fill_color=c,
                              fill_alpha=0.2) if step else
                    VArea(x="x", y1="lo", y2="hi", fill_color=c, fill_alpha=0.2))
            parts.append(_renderer(f, src, area))
        dash = "dashed" if key in dashed else "solid"
        glyph = (Step(x="x", y="y", line_color=c, line_width=1.6, mode="after",
                      line_dash=dash) if step else
                 Line(x="x", y="y", line_color=c, line_width=1.6, line_dash=dash))
        ln = _renderer(f, src, glyph, name=str(key))
        parts.append(ln)
        renderers.append(ln)
        items.append((str(key), parts))
    tips = [("series", "$name"), ("date", "@x{%F}"), ("value", "@y{0,0.[00]}")]
    if multi:
        tips.append(("band", "@lo{0,0.[00]} – @hi{0,0.[00]}"))
    f.add_tools(HoverTool(renderers=renderers, tooltips=tips, formatters={"@x": "datetime"},
                          mode="vline", visible=False))
    if items:
        leg = Legend(items=items, click_policy="hide", label_text_font_size="7pt",
                     spacing=0, padding=4, margin=4, background_fill_alpha=0.7,
                     location="top_left")
        f.add_layout(leg)
    return f


def series_grid(panels: Sequence[PanelSpec], *, colors: dict[str, str] | None = None,
                step: bool = False, ncols: int = 2, dashed: Sequence[str] = (),
                width: int = 1040) -> Any:
    """Panels (title, frames, y label) in a grid with linked x zoom."""
    n = len(panels)
    ncols = max(1, min(ncols, n))
    w = width // ncols
    figs: list[Any] = []
    for title, frames, ylab in panels:
        xr = figs[0].x_range if figs else None
        figs.append(lines(frames, title, ylab, colors=colors, step=step, width=w,
                          height=290 if ncols > 1 else 320, x_range=xr, dashed=dashed))
    if n == 1:
        return figs[0]
    return gridplot(figs, ncols=ncols, merge_tools=True, toolbar_options={"logo": None})


def flow_map(places: pd.DataFrame, people: pd.Series, flows: pd.DataFrame, *, title: str,
             people_label: str = "people", flow_label: str = "fled",
             width: int = 820, height: int = 620, max_flows: int = 60) -> Any:
    """Places at their coordinates sized by ``people``, arrows origin -> destination
    weighted by ``flows.n``.

    Args:
        places: index place name; columns type, lat, lon (degrees).
        people: people per place (population figures), sizes the markers.
        flows: columns place (origin), destination, n (people).
    """
    lat0 = float(places["lat"].mean()) if len(places) else 0.0
    f = figure(width=width, height=height, tools=TOOLS, title=title, match_aspect=True,
               aspect_scale=1 / max(math.cos(math.radians(lat0)), 0.2), active_scroll=None,
               x_axis_label="longitude", y_axis_label="latitude")
    f.title.text_font_size = "10pt"
    f.toolbar.logo = None
    pop = people.reindex(places.index).fillna(0.0).astype(float)
    vmax = max(float(pop.max()) if len(pop) else 0.0, 1.0)
    fl = flows.copy()
    fl = fl[fl["place"].isin(places.index) & fl["destination"].isin(places.index)
            & (fl["n"] > 0)]
    fl = fl.sort_values("n", ascending=False).head(max_flows)
    if not fl.empty:
        nmax = float(fl["n"].max())
        a = places.loc[fl["place"]]
        b = places.loc[fl["destination"]]
        src = ColumnDataSource({
            "x0": a["lon"].to_numpy(float), "y0": a["lat"].to_numpy(float),
            "x1": b["lon"].to_numpy(float), "y1": b["lat"].to_numpy(float),
            "w": 0.6 + 7.0 * np.sqrt(fl["n"].to_numpy(float) / nmax),
            "origin": fl["place"].astype(str).to_numpy(),
            "dest": fl["destination"].astype(str).to_numpy(),
            "n": fl["n"].to_numpy(float)})
        seg = f.segment("x0", "y0", "x1", "y1", source=src, line_width="w", color=FLOW_COLOR,
                        alpha=0.45, legend_label=f"{flow_label} (widest {nmax:,.0f})")
        f.add_layout(Arrow(end=VeeHead(size=8, fill_color=FLOW_COLOR, line_color=FLOW_COLOR,
                                       fill_alpha=0.6, line_alpha=0.6),
                           x_start="x0", y_start="y0", x_end="x1", y_end="y1", source=src,
                           line_alpha=0.0))
        f.add_tools(HoverTool(renderers=[seg], tooltips=[
            ("flow", "@origin → @dest"), (flow_label, "@n{0,0}")], visible=False))
    pts = []
    for t, (marker, color) in PLACE_STYLE.items():
        sub = places[places["type"] == t]
        if sub.empty:
            continue
        v = pop.reindex(sub.index).to_numpy(float)
        src = ColumnDataSource({"x": sub["lon"].to_numpy(float), "y": sub["lat"].to_numpy(float),
                                "s": 6.0 + 38.0 * np.sqrt(v / vmax),
                                "name": sub.index.astype(str).to_numpy(), "v": v,
                                "type": np.array([t] * len(sub))})
        pts.append(f.scatter("x", "y", source=src, size="s", marker=marker, color=color,
                             alpha=0.6, line_color="white", legend_label=t))
    if pts:
        f.add_tools(HoverTool(renderers=pts, tooltips=[
            ("place", "@name (@type)"), (people_label, "@v{0,0}")], visible=False))
    big = set(pop.sort_values(ascending=False).head(12).index) | set(
        places.index[places["type"].isin(["camp", "abroad"])])
    lab = places.loc[[p for p in places.index if p in big]]
    if not lab.empty:
        f.text(lab["lon"].to_numpy(float), lab["lat"].to_numpy(float),
               text=lab.index.astype(str).tolist(), text_font_size="7pt", x_offset=4,
               y_offset=-2)
    f.legend.click_policy = "hide"
    f.legend.label_text_font_size = "7pt"
    f.legend.location = "top_left"
    return f


def control_strip(control: pd.DataFrame, place_order: list[str], actor_order: list[str],
                  colors: dict[str, str], end: pd.Timestamp) -> Any:
    """Who holds each place over time: one row per place, one bar per spell.

    Args:
        control: columns date, place, actor (rows where the actor holds the place), at
            each stock snapshot.
        end: the day after the last simulated day.
    """
    c = control.sort_values(["place", "date"])
    rows = []
    for place, sub in c.groupby("place", sort=False):
        d = sub["date"].to_numpy()
        a = sub["actor"].to_numpy()
        start = 0
        for i in range(1, len(a) + 1):
            if i == len(a) or a[i] != a[start]:
                rows.append((place, a[start], d[start], d[i] if i < len(a) else end))
                start = i
    held = [p for p in place_order if p in set(c["place"])]
    f = figure(width=1040, height=60 + 14 * len(held), x_axis_type="datetime",
               y_range=FactorRange(*reversed(held)), tools=TOOLS, active_scroll=None,
               title="Control of each place over time")
    f.title.text_font_size = "10pt"
    f.toolbar.logo = None
    f.yaxis.major_label_text_font_size = "6pt"
    df = pd.DataFrame(rows, columns=["place", "actor", "start", "stop"])
    rs = []
    for i, actor in enumerate(actor_order):
        sub = df[df["actor"] == actor]
        if sub.empty:
            continue
        src = ColumnDataSource({"place": sub["place"].tolist(), "left": _x(sub["start"]),
                                "right": _x(sub["stop"]), "actor": sub["actor"].tolist()})
        rs.append(f.hbar(y="place", left="left", right="right", height=0.9, source=src,
                         color=colors.get(actor) or PALETTE[i % len(PALETTE)],
                         legend_label=actor))
    f.add_tools(HoverTool(renderers=rs, tooltips=[
        ("place", "@place"), ("held by", "@actor"), ("from", "@left{%F}"),
        ("until", "@right{%F}")], formatters={"@left": "datetime", "@right": "datetime"},
        visible=False))
    if rs:
        f.add_layout(f.legend[0], "right")
        f.legend.click_policy = "hide"
        f.legend.label_text_font_size = "7pt"
    return f


def target_strips(results: list[TargetResult]) -> Any:
    """One strip per calibration target: grey band = tolerance, black tick = target,
    dots = replicates, diamond = mean, bars = the replicates' 50% (thick) and 90% ranges
    (from 5 replicates); green passes, red fails, brown has no data."""
    from ranks.report.targets import Target

    figs = []
    for r in results:
        t = r.target
        assert isinstance(t, Target)  # scalar targets (series: public_series)
        lo, hi = t.bounds()
        vals = r.values
        span = [t.value, *(vals.tolist() if vals.size else [])]
        span += [b for b in (lo, hi) if np.isfinite(b)]
        xmin, xmax = min(span), max(span)
        pad = 0.1 * (xmax - xmin) or max(abs(t.value) * 0.1, 1.0)
        xmin, xmax = xmin - pad, xmax + pad
        col = {"pass": "#1b5e20", "fail": "#b71c1c"}.get(r.status, "#795548")
        f = figure(width=820, height=78, tools="xpan,xwheel_zoom,reset", active_scroll=None,
                   x_range=Range1d(xmin, xmax), y_range=Range1d(-1, 1),
                   title=f"{t.id}: {r.status}")
        f.title.text_color = col
        f.title.text_font_size = "9pt"
        f.toolbar.logo = None
        f.yaxis.visible = False
        f.ygrid.visible = False
        f.xaxis.formatter = NumeralTickFormatter(format="0,0.[000]")
        f.hbar(y=[0], left=[max(lo, xmin)], right=[min(hi, xmax)], height=2,
               color="#bdbdbd", alpha=0.6)
        tr = f.scatter([t.value], [0], marker="dash", size=24, angle=math.pi / 2,
                       color="black", line_width=2)
        f.add_tools(HoverTool(renderers=[tr], tooltips=[
            ("target", t.describe_target())], visible=False))
        if vals.size >= 5:  # the replicates' (posterior-predictive) 50% and 90% ranges
            q = np.quantile(vals, [0.05, 0.25, 0.75, 0.95])
            f.segment(x0=[q[0]], y0=[0], x1=[q[3]], y1=[0], color=col, line_width=2,
                      alpha=0.5)
            f.segment(x0=[q[1]], y0=[0], x1=[q[2]], y1=[0], color=col, line_width=6,
                      alpha=0.5)
        if vals.size:
            dots = f.scatter(vals, np.zeros_like(vals), size=7, color=col, alpha=0.6)
            mean = f.scatter([r.mean], [0], marker="diamond", size=14, color=col)
            f.add_tools(HoverTool(renderers=[dots, mean], tooltips=[
                ("simulated", "@x{0,0.[000]}")], visible=False))
        figs.append(f)
    return column(*figs)


def public_series(r: TargetResult, frame: pd.DataFrame | None) -> Any:
    """A dated public series against the simulation. Each reported figure is drawn with its
    band (whisker ``low``-``high``); open marks were fitted, filled ones held out. Event
    counts (``event_sum``): per window, the reported figure as a bar beside the simulated
    count of the same window (diamond: mean over replicates; green passes, red fails; no
    diamond: no data). Stocks: the simulated series ``frame`` (median and band over
    replicates; date index, one column per replicate) with the reported points at the middle
    of their date or window (green passes, red fails, brown no data). Hovering a figure
    shows its window, reported value and band, simulated mean, result and whether it was
    fitted; legend entries toggle."""
    from ranks.report.targets import SeriesTarget

    t = r.target
    assert isinstance(t, SeriesTarget)
    title = f"{t.id}: {r.note}" if r.note else t.id
    pts = list(r.points)
    color = [{"pass": "#1b5e20", "fail": "#b71c1c"}.get(pr.status, "#795548") for pr in pts]
    data: dict[str, Any] = {
        "label": [pr.point.label for pr in pts], "reported": [pr.point.value for pr in pts],
        "low": [pr.point.low for pr in pts], "high": [pr.point.high for pr in pts],
        "sim": [pr.mean for pr in pts], "color": color,
        "result": [pr.status + (f" ({pr.note})" if pr.note else "") for pr in pts],
        "use": ["fitted" if pr.point.used_in_fitting else "held out" for pr in pts]}
    tips = [("figure", "@label"), ("reported", "@reported{0,0} (@low{0,0} – @high{0,0})"),
            ("simulated", "@sim{0,0}"), ("result", "@result"), ("used", "@use")]
    if t.measure == "event_sum":
        f = figure(width=900, height=320, x_range=FactorRange(*data["label"]), title=title,
                   tools="xpan,xwheel_zoom,reset,save", active_scroll=None)
        data["x"] = data["label"]
        data["fill"] = ["white" if pr.point.used_in_fitting else "#bdbdbd" for pr in pts]
        src = ColumnDataSource(data)
        bars = f.vbar(x="x", top="reported", width=0.35, fill_color="fill",
                      line_color="#9e9e9e", source=src, legend_label="reported (band)")
        f.segment(x0="x", y0="low", x1="x", y1="high", color="black", source=src,
                  legend_label="reported (band)")
        sim = f.scatter(x="x", y="sim", marker="diamond", size=14, color="color", source=src,
                        legend_label="simulated")
        f.add_tools(HoverTool(renderers=[bars, sim], tooltips=tips, visible=False))
        f.xaxis.major_label_orientation = 0.8
        f.add_layout(f.legend[0], "right")
    else:
        f = lines({"simulated": frame} if frame is not None and not frame.empty else {},
                  title, "", colors={"simulated": "#1f77b4"}, width=900, height=320)
        mid = [pd.Timestamp(pr.point.span[0]) + (pd.Timestamp(pr.point.span[1])
                                                 - pd.Timestamp(pr.point.span[0])) / 2
               for pr in pts]
        data["x"] = pd.DatetimeIndex(mid).to_numpy(dtype="datetime64[ms]")
        data["fill"] = ["white" if pr.point.used_in_fitting else c
                        for pr, c in zip(pts, color, strict=True)]
        src = ColumnDataSource(data)
        whisk = f.segment(x0="x", y0="low", x1="x", y1="high", color="color", source=src)
        dots = f.scatter(x="x", y="reported", size=9, line_color="color", fill_color="fill",
                         line_width=2, source=src)
        f.add_tools(HoverTool(renderers=[dots], tooltips=tips, visible=False))
        if f.legend:
            f.legend[0].items.append(LegendItem(label="reported (band)",
                                                renderers=[dots, whisk]))
        else:
            f.add_layout(Legend(items=[LegendItem(label="reported (band)",
                                                  renderers=[dots, whisk])],
                                click_policy="hide", label_text_font_size="7pt",
                                location="top_left"))
    f.title.text_font_size = "9pt"
    f.toolbar.logo = None
    f.yaxis.formatter = NumeralTickFormatter(format="0,0.[00]")
    return f


def diff_figure(diffs: list[Diff], n_pairs: int, *, top: int = 40,
                title: str = "Paired differences B − A (% of A's mean)") -> Any | None:
    """Paired differences as percentages of A's mean with 95% intervals (largest relative
    first); None when no outcome has a non-zero mean in A."""
    rel = [d for d in diffs if d.mean_a != 0 and (d.diff != 0 or d.n > 1)]
    if not rel:
        return None
    rel = sorted(rel, key=lambda d: -abs(d.diff / d.mean_a))[:top]
    names = [d.outcome for d in rel]
    scale = np.array([100.0 / abs(d.mean_a) for d in rel])
    src = ColumnDataSource({
        "y": names, "pct": np.array([d.diff for d in rel]) * scale,
        "lo": np.array([d.lo for d in rel]) * scale, "hi": np.array([d.hi for d in rel]) * scale,
        "a": [d.mean_a for d in rel], "b": [d.mean_b for d in rel],
        "d": [d.diff for d in rel], "dlo": [d.lo for d in rel], "dhi": [d.hi for d in rel]})
    f = figure(width=900, height=80 + 22 * len(rel), y_range=FactorRange(*reversed(names)),
               tools="xpan,xwheel_zoom,box_zoom,reset,save", title=title, active_scroll=None,
               x_axis_label="difference B − A, % of A's mean" +
               (" (bars: 95% interval)" if n_pairs > 1 else ""))
    f.title.text_font_size = "10pt"
    f.toolbar.logo = None
    f.yaxis.major_label_text_font_size = "7pt"
    rs = []
    if n_pairs > 1:
        rs.append(f.hbar(y="y", left="lo", right="hi", height=0.35, source=src,
                         color="#1565c0", alpha=0.45))
    rs.append(f.scatter("pct", "y", source=src, size=8, color="#1565c0"))
    f.add_layout(Span(location=0, dimension="height", line_color="black", line_width=1))
    f.add_tools(HoverTool(renderers=rs, tooltips=[
        ("outcome", "@y"), ("A mean", "@a{0,0.[00]}"), ("B mean", "@b{0,0.[00]}"),
        ("B − A", "@d{0,0.[00]} (@pct{0.0}%)"),
        *([("95% interval", "@dlo{0,0.[00]} to @dhi{0,0.[00]}")] if n_pairs > 1 else [])],
        visible=False))
    return f


__all__ = ["EMBED_JS", "PALETTE", "bokeh_js", "control_strip", "diff_figure", "embed",
           "flow_map", "lines", "series_grid", "target_strips", "top_series"]
