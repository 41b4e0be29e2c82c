"""Imports announce their stages; the CLI turns them into a progress bar on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from geo_service.imports.pipeline import import_boundaries
from geo_service.imports.progress import reporting
from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import Store


def test_an_import_reports_its_stages_in_order(empty_store: Store) -> None:
    seen: list[str] = []
    with reporting(seen.append):
        import_boundaries(empty_store, DEMO_DATA_DIR / "units_pre2025.geojson")
    assert seen == [
        "reading units_pre2025.geojson",
        "checking codes, names and types",
        "checking parents",
        "following the administrative reforms",
        "comparing with the store",
        "writing (one transaction)",
    ]


def test_the_command_line_draws_a_bar_on_a_terminal(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("geo-service")
    leader, follower = pty.openpty()
    process = subprocess.run(
        [
            str(script),
            "import",
            "boundaries",
            str(DEMO_DATA_DIR / "units_pre2025.geojson"),
            "--store",
            str(tmp_path / "p.gpkg"),
        ],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0
    assert "reading units_pre2025.geojson" in screen  # the bar's label, drawn live
    assert "imported" in screen
