"""``geo-service``: the command line. Every command calls ``pipeline``; none re-implements it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from geo_service.cli.common import (
    AsOfOption,
    StoreOption,
    done,
    err,
    out,
    parse_as_of,
    reading_store,
    run_import,
    settings_for,
    store_at,
)
from geo_service.cli.imports import import_app, imports_app, villages_app
from geo_service.cli.rows import print_json, print_table
from geo_service.coverage.unit_fate import explain
from geo_service.settings import Settings
from geo_service.store import StoreError, open_store

LEVEL_ROWS = {1: "provinces", 2: "districts", 3: "communes", 4: "villages"}
# column → table header; --json keys its records by the columns.
ROLLUP_HEADERS = {
    "code": "code",
    "name": "name",
    "villages_covered": "covered",
    "villages_total": "villages",
    "coverage_pct": "%",
    "data_status": "village list",  # complete, partial or no_data (see coverage.py)
    "models": "models",
    "teams": "teams",
    "members": "members",
}
VILLAGE_HEADERS = {
    "code": "code",
    "name": "name",
    "parent_code": "commune",
    "status": "status",
    "model_count": "models",
    "members": "members",
    "cameras": "cameras",
}

app = typer.Typer(
    no_args_is_help=True,
    help="Coverage of Vietnam's villages by community security self-management models: "
    "import boundaries and registers, compute coverage, serve the map and the API.",
    pretty_exceptions_enable=False,
    # Plain help: typer's Rich panels label every flag "<bool>", as if it took a value.
    rich_markup_mode=None,
)
app.add_typer(import_app, name="import")
app.add_typer(imports_app, name="imports")
app.add_typer(villages_app, name="villages")


@app.command()
def serve(
    store: StoreOption = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the bundled demo into an empty store.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes answering on the port (uvicorn workers); each builds "
            "its own app from the same settings.",
        ),
    ] = 1,
) -> None:
    """Start the web service (map at /, API at /api, OpenAPI docs at /docs)."""
    import uvicorn

    settings = settings_for(store, demo=demo, host=host, port=port)
    out.print(
        f"geo-service: serving {settings.store_path.resolve()} at http://{host}:{port}/",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if demo:
        load_demo_before_serving(settings)
    # Each worker is a fresh process that builds its settings inside create_app() from the
    # environment, so the command's own choices go there; the demo is already loaded.
    os.environ |= {
        "GEO_SERVICE_STORE_PATH": str(settings.store_path.resolve()),
        "GEO_SERVICE_DEMO": "false",
        "GEO_SERVICE_HOST": host,
        "GEO_SERVICE_PORT": str(port),
    }
    uvicorn.run(
        "geo_service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def load_demo_before_serving(settings: Settings) -> None:
    """Load the demo into an empty store once, before any worker starts (workers loading
    it side by side would race). A store that cannot be written is served as it is."""
    from geo_service.imports.demo import load_demo

    the_store = open_store(str(settings.store_path))
    try:
        if the_store.is_empty():
            load_demo(the_store)
    except StoreError as exc:  # e.g. a read-only mount
        err.print(f"[red]the demo was not loaded:[/] {escape(str(exc))}", highlight=False)


@app.command("demo")
def demo_load(store: StoreOption = None) -> None:
    """Load the bundled demo (seed communes, villages, register) into the store."""
    from geo_service.imports.demo import load_demo

    for outcome in run_import(lambda: load_demo(store_at(store))):
        done(outcome)


@app.command()
def coverage(
    store: StoreOption = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit's subtree (its code)")] = None,
    as_of: AsOfOption = None,
    level: Annotated[
        int, typer.Option(min=1, max=4, help="Rows: 3 communes (default), 4 villages")
    ] = 3,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the rows as JSON (missing figures are null).")
    ] = False,
) -> None:
    """Print coverage: covered/total villages per unit."""
    from geo_service.coverage.reads import coverage_as_of

    settings = settings_for(store)
    try:
        view = coverage_as_of(reading_store(store), settings.coverage, parse_as_of(as_of), unit)
    except LookupError as exc:  # a retired unit's message names its successors
        err.print(f"[red]error:[/] {escape(explain(exc, '--as-of '))}")
        raise typer.Exit(2) from None
    villages, rollups = view.result.villages, view.result.rollups
    rows = villages if level == 4 else rollups[rollups["level"] == level]
    what = f"{LEVEL_ROWS[level]}{f' in {unit}' if unit else ''} on {view.as_of.isoformat()}"
    if rows.empty and not as_json:
        present = sorted(set(rollups["level"]) | ({4} if len(villages) else set()))
        hint = f" (there are rows at --level {', '.join(map(str, present))})" if present else ""
        err.print(f"no {what}{hint}", highlight=False)
        return
    headers = VILLAGE_HEADERS if level == 4 else ROLLUP_HEADERS
    if as_json:
        print_json(rows, list(headers))
    else:
        print_table(out, rows, headers, title=f"Coverage: {what}")


@app.command("map")
def write_map(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="HTML file to write, e.g. maps/NAME.html")
    ],
    unit: Annotated[str | None, typer.Option(help="Focus on this unit")] = None,
    store: StoreOption = None,
    as_of: AsOfOption = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo first if the store is empty.")
    ] = False,
) -> None:
    """Write the coverage map as one standalone HTML file (works offline).

    Camera points are drawn, clustered, only when GEO_SERVICE_CAMERA_POINTS_PUBLIC=true.
    """
    from geo_service.coverage.camera_points import camera_points
    from geo_service.coverage.reads import coverage_as_of
    from geo_service.imports.demo import load_demo
    from geo_service.web.map import write_map_file

    settings = settings_for(store)
    the_store = store_at(store) if demo else reading_store(store)
    if demo and the_store.is_empty():
        run_import(lambda: load_demo(the_store))
    try:
        view = coverage_as_of(
            the_store, settings.coverage, parse_as_of(as_of), unit, with_no_data_areas=True
        )
    except LookupError as exc:  # a retired unit's message names its successors
        err.print(f"[red]error:[/] {escape(explain(exc, '--as-of '))}")
        raise typer.Exit(2) from None
    # Camera locations are public-safety sensitive: drawn only when the setting allows.
    cameras = (
        camera_points(the_store, view.result.as_of, unit) if settings.camera_points_public else None
    )
    path = write_map_file(view, unit, output, cameras)
    out.print(f"wrote {path}")


def main() -> None:
    app()
