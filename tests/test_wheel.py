"""The built wheel on its own: installed into a fresh venv, it serves the demo.

An editable install reads templates, assets and the demo data from the work tree, so a file
the wheel leaves out goes unnoticed there: `serve --demo` from a wheel once failed with
"units_pre2025.geojson: file not found" (issue 10, item 5). This test builds the wheel from
a copy of the sources (a build writes build/ and *.egg-info beside them), installs it with
its dependencies into a new venv (from PyPI, through pip's cache), and starts the demo from
a folder that has nothing to do with the work tree. It never skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import free_port

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
# What a build must not see: environments, caches, earlier builds, stores.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.gpkg*", "out"
)
DEMO_FILES = [
    "boundaries/units_pre2025.geojson",
    "boundaries/units_2025.geojson",
    "boundaries/lineage_2025.csv",
    "boundaries/village_points.csv",
    "boundaries/SOURCES.md",
    "boundaries/LICENSES.md",
    "registers/demo_models.csv",
]
START_TIMEOUT_S = 120  # the demo is imported before the server answers
PIP_TIMEOUT_S = 600


def run(command: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def clean_environment() -> dict[str, str]:
    """This process's environment, without what would lead back to the work tree's venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the new venv, the wheel it was installed from)."""
    work = tmp_path_factory.mktemp("wheel")
    env = clean_environment()
    sources = work / "sources"
    shutil.copytree(ROOT, sources, symlinks=True, ignore=NOT_SOURCES)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work, sources], work, env)
    (wheel,) = work.glob("geo_service-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], work, env)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], work, env)
    yield venv, wheel


def test_the_wheel_carries_the_demo_data_with_its_sources_and_licences(
    installed: tuple[Path, Path],
) -> None:
    _, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        for name in DEMO_FILES:
            shipped = archive.read(f"geo_service/demo_data/{name}")
            assert shipped == (ROOT / "data" / name).read_bytes(), name
        # data/'s build scripts are not part of the package.
        names = archive.namelist()
    assert not [n for n in names if n.startswith("geo_service/demo_data/") and n.endswith(".py")]


def test_the_installed_wheel_serves_the_demo_from_an_unrelated_folder(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    venv, _ = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_environment()
    where = run(
        [venv / "bin" / "python", "-c", "import geo_service; print(geo_service.__file__)"],
        elsewhere,
        env,
    )
    assert Path(where.strip()).is_relative_to(venv), where  # not the work tree's package

    port = free_port()
    store = tmp_path / "demo.gpkg"
    log = tmp_path / "serve.log"
    url = f"http://127.0.0.1:{port}"
    command = [venv / "bin" / "geo-service", "serve", "--demo", "--port", port, "--store", store]
    with log.open("w", encoding="utf-8") as output:
        server = subprocess.Popen(
            [str(part) for part in command],
            cwd=elsewhere,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_page(f"{url}/", server, log)
            status, page = get(f"{url}/?unit=09496&as_of=2025-06-30")
            assert status == 200 and 'id="map-config"' in page
            assert "static/vendor/leaflet/leaflet.js" in page
            assert "Thị trấn Thứa" in page  # the demo was loaded
            status, village = get(f"{url}/api/map/units/09496-003?as_of=2025-06-30")
            assert status == 200 and "village-popup" in village  # the data the page fetches
            for asset in ("vendor/leaflet/leaflet.js", "map/map.js", "map/map.css"):
                assert get(f"{url}/static/{asset}")[0] == 200, asset
            assert get(f"{url}/api/units?q=thua")[0] == 200
            status, docs = get(f"{url}/docs")  # its assets come from a declared dependency
            assert status == 200 and "/static-offline-docs/swagger-ui-bundle.js" in docs
            assert get(f"{url}/static-offline-docs/swagger-ui-bundle.js")[0] == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert store.exists()
    assert list(elsewhere.iterdir()) == []  # nothing written where it was started


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


def wait_for_page(url: str, server: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited ({server.returncode}):\n{log.read_text()[-4000:]}")
        try:
            status, body = get(url)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
            continue
        assert status == 200, f"GET {url}: {status}\n{body[:2000]}"
        return body
    pytest.fail(f"no answer from {url} in {START_TIMEOUT_S} s:\n{log.read_text()[-4000:]}")
