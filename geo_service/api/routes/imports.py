"""``/api/imports``: upload files through the same pipeline as the CLI, and the import log.

Uploads are off unless ``GEO_SERVICE_UPLOADS_ENABLED=true`` (editors' roles come later),
and every write needs the server's token (``deps.require_write_access``), checked before
the body is read. The body is counted while it streams in, so an oversized upload is
refused with 413 before it is written anywhere; a rejected file answers 422 with the full
report.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator, Callable
from datetime import date
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from geo_service.api.deps import SettingsDep, StoreDep, WriteAccess
from geo_service.api.paging import PageAsked
from geo_service.api.serialise import records
from geo_service.imports import pipeline
from geo_service.imports.options import BoundaryOptions
from geo_service.ingest.readers.zip_limits import unzipped_limit
from geo_service.ingest.registers.match_report import MatchReport
from geo_service.ingest.report import ImportRejected
from geo_service.output.import_log import import_log_text
from geo_service.settings import Settings
from geo_service.store import Store

router = APIRouter(prefix="/api/imports", tags=["imports"])
Kind = Literal["boundaries", "villages", "models", "lineage"]
COPY_CHUNK = 1 << 20
RUNS: dict[str, Callable[..., pipeline.ImportOutcome]] = {
    "villages": pipeline.import_villages,
    "lineage": pipeline.import_lineage,
}


class _TooLarge(Exception):
    pass


def _require_uploads(settings: SettingsDep) -> None:
    if not settings.uploads_enabled:
        raise HTTPException(
            403,
            "uploads are disabled on this server; an administrator can "
            "enable them with GEO_SERVICE_UPLOADS_ENABLED=true",
        )


async def _counted(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _TooLarge
        yield chunk


async def _receive_files(request: Request, settings: Settings, folder: Path) -> dict[str, Path]:
    """The form's files ('file', and for registers and boundaries an optional reviewed
    'mapping'), saved under their base names in ``folder``."""
    limit = settings.max_upload_bytes
    too_large = HTTPException(
        413, f"the upload is larger than the limit of {limit / 2**20:.0f} MB; nothing was imported"
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send the file as multipart/form-data in a field named 'file'")
    parser = MultiPartParser(request.headers, _counted(request, limit), max_files=2, max_fields=8)
    try:
        form = await parser.parse()
    except _TooLarge:
        raise too_large from None
    except MultiPartException as exc:
        raise HTTPException(400, f"malformed multipart body: {exc.message}") from None
    saved: dict[str, Path] = {}
    for field in ("file", "mapping"):
        upload = form.get(field)
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        # Only the base name: a client must not choose where the file lands.
        name = PurePath(upload.filename.replace("\\", "/")).name
        if name in {"", ".", ".."}:
            name = field
        target = folder / field / name
        target.parent.mkdir()
        with target.open("wb") as sink:
            while chunk := await upload.read(COPY_CHUNK):
                sink.write(chunk)
        await upload.close()
        saved[field] = target
    if "file" not in saved:
        raise HTTPException(422, "no file in the form field 'file'")
    return saved


def _summary(outcome: pipeline.ImportOutcome, matches: MatchReport | None = None) -> dict[str, Any]:
    return {
        "matches": matches.as_dict() if matches is not None else None,
        "file": outcome.report.file,
        "import_id": outcome.import_id,
        "dry_run": outcome.dry_run,
        "changed": outcome.changed,
        "changes": {t: vars(c) for t, c in outcome.changes.items()},
        "report": outcome.report.as_dict(),
    }


@router.get("", summary="The import log: when, which file (SHA-256), what it wrote, undone")
def list_imports(store: StoreDep, page: PageAsked) -> dict[str, Any]:
    log = import_log_text(store.imports())
    shown = log.iloc[page.rows(len(log))]
    return {"count": len(log), **page.body(len(log)), "imports": records(shown, list(log.columns))}


# Uploads first: a server with uploads off says so whatever the request carries.
WRITES = [Depends(_require_uploads), WriteAccess]


@router.post(
    "/{kind}",
    summary="Upload a file and import it (all-or-nothing); needs the write token",
    dependencies=WRITES,
)
async def upload(
    kind: Kind,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="validate and report; change nothing")] = False,
    level: Annotated[int | None, Query(ge=1, le=4, description="boundaries: unit level")] = None,
    crs: Annotated[
        str | None,
        Query(description="boundaries: source CRS if none; models: CRS of the sites' X/Y"),
    ] = None,
    valid_from: Annotated[date | None, Query(description="boundaries: start date")] = None,
    valid_to: Annotated[date | None, Query(description="boundaries: end date")] = None,
    dissolve_unlisted: Annotated[
        bool,
        Query(description="models: end the models of the register's communes it no longer lists"),
    ] = False,
) -> Any:
    with (
        tempfile.TemporaryDirectory(prefix="geo-service-upload-") as folder,
        unzipped_limit(settings.max_unzipped_bytes),  # copied into the worker threads
    ):
        files = await _receive_files(request, settings, Path(folder))
        path = files["file"]
        if kind == "models":
            return await _import_register(
                store, path, files.get("mapping"), dry_run, crs, dissolve_unlisted
            )
        if kind == "boundaries":
            options = BoundaryOptions(
                level=level, crs=crs, valid_from=valid_from, valid_to=valid_to
            )
            outcome = await run_in_threadpool(
                pipeline.import_boundaries,
                store,
                path,
                options,
                dry_run=dry_run,
                max_vertices=settings.max_vertices_per_feature,
                mapping=files.get("mapping"),
            )
        else:
            outcome = await run_in_threadpool(RUNS[kind], store, path, dry_run=dry_run)
    return _summary(outcome)


async def _import_register(
    store: Store,
    path: Path,
    mapping: Path | None,
    dry_run: bool,
    crs: str | None,
    dissolve_unlisted: bool,
) -> Any:
    """Registers answer with how every row was matched, even when the file is rejected."""
    matches = MatchReport()
    try:
        outcome = await run_in_threadpool(
            pipeline.import_models,
            store,
            path,
            dry_run=dry_run,
            mapping=mapping,
            matches=matches,
            crs=crs,
            dissolve_unlisted=dissolve_unlisted,
        )
    except ImportRejected as exc:
        return JSONResponse(
            status_code=422,
            content={
                "detail": "the file was rejected; nothing was changed",
                "report": exc.report.as_dict(),
                "matches": matches.as_dict(),
            },
        )
    if not outcome.report.ok:  # a dry run reports instead of raising
        return JSONResponse(
            status_code=422,
            content={
                "detail": "the file would be rejected; nothing was changed",
                **_summary(outcome, matches),
            },
        )
    return _summary(outcome, matches)


@router.post(
    "/{import_id}/undo",
    summary="Undo the latest import; needs the write token",
    dependencies=WRITES,
)
def undo(import_id: int, store: StoreDep) -> dict[str, Any]:
    try:
        store.undo(import_id)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    return {"undone": import_id}
