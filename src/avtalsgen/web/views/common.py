"""What every view needs: the page renderer (with its CSRF token), the checked form of
a POST, the editor's name, and a municipality's folder and problems."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from ...build import check
from ...errors import AvtalsgenError, ConfigError, Problem
from ...validate import Bundle
from .. import security

NAME_COOKIE = "avtalsgen_namn"
MAX_NAME = 80


def csrf_token(request: Request) -> tuple[str, bool]:
    """The browser's token, and whether it is new (then the answer sets the cookie)."""
    token = request.cookies.get(security.CSRF_COOKIE)
    return (token, False) if token else (security.new_token(), True)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    token, new = csrf_token(request)
    env = request.app.state.env
    body = env.get_template(template).render(request=request, csrf_token=token,
                                             editor=editor(request), **context)
    response = HTMLResponse(body, status_code=status)
    if new:
        response.set_cookie(security.CSRF_COOKIE, token, httponly=True, samesite="strict",
                            path="/")
    return response


async def checked_form(request: Request, max_files: int = 0) -> FormData:
    """The posted form, refused (403) without the token this browser was given."""
    form = await request.form(max_files=max_files, max_fields=20_000)
    if not security.tokens_match(request.cookies.get(security.CSRF_COOKIE),
                                 str(form.get(security.CSRF_FIELD) or "")):
        raise HTTPException(403, "Formuläret saknar en giltig säkerhetstoken. Ladda om "
                                 "sidan och försök igen.")
    return form


def editor(request: Request) -> str:
    return unquote(request.cookies.get(NAME_COOKIE) or "").strip()[:MAX_NAME]


def author(request: Request) -> str:
    return editor(request) or "Okänd redaktör"


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def folder_of(request: Request) -> Path:
    """The municipality folder named in the URL, or 404."""
    root: Path = request.app.state.root
    folder = security.inside(root, request.path_params["slug"])
    if not (folder / "municipality.yaml").exists():
        raise HTTPException(404)
    return folder


def validate(folder: Path) -> tuple[Bundle | None, list[Problem], list[Problem]]:
    """(bundle or None, problems, what --final would refuse) for a folder."""
    try:
        bundle, warnings = check(folder, folder.parent)
    except ConfigError as e:
        return None, list(e.problems), []
    except AvtalsgenError as e:
        return None, [Problem(folder.name, None, "", str(e))], []
    return bundle, [], warnings


def by_field(problems: list[Problem], file_name: str) -> dict[str, list[str]]:
    """Problems of one file, keyed by field path (as the form names its inputs)."""
    out: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        if Path(str(problem.file)).name == file_name:
            out[problem.field].append(problem.message)
    return dict(out)


def others(problems: list[Problem], file_name: str) -> list[Problem]:
    return [p for p in problems if Path(str(p.file)).name != file_name]


def url(*parts: str) -> str:
    return "/" + "/".join(quote(p, safe="") for p in parts)
