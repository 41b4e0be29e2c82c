"""The peer environment of the issue-12 table, step by step (``bench.national_table
--peers`` does all of it itself):

    python -m bench.peers.env install-tipg      # /work/bench-venvs/tipg: tipg + uvicorn
    python -m bench.peers.env up                # the cluster, made on first use, started
    python -m bench.peers.env load --seed 42 --scale 1   # the service's rows into it
    python -m bench.peers.env tipg --port 8081  # tipg serving them, until Ctrl-C
    python -m bench.peers.env down              # the cluster stopped

Nothing here is installed into the project's virtualenv or needed by its tests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.generate import generate
from bench.import_once import REPOSITORY
from bench.national_store import write_store
from bench.peers import tipg_server
from bench.peers.load import TABLES, load_national
from bench.peers.postgis import DEFAULT_FOLDER, DEFAULT_PORT, Cluster
from bench.served import serving


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("step", choices=("install-tipg", "up", "load", "tipg", "down"))
    parser.add_argument("--pg-folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--pg-port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--seed", type=int, default=42, help="load: the generated country")
    parser.add_argument("--scale", type=float, default=1.0, help="load: the generated country")
    parser.add_argument("--port", type=int, default=8081, help="tipg: its port")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    cluster = Cluster(args.pg_folder, args.pg_port)
    if args.step == "install-tipg":
        tipg_server.install()
    elif args.step == "up":
        cluster.init()
        cluster.start()
        print(cluster.conninfo())
    elif args.step == "down":
        cluster.stop()
    elif args.step == "load":
        cluster.init()
        cluster.start()
        with tempfile.TemporaryDirectory(prefix="bench-peers-") as folder:
            store = write_store(generate(args.seed, args.scale), Path(folder) / "national.gpkg")
            with serving(REPOSITORY, store) as ours:
                print(load_national(cluster, ours.port, Path(folder), date.today()))
    else:
        with tipg_server.serving(cluster.url(), args.port, list(TABLES)):
            print(f"tipg at http://127.0.0.1:{args.port}/ (Ctrl-C stops it)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
