"""The data flow, written once: ingest → validate → store → coverage.

The CLI and the API routes both call these functions; neither re-implements the flow.
Every import validates completely before anything is written, and writes in one store
transaction, so a rejected file (or a dry run) changes nothing, not even the file system.
Imports running at the same time do not write over each other: see ``_apply_current``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo_service.domain import (
    FORMER_NAME_COLUMNS,
    LINEAGE_COLUMNS,
    MODEL_COLUMNS,
    MODEL_TYPE_COLUMNS,
    TEAM_COLUMNS,
    UNIT_COLUMNS,
)
from geo_service.hierarchy import valid_on
from geo_service.imports.carry_forward import with_carry_forward
from geo_service.imports.changes import TableChanges, canonical, compare, keyed_rows
from geo_service.imports.model_catalogue import register_catalogue
from geo_service.imports.options import BoundaryOptions, VillageOptions
from geo_service.imports.progress import stage
from geo_service.imports.unlisted import with_unlisted
from geo_service.ingest.registers.mapping import read_mapping
from geo_service.ingest.registers.match_report import MatchReport
from geo_service.ingest.registers.read import read_register
from geo_service.ingest.registers.replaced_units import UnitHistory
from geo_service.ingest.report import ValidationReport
from geo_service.ingest.units.boundaries import normalise_units, read_boundaries
from geo_service.ingest.units.codeless import settle_codes
from geo_service.ingest.units.former_names import read_former_names, renamed_units
from geo_service.ingest.units.lineage import read_lineage
from geo_service.ingest.units.source import unit_source
from geo_service.ingest.villages.derive import derive_village_areas, read_village_points
from geo_service.settings import (
    DEFAULT_MAX_VERTICES_PER_FEATURE,
)
from geo_service.store import (
    ImportBatch,
    ImportSource,
    Store,
    StoreBusy,
    StoreChanged,
    UnitQuery,
)

# Another import landing between our comparison and our write makes us compare again; if
# imports keep landing, give up rather than wait for ever.
COMPARE_ATTEMPTS = 3

Build = Callable[[], tuple[ImportBatch, ValidationReport]]


@dataclass
class ImportOutcome:
    """What an import did (or, with ``dry_run``, would do).

    ``changes`` counts new/updated/unchanged/removed rows per table. An import that would
    change nothing is not applied and not logged (``import_id`` stays None).
    """

    report: ValidationReport
    counts: dict[str, int] = field(default_factory=dict)
    import_id: int | None = None
    dry_run: bool = False
    changes: dict[str, TableChanges] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.any for c in self.changes.values())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def batch_changes(store: Store, batch: ImportBatch) -> dict[str, TableChanges]:
    """Per table, how ``batch`` would change the store."""
    changes: dict[str, TableChanges] = {}
    if batch.units is not None:
        codes = pd.unique(batch.units["code"].to_numpy(dtype=object))
        existing = store.units(UnitQuery(codes=tuple(codes.tolist())))
        columns = [*UNIT_COLUMNS, "geometry"]
        changes["units"] = compare(existing, batch.units, ["code", "valid_from"], columns)
    if batch.unit_closures:
        codes = tuple(sorted({code for code, _, _ in batch.unit_closures}))
        ends = keyed_rows(
            store.units(UnitQuery(codes=codes, with_geometry=False)),
            ["code", "valid_from"],
            ["valid_to"],
        )
        closing = [
            ends.get((code, canonical(start)), (None,))[0] != canonical(end)
            for code, start, end in batch.unit_closures
        ]
        changes["unit_closures"] = TableChanges(
            updated=sum(closing), unchanged=len(closing) - sum(closing)
        )
    for name, frame, key, columns, current in (
        ("lineage", batch.lineage, ["old_code", "new_code"], LINEAGE_COLUMNS, store.lineage),
        (
            "former_names",
            batch.former_names,
            ["code", "name"],
            FORMER_NAME_COLUMNS,
            store.former_names,
        ),
        ("model_types", batch.model_types, ["code"], MODEL_TYPE_COLUMNS, store.model_types),
        ("models", batch.models, ["model_id"], MODEL_COLUMNS, store.models),
    ):
        if frame is not None:
            changes[name] = compare(current(), frame, key, columns)
    if batch.teams is not None:
        owners = set(batch.teams["model_id"])
        if batch.models is not None:
            owners |= set(batch.models["model_id"])
        changes["teams"] = compare(
            store.teams(sorted(owners)), batch.teams, ["team_id"], TEAM_COLUMNS, replace_all=True
        )
    return changes


def _apply_current(
    store: Store, build: Build, dry_run: bool, *, report_errors: bool = False
) -> ImportOutcome:
    """Build the batch against the store as it is now, compare, and write what changed.

    ``build`` reads the store (parents, carry-forward, matching) and returns the batch and
    its report. The store's generation is read before it, and the write only lands if the
    generation is still the same inside the write transaction. Otherwise another import
    wrote meanwhile, and the batch is built and compared again: when that import wrote
    the same rows, this one has nothing left to change and is neither applied nor logged.
    With ``report_errors``, a dry run returns its report with errors instead of raising.
    """
    for _ in range(COMPARE_ATTEMPTS):
        seen = store.generation()
        batch, report = build()
        if report_errors and dry_run and not report.ok:
            return ImportOutcome(report, batch.counts(), dry_run=True)
        report.raise_if_errors()
        stage("comparing with the store")
        outcome = ImportOutcome(report, batch.counts(), None, dry_run, batch_changes(store, batch))
        if dry_run or not outcome.changed:
            return outcome
        stage("writing (one transaction)")
        try:
            outcome.import_id = store.apply(batch, expected_generation=seen)
        except StoreChanged:
            stage("another import wrote to the store meanwhile; comparing again")
            continue
        return outcome
    raise StoreBusy(
        f"other imports kept changing the store while {report.file} was compared with it; "
        "nothing was imported; try again"
    )


def _copy(report: ValidationReport) -> ValidationReport:
    """A report to extend in one attempt of ``_apply_current`` (an attempt may repeat)."""
    return ValidationReport(report.file, list(report.problems))


# -- boundaries, villages, lineage ------------------------------------------------------------


def import_boundaries(
    store: Store,
    path: Path,
    options: BoundaryOptions | None = None,
    *,
    dry_run: bool = False,
    max_vertices: int = DEFAULT_MAX_VERTICES_PER_FEATURE,
    mapping: Path | None = None,
    matches: MatchReport | None = None,
) -> ImportOutcome:
    """``geo-service import boundaries FILE``: GeoJSON, GeoPackage or zipped Shapefile.

    ``options``: what the file does not say itself (none: all found from the file).
    ``max_vertices``: ``Settings.max_vertices_per_feature``, which the CLI and API pass.
    Communes and villages without a code take one from the store or from ``mapping``, a
    reviewed mapping file (``ingest.units.codeless``); ``matches``, when given, receives
    those rows (for ``--mapping-template``).
    """
    given = options or BoundaryOptions()
    name = path.name
    stage(f"reading {name}")
    raw, report = read_boundaries(
        path, crs=given.crs, layer=given.layer, display_name=name, max_vertices=max_vertices
    )
    report.raise_if_errors()
    stage("checking codes, names and types")
    units, unit_report = normalise_units(
        raw,
        file_name=name,
        level=given.level,
        code_field=given.code_field,
        name_field=given.name_field,
        parent_field=given.parent_field,
        valid_from=given.valid_from,
        valid_to=given.valid_to,
        source=name,
        codes_later=True,
    )
    report.extend(unit_report)
    reviewed = read_mapping(mapping, report.part(mapping.name)) if mapping else None
    report.raise_if_errors()
    source = ImportSource("boundaries", name, file_sha256(path))
    settled = matches if matches is not None else MatchReport()
    settled.file = name

    def build() -> tuple[ImportBatch, ValidationReport]:
        attempt = _copy(report)
        found = units
        if unit_source(units).codeless or reviewed is not None:
            stage("finding codes for the rows without one")
            settled.rows.clear()  # of an earlier attempt
            stored = store.units(UnitQuery(with_geometry=False))
            found = settle_codes(units, stored, reviewed, attempt, settled)
            attempt.raise_if_errors()
        stage("checking parents")
        _check_parents(store, found, attempt)
        # A stored code under another name: the old name is kept as a former name.
        codes = tuple(pd.unique(found["code"].to_numpy(dtype=object)).tolist())
        held = store.units(UnitQuery(codes=codes, with_geometry=False))
        renamed = renamed_units(held, found, name)
        batch = ImportBatch(source, units=found, former_names=renamed if len(renamed) else None)
        stage("following the administrative reforms")
        return with_carry_forward(store, batch), attempt

    return _apply_current(store, build, dry_run)


def _check_parents(store: Store, units: gpd.GeoDataFrame, report: ValidationReport) -> None:
    """Every parent code names a unit of the file or of the store (of any date)."""
    parents = pd.unique(units["parent_code"].to_numpy(dtype=object))
    named = {parent for parent in parents if isinstance(parent, str)}
    outside = sorted(named - {""} - set(units["code"].to_numpy(dtype=object).tolist()))
    if not outside:
        return
    unknown = set(outside) - store.held_codes(outside)
    if not unknown:
        return
    source = unit_source(units)
    field = source.field("parent_code")
    for row, parent in zip(source.rows, units["parent_code"], strict=True):
        if parent in unknown:
            report.error(
                f"unknown parent code '{parent}' (import the parent units first)",
                row=int(row),
                field=field,
                code="unknown_parent",
            )


def derive_villages(
    store: Store,
    points_path: Path,
    options: VillageOptions | None = None,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Approximate village areas from village points inside the stored commune polygons.

    Commune codes in the file mean the communes valid on ``options.as_of`` (default today):
    codes were reused by the 2025 reform, so a pre-2025 village list needs a pre-2025 date.
    """
    given = options or VillageOptions()
    name = points_path.name
    stage(f"reading {name}")
    points, report = read_village_points(
        points_path, file_name=name, crs=given.crs, layer=given.layer
    )
    report.raise_if_errors()
    stage("deriving approximate village areas")
    codes = tuple(sorted(set(points["commune_code"])))
    on = given.as_of or date.today()
    communes = _communes_on(store.units(UnitQuery(level=3, codes=codes)), on)
    villages, derive_report = derive_village_areas(points, communes, file_name=name)
    report.extend(derive_report)
    report.raise_if_errors()
    return villages, report


