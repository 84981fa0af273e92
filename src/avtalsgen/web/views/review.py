"""Review rounds: mark a municipality final, its history, and what changed between two
saved versions (a readable word diff, and the Word redline to download)."""

from __future__ import annotations

import contextlib
import difflib
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from docx import Document
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ... import approvals, store
from ...accounts import AccountError
from ...build import load, render_bundle
from ...errors import AvtalsgenError, ConfigError
from ...validate import final_problems
from .. import formfields
from .common import (
    accounts,
    address,
    allowed,
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
    state_of,
    url,
    user,
    validate,
)

WORKING = "arbetskopia"  # the files as they are now, saved or not committed
REV = re.compile(r"[0-9a-f]{7,40}")
MAX_REASON = 500


def _final_check(folder: Path) -> Callable[[], None]:
    """The final checks, run inside the approval's lock on the files as they are then:
    invalid data is never approved."""

    def check() -> None:
        bundle, problems, _warnings = validate(folder)
        blocking = problems if bundle is None else final_problems(bundle)
        if blocking:
            raise ConfigError(blocking)

    return check


def mark_final(request: Request) -> Response:
    """The local editor (one person, no logins): the content as seen is final."""
    folder = folder_of(request)
    if shared(request):  # on a shared server both parties approve instead
        raise HTTPException(403, "På en delad server blir dokumenten slutliga när båda "
                                 "parter har godkänt samma version.")
    form = posted_form(request)
    return _approve(request, folder, None, author(request), str(form.get(formfields.VERSION)
                                                                   or ""))


def approve(request: Request) -> Response:
    """An approver approves the content they saw for their party. The documents are
    final while both parties' approvals match the content (derived, see approvals.py)."""
    folder = folder_of(request)
    found = accounts(request)
    if found is None:
        raise HTTPException(404)
    require(request, folder.name, "approve")
    form = posted_form(request)
    name = user(request) or ""
    party = found.approver_party(name, folder.name)
    if party is None:
        raise HTTPException(403, "Din roll i kommunen tillåter inte det här.")
    return _approve(request, folder, party, name, str(form.get(formfields.VERSION) or ""))


def _approve(request: Request, folder: Path, party: str | None, name: str,
             seen: str) -> Response:
    """Record the approval and its audit in one transaction with its commit: the
    approval of the content named `seen`, refused unless it is still the content."""
    found = accounts(request)
    try:
        with found.transaction() if found else contextlib.nullcontext():
            if found is not None and party is not None:
                found.approve(folder.name, seen, name, address(request))
            now = approvals.approve(folder, party, name, seen, _final_check(folder))
            if found is not None and now.final:
                found.audit("approve", name=name, slug=folder.name, version=seen,
                            detail="båda parter har godkänt: slutlig",
                            address=address(request))
    except approvals.StaleApproval as e:
        raise HTTPException(409, str(e)) from None
    except ConfigError as e:
        return page(request, "final.html", status=409, slug=folder.name, blocking=e.problems)
    return redirect(url("k", folder.name) + "?sparat=1")


def reopen(request: Request) -> Response:
    """Återöppna som utkast: withdraw the approvals of a final municipality, with the
    reason in the commit and the audit trail."""
    folder = folder_of(request)
    if not (allowed(request, folder.name, "edit") or allowed(request, folder.name, "approve")):
        raise HTTPException(403, "Din roll i kommunen tillåter inte det här.")
    form = posted_form(request)
    reason = " ".join(str(form.get("reason") or "").split())[:MAX_REASON]
    if not reason:
        raise HTTPException(400, "Skriv varför dokumenten återöppnas.")
    name = author(request)
    found = accounts(request)
    with found.transaction() if found else contextlib.nullcontext():
        if found is not None:
            found.withdraw(folder.name, reason=f"återöppnad: {reason}", name=name,
                           address=address(request))
            found.audit("reopen", name=name, slug=folder.name,
                        version=folder_version(folder), detail=reason,
                        address=address(request))
        approvals.reopen(folder, name, reason)
    return redirect(url("k", folder.name) + "?sparat=1")


def add_comment(request: Request) -> Response:
    """A comment on a section by any member (kept in the accounts database, never in
    the document)."""
    from ..validation import plain_file
    from .documents import _document_path, _get, _section_keys

    folder, doc, path = _document_path(request)
    section = request.path_params["path"]
    _get(plain_file(path)[1], _section_keys(section))  # 404 unless the section exists
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
    state = state_of(request, folder)
    return page(request, "history.html", slug=folder.name, commits=store.history(folder),
                documents=list(bundle.documents) if bundle else [], working=WORKING,
                reviews=reviews, state=state,
                withdrawn=[(a, approvals.withdrawn_by(folder, a)) for a in state.withdrawn])


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
                sides.append(render_bundle(bundle, [doc],
                                           status_counts=not shared(request))[doc])
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
