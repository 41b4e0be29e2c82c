"""``geo-service``: the command line. Every command calls ``pipeline``; none re-implements it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from geo_service.pipeline import ImportOutcome
from geo_service.progress import reporting
from geo_service.settings import Settings
from geo_service.store import Store, open_store
from geo_service.validate import ImportRejected, ValidationReport

app = typer.Typer(no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
import_app = typer.Typer(no_args_is_help=True, help="Import files into the store (all-or-nothing).")
villages_app = typer.Typer(no_args_is_help=True, help="Villages: derive approximate areas.")
imports_app = typer.Typer(no_args_is_help=True, help="The import log: list and undo imports.")
app.add_typer(import_app, name="import")
app.add_typer(imports_app, name="imports")
app.add_typer(villages_app, name="villages")
out = Console()
err = Console(stderr=True)
T = TypeVar("T")

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help="GeoPackage store (default: $GEO_SERVICE_STORE_PATH or ./geo-service.gpkg)"
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Validate and report; change nothing.")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="ISO date (default today)", show_default=False)
]


def _settings(store_path: Path | None, **overrides: object) -> Settings:
    values = dict(overrides)
    if store_path is not None:
        values["store_path"] = store_path
    return Settings(**values)  # type: ignore[arg-type]


def _store(store_path: Path | None) -> Store:
    return open_store(str(_settings(store_path).store_path))


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]error:[/] --as-of '{value}' is not an ISO date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


def _print_report(report: ValidationReport) -> None:
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        err.print(f"[{colour}]{problem}[/]", highlight=False, markup=True, soft_wrap=True)


def _run_import(action: Callable[[], T]) -> T:
    """Run an import with a progress bar on a terminal; a rejection exits 2 with its report."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = bar.add_task("starting", total=None)
    try:
        with bar, reporting(lambda label: bar.update(task, description=label, refresh=True)):
            return action()
    except ImportRejected as exc:
        _print_report(exc.report)
        err.print(f"[red]rejected:[/] {len(exc.report.errors)} error(s); the store was not changed")
        raise typer.Exit(2) from None


def _done(outcome: ImportOutcome) -> None:
    _print_report(outcome.report)
    summary = "; ".join(
        f"{table}: {c.new} new, {c.updated} updated, {c.unchanged} unchanged"
        + (f", {c.removed} removed" if c.removed else "")
        for table, c in outcome.changes.items()
    )
    if not outcome.changed:
        verb = "nothing to change (already imported)"
    elif outcome.dry_run:
        verb = "would import"
    else:
        verb = f"imported (import #{outcome.import_id})"
    out.print(f"[green]{outcome.report.file}: {verb}[/] — {summary}", highlight=False)


