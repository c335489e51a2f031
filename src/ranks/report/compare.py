"""``ranks compare``: paired differences between two scenarios run with the same seeds.

Replicate r of run A is paired with replicate r of run B (common random numbers); each
outcome's difference B - A is computed per pair, then its mean and a 95% t-interval across
pairs (not available with one pair). Outcomes: totals by event, by event and reason, final
strength by actor, peak camp population, people displaced at the end. Population figures
(counts / scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ranks.errors import RanksInputError
from ranks.report import htmlkit as hk
from ranks.report.rundir import RunDir
from ranks.report.series import stock_series, total
from ranks.report.targets import fmt_value

#: States counted as displaced at the end of a run.
DISPLACED_STATES = ("transit", "camp", "abroad")


def outcomes(run: RunDir, reps: list[int]) -> pd.DataFrame:
    """Key outcomes per replicate: index outcome name, one column per replicate in ``reps``
    (population figures)."""
    rows: dict[str, pd.Series] = {}
    ev = run.events[run.events["replicate"].isin(reps)]
    div = run.scale
    by_ev = ev.groupby(["event", "replicate"])["count"].sum().unstack("replicate")
    for name, r in by_ev.reindex(columns=reps).fillna(0).iterrows():
        rows[f"total {name}"] = r / div
    er = ev[ev["reason"].notna()]
    by_er = er.groupby(["event", "reason", "replicate"])["count"].sum().unstack("replicate")
    for (name, reason), r in by_er.reindex(columns=reps).fillna(0).iterrows():
        rows[f"total {name} / {reason}"] = r / div
    st = stock_series(run, "strength", by="actor")
    for actor, f in sorted(st.items()):
        rows[f"final strength {actor}"] = f.iloc[-1].reindex(reps)
    camps = total(stock_series(run, "camp_population"))
    if camps is not None:
        rows["peak camp population"] = camps.max(axis=0).reindex(reps)
    moved = total(stock_series(run, "displaced"))
    if moved is not None:
        rows["displaced at end (stock displaced)"] = moved.iloc[-1].reindex(reps)
    disp = total(stock_series(run, "people", category=list(DISPLACED_STATES)))
    if disp is not None:
        rows["displaced at end (transit+camp+abroad)"] = disp.iloc[-1].reindex(reps)
    df = pd.DataFrame(rows).T if rows else pd.DataFrame(columns=reps)
    return df.fillna(0.0).astype(float)


@dataclass
class Diff:
    """One outcome: means in A and B, mean paired difference B - A and its 95% interval."""

    outcome: str
    mean_a: float
    mean_b: float
    diff: float
    lo: float
    hi: float
    n: int


def t_quantile(df: int) -> float:
    """97.5% quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def paired(run_a: RunDir, run_b: RunDir) -> tuple[list[Diff], list[int], list[str]]:
    """Paired differences. Raises RanksInputError when paired seeds differ.

    Returns (diffs, replicates paired, warnings).
    """
    sa, sb = run_a.seeds, run_b.seeds
    common = sorted(set(run_a.replicates) & set(run_b.replicates))
    if not common:
        raise RanksInputError("the two runs have no replicate number in common", file=run_b.path)
    bad = [r for r in common if sa.get(r) != sb.get(r)]
    if bad:
        r = bad[0]
        raise RanksInputError(
            f"seeds differ: replicate {r} has seed {sa.get(r)} in {run_a.path} and "
            f"{sb.get(r)} in {run_b.path}; paired differences need the same seeds "
            "(run both scenarios with the same --seed)", file=run_b.path, field="seed")
    warnings = []
    if len(common) < max(len(run_a.replicates), len(run_b.replicates)):
        warnings.append(f"only the {len(common)} replicates present in both runs are paired")
    if run_a.scale != run_b.scale:
        warnings.append(f"scales differ ({run_a.scale:g} vs {run_b.scale:g}): figures are "
                        "per population, but the pairing of random numbers is lost")
    if (run_a.start, run_a.end) != (run_b.start, run_b.end):
        warnings.append("the runs cover different dates")
    oa, ob = outcomes(run_a, common), outcomes(run_b, common)
    names = sorted(set(oa.index) | set(ob.index))
    oa = oa.reindex(names).fillna(0.0)
    ob = ob.reindex(names).fillna(0.0)
    n = len(common)
    out = []
    for name in names:
        a = oa.loc[name].to_numpy(float)
        b = ob.loc[name].to_numpy(float)
        d = b - a
        md = float(d.mean())
        if n > 1:
            half = t_quantile(n - 1) * float(d.std(ddof=1)) / math.sqrt(n)
            lo, hi = md - half, md + half
        else:
            lo = hi = float("nan")
        out.append(Diff(name, float(a.mean()), float(b.mean()), md, lo, hi, n))
    return out, common, warnings


