"""Review rounds: mark a municipality final, its history, and what changed between two
saved versions (a readable word diff, and the Word redline to download)."""

from __future__ import annotations

import difflib
import re
import tempfile
from pathlib import Path
from typing import Any

from docx import Document
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ... import store
from ...accounts import AccountError
from ...build import load, render_bundle
from ...errors import AvtalsgenError
from ...validate import final_problems
from .. import formfields
from .common import (
    accounts,
    address,
    audit_download,
    author,
    folder_of,
    folder_version,
    page,
    page_problems,
    posted_form,
    redirect,
    require,
    shared,
    url,
    user,
    validate,
)

WORKING = "arbetskopia"  # the files as they are now, saved or not committed
REV = re.compile(r"[0-9a-f]{7,40}")


def mark_final(request: Request) -> Response:
    folder = folder_of(request)
    if shared(request):  # on a shared server both parties approve instead
        raise HTTPException(403, "På en delad server blir dokumenten slutliga när båda "
                                 "parter har godkänt samma version.")
    form = posted_form(request)
    bundle, problems, _warnings = validate(folder)
    blocking = problems if bundle is None else final_problems(bundle)
    if blocking:
        return page(request, "final.html", status=409, slug=folder.name, blocking=blocking)
    path = folder / "municipality.yaml"

    def finalise(data: Any) -> Any:
        data["status"] = "final"
        return data

    try:
        store.update(path, finalise, str(form.get(formfields.VERSION) or store.version_of(path)),
                     author=author(request),
                     message=f"{folder.name}: markerad som slutlig ({author(request)})")
    except store.Conflict as e:
        return page(request, "conflict.html", status=409, conflict=e, slug=folder.name,
                    back=url("k", folder.name))
    return redirect(url("k", folder.name) + "?sparat=1")


def approve(request: Request) -> Response:
    """An approver approves the municipality as it is now for their party; when both
    parties have approved the same version, it is marked final."""
    folder = folder_of(request)
    found = accounts(request)
    if found is None:
        raise HTTPException(404)
    require(request, folder.name, "approve")
    form = posted_form(request)
    version = folder_version(folder)
    if str(form.get(formfields.VERSION) or "") != version:
        raise HTTPException(409, "Kommunen har ändrats sedan sidan visades. Ladda om sidan "
                                 "och granska den nya versionen innan du godkänner.")
    name = user(request) or ""
    found.approve(folder.name, version, name, address(request))
    if found.both_approved(folder.name, version):
        bundle, problems, _warnings = validate(folder)
        blocking = problems if bundle is None else final_problems(bundle)
        if blocking:
            return page(request, "final.html", status=409, slug=folder.name,
                        blocking=blocking)
        path = folder / "municipality.yaml"

        approvals = [{"name": a.name, "party": a.party, "date": a.time.date()}
                     for a in found.approvals(folder.name, version)]

        def finalise(data: Any) -> Any:
            data["status"] = "final"
            data["approvals"] = approvals  # printed in the final documents' properties
            return data

        try:
            store.update(path, finalise, store.version_of(path), author=name,
                         message=f"{folder.name}: slutlig, godkänd av båda parter ({name})")
        except store.Conflict as e:
            return page(request, "conflict.html", status=409, conflict=e, slug=folder.name,
                        back=url("k", folder.name))
        found.audit("approve", name=name, slug=folder.name, version=version,
                    detail="båda parter har godkänt: status final", address=address(request))
    return redirect(url("k", folder.name) + "?sparat=1")


def add_comment(request: Request) -> Response:
    """A comment on a section by any member (kept in the accounts database, never in
    the document)."""
    from .documents import _document_path, _section_keys

    folder, doc, _path = _document_path(request)
    section = request.path_params["path"]
    _section_keys(section)
    found = accounts(request)
    if found is None:
        raise HTTPException(404)
    require(request, folder.name, "comment")
    form = posted_form(request)
    try:
        found.comment(folder.name, doc, section, user(request) or "",
                      str(form.get("text") or ""), address(request))
    except AccountError as e:
        raise HTTPException(400, f"Kommentaren kunde inte sparas: {e}") from None
    return redirect(url("k", folder.name, "dok", doc, "avsnitt", section))


