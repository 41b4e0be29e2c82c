"""A seeded, national-scale synthetic register: units, models, teams and camera points.

Shapes follow ``geo_service.domain`` (UNIT_COLUMNS, MODEL_COLUMNS, TEAM_COLUMNS) so the data
feeds ``compute_coverage`` and the store unchanged. Geography is fake on purpose: the
Vietnam bounding box is cut into nested, jittered rectangles (provinces -> districts ->
communes -> villages) that tile each parent exactly, so every point placed inside a village
lies in exactly one village polygon. Everything is built with array operations; the same
seed and scale always give the same frames.

Examples
--------
>>> data = generate(seed=42, scale=0.01)
>>> data.units["level"].value_counts()

From the shell: ``python -m bench.generate --seed 42 --scale 1 --out bench/out/national.gpkg``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from numpy.typing import NDArray

from geo_service.domain import (
    GEOMETRY_APPROXIMATE,
    MODEL_COLUMNS,
    TEAM_COLUMNS,
    UNIT_COLUMNS,
    UNIT_TYPES,
    WGS84,
    Level,
    with_count_dtypes,
)
from geo_service.settings import PACKAGE_DIR

BBOX = (102.1, 8.5, 109.5, 23.4)  # lon/lat extent of Vietnam
CATALOGUE_CSV = PACKAGE_DIR / "catalogue" / "model_types.csv"
# National counts at scale 1 (shared/DOMAIN.md §4 and the brief's model/team figures).
COUNTS = {
    "provinces": 63,
    "districts": 700,
    "communes": 10_000,
    "villages": 80_000,
    "models": 20_000,
    "teams_per_model": 3.0,
    "cameras": 1_000_000,
}
# The commonest model types are reported far more often than the rest.
TYPE_WEIGHTS = {
    "patrol_team": 6.0,
    "self_managed_group": 6.0,
    "inter_household_group": 5.0,
    "security_camera": 4.0,
    "security_movement": 1.5,
}
STATUS_WEIGHTS = {
    "active": 0.8,
    "ineffective": 0.08,
    "merged": 0.04,
    "dissolved": 0.04,
    "planned": 0.04,
}
# Commune type -> the village types found under it.
VILLAGE_TYPES = {
    "xa": ["thon", "xom", "ban", "ap", "lang"],
    "phuong": ["to_dan_pho", "khu_pho"],
    "thi_tran": ["to_dan_pho", "khu_pho"],
}
LEADER_ROLES = ["Tổ trưởng", "Trưởng thôn", "Công an viên", "Bí thư chi bộ"]
LAUNCH_RANGE = (np.datetime64("2012-01-01"), np.datetime64("2025-12-31"))
VALID_FROM = date(2008, 8, 1)
POINT_MARGIN = 0.05  # keep generated points off polygon edges so "within" is unambiguous

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class NationalData:
    """Synthetic national register.

    ``units``: UNIT_COLUMNS + polygon geometry (all four levels, one tree).
    ``teams``: TEAM_COLUMNS + a point inside the team's village.
    ``cameras``: camera_id, model_id, team_id, unit_code (the village it was placed in) + point.
    """

    units: gpd.GeoDataFrame
    model_types: pd.DataFrame
    models: pd.DataFrame
    teams: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    seed: int
    scale: float

    @property
    def villages(self) -> gpd.GeoDataFrame:
        return self.units[self.units["level"] == int(Level.VILLAGE)]


def generate(seed: int = 42, scale: float = 1.0) -> NationalData:
    """Build the synthetic register; ``scale`` multiplies every count (0.01 for tests)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    rng = np.random.default_rng(seed)
    units = _units(rng, scale)
    model_types = load_model_types()
    communes = units[units["level"] == int(Level.COMMUNE)]
    villages = units[units["level"] == int(Level.VILLAGE)]
    models = _models(rng, scale, communes, model_types)
    teams = _teams(rng, models, communes, villages)
    cameras = _cameras(rng, scale, teams, models, villages)
    camera_counts = cameras.groupby("team_id").size()
    teams["cameras"] = teams["team_id"].map(camera_counts).fillna(0).astype("int64")
    per_model = teams.groupby("model_id")["cameras"].sum()
    models["cameras"] = models["model_id"].map(per_model).fillna(0).astype("int64")
    for frame in (units, models, teams):
        with_count_dtypes(frame)
    return NationalData(units, model_types, models, teams, cameras, seed, scale)


