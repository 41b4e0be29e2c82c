"""What a person reads first: every command's --help, and the line `serve` starts with."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from geo_service.cli.main import app
from tests.live import free_port

runner = CliRunner()


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group of the CLI, with the words that invoke it."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


COMMANDS = dict(commands(typer.main.get_command(app)))


def test_the_cli_has_every_command() -> None:
    assert {" ".join(path) for path in COMMANDS} >= {
        "serve",
        "demo",
        "coverage",
        "map",
        "import boundaries",
        "import models",
        "import lineage",
        "imports list",
        "imports undo",
        "villages derive",
    }


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda path: " ".join(path) or "main")
def test_help_shows_flags_as_flags_and_explains_every_option(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    for param in COMMANDS[path].params:
        assert getattr(param, "help", None), f"{' '.join(path)}: {param.name} has no help"
        if getattr(param, "is_flag", False):
            assert all(name in result.output for name in param.opts)
            assert not param.secondary_opts, f"{param.opts}: a flag needs no --no- form"


def test_coverage_help_describes_json() -> None:
    output = runner.invoke(app, ["coverage", "--help"]).output
    assert "--json" in output and "Print the rows as JSON" in output


def test_serve_announces_the_store_and_the_url(demo_gpkg: Path, tmp_path: Path) -> None:
    store = tmp_path / "served.gpkg"
    shutil.copy(demo_gpkg, store)
    port = free_port()
    script = Path(sys.executable).with_name("geo-service")
    command = [str(script), "serve", "--store", str(store), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:  # until it listens, so that it has printed its first line
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        stdout, _ = server.communicate(timeout=30)
    first = stdout.splitlines()[0]
    assert first == f"geo-service: serving {store.resolve()} at http://127.0.0.1:{port}/"
