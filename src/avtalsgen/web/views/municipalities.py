"""The list of municipalities, creating one from the commented example, one
municipality's overview, and the editor's name."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ... import approvals, store
from ...build import all_targets, init_municipality
from ...errors import AvtalsgenError
from ...importing import review as import_review
from ...messages import SWEDISH, tr
from ...model import SLUG_PATTERN
from ..auth import safe_next
from . import nextyear
from .common import (
    MAX_NAME,
    NAME_COOKIE,
    accounts,
    allowed,
    author,
    checked_form,
    folder_of,
    page,
    page_problems,
    posted_form,
    redirect,
    shared,
    url,
    user,
)


def summary(folder: Path, shared_mode: bool = False) -> dict[str, Any]:
    """What the list shows of one municipality (shared_mode: see common.state_of)."""
    bundle, problems, warnings = page_problems(folder)
    last = store.history(folder, limit=1)
    info: dict[str, Any] = {"slug": folder.name, "problems": problems, "warnings": warnings,
                            "last": last[0] if last else None, "bundle": bundle}
    if bundle is not None:
        muni = bundle.municipality
        state = approvals.state(folder, muni.status == "final" and not shared_mode)
        info.update(name=muni.kommun.name, status="final" if state.final else "draft",
                    version=muni.version, documents=list(bundle.documents), state=state)
    else:
        info.update(name=folder.name, status=None, version=None, documents=[])
    return info


def index(request: Request) -> Response:
    root: Path = request.app.state.root
    try:
        slugs = all_targets(root)
    except AvtalsgenError:
        slugs = []
    found = accounts(request)
    if found is not None:  # only the municipalities the user holds a role in
        mine = set(found.municipalities(user(request) or ""))
        slugs = [s for s in slugs if s in mine]
    listed = [summary(root / s, shared(request)) for s in slugs]
    return page(request, "index.html", municipalities=listed, slug_pattern=SLUG_PATTERN)


def create(request: Request) -> Response:
    if shared(request):  # created with `avtalsgen init` and `users grant` by the operator
        raise HTTPException(403, tr("On a shared server, municipalities are created by "
                                    "whoever runs the server (avtalsgen init and avtalsgen "
                                    "users grant).", SWEDISH))
    form = posted_form(request)
    root: Path = request.app.state.root
    slug = str(form.get("slug") or "").strip()
    name = str(form.get("name") or "").strip()
    try:
        folder = init_municipality(slug, root, name or None)
    except AvtalsgenError as e:
        slugs = all_targets(root) if root.is_dir() else []
        return page(request, "index.html", status=400,
                    municipalities=[summary(root / s, shared(request)) for s in slugs],
                    slug_pattern=SLUG_PATTERN, create_error=str(e).replace(f"{root}/", ""),
                    slug=slug, name=name)
    store.commit(folder, [folder], author=author(request),
                 message=f"Ny kommun {name or slug} skapad från exemplet")
    return redirect(url("k", folder.name))


def show(request: Request) -> Response:
    folder = folder_of(request)
    info = summary(folder, shared(request))
    state = info.get("state") or approvals.state(folder)
    found = accounts(request)
    withdrawn = [(a, approvals.withdrawn_by(folder, a)) for a in state.withdrawn]
    party = None
    if found is not None:
        party = found.approver_party(user(request) or "", folder.name)
        _audit_withdrawn(request, folder, state, withdrawn)
    review = {"version": state.content, "state": state, "withdrawn": withdrawn,
              "party": None if state.approved_by(party or "") else party,
              "can_edit": allowed(request, folder.name, "edit"),
              "can_reopen": allowed(request, folder.name, "edit")
              or allowed(request, folder.name, "approve")}
    history = store.history(folder, 10)
    to_check = import_review.notes(folder, open_only=True)
    return page(request, "municipality.html", m=info, history=history,
                saved=request.query_params.get("sparat"), review=review,
                can_edit=review["can_edit"], review_notes=to_check, slug=folder.name,
                next_year=nextyear.offer(info.get("bundle")),
                year=year_steps(info, state, history, shared(request), len(to_check)))


# In the message of every import's commit ("Inläst från …", "… inläst"), any case.
IMPORTED = "inläst"
STEPS = ("Inläst", "Utkast", "På remiss", "Godkänd av en part", "Slutlig")


def year_steps(info: dict[str, Any], state: approvals.State, history: list[Any],
               shared_mode: bool, to_check: int = 0) -> dict[str, Any]:
    """Where the year's work stands: the steps, the current one, the next thing to do
    and what blocks it (each blocker a problem that links to its field); to_check:
    places of an import's review list not yet ticked Klart."""
    imported = to_check > 0 or any(IMPORTED in c.message.lower() for c in history)
    blockers = [*info["problems"], *info["warnings"]]
    if state.final:
        current, next_step = 4, ("Dokumenten är slutliga. Ladda ner dem som PDF för "
                                 "underskrift och arkiv.")
    elif state.valid:
        current = 3
        waiting = [p for p in approvals.PARTIES if p not in state.parties]
        next_step = ("Väntar på att " + " och ".join(f"{p}en" for p in waiting)
                     + " godkänner samma innehåll.")
    elif to_check:
        current = 0
        next_step = (f"Granska det som inläsningen var osäker på ({to_check} kvar) och "
                     "markera varje punkt som klar.")
    elif not blockers:
        current = 2
        next_step = ("Båda parter granskar dokumenten och godkänner dem här."
                     if shared_mode else "Granska dokumenten och markera dem som slutliga.")
    else:
        current, next_step = 1, "Rätta det som hindrar att dokumenten blir slutliga."
    labels = list(STEPS)
    if state.valid and not state.final:
        labels[3] = " och ".join(f"Godkänd av {a.party}en" for a in state.valid
                                 if a.party) or labels[3]
    steps = [{"label": label, "done": i < current, "current": i == current}
             for i, label in enumerate(labels) if i != 0 or imported or current == 0]
    return {"steps": steps, "next": next_step,
            "blockers": blockers if current in (0, 1) else []}


def _audit_withdrawn(request: Request, folder: Path, state: approvals.State,
                     withdrawn: list[tuple[approvals.Approval, Any]]) -> None:
    """Approvals whose content changed by a route the server did not see (git, a hand
    edit, the CLI) go to the audit trail as withdrawn, naming the change (withdrawn:
    each withdrawn approval with the change that withdrew it), once."""
    found = accounts(request)
    if found is None or not withdrawn:
        return
    change = withdrawn[0][1]
    what = (f"ändrat i {change.short} av {change.author}: {change.message}"
            if change is not None else "ändrat direkt i filerna")
    found.withdraw(folder.name, reason=what[:500], keep=state.content)


async def set_name(request: Request) -> Response:
    form = await checked_form(request)
    name = " ".join(str(form.get("name") or "").split())[:MAX_NAME]
    back = str(form.get("next") or "/")
    response = redirect(safe_next(back))
    response.set_cookie(NAME_COOKIE, quote(name), httponly=True, samesite="strict", path="/",
                        max_age=365 * 24 * 3600)
    return response
