"""Uploading what a municipality already has: last year's Word document becomes a new
document (or a new municipality), a spreadsheet becomes statistics tables. The
imported draft is then reviewed in the editor like any other."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ... import store
from ...errors import AvtalsgenError
from ...importing import review
from ...importing.bounded import run_import
from ...importing.limits import BUSY, TOO_LARGE, ImportLimitError
from ...importing.report import ImportReport
from ...messages import SWEDISH, tr
from .. import security
from ..auth import safe_next
from .common import (
    author,
    checked_form,
    folder_of,
    page,
    posted_form,
    redirect,
    refuse_if_final,
    require,
    saved,
    shared,
    url,
)

KINDS = {".docx": "Word", ".xlsx": "Excel", ".csv": "CSV"}


async def _upload(request: Request) -> tuple[Path, str, dict[str, str], Path]:
    """The uploaded file saved in a temporary folder, its original name and the form."""
    form = await checked_form(request, max_files=1)
    upload = form.get("fil")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(400, tr("Choose a file to import.", SWEDISH))
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in KINDS:
        raise HTTPException(400, tr("Only Word (.docx), Excel (.xlsx) and CSV (.csv) files can "
                                    "be imported.", SWEDISH))
    tmp = Path(tempfile.mkdtemp(prefix="avtalsgen-upload-"))
    source = tmp / f"upload{suffix}"
    source.write_bytes(await upload.read())
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    return source, upload.filename, fields, tmp


def _run(source: Path, into: Path, fields: dict[str, str], name: str,
         editor: str) -> ImportReport:
    """The import, in a worker process within the bounds of importing.limits: a file
    too large (packed, unpacked, or unpacking far beyond its size) is answered 413, one
    that is damaged, too long or too slow to read 422, a server busy importing 503."""
    try:
        return run_import(source, into, shown=name, doc=fields.get("doc") or None,
                          municipality_name=fields.get("name") or None, author=editor,
                          name=name)
    except ImportLimitError as e:
        status = {TOO_LARGE: 413, BUSY: 503}.get(e.kind, 422)
        raise HTTPException(status, str(e)) from None
    except AvtalsgenError as e:  # names the file by its own name, not the server's copy
        raise HTTPException(400, e.text(SWEDISH)) from None


async def into_municipality(request: Request) -> Response:
    folder = folder_of(request)
    require(request, folder.name, "edit")
    await run_in_threadpool(refuse_if_final, request, folder)
    return await _import(request, folder, new=False)


async def new_municipality(request: Request) -> Response:
    if shared(request):
        raise HTTPException(403, tr("On a shared server, municipalities are created by "
                                    "whoever runs the server (avtalsgen init and avtalsgen "
                                    "users grant).", SWEDISH))
    return await _import(request, None, new=True)


async def _import(request: Request, folder: Path | None, *, new: bool) -> Response:
    """Read the upload into a folder (a new one named in the form), commit, and show
    what was found and what to check."""
    source, name, fields, tmp = await _upload(request)
    # Reading a document, writing and committing: off the event loop.
    return await run_in_threadpool(_import_upload, request, folder, new, source, name,
                                   fields, tmp)


def _import_upload(request: Request, folder: Path | None, new: bool, source: Path,
                   name: str, fields: dict[str, str], tmp: Path) -> Response:
    try:
        if folder is None:
            root: Path = request.app.state.root
            folder = security.inside(root, fields.get("slug", "").strip())
            if folder.exists():
                raise HTTPException(400, tr("The folder {name} exists already.", SWEDISH,
                                            name=folder.name))
        report = _run(source, folder, fields, name, author(request))
    except AvtalsgenError as e:
        raise HTTPException(400, f"{name}: {e.text(SWEDISH)}") from None
    finally:
        _cleanup(tmp)
    what = f"Ny kommun {folder.name} inläst från {name}" if new else \
        f"{folder.name}: {name} inläst"
    store.commit(folder, [folder], author=author(request),
                 message=f"{what} ({author(request)})")
    saved(request, folder, None, None, what)
    documents = [p.stem for p in report.written if p.suffix == ".yaml"
                 and p.name not in ("municipality.yaml", "statistics.yaml")]
    review.record(folder, report, name, documents[0] if documents else None)
    return page(request, "imported.html", slug=folder.name, report=report, source=name,
                documents=documents, review_notes=review.notes(folder, open_only=True),
                can_edit=True)


def tick(request: Request) -> Response:
    """Klart: one place of an import's review list is checked."""
    folder = folder_of(request)
    require(request, folder.name, "edit")
    form = posted_form(request)
    if not review.done(folder, request.path_params["id"], author(request)):
        raise HTTPException(404)
    return redirect(safe_next(str(form.get("next") or "")) or url("k", folder.name))


def _cleanup(tmp: Path) -> None:
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
