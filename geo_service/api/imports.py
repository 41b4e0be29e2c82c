"""``/api/imports``: upload files through the same pipeline as the CLI, and the import log.

Uploads are off unless ``GEO_SERVICE_UPLOADS_ENABLED=true`` (editors' roles come later).
The body is counted while it streams in, so an oversized upload is refused with 413
before it is written anywhere; a rejected file answers 422 with the full report.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator, Callable
from datetime import date
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from geo_service import pipeline
from geo_service.api.deps import SettingsDep, StoreDep
from geo_service.api.serialise import records
from geo_service.settings import Settings

router = APIRouter(prefix="/api/imports", tags=["imports"])
Kind = Literal["boundaries", "villages", "models", "lineage"]
COPY_CHUNK = 1 << 20
RUNS: dict[str, Callable[..., pipeline.ImportOutcome]] = {
    "villages": pipeline.import_villages,
    "models": pipeline.import_models,
    "lineage": pipeline.import_lineage,
}


class _TooLarge(Exception):
    pass


def _require_uploads(settings: Settings) -> None:
    if not settings.uploads_enabled:
        raise HTTPException(403, "uploads are disabled on this server; an administrator can "
                                 "enable them with GEO_SERVICE_UPLOADS_ENABLED=true")


async def _counted(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _TooLarge
        yield chunk


async def _receive_file(request: Request, settings: Settings, folder: Path) -> Path:
    limit = settings.max_upload_bytes
    too_large = HTTPException(413, f"the upload is larger than the limit of "
                                   f"{limit / 2**20:.0f} MB; nothing was imported")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send the file as multipart/form-data in a field named 'file'")
    parser = MultiPartParser(request.headers, _counted(request, limit), max_files=1, max_fields=8)
    try:
        form = await parser.parse()
    except _TooLarge:
        raise too_large from None
    except MultiPartException as exc:
        raise HTTPException(400, f"malformed multipart body: {exc.message}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(422, "no file in the form field 'file'")
    # Only the base name: a client must not choose where the file lands.
    name = PurePath(upload.filename.replace("\\", "/")).name or "upload"
    target = folder / name
    with target.open("wb") as sink:
        while chunk := await upload.read(COPY_CHUNK):
            sink.write(chunk)
    await upload.close()
    return target


def _summary(outcome: pipeline.ImportOutcome) -> dict[str, Any]:
    return {
        "file": outcome.report.file,
        "import_id": outcome.import_id,
        "dry_run": outcome.dry_run,
        "changed": outcome.changed,
        "changes": {t: vars(c) for t, c in outcome.changes.items()},
        "report": outcome.report.as_dict(),
    }


@router.get("", summary="The import log: when, which file (SHA-256), what it wrote, undone")
def list_imports(store: StoreDep) -> dict[str, Any]:
    log = store.imports()
    return {"count": len(log), "imports": records(log, list(log.columns))}


@router.post("/{kind}", summary="Upload a file and import it (all-or-nothing)")
async def upload(
    kind: Kind,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="validate and report; change nothing")] = False,
    level: Annotated[int | None, Query(ge=1, le=4, description="boundaries: unit level")] = None,
    crs: Annotated[str | None, Query(description="boundaries: source CRS if none")] = None,
    valid_from: Annotated[date | None, Query(description="boundaries: start date")] = None,
    valid_to: Annotated[date | None, Query(description="boundaries: end date")] = None,
) -> dict[str, Any]:
    _require_uploads(settings)
    with tempfile.TemporaryDirectory(prefix="geo-service-upload-") as folder:
        path = await _receive_file(request, settings, Path(folder))
        if kind == "boundaries":
            outcome = await run_in_threadpool(
                pipeline.import_boundaries, store, path, level=level, crs=crs,
                valid_from=valid_from, valid_to=valid_to, dry_run=dry_run,
            )
        else:
            outcome = await run_in_threadpool(RUNS[kind], store, path, dry_run=dry_run)
    return _summary(outcome)


@router.post("/{import_id}/undo", summary="Undo the latest import")
def undo(import_id: int, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    _require_uploads(settings)
    try:
        store.undo(import_id)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    return {"undone": import_id}
