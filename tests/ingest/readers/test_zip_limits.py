"""Zips are measured by inflating them, not by what their headers say (issue 10, item 11).

A KMZ whose headers declared 100 kB but which inflated to 1.9 GiB passed the checks, and
GDAL inflated all of it. Every archive (KMZ, zipped Shapefile, XLSX) is now inflated
through a counter before any reader opens it, and refused at one byte past what a
member declares; the declared sizes are held to ``GEO_SERVICE_MAX_UNZIPPED_BYTES``.
Limits here are small, so the tests stay fast.
"""

from __future__ import annotations

import contextvars
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo_service.cli.main import app
from geo_service.ingest.report import ImportRejected
from tests.tree_digest import tree_digest
from tests.uploading import upload_settings, writer
from tests.zip_bombs import declare_size, incompressible_text, kml_document, write_zip

runner = CliRunner()
GEO_SERVICE = Path(sys.executable).with_name("geo-service")
SMALL_LIMIT = 20_000
LYING = "inflates to more than the 20,000 bytes its header declares; the zip is damaged or forged"


def invoke(*args: str, limit: int | None = None) -> tuple[int, str]:
    """The CLI in a context of its own, so that the limit it applies ends with it."""
    env = {"GEO_SERVICE_MAX_UNZIPPED_BYTES": str(limit)} if limit else {}
    result = contextvars.copy_context().run(runner.invoke, app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture
def store(demo_copy_path: Path) -> Path:
    return demo_copy_path


def lying_kmz(folder: Path, *, forge_crc: bool) -> Path:
    """doc.kml inflates to 5 MB; its headers say 20 kB (the ratio check cannot tell)."""
    path = write_zip(folder / "lying.kmz", {"doc.kml": kml_document(5_000_000)})
    return declare_size(path, "doc.kml", SMALL_LIMIT, forge_crc=forge_crc)


def honest_kmz(folder: Path, size: int) -> Path:
    """A KMZ whose doc.kml really is ``size`` bytes and barely deflates."""
    document = kml_document(0).replace(b"</desc", incompressible_text(size) + b"</desc")
    return write_zip(folder / "honest.kmz", {"doc.kml": document})


def lying_workbook(folder: Path) -> Path:
    """A register whose sheet XML inflates to 5 MB; its headers say 20 kB, with a CRC-32
    that fits those 20 kB, so Python's zipfile (and openpyxl) find nothing wrong."""
    plain = folder / "plain.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã mô hình", "Loại mô hình", "Mã xã", "Thôn/TDP", "Số thành viên"])
    sheet.append(["UP-1", "patrol_team", "07057", "Thôn 4", 9])
    book.save(plain)
    path = folder / "register.xlsx"
    with (
        zipfile.ZipFile(plain) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b" " * 5_000_000 + b"</sheetData>")
            out.writestr(info.filename, data)
    return declare_size(path, "xl/worksheets/sheet1.xml", SMALL_LIMIT, forge_crc=True)


def lying_shapefile(folder: Path) -> Path:
    """A zipped Shapefile whose .dbf inflates to 5 MB past the size its headers give."""
    parts = folder / "parts"
    parts.mkdir()
    frame = gpd.GeoDataFrame(
        {"ma_xa": ["99901"], "ten_xa": ["Xã Thử"], "ma_huyen": ["264"]},
        geometry=[shapely.box(105.1, 21.1, 105.2, 21.2)],
        crs="EPSG:4326",
    )
    frame.to_file(parts / "xa.shp", engine="pyogrio")
    members = {p.name: p.read_bytes() for p in sorted(parts.iterdir())}
    declared = len(members["xa.dbf"])
    members["xa.dbf"] += b"\x1a" * 5_000_000  # past the records: readers would skip it
    path = write_zip(folder / "xa.zip", members)
    return declare_size(path, "xa.dbf", declared, forge_crc=True)


@pytest.mark.parametrize("forge_crc", [False, True])
def test_a_kmz_whose_header_lies_is_refused_in_the_cli(
    store: Path, tmp_path: Path, forge_crc: bool
) -> None:
    kmz = lying_kmz(tmp_path, forge_crc=forge_crc)
    before = tree_digest(store.parent)
    code, output = invoke("import", "boundaries", str(kmz), "--level", "3", "--store", str(store))
    assert code == 2, output
    assert f"lying.kmz: refused: doc.kml {LYING}" in " ".join(output.split())
    assert "the store was not changed" in output
    assert tree_digest(store.parent) == before


def test_a_kmz_over_the_configured_limit_is_refused_by_its_honest_header(
    store: Path, tmp_path: Path
) -> None:
    kmz = honest_kmz(tmp_path, 2 * SMALL_LIMIT)
    before = tree_digest(store.parent)
    args = ("import", "boundaries", str(kmz), "--level", "3", "--store", str(store), "--dry-run")
    code, output = invoke(*args, limit=SMALL_LIMIT)
    assert code == 2, output
    assert "honest.kmz: refused: the zip expands to 40," in output
    assert "(limits: 20,000 bytes, ratio 100)" in output
    assert tree_digest(store.parent) == before
    code, output = invoke(*args)  # the default limit lets it through to the KML reader
    assert "refused" not in output, output


def test_a_zipped_shapefile_whose_dbf_lies_is_refused(store: Path, tmp_path: Path) -> None:
    archive = lying_shapefile(tmp_path)
    before = tree_digest(store.parent)
    args = ("import", "boundaries", str(archive), "--level", "3", "--store", str(store))
    code, output = invoke(*args)
    assert code == 2, output
    assert "xa.zip: refused: xa.dbf inflates to more than the" in " ".join(output.split())
    assert tree_digest(store.parent) == before


