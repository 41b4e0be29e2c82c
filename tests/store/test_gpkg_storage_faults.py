"""Storage faults on real file systems: a full disk and a read-only mount.

Each test mounts a small tmpfs (as root, which CI runs as; root ignores file permissions,
so a read-only store needs a read-only mount). A test that cannot mount skips on a
workstation and fails with CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo_service.app import create_app
from geo_service.cli.main import app
from geo_service.imports import pipeline
from geo_service.settings import DEMO_DATA_DIR, Settings
from geo_service.store import StoreFull, open_store
from tests.tree_digest import tree_digest
from tests.uploading import upload_settings, writer

PARENTS = DEMO_DATA_DIR / "units_pre2025.geojson"
LARGER = DEMO_DATA_DIR / "units_2025.geojson"  # ~440 KiB more in the store
DISK_KIB = 320  # the store with PARENTS (~190 KiB) fits; LARGER does not
NEW_LINK = "old_code,new_code,kind,effective\n09496,07054,partial,2025-07-01\n"
NEW_TEAM = (
    "Mã mô hình,Loại mô hình,Mã xã,Thôn/TDP,Ngày ra mắt,Số thành viên\n"
    "RO-1,patrol_team,07057,Thôn 4,1/3/2026,9\n"
)
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@contextmanager
def tmpfs(folder: Path, kib: int) -> Iterator[Path]:
    folder.mkdir()
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder))
    if mounted.returncode != 0:
        message = f"cannot mount a tmpfs at {folder}: {mounted.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: storage fault tests must run)")
        pytest.skip(message)
    try:
        yield folder
    finally:
        if _run("umount", str(folder)).returncode != 0:
            _run("umount", "-l", str(folder))  # something still holds a file open


def read_only(folder: Path) -> None:
    remounted = _run("mount", "-o", "remount,ro", str(folder))
    assert remounted.returncode == 0, remounted.stderr


@pytest.fixture
def full_disk_store(tmp_path: Path) -> Iterator[Path]:
    """A store holding PARENTS on a disk too small for LARGER."""
    built = tmp_path / "built.gpkg"
    pipeline.import_boundaries(open_store(str(built)), PARENTS)
    with tmpfs(tmp_path / "disk", DISK_KIB) as disk:
        shutil.copy(built, disk / "store.gpkg")
        yield disk / "store.gpkg"


@pytest.fixture
def read_only_demo(demo_gpkg: Path, tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "ro", 4096) as folder:
        shutil.copy(demo_gpkg, folder / "demo.gpkg")
        read_only(folder)
        yield folder / "demo.gpkg"


def test_a_full_disk_is_reported_and_leaves_the_store_as_it_was(full_disk_store: Path) -> None:
    before = tree_digest(full_disk_store.parent)
    code, output = invoke("import", "boundaries", str(LARGER), "--store", str(full_disk_store))
    assert code == 2, output
    assert "disk full, nothing was imported" in output
    assert "Traceback" not in output and "rollback" not in output
    assert tree_digest(full_disk_store.parent) == before
    store = open_store(str(full_disk_store))
    assert store.imports()["file_name"].tolist() == [PARENTS.name]
    with pytest.raises(StoreFull, match="disk full, nothing was imported"):
        pipeline.import_boundaries(store, LARGER)


def test_a_full_disk_answers_507_to_an_upload(full_disk_store: Path) -> None:
    before = tree_digest(full_disk_store.parent)
    settings = upload_settings(full_disk_store, max_upload_bytes=4 * 2**20)
    with writer(settings) as client:
        response = client.post(
            "/api/imports/boundaries", files={"file": (LARGER.name, LARGER.read_bytes())}
        )
    assert response.status_code == 507
    assert "disk full, nothing was imported" in response.json()["detail"]
    assert tree_digest(full_disk_store.parent) == before


def test_a_new_store_on_a_full_disk_is_not_left_half_made(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "tiny", 16) as disk:
        store = disk / "new.gpkg"
        code, output = invoke("import", "boundaries", str(PARENTS), "--store", str(store))
        assert code == 2 and "disk full, nothing was imported" in output
        assert "Traceback" not in output
        code, output = invoke("imports", "list", "--store", str(store))
        assert code == 2 and f"no store at {store}" in output


def test_a_read_only_store_is_read_and_refuses_writes_in_the_cli(
    read_only_demo: Path, tmp_path: Path
) -> None:
    store = str(read_only_demo)
    before = tree_digest(read_only_demo.parent)
    code, output = invoke("coverage", "--store", store, "--as-of", "2025-06-30", "--json")
    assert code == 0 and "09496" in output
    code, output = invoke("imports", "list", "--store", store, "--json")
    assert code == 0 and "demo_models.csv" in output
    links, register = tmp_path / "links.csv", tmp_path / "register.csv"
    links.write_text(NEW_LINK, encoding="utf-8")
    register.write_text(NEW_TEAM, encoding="utf-8")
    refused = f"the store at {store} is read-only; nothing was"
    for args in (
        ["import", "lineage", str(links)],
        ["import", "models", str(register)],
        ["imports", "undo"],
    ):
        code, output = invoke(*args, "--store", store)
        assert code == 2, (args, output)
        assert refused in output and "Traceback" not in output, args
    code, output = invoke("import", "models", str(register), "--dry-run", "--store", store)
    assert code == 0 and "would import" in output  # a dry run only reads
    assert tree_digest(read_only_demo.parent) == before


def test_a_read_only_store_is_served_and_refuses_uploads(read_only_demo: Path) -> None:
    with writer(upload_settings(read_only_demo)) as client:
        assert client.get("/api/coverage", params={"as_of": "2025-06-30"}).status_code == 200
        log = client.get("/api/imports").json()
        assert log["count"] == 6
        upload = client.post(
            "/api/imports/lineage", files={"file": ("links.csv", NEW_LINK.encode())}
        )
        undo = client.post(f"/api/imports/{log['imports'][-1]['id']}/undo")
    for response, done in ((upload, "imported"), (undo, "undone")):
        assert response.status_code == 503
        assert response.json()["detail"] == (
            f"the store at {read_only_demo} is read-only; nothing was {done}"
        )


def test_the_demo_on_a_read_only_mount_is_not_loaded_and_the_server_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with tmpfs(tmp_path / "ro", 64) as folder:
        read_only(folder)
        settings = Settings(store_path=folder / "demo.gpkg", demo=True)
        with TestClient(create_app(settings)) as client:
            log = client.get("/api/imports").json()
            assert (log["count"], log["imports"], log["next"]) == (0, [], None)
        assert f"cannot create the store at {folder / 'demo.gpkg'}" in caplog.text
        assert tree_digest(folder) == {".": "dir"}
