"""Two imports of the same file at once: one writes it, the other finds nothing to change.

To make the race certain rather than likely, the test holds the store's write lock (as a
third writer would) until both imports have compared and wait to write; then it lets go.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geo_service.imports import pipeline
from geo_service.imports.progress import reporting
from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import open_store

PARENTS = DEMO_DATA_DIR / "units_pre2025.geojson"
FILE = DEMO_DATA_DIR / "units_2025.geojson"
WAIT_S = 120


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def store_with_parents(tmp_path: Path) -> Path:
    path = tmp_path / "store.gpkg"
    assert pipeline.import_boundaries(open_store(str(path)), PARENTS).import_id == 1
    return path


def logged_files(path: Path) -> list[str]:
    return open_store(str(path)).imports()["file_name"].tolist()


def test_two_threads_importing_one_file_write_it_once(tmp_path: Path) -> None:
    path = store_with_parents(tmp_path)
    waiting = [threading.Event(), threading.Event()]
    outcomes: list[pipeline.ImportOutcome] = []

    def run(ready: threading.Event) -> None:
        def seen(label: str) -> None:
            if label.startswith("writing"):
                ready.set()

        with reporting(seen):
            outcomes.append(pipeline.import_boundaries(store, FILE))

    store = open_store(str(path))  # before the lock is taken: opening needs no lock
    threads = [threading.Thread(target=run, args=(ready,)) for ready in waiting]
    with write_lock_held(path):
        for thread in threads:
            thread.start()
        assert all(ready.wait(WAIT_S) for ready in waiting)  # both compared: all 26 new
    for thread in threads:
        thread.join(WAIT_S)
    assert sorted(outcome.import_id is None for outcome in outcomes) == [False, True]
    again = next(outcome for outcome in outcomes if outcome.import_id is None)
    assert not again.changed and again.changes["units"].unchanged == 26
    assert logged_files(path) == [PARENTS.name, FILE.name]


IMPORT_IN_A_PROCESS = """
import sys
from pathlib import Path
from geo_service.imports import pipeline
from geo_service.imports.progress import reporting
from geo_service.store import open_store
store = open_store(sys.argv[1])
print("opened", flush=True)
sys.stdin.readline()  # the test holds the write lock now
with reporting(lambda label: print(label, flush=True)):
    outcome = pipeline.import_boundaries(store, Path(sys.argv[2]))
print("import", outcome.import_id, "changed", outcome.changed, flush=True)
"""


def test_two_processes_importing_one_file_write_it_once(tmp_path: Path) -> None:
    path = store_with_parents(tmp_path)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORT_IN_A_PROCESS, str(path), str(FILE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.stdout is not None and run.stdout.readline() == "opened\n"
    with write_lock_held(path):
        for run in runs:
            assert run.stdin is not None and run.stdout is not None
            run.stdin.write("go\n")
            run.stdin.flush()
            while not (line := run.stdout.readline()).startswith("writing"):
                assert line, "the import ended before it wrote"
    results = sorted(run.communicate(timeout=WAIT_S)[0].splitlines()[-1] for run in runs)
    assert results == ["import 2 changed True", "import None changed False"]
    assert all(run.returncode == 0 for run in runs)
    assert logged_files(path) == [PARENTS.name, FILE.name]
