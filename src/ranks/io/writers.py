"""Run directory writers: Parquet tables and the manifest (docs/outputs.md)."""

from __future__ import annotations

import datetime as dt
import json
import platform
import resource
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import ranks

PACKAGES = ("numpy", "pandas", "pyarrow", "pydantic", "pyyaml", "typer", "rich")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages results depend on."""
    out = {"python": platform.python_version(), "ranks": ranks.__version__}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "missing"
    return out


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write a table with fixed settings so the same data gives the same bytes."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True,
                   use_dictionary=True)


def write_json(obj: Any, path: Path) -> None:
    """Write JSON, keys in a fixed order, UTF-8."""
    path.write_text(json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n",
                    encoding="utf-8")


def _json_default(o: Any) -> Any:
    if isinstance(o, dt.date | dt.datetime):
        return o.isoformat()
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serializable: {type(o)}")
