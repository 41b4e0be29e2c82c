"""tipg serving the peer database, under uvicorn in its own process and virtualenv.

tipg is never a dependency of the project: it lives in a virtualenv of its own
(``TIPG_VENV``, made by ``python -m bench.peers.env install-tipg``). Its process starts in
an empty folder, so no ``.env`` file there changes its settings.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.served import stop_group, wait_until_ready
from geo_service.output.vector_tiles import BUFFER_UNITS

TIPG_VENV = Path(os.environ.get("BENCH_TIPG_VENV", "/work/bench-venvs/tipg"))
TIPG_VERSION = "1.6.1"
START_TIMEOUT_S = 120
TILE_MATRIX_SET = "WebMercatorQuad"


@dataclass(frozen=True)
class Tipg:
    process: subprocess.Popen[bytes]
    port: int

    def collection(self, table: str) -> str:
        """tipg's id of a table of the ``public`` schema."""
        return f"public.{table}"

    def items_path(self, table: str, bbox: tuple[float, float, float, float], limit: int) -> str:
        box = ",".join(repr(round(v, 7)) for v in bbox)
        return f"/collections/{self.collection(table)}/items?bbox={box}&limit={limit}"

    def tile_path(self, table: str, z: int, x: int, y: int, properties: list[str]) -> str:
        return (
            f"/collections/{self.collection(table)}/tiles/{TILE_MATRIX_SET}/{z}/{x}/{y}"
            f"?properties={','.join(properties)}"
        )


def installed() -> bool:
    return (TIPG_VENV / "bin" / "uvicorn").exists()


def install() -> None:
    """The virtualenv of tipg and uvicorn (pinned tipg), unless it exists."""
    if installed():
        return
    subprocess.run(["python3", "-m", "venv", str(TIPG_VENV)], check=True)
    pip = str(TIPG_VENV / "bin" / "pip")
    subprocess.run([pip, "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn"], check=True)


@contextmanager
def serving(database_url: str, port: int, tables: list[str]) -> Iterator[Tipg]:
    """``tipg.main:app`` on ``port`` until the block ends, once it lists ``tables``."""
    if not installed():
        raise RuntimeError(
            f"tipg is not installed in {TIPG_VENV}: python -m bench.peers.env install-tipg"
        )
    command = [
        str(TIPG_VENV / "bin" / "uvicorn"),
        "tipg.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": json.dumps([f"public.{table}" for table in tables]),
        # geo-service's tile buffer (``output.vector_tiles.BUFFER_UNITS``); tipg's is 256.
        "TIPG_TILE_BUFFER": str(BUFFER_UNITS),
    }
    with tempfile.TemporaryDirectory(prefix="tipg-") as empty, tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=empty,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Tipg(process, port)
        try:
            _wait_until_listing(server, tables, log)
            yield server
        finally:
            stop_group(process, timeout_s=30)


def _wait_until_listing(server: Tipg, tables: list[str], log: IO[bytes]) -> None:
    wanted = {server.collection(table) for table in tables}

    def listing() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.request("GET", "/collections?limit=100")
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            return False
        listed = {c["id"] for c in json.loads(body)["collections"]}
        if not wanted <= listed:
            raise RuntimeError(f"tipg lists {sorted(listed)}, not {sorted(wanted)}")
        return True

    wait_until_ready(listing, server.process, log, "tipg", START_TIMEOUT_S)
