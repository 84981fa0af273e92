"""What every view needs: the page renderer (with its CSRF token), the checked form of
a POST, the editor's name, and a municipality's folder and problems.

Views that read or write files, run git or validate are plain functions: Starlette
runs them in its thread pool, so a slow save or validation does not hold up other
requests on the event loop. They read their form with `posted_form`."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import anyio.from_thread
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from ... import approvals
from ...build import check
from ...errors import AvtalsgenError, ConfigError, Problem
from ...messages import SWEDISH, tr
from ...validate import Bundle
from .. import security, validation
from ..problems import FieldMessage, ShownProblem

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
                                             editor=editor(request), user=user(request),
                                             shared=shared(request),
                                             shown_problem=shown_problem, **context)
    response = HTMLResponse(body, status_code=status)
    if new:
        response.set_cookie(security.CSRF_COOKIE, token, httponly=True, samesite="strict",
                            path="/", secure=request.url.scheme == "https")
    return response


# An absolute path (a temporary upload, the root, a kept conflict copy) or a file: URL,
# not a path in a web address (after "//" or a word character).
_SERVER_PATH = re.compile(r"(?:file://|(?<![\w.~/\\:]))(/(?:[^\s/'\"<>]+/)*[^\s/'\"<>]+)")


def public_detail(text: str) -> str:
    """Text of an error for a page: every absolute path on the server replaced by its
    file name (log the whole text instead)."""
    return _SERVER_PATH.sub(lambda m: m.group(1).rsplit("/", 1)[-1], str(text))


async def checked_form(request: Request, max_files: int = 0) -> FormData:
    """The posted form, refused (403) without the token this browser was given."""
    form = await request.form(max_files=max_files, max_fields=20_000)
    if not security.tokens_match(request.cookies.get(security.CSRF_COOKIE),
                                 str(form.get(security.CSRF_FIELD) or "")):
        raise HTTPException(403, tr("The form lacks a valid security token. Reload the "
                                    "page and try again.", SWEDISH))
    return form


def posted_form(request: Request, max_files: int = 0) -> FormData:
    """checked_form for a view running in the thread pool (a plain def)."""
    return anyio.from_thread.run(checked_form, request, max_files)


def editor(request: Request) -> str:
    return unquote(request.cookies.get(NAME_COOKIE) or "").strip()[:MAX_NAME]


def author(request: Request) -> str:
    """Who a commit is by: the logged-in user in shared mode, else the name cookie."""
    if shared(request):
        return user(request) or "Okänd redaktör"
    return editor(request) or "Okänd redaktör"


def accounts(request: Request) -> Any:
    """The Accounts of a shared server, None in local mode."""
    return getattr(request.app.state, "accounts", None)


def shared(request: Request) -> bool:
    return accounts(request) is not None


def user(request: Request) -> str | None:
    """The logged-in user's name (shared mode only)."""
    found = request.scope.get("state", {}).get("user")
    return found.name if found is not None else None


def address(request: Request) -> str:
    return request.client.host if request.client else ""


def allowed(request: Request, slug: str, action: str) -> bool:
    """Whether the user may do action in the municipality (always, in local mode)."""
    found = accounts(request)
    if found is None:
        return True
    name = user(request)
    return bool(name) and found.can(name, slug, action)


def require(request: Request, slug: str, action: str) -> None:
    """403 unless the user may do action (the municipality is already known visible)."""
    if not allowed(request, slug, action):
        raise HTTPException(403, tr("Your role in the municipality does not allow this.", SWEDISH))


def folder_version(folder: Path) -> str:
    """The version of a municipality as approved: the key of its content (see
    approvals.content_key), which any change by any route changes."""
    return approvals.content_key(folder)


def saved(request: Request, folder: Path, doc: str | None, version: str | None,
          what: str) -> None:
    """After a save in shared mode: audit it, and the approvals it withdrew (they were
    of the content before it; the state is derived, nothing else has to change)."""
    found = accounts(request)
    if found is None:
        return
    name, where = user(request), address(request)
    content = folder_version(folder)
    found.audit("save", name=name, slug=folder.name, doc=doc, version=content,
                detail=what[:500], address=where)
    found.withdraw(folder.name, reason=f"ändrat: {what}"[:500], name=name, address=where,
                   keep=content)


def state_of(request: Request, folder: Path) -> approvals.State:
    """The municipality's state as this server sees it: on a shared server only the two
    parties' approvals make it final, never a `status: final` typed in a file."""
    bundle, _problems, _warnings = page_problems(folder)
    declared = bundle is not None and bundle.municipality.status == "final"
    return approvals.state(folder, declared and not shared(request))


def locked(request: Request, folder: Path) -> bool:
    """Whether the municipality is final: then it is edited only after reopening."""
    return state_of(request, folder).final


def refuse_if_final(request: Request, folder: Path) -> None:
    if locked(request, folder):
        raise HTTPException(409, tr("The documents are final and approved. Choose Reopen as "
                                    "draft on the municipality's page before changing "
                                    "anything.", SWEDISH))


