"""A/B of the national recompute: this checkout against an older revision, alternating.

One recompute is what the first national request after an import costs: a fresh
``CoverageCache().view(store, CoveragePolicy(), today)`` of the whole country, store reads
included. Each run is a new process (nothing read before is cached) on the same store,
opened read-only; round k runs the sides in order, round k+1 in reverse, so a drift of the
shared machine's speed hits both alike. Each run reports its wall and CPU time and a digest
of the answer (every table of the view, values and dtypes); the digests of all runs of
both sides must be equal.

    python -m bench.ab_recompute --store /tmp/s9/national.gpkg --base main --runs 6
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from bench.ab_import import checked_out
from bench.import_once import REPOSITORY, in_process_of

HEAD = "head"

_ONE_RECOMPUTE = """
import hashlib, json, sys, time
from datetime import date
import geo_service
from geo_service.coverage.derived import CoverageCache
from geo_service.settings import CoveragePolicy
from geo_service.store import open_store

store = open_store(sys.argv[1])
wall, cpu = time.perf_counter(), time.process_time()
view = CoverageCache().view(store, CoveragePolicy(), date.fromisoformat(sys.argv[2]))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
digest = hashlib.sha256()
result = view.result
for frame in (result.villages, result.rollups, result.sites, result.unplaced_sites,
              view.models, view.model_types, view.village_sources):
    digest.update(str(list(frame.dtypes.astype(str).items())).encode())
    digest.update(frame.reset_index(drop=True).to_csv().encode())
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "answer": digest.hexdigest(),
                  "code": geo_service.__file__}))
"""


def recompute_once(store: Path, day: str, code: Path, label: str = HEAD) -> dict[str, Any]:
    """One recompute in a new process running the ``geo_service`` of ``code``."""
    run: dict[str, Any] = json.loads(
        in_process_of(code, _ONE_RECOMPUTE, str(store), day).strip().splitlines()[-1]
    )
    if not Path(run["code"]).resolve().is_relative_to(code.resolve()):
        raise RuntimeError(f"the {label} run imported {run['code']}")
    return run


def compare(store: Path, day: str, base: Path, runs: int) -> dict[str, Any]:
    codes = {"base": base, HEAD: REPOSITORY}
    measured: dict[str, list[dict[str, Any]]] = {side: [] for side in codes}
    order = list(codes)
    for round_ in range(runs):
        for side in order if round_ % 2 == 0 else reversed(order):
            measured[side].append(recompute_once(store, day, codes[side], side))
    answers = {run["answer"] for rows in measured.values() for run in rows}
    if len(answers) != 1:
        raise AssertionError(f"the sides' answers differ: {sorted(answers)}")
    sides = {
        side: {
            "wall_s": [round(run["wall_s"], 3) for run in rows],
            "cpu_s": [round(run["cpu_s"], 3) for run in rows],
            "wall_median_s": round(statistics.median(run["wall_s"] for run in rows), 3),
            "cpu_median_s": round(statistics.median(run["cpu_s"] for run in rows), 3),
        }
        for side, rows in measured.items()
    }
    head, old = sides[HEAD], sides["base"]
    return {
        "sides": sides,
        "head_over_base": {
            "wall": round(head["wall_median_s"] / old["wall_median_s"], 3),
            "cpu": round(head["cpu_median_s"] / old["cpu_median_s"], 3),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", type=Path, required=True, help="a national store (read)")
    parser.add_argument("--base", required=True, help="the revision to compare with")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--as-of", default=None, help="the day (ISO); today by default")
    parser.add_argument("--out", type=Path, default=Path("bench/out/ab_recompute.json"))
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    from datetime import date

    day = args.as_of or date.today().isoformat()
    with checked_out(args.base) as base:
        report = compare(args.store.resolve(), day, base, args.runs)
    report |= {"store": str(args.store), "as_of": day, "base": args.base}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
