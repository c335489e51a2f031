"""Figures of issue 17: how many generated hostile inputs the property tests try per CI run,
that all hold, and the time they take; and for each break B1-B10 of
../shared/adversarial-report.md, the test that proves it fixed.

Runs tests/test_properties.py (the property tests, as CI runs them) and
tests/test_adversarial_regressions.py (the report's reproductions as regression tests)
with pytest, collects the per-test counts the property tests write, and adds the tally of
benchmarks/adversarial_repro.py (the report's commands re-run as subprocesses) when its
JSON exists. Writes benchmarks/results/hostile_inputs.json.

Usage: python benchmarks/hostile_inputs.py [--properties-only]
(--properties-only re-runs the property tests and keeps the stored regression figures.)
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "hostile_inputs.json"
REPRO = ROOT / "benchmarks" / "results" / "adversarial_repro.json"

#: Each break of the report, what it was, and the tests that prove it fixed.
BREAKS = {
    "B1": ("--force deleted whatever --out named",
           ["tests/test_adversarial_regressions.py::test_b1_*",
            "tests/test_outdir.py::test_force_refuses_what_ranks_did_not_write",
            "tests/test_properties.py::test_output_paths_never_lose_anything"]),
    "B2": ("timeline value/args, --set, set_param, sweep outcomes unvalidated",
           ["tests/test_adversarial_regressions.py::test_b2_*",
            "tests/test_timeline_args.py",
            "tests/test_properties.py::test_timeline_mutations_are_typed_or_refused",
            "tests/test_properties.py::test_sweep_files_prepared_or_refused"]),
    "B3": ("two concurrent runs to one --out both succeeded",
           ["tests/test_adversarial_regressions.py::test_b3_concurrent_runs_cannot_both_succeed",
            "tests/test_outdir.py::test_two_writers_to_one_output_cannot_both_succeed"]),
    "B4": ("valid input crashed the engine (households out of step)",
           ["tests/test_adversarial_regressions.py::test_b4_*",
            "tests/test_properties.py::test_scenario_mutations_validate_means_runnable"]),
    "B5": ("Rich markup and emoji codes in echoed values",
           ["tests/test_adversarial_regressions.py::test_b5_*"]),
    "B6": ("tracebacks or unlocated errors after validate passed",
           ["tests/test_adversarial_regressions.py::test_b6_*",
            "tests/test_properties.py::test_scenario_mutations_validate_means_runnable",
            "tests/test_properties.py::test_csv_cells_finite_and_in_range"]),
    "B7": ("relative paths broke validate and check",
           ["tests/test_adversarial_regressions.py::test_b7_*"]),
    "B8": ("output-path failures only after the simulation; kill windows; mode 0700",
           ["tests/test_adversarial_regressions.py::test_b8_*", "tests/test_outdir.py"]),
    "B9": ("corrupt run directories crashed report, check, compare, sensitivity",
           ["tests/test_adversarial_regressions.py::test_b9_*",
            "tests/test_properties.py::test_run_dir_damage_checked_or_refused",
            "tests/test_properties.py::test_run_dir_damage_report"]),
    "B10": ("resource limits: tracebacks and hangs",
            ["tests/test_adversarial_regressions.py::test_b10_*",
             "tests/test_adversarial_regressions.py::test_flee_inputs_are_bounded",
             "tests/test_properties.py::test_run_options_bounded",
             "tests/test_properties.py::test_yaml_text_bounded"]),
}

#: Inputs that came with the merge of issues 11-16, probed in round 3, and the tests that
#: hold them (what broke before the fix is named).
MERGED_INPUTS = {
    "checkpoints": ("ranks run --checkpoint/--from: a hostile pickle ran code on load, a "
                    "truncated or foreign file gave a traceback, --from X --out X --force "
                    "replaced the saved run",
                    ["tests/test_adversarial_regressions.py::test_checkpoint_*",
                     "tests/test_properties.py::test_checkpoint_damage_refused"]),
    "new_event_types": ("tribe_pledge, tribe_mediation, exile, siege, evacuation, expulsion, "
                        "arrivals, camp_exit_rate: an evacuation to itself, arrivals from "
                        "where they arrive, children shares that cannot be met, a camp exit "
                        "rate of a town were accepted; arrivals were left out of the memory "
                        "estimate",
                        ["tests/test_adversarial_regressions.py::test_new_event_types_*",
                         "tests/test_adversarial_regressions.py::"
                         "test_arrivals_count_in_the_memory_estimate",
                         "tests/test_properties.py::test_new_event_types_typed_or_refused"]),
    "practices": ("practices files: market series unbounded above (1e300 SYP a dollar, price "
                  "index 1e12, territory 1e15 km2)",
                  ["tests/test_adversarial_regressions.py::test_practices_file_*"]),
    "camps_fronts": ("camps and fronts tables: capacities beyond int64, a camp transferring "
                     "to itself, two front or control rows for one place and day",
                     ["tests/test_adversarial_regressions.py::test_camps_table_hostile_rows",
                      "tests/test_adversarial_regressions.py::test_fronts_table_hostile_rows"]),
    "posterior": ("ranks run --posterior: a damaged calibration directory gave tracebacks",
                  ["tests/test_adversarial_regressions.py::test_posterior_directory_damage"]),
    "flee_suite": ("ranks flee-suite: symbolic-link loops under DIRECTORY, markup in conflict "
                   "names on the progress bar",
                   ["tests/test_adversarial_regressions.py::"
                    "test_flee_suite_survives_link_loops_and_markup_names"]),
    "property_base": ("the property tests' base scenario stopped validating on merged main "
                      "(the demo's levers), so every scenario and timeline mutation was refused "
                      "and those properties could not fail",
                      ["tests/test_properties.py::test_the_base_of_the_mutations_is_valid"]),
}


def pytest_run(args: list[str], env: dict[str, str]) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        *args], cwd=ROOT, env=env, capture_output=True, text=True)
    return p.returncode, time.perf_counter() - t0, p.stdout + p.stderr


def main() -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        counts = Path(tmp) / "counts.json"
        env["RANKS_HOSTILE_REPORT"] = str(counts)
        rc, secs, out = pytest_run(["tests/test_properties.py"], env)
        tried = json.loads(counts.read_text()) if counts.exists() else {"tried": {},
                                                                        "seconds": {}}
    summary = re.findall(r"(\d+) (passed|failed|error)", out)
    if "--properties-only" in sys.argv and OUT.exists():  # keep the stored regression run
        old = json.loads(OUT.read_text())["regression_tests"]
        rc2, secs2, out2 = (0 if old["all_pass"] else 1), old["seconds"], ""
        summary2 = [(str(v), k) for k, v in old["pytest"].items()]
    else:
        rc2, secs2, out2 = pytest_run(["tests/test_adversarial_regressions.py",
                                       "tests/test_outdir.py", "tests/test_timeline_args.py"],
                                      env)
        summary2 = re.findall(r"(\d+) (passed|failed|error|skipped)", out2)
    total = sum(tried["tried"].values())
    doc = {
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "load_avg": list(os.getloadavg())},
        "property_tests": {
            "hostile_inputs_tried": total,
            "all_held": rc == 0,
            "seconds": round(secs, 1),
            "pytest": dict((k, int(v)) for v, k in summary),
            "by_test": tried["tried"],
            "seconds_by_test": tried["seconds"],
        },
        "regression_tests": {
            "all_pass": rc2 == 0,
            "seconds": round(secs2, 1),
            "pytest": dict((k, int(v)) for v, k in summary2),
        },
        "breaks": {b: {"what": w, "fixed": rc2 == 0 and rc == 0, "tests": t}
                   for b, (w, t) in BREAKS.items()},
        "merged_inputs": {k: {"what": w, "fixed": rc2 == 0 and rc == 0, "tests": t}
                          for k, (w, t) in MERGED_INPUTS.items()},
    }
    if REPRO.exists():
        rep = json.loads(REPRO.read_text())
        doc["report_reproductions"] = {k: rep[k] for k in ("tried", "held", "by_class",
                                                           "commit", "skipped")}
    OUT.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps({k: doc[k] for k in ("property_tests", "regression_tests")}, indent=2))
    print(f"wrote {OUT}")
    if rc or rc2:
        print(out[-3000:], out2[-3000:])
        sys.exit(1)


if __name__ == "__main__":
    main()
