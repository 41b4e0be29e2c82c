"""What every geometry reader hands on, and the GDAL read that most formats share.

A reader turns one file (GeoJSON, GeoPackage, Shapefile, KML, CSV, XLSX) into a
``RawLayer``: attributes with NFC text, one shapely geometry (or None) per row, and the
CRS the file declares. The attribute index holds the numbers problems are reported with:
1-based feature numbers (index name ``feature``) or spreadsheet rows (``row``, header = 1).
"""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pandas.api.extensions import ExtensionArray
from pyogrio.raw import read_arrow
from pyproj import CRS

from geo_service.ingest.report import ValidationReport, reject
from geo_service.text.legacy_encodings import decode_legacy, looks_legacy

CP1258 = "cp1258"
GEOMETRY_FIELD = "geometry"
_LATIN1 = "ISO-8859-1"
# WKB of a little-endian 2D Polygon starts so; prefixing a MultiPolygon header of one part
# makes it a MultiPolygon, far cheaper than building MultiPolygons after decoding.
_POLYGON_WKB = b"\x01\x03\x00\x00\x00"
_ONE_PART_MULTIPOLYGON_WKB = b"\x01\x06\x00\x00\x00\x01\x00\x00\x00"


Expect = Literal["polygons", "points"]


@dataclass(frozen=True)
class LayerRequest:
    """A file to read as one layer, as the readers are asked for it."""

    path: Path
    name: str  # the file's name in problems (an upload's own name, not its temporary path)
    layer: str | None  # the GeoPackage layer, Shapefile in a zip, KML folder or sheet asked for
    crs: CRS | None  # the source CRS given for a file that has none or a wrong one
    expect: Expect  # boundaries (polygons) or village points


@dataclass(frozen=True)
class RawLayer:
    attributes: pd.DataFrame  # index: feature numbers or spreadsheet rows
    geometry: np.ndarray  # shapely geometry or None per row, aligned with attributes
    crs: object | None  # as declared by the file; None when it declares none
    # Rows already reported as errors by the reader (bad numbers, WKT that does not parse).
    rejected: np.ndarray | None = None


@dataclass(frozen=True)
class RawRead:
    """One GDAL layer before its geometries are decoded (KML picks layers by their types)."""

    crs: object | None
    wkb: np.ndarray
    attributes: pd.DataFrame


def fail(name: str, message: str, *, field: str | None = None, row: int | None = None) -> NoReturn:
    reject(name, message, field=field, row=row)


def clean_gdal_message(problem: Exception, path: Path, name: str) -> str:
    """GDAL's message without server paths (uploads land in temporary files)."""
    text = str(problem).replace(f"/vsizip/{path}", name).replace(str(path), name)
    return text.split("; It might help")[0]