def fmt_ci(d: Diff) -> str:
    """'[lo, hi]' or 'n/a (1 replicate)'."""
    if d.n < 2:
        return "n/a (1 replicate)"
    return f"[{fmt_value(d.lo)}, {fmt_value(d.hi)}]"


def compare_html(run_a: RunDir, run_b: RunDir, diffs: list[Diff], reps: list[int],
                 warnings: list[str], out: Path, replace_any: bool = False) -> Path:
    """Write the comparison page (table and a plot of relative differences). An existing
    ``out`` is replaced when it is a page Ranks wrote, or with ``replace_any``."""
    hdr = (f"<h1>Ranks comparison: {hk.esc(run_b.name)} vs {hk.esc(run_a.name)}</h1>"
           f"<div class=\"meta\">A = {hk.esc(run_a.path)} · B = {hk.esc(run_b.path)} · "
           f"{len(reps)} paired replicate(s), seeds "
           f"{hk.esc(', '.join(str(run_a.seeds.get(r, '?')) for r in reps))} · scale "
           f"{run_a.scale:g} / {run_b.scale:g}</div>")
    parts = ['<section id="howto"><h2>How to read this</h2><p class="note">Each row is an '
             "outcome (population figures: synthetic counts divided by the scale). "
             "Difference = B − A, computed per pair of replicates run with the same seed, "
             "then averaged; the 95% interval is a t-interval across pairs"
             + (" (not available with one replicate)" if len(reps) < 2 else "") +
             ". An interval that excludes 0 means the change of scenario moved that outcome "
             "beyond replicate noise.</p>"
             f'<p class="ethics">{hk.esc(_ethics())}</p></section>']
    if warnings:
        parts.append('<section><h2>Warnings</h2>' + "".join(
            f'<p class="nodata">{hk.esc(w)}</p>' for w in warnings) + "</section>")
    from ranks.report.figures import diff_figure, embed

    model = diff_figure(diffs, len(reps))
    fig_html = (embed(model, "fig-1", "paired differences") if model is not None else
                hk.nodata("No outcome with a non-zero value in A: nothing to plot."))
    parts.append('<section id="plot"><h2>Differences (largest relative first)</h2>'
                 + fig_html + "</section>")
    rows = [(d.outcome, fmt_value(d.mean_a), fmt_value(d.mean_b), fmt_value(d.diff),
             fmt_ci(d)) for d in diffs]
    parts.append('<section id="table"><h2>All outcomes</h2>' + (hk.table(
        ["outcome", "A mean", "B mean", "B − A (mean)", "95% interval"], rows,
        num_cols=(1, 2, 3)) if rows else hk.nodata("No outcomes in either run.")) + "</section>")
    return hk.write_atomic(hk.page(f"Ranks comparison: {run_b.name} vs {run_a.name}", hdr,
                                   "".join(parts)), out, replace_any=replace_any)


def _ethics() -> str:
    from ranks.report.run_report import ETHICS

    return ETHICS
