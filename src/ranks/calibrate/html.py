"""calibration.html: a self-contained page of a calibration (plots embedded as PNG).

Sections: the parameters (prior against posterior, a table with 90% intervals and
contraction), the pairwise posterior, simulation-based calibration (coverage against the
nominal level, rank histograms), the targets against the prior predictive, and how the
simulations ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd

from ranks.calibrate.priors import Priors
from ranks.report import htmlkit as hk
from ranks.report.targets import LoadedTargets, Target, fmt_value

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ETHICS = ("Calibration fits how people respond (flight, desertion drivers, returns, answers "
          "to an order) and uncertain rates to public figures about the past. It never "
          "searches for an armed actor's recruitment, checkpoint, interdiction or punishment "
          "policy: priors on those parameters are refused.")


def _marginals(pri: Priors, tab: pd.DataFrame, post: pd.DataFrame) -> str:
    d = pri.dim
    ncol = min(3, d)
    nrow = -(-d // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 2.8 * nrow), squeeze=False)
    for j, p in enumerate(pri.params):
        ax = axes[j // ncol][j % ncol]
        lab = p.label
        pv = post[lab].to_numpy(float)
        dist = p.dist()
        lo, hi = float(dist.ppf(0.001)), float(dist.ppf(0.999))
        log = p.prior == "loguniform"
        edges = np.geomspace(lo, hi, 40) if log else np.linspace(lo, hi, 40)
        grid = np.geomspace(lo, hi, 300) if log else np.linspace(lo, hi, 300)
        dens = dist.pdf(grid)
        if log:  # density per log unit, to match log-spaced histogram bars
            dens = dens * grid
            h, _ = np.histogram(pv, bins=edges)
            widths = np.diff(np.log(edges))
            ax.bar(edges[:-1], h / (h.sum() * widths), width=np.diff(edges), align="edge",
                   color="#1f77b4", alpha=0.6, label="posterior")
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        else:
            ax.hist(pv, bins=edges, density=True, color="#1f77b4", alpha=0.6,
                    label="posterior")
        ax.plot(grid, dens, color="#555", lw=1.5, label="prior")
        ax.set_title(lab, fontsize=9)
        ax.tick_params(labelsize=7)
        if j == 0:
            ax.legend(fontsize=7)
    for k in range(d, nrow * ncol):
        axes[k // ncol][k % ncol].axis("off")
    fig.suptitle("Prior (line) and posterior (bars) of each parameter", fontsize=10)
    fig.tight_layout()
    return hk.img(hk.fig_png(fig), "prior and posterior marginals", "fig-marginals")


def _pairs(pri: Priors, post: pd.DataFrame) -> str:
    d = pri.dim
    if d < 2:
        return hk.nodata("One parameter: no pairs.")
    z = post[[f"z.{lab}" for lab in pri.labels]].to_numpy(float)
    n = min(len(z), 1500)
    z = z[:n]
    size = min(1.6 * d, 14)
    fig, axes = plt.subplots(d, d, figsize=(size, size), squeeze=False)
    for i in range(d):
        for j in range(d):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if i == j:
                ax.hist(z[:, i], bins=30, range=(-3.5, 3.5), color="#1f77b4", alpha=0.7)
            elif i > j:
                ax.scatter(z[:, j], z[:, i], s=1.5, alpha=0.25, color="#1f77b4", lw=0)
                ax.set_xlim(-3.5, 3.5)
                ax.set_ylim(-3.5, 3.5)
            else:
                c = float(np.corrcoef(z[:, i], z[:, j])[0, 1])
                ax.text(0.5, 0.5, f"{c:+.2f}", ha="center", va="center", fontsize=9,
                        color="#b71c1c" if abs(c) > 0.5 else "#333", transform=ax.transAxes)
                ax.axis("off")
            if j == 0:
                ax.set_ylabel(pri.labels[i], fontsize=7, rotation=0, ha="right")
            if i == d - 1:
                ax.set_xlabel(pri.labels[j], fontsize=7, rotation=30, ha="right")
    fig.suptitle("Pairwise posterior in prior quantile units (z: the prior is a standard "
                 "normal in each); upper triangle: correlation", fontsize=9)
    fig.tight_layout()
    return hk.img(hk.fig_png(fig), "pairwise posterior", "fig-pairs")


def _sbc(pri: Priors, sbc_df: pd.DataFrame, diag: dict[str, Any]) -> str:
    if sbc_df.empty:
        return hk.nodata("No held-out simulations (--sbc 0): calibration of the estimator "
                         "was not checked.")
    from ranks.calibrate.core import SBC_DRAWS, SBC_LEVELS

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.4))
    levels = np.array(SBC_LEVELS)
    n = len(sbc_df)
    for lab in pri.labels:
        cov = [sbc_df[f"in{int(lev * 100)}.{lab}"].mean() for lev in SBC_LEVELS]
        a1.plot(levels, cov, marker="o", lw=1, alpha=0.7, label=lab)
    overall = [diag["sbc"]["overall"][f"{int(lev * 100)}%"] for lev in SBC_LEVELS]
    a1.plot(levels, overall, marker="s", color="black", lw=2, label="all")
    se = np.sqrt(levels * (1 - levels) / n)
    a1.fill_between(levels, levels - 2 * se, levels + 2 * se, color="#bbb", alpha=0.5,
                    label="±2 s.e. of a calibrated method (one parameter)")
    a1.plot([0.45, 1], [0.45, 1], color="#777", lw=0.8, ls="--")
    a1.set_xlabel("nominal level of the central interval")
    a1.set_ylabel("share of truths inside")
    a1.set_title(f"Coverage over {n} held-out prior simulations", fontsize=9)
    a1.legend(fontsize=6)
    ranks_all = np.concatenate([sbc_df[f"rank.{lab}"].to_numpy() for lab in pri.labels])
    a2.hist(ranks_all / SBC_DRAWS, bins=10, range=(0, 1), color="#1f77b4", alpha=0.7)
    a2.axhline(len(ranks_all) / 10, color="black", lw=1, ls="--")
    a2.set_xlabel("rank of the truth among posterior draws (0-1)")
    a2.set_title("SBC ranks, all parameters (flat if calibrated)", fontsize=9)
    fig.tight_layout()
    return hk.img(hk.fig_png(fig), "simulation-based calibration", "fig-sbc")


def _targets(lt: LoadedTargets, tab: pd.DataFrame) -> str:
    ok = tab[(tab["status"] == "ok") & (tab["kind"] == "train")]
    ts = [t for t in lt.targets if isinstance(t, Target) and f"t:{t.id}" in ok]
    if not ts:
        return hk.nodata("No target values in the simulations.")
    fig, axes = plt.subplots(len(ts), 1, figsize=(8, 0.9 + 0.8 * len(ts)), squeeze=False)
    for ax, t in zip(axes[:, 0], ts, strict=True):
        v = ok[f"t:{t.id}"].to_numpy(float)
        v = v[np.isfinite(v)]
        if v.size:
            ax.hist(v, bins=30, color="#90a4ae", alpha=0.8)
        lo, hi = t.bounds()
        if np.isfinite(lo) or np.isfinite(hi):
            a = lo if np.isfinite(lo) else (v.min() if v.size else t.value)
            b = hi if np.isfinite(hi) else (v.max() if v.size else t.value)
            ax.axvspan(a, b, color="#ffcc80", alpha=0.4)
        ax.axvline(t.value, color="black", lw=1.5)
        ax.set_yticks([])
        ax.set_title(f"{t.id} ({'fitted' if t.used_in_fitting else 'held out'}, "
                     f"{t.compare})", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    fig.suptitle("Targets: prior predictive (grey), reported value (line), tolerance (orange)",
                 fontsize=9)
    fig.tight_layout()
    return hk.img(hk.fig_png(fig), "targets against the prior predictive", "fig-targets")


def write_html(out: Path, pri: Priors, lt: LoadedTargets, tab: pd.DataFrame,
               post: pd.DataFrame, sbc_df: pd.DataFrame, diag: dict[str, Any]) -> Path:
    """Write ``out/calibration.html`` atomically; return its path."""
    rows = []
    for p in diag["parameters"]:
        rows.append((p["name"], p["path"], p["prior"],
                     f"{fmt_value(p['prior_90'][0])} – {fmt_value(p['prior_90'][1])}",
                     fmt_value(p["posterior_median"]),
                     f"{fmt_value(p['posterior_90'][0])} – {fmt_value(p['posterior_90'][1])}",
                     f"{p['contraction']:.2f}", p["evidence"]))
    ptable = hk.table(["name", "path", "prior", "prior 90%", "posterior median",
                       "posterior 90%", "contraction", "evidence"], rows, num_cols=(4, 6))
    sbc = diag["sbc"]
    sbc_line = ("No held-out simulations." if not sbc.get("simulations") else
                f"Over {sbc['simulations']} held-out prior simulations, the share of true "
                "parameter values inside the posterior's central intervals: " + ", ".join(
                    f"{k} interval {v:.0%}" for k, v in sbc["overall"].items())
                + ". A calibrated estimator covers at the nominal rate.")
    est = diag["estimator"]
    bank = diag["bank"]
    trow = [(t["id"], "yes" if t["fitted"] else "held out", t["compare"],
             fmt_value(t["value"]), "yes" if t["used_by_estimator"] else "no",
             "n/a" if t["prior_predictive_90"] is None else
             f"{fmt_value(t['prior_predictive_90'][0])} – "
             f"{fmt_value(t['prior_predictive_90'][1])}") for t in diag["targets"]]
    sc = diag["scenario"]
    head = (f"<h1>Calibration: {hk.esc(sc['name'])}</h1><div class=\"meta\">"
            f"Directory <code>{hk.esc(out)}</code> · scale {sc['scale']:g} · until "
            f"{hk.esc(sc['until'] or 'the end')} · seed {sc['seed']} · targets "
            f"<code>{hk.esc(diag['targets_file'])}</code></div>")
    body = (
        f"<section id=\"about\"><h2>What this is</h2><p class=\"note\">{hk.esc(est['method'])}"
        f" trained on {est['train_simulations']} simulations drawn from the priors "
        f"({est['epochs']} epochs, {est['train_s']:.0f} s); {est['posterior_draws']} "
        "independent posterior draws (effective sample size = their number). Reported "
        "figures are read with a normal error whose 95% interval is the target's tolerance. "
        "Posterior draws are written to posterior.parquet; run them with "
        "<code>ranks run SCENARIO --posterior DIR --replicates R</code>.</p>"
        f"<p class=\"ethics\">{hk.esc(ETHICS)}</p></section>"
        "<section id=\"parameters\"><h2>Parameters: prior and posterior</h2>"
        "<p class=\"note\">Contraction: 1 - posterior variance / prior variance in prior "
        "quantile units (0: nothing learned, 1: pinned down).</p>"
        + ptable + _marginals(pri, tab, post) + "</section>"
        "<section id=\"pairs\"><h2>Pairwise posterior</h2>" + _pairs(pri, post) + "</section>"
        f"<section id=\"sbc\"><h2>Is the estimator calibrated? (simulation-based "
        f"calibration)</h2><p class=\"note\">{hk.esc(sbc_line)}</p>"
        + _sbc(pri, sbc_df, diag) + "</section>"
        "<section id=\"targets\"><h2>Targets against the prior predictive</h2>"
        + hk.table(["id", "fitted", "compare", "value", "used by the estimator",
                    "prior predictive 90%"], trow, num_cols=(3, 5))
        + _targets(lt, tab) + "</section>"
        "<section id=\"runs\"><h2>Simulations</h2><p class=\"note\">"
        f"{bank['simulations']} simulations ({bank['already_done']} done before this start, "
        f"{bank['ran_now']} now, {bank['failed']} failed); {bank['simulation_s_mean']:.1f} s "
        f"each on average; wall {bank['wall_s']:.0f} s on {hk.esc(bank['executor'].get('kind'))}"
        ".</p></section>")
    return hk.write_atomic(hk.page(f"Calibration: {sc['name']}", head, body),
                           out / "calibration.html")
