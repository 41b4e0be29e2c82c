"""The nouns of the service and the column layout every layer agrees on.

Bulk data moves between layers as (Geo)DataFrames with exactly these columns, so the
store, coverage and serve layers never translate between ad-hoc shapes. The small typed
classes below describe one row; each ``*_COLUMNS`` list is the fields of its class, in
order, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import IntEnum

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

WGS84 = "EPSG:4326"
# Areas and distances are computed in this metric CRS (VN-2000 / UTM 48N covers most of
# the country with acceptable scale error for village-sized figures).
METRIC_CRS = "EPSG:3405"
REFORM_DATE = date(2025, 7, 1)


class Level(IntEnum):
    PROVINCE = 1
    DISTRICT = 2
    COMMUNE = 3
    VILLAGE = 4


# Unit type slug -> (Vietnamese type word, level). Legal structure, not a catalogue:
# these words are fixed by law, unlike model types which are data.
UNIT_TYPES: dict[str, tuple[str, Level]] = {
    "tinh": ("Tỉnh", Level.PROVINCE),
    "thanh_pho_tw": ("Thành phố", Level.PROVINCE),
    "huyen": ("Huyện", Level.DISTRICT),
    "quan": ("Quận", Level.DISTRICT),
    "thi_xa": ("Thị xã", Level.DISTRICT),
    "thanh_pho": ("Thành phố", Level.DISTRICT),
    "xa": ("Xã", Level.COMMUNE),
    "phuong": ("Phường", Level.COMMUNE),
    "thi_tran": ("Thị trấn", Level.COMMUNE),
    "dac_khu": ("Đặc khu", Level.COMMUNE),
    "thon": ("Thôn", Level.VILLAGE),
    "xom": ("Xóm", Level.VILLAGE),
    "lang": ("Làng", Level.VILLAGE),
    "ap": ("Ấp", Level.VILLAGE),
    "ban": ("Bản", Level.VILLAGE),
    "buon": ("Buôn", Level.VILLAGE),
    "bon": ("Bon", Level.VILLAGE),
    "phum": ("Phum", Level.VILLAGE),
    "soc": ("Sóc", Level.VILLAGE),
    "to_dan_pho": ("Tổ dân phố", Level.VILLAGE),
    "khu_pho": ("Khu phố", Level.VILLAGE),
    "khoi_pho": ("Khối phố", Level.VILLAGE),
    "khom": ("Khóm", Level.VILLAGE),
    "tieu_khu": ("Tiểu khu", Level.VILLAGE),
    "khu_dan_cu": ("Khu dân cư", Level.VILLAGE),
}

# How a unit's geometry was obtained; shown wherever the geometry is shown.
GEOMETRY_SURVEYED = "surveyed"
GEOMETRY_APPROXIMATE = "approximate"
GEOMETRY_NONE = "none"

# The catalogue type whose sites are cameras: a camera site with a point and no camera count
# is one camera, and its points are the camera layer (public-safety sensitive).
CAMERA_MODEL_TYPE = "security_camera"

MODEL_STATUSES = ("active", "ineffective", "merged", "dissolved", "planned")

LINEAGE_COLUMNS = ["old_code", "new_code", "kind", "effective"]
# Names a unit had before a rename: ``until`` the day the name ended (None: not known),
# ``source`` where that is written (a boundary import, a bundled list and its citation).
FORMER_NAME_COLUMNS = ["code", "name", "until", "source"]
# Whole-number columns: carried as pandas' nullable Int64 so a missing count stays missing
# (not NaN) and a present one stays an integer in JSON and CSV.
COUNT_COLUMNS = [
    "population",
    "households",
    "members",
    "cameras",
    "tips",
    "valuable_tips",
    "tips_year",
    "member_households",
    "team_count",
    "model_count",
    "teams",
    "models",
    "villages_total",
    "villages_covered",
    "villages_uncovered",
]


def with_count_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast the count columns present in ``frame`` to nullable Int64 (in place) and return it."""
    for column in COUNT_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").round().astype("Int64")
    return frame


def as_multipolygons(geometries: ArrayLike) -> NDArray[np.object_]:
    """A unit's geometry is a MultiPolygon (or none): Polygons become one-part
    MultiPolygons, every other value is kept as it is. Stores hold units so, and change
    detection compares incoming geometry in the same form."""
    array = np.asarray(geometries, dtype=object)
    single = shapely.get_type_id(array) == shapely.GeometryType.POLYGON
    if single.any():
        array = array.copy()
        array[single] = shapely.multipolygons(array[single][:, np.newaxis])
    return array


@dataclass(frozen=True, slots=True)
class Unit:
    """An administrative unit (province, district, commune) or a village.

    ``code`` is the GSO code for administrative units and a service-assigned code for
    villages (they have no national code). Codes are reused across the 2025 reform (a
    merged commune keeps one of the old codes), so a unit is identified by
    ``(code, valid_from)``; at any one date a code names one unit.
    """

    code: str
    name: str
    unit_type: str
    level: Level
    parent_code: str | None = None
    population: int | None = None
    households: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None  # exclusive
    geometry_quality: str = GEOMETRY_NONE
    label_lon: float | None = None  # where the unit's label goes: a point inside it
    label_lat: float | None = None
    source: str = ""  # the file the unit was imported from


@dataclass(frozen=True, slots=True)
class ModelType:
    """One entry of the model-type catalogue (data, loaded from CSV, never an enum)."""

    code: str
    name_vi: str
    name_en: str
    counts_as_model: bool = True
    member_unit: str = "person"  # or "household" for inter-household groups
    description: str = ""
    # The ways registers write the type, "|" between them (catalogue/model_types.csv)
    aliases: str = ""


@dataclass(frozen=True, slots=True)
class Model:
    """A self-management model set up in a commune, running at one or more sites."""

    model_id: str
    type_code: str
    name: str
    unit_code: str
    launch_date: date | None = None
    status: str = "active"
    members: int | None = None
    households: int | None = None
    cameras: int | None = None
    tips: int | None = None
    valuable_tips: int | None = None
    tips_year: int | None = None
    decision: str | None = None
    extra: dict[str, float] = field(default_factory=dict)
    # The day a re-imported register no longer listed it and the import ended it; it
    # counts before that day as its status says, and not from it.
    ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class Team:
    """A team (tổ) of a model at one site: a village, or the commune for commune-wide models.

    Only counts and the leader's role title are kept here: member names and phones are
    personal data and live in a separate, never-public register. ``lon``/``lat`` (EPSG:4326)
    are the site's point when the register or a point layer gave one; ``unit_code`` is
    then the village the point was placed in. Camera points are public-safety sensitive:
    they leave the service only through the camera layer, behind its setting.
    """

    team_id: str
    model_id: str
    unit_code: str
    name: str | None = None
    members: int | None = None
    households: int | None = None
    cameras: int | None = None
    leader_role: str | None = None
    lon: float | None = None
    lat: float | None = None


def _columns(row: type) -> list[str]:
    return [column.name for column in fields(row)]


UNIT_COLUMNS = _columns(Unit)
MODEL_TYPE_COLUMNS = _columns(ModelType)
MODEL_COLUMNS = _columns(Model)
TEAM_COLUMNS = _columns(Team)