def load_model_types() -> pd.DataFrame:
    """The bundled catalogue (geo_service/catalogue/model_types.csv) as a frame."""
    frame = pd.read_csv(CATALOGUE_CSV, dtype=str, keep_default_na=False)
    frame["counts_as_model"] = frame["counts_as_model"].str.lower().eq("true")
    return frame


def _scaled(name: str, scale: float, at_least: int = 1) -> int:
    return max(at_least, round(COUNTS[name] * scale))


def _split(rng: np.random.Generator, total: int, parents: int) -> IntArray:
    """``total`` children over ``parents`` (each gets at least one), unevenly."""
    weights = rng.gamma(shape=3.0, size=parents)
    extra = rng.multinomial(total - parents, weights / weights.sum())
    return (extra + 1).astype(np.int64)


def _subdivide(
    rng: np.random.Generator, bounds: FloatArray, counts: IntArray, jitter: float = 0.3
) -> tuple[FloatArray, IntArray]:
    """Tile each parent rectangle with ``counts[i]`` child rectangles: columns, then rows.

    Returns child bounds (n, 4) and each child's parent index. Boundaries are jittered by
    up to ``jitter`` of a cell, shared between neighbours, so children still tile exactly.
    """
    width, height = bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]
    cols = np.clip(np.rint(np.sqrt(counts * width / height)), 1, counts).astype(np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    index = np.arange(parent.size) - np.repeat(np.cumsum(counts) - counts, counts)
    n, c = counts[parent], cols[parent]
    base, rem = n // c, n % c
    big = rem * (base + 1)  # the first ``rem`` columns hold one extra child
    in_big = index < big
    col = np.where(in_big, index // (base + 1), rem + (index - big) // base)
    row = np.where(in_big, index % (base + 1), (index - big) % base)

    col_shift = _edge_jitter(rng, cols, jitter)
    x_frac0 = (col + col_shift[parent, col]) / c
    x_frac1 = (col + 1 + col_shift[parent, col + 1]) / c
    column_id = (np.cumsum(cols) - cols)[parent] + col
    rows = np.bincount(column_id, minlength=int(cols.sum())).astype(np.int64)
    row_shift = _edge_jitter(rng, rows, jitter)
    r = rows[column_id]
    y_frac0 = (row + row_shift[column_id, row]) / r
    y_frac1 = (row + 1 + row_shift[column_id, row + 1]) / r

    x0, y0 = bounds[parent, 0], bounds[parent, 1]
    child = np.column_stack(
        [
            x0 + width[parent] * x_frac0,
            y0 + height[parent] * y_frac0,
            x0 + width[parent] * x_frac1,
            y0 + height[parent] * y_frac1,
        ]
    )
    return child, parent


def _edge_jitter(rng: np.random.Generator, cells: IntArray, jitter: float) -> FloatArray:
    """Per-group shift of each inner cell edge; the outer edges (0 and cells) stay put."""
    shift = rng.uniform(-jitter, jitter, size=(cells.size, int(cells.max()) + 1))
    shift[:, 0] = 0.0
    shift[np.arange(cells.size), cells] = 0.0
    return shift


def _units(rng: np.random.Generator, scale: float) -> gpd.GeoDataFrame:
    n_prov = _scaled("provinces", scale)
    n_dist = _scaled("districts", scale, n_prov)
    n_comm = _scaled("communes", scale, n_dist)
    n_vill = _scaled("villages", scale, n_comm)
    prov_bounds, _ = _subdivide(rng, np.array([BBOX], dtype=np.float64), np.array([n_prov]))
    dist_bounds, dist_parent = _subdivide(rng, prov_bounds, _split(rng, n_dist, n_prov))
    comm_bounds, comm_parent = _subdivide(rng, dist_bounds, _split(rng, n_comm, n_dist))
    vill_bounds, vill_parent = _subdivide(rng, comm_bounds, _split(rng, n_vill, n_comm))

    prov_codes = np.array([f"{i + 1:02d}" for i in range(n_prov)], dtype=object)
    dist_codes = np.array([f"{i + 1:03d}" for i in range(n_dist)], dtype=object)
    comm_codes = np.array([f"{i + 1:05d}" for i in range(n_comm)], dtype=object)
    prov_types = _choose(rng, ["tinh", "thanh_pho_tw"], [0.92, 0.08], n_prov)
    dist_types = _choose(
        rng, ["huyen", "quan", "thi_xa", "thanh_pho"], [0.7, 0.1, 0.1, 0.1], n_dist
    )
    comm_types = _choose(rng, ["xa", "phuong", "thi_tran"], [0.75, 0.17, 0.08], n_comm)
    vill_types, vill_names, vill_codes = _village_labels(rng, comm_types, comm_codes, vill_parent)

    vill_pop = rng.integers(300, 3_000, size=n_vill)
    comm_pop = np.bincount(vill_parent, weights=vill_pop, minlength=n_comm).astype(np.int64)
    dist_pop = np.bincount(comm_parent, weights=comm_pop, minlength=n_dist).astype(np.int64)
    prov_pop = np.bincount(dist_parent, weights=dist_pop, minlength=n_prov).astype(np.int64)

    levels = [
        (
            Level.PROVINCE,
            prov_codes,
            prov_types,
            _admin_names(prov_types, prov_codes),
            np.full(n_prov, None, dtype=object),
            prov_pop,
            prov_bounds,
        ),
        (
            Level.DISTRICT,
            dist_codes,
            dist_types,
            _admin_names(dist_types, dist_codes),
            prov_codes[dist_parent],
            dist_pop,
            dist_bounds,
        ),
        (
            Level.COMMUNE,
            comm_codes,
            comm_types,
            _admin_names(comm_types, comm_codes),
            dist_codes[comm_parent],
            comm_pop,
            comm_bounds,
        ),
        (
            Level.VILLAGE,
            vill_codes,
            vill_types,
            vill_names,
            comm_codes[vill_parent],
            vill_pop,
            vill_bounds,
        ),
    ]
    frames = [_unit_frame(*level) for level in levels]
    units = pd.concat(frames, ignore_index=True)
    units["source"] = "synthetic"
    geometry = shapely.box(*np.vstack([level[-1] for level in levels]).T)
    return gpd.GeoDataFrame(units[UNIT_COLUMNS], geometry=geometry, crs=WGS84)


def _unit_frame(
    level: Level,
    codes: NDArray[np.object_],
    types: NDArray[np.object_],
    names: list[str],
    parents: NDArray[np.object_],
    population: IntArray,
    bounds: FloatArray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": codes,
            "name": names,
            "unit_type": types,
            "level": int(level),
            "parent_code": parents,
            "population": population,
            "households": (population / 3.8).round().astype(np.int64),
            "valid_from": VALID_FROM,
            "valid_to": None,
            "geometry_quality": GEOMETRY_APPROXIMATE,
            "label_lon": (bounds[:, 0] + bounds[:, 2]) / 2,
            "label_lat": (bounds[:, 1] + bounds[:, 3]) / 2,
        }
    )


def _choose(
    rng: np.random.Generator, options: list[str], weights: list[float], size: int
) -> NDArray[np.object_]:
    p = np.asarray(weights, dtype=np.float64)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=p / p.sum())]


