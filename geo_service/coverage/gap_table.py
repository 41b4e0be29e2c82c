"""The uncovered villages of a coverage result as one sorted table: what the map's gap list
and its dots filter by box. Pure: built from the result alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_service.coverage.compute import CoverageResult


@dataclass(frozen=True)
class GapTable:
    """Uncovered villages with a label point, sorted by commune name, name and code."""

    lon: np.ndarray
    lat: np.ndarray
    rows: pd.DataFrame  # code, name, unit_type, commune, commune_type (object columns)


def gap_table_of(result: CoverageResult) -> GapTable:
    villages = result.villages
    gaps = villages[~villages["covered"].astype(bool)]
    communes = result.rollups.set_index("code")
    table = pd.DataFrame(
        {
            "code": gaps["code"].to_numpy(dtype=object),
            "name": gaps["name"].to_numpy(dtype=object),
            "unit_type": gaps["unit_type"].to_numpy(dtype=object),
            "commune": gaps["parent_code"].map(communes["name"]).to_numpy(dtype=object),
            "commune_type": gaps["parent_code"].map(communes["unit_type"]).to_numpy(dtype=object),
            "lon": pd.to_numeric(gaps["label_lon"], errors="coerce").to_numpy(dtype=float),
            "lat": pd.to_numeric(gaps["label_lat"], errors="coerce").to_numpy(dtype=float),
        }
    )
    # A label is given or derived at import; a village without one is not drawn or listed.
    table = table[np.isfinite(table["lon"]) & np.isfinite(table["lat"])]
    table = table.sort_values(["commune", "name", "code"], kind="stable", na_position="last")
    return GapTable(
        table["lon"].to_numpy(), table["lat"].to_numpy(), table.drop(columns=["lon", "lat"])
    )
