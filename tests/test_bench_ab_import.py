"""The A/B import benchmark runs each side's own code, alternating, and cleans up."""

from __future__ import annotations

import subprocess

from bench.ab_import import REPOSITORY, compare


def _worktrees() -> str:
    return subprocess.run(
        ["git", "worktree", "list"], cwd=REPOSITORY, capture_output=True, text=True, check=True
    ).stdout


def test_both_sides_import_every_village_and_the_worktree_is_removed() -> None:
    before = _worktrees()
    report = compare("HEAD", runs=2, seed=2, scale=0.005)
    assert report["villages"] > 100
    for side in ("base", "head"):
        summary = report["sides"][side]
        assert len(summary["import_s"]) == 2 and all(s > 0 for s in summary["import_s"])
        assert summary["per_run_import_over_raw_read"] > 0
    assert _worktrees() == before