@app.command()
def serve(
    store: StoreOption = None,
    demo: Annotated[bool, typer.Option(help="Load the bundled demo into an empty store.")] = False,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Start the web service (map at /, API at /api, OpenAPI docs at /docs)."""
    import uvicorn

    from geo_service.app import create_app

    settings = _settings(store, demo=demo, host=host, port=port)
    out.print(f"geo-service: store {settings.store_path.resolve()}; http://{host}:{port}/")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command("demo")
def demo_load(store: StoreOption = None) -> None:
    """Load the bundled demo (seed communes, villages, register) into the store."""
    from geo_service.pipeline import load_demo

    for outcome in _run_import(lambda: load_demo(_store(store))):
        _done(outcome)


@import_app.command("boundaries")
def import_boundaries(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON, GPKG, .zip")],
    store: StoreOption = None,
    level: Annotated[int | None, typer.Option(min=1, max=4, help="1 province … 4 village")] = None,
    crs: Annotated[
        str | None, typer.Option(help="Source CRS when the file has none, e.g. EPSG:9210")
    ] = None,
    layer: Annotated[str | None, typer.Option()] = None,
    code_field: Annotated[str | None, typer.Option()] = None,
    name_field: Annotated[str | None, typer.Option()] = None,
    parent_field: Annotated[str | None, typer.Option()] = None,
    valid_from: Annotated[str | None, typer.Option(help="ISO date the units start")] = None,
    valid_to: Annotated[str | None, typer.Option(help="ISO date the units end (exclusive)")] = None,
    dry_run: DryRun = False,
) -> None:
    """Import administrative boundaries, reprojected to EPSG:4326."""
    from geo_service.pipeline import import_boundaries as run

    starts = _as_of(valid_from) if valid_from else None
    ends = _as_of(valid_to) if valid_to else None
    _done(
        _run_import(
            lambda: run(
                _store(store),
                file,
                level=level,
                crs=crs,
                layer=layer,
                code_field=code_field,
                name_field=name_field,
                parent_field=parent_field,
                valid_from=starts,
                valid_to=ends,
                dry_run=dry_run,
            )
        )
    )


@import_app.command("models")
def import_models(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX register")],
    store: StoreOption = None,
    dry_run: DryRun = False,
    mapping: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Reviewed names: CSV kind,parent_code,given_name,code (or a --report JSON "
            "with chosen_code filled in)",
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write how every row was matched, as JSON"),
    ] = None,
    mapping_template: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, help="Write the unmatched/ambiguous names as a mapping CSV to fill in"
        ),
    ] = None,
) -> None:
    """Import a register of models and teams: CSV or XLSX (see docs/data-model.md).

    With --dry-run nothing changes: it reports how rows matched units (exit code 2 when
    there are errors). A real import is all-or-nothing.
    """
    from rich.text import Text

    from geo_service.ingest.match_report import FAILURE_COLUMNS, MatchReport
    from geo_service.pipeline import import_models as run

    matches = MatchReport()
    outcome: ImportOutcome | None = None
    try:
        outcome = run(_store(store), file, dry_run=dry_run, mapping=mapping, matches=matches)
        problems = outcome.report
    except ImportRejected as exc:
        problems = exc.report
    if report is not None:
        matches.write_json(report)
    if mapping_template is not None:
        written = matches.write_mapping_template(mapping_template)
        out.print(f"wrote {mapping_template}: {written} name(s) to review", highlight=False)
    if outcome is not None and problems.ok:
        _done(outcome)
        if dry_run:
            out.print(matches.summary_line(), highlight=False)
        return
    # The table shows the unmatched and ambiguous names; the list shows everything else.
    shown = [p for p in problems.problems if p.code not in ("unmatched", "ambiguous")]
    _print_report(ValidationReport(problems.file, shown if matches.rows else problems.problems))
    if matches.rows:
        out.print(matches.summary_line(), highlight=False)
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
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    store: StoreOption = None,
    dry_run: DryRun = False,
) -> None:
    """Import old→new unit links (CSV: old_code,new_code,kind,effective)."""
    from geo_service.pipeline import import_lineage as run

    _done(_run_import(lambda: run(_store(store), file, dry_run=dry_run)))


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
    from geo_service.pipeline import derive_villages, import_villages

    the_store = _store(store)
    on = _as_of(as_of)
    villages, report = _run_import(
        lambda: derive_villages(the_store, points, as_of=on, crs=crs, layer=layer)
    )
    _print_report(report)
    if output is not None:
        driver = "GPKG" if output.suffix.lower() == ".gpkg" else "GeoJSON"
        villages.to_file(output, driver=driver, engine="pyogrio")
        out.print(f"wrote {len(villages)} approximate village areas to {output}")
    if do_import or dry_run:
        _done(
            _run_import(
                lambda: import_villages(
                    the_store, points, dry_run=dry_run, as_of=on, crs=crs, layer=layer
                )
            )
        )
    elif output is None:
        out.print(f"{len(villages)} village areas derived; use -o FILE or --import")


@imports_app.command("list")
def imports_list(
    store: StoreOption = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Every import: when, what file (and its SHA-256), what it wrote, whether undone."""
    log = _store(store).imports()
    if as_json:
        from geo_service.api.serialise import records

        json.dump(records(log, list(log.columns)), sys.stdout, ensure_ascii=False, indent=1)
        return
    table = Table(title="Imports")
    columns = ["id", "at", "kind", "file_name", "sha256", "counts", "undone_at"]
    for column in columns:
        table.add_column(column)
    for record in log[columns].itertuples(index=False, name=None):
        cells = ["" if value is None or value != value else str(value) for value in record]
        cells[4] = cells[4][:12]
        table.add_row(*cells)
    out.print(table)


@imports_app.command("undo")
def imports_undo(
    import_id: Annotated[int | None, typer.Argument(help="Default: the latest import")] = None,
    store: StoreOption = None,
) -> None:
    """Undo the latest import (repeat to go further back)."""
    the_store = _store(store)
    log = the_store.imports()
    live = log[log["undone_at"].isna()]
    if import_id is None:
        if live.empty:
            err.print("[red]error:[/] there is no import to undo")
            raise typer.Exit(2)
        import_id = int(live["id"].iloc[-1])
    try:
        the_store.undo(import_id)
    except (LookupError, ValueError) as exc:
        err.print(f"[red]error:[/] {str(exc).strip(chr(39))}")
        raise typer.Exit(2) from None
    out.print(f"undid import #{import_id}")


@app.command()
def coverage(
    store: StoreOption = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit's subtree")] = None,
    as_of: AsOfOption = None,
    level: Annotated[
        int, typer.Option(min=1, max=4, help="Rows: 3 communes (default), 4 villages")
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print coverage: covered/total villages per unit."""
    from geo_service.pipeline import coverage_as_of

    settings = _settings(store)
    try:
        view = coverage_as_of(
            open_store(str(settings.store_path)), settings.coverage, _as_of(as_of), unit
        )
    except LookupError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if level == 4:
        rows = view.result.villages
        columns = ["code", "name", "parent_code", "status", "model_count", "members"]
    else:
        rows = view.result.rollups[view.result.rollups["level"] == level]
        columns = [
            "code",
            "name",
            "villages_covered",
            "villages_total",
            "coverage_pct",
            "models",
            "teams",
            "members",
        ]
    if as_json:
        from geo_service.api.serialise import records

        json.dump(records(rows, columns), sys.stdout, ensure_ascii=False, indent=1)
        return
    table = Table(title=f"Coverage on {view.as_of.isoformat()}")
    for column in columns:
        table.add_column(column)
    for record in rows[columns].itertuples(index=False):
        table.add_row(*("" if v is None or v != v else str(v) for v in record))
    out.print(table)


@app.command("map")
def write_map(
    output: Annotated[Path, typer.Option("-o", "--output", help="maps/NAME.html")],
    unit: Annotated[str | None, typer.Option(help="Focus on this unit")] = None,
    store: StoreOption = None,
    as_of: AsOfOption = None,
    demo: Annotated[bool, typer.Option(help="Load the demo first if the store is empty")] = False,
) -> None:
    """Write the coverage map as one standalone HTML file (works offline)."""
    from geo_service.pipeline import coverage_as_of, load_demo
    from geo_service.web.map import write_map_file

    settings = _settings(store)
    the_store = open_store(str(settings.store_path))
    if demo and the_store.is_empty():
        _run_import(lambda: load_demo(the_store))
    try:
        view = coverage_as_of(the_store, settings.coverage, _as_of(as_of), unit)
    except LookupError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    path = write_map_file(view, unit, output)
    out.print(f"wrote {path}")


def main() -> None:
    app()
