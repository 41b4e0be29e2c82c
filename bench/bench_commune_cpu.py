"""CPU per request of one commune's OGC items and map data: this checkout against an older
revision, in the same run.

A busy machine makes wall-clock figures noisy; the CPU a request costs in its own process
(``time.process_time`` around an in-process request, starlette's TestClient, one at a
time) is what a change of code changes. Each side runs in a new process importing its own
``geo_service`` (the base revision checked out with ``git worktree``), against a copy of
the same national store, the sides alternating ``--rounds`` times:

- ``/ogc/collections/villages/items?bbox=<commune bbox>&limit=100``;
- ``/api/map/features?level=4&bbox=<commune bbox>``;

for ``--communes`` communes (``national_table.commune_boxes``: seeded), after a first pass
over them (the national view kept, as a busy server holds it). Every answer (less its
``timeStamp``) must be the same on both sides.

    python -m bench.bench_commune_cpu --store /tmp/s9/national.gpkg --base main
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench import options
from bench.ab_import import checked_out
from bench.import_once import REPOSITORY, in_process_of
from bench.national_store import build
from bench.national_table import commune_boxes

PATHS = {
    "ogc_items": "/ogc/collections/villages/items?bbox={}&limit=100",
    "map_features": "/api/map/features?level=4&bbox={}",
}

_ONE_SIDE = """
import hashlib, json, sys, time
import orjson
from fastapi.testclient import TestClient
import geo_service
from geo_service.app import create_app
from geo_service.settings import Settings

store, paths, boxes = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
cpu = {kind: [] for kind in paths}
answers = {}
with TestClient(create_app(Settings(store_path=store, demo=False))) as client:
    for kind, path in paths.items():  # the national view and the boxes' geometry kept
        for box in boxes:
            client.get(path.format(box))
    for kind, path in paths.items():
        for box in boxes:
            start = time.process_time()
            response = client.get(path.format(box))
            cpu[kind].append(time.process_time() - start)
            assert response.status_code == 200, response.text[:300]
            body = response.json()
            body.pop("timeStamp", None)
            digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
            answers[kind + " " + box] = digest.hexdigest()
print(json.dumps({"code": geo_service.__file__, "cpu_s": cpu, "answers": answers}))
"""


def one_side(code: Path, store: Path, boxes: list[str]) -> dict[str, Any]:
    """Per-request CPU seconds of every request, and each answer's digest, by ``code``."""
    printed = in_process_of(code, _ONE_SIDE, str(store), json.dumps(PATHS), json.dumps(boxes))
    run: dict[str, Any] = json.loads(printed.strip().splitlines()[-1])
    if not Path(run["code"]).resolve().is_relative_to(code.resolve()):
        raise RuntimeError(f"{code} ran {run['code']}")
    return run


def compare(base: Path, store: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Both sides, alternating; the median CPU per request of each and base/head."""
    boxes = [
        ",".join(f"{v:.6f}" for v in box) for _, box in commune_boxes(store, args.communes, 42)
    ]
    cpu: dict[str, dict[str, list[float]]] = {"base": {}, "head": {}}
    answers: dict[str, dict[str, str]] = {}
    for _ in range(args.rounds):
        for side, code in (("base", base), ("head", REPOSITORY)):
            run = one_side(code, store, boxes)
            for kind, seconds in run["cpu_s"].items():
                cpu[side].setdefault(kind, []).extend(seconds)
            answers[side] = run["answers"]
    if answers["base"] != answers["head"]:
        differing = sorted(
            k for k in answers["base"] if answers["base"][k] != answers["head"].get(k)
        )
        raise RuntimeError(f"the sides answered differently: {differing[:5]}")
    medians = {
        side: {kind: 1000 * statistics.median(values) for kind, values in kinds.items()}
        for side, kinds in cpu.items()
    }
    return {
        "communes": len(boxes),
        "requests_per_side_and_kind": len(boxes) * args.rounds,
        "cpu_ms_median": medians,
        "base_over_head": {kind: medians["base"][kind] / medians["head"][kind] for kind in PATHS},
        "answers_compared": len(answers["head"]),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-commune-cpu-") as folder:
        store = Path(folder) / "national.gpkg"
        if args.store is not None:
            shutil.copy(args.store, store)  # the given store is only read
        else:
            build(store, args.seed, args.scale).close()
        if args.base_code is not None:
            report = compare(args.base_code, store, args)
        else:
            with checked_out(args.base) as base:
                report = compare(base, store, args)
    return {"base": args.base if args.base_code is None else str(args.base_code), **report}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="a national store to copy")
    parser.add_argument("--seed", type=int, default=42, help="without --store: build one")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--base", default="main", help="revision of the previous code")
    parser.add_argument("--base-code", type=Path, default=None, help="a folder of base code")
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/out/commune_cpu.json"))
    args = parser.parse_args(argv)
    report = run(args)
    shown = options.console()
    shown.print_json(data=report)
    options.write_report(report, args.out, shown)
    return report


if __name__ == "__main__":
    main()
