"""Figures and self-contained HTML pages for Flee runs (per-camp series with bands)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np

from ranks.report.htmlkit import esc, fig_png, img, page, table

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402


def camp_series_png(names: Sequence[str], start: dt.date, q: np.ndarray, obs: np.ndarray,
                    title: str, hasten: int = 1, max_camps: int = 60) -> str:
    """Small multiples, one panel per camp: 5-95 % band, median, observed data (base64 PNG).

    Args:
        names: camp names (C).
        start: date of day 0.
        q: (3, T, C) 5th, 50th, 95th percentiles over runs (one run: all three equal).
        obs: (T, C) observed counts, NaN where a camp has no series.
        title: figure title.
        hasten: people per agent (counts are shown as agents).
        max_camps: panels drawn at most (the largest camps by observed or simulated peak).
    """
    T, n_camps = obs.shape
    order = list(range(n_camps))
    if n_camps > max_camps:
        obs_peak = np.max(np.where(np.isnan(obs), 0.0, obs), axis=0)
        peak = np.fmax(obs_peak, q[2].max(axis=0))
        order = sorted(np.argsort(-peak)[:max_camps].tolist())
    n = max(len(order), 1)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.4 * rows + 0.6),
                             squeeze=False)
    days = np.array([start + dt.timedelta(days=int(t)) for t in range(T)])
    band = not np.array_equal(q[0], q[2])
    for k, ax in enumerate(axes.flat):
        if k >= len(order):
            ax.axis("off")
            continue
        j = order[k]
        if band:
            ax.fill_between(days, q[0, :, j], q[2, :, j], color="#90caf9", alpha=0.6,
                            linewidth=0, label="5-95 %")
        ax.plot(days, q[1, :, j], color="#1565c0", lw=1.2,
                label="median" if band else "simulated")
        if not np.isnan(obs[:, j]).all():
            ax.plot(days, obs[:, j], color="#d84315", lw=1.0, ls="--", label="observed")
        ax.set_title(str(names[j])[:32], fontsize=8)
        ax.tick_params(labelsize=6)
        for lab in ax.get_xticklabels():
            lab.set_rotation(30)
        ax.set_ylim(bottom=0)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper right", fontsize=7, ncol=3)
    unit = "agents" if hasten == 1 else f"agents (1 agent = {hasten} people)"
    fig.suptitle(f"{title} - {unit} per camp", fontsize=9, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig_png(fig, dpi=80)


def _fmt(x: Any, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


METRICS_NOTE = (
    "ARD: averaged relative difference (mean over days of sum over camps |sim - obs| / "
    "max(sum obs, 1)); total error: the same numerator over the day's total refugee count; "
    "MAAPE: mean over days of arctan(sum |sim - obs| / sum obs) in radians (0 to 1.571; "
    "close to ARD while errors are small, bounded where the data are near zero); coverage: "
    "share of observed camp-days inside the 5-95 % band of the replicates.")


def scenario_page(title: str, meta: dict[str, Any], figure_b64: str,
                  camp_rows: list[list[Any]]) -> str:
    """An HTML page for one scenario: summary, per-camp table, the series figure."""
    head = (f"<h1>{esc(title)}</h1><div class=\"meta\">"
            + " &middot; ".join(f"{esc(k)}: {esc(_fmt(v))}" for k, v in meta.items())
            + "</div>")
    body = (f"<section><h2>Camps</h2><p class=\"note\">{esc(METRICS_NOTE)}</p>"
            + table(["camp", "coverage", "MAAPE (median run)", "final observed",
                     "final median", "final 5-95 %"], camp_rows, num_cols=(1, 2, 3, 4))
            + "</section><section><h2>Series</h2>"
            + img(figure_b64, f"{title}: per-camp series", "fig-camps") + "</section>")
    return page(title, head, body)
