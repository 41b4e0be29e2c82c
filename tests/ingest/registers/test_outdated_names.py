"""Registers that still write a unit's old name (issue 13 item 4, lineage): a former name
("Thị trấn Vạn Hà") or a commune merged before the row's date ("Xã Bằng Cả") is offered
the unit that replaced it, with why, in the review file; never matched on its own.

Former names come from the demo's former_names.csv and from boundary imports that rename a
stored code; a bad former-names file is refused naming file, row and field."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.imports.pipeline import import_former_names
from geo_service.ingest.report import ImportRejected
from geo_service.settings import DEMO_DATA_DIR
from geo_service.store import Store, open_store
from tests.tree_digest import tree_digest

runner = CliRunner()
HEADER = "Mã mô hình,Loại mô hình,Tên mô hình,Tỉnh,Huyện,Xã/Phường,Thôn/TDP,Ngày ra mắt,Tên tổ"


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def review(store: Path, folder: Path, *rows: str) -> dict[str, dict[str, str]]:
    """The mapping template of a dry run of a register of ``rows``, by given name."""
    register, template = folder / "register.csv", folder / "review.csv"
    register.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    before = tree_digest(store.parent)
    code, output = cli(
        "import", "models", str(register), "--store", str(store), "--dry-run",
        "--mapping-template", str(template),
    )  # fmt: skip
    assert code == 2, output  # the rows stay to be reviewed
    assert tree_digest(store.parent) == before
    with template.open(encoding="utf-8-sig", newline="") as stream:
        return {row["given_name"]: row for row in csv.DictReader(stream)}


def test_a_former_name_is_offered_the_unit_that_carries_its_code(
    demo_copy_path: Path, tmp_path: Path
) -> None:
    row = (
        "VH-1,patrol_team,Tổ tuần tra Vạn Hà,Thanh Hóa,Thiệu Hóa,thi tran  VAN HA,,01/03/2024,Tổ 1"
    )
    (offered,) = review(demo_copy_path, tmp_path, row).values()  # accents, case, spaces
    assert offered["status"] == "unmatched" and offered["code"] == ""
    assert offered["parent_code"] == "398"  # Huyện Thiệu Hóa
    assert offered["suggestions"].startswith("15772 Thị trấn Thiệu Ho")
    assert "is a former name of 15772" in offered["suggestions"]


def test_a_merged_commune_is_offered_its_successor_after_the_reform(
    demo_copy_path: Path, tmp_path: Path
) -> None:
    after = "BC-1,patrol_team,Tổ tuần tra Bằng Cả,Quảng Ninh,,Xã Bằng Cả,,01/09/2025,Tổ 1"
    offered = review(demo_copy_path, tmp_path, after)["Xã Bằng Cả"]
    assert offered["status"] == "unmatched"
    assert offered["suggestions"] == (
        "07054 Xã Quảng La (07057 (Xã Bằng Cả) was merged into 07054 (Xã Quảng La) on 2025-07-01)"
    )
    # Before the reform the name is the commune's own: matched as before.
    register = tmp_path / "before.csv"
    before = after.replace("01/09/2025", "01/09/2024")
    register.write_text(f"{HEADER}\n{before}\n", encoding="utf-8")
    code, output = cli("import", "models", str(register), "--store", str(demo_copy_path))
    assert code == 0, output
    assert open_store(str(demo_copy_path)).models(model_ids=["BC-1"])["unit_code"].tolist() == [
        "07057"
    ]


def test_a_boundary_import_keeps_the_name_it_replaces_until_undone(
    demo_copy_path: Path, tmp_path: Path
) -> None:
    units = gpd.read_file(DEMO_DATA_DIR / "units_2025.geojson")
    renamed = units[units["code"] == "06985"].assign(name="Xã Lương Minh Mới")
    renamed.to_file(tmp_path / "renamed.geojson", driver="GeoJSON")
    code, output = cli(
        "import", "boundaries", str(tmp_path / "renamed.geojson"), "--store", str(demo_copy_path)
    )
    assert code == 0 and "former_names: 1 new" in output, output
    store = open_store(str(demo_copy_path))
    former = store.former_names().set_index(["code", "name"])
    assert former.loc[("06985", "Xã Lương Minh"), "source"] == (
        "renamed.geojson names it 'Xã Lương Minh Mới'"
    )
    after = "LM-1,patrol_team,Tổ Lương Minh,Quảng Ninh,,Xã Lương Minh,,01/09/2025,Tổ 1"
    offered = review(demo_copy_path, tmp_path, after)["Xã Lương Minh"]
    assert offered["suggestions"].startswith(
        "06985 Xã Lương Minh Mới ('Xã Lương Minh' is a former name of 06985"
    )
    code, output = cli("imports", "undo", "--store", str(demo_copy_path))
    assert code == 0, output
    assert ("06985", "Xã Lương Minh") not in set(
        zip(store.former_names()["code"], store.former_names()["name"], strict=True)
    )


def test_the_demo_loads_the_former_name_with_its_source(demo_store: Store) -> None:
    (row,) = demo_store.former_names().query("code == '15772'").to_dict("records")
    assert row["name"] == "Thị trấn Vạn Hà" and row["until"] is None
    assert "censusVN2009" in row["source"]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("99999", "no unit with code '99999' in the store"),
        ("1577", "code '1577' is not a GSO code"),
        ("", "code '' is not a GSO code"),
    ],
)
def test_a_bad_former_names_row_is_refused_naming_file_row_and_field(
    demo_store: Store, tmp_path: Path, cell: str, message: str
) -> None:
    path = tmp_path / "former_names.csv"
    path.write_text(
        "code,name,until,source\n15772,Thị trấn Vạn Hà,,SOURCES.md\n"
        f"{cell},Xã Cũ,2020-01-01,SOURCES.md\n",
        encoding="utf-8",
    )
    before = demo_store.former_names()
    with pytest.raises(ImportRejected) as refused:
        import_former_names(demo_store, path)
    (problem,) = refused.value.report.errors
    assert (problem.file, problem.row, problem.field) == ("former_names.csv", 3, "code")
    assert message in problem.message
    assert demo_store.former_names().equals(before)


def test_former_names_need_the_units_they_name(tmp_path: Path) -> None:
    empty = open_store(str(tmp_path / "empty.gpkg"))
    with pytest.raises(ImportRejected, match="no unit with code '15772'"):
        import_former_names(empty, DEMO_DATA_DIR / "former_names.csv")
    assert not empty.exists()
