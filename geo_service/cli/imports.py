"""``geo-service import``, ``imports`` and ``villages``: getting data in, and taking it back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geo_service.cli.common import (
    DryRun,
    StoreOption,
    done,
    err,
    out,
    parse_as_of,
    print_report,
    reading_store,
    run_import,
    settings_for,
    store_at,
    store_errors,
)
from geo_service.cli.rows import print_json
from geo_service.imports.options import BoundaryOptions, VillageOptions
from geo_service.imports.pipeline import ImportOutcome
from geo_service.ingest.report import ImportRejected, ValidationReport
from geo_service.output.geometry import rfc7946_geometries
from geo_service.output.import_log import import_log_text

# Plain help, as for the main app (cli.py): Rich panels label every flag "<bool>".
import_app = typer.Typer(
    no_args_is_help=True,
    help="Import files into the store (all-or-nothing).",
    rich_markup_mode=None,
)
villages_app = typer.Typer(
    no_args_is_help=True, help="Villages: derive approximate areas.", rich_markup_mode=None
)
imports_app = typer.Typer(
    no_args_is_help=True, help="The import log: list and undo imports.", rich_markup_mode=None
)


MappingOption = Annotated[
    Path | None,
    typer.Option(
        exists=True,
        dir_okay=False,
        help="Reviewed names: CSV kind,parent_code,given_name,code (a filled-in "
        "--mapping-template; for registers also a --report JSON with chosen_code filled in)",
    ),
]
MappingTemplateOption = Annotated[
    Path | None,
    typer.Option(
        dir_okay=False, help="Write the unmatched/ambiguous names as a mapping CSV to fill in"
    ),
]


@import_app.command("boundaries")
def import_boundaries(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ, or CSV/XLSX with lon/lat or WKT",
        ),
    ],
    store: StoreOption = None,
    level: Annotated[int | None, typer.Option(min=1, max=4, help="1 province … 4 village")] = None,
    crs: Annotated[
        str | None, typer.Option(help="Source CRS when the file has none, e.g. EPSG:9210")
    ] = None,
    layer: Annotated[
        str | None,
        typer.Option(help="GeoPackage layer, Shapefile in the zip, KML folder or XLSX sheet"),
    ] = None,
    code_field: Annotated[
        str | None, typer.Option(help="Column holding the unit codes (default: found by name)")
    ] = None,
    name_field: Annotated[
        str | None, typer.Option(help="Column holding the unit names (default: found by name)")
    ] = None,
    parent_field: Annotated[
        str | None, typer.Option(help="Column holding the parents' codes (default: found by name)")
    ] = None,
    valid_from: Annotated[str | None, typer.Option(help="ISO date the units start")] = None,
    valid_to: Annotated[str | None, typer.Option(help="ISO date the units end (exclusive)")] = None,
    dry_run: DryRun = False,
    mapping: MappingOption = None,
    mapping_template: MappingTemplateOption = None,
) -> None:
    """Import administrative boundaries, reprojected to EPSG:4326.

    A commune or village without a code takes the code of the unit stored under its name
    within its parent, or the code a reviewed --mapping gives it; every such row is listed
    as a warning. --mapping-template writes the rows still without a code to fill in.
    """
    from geo_service.imports.pipeline import import_boundaries as run
    from geo_service.ingest.registers.match_report import MatchReport

    options = BoundaryOptions(
        level=level,
        crs=crs,
        layer=layer,
        code_field=code_field,
        name_field=name_field,
        parent_field=parent_field,
        valid_from=parse_as_of(valid_from) if valid_from else None,
        valid_to=parse_as_of(valid_to) if valid_to else None,
    )
    max_vertices = settings_for(store).max_vertices_per_feature
    matches = MatchReport()
    try:
        outcome = run_import(
            lambda: run(
                store_at(store),
                file,
                options,
                dry_run=dry_run,
                max_vertices=max_vertices,
                mapping=mapping,
                matches=matches,
            )
        )
    finally:  # a rejected file is when the template is wanted
        if mapping_template is not None:
            written = matches.write_mapping_template(mapping_template)
            out.print(f"wrote {mapping_template}: {written} name(s) to review", highlight=False)
    done(outcome)


@import_app.command("models")
def import_models(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV or XLSX register, or a point layer of its rows (GeoJSON, GeoPackage, "
            "KML/KMZ, zipped Shapefile)",
        ),
    ],
    store: StoreOption = None,
    dry_run: DryRun = False,
    mapping: MappingOption = None,
    report: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write how every row was matched, as JSON"),
    ] = None,
    mapping_template: MappingTemplateOption = None,
    crs: Annotated[
        str | None,
        typer.Option(
            help="CRS of the sites' X/Y columns, e.g. EPSG:9210 (VN-2000 TM-3); "
            "without it coordinates are lon/lat in WGS 84"
        ),
    ] = None,
    dissolve_unlisted: Annotated[
        bool,
        typer.Option(
            "--dissolve-unlisted",
            help="End (today, history kept) the models of the register's communes that it "
            "no longer lists; without it they are only reported",
        ),
    ] = False,
) -> None:
    """Import a register of models and teams: CSV or XLSX (see docs/data-model.md).

    With --dry-run nothing changes: it reports how rows matched units (exit code 2 when
    there are errors). A real import is all-or-nothing.
    """
    from rich.text import Text

    from geo_service.imports.pipeline import import_models as run
    from geo_service.ingest.registers.match_report import FAILURE_COLUMNS, MatchReport

    matches = MatchReport()
    outcome: ImportOutcome | None = None
    try:
        with store_errors():
            outcome = run(
                store_at(store),
                file,
                dry_run=dry_run,
                mapping=mapping,
                matches=matches,
                crs=crs,
                dissolve_unlisted=dissolve_unlisted,
            )
        problems = outcome.report
    except ImportRejected as exc:
        problems = exc.report
    if report is not None:
        matches.write_json(report)
    if mapping_template is not None:
        written = matches.write_mapping_template(mapping_template)
        out.print(f"wrote {mapping_template}: {written} name(s) to review", highlight=False)
    if outcome is not None and problems.ok:
        done(outcome)
        if dry_run:
            out.print(matches.summary_line(), highlight=False, markup=False)
        return
    # The table shows the unmatched and ambiguous names; the list shows everything else.
    shown = [p for p in problems.problems if p.code not in ("unmatched", "ambiguous")]
    print_report(ValidationReport(problems.file, shown if matches.rows else problems.problems))
    if matches.rows:
        out.print(matches.summary_line(), highlight=False, markup=False)
        failures = matches.failure_rows()
        if failures:
            table = Table(title="Rows to review (suggestions are never applied on their own)")
            for column in FAILURE_COLUMNS:
                table.add_column(column)
            for cells in failures:
                table.add_row(*(Text(cell) for cell in cells))
            out.print(table)
    verb = "would be rejected" if outcome is not None else "rejected"
    err.print(
        f"[red]{verb}:[/] {len(problems.errors)} error(s); the store was not changed",
        highlight=False,
    )
    raise typer.Exit(2)


@import_app.command("lineage")
def import_lineage(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV or the 2025 JSON lists")
    ],
    store: StoreOption = None,
    dry_run: DryRun = False,
) -> None:
    """Import old→new unit links: CSV (old_code,new_code,kind,effective) or the 2025 JSON lists."""
    from geo_service.imports.pipeline import import_lineage as run

    done(run_import(lambda: run(store_at(store), file, dry_run=dry_run)))


@villages_app.command("derive")
def villages_derive(
    points: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="Village points or a plain list: CSV/XLSX (commune_code, name, lon, lat, …), "
            "GeoJSON, GeoPackage, KML/KMZ",
        ),
    ],
    store: StoreOption = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the areas (.geojson/.gpkg)")
    ] = None,
    do_import: Annotated[bool, typer.Option("--import", help="Store them as villages")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Date the file's commune codes refer to (default today; "
            "a pre-2025 list needs e.g. 2025-06-30)",
        ),
    ] = None,
    crs: Annotated[str | None, typer.Option(help="Source CRS if the file has none")] = None,
    layer: Annotated[str | None, typer.Option(help="Layer or sheet to read")] = None,
    dry_run: DryRun = False,
) -> None:
    """Approximate village areas from village points (Voronoi inside each commune)."""
    from geo_service.imports.pipeline import derive_villages, import_villages

    the_store = reading_store(store)  # the communes are read from it
    options = VillageOptions(as_of=parse_as_of(as_of), crs=crs, layer=layer)
    villages, report = run_import(lambda: derive_villages(the_store, points, options))
    print_report(report)
    if output is not None:
        driver = "GPKG" if output.suffix.lower() == ".gpkg" else "GeoJSON"
        lon_lat = villages.to_crs(4326)  # written as the API writes GeoJSON (RFC 7946)
        written = lon_lat.set_geometry(rfc7946_geometries(lon_lat.geometry.values), crs=4326)
        # GDAL's RFC 7946 mode leaves out the "crs" member the standard does not allow.
        rfc7946 = {"RFC7946": "YES"} if driver == "GeoJSON" else {}
        written.to_file(output, driver=driver, engine="pyogrio", layer_options=rfc7946)
        out.print(f"wrote {len(villages)} approximate village areas to {output}")
    if do_import or dry_run:
        done(run_import(lambda: import_villages(the_store, points, options, dry_run=dry_run)))
    elif output is None:
        out.print(f"{len(villages)} village areas derived; use -o FILE or --import")


@imports_app.command("list")
def imports_list(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the log as JSON.")] = False,
) -> None:
    """Every import: when, what file (and its SHA-256), what it wrote, whether undone."""
    log = reading_store(store).imports()
    if as_json:
        print_json(import_log_text(log), list(log.columns))
        return
    if log.empty:
        err.print("no imports yet", highlight=False)
        return
    # One line per import: seven columns do not fit a table on an 80-column terminal.
    for entry in log.to_dict("records"):
        wrote = ", ".join(f"{table} {n}" for table, n in entry["counts"].items())
        line = (
            f"#{entry['id']}  {utc_minute(entry['at'])}  {entry['kind']}  {entry['file_name']}  "
            f"(sha256 {str(entry['sha256'])[:12]})  {wrote}"
        )
        if undone := utc_minute(entry["undone_at"]):
            line += f"  — undone {undone}"
        out.print(line, highlight=False, markup=False, soft_wrap=True)
        for note in entry["notes"]:
            out.print(f"    {note}", highlight=False, markup=False, soft_wrap=True)


def utc_minute(stamp: datetime | None) -> str:
    """A time of the import log to the minute in UTC ('2025-07-01 09:30 UTC'); '' for none."""
    return "" if stamp is None else f"{stamp.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@imports_app.command("undo")
def imports_undo(
    import_id: Annotated[int | None, typer.Argument(help="Default: the latest import")] = None,
    store: StoreOption = None,
) -> None:
    """Undo the latest import (repeat to go further back)."""
    the_store = reading_store(store)
    log = the_store.imports()
    live = log[log["undone_at"].isna()]
    if import_id is None:
        if live.empty:
            err.print("[red]error:[/] there is no import to undo")
            raise typer.Exit(2)
        import_id = int(live["id"].iloc[-1])
    try:
        with store_errors():
            the_store.undo(import_id)
    except (LookupError, ValueError) as exc:
        err.print(f"[red]error:[/] {str(exc).strip(chr(39))}")
        raise typer.Exit(2) from None
    out.print(f"undid import #{import_id}")
