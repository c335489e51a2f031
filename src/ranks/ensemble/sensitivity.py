"""Sensitivity indices of sweep outcomes: Sobol (from a Sobol design) or Morris (from a
Morris design), with 95% bootstrap confidence intervals (SALib).

Outcomes are averaged over the replicates of each design point first. Indices refer to
the unit coordinates of the design, i.e. to each parameter's full range (``min..max``,
in log space for ``log: true``): Sobol ``S1``/``ST`` are shares of the outcome's variance
(0..1); Morris ``mu_star`` and ``sigma`` are in outcome units per full range.

Writes DIR/sensitivity.csv (outcome, parameter, index, value, conf: half-width of the
95% interval), DIR/sensitivity.png and DIR/sensitivity.html (self-contained, the plot
embedded as base64).
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ranks.ensemble.design import salib_problem
from ranks.ensemble.spec import SweepSpec
from ranks.ensemble.sweep import outcome_columns
from ranks.errors import RanksInputError

#: Bootstrap resamples for the confidence intervals, and their seed (reproducible CIs).
RESAMPLES = 200
CI_SEED = 12345


@dataclass
class Sensitivity:
    """Indices of one sweep."""

    method: str
    table: pd.DataFrame
    skipped: list[str]
    points: int
    runs_used: int


def _table(path: Path, what: str, need: list[str]) -> pd.DataFrame:
    """A Parquet table of the sweep with columns ``need``, or an input error."""
    from ranks.io.inputs import read_input_bytes

    if not path.exists():
        raise RanksInputError(f"no {path.name}: the sweep has not finished; run the same "
                              "'ranks sweep' command again to complete it", file=path.parent)
    data = read_input_bytes(path, what)
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - any reader error is a corrupt file
        raise RanksInputError(f"cannot read the {what}: {type(e).__name__}", file=path) from None
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise RanksInputError(f"the {what} lacks column(s) {', '.join(missing)}", file=path)
    return df


def _read(out: Path) -> tuple[dict, SweepSpec, pd.DataFrame, pd.DataFrame]:
    from pydantic import ValidationError

    from ranks.ensemble.design import design_size
    from ranks.io.inputs import read_input_text

    if not out.is_dir():
        raise RanksInputError("not a sweep directory", file=out)
    meta = out / "sweep.json"
    if not meta.exists():
        raise RanksInputError("not a sweep directory (no sweep.json)", file=out)
    try:
        doc = json.loads(read_input_text(meta, "sweep file"))
    except json.JSONDecodeError as e:
        raise RanksInputError(f"not valid JSON ({e.msg})", file=meta, line=e.lineno) from None
    spec_doc = doc.get("key", {}).get("spec") if isinstance(doc, dict) and isinstance(
        doc.get("key"), dict) else None
    if not isinstance(spec_doc, dict):
        raise RanksInputError("no sweep description (key.spec); was it written by 'ranks "
                              "sweep'?", file=meta, field="key.spec")
    try:
        spec = SweepSpec.model_validate(spec_doc)
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        where = ".".join(str(x) for x in err["loc"])
        raise RanksInputError(f"bad sweep description: {err['msg']}", file=meta,
                              field=f"key.spec.{where}" if where else "key.spec") from None
    labels = [p.label for p in spec.parameters]
    design = _table(out / "design.parquet", "design table",
                    ["point", *[f"u.{lab}" for lab in labels]])
    runs = _table(out / "runs.parquet", "runs table", ["point", "status"])
    if len(design) != design_size(spec):
        raise RanksInputError(f"the design table has {len(design)} points; the sweep "
                              f"describes {design_size(spec)}", file=out / "design.parquet")
    for c in [f"u.{lab}" for lab in labels]:
        if not pd.api.types.is_numeric_dtype(design[c]):
            raise RanksInputError(f"column {c} is not numeric", file=out / "design.parquet")
    return doc, spec, design, runs


def resolve_outcomes(runs: pd.DataFrame, labels: list[str], wanted: list[str] | None,
                     where: Path) -> list[str]:
    """Outcome columns to analyse: the ones asked for (``deserted`` means
    ``events.deserted``), or all of them."""
    cols = outcome_columns(runs, labels)
    if not wanted:
        return cols
    out = []
    for w in wanted:
        if w in cols:
            out.append(w)
        elif f"events.{w}" in cols:
            out.append(f"events.{w}")
        else:
            import difflib

            hint = difflib.get_close_matches(w, cols, n=1)
            raise RanksInputError(
                f"unknown outcome '{w}'" + (f"; did you mean '{hint[0]}'?" if hint else
                                            f"; known: {', '.join(cols)}"),
                file=where / "runs.parquet", field="--outcome")
    return out


def analyze(out: Path, outcomes: list[str] | None = None) -> Sensitivity:
    """Compute indices for the sweep in ``out``.

    Raises:
        RanksInputError: not a Sobol/Morris sweep, unfinished, failed runs, bad outcome.
    """
    doc, spec, design, runs = _read(out)
    if spec.design not in ("sobol", "morris"):
        raise RanksInputError(f"sensitivity needs a sobol or morris design, this sweep is "
                              f"'{spec.design}'", file=out / "sweep.json", field="design")
    labels = [p.label for p in spec.parameters]
    cols = resolve_outcomes(runs, labels, outcomes, out)
    ok = runs[runs["status"] == "ok"]
    bad = sorted(set(design["point"]) - set(ok["point"]))
    if bad:
        raise RanksInputError(f"{len(bad)} design point(s) have no finished run (first: "
                              f"{bad[0]}); rerun the sweep to retry failed runs",
                              file=out / "runs.parquet", field="status")
    for c in cols:
        if not pd.api.types.is_numeric_dtype(ok[c]):
            raise RanksInputError(f"outcome column {c} is not numeric",
                                  file=out / "runs.parquet", field=c)
    means = ok.groupby("point")[cols].mean().reindex(design["point"])
    problem = salib_problem(spec)
    u = design[[f"u.{lab}" for lab in labels]].to_numpy(dtype=np.float64)
    rows: list[dict] = []
    skipped: list[str] = []
    for c in cols:
        y = means[c].to_numpy(dtype=np.float64)
        if not np.isfinite(y).all() or np.ptp(y) == 0:
            skipped.append(c)
            continue
        if spec.design == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=spec.second_order,
                                num_resamples=RESAMPLES, conf_level=0.95, seed=CI_SEED)
            for j, lab in enumerate(labels):
                for idx in ("S1", "ST"):
                    rows.append({"outcome": c, "parameter": lab, "index": idx,
                                 "value": float(res[idx][j]),
                                 "conf": float(res[f"{idx}_conf"][j])})
        else:
            from SALib.analyze import morris

            res = morris.analyze(problem, u, y, num_resamples=RESAMPLES, conf_level=0.95,
                                 num_levels=spec.levels, seed=CI_SEED)
            for j, lab in enumerate(labels):
                rows.append({"outcome": c, "parameter": lab, "index": "mu_star",
                             "value": float(res["mu_star"][j]),
                             "conf": float(res["mu_star_conf"][j])})
                rows.append({"outcome": c, "parameter": lab, "index": "sigma",
                             "value": float(res["sigma"][j]), "conf": np.nan})
                rows.append({"outcome": c, "parameter": lab, "index": "mu",
                             "value": float(res["mu"][j]), "conf": np.nan})
    if not rows:
        raise RanksInputError("every chosen outcome is the same in all runs; nothing to "
                              f"analyse ({', '.join(skipped)})", field="--outcome")
    table = pd.DataFrame(rows, columns=["outcome", "parameter", "index", "value", "conf"])
    return Sensitivity(spec.design, table, skipped, len(design), len(ok))


def plot_png(sens: Sensitivity, max_outcomes: int = 12) -> bytes:
    """A bar chart per outcome: S1 and ST (Sobol) or mu* and sigma (Morris), with 95% CIs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = sens.table
    outs = list(dict.fromkeys(t["outcome"]))[:max_outcomes]
    idx = ("S1", "ST") if sens.method == "sobol" else ("mu_star", "sigma")
    ncol = min(3, len(outs))
    nrow = int(np.ceil(len(outs) / ncol))
    params = list(dict.fromkeys(t["parameter"]))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 0.9 + (0.45 * len(params) + 1.0)
                                                  * nrow), squeeze=False)
    y = np.arange(len(params))
    h = 0.38
    for k, o in enumerate(outs):
        ax = axes[k // ncol][k % ncol]
        for m, name in enumerate(idx):
            s = t[(t["outcome"] == o) & (t["index"] == name)].set_index("parameter")
            s = s.reindex(params)
            err = s["conf"].to_numpy(dtype=float)
            ax.barh(y + (m - 0.5) * h, s["value"].to_numpy(dtype=float), height=h,
                    xerr=None if np.isnan(err).all() else np.nan_to_num(err), label=name,
                    capsize=2, color=("#4c72b0", "#dd8452")[m])
        ax.set_yticks(y, params, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(o, fontsize=9)
        ax.axvline(0, color="black", lw=0.5)
        if sens.method == "sobol":  # shares of variance; wide CIs of small designs clipped
            ax.set_xlim(-0.25, 1.25)
        if k == 0:
            ax.legend(fontsize=7)
    for k in range(len(outs), nrow * ncol):
        axes[k // ncol][k % ncol].axis("off")
    title = ("Sobol indices (share of variance, 95% CI)" if sens.method == "sobol"
             else "Morris mu* and sigma (outcome units per full range, 95% CI)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def write_outputs(out: Path, sens: Sensitivity) -> dict[str, Path]:
    """Write sensitivity.csv, sensitivity.png and sensitivity.html into ``out``."""
    from ranks.io.outdir import write_file_atomic

    def derived(_p: Path) -> bool:  # files of this sweep directory: always replaced
        return True

    csv = out / "sensitivity.csv"
    write_file_atomic(csv, sens.table.to_csv(index=False, float_format="%.6g"),
                      replace=derived)
    png = plot_png(sens)
    write_file_atomic(out / "sensitivity.png", png, replace=derived)
    b64 = base64.b64encode(png).decode("ascii")
    tab = sens.table.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="",
                             border=0, classes="idx")
    skipped = (f"<p>Outcomes constant across runs (no indices): "
               f"{html.escape(', '.join(sens.skipped))}</p>" if sens.skipped else "")
    what = ("Sobol first-order (S1) and total (ST) indices: shares of the outcome's variance "
            "due to each parameter over its full range." if sens.method == "sobol" else
            "Morris elementary effects: mu* (mean absolute effect) and sigma (spread: "
            "interactions or non-linearity), in outcome units per full range.")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sensitivity: {html.escape(out.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table.idx{{border-collapse:collapse;font-size:0.85em}}
table.idx td,table.idx th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}}
img{{max-width:100%}}</style></head><body>
<h1>Sensitivity of outcomes: {html.escape(out.name)}</h1>
<p>{html.escape(what)} {sens.points} design points, {sens.runs_used} runs; outcomes averaged
over replicates; 95% bootstrap confidence intervals ({RESAMPLES} resamples). These are
statements about the model: what happens to people in the model if a parameter changes.</p>
<img alt="sensitivity indices" src="data:image/png;base64,{b64}">
{skipped}
{tab}
</body></html>
"""
    page_path = out / "sensitivity.html"
    write_file_atomic(page_path, page, replace=derived)
    return {"csv": csv, "png": out / "sensitivity.png", "html": page_path}
