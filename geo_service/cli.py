"""``geo-service``: the command line. Every command calls ``pipeline``; none re-implements it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geo_service.cli_common import (
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
from geo_service.cli_imports import import_app, imports_app, villages_app

app = typer.Typer(
    no_args_is_help=True,
    help="Coverage of Vietnam's villages by community security self-management models: "
    "import boundaries and registers, compute coverage, serve the map and the API.",
    pretty_exceptions_enable=False,
)
app.add_typer(import_app, name="import")
app.add_typer(imports_app, name="imports")
app.add_typer(villages_app, name="villages")


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

    settings = settings_for(store, demo=demo, host=host, port=port)
    out.print(f"geo-service: store {settings.store_path.resolve()}; http://{host}:{port}/")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command("demo")
def demo_load(store: StoreOption = None) -> None:
    """Load the bundled demo (seed communes, villages, register) into the store."""
    from geo_service.pipeline import load_demo

    for outcome in run_import(lambda: load_demo(store_at(store))):
        done(outcome)


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

    settings = settings_for(store)
    try:
        view = coverage_as_of(reading_store(store), settings.coverage, parse_as_of(as_of), unit)
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

    settings = settings_for(store)
    the_store = store_at(store) if demo else reading_store(store)
    if demo and the_store.is_empty():
        run_import(lambda: load_demo(the_store))
    try:
        view = coverage_as_of(the_store, settings.coverage, parse_as_of(as_of), unit)
    except LookupError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    path = write_map_file(view, unit, output)
    out.print(f"wrote {path}")


def main() -> None:
    app()
