"""KML and KMZ, as officials draw them in Google Earth.

Every Placemark is a row: its name, its description and its ExtendedData become
attributes; an HTML table in the description (what "export to KML" tools write) adds
one attribute per two-cell row. Each Folder is a GDAL layer: without ``layer`` all
folders holding the wanted geometry are read together, with a warning naming them.
KML coordinates are WGS 84 by definition. A KMZ is a zip whose main document is
``doc.kml`` (or its only .kml file), read in place through /vsizip/.
"""

from __future__ import annotations

import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo_service.ingest.readers.layers import (
    Expect,
    LayerRequest,
    RawLayer,
    RawRead,
    clean_gdal_message,
    decode_wkb,
    fail,
    read_gdal,
)
from geo_service.ingest.readers.zip_limits import zip_members
from geo_service.ingest.report import ValidationReport
from geo_service.text.names import fold

FOLDER_COLUMN = "kml_folder"
# Styling and timing fields GDAL's KML drivers add to every layer; no unit data in them.
_HOUSEKEEPING = {
    "timestamp",
    "begin",
    "end",
    "altitudemode",
    "tessellate",
    "extrude",
    "visibility",
    "draworder",
    "icon",
    "snippet",
}
# Shapely type ids of the wanted placemarks; a GeometryCollection may hold polygons.
_TYPE_IDS: dict[Expect, tuple[int, ...]] = {"polygons": (3, 6, 7), "points": (0, 4)}


def read_kml(request: LayerRequest, report: ValidationReport) -> RawLayer:
    """The placemarks of the file (.kml or .kmz) of the wanted kind, one row each."""
    path, name, layer = request.path, request.name, request.layer
    gdal_path = _kmz_document(path, name) if path.suffix.lower() == ".kmz" else str(path)
    folders = _folders(gdal_path, path, name)
    if layer is not None:
        if layer not in folders:
            fail(name, f"no folder {layer!r}; folders: {', '.join(folders)}", field="layer")
        chosen = [(layer, read_gdal(gdal_path, layer, None, path, name))]
    else:
        chosen = _folders_with(request.expect, gdal_path, folders, path, name, report)
    attributes = _concatenated(
        [read.attributes.assign(**{FOLDER_COLUMN: folder}) for folder, read in chosen]
    )
    if len(attributes) == 0:
        fail(name, "the file has no placemarks", field="geometry")
    wkb = np.concatenate([read.wkb for _, read in chosen])
    geometry = decode_wkb(wkb, attributes.index.to_numpy(), report)
    return RawLayer(_with_description_fields(attributes), geometry, chosen[0][1].crs)


def _kmz_document(path: Path, name: str) -> str:
    if not zipfile.is_zipfile(path):
        fail(name, "not a KMZ file: a KMZ is a zip archive holding doc.kml")
    try:
        with zipfile.ZipFile(path) as archive:
            documents = [
                info.filename
                for info in zip_members(archive, name)
                if info.filename.lower().endswith(".kml")
            ]
    except (zipfile.BadZipFile, OSError) as problem:
        fail(name, f"cannot read the KMZ archive: {problem}")
    main = [d for d in documents if d.lower() == "doc.kml"] or [
        d for d in documents if "/" not in d
    ]
    if len(main) != 1:
        found = ", ".join(documents) or "none"
        fail(name, f"a KMZ needs one main document doc.kml; .kml files found: {found}")
    return f"/vsizip/{path}/{main[0]}"


def _folders(gdal_path: str, path: Path, name: str) -> list[str]:
    try:
        return [str(n) for n, _ in pyogrio.list_layers(gdal_path)]
    except (RuntimeError, OSError) as problem:
        fail(name, f"cannot read the file as KML: {clean_gdal_message(problem, path, name)}")


def _folders_with(
    expect: Expect,
    gdal_path: str,
    folders: list[str],
    path: Path,
    name: str,
    report: ValidationReport,
) -> list[tuple[str, RawRead]]:
    """Every folder holding at least one geometry of the wanted kind, in file order."""
    wanted = _TYPE_IDS[expect]
    reads = [(folder, read_gdal(gdal_path, folder, None, path, name)) for folder in folders]
    chosen = [
        (folder, read)
        for folder, read in reads
        if np.isin(
            shapely.get_type_id(shapely.from_wkb(read.wkb, on_invalid="ignore")), wanted
        ).any()
    ]
    if not chosen:
        kind = "polygon" if expect == "polygons" else "point"
        listed = ", ".join(f"{f} ({len(r.wkb)} placemarks)" for f, r in reads) or "none"
        fail(name, f"no {kind} placemarks in the file; folders: {listed}", field="layer")
    if len(chosen) > 1:
        listed = ", ".join(f"{f} ({len(r.wkb)})" for f, r in chosen)
        report.warning(
            f"the file has several folders with {expect}; read them all: {listed}. "
            "Choose one with --layer",
            field="layer",
            code="several_layers",
        )
    return chosen


def _concatenated(frames: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [f.drop(columns=[c for c in f.columns if _housekeeping(c, f[c])]) for f in frames]
    table = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    table = table.astype(object).where(table.notna(), None)
    table.index = pd.RangeIndex(1, len(table) + 1, name="feature")
    return table


def _housekeeping(column: str, values: pd.Series) -> bool:
    return column.lower() in _HOUSEKEEPING or (column == "id" and bool(values.isna().all()))


def _with_description_fields(attributes: pd.DataFrame) -> pd.DataFrame:
    """Add the two-cell rows of HTML tables in descriptions as columns (new names only)."""
    column = next((c for c in attributes.columns if c.lower() == "description"), None)
    if column is None:
        return attributes
    parsed = [
        _table_pairs(v) if isinstance(v, str) and "<t" in v.lower() else {}
        for v in attributes[column]
    ]
    known = {fold(str(c)) for c in attributes.columns}
    keys = list(dict.fromkeys(k for pairs in parsed for k in pairs if fold(k) not in known))
    if not keys:
        return attributes
    extra = pd.DataFrame(
        {k: [pairs.get(k) for pairs in parsed] for k in keys}, index=attributes.index, dtype=object
    )
    return pd.concat([attributes, extra], axis=1)


def _table_pairs(html: str) -> dict[str, str | None]:
    parser = _TableRows()
    parser.feed(html)
    parser.close()
    pairs: dict[str, str | None] = {}
    for cells in parser.rows:
        if len(cells) == 2 and cells[0]:
            pairs.setdefault(cells[0], cells[1] or None)
    return pairs


class _TableRows(HTMLParser):
    """Text of each table row's cells; markup inside cells is dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
