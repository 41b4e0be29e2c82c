"""The reading commands (coverage, map, imports list) over every level, before and after
the 2025 reform, and over units whose figures (members, cameras, population) are missing.

Each must exit 0 with its rows, or 2 with an error line; never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from geo_service.cli.main import app

runner = CliRunner()
BEFORE, AFTER = "2025-06-30", "2025-07-01"  # the last day of the old tree, the first of the new
LEVELS = (1, 2, 3, 4)
# (date, unit code, its level, its name): demo units whose member counts are missing.
UNITS = [
    (BEFORE, "01", 1, "Thành phố Hà Nội"),  # no member count, no cameras
    (BEFORE, "269", 2, "Thị xã Sơn Tây"),
    (BEFORE, "09595", 3, "Phường Viên Sơn"),  # no member count anywhere in it
    (BEFORE, "09595-001", 4, "Tổ dân phố 1 Tiền Huân"),
    (AFTER, "01", 1, "Thành phố Hà Nội"),
    (AFTER, "09574", 3, "Phường Sơn Tây"),  # where the villages of 09595 belong since
    (AFTER, "07057-004", 4, "Thôn 4"),  # no team, in the merged commune 07054
]


@pytest.fixture
def store(demo_gpkg: Path, tmp_path: Path) -> str:
    path = tmp_path / "store.gpkg"
    shutil.copy(demo_gpkg, path)
    return str(path)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def as_json(*args: str) -> list[dict[str, Any]]:
    code, output = invoke(*args, "--json")
    assert code == 0, output
    rows = json.loads(output)
    assert isinstance(rows, list)
    return rows


def table_rows(output: str) -> dict[str, list[str]]:
    """The cells of each row of a Rich table, by the row's first cell (its code); a wrapped
    name continues on lines with an empty first cell, which are skipped."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            if cells[0]:
                rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("as_of", [BEFORE, AFTER, None])
def test_coverage_at_every_level_prints_the_json_rows_as_a_table(
    store: str, level: int, as_of: str | None
) -> None:
    dated = ("--as-of", as_of) if as_of else ()
    args = ("coverage", "--store", store, "--level", str(level), *dated)
    rows = as_json(*args)
    code, output = invoke(*args)
    assert code == 0, output
    if not rows:  # no districts after the reform
        assert level == 2 and as_of != BEFORE
        assert "no districts on" in output
        return
    shown = table_rows(output)
    assert set(shown) == {row["code"] for row in rows}
    for row in rows:
        cells = shown[row["code"]]
        for position, (column, value) in enumerate(row.items()):
            if column != "name":  # names wrap over several lines
                assert cells[position] == ("" if value is None else str(value)), (column, cells)


@pytest.mark.parametrize(("as_of", "unit", "unit_level", "name"), UNITS)
@pytest.mark.parametrize("level", LEVELS)
def test_coverage_of_a_unit_with_missing_counts_at_every_level(
    store: str, as_of: str, unit: str, unit_level: int, name: str, level: int
) -> None:
    args = ("coverage", "--store", store, "--unit", unit, "--level", str(level), "--as-of", as_of)
    rows = as_json(*args)
    code, output = invoke(*args)
    assert code == 0, output
    if level < unit_level or (level == 2 and as_of == AFTER):  # no districts since the reform
        assert rows == []
        assert f"in {unit} on {as_of} (there are rows at --level" in output
        return
    assert rows, output
    if level == unit_level:
        assert [row["code"] for row in rows] == [unit]
        assert rows[0]["name"] == name
    assert any(row["members"] is None for row in rows)  # missing stays missing: null, not 0
    assert set(table_rows(output)) == {row["code"] for row in rows}
    members = list(rows[0]).index("members")
    missing = next(row["code"] for row in rows if row["members"] is None)
    assert table_rows(output)[missing][members] == ""


def test_coverage_of_a_missing_count_in_the_table_and_the_json(store: str) -> None:
    """Hà Nội has villages and a team but no member count, no cameras and no households."""
    args = ("coverage", "--store", store, "--unit", "01", "--level", "1", "--as-of", BEFORE)
    (row,) = as_json(*args)
    assert (row["code"], row["models"], row["teams"], row["members"]) == ("01", 1, 1, None)
    code, output = invoke(*args)
    assert code == 0
    assert table_rows(output)["01"][-3:] == ["1", "1", ""]


def test_coverage_of_an_unknown_unit_or_date_is_an_error_line(store: str) -> None:
    code, output = invoke("coverage", "--store", store, "--unit", "99999", "--as-of", AFTER)
    assert code == 2 and "error: no unit with code '99999'" in output
    code, output = invoke("coverage", "--store", store, "--as-of", "2025-13-01")
    assert code == 2 and "not an ISO date" in output


@pytest.mark.parametrize(("as_of", "unit", "unit_level", "name"), UNITS)
def test_map_of_a_unit(
    store: str, tmp_path: Path, as_of: str, unit: str, unit_level: int, name: str
) -> None:
    target = tmp_path / "maps" / f"{unit}.html"
    code, output = invoke(
        "map", "--store", store, "-o", str(target), "--unit", unit, "--as-of", as_of
    )
    assert code == 0 and f"wrote {target}" in output.replace("\n", "")
    day = date.fromisoformat(as_of).strftime("%d/%m/%Y")
    title = re.search("<title>(.*)</title>", target.read_text(encoding="utf-8"))
    assert title is not None and title[1].endswith(f" — {name} — {day}")


def test_map_of_an_unknown_unit_is_an_error_line(store: str, tmp_path: Path) -> None:
    target = tmp_path / "m.html"
    code, output = invoke("map", "--store", store, "-o", str(target), "--unit", "99999")
    assert code == 2 and "error: no unit with code '99999'" in output
    assert not target.exists()


def test_imports_list_as_lines_and_json_after_an_undo(store: str) -> None:
    code, output = invoke("imports", "undo", "--store", store)
    assert code == 0 and "undid import #6" in output
    log = as_json("imports", "list", "--store", store)
    assert [row["id"] for row in log] == [1, 2, 3, 4, 5, 6]
    assert [row["undone_at"] is None for row in log] == [True, True, True, True, True, False]
    code, output = invoke("imports", "list", "--store", store)
    assert code == 0
    lines = output.splitlines()
    assert len(lines) == 6
    for row, line in zip(log, lines, strict=True):
        at = row["at"][:16].replace("T", " ")
        assert line.startswith(f"#{row['id']}  {at} UTC  {row['kind']}  {row['file_name']}  ")
        assert f"(sha256 {row['sha256'][:12]})" in line
    undone = log[5]["undone_at"][:16].replace("T", " ")
    assert lines[5].endswith(f"model_types 16, models 23, teams 128  — undone {undone} UTC")
    assert "undone" not in "".join(lines[:5])


def test_piped_coverage_keeps_whole_names(store: str) -> None:
    """Piped, Rich assumes 80 columns; the commune table is wider, and the names column
    used to be squeezed to nothing there."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    command = Path(sys.executable).with_name("geo-service")
    done = subprocess.run(
        [str(command), "coverage", "--store", store, "--unit", "24"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = table_rows(done.stdout)
    assert rows["09496"][1] == "Xã Lương Tài", done.stdout
