"""The list of municipalities, creating one from the commented example, one
municipality's overview, and the editor's name."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ... import store
from ...build import all_targets, init_municipality
from ...errors import AvtalsgenError
from ...model import SLUG_PATTERN
from ..auth import safe_next
from .common import (
    MAX_NAME,
    NAME_COOKIE,
    accounts,
    allowed,
    author,
    checked_form,
    folder_of,
    folder_version,
    page,
    page_problems,
    posted_form,
    redirect,
    shared,
    url,
    user,
)


def summary(folder: Path) -> dict[str, Any]:
    """What the list shows of one municipality."""
    bundle, problems, warnings = page_problems(folder)
    last = store.history(folder, limit=1)
    info: dict[str, Any] = {"slug": folder.name, "problems": problems, "warnings": warnings,
                            "last": last[0] if last else None, "bundle": bundle}
    if bundle is not None:
        muni = bundle.municipality
        info.update(name=muni.kommun.name, status=muni.status, version=muni.version,
                    documents=list(bundle.documents))
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
    return page(request, "index.html", municipalities=[summary(root / s) for s in slugs],
                slug_pattern=SLUG_PATTERN)


def create(request: Request) -> Response:
    if shared(request):  # created with `avtalsgen init` and `users grant` by the operator
        raise HTTPException(403, "På en delad server skapas kommuner av den som driver "
                                 "servern (avtalsgen init och avtalsgen users grant).")
    form = posted_form(request)
    root: Path = request.app.state.root
    slug = str(form.get("slug") or "").strip()
    name = str(form.get("name") or "").strip()
    try:
        folder = init_municipality(slug, root, name or None)
    except AvtalsgenError as e:
        slugs = all_targets(root) if root.is_dir() else []
        return page(request, "index.html", status=400,
                    municipalities=[summary(root / s) for s in slugs],
                    slug_pattern=SLUG_PATTERN, create_error=str(e).replace(f"{root}/", ""),
                    slug=slug, name=name)
    store.commit(folder, [folder], author=author(request),
                 message=f"Ny kommun {name or slug} skapad från exemplet")
    return redirect(url("k", folder.name))


def show(request: Request) -> Response:
    folder = folder_of(request)
    info = summary(folder)
    review: dict[str, Any] = {}
    found = accounts(request)
    if found is not None:
        name = user(request) or ""
        version = folder_version(folder)
        bundle = info["bundle"]
        final = bundle is not None and info["status"] == "final" \
            and bool(bundle.municipality.approvals)
        review = {"version": version, "approvals": found.approvals(folder.name, version),
                  # Who approved the final version (its own commit is a newer version).
                  "final": bundle.municipality.approvals if final else [],
                  "party": None if final else found.approver_party(name, folder.name),
                  "can_edit": allowed(request, folder.name, "edit")}
    return page(request, "municipality.html", m=info, history=store.history(folder, 10),
                saved=request.query_params.get("sparat"), review=review,
                can_edit=review.get("can_edit", True))


async def set_name(request: Request) -> Response:
    form = await checked_form(request)
    name = " ".join(str(form.get("name") or "").split())[:MAX_NAME]
    back = str(form.get("next") or "/")
    response = redirect(safe_next(back))
    response.set_cookie(NAME_COOKIE, quote(name), httponly=True, samesite="strict", path="/",
                        max_age=365 * 24 * 3600)
    return response
