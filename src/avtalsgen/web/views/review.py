"""Review rounds: mark a municipality final, its history, and what changed between two
saved versions (a readable word diff, and the Word redline to download)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ... import approvals, store
from ...accounts import AccountError
from ...build import load, render_bundle
from ...errors import AvtalsgenError, ConfigError
from ...messages import SWEDISH, tr
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
    public_detail,
    redirect,
    require,
    shared,
    state_of,
    url,
    user,
    validate,
)
from .worddiff import word_diff

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
        raise HTTPException(403, tr("On a shared server, the documents become final when "
                                    "both parties have approved the same version.", SWEDISH))
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
        raise HTTPException(403, tr("Your role in the municipality does not allow this.", SWEDISH))
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
        raise HTTPException(403, tr("Your role in the municipality does not allow this.", SWEDISH))
    form = posted_form(request)
    reason = " ".join(str(form.get("reason") or "").split())[:MAX_REASON]
    if not reason:
        raise HTTPException(400, tr("Write why the documents are reopened.", SWEDISH))
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
        raise HTTPException(400, tr("The comment could not be saved: {reason}", SWEDISH,
                                    reason=e)) from None
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
    commits = store.history(folder)
    older = store.history(folder, SEARCHED)
    documents = [(name, str(d.title)) for name, d in bundle.documents.items()] if bundle \
        else []
    since = {name: [(key, SINCE[key], c) for key, c in _since(folder, name, older).items()]
             for name, _title in documents}
    return page(request, "history.html", slug=folder.name, commits=commits,
                documents=documents, working=WORKING, since=since, reviews=reviews,
                state=state, said=_said(folder, bundle),
                municipality=str(bundle.municipality.kommun.name) if bundle else folder.name,
                withdrawn=[(a, approvals.withdrawn_by(folder, a)) for a in state.withdrawn])


# The comparisons offered by default, by the name a link gives them.
SINCE = {"inlasningen": "sedan inläsningen",
         "godkand": "sedan senast godkända versionen",
         "forra-aret": "sedan förra året"}
SEARCHED = 1000  # commits looked through for them
IMPORTED = ("inläst", "importerad från")  # the web's and the CLI's import commits


def _since(folder: Path, doc: str, commits: list[store.Commit]) -> dict[str, store.Commit]:
    """The commits the default comparisons start from, each only when it exists and
    holds the document: its last import, the last approval recorded, and the last
    commit before 1 January this year."""
    name = f"{doc}.yaml"
    new_year = dt.datetime(dt.date.today().year, 1, 1).astimezone()
    candidates = {
        "inlasningen": next((c for c in commits if name in c.files
                             and any(w in c.message for w in IMPORTED)), None),
        "godkand": next((c for c in commits if approvals.RECORD in c.files
                         and "godkänd" in c.message), None),
        "forra-aret": next((c for c in commits if c.date < new_year), None),
    }
    found = {}
    for key, commit in candidates.items():
        with contextlib.suppress(AvtalsgenError):
            if commit is not None and store.file_at(folder / name, commit.rev) is not None:
                found[key] = commit
    return found


def _said(folder: Path, bundle: Any) -> Callable[[str], str]:
    """A commit message as a page shows it: the file or folder name it starts with
    ("underlag: avsnittet … ändrat") replaced by what the editor calls it."""
    names = {"municipality": "Kommunens uppgifter", "statistics": "Statistik"}
    if bundle is not None:
        names[folder.name] = str(bundle.municipality.kommun.name)
        names.update({n: str(d.title) for n, d in bundle.documents.items()})

    def said(message: str) -> str:
        head, colon, rest = message.partition(": ")
        return f"{names[head]}: {rest}" if colon and head in names else message

    return said


def _version(folder: Path, rev: str, tmp: Path) -> Path:
    if rev == WORKING:
        return folder
    if not REV.fullmatch(rev):
        raise HTTPException(400, tr("Unknown version.", SWEDISH))
    try:
        return store.folder_at(folder, rev, tmp)
    except AvtalsgenError as e:
        raise HTTPException(400, public_detail(e.text(SWEDISH))) from None


def _named(folder: Path, doc: str, rev: str) -> tuple[str, str]:
    """(the commit or WORKING, how the page names it) of a version the URL names: a
    default comparison's name, WORKING or a commit."""
    if rev == WORKING:
        return rev, "nuvarande filer"
    commits = store.history(folder, SEARCHED)
    if rev in SINCE:
        found = _since(folder, doc, commits).get(rev)
        if found is None:
            raise HTTPException(404, tr("There is no version to compare {since}.", SWEDISH,
                                        since=SINCE[rev]))
        return found.rev, f"{SINCE[rev].removeprefix('sedan ')} ({_when(found)})"
    commit = next((c for c in commits if c.rev == rev), None)
    return rev, (f"versionen {_when(commit)} av {commit.author}" if commit
                 else "en äldre version")


def _when(commit: store.Commit) -> str:
    return commit.date.astimezone().strftime("%Y-%m-%d %H:%M")


def _pair(request: Request) -> dict[str, Any]:
    """The document in two versions (fran, till: a default comparison's name, a commit
    or WORKING), rendered, with their names as the page shows them."""
    folder = folder_of(request)
    doc = request.query_params.get("dok", "")
    sides, names, title = [], [], doc
    with tempfile.TemporaryDirectory(prefix="avtalsgen-web-") as tmp:
        for i, asked in enumerate((request.query_params.get("fran", ""),
                                   request.query_params.get("till", WORKING))):
            rev, name = _named(folder, doc, asked)
            where = _version(folder, rev, Path(tmp) / str(i))
            try:
                bundle = load(str(where.resolve()), where.parent)
                if doc not in bundle.documents:
                    raise HTTPException(404, tr("The document is not in {version}.", SWEDISH,
                                                version=name))
                sides.append(render_bundle(bundle, [doc],
                                           status_counts=not shared(request))[doc])
                title = str(bundle.documents[doc].title)
            except AvtalsgenError as e:
                raise HTTPException(409, tr("{version} cannot be shown: {reason}", SWEDISH,
                                            version=name.capitalize(),
                                            reason=public_detail(e.text(SWEDISH)))) from None
            names.append(name)
    return {"folder": folder, "doc": doc, "old": sides[0], "new": sides[1],
            "old_name": names[0], "new_name": names[1], "title": title}


def changes(request: Request) -> Response:
    pair = _pair(request)
    html, inserted, deleted = word_diff(pair["old"], pair["new"])
    folder = pair["folder"]
    bundle = page_problems(folder)[0]
    return page(request, "changes.html", slug=folder.name, doc=pair["doc"],
                title=pair["title"], diff=html, inserted=inserted, deleted=deleted,
                old=pair["old_name"], new=pair["new_name"], query=request.url.query,
                municipality=str(bundle.municipality.kommun.name) if bundle
                else folder.name)


def redline_docx(request: Request) -> Response:
    pair = _pair(request)
    from ...redline import redline

    folder, doc = pair["folder"], pair["doc"]
    data = redline(pair["old"], pair["new"], author=author(request))
    audit_download(request, folder, doc, f"ändringar från {pair['old_name']} till "
                                         f"{pair['new_name']}")
    name = f"{folder.name}-{doc}-andringar.docx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                    "wordprocessingml.document",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
