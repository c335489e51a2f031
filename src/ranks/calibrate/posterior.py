"""Posterior runs: ``ranks run SCENARIO --posterior DIR --replicates R`` draws one parameter
set per replicate from a calibration's posterior (posterior.parquet).

Draws are chosen with a generator seeded by the run's root seed (without replacement while
R is at most the number of posterior samples), so the same command gives the same draws.
The manifest records, per replicate, the sample number and the values set
(``posterior.draws``), and the calibration directory (``posterior.dir``) whose prior
simulations give the baseline of probabilistic skill.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ranks.calibrate.core import load_posterior
from ranks.errors import RanksInputError


def posterior_draws(cal_dir: Path, replicates: int, root_seed: int, scenario_digest: str
                    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-replicate overrides and the manifest's ``posterior`` section.

    Raises:
        RanksInputError: not a finished calibration, or one of another scenario.
    """
    post, meta = load_posterior(cal_dir)
    key = meta.get("key", {})
    if key.get("scenario_sha256") not in (None, scenario_digest):
        raise RanksInputError("the calibration was made for other scenario files (its "
                              "scenario sha256 differs)", file=cal_dir, field="--posterior")
    params = meta.get("parameters") or []
    rng = np.random.default_rng(np.random.SeedSequence([int(root_seed), 14, 0xD4A]))
    n = len(post)
    idx = rng.choice(n, size=replicates, replace=replicates > n)
    overrides: list[dict[str, Any]] = []
    draws = []
    for r, i in enumerate(idx):
        row = post.iloc[int(i)]
        ov: dict[str, Any] = {}
        for p in params:
            v = float(row[p["name"]])
            ov[p["path"]] = int(round(v)) if p.get("integer") else v
        overrides.append(ov)
        draws.append({"replicate": r, "sample": int(row["sample"]), "values": ov})
    section = {"dir": str(Path(cal_dir).resolve()), "samples": n,
               "parameters": [p["path"] for p in params], "draws": draws,
               "fit": {"seed": key.get("seed"), "scale": key.get("scale"),
                       "until": key.get("until"), "budget": key.get("budget")}}
    return overrides, section


__all__ = ["posterior_draws"]
