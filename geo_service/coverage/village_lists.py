"""How complete the village list of each commune is, derived from the unit history.

After a reform a commune's villages come from its predecessors: a commune formed from
three communes of which one had its villages listed has a partial list (1 of 3), and the
map greys the other two areas. Pure functions, no I/O: ``pipeline`` reads the store and
passes the result to ``coverage.compute_coverage``.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo_service.coverage.compute import DATA_NONE, DATA_PARTIAL
from geo_service.domain import Level
from geo_service.hierarchy import dated_rows, valid_at
from geo_service.values import iso_column, member_of

# What ``village_list_sources`` reads of every unit, of any date.
HISTORY_COLUMNS = ("code", "name", "unit_type", "level", "parent_code", "valid_from", "valid_to")


VILLAGE_SOURCE_COLUMNS = [
    "commune_code",
    "source_code",
    "source_valid_from",
    "source_name",
    "source_unit_type",
    "villages_known",
]


def village_list_sources(history: pd.DataFrame, lineage: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """For each commune valid on ``as_of``: the communes whose village lists make up its list.

    A commune formed by a reform (lineage links to it that took effect on its first day)
    draws its villages from each predecessor; any other commune from itself. A source's
    villages are known when villages were listed under it while it stood (for the commune
    itself: villages under it on ``as_of``), or when the commune has villages of its own
    list (not carried from a predecessor): that list is taken to be the whole commune's.

    ``history`` holds communes and villages of every date (code, name, unit_type, level,
    parent_code, valid_from, valid_to). Returns one row per (commune, source), columns
    ``VILLAGE_SOURCE_COLUMNS``; a predecessor missing from the store has no name and no
    known villages.
    """
    level = history["level"].to_numpy()
    communes = _named(history, np.flatnonzero(level == int(Level.COMMUNE)))
    villages = dated_rows(history, np.flatnonzero(level == int(Level.VILLAGE)))
    current = communes[_standing_on(communes, as_of)]
    tree_villages = villages[_standing_on(villages, as_of)]
    links = lineage[["old_code", "new_code", "effective"]].astype(object).drop_duplicates()
    links["effective"] = iso_column(links["effective"])  # compared with ISO starts and ends
    formed = current[["code", "start"]].merge(
        links, left_on=["code", "start"], right_on=["new_code", "effective"]
    )
    predecessors = formed.merge(
        communes.rename(columns={"code": "old_code", "end": "effective", "start": "source_start"})[
            ["old_code", "effective", "source_start", "name", "unit_type"]
        ],
        on=["old_code", "effective"],
        how="left",
    )
    predecessors = predecessors.assign(
        villages_known=_listed_while_standing(predecessors, villages)
    )
    itself = current[~member_of(current["code"], formed["code"])]
    own = _source_rows(
        itself["code"],
        itself.rename(columns={"code": "source_code", "start": "source_start"}),
        member_of(itself["code"], tree_villages["parent_code"]),
    )
    inherited = _source_rows(
        predecessors["code"],
        predecessors.rename(columns={"old_code": "source_code"}),
        predecessors["villages_known"].to_numpy(dtype=bool),
    )
    own_lists = _with_own_list(tree_villages, villages)
    inherited.loc[member_of(inherited["commune_code"], own_lists), "villages_known"] = True
    sources = pd.concat([own, inherited], ignore_index=True)
    return sources.sort_values(["commune_code", "source_code"], ignore_index=True)[
        VILLAGE_SOURCE_COLUMNS
    ]


def _standing_on(dated: pd.DataFrame, day: date) -> pd.Series:
    on = pd.Series(day.isoformat(), index=dated.index, dtype=object)
    return valid_at(dated["start"], dated["end"], on)


def _named(units: pd.DataFrame, positions: NDArray[np.intp]) -> pd.DataFrame:
    rows = units.iloc[positions]
    return dated_rows(units, positions).assign(
        name=rows["name"].to_numpy(dtype=object),
        unit_type=rows["unit_type"].to_numpy(dtype=object),
    )


def _listed_while_standing(communes: pd.DataFrame, villages: pd.DataFrame) -> NDArray[np.bool_]:
    """Per row of ``communes`` (old_code, source_start, effective = its end): whether a
    village row named it as parent while it stood. Codes are reused, so dates decide."""
    pairs = (
        communes[["old_code", "source_start", "effective"]]
        .reset_index(names="row")
        .merge(
            villages[["parent_code", "start", "end"]], left_on="old_code", right_on="parent_code"
        )
    )
    began_before_end = pairs["start"].isna() | (pairs["start"].fillna("") < pairs["effective"])
    ended_after_start = (
        pairs["end"].isna()
        | pairs["source_start"].isna()
        | (pairs["end"].fillna("") > pairs["source_start"].fillna(""))
    )
    known = np.zeros(len(communes), dtype=bool)
    known[pairs.loc[began_before_end & ended_after_start, "row"].to_numpy(dtype=np.intp)] = True
    return known


def _with_own_list(tree_villages: pd.DataFrame, villages: pd.DataFrame) -> set[str]:
    """Communes with a village on ``as_of`` that was listed for them, not carried to them
    from a predecessor (a carried village continues a row of its code that ended the day
    it started)."""
    ends = villages.loc[villages["end"].notna(), ["code", "end"]].drop_duplicates()
    rows = tree_villages[["code", "start", "parent_code"]].merge(
        ends.rename(columns={"end": "start"}), on=["code", "start"], how="left", indicator=True
    )
    own = rows[(rows["_merge"] == "left_only").to_numpy()]
    return set(own["parent_code"].dropna())


NO_DATA_AREA_COLUMNS = ["commune_code", "source_code", "name", "unit_type", "valid_to", "geometry"]


# The data statuses of the communes ``areas_without_villages`` greys (whole or in part).
GREYED_STATUSES = (DATA_NONE, DATA_PARTIAL)


def areas_without_villages(
    communes: gpd.GeoDataFrame, sources: pd.DataFrame, source_units: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The parts of ``communes`` whose villages are not known, to be greyed on the map.

    ``communes`` are coverage roll-ups (code, name, unit_type, data_status, geometry). A
    commune with no data is greyed whole; of a partial one, the area of each source
    without villages (``source_units``: those communes with their old geometry, keyed by
    code and valid_from) as far as it lies inside the commune.
    """
    empty = communes["data_status"] == DATA_NONE
    whole = communes[empty]
    parts = [
        gpd.GeoDataFrame(
            {
                "commune_code": whole["code"].to_numpy(dtype=object),
                "source_code": whole["code"].to_numpy(dtype=object),
                "name": whole["name"].to_numpy(dtype=object),
                "unit_type": whole["unit_type"].to_numpy(dtype=object),
                "valid_to": None,
            },
            geometry=whole.geometry.to_numpy(),
            crs=communes.crs,
        )
    ]
    partial = communes[communes["data_status"] == DATA_PARTIAL]
    unknown = sources[~sources["villages_known"].astype(bool)]
    unknown = unknown[member_of(unknown["commune_code"], partial["code"])]
    if not unknown.empty and not source_units.empty:
        old = pd.DataFrame(source_units.drop(columns=source_units.geometry.name)).assign(
            source_geometry=source_units.geometry.to_numpy(),
            source_valid_from=pd.Series(
                iso_column(source_units["valid_from"]), index=source_units.index
            ).fillna(""),
        )
        pieces = unknown.assign(
            source_valid_from=unknown["source_valid_from"].astype(object).fillna("")
        ).merge(
            old[["code", "source_valid_from", "valid_to", "source_geometry"]].rename(
                columns={"code": "source_code"}
            ),
            on=["source_code", "source_valid_from"],
        )
        inside = pieces.merge(
            partial[["code", "geometry"]].rename(columns={"code": "commune_code"}),
            on="commune_code",
        )
        clipped = shapely.intersection(
            inside["source_geometry"].to_numpy(), inside["geometry"].to_numpy()
        )
        parts.append(
            gpd.GeoDataFrame(
                {
                    "commune_code": inside["commune_code"].to_numpy(dtype=object),
                    "source_code": inside["source_code"].to_numpy(dtype=object),
                    "name": inside["source_name"].to_numpy(dtype=object),
                    "unit_type": inside["source_unit_type"].to_numpy(dtype=object),
                    "valid_to": inside["valid_to"].to_numpy(dtype=object),
                },
                geometry=clipped,
                crs=communes.crs,
            )
        )
    areas = pd.concat(parts, ignore_index=True)
    drawn = ~(areas.geometry.isna() | areas.geometry.is_empty)
    return gpd.GeoDataFrame(areas[drawn], geometry="geometry", crs=communes.crs)[
        NO_DATA_AREA_COLUMNS
    ].reset_index(drop=True)


def _source_rows(commune_codes: pd.Series, sources: pd.DataFrame, known: object) -> pd.DataFrame:
    """Rows of ``VILLAGE_SOURCE_COLUMNS``: each commune with one unit it was formed from
    (``sources``: source_code, source_start, name, unit_type) and whether its villages are
    known."""
    return pd.DataFrame(
        {
            "commune_code": commune_codes.to_numpy(dtype=object),
            "source_code": sources["source_code"].to_numpy(dtype=object),
            "source_valid_from": sources["source_start"].to_numpy(dtype=object),
            "source_name": sources["name"].to_numpy(dtype=object),
            "source_unit_type": sources["unit_type"].to_numpy(dtype=object),
            "villages_known": known,
        }
    )
