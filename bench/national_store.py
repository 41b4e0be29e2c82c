"""The national benchmark store: ``bench.generate`` data written into a GeoPackage store.

One ``Store.apply`` of the generated units, model types, models and teams (the camera
points stay out: the store keeps counts, not points), so a benchmark serves the same
country every time it is built from the same seed and scale.

    python -m bench.national_store --seed 42 --scale 1 --out bench/out/national_store.gpkg
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from bench.generate import NationalData, generate
from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS, UNIT_COLUMNS
from geo_service.store import ImportBatch, ImportSource, Store, open_store


def register_batch(data: NationalData) -> ImportBatch:
    """Everything of ``data`` a store holds, as one import."""
    return ImportBatch(
        source=ImportSource("demo", f"bench seed {data.seed} scale {data.scale}", ""),
        units=data.units[[*UNIT_COLUMNS, "geometry"]],
        model_types=data.model_types,
        models=data.models[MODEL_COLUMNS],
        teams=pd.DataFrame(data.teams[TEAM_COLUMNS]),
    )


def write_store(data: NationalData, path: Path) -> Path:
    """Write ``data`` into a new store at ``path`` (replacing a file there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    store = open_store(str(path))
    try:
        store.apply(register_batch(data))
    finally:
        store.close()
    return path


def build(path: Path, seed: int = 42, scale: float = 1.0) -> Store:
    """A new store at ``path`` holding the generated country of ``seed`` and ``scale``."""
    return open_store(str(write_store(generate(seed, scale), path)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("bench/out/national_store.gpkg"))
    args = parser.parse_args(argv)
    print(write_store(generate(args.seed, args.scale), args.out))


if __name__ == "__main__":
    main()
