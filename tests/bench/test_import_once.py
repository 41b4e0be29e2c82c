"""The fresh-process import benchmark runs the real import in a new process and checks it."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from bench.bench_import import template_store, write_inputs
from bench.import_once import fresh_process_runs
from bench.import_reads import REFERENCE_READS


def test_each_run_imports_every_village_in_a_process_of_its_own(tmp_path: Path) -> None:
    parents, villages, count = write_inputs(seed=2, scale=0.005, folder=tmp_path)
    template = template_store(parents, tmp_path)
    with sqlite3.connect(template) as connection:
        before = connection.execute("SELECT count(*) FROM units").fetchone()
    result = fresh_process_runs(villages, template, repeat=2)
    assert len(result["import_s"]) == 2 and all(s > 0 for s in result["import_s"])
    assert set(result["per_run_ratios"]) == set(REFERENCE_READS)
    assert all(len(ratios) == 2 for ratios in result["per_run_ratios"].values())
    # Each run imports into its own copy: the template is left as it was.
    with sqlite3.connect(template) as connection:
        assert connection.execute("SELECT count(*) FROM units").fetchone() == before
    assert count > 100


def test_a_run_whose_import_fails_stops_the_benchmark(tmp_path: Path) -> None:
    parents, villages, _ = write_inputs(seed=2, scale=0.005, folder=tmp_path)
    empty = tmp_path / "empty.gpkg"
    template_store(parents, tmp_path).rename(empty)
    with sqlite3.connect(empty) as connection:  # the parents are gone: villages are refused
        connection.execute("DELETE FROM units")
    with pytest.raises(subprocess.CalledProcessError):
        fresh_process_runs(villages, empty, repeat=1)