def test_an_xlsx_whose_header_lies_is_refused_not_a_traceback(store: Path, tmp_path: Path) -> None:
    workbook = lying_workbook(tmp_path)
    before = tree_digest(store.parent)
    code, output = invoke("import", "models", str(workbook), "--store", str(store))
    assert code == 2, output
    expected = f"register.xlsx: refused: xl/worksheets/sheet1.xml {LYING}"
    assert expected in " ".join(output.split())
    assert "Traceback" not in output
    assert tree_digest(store.parent) == before


@pytest.fixture
def uploads(store: Path) -> Iterator[TestClient]:
    # Twice the declared 20 kB: a workbook's other parts count too.
    with writer(upload_settings(store, max_unzipped_bytes=2 * SMALL_LIMIT)) as client:
        yield client


def test_uploads_of_lying_and_oversized_zips_answer_422(
    uploads: TestClient, store: Path, tmp_path: Path
) -> None:
    before = tree_digest(store.parent)
    cases = [
        ("boundaries", lying_kmz(tmp_path, forge_crc=True), f"doc.kml {LYING}"),
        ("boundaries", honest_kmz(tmp_path, 3 * SMALL_LIMIT), "limits: 40,000 bytes"),
        ("boundaries", lying_shapefile(tmp_path), "xa.dbf inflates to more than"),
        ("models", lying_workbook(tmp_path), f"sheet1.xml {LYING}"),
    ]
    for kind, path, message in cases:
        response = uploads.post(
            f"/api/imports/{kind}",
            params={"level": "3"} if kind == "boundaries" else {},
            files={"file": (path.name, path.read_bytes())},
        )
        assert response.status_code == 422, (path.name, response.text)
        (error,) = response.json()["report"]["errors"]
        assert error["file"] == path.name and message in error["message"], error
    assert tree_digest(store.parent) == before


def max_rss_kb(*args: str) -> tuple[int, str]:
    """Peak resident memory of one CLI run in a process of its own (kB), and its output."""
    process = subprocess.Popen(
        [str(GEO_SERVICE), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss, output


def test_memory_does_not_grow_with_what_a_lying_zip_inflates_to(
    store: Path, tmp_path: Path
) -> None:
    """A member declaring 20 kB that inflates to 200 MB costs what a 20 kB one costs."""
    bomb = write_zip(tmp_path / "bomb.kmz", {"doc.kml": kml_document(200_000_000)})
    declare_size(bomb, "doc.kml", SMALL_LIMIT)
    small = lying_kmz(tmp_path, forge_crc=False)  # 5 MB behind the same 20 kB header
    common = ("import", "boundaries", "--level", "3", "--store", str(store), "--dry-run")
    reference, _ = max_rss_kb(*common[:2], str(small), *common[2:])
    peak, output = max_rss_kb(*common[:2], str(bomb), *common[2:])
    assert peak < reference + 32 * 1024, f"peak {peak} kB, reference {reference} kB"
    assert f"bomb.kmz: refused: doc.kml {LYING}" in " ".join(output.split()), output


def test_other_compression_methods_are_refused(tmp_path: Path) -> None:
    from geo_service.ingest.readers.zip_limits import zip_members

    path = tmp_path / "bzip2.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("doc.kml", kml_document(10))
    with zipfile.ZipFile(path) as archive, pytest.raises(ImportRejected) as caught:
        zip_members(archive, "bzip2.zip")
    assert "doc.kml uses compression method 12" in str(caught.value)


def test_a_stored_member_that_lies_is_refused(tmp_path: Path) -> None:
    from geo_service.ingest.readers.zip_limits import zip_members

    path = tmp_path / "stored.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xa.dbf", incompressible_text(30_000))
    declare_size(path, "xa.dbf", SMALL_LIMIT)
    with zipfile.ZipFile(path) as archive, pytest.raises(ImportRejected) as caught:
        zip_members(archive, "stored.zip")
    assert f"xa.dbf {LYING}" in str(caught.value)


def test_honest_archives_pass_whole(tmp_path: Path) -> None:
    from geo_service.ingest.readers.zip_limits import zip_members

    path = write_zip(tmp_path / "ok.zip", {"a/": b"", "a/doc.kml": kml_document(1000), "e": b""})
    with zipfile.ZipFile(path) as archive:
        assert [m.filename for m in zip_members(archive, "ok.zip")] == ["a/doc.kml", "e"]


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (("import", "boundaries", "--level", "3"), "damaged.xlsx"),
        (("import", "boundaries", "--level", "3"), "damaged.kmz"),
        (("import", "boundaries", "--level", "3"), "damaged.zip"),
        (("import", "models"), "damaged.xlsx"),
    ],
)
def test_a_damaged_archive_is_an_error_line(
    store: Path, tmp_path: Path, command: tuple[str, ...], name: str
) -> None:
    """Its end record is intact (so it looks like a zip), its central directory is not."""
    data = bytearray(lying_workbook(tmp_path).read_bytes())
    start = data.find(b"PK\x01\x02")
    data[start : start + 2] = b"XX"
    path = tmp_path / name
    path.write_bytes(bytes(data))
    assert zipfile.is_zipfile(path)
    code, output = invoke(*command[:2], str(path), *command[2:], "--store", str(store))
    assert code == 2, output
    assert f"error: {name}" in output and "central directory" in output
