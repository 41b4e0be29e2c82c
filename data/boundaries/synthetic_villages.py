"""SYNTHETIC village points for the five seed communes (no public village data exists).

Each commune is cut into zones, one per 2025 successor (old polygon ∩ successor, kept
30 m inside both), so that a spatial join with the 2025 map sends every village to a
successor named by the lineage file. Every zone gets at least one village (Thị trấn
Thiệu Hóa was split three ways); the rest go by area. Inside a zone the villages are the
k-means centres of random points in it, snapped to the nearest of those points so they
stay inside, and at least 150 m apart. A fixed seed makes the output reproducible.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo_service.domain import METRIC_CRS, WGS84

SEED = 20250701
MIN_SPACING_M = 150.0
INNER_MARGIN_M = 30.0
PERSONS_PER_HOUSEHOLD = 3.6
HOUSEHOLDS_RANGE = (150, 450)
CANDIDATES_PER_ZONE = 4000

SEED_VILLAGES: dict[str, tuple[str, list[str]]] = {
    "09496": ("khu_pho", [f"Khu phố {i}" for i in range(1, 9)]),
    "07057": ("thon", [f"Thôn {i}" for i in range(1, 5)]),
    "09595": (
        "to_dan_pho",
        [f"Tổ dân phố {i} Tiền Huân" for i in range(1, 5)]
        + [f"Tổ dân phố {i} Viên Sơn" for i in range(1, 6)],
    ),
    "15772": ("tieu_khu", [f"Tiểu khu {i}" for i in range(1, 15)]),
    "19357": ("khu_pho", [f"Khu phố {i}" for i in range(1, 7)]),
}


def build_village_points(
    pre: gpd.GeoDataFrame, post: gpd.GeoDataFrame, lineage: pd.DataFrame
) -> pd.DataFrame:
    """Village rows (commune_code, name, unit_type, lon, lat, households, population)."""
    rng = np.random.default_rng(SEED)
    pre_m = pre[pre["level"] == 3].set_index("code").to_crs(METRIC_CRS)
    post_m = post[post["level"] == 3].set_index("code").to_crs(METRIC_CRS)
    frames = []
    for code, (unit_type, names) in SEED_VILLAGES.items():
        successors = lineage.loc[lineage["old_code"] == code, "new_code"].tolist()
        zones = [_zone(pre_m.geometry[code], post_m.geometry[s]) for s in successors]
        xy = _order_north_first(_place(zones, len(names), rng))
        lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=METRIC_CRS)
        lonlat = lonlat.to_crs(WGS84)
        frame = pd.DataFrame(
            {
                "commune_code": code,
                "name": names,
                "unit_type": unit_type,
                "lon": lonlat.x.round(6).to_numpy(),
                "lat": lonlat.y.round(6).to_numpy(),
            }
        )
        target = int(pre_m.loc[code, "population"]) / PERSONS_PER_HOUSEHOLD / len(names)
        frame[["households", "population"]] = _sizes(target, len(names), rng)
        _check(frame, pre[pre["code"] == code].geometry.iloc[0], post, successors)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _zone(old: BaseGeometry, successor: BaseGeometry) -> BaseGeometry:
    part = old.intersection(successor)
    for margin in (INNER_MARGIN_M, INNER_MARGIN_M / 3):
        inner = part.buffer(-margin)
        if inner.area > 0:
            return inner
    return part


def _allocate(areas: list[float], n: int) -> list[int]:
    """At least one village per zone, the rest by largest remainder of area share."""
    counts = [1] * len(areas)
    spare = n - len(areas)
    quotas = [spare * a / sum(areas) for a in areas]
    counts = [c + int(q) for c, q in zip(counts, quotas, strict=True)]
    by_remainder = sorted(range(len(areas)), key=lambda i: int(quotas[i]) - quotas[i])
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _place(zones: list[BaseGeometry], n: int, rng: np.random.Generator) -> np.ndarray:
    counts = _allocate([z.area for z in zones], n)
    placed = np.empty((0, 2))
    # Small zones first: they have the fewest candidate spots.
    for i in sorted(range(len(zones)), key=lambda i: zones[i].area):
        candidates = _random_points(zones[i], rng)
        if len(placed):
            gap = np.min(np.linalg.norm(candidates[:, None] - placed[None], axis=2), axis=1)
            candidates = candidates[gap >= MIN_SPACING_M * 4 / 3]
        placed = np.vstack([placed, _kmeans_sites(candidates, counts[i], rng)])
    return placed


def _random_points(zone: BaseGeometry, rng: np.random.Generator) -> np.ndarray:
    xmin, ymin, xmax, ymax = zone.bounds
    found = np.empty((0, 2))
    while len(found) < CANDIDATES_PER_ZONE:
        xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(20_000, 2))
        found = np.vstack([found, xy[shapely.contains_xy(zone, xy[:, 0], xy[:, 1])]])
    return found[:CANDIDATES_PER_ZONE]


def _kmeans_sites(candidates: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k well-spread candidate points: Lloyd's k-means, centres snapped to candidates."""
    centres = candidates[rng.choice(len(candidates), size=1)]
    while len(centres) < k:  # k-means++ seeding: far points are likelier
        d2 = np.min(((candidates[:, None] - centres[None]) ** 2).sum(axis=2), axis=1)
        centres = np.vstack([centres, candidates[rng.choice(len(candidates), p=d2 / d2.sum())]])
    for _ in range(50):
        nearest = ((candidates[:, None] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        centres = np.array(
            [
                candidates[nearest == j].mean(axis=0) if (nearest == j).any() else centres[j]
                for j in range(k)
            ]
        )
    snapped = ((centres[:, None] - candidates[None]) ** 2).sum(axis=2).argmin(axis=1)
    return candidates[snapped]


def _order_north_first(xy: np.ndarray) -> np.ndarray:
    """Number villages along the settlement's main axis, starting at its northern end."""
    centred = xy - xy.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    ordered = xy[np.argsort(centred @ axis)]
    return ordered if ordered[0, 1] >= ordered[-1, 1] else ordered[::-1]


def _sizes(target: float, n: int, rng: np.random.Generator) -> np.ndarray:
    low, high = HOUSEHOLDS_RANGE
    base = min(max(target, low * 1.1), high / 1.1)  # keep the jitter inside the range
    households = np.clip(np.round(base * rng.uniform(0.85, 1.15, n)), low, high)
    population = np.round(households * rng.uniform(3.4, 3.8, n))
    return np.column_stack([households, population]).astype(int)


def _check(
    frame: pd.DataFrame, commune: BaseGeometry, post: gpd.GeoDataFrame, successors: list[str]
) -> None:
    """Fail the build if a point left its commune, lands in no/the wrong successor, or crowds."""
    points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs=WGS84)
    if not points.within(commune).all():
        raise SystemExit(f"{frame['commune_code'][0]}: a village point lies outside the commune")
    communes_2025 = post[post["level"] == 3]
    hits = gpd.sjoin(gpd.GeoDataFrame(geometry=points), communes_2025, predicate="within")
    if len(hits) != len(frame) or not set(hits["code"]) == set(successors):
        raise SystemExit(f"{frame['commune_code'][0]}: points do not map onto {successors}")
    metric = points.to_crs(METRIC_CRS)
    xy = np.column_stack([metric.x, metric.y])
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9
    if gaps.min() < MIN_SPACING_M:
        raise SystemExit(f"{frame['commune_code'][0]}: villages closer than {MIN_SPACING_M} m")