def _type_word(unit_type: str) -> str:
    return unicodedata.normalize("NFC", UNIT_TYPES[unit_type][0])


def _admin_names(types: NDArray[np.object_], codes: NDArray[np.object_]) -> list[str]:
    return [f"{_type_word(t)} {c}" for t, c in zip(types, codes, strict=True)]


def _village_labels(
    rng: np.random.Generator,
    comm_types: NDArray[np.object_],
    comm_codes: NDArray[np.object_],
    parent: IntArray,
) -> tuple[NDArray[np.object_], list[str], NDArray[np.object_]]:
    """Village type (by the commune's type), name "Thôn 3" and code "<commune>-003"."""
    seq = np.arange(parent.size) - np.searchsorted(parent, parent) + 1
    pick = rng.random(parent.size)
    types = np.empty(parent.size, dtype=object)
    for commune_type, options in VILLAGE_TYPES.items():
        here = comm_types[parent] == commune_type
        types[here] = np.asarray(options, dtype=object)[(pick[here] * len(options)).astype(int)]
    names = [f"{_type_word(t)} {s}" for t, s in zip(types, seq, strict=True)]
    codes = np.array(
        [f"{c}-{s:03d}" for c, s in zip(comm_codes[parent], seq, strict=True)], dtype=object
    )
    return types, names, codes