def resolve_comment(request: Request) -> Response:
    from .documents import _document_path

    folder, doc, _path = _document_path(request)
    found = accounts(request)
    if found is None:
        raise HTTPException(404)
    require(request, folder.name, "resolve_comment")
    posted_form(request)
    wanted = request.path_params["id"]
    match = [c for c in found.comments(folder.name, doc) if c.id == wanted]
    if not match:
        raise HTTPException(404)
    try:
        found.resolve(wanted, user(request) or "", address(request))
    except AccountError as e:
        raise HTTPException(400, str(e)) from None
    return redirect(url("k", folder.name, "dok", doc, "avsnitt", match[0].section_path))


def history(request: Request) -> Response:
    folder = folder_of(request)
    bundle, _problems, _warnings = page_problems(folder)
    found = accounts(request)
    reviews = [e for e in found.audit_log(folder.name) if e.event in ("approve", "withdraw")] \
        if found is not None else []
    return page(request, "history.html", slug=folder.name, commits=store.history(folder),
                documents=list(bundle.documents) if bundle else [], working=WORKING,
                reviews=reviews)


def _version(folder: Path, rev: str, tmp: Path) -> Path:
    if rev == WORKING:
        return folder
    if not REV.fullmatch(rev):
        raise HTTPException(400, "Okänd version.")
    try:
        return store.folder_at(folder, rev, tmp)
    except AvtalsgenError as e:
        raise HTTPException(400, str(e)) from None


def _pair(request: Request) -> tuple[Path, str, bytes, bytes, str, str]:
    folder = folder_of(request)
    old = request.query_params.get("fran", "")
    new = request.query_params.get("till", WORKING)
    doc = request.query_params.get("dok", "")
    sides = []
    with tempfile.TemporaryDirectory(prefix="avtalsgen-web-") as tmp:
        for i, rev in enumerate((old, new)):
            where = _version(folder, rev, Path(tmp) / str(i))
            try:
                bundle = load(str(where.resolve()), where.parent)
                if doc not in bundle.documents:
                    raise HTTPException(404, f"Dokumentet {doc} finns inte i version {rev}.")
                sides.append(render_bundle(bundle, [doc])[doc])
            except AvtalsgenError as e:
                raise HTTPException(409, f"Version {rev} kan inte visas: {e}") from None
    return folder, doc, sides[0], sides[1], old, new


def _words(data: bytes) -> list[str]:
    import io

    document = Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(c.text for c in row.cells))
    return re.findall(r"\S+|\n", "\n".join(lines))


def word_diff(old: bytes, new: bytes) -> tuple[Markup, int, int]:
    """The new text with insertions and deletions marked (<ins>, <del>)."""
    a, b = _words(old), _words(new)
    out: list[str] = []
    inserted = deleted = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            deleted += i2 - i1
            out.append(f"<del>{escape(' '.join(a[i1:i2]))}</del>")
        if tag in ("insert", "replace"):
            inserted += j2 - j1
            out.append(f"<ins>{escape(' '.join(b[j1:j2]))}</ins>")
        if tag == "equal":
            out.append(str(escape(" ".join(b[j1:j2]))))
    html = " ".join(out).replace("\n", "<br>")
    return Markup(html), inserted, deleted


def changes(request: Request) -> Response:
    folder, doc, old, new, old_rev, new_rev = _pair(request)
    html, inserted, deleted = word_diff(old, new)
    return page(request, "changes.html", slug=folder.name, doc=doc, diff=html,
                inserted=inserted, deleted=deleted, old=old_rev, new=new_rev,
                query=request.url.query)


def redline_docx(request: Request) -> Response:
    folder, doc, old, new, old_rev, new_rev = _pair(request)
    from ...redline import redline

    data = redline(old, new, author=author(request))
    audit_download(request, folder, doc, f"ändringar {old_rev[:12]}..{new_rev[:12]}")
    name = f"{folder.name}-{doc}-{old_rev[:7]}-{new_rev[:7]}-andringar.docx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                    "wordprocessingml.document",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
