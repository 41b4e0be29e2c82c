"""The README's two commands are the ones CI and users run."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_quick_start_has_exactly_two_commands() -> None:
    serve, test = readme_commands()
    assert serve.startswith("python3 -m venv .venv && ")
    assert serve.endswith("geo-service serve --demo")
    assert "pytest" in test and "ruff check" in test and "mypy" in test


def test_ci_runs_the_readme_test_command() -> None:
    _, test = readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci_lines[-1] == test


def test_the_test_command_selects_every_test() -> None:
    """No marker or keyword filter: CI runs the browser tests and builds and serves the wheel."""
    _, test = readme_commands()
    pytest_args = test.rsplit(".venv/bin/pytest", 1)[1].split()
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "pytest"
    ]["ini_options"]["addopts"].split()
    for arg in pytest_args + addopts:
        assert not arg.startswith(("-m", "-k", "--deselect", "--ignore")), arg