def _models(
    rng: np.random.Generator, scale: float, communes: pd.DataFrame, model_types: pd.DataFrame
) -> pd.DataFrame:
    n = _scaled("models", scale)
    type_codes = list(model_types["code"])
    types = _choose(rng, type_codes, [TYPE_WEIGHTS.get(t, 1.0) for t in type_codes], n)
    commune = rng.integers(0, len(communes), size=n)
    names_vi = model_types.set_index("code")["name_vi"]
    commune_names = communes["name"].to_numpy()[commune]
    launch_days = rng.integers(0, int((LAUNCH_RANGE[1] - LAUNCH_RANGE[0]).astype(int)), size=n)
    launch = (LAUNCH_RANGE[0] + launch_days.astype("timedelta64[D]")).astype(object)
    tips = rng.poisson(8, size=n)
    households = rng.integers(5, 40, size=n)
    return pd.DataFrame(
        {
            "model_id": [f"M{i + 1:06d}" for i in range(n)],
            "type_code": types,
            "name": [f"{names_vi[t]} {c}" for t, c in zip(types, commune_names, strict=True)],
            "unit_code": communes["code"].to_numpy()[commune],
            "launch_date": launch,
            "status": _choose(rng, list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()), n),
            "members": rng.integers(5, 60, size=n),
            "households": pd.Series(households, dtype="Int64").where(
                types == "inter_household_group"
            ),
            "cameras": 0,
            "tips": tips,
            "valuable_tips": rng.binomial(tips, 0.5),
            "tips_year": 2024,
            "decision": [f"{number}/QĐ-UBND" for number in rng.integers(1, 999, size=n)],
            "extra": [{} for _ in range(n)],
            "ended_on": None,
        }
    )[MODEL_COLUMNS]