def _communes_on(communes: gpd.GeoDataFrame, day: date) -> gpd.GeoDataFrame:
    """One row per code: the unit valid on ``day``, else the one that ended last."""
    ordered = communes.assign(
        _valid=valid_on(communes, day), _end=communes["valid_to"].fillna(date.max)
    ).sort_values(["code", "_valid", "_end"])
    return ordered.drop_duplicates("code", keep="last").drop(columns=["_valid", "_end"])


def import_villages(
    store: Store,
    points_path: Path,
    options: VillageOptions | None = None,
    *,
    dry_run: bool = False,
) -> ImportOutcome:
    """``geo-service villages derive POINTS --import``: derive areas, then store them."""
    name = points_path.name

    def build() -> tuple[ImportBatch, ValidationReport]:
        villages, report = derive_villages(store, points_path, options)
        source = ImportSource("villages", name, file_sha256(points_path))
        return with_carry_forward(store, ImportBatch(source, units=villages)), report

    return _apply_current(store, build, dry_run)


def import_lineage(store: Store, path: Path, *, dry_run: bool = False) -> ImportOutcome:
    """``geo-service import lineage FILE``: old→new links (CSV, or the 2025 JSON lists).

    Links may name units not in the store yet (a national list against a few provinces):
    they are kept, with one warning, and take effect when those units are imported.
    """
    stage(f"reading {path.name}")
    frame, report = read_lineage(path)
    report.raise_if_errors()
    source = ImportSource("lineage", path.name, file_sha256(path))

    def build() -> tuple[ImportBatch, ValidationReport]:
        attempt = _copy(report)
        held = store.units(UnitQuery(with_geometry=False, columns=("code",)))
        unknown = sorted((set(frame["old_code"]) | set(frame["new_code"])) - set(held["code"]))
        if unknown:
            attempt.warning(
                f"{len(unknown)} codes are not in the store yet (e.g. "
                f"{', '.join(unknown[:5])}); their links apply once they are imported",
                field="old_code/new_code",
                code="unknown_codes",
            )
        batch = ImportBatch(source, lineage=frame[LINEAGE_COLUMNS])
        return with_carry_forward(store, batch), attempt

    return _apply_current(store, build, dry_run)


