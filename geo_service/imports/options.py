"""What the person importing a file says about it, where the file does not say it itself.

The command line builds these from its options and the API's upload route from its query
fields; the pipeline takes them whole. A field left ``None`` is found from the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class BoundaryOptions:
    """How to read a boundary file (``pipeline.import_boundaries``)."""

    level: int | None = None  # 1 province … 4 village; None: from each row's unit type
    crs: str | None = None  # the source CRS, when the file has none or a wrong one
    layer: str | None = None  # GeoPackage layer, Shapefile in a zip, KML folder, XLSX sheet
    code_field: str | None = None  # the column of the units' codes
    name_field: str | None = None  # the column of their names
    parent_field: str | None = None  # the column of their parents' codes
    valid_from: date | None = None  # every unit starts that day (else a valid_from column)
    valid_to: date | None = None  # every unit ends that day, exclusive (else a column)


@dataclass(frozen=True)
class VillageOptions:
    """How to read a file of village points or a village list (``pipeline.import_villages``)."""

    as_of: date | None = None  # the day the file's commune codes refer to; None: today
    crs: str | None = None  # the source CRS, when the file has none
    layer: str | None = None  # the layer or sheet to read
