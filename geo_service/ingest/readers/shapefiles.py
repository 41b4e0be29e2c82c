"""Locate a Shapefile (plain or zipped) and the encoding of its DBF text."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from geo_service.ingest.readers.layers import CP1258, fail
from geo_service.ingest.readers.zip_limits import zip_members
from geo_service.ingest.report import ValidationReport


def zipped_shapefile(
    path: Path, name: str, layer: str | None, report: ValidationReport
) -> tuple[str, str | None]:
    """GDAL path of the Shapefile inside ``path`` and its text encoding."""
    if not zipfile.is_zipfile(path):
        fail(name, "not a zip archive (or a damaged one)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = zip_members(archive, name)
            by_lower = {info.filename.lower(): info.filename for info in members}
            shp = _pick_shapefile(
                sorted(n for n in by_lower.values() if n.lower().endswith(".shp")), name, layer
            )
            stem = shp[:-4].lower()
            _require_sidecars(stem, set(by_lower), name, shp)
            cpg = by_lower.get(f"{stem}.cpg")
            encoding = _text_encoding(
                archive.read(cpg) if cpg else None,
                lambda: archive.read(by_lower[f"{stem}.dbf"]),
                report,
            )
    except (zipfile.BadZipFile, OSError) as problem:
        fail(name, f"cannot read the zip archive: {problem}")
    return f"/vsizip/{path}/{shp}", encoding


def shapefile_encoding(path: Path, name: str, report: ValidationReport) -> str | None:
    siblings = {p.name.lower(): p for p in path.parent.iterdir() if p.stem == path.stem}
    stem = path.stem.lower()
    _require_sidecars(stem, set(siblings), name, path.name)
    cpg = siblings.get(f"{stem}.cpg")
    return _text_encoding(
        cpg.read_bytes() if cpg else None, siblings[f"{stem}.dbf"].read_bytes, report
    )


def _pick_shapefile(shapefiles: list[str], name: str, layer: str | None) -> str:
    if not shapefiles:
        fail(name, "the zip contains no .shp file")
    if layer is not None:
        chosen = [s for s in shapefiles if Path(s).stem.lower() == layer.lower()]
        if not chosen:
            fail(
                name,
                f"the zip has no shapefile {layer!r}; it has: {', '.join(shapefiles)}",
                field="layer",
            )
        return chosen[0]
    if len(shapefiles) > 1:
        fail(
            name,
            f"the zip holds several shapefiles ({', '.join(shapefiles)}); choose one with --layer",
            field="layer",
        )
    return shapefiles[0]


def _require_sidecars(stem: str, present: set[str], name: str, shp: str) -> None:
    missing = [ext for ext in (".dbf", ".shx") if f"{stem}{ext}" not in present]
    if missing:
        fail(
            name,
            f"{shp} is incomplete: missing {' and '.join(missing)} "
            "(a Shapefile needs .shp, .shx and .dbf; .prj and .cpg are strongly advised)",
        )


def _text_encoding(
    cpg: bytes | None, dbf: Callable[[], bytes], report: ValidationReport
) -> str | None:
    """Encoding of the DBF text; None lets GDAL follow the .cpg.

    Without a .cpg GDAL assumes Latin-1, but Vietnamese DBFs are UTF-8 or Windows-1258.
    """
    if cpg is not None:
        return CP1258 if "1258" in cpg.decode("ascii", "replace") else None
    data = dbf()
    try:
        data[int.from_bytes(data[8:10], "little") :].decode("utf-8")
    except UnicodeDecodeError:
        report.warning(
            "no .cpg file and the text is not UTF-8: read it as Windows-1258 "
            "(cp1258); check the names, and add a .cpg next time",
            code="encoding",
        )
        return CP1258
    return "UTF-8"