def _teams(
    rng: np.random.Generator,
    models: pd.DataFrame,
    communes: pd.DataFrame,
    villages: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Teams of each model, each at a random village of the model's commune, with a point."""
    per_model = rng.poisson(COUNTS["teams_per_model"], size=len(models))
    model_index = np.repeat(np.arange(len(models)), per_model)
    n = model_index.size
    commune_pos = pd.Index(communes["code"]).get_indexer(models["unit_code"])[model_index]
    village_parent = pd.Index(communes["code"]).get_indexer(villages["parent_code"])
    first = np.searchsorted(village_parent, np.arange(len(communes)))
    count = np.bincount(village_parent, minlength=len(communes))
    village = first[commune_pos] + (rng.random(n) * count[commune_pos]).astype(np.int64)
    households = models["households"].to_numpy()[model_index]
    frame = pd.DataFrame(
        {
            "team_id": [f"T{i + 1:07d}" for i in range(n)],
            "model_id": models["model_id"].to_numpy()[model_index],
            "unit_code": villages["code"].to_numpy()[village],
            "name": [f"Tổ {i % 9 + 1}" for i in range(n)],
            "members": rng.integers(3, 25, size=n),
            "households": pd.array(households, dtype="Int64"),
            "cameras": 0,
            "leader_role": _choose(rng, LEADER_ROLES, [0.5, 0.3, 0.1, 0.1], n),
            # Their points are the frame's geometry; the stored sites carry none, as
            # registers without location columns give none.
            "lon": np.nan,
            "lat": np.nan,
        }
    )[TEAM_COLUMNS]
    points = random_points_in(rng, villages.geometry.to_numpy()[village])
    return gpd.GeoDataFrame(frame, geometry=points, crs=WGS84)


def _cameras(
    rng: np.random.Generator,
    scale: float,
    teams: gpd.GeoDataFrame,
    models: pd.DataFrame,
    villages: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Camera points, mostly of camera-model teams, each inside its team's village."""
    n = _scaled("cameras", scale, 0) if len(teams) else 0
    type_of = models.set_index("model_id")["type_code"]
    is_camera = teams["model_id"].map(type_of).eq("security_camera").to_numpy()
    weights = np.where(is_camera, 40.0, 1.0)
    team = rng.choice(len(teams), size=n, p=weights / weights.sum()) if n else np.array([], int)
    village = pd.Index(villages["code"]).get_indexer(teams["unit_code"].to_numpy()[team])
    frame = pd.DataFrame(
        {
            "camera_id": [f"C{i + 1:07d}" for i in range(n)],
            "model_id": teams["model_id"].to_numpy()[team],
            "team_id": teams["team_id"].to_numpy()[team],
            "unit_code": villages["code"].to_numpy()[village],
        }
    )
    points = random_points_in(rng, villages.geometry.to_numpy()[village])
    return gpd.GeoDataFrame(frame, geometry=points, crs=WGS84)


def random_points_in(rng: np.random.Generator, boxes: NDArray[np.object_]) -> NDArray[np.object_]:
    """One uniform point strictly inside each (rectangular) polygon, away from its edges."""
    if len(boxes) == 0:
        return np.array([], dtype=object)
    b = shapely.bounds(boxes)
    u = rng.uniform(POINT_MARGIN, 1 - POINT_MARGIN, size=(len(boxes), 2))
    x = b[:, 0] + u[:, 0] * (b[:, 2] - b[:, 0])
    y = b[:, 1] + u[:, 1] * (b[:, 3] - b[:, 1])
    points: NDArray[np.object_] = shapely.points(x, y)
    return points


def write_gpkg(data: NationalData, path: Path) -> None:
    """Write units, model_types, models, teams and cameras layers, replacing ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    use_arrow = importlib.util.find_spec("pyarrow") is not None
    models = data.models.assign(extra=data.models["extra"].map(json.dumps))
    layers: dict[str, pd.DataFrame] = {
        "units": data.units,
        "model_types": data.model_types,
        "models": models,
        "teams": data.teams,
        "cameras": data.cameras,
    }
    for layer, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", use_arrow=use_arrow)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("bench/out/national.gpkg"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = generate(args.seed, args.scale)
    built = time.perf_counter()
    write_gpkg(data, args.out)
    print(
        f"{len(data.units)} units ({len(data.villages)} villages), {len(data.models)} models, "
        f"{len(data.teams)} teams, {len(data.cameras)} cameras; generated in "
        f"{built - started:.1f} s, written to {args.out} in {time.perf_counter() - built:.1f} s"
    )


if __name__ == "__main__":
    main()