def audit_download(request: Request, folder: Path, doc: str, detail: str) -> None:
    found = accounts(request)
    if found is not None:
        found.audit("download", name=user(request), slug=folder.name, doc=doc,
                    version=folder_version(folder), detail=detail, address=address(request))


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def folder_of(request: Request) -> Path:
    """The municipality folder named in the URL, or 404."""
    root: Path = request.app.state.root
    folder = security.inside(root, request.path_params["slug"])
    if not (folder / "municipality.yaml").exists():
        raise HTTPException(404)
    if not allowed(request, folder.name, "view"):
        raise HTTPException(404)  # the same answer as a missing one: no enumeration
    return folder


def validate(folder: Path) -> tuple[Bundle | None, list[Problem], list[Problem]]:
    """(bundle or None, problems, what --final would refuse) for a folder."""
    try:
        bundle, warnings = check(folder, folder.parent)
    except ConfigError as e:
        return None, shown(e.problems, folder.parent), []
    except AvtalsgenError as e:
        return None, shown([Problem(folder.name, None, "", str(e))], folder.parent), []
    return bundle, [], shown(warnings, folder.parent)


def shown(problems: list[Problem], root: Path) -> list[Problem]:
    """Problems as a page shows them (see web.problems): in Swedish, each field named by
    its label and linked to its control; files relative to root, no server paths."""
    out: list[Problem] = []
    titles: dict[Path, dict[str, str]] = {}
    for problem in problems:
        file = problem.file
        if Path(str(file)).is_absolute():
            try:
                file = Path(str(file)).relative_to(root)
            except ValueError:
                file = public_detail(str(file))
        folder = root / Path(str(file)).parent
        if folder not in titles:
            titles[folder] = _titles(folder)
        out.append(ShownProblem(Problem(file, problem.line, problem.field,
                                        public_detail(problem.message), problem.msg),
                                detail=public_detail, titles=titles[folder]))
    return out


def shown_problem(problem: Problem) -> ShownProblem:
    """One problem for a page (a template's `shown_problem(p)`), as `shown` gives them."""
    if isinstance(problem, ShownProblem):
        return problem
    folder = Path(str(problem.file)).parent  # as the server's folders name it
    return ShownProblem(problem, detail=public_detail,
                        titles=_titles(folder) if folder.name and folder.is_dir() else {})


def _titles(folder: Path) -> dict[str, str]:
    """Names for problems: document titles by file stem, and "table:<id>" the title of
    a statistics table (or the caption it is shown with in a document)."""
    out: dict[str, str] = {}
    try:
        for path in sorted(folder.glob("*.yaml")):
            data = validation.plain_file(path)[1]
            if path.name == "statistics.yaml":
                for key, table in ((data or {}).get("tables") or {}).items():
                    if isinstance(table, dict) and isinstance(table.get("title"), str):
                        out[f"table:{key}"] = table["title"].strip().rstrip(".")
            elif isinstance(data, dict) and path.name not in ("municipality.yaml",
                                                              "approvals.yaml"):
                if isinstance(data.get("title"), str):
                    out[path.stem] = data["title"].strip()
                for key, caption in _captions(data):
                    out.setdefault(f"table:{key}", caption)
    except (OSError, AvtalsgenError, AttributeError):
        pass
    return out


def _captions(data: Any) -> list[tuple[str, str]]:
    """(table id, caption) of every table and chart block in a document's data."""
    found: list[tuple[str, str]] = []
    if isinstance(data, dict):
        chart = data.get("chart")
        block = chart if isinstance(chart, dict) else data
        if isinstance(block.get("table"), str) and isinstance(block.get("caption"), str):
            found.append((block["table"], block["caption"].strip().rstrip(".")))
        for value in data.values():
            found += _captions(value)
    elif isinstance(data, list):
        for value in data:
            found += _captions(value)
    return found


def page_problems(folder: Path) -> tuple[Bundle | None, list[Problem], list[Problem]]:
    """validate(folder) for showing on a page: remembered while no file in the folder
    changes (see web.validation). The result is shared; do not change it."""
    return validation.validated(folder, validate)


def by_field(problems: list[Problem], file_name: str) -> dict[str, list[FieldMessage]]:
    """Problems of one file, keyed by field path (as the form names its inputs): each
    its Swedish text, with its field's label and link (see web.problems)."""
    out: dict[str, list[FieldMessage]] = defaultdict(list)
    for problem in problems:
        if Path(str(problem.file)).name == file_name:
            out[problem.field].append(shown_problem(problem).field_message())
    return dict(out)


def others(problems: list[Problem], file_name: str) -> list[Problem]:
    return [p for p in problems if Path(str(p.file)).name != file_name]


def url(*parts: str) -> str:
    return "/" + "/".join(quote(p, safe="") for p in parts)
