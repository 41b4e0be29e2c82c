"""The national rows geo-service serves, loaded into the peer's PostGIS database.

The villages with their coverage and the communes with their roll-ups are downloaded
from a running geo-service (``/api/coverage?download=1``: GeoJSON written by the service
itself, every property it serves) and copied into the tables ``villages`` and
``communes`` by ``ogr2ogr``, each with a GiST index on its geometry, a unique index on
its code and fresh planner statistics. The peer therefore serves the same rows, with the
same properties, as the service it is compared with.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
from datetime import date
from pathlib import Path

from bench.peers.postgis import Cluster

# table -> level of /api/coverage (4 villages, 3 communes)
TABLES = {"villages": 4, "communes": 3}
GEOMETRY = "geom"


def download_path(level: int, day: date) -> str:
    return f"/api/coverage?as_of={day.isoformat()}&level={level}&download=1"


def download(port: int, path: str, target: Path) -> Path:
    """GET ``path`` from geo-service on ``port`` into ``target``, in pieces."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {response.read(300)!r}")
        with target.open("wb") as file:
            shutil.copyfileobj(response, file, 1 << 20)
    finally:
        connection.close()
    return target


def copy_into(cluster: Cluster, geojson: Path, table: str) -> None:
    """``geojson`` as ``table`` (replaced), with a GiST index (ogr2ogr's default for
    PostgreSQL), plain text and float columns, and a unique index on ``code``."""
    subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "PostgreSQL",
            f"PG:{cluster.conninfo()}",
            str(geojson),
            "-nln",
            table,
            "-overwrite",
            "-lco",
            f"GEOMETRY_NAME={GEOMETRY}",
            "-lco",
            "FID=fid",
            "-lco",
            "PRECISION=NO",
            "-lco",
            "SPATIAL_INDEX=GIST",
            "--config",
            "PG_USE_COPY",
            "YES",
        ],
        check=True,
        capture_output=True,
    )
    cluster.sql(f"CREATE UNIQUE INDEX {table}_code ON {table} (code); ANALYZE {table}")


def load_national(cluster: Cluster, port: int, folder: Path, day: date) -> dict[str, int]:
    """Every table of ``TABLES`` downloaded from geo-service on ``port`` (coverage on
    ``day``) and copied into ``cluster``; the rows each table holds."""
    rows = {}
    for table, level in TABLES.items():
        geojson = download(port, download_path(level, day), folder / f"{table}.geojson")
        copy_into(cluster, geojson, table)
        rows[table] = int(cluster.sql(f"SELECT count(*) FROM {table}"))
    return rows
