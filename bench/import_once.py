"""One village import in a process of its own, as ``geo-service import boundaries`` runs.

``bench_import`` times its runs in one process, with every cache of the service cleared
before each. This runs each import in a fresh Python process instead (nothing memoised,
nothing allocated before it, as a user's command), after the reference reads of the same
file timed in that process, and alternates nothing else with it. It is the closest to what
a user waits for, short of the interpreter's start-up and the module imports.

    python -m bench.import_once VILLAGES.gpkg TEMPLATE.gpkg   # prints one JSON line
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyogrio

from bench.import_reads import REFERENCE_READS, check_store, timed_reads
from geo_service import pipeline
from geo_service.store import open_store


def import_once(villages: Path, template: Path) -> dict[str, Any]:
    """Time the reference reads, then the import of ``villages`` into a copy of
    ``template``; check the store it leaves."""
    folder = Path(tempfile.mkdtemp(prefix="bench-import-once-"))
    try:
        store_path = folder / "store.gpkg"
        shutil.copyfile(template, store_path)
        store = open_store(str(store_path))
        villages_held = pyogrio.read_info(villages)["features"]
        reads = timed_reads(villages, villages_held)
        started = time.perf_counter()
        outcome = pipeline.import_boundaries(store, villages)
        seconds = time.perf_counter() - started
        if outcome.import_id is None or outcome.changes["units"].new != villages_held:
            raise AssertionError(f"the import did not add every village: {outcome.changes}")
        check_store(store_path, villages_held, _held_units(template))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"import_s": seconds, "reads_s": reads}


def _held_units(template: Path) -> int:
    with sqlite3.connect(template) as connection:
        (count,) = connection.execute("SELECT count(*) FROM units").fetchone()
    return int(count)


def fresh_process_runs(villages: Path, template: Path, repeat: int) -> dict[str, Any]:
    """``repeat`` imports, each in a new process; medians and per-run ratios."""
    runs = []
    for _ in range(repeat):
        finished = subprocess.run(
            [sys.executable, "-m", "bench.import_once", str(villages), str(template)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        runs.append(json.loads(finished.stdout.strip().splitlines()[-1]))
    return {
        "import_s": [round(run["import_s"], 3) for run in runs],
        "import_median_s": round(statistics.median(run["import_s"] for run in runs), 3),
        "reference_reads_median_s": {
            name: round(statistics.median(run["reads_s"][name] for run in runs), 3)
            for name in REFERENCE_READS
        },
        "per_run_ratios": {
            name: [round(run["import_s"] / run["reads_s"][name], 2) for run in runs]
            for name in REFERENCE_READS
        },
    }


if __name__ == "__main__":
    print(json.dumps(import_once(Path(sys.argv[1]), Path(sys.argv[2]))))
