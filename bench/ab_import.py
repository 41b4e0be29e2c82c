"""A/B of the national village import: this checkout against older revisions.

The VM's speed drifts within minutes, so two benchmark runs taken one after the other can
differ by more than the change being measured. This alternates the codes instead, one
import per process (as a user's ``geo-service import`` runs): round k runs the sides in
order, round k+1 in reverse, and so on. Each process times the reference reads of the
file, then imports it into a fresh copy of a store holding the parents, built by the same
code (``bench.import_once``), and records the import's wall and CPU time.

Each base revision is checked out with ``git worktree`` into a temporary folder and
removed afterwards. Only ``pipeline.import_boundaries`` and ``store.open_store`` are used
on any side, so any revision since the Foundation issue can be compared.

    python -m bench.ab_import --base 4cbcd1a --base main --runs 10   # bench/out/ab_import.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench import import_once as once
from bench.bench_import import write_inputs
from bench.import_once import REPOSITORY, in_process_of
from bench.import_reads import BASELINE, RAW_READ

HEAD = "head"

_TEMPLATE = """
import sys
from pathlib import Path
try:
    from geo_service.imports import pipeline
except ImportError:  # revisions before the packages were laid out by data flow
    from geo_service import pipeline
from geo_service.store import open_store
outcome = pipeline.import_boundaries(open_store(sys.argv[1]), Path(sys.argv[2]))
assert outcome.import_id is not None, outcome.report
"""


@contextmanager
def checked_out(revision: str) -> Iterator[Path]:
    """``revision`` of this repository in a temporary ``git worktree``."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ab-base-")) / "code"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(folder), revision],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(folder)],
            cwd=REPOSITORY,
            capture_output=True,
        )
        shutil.rmtree(folder.parent, ignore_errors=True)


def compare(bases: dict[str, Path], runs: int, seed: int, scale: float) -> dict[str, Any]:
    """Alternate imports by the code of each base (label -> folder) and this checkout's."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ab-import-"))
    try:
        parents, villages, count = write_inputs(seed, scale, folder)
        codes = {**bases, HEAD: REPOSITORY}
        templates = {}
        for number, (side, code) in enumerate(codes.items()):
            templates[side] = folder / f"template-{number}.gpkg"
            in_process_of(code, _TEMPLATE, str(templates[side]), str(parents))
        measured: dict[str, list[dict[str, Any]]] = {side: [] for side in codes}
        order = list(codes)
        for round_ in range(runs):
            for side in order if round_ % 2 == 0 else reversed(order):
                measured[side].append(
                    once.import_once(villages, templates[side], codes[side], label=side)
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sides = {side: _summary(rows) for side, rows in measured.items()}
    return {"villages": count, "sides": sides, "head_over": _head_over(sides)}


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    totals = once.summary(rows)
    ratios = totals["per_run_ratios"]
    return totals | {
        "per_run_import_over_raw_read": statistics.median(ratios[RAW_READ]),
        "per_run_import_over_read_dataframe": statistics.median(ratios[BASELINE]),
    }


def _head_over(sides: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Head's median import (wall and CPU) over each base's."""
    head = sides[HEAD]
    return {
        side: {
            "wall": round(head["import_median_s"] / summary["import_median_s"], 3),
            "cpu": round(head["import_cpu_median_s"] / summary["import_cpu_median_s"], 3),
        }
        for side, summary in sides.items()
        if side != HEAD
    }


def _revision(name: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", name],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--base",
        required=True,
        action="append",
        help="git revision to compare against (repeat the option for several)",
    )
    parser.add_argument("--runs", type=int, default=10, help="imports per side")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=REPOSITORY / "bench/out/ab_import.json")
    args = parser.parse_args(argv)
    revisions = {base: _revision(base) for base in args.base}
    with ExitStack() as stack:
        bases = {base: stack.enter_context(checked_out(base)) for base in args.base}
        report = compare(bases, args.runs, args.seed, args.scale)
    bases_given = " ".join(f"--base {base}" for base in args.base)
    report |= {
        "command": f"python -m bench.ab_import {bases_given} --runs {args.runs} "
        f"--seed {args.seed} --scale {args.scale}",
        "revisions": revisions | {HEAD: _revision("HEAD")},
    }
    for side, summary in report["sides"].items():
        print(
            f"{side} ({report['revisions'][side]}): import median "
            f"{summary['import_median_s']:.2f} s wall, {summary['import_cpu_median_s']:.2f} s "
            f"CPU (runs {', '.join(f'{s:.2f}' for s in summary['import_s'])}); per run, "
            f"import / raw.read {summary['per_run_import_over_raw_read']:.2f}x, import / "
            f"read_dataframe {summary['per_run_import_over_read_dataframe']:.2f}x; the cycle "
            f"collector's full passes: {statistics.median(summary['full_collections']):g}, "
            f"{summary['full_collections_cpu_median_s']:.2f} s CPU (medians)"
        )
    for side, ratio in report["head_over"].items():
        print(f"head / {side}: {ratio['wall']:.2f} wall, {ratio['cpu']:.2f} CPU")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
