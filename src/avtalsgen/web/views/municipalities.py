"""The list of municipalities, creating one from the commented example, one
municipality's overview, and the editor's name."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ... import store
from ...build import all_targets, init_municipality
from ...errors import AvtalsgenError
from ...model import SLUG_PATTERN
from .common import (
    MAX_NAME,
    NAME_COOKIE,
    author,
    checked_form,
    folder_of,
    page,
    redirect,
    url,
    validate,
)


def summary(folder: Path) -> dict[str, Any]:
    """What the list shows of one municipality."""
    bundle, problems, warnings = validate(folder)
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


async def index(request: Request) -> Response:
    root: Path = request.app.state.root
    try:
        slugs = all_targets(root)
    except AvtalsgenError:
        slugs = []
    return page(request, "index.html", municipalities=[summary(root / s) for s in slugs],
                slug_pattern=SLUG_PATTERN)


async def create(request: Request) -> Response:
    form = await checked_form(request)
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


async def show(request: Request) -> Response:
    folder = folder_of(request)
    info = summary(folder)
    return page(request, "municipality.html", m=info, history=store.history(folder, 10),
                saved=request.query_params.get("sparat"))


async def set_name(request: Request) -> Response:
    form = await checked_form(request)
    name = " ".join(str(form.get("name") or "").split())[:MAX_NAME]
    back = str(form.get("next") or "/")
    response = redirect(back if back.startswith("/") and not back.startswith("//") else "/")
    response.set_cookie(NAME_COOKIE, quote(name), httponly=True, samesite="strict", path="/",
                        max_age=365 * 24 * 3600)
    return response