def read_gdal(
    gdal_path: str, layer: str | None, encoding: str | None, path: Path, name: str
) -> RawRead:
    """Raw read: geometries stay WKB so one malformed feature cannot sink the file.

    GDAL's Arrow stream is read: it hands over whole columns, with no Python object per
    feature as pyogrio's per-feature read makes.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's unclosed-ring notice
            meta, table = read_arrow(
                gdal_path, layer=layer, encoding=_LATIN1 if encoding == CP1258 else encoding
            )
    except (RuntimeError, OSError) as problem:
        kind = "a Shapefile" if ".shp" in gdal_path.lower() else f"'{path.suffix}'"
        fail(name, f"cannot read the file as {kind}: {clean_gdal_message(problem, path, name)}")
    geometry_column = meta.get("geometry_name") or "wkb_geometry"
    wkb = (
        table.column(geometry_column).to_numpy(zero_copy_only=False)
        if geometry_column in table.column_names
        else np.full(table.num_rows, None, dtype=object)
    )
    decode = _from_cp1258 if encoding == CP1258 else _nfc
    attributes = pd.DataFrame(
        {
            decode(str(field)): attribute_column(table.column(field), encoding == CP1258)
            for field in meta["fields"]
        },
        index=pd.RangeIndex(1, table.num_rows + 1, name="feature"),
    )
    return RawRead(meta.get("crs"), np.asarray(wkb, dtype=object), attributes)


def decode_wkb(wkb: np.ndarray, rows: np.ndarray, report: ValidationReport) -> np.ndarray:
    """Shapely geometries from WKB, Polygons as MultiPolygons; malformed ones are repaired
    (with a warning) or reported."""
    wkb = np.asarray(
        [
            _ONE_PART_MULTIPOLYGON_WKB + w if w is not None and w[:5] == _POLYGON_WKB else w
            for w in wkb.tolist()
        ],
        dtype=object,
    )
    geometry = np.asarray(shapely.from_wkb(wkb, on_invalid="ignore"), dtype=object)
    for index in np.flatnonzero(shapely.is_missing(geometry) & (wkb != None)):  # noqa: E711
        row = int(rows[index])
        fixed = shapely.from_wkb(wkb[index], on_invalid="fix")
        if fixed is None:
            report.error("malformed geometry that cannot be decoded", row=row, field=GEOMETRY_FIELD)
        else:
            report.warning(
                "malformed geometry (e.g. a ring that is not closed) was repaired",
                row=row,
                field=GEOMETRY_FIELD,
                code="repaired_geometry",
            )
        geometry[index] = fixed
    if shapely.has_z(geometry).any():  # heights play no part here (GDAL's Arrow keeps them)
        geometry = np.asarray(shapely.force_2d(geometry), dtype=object)
    return geometry


def read_gdal_layer(
    gdal_path: str,
    layer: str | None,
    encoding: str | None,
    path: Path,
    name: str,
    report: ValidationReport,
) -> RawLayer:
    raw = read_gdal(gdal_path, layer, encoding, path, name)
    if len(raw.wkb) == 0:
        fail(name, "the file has no features", field=GEOMETRY_FIELD)
    geometry = decode_wkb(raw.wkb, raw.attributes.index.to_numpy(), report)
    return RawLayer(convert_legacy_text(raw.attributes, report), geometry, raw.crs)


def convert_legacy_text(attributes: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    """Text typed with a TCVN3 (ABC) or VNI font, as old cadastral DBFs hold it, becomes
    Unicode, with a warning per column. Detection looks at the whole column, which is far
    more certain than one short name."""
    for column in attributes.columns:
        values = attributes[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        texts = [v for v in values.iloc[:_LEGACY_SAMPLE_ROWS].tolist() if isinstance(v, str)]
        encoding = looks_legacy(" | ".join(texts))
        if encoding is None:
            continue
        attributes[column] = [
            decode_legacy(v, encoding)[0] if isinstance(v, str) else v for v in values.tolist()
        ]
        report.warning(
            f"the text was typed with a {encoding.upper()} font; it was converted to Unicode",
            field=str(column),
            code="legacy_text",
        )
    return attributes


_LEGACY_SAMPLE_ROWS = 2_000


def attribute_column(values: pa.ChunkedArray, from_cp1258: bool) -> ExtensionArray | np.ndarray:
    """One attribute column: text in NFC (normalised by Arrow, a column at a time); other
    types as numpy arrays (dates as datetime64, integers with gaps as floats with NaN)."""
    if _is_string_view(values.type):  # newer GDALs may hand text over as views
        values = values.cast(pa.large_string())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values.to_numpy(zero_copy_only=False)
    if from_cp1258:
        return np.asarray(
            [_from_cp1258(v) if isinstance(v, str) else v for v in values.to_pylist()],
            dtype=object,
        )
    if not pc.all(pc.string_is_ascii(values)).as_py():  # ASCII is NFC already
        values = pc.utf8_normalize(values, form="NFC")
    return values.to_pandas().array


def _is_string_view(kind: pa.DataType) -> bool:
    check = getattr(pa.types, "is_string_view", None)
    return bool(check(kind)) if check is not None else False


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _from_cp1258(value: str) -> str:
    """GDAL read the bytes as Latin-1 (one character per byte); decode them as cp1258.

    GDAL's own cp1258 path (iconv) drops the last letter of a field: cp1258 is stateful
    (a letter waits for a possible tone mark) and GDAL does not flush it.
    """
    return _nfc(value.encode("latin-1").decode("cp1258", errors="replace"))
