"""One village import in a process of its own, as ``geo-service import boundaries`` runs.

``bench_import`` times its runs in one process, with every cache of the service cleared
before each. This runs each import in a fresh Python process instead (nothing memoised,
nothing allocated before it, as a user's command), after the reference reads of the same
file timed in that process. It is the closest to what a user waits for, short of the
interpreter's start-up and the module imports. Each run records the import's wall time and
its CPU time (on a shared machine the first also counts the time spent waiting for a core),
and how many full passes the cycle collector made during the import and their CPU time,
observed through ``gc.callbacks`` without changing when it runs.

The process runs a self-contained script against a folder of code (this checkout, or an
older revision for ``bench.ab_import``): it uses only ``pipeline.import_boundaries`` (in
``geo_service.imports`` since the packages were laid out by data flow, in ``geo_service``
before) and ``store.open_store``, which every revision since the Foundation issue has.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.import_reads import REFERENCE_READS

REPOSITORY = Path(__file__).resolve().parent.parent

# The reads are those of ``import_reads.REFERENCE_READS``, by the same names.
_ONE_IMPORT = """
import gc, json, shutil, sqlite3, subprocess, sys, tempfile, time
from pathlib import Path
import pyogrio
import geo_service
try:
    from geo_service.imports import pipeline
except ImportError:  # revisions before the packages were laid out by data flow
    from geo_service import pipeline
from geo_service.store import open_store
template, villages = Path(sys.argv[1]), Path(sys.argv[2])
def ogr2ogr_copy():
    folder = Path(tempfile.mkdtemp())
    target = folder / "copy.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), str(villages)], check=True)
    written = pyogrio.read_info(target)["features"]
    shutil.rmtree(folder)
    return written
reads = {
    "pyogrio.read_dataframe": lambda: len(pyogrio.read_dataframe(villages)),
    "pyogrio.raw.read": lambda: len(pyogrio.raw.read(villages)[2]),
    "pyogrio.read_dataframe(use_arrow=True)": lambda: len(
        pyogrio.read_dataframe(villages, use_arrow=True)
    ),
    "ogr2ogr -f GPKG": ogr2ogr_copy,
}
count = pyogrio.read_info(villages)["features"]
seconds = {}
for name, read in reads.items():
    started = time.perf_counter()
    assert read() == count, name
    seconds[name] = time.perf_counter() - started
folder = Path(tempfile.mkdtemp())
store_path = folder / "store.gpkg"
shutil.copyfile(template, store_path)
with sqlite3.connect(template) as connection:
    (parents,) = connection.execute("SELECT count(*) FROM units").fetchone()
full = {"passes": 0, "cpu_s": 0.0, "since": 0.0}
def count_full_passes(phase, info):  # observed only: the collector runs as it would
    if info["generation"] == 2 and phase == "start":
        full["since"] = time.process_time()
    elif info["generation"] == 2:
        full["passes"] += 1
        full["cpu_s"] += time.process_time() - full["since"]
started, cpu = time.perf_counter(), time.process_time()
gc.callbacks.append(count_full_passes)
outcome = pipeline.import_boundaries(open_store(str(store_path)), villages)
gc.callbacks.remove(count_full_passes)
import_s, import_cpu_s = time.perf_counter() - started, time.process_time() - cpu
assert outcome.import_id is not None and outcome.changes["units"].new == count, outcome.changes
with sqlite3.connect(store_path) as connection:
    (stored,) = connection.execute("SELECT count(*) FROM units").fetchone()
    (indexed,) = connection.execute("SELECT count(*) FROM rtree_units_geom").fetchone()
    (shapes,) = connection.execute("SELECT count(*) FROM units WHERE geom NOT NULL").fetchone()
assert stored == parents + count and indexed == shapes, (stored, indexed, shapes)
assert pyogrio.read_info(store_path, layer="units")["features"] == stored
shutil.rmtree(folder)
print(json.dumps({
    "import_s": import_s, "import_cpu_s": import_cpu_s, "reads_s": seconds,
    "full_collections": full["passes"], "full_collections_cpu_s": full["cpu_s"],
    "code": geo_service.__file__,
}))
"""


def in_process_of(code: Path, script: str, *args: str) -> str:
    """Run ``script`` in a new Python process that imports ``geo_service`` from ``code``;
    return what it printed (a failing script raises ``CalledProcessError``)."""
    finished = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=code,
        env=os.environ | {"PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=True,
    )
    return finished.stdout


def import_once(
    villages: Path, template: Path, code: Path = REPOSITORY, label: str = "head"
) -> dict[str, Any]:
    """Time the reference reads, then the import of ``villages`` into a copy of
    ``template``, in a new process running ``code``; the store it leaves is checked."""
    run: dict[str, Any] = json.loads(
        in_process_of(code, _ONE_IMPORT, str(template), str(villages)).strip().splitlines()[-1]
    )
    if not Path(run["code"]).resolve().is_relative_to(code.resolve()):
        raise RuntimeError(f"the {label} run imported {run['code']}")
    return run


def fresh_process_runs(villages: Path, template: Path, repeat: int) -> dict[str, Any]:
    """``repeat`` imports, each in a new process; medians and per-run ratios."""
    return summary([import_once(villages, template) for _ in range(repeat)])


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "import_s": [round(run["import_s"], 3) for run in runs],
        "import_median_s": round(statistics.median(run["import_s"] for run in runs), 3),
        "import_cpu_s": [round(run["import_cpu_s"], 3) for run in runs],
        "import_cpu_median_s": round(statistics.median(run["import_cpu_s"] for run in runs), 3),
        "full_collections": [run["full_collections"] for run in runs],
        "full_collections_cpu_median_s": round(
            statistics.median(run["full_collections_cpu_s"] for run in runs), 3
        ),
        "reference_reads_median_s": {
            name: round(statistics.median(run["reads_s"][name] for run in runs), 3)
            for name in REFERENCE_READS
        },
        "per_run_ratios": {
            name: [round(run["import_s"] / run["reads_s"][name], 2) for run in runs]
            for name in REFERENCE_READS
        },
    }
