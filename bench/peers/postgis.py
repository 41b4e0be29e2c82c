"""A private PostgreSQL 15 + PostGIS 3 cluster for the peer benchmarks.

Its data folder and unix socket live under one folder of its own (default
``/tmp/s8/pg-peers``), it listens on 127.0.0.1 at its own port (default 55432) and trusts
local connections: it is a benchmark fixture, never a deployment. Run as root, the
server's commands run as the ``postgres`` user (PostgreSQL refuses to run as root); any
other user runs them as itself. No other cluster on the machine is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DEFAULT_FOLDER = Path("/tmp/s8/pg-peers")
DEFAULT_PORT = 55432
DATABASE = "peers"
SERVER_USER = "postgres"


def _as_server_user(command: list[str]) -> list[str]:
    """``command`` as the user the server runs as (``postgres`` when started by root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return command


@dataclass(frozen=True)
class Cluster:
    folder: Path = DEFAULT_FOLDER
    port: int = DEFAULT_PORT
    database: str = DATABASE

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def conninfo(self, database: str | None = None) -> str:
        """libpq connection string (psql, ogr2ogr ``PG:``) over the cluster's own socket."""
        name = database or self.database
        return f"host={self.folder} port={self.port} user=postgres dbname={name}"

    def url(self) -> str:
        """The ``DATABASE_URL`` tipg reads (TCP on 127.0.0.1)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def running(self) -> bool:
        status = subprocess.run(
            _as_server_user([str(PG_BIN / "pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
        )
        return status.returncode == 0

    def init(self) -> None:
        """A new cluster (trust authentication, UTF-8, C locale) and its database with
        PostGIS; a folder that already holds one is left as it is."""
        if self.initialised():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, SERVER_USER, SERVER_USER)
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres"]
        subprocess.run(
            _as_server_user([*initdb, "--auth=trust", "-E", "UTF8", "--locale=C"]),
            check=True,
            capture_output=True,
        )
        self.start()
        self.sql(f"CREATE DATABASE {self.database}", database="postgres")
        self.sql("CREATE EXTENSION IF NOT EXISTS postgis")

    def start(self) -> None:
        if self.running():
            return
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder}"
        )
        command = [str(PG_BIN / "pg_ctl"), "start", "-w", "-D", str(self.data)]
        subprocess.run(
            _as_server_user([*command, "-l", str(self.log), "-o", options]),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        if self.running():
            command = [str(PG_BIN / "pg_ctl"), "stop", "-m", "fast", "-D", str(self.data)]
            subprocess.run(_as_server_user(command), check=True, capture_output=True)

    def sql(self, statement: str, database: str | None = None) -> str:
        """Run ``statement`` through psql; its unaligned output."""
        done = subprocess.run(
            ["psql", self.conninfo(database), "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", statement],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()
