"""The map's data at village zoom, before and after a change: per-request CPU, the same
answers, and what keeping the no-data areas costs once per view.

Each side (``--before``, a git ref of this repository, and the working tree) runs in a
fresh process of its own, alternating, on a copy of the store: the app in-process
(``TestClient``), a first request (the national coverage view computed and kept), then
``--passes`` passes of ``/api/map/features?level=4&bbox=`` over ``--communes`` communes'
bboxes (``national_table.commune_boxes``), each request timed by ``time.process_time``
(every thread of the process). The answers of the two sides must be byte-identical.
Prints the report as JSON and writes it to ``bench/out/bench_no_data_areas.json``.

``--greyed F`` first removes the villages of a fraction F of the communes from the copy
(their lists unknown: each is greyed whole), for a store with many no-data areas.

    python -m bench.bench_no_data_areas --store /tmp/s9/national.gpkg --before main
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
OUT = REPOSITORY / "bench" / "out" / "bench_no_data_areas.json"


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(store_path: str, boxes: list[list[float]], passes: int) -> dict[str, Any]:
    """One side's figures, in this process (run by ``--worker``)."""
    from fastapi.testclient import TestClient

    import geo_service
    from geo_service.app import create_app
    from geo_service.settings import Settings

    figures: dict[str, Any] = {"code": str(Path(geo_service.__file__).parent)}
    with TestClient(create_app(Settings(store_path=Path(store_path)))) as client:
        figures["rss_start_mb"] = rss_mb()
        started = time.process_time()
        client.get("/api/map/features", params={"bbox": "105,21,105.01,21.01", "level": 3})
        figures["first_request_cpu_s"] = time.process_time() - started
        figures["rss_after_view_mb"] = rss_mb()
        figures.update(_no_data_build(client))
        figures["rss_after_areas_mb"] = rss_mb()
        answers: list[str] = []
        seconds: list[float] = []
        for turn in range(passes + 1):  # the first pass warms up, and is not counted
            for box in boxes:
                params = {"bbox": ",".join(map(repr, box)), "level": 4}
                started = time.process_time()
                response = client.get("/api/map/features", params=params)
                spent = time.process_time() - started
                assert response.status_code == 200, response.text
                if turn == 0:
                    answers.append(hashlib.sha256(response.content).hexdigest())
                else:
                    seconds.append(spent)
        figures["rss_end_mb"] = rss_mb()
        figures["request_cpu_ms_median"] = statistics.median(seconds) * 1000
        figures["request_cpu_ms_mean"] = statistics.fmean(seconds) * 1000
        figures["answers"] = answers
        figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _no_data_build(client: Any) -> dict[str, Any]:
    """The one-time build of the national view's no-data areas, where the code has it."""
    try:
        from geo_service.coverage.reads import no_data_areas_of
    except ImportError:
        return {}
    from geo_service.api.views import coverage_policy

    app = client.app
    store, cache = app.state.store, app.state.coverage_cache
    view = cache.view(store, coverage_policy(store, app.state.settings, None), date.today())
    started = time.process_time()
    cache.no_data_areas(store, view)
    built = time.process_time() - started
    return {
        "no_data_build_cpu_s": built,
        "no_data_areas": len(no_data_areas_of(store, view).areas),
    }


def greyed_copy(source: Path, out: Path, share: float, seed: int) -> int:
    """``source`` copied to ``out`` without the villages of ``share`` of its communes;
    returns how many communes lost their villages."""
    shutil.copy(source, out)
    with sqlite3.connect(out) as db:
        communes = [row[0] for row in db.execute("SELECT DISTINCT code FROM units WHERE level=3")]
        chosen = random.Random(seed).sample(communes, int(len(communes) * share))
        db.execute("CREATE TEMP TABLE greyed(code TEXT PRIMARY KEY)")
        db.executemany("INSERT INTO greyed VALUES (?)", [(code,) for code in chosen])
        db.execute("DELETE FROM units WHERE level=4 AND parent_code IN (SELECT code FROM greyed)")
    return len(chosen)


def _side(src: Path, store: Path, boxes: list[list[float]], passes: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{REPOSITORY}"}
    command = [sys.executable, "-m", "bench.bench_no_data_areas", "--worker", str(store)]
    done = subprocess.run(
        command,
        input=json.dumps({"boxes": boxes, "passes": passes}),
        capture_output=True,
        text=True,
        env=env,
        cwd=src,  # ``-m`` puts the working directory first on the path
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a GeoPackage store (copied, never written)")
    parser.add_argument("--before", default="main", help="git ref of the code to compare with")
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--greyed", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is None and args.store is None:
        parser.error("--store is required")
    if args.worker is not None:
        asked = json.loads(sys.stdin.read())
        print(json.dumps(measure(str(args.worker), asked["boxes"], asked["passes"])))
        return

    from bench.national_table import commune_boxes

    with tempfile.TemporaryDirectory(prefix="bench-no-data-") as folder:
        before = Path(folder) / "before"
        before.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.before, "geo_service"],
            cwd=REPOSITORY,
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
        store = Path(folder) / "store.gpkg"
        greyed = greyed_copy(args.store, store, args.greyed, args.seed)
        boxes = [list(box) for _, box in commune_boxes(store, args.communes, args.seed)]
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for _ in range(args.rounds):
            runs["before"].append(_side(before, store, boxes, args.passes))
            runs["after"].append(_side(REPOSITORY, store, boxes, args.passes))
    answers = {side: [run.pop("answers") for run in found] for side, found in runs.items()}
    same = all(a == answers["before"][0] for side in answers.values() for a in side)
    cpu = {
        side: statistics.median(run["request_cpu_ms_median"] for run in found)
        for side, found in runs.items()
    }
    report = {
        "command": "python -m bench.bench_no_data_areas " + " ".join(sys.argv[1:]),
        "before": args.before,
        "communes": len(boxes),
        "greyed_communes": greyed,
        "same_answers": same,
        "request_cpu_ms": cpu,
        "after_over_before": cpu["after"] / cpu["before"],
        "runs": runs,
    }
    text = json.dumps(report, indent=2)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(text)
    if not same:
        sys.exit("the answers differ")


if __name__ == "__main__":
    main()