def import_former_names(store: Store, path: Path, *, dry_run: bool = False) -> ImportOutcome:
    """Former names of stored units from a CSV ``code,name,until,source`` (the demo's
    ``former_names.csv``); register matching offers the units they name."""
    source = ImportSource("former_names", path.name, file_sha256(path))

    def build() -> tuple[ImportBatch, ValidationReport]:
        held = store.units(UnitQuery(with_geometry=False, columns=("code",)))
        frame, report = read_former_names(path, set(held["code"]))
        return ImportBatch(source, former_names=frame), report

    return _apply_current(store, build, dry_run)


# -- model registers -----------------------------------------------------------------------


def import_models(
    store: Store,
    path: Path,
    *,
    dry_run: bool = False,
    mapping: Path | None = None,
    matches: MatchReport | None = None,
    crs: str | None = None,
    dissolve_unlisted: bool = False,
) -> ImportOutcome:
    """``geo-service import models FILE``: a register of models and teams (CSV or XLSX).

    ``mapping`` is a reviewed mapping file (CSV, or a JSON match report with chosen codes).
    Models of the register's communes that it no longer lists are reported; with
    ``dissolve_unlisted`` they are ended today (``imports/unlisted.py``).
    ``matches``, when given, receives how every row was matched; a dry run then returns its
    outcome even when there are errors (they are in ``outcome.report``) instead of raising.
    ``crs``: the CRS of the sites' coordinates when they are not lon/lat (``--crs``).
    """
    name = path.name
    source = ImportSource("models", name, file_sha256(path))

    def build() -> tuple[ImportBatch, ValidationReport]:
        # A store without a catalogue gets the bundled one with its first register, in the
        # same transaction: a dry run or a rejected register leaves no catalogue behind.
        catalogue, written = register_catalogue(store.model_types())
        if matches is not None:
            matches.rows.clear()  # of an earlier attempt
        stage(f"reading and matching {name}")
        rows, report = read_register(
            path,
            store.units(),
            catalogue,
            file_name=name,
            mapping=mapping,
            matches=matches,
            crs=crs,
            history=UnitHistory(store.lineage(), store.former_names()),
        )
        models, teams = with_unlisted(store, rows, report, dissolve=dissolve_unlisted)
        # Rows a reviewed mapping skipped go into the import log, each with its reason.
        noted = replace(source, notes=rows.skipped)
        return ImportBatch(noted, model_types=written, models=models, teams=teams), report

    return _apply_current(store, build, dry_run, report_errors=matches is not None)
