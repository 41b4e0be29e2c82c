"""A/B of the national village import: this checkout against an older revision.

The VM's speed drifts within minutes (``docs/benchmarks.md``), so two benchmark runs taken
one after the other can differ by more than the change being measured. This alternates
the two codes instead, one import per process (as a user's ``geo-service import`` runs):
round k runs base then head, round k+1 head then base, and so on. Each process times the
reference reads of the file, then imports it into a fresh copy of a store holding the
parents, built by the same code (``bench.import_once``).

The base revision is checked out with ``git worktree`` into a temporary folder and
removed afterwards. Only ``pipeline.import_boundaries`` and ``store.open_store`` are used
on either side, so any revision since the Foundation issue can be compared.

    python -m bench.ab_import --base 56c73d6 --runs 10    # writes bench/out/ab_import.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import import_once as once
from bench.bench_import import write_inputs
from bench.import_once import REPOSITORY, in_process_of
from bench.import_reads import BASELINE, RAW_READ

_TEMPLATE = """
import sys
from pathlib import Path
from geo_service.imports import pipeline
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


def compare(base_code: Path, runs: int, seed: int, scale: float) -> dict[str, Any]:
    """Alternate imports by the code in ``base_code`` and by this checkout's code."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ab-import-"))
    try:
        parents, villages, count = write_inputs(seed, scale, folder)
        codes = {"base": base_code, "head": REPOSITORY}
        templates = {}
        for side, code in codes.items():
            templates[side] = folder / f"template-{side}.gpkg"
            in_process_of(code, _TEMPLATE, str(templates[side]), str(parents))
        measured: dict[str, list[dict[str, Any]]] = {side: [] for side in codes}
        for round_ in range(runs):
            for side in ("base", "head") if round_ % 2 == 0 else ("head", "base"):
                measured[side].append(
                    once.import_once(villages, templates[side], codes[side], label=side)
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"villages": count, "sides": {side: _summary(rows) for side, rows in measured.items()}}


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    totals = once.summary(rows)
    ratios = totals["per_run_ratios"]
    return totals | {
        "per_run_import_over_raw_read": statistics.median(ratios[RAW_READ]),
        "per_run_import_over_read_dataframe": statistics.median(ratios[BASELINE]),
    }


def _head_revision() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="git revision to compare against")
    parser.add_argument("--runs", type=int, default=10, help="imports per side")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=REPOSITORY / "bench/out/ab_import.json")
    args = parser.parse_args(argv)
    with checked_out(args.base) as base_code:
        report = compare(base_code, args.runs, args.seed, args.scale)
    report |= {
        "command": f"python -m bench.ab_import --base {args.base} --runs {args.runs} "
        f"--seed {args.seed} --scale {args.scale}",
        "base": args.base,
        "head": _head_revision(),
    }
    for side, summary in report["sides"].items():
        revision = report[side]
        print(
            f"{side} ({revision}): import median {summary['import_median_s']:.2f} s "
            f"(runs {', '.join(f'{s:.2f}' for s in summary['import_s'])}); per run, import / "
            f"raw.read {summary['per_run_import_over_raw_read']:.2f}x, import / "
            f"read_dataframe {summary['per_run_import_over_read_dataframe']:.2f}x"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
