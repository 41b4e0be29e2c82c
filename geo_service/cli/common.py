"""What every ``geo-service`` command shares: consoles, options, import running and reporting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from geo_service.imports.pipeline import ImportOutcome
from geo_service.imports.progress import reporting
from geo_service.ingest.readers.zip_limits import apply_unzipped_limit
from geo_service.ingest.report import ImportRejected, ValidationReport
from geo_service.settings import Settings
from geo_service.store import Store, StoreError, open_store

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


def settings_for(store_path: Path | None, **overrides: object) -> Settings:
    """The settings from the environment and the command's options; an invalid one (say a
    --store that is not a .gpkg) is an error line, exit 2."""
    values = dict(overrides)
    if store_path is not None:
        values["store_path"] = store_path
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        for problem in exc.errors():
            name = ".".join(str(part) for part in problem["loc"])
            err.print(f"[red]error:[/] {name}: {problem['msg']}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    # A process runs one command: the limit of its settings holds for the rest of it.
    apply_unzipped_limit(settings.max_unzipped_bytes)
    return settings


def store_at(store_path: Path | None) -> Store:
    """The store for a command that may write: it is created by its first import."""
    return open_store(str(settings_for(store_path).store_path))


def reading_store(store_path: Path | None) -> Store:
    """The store for a command that only reads: a missing one is an error (exit 2), and
    is not created; so is a file that is not a store (found by reading its generation)."""
    with store_errors():
        store = open_store(str(settings_for(store_path).store_path), must_exist=True)
        store.generation()
        return store


@contextmanager
def store_errors() -> Iterator[None]:
    """A store that cannot be read or written (missing, full disk, read-only, busy) ends
    the command with its message and exit code 2."""
    try:
        yield
    except StoreError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def parse_as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]error:[/] --as-of '{value}' is not an ISO date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


def print_report(report: ValidationReport) -> None:
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        # A problem quotes the file's own text ("[/x]" in a cell is not Rich markup).
        err.print(f"[{colour}]{escape(str(problem))}[/]", highlight=False, soft_wrap=True)


def run_import(action: Callable[[], T]) -> T:
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
        with (
            store_errors(),
            bar,
            reporting(lambda label: bar.update(task, description=label, refresh=True)),
        ):
            return action()
    except ImportRejected as exc:
        print_report(exc.report)
        err.print(f"[red]rejected:[/] {len(exc.report.errors)} error(s); the store was not changed")
        raise typer.Exit(2) from None


def done(outcome: ImportOutcome) -> None:
    print_report(outcome.report)
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
    out.print(f"[green]{escape(outcome.report.file)}: {verb}[/] — {summary}", highlight=False)
