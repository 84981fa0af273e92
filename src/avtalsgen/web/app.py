"""`avtalsgen serve`: the web editor, an ASGI app over the same library as the CLI.

Routes are thin: each view reads or saves through `store`, validates through
`build.check`, renders through `build.render_bundle`, and shows Jinja pages in
Swedish. Pages are plain HTML forms; htmx only makes them quicker.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from . import auth, security
from .views import documents, imports, login, municipalities, review

if TYPE_CHECKING:
    from ..accounts import Accounts

HERE = Path(__file__).resolve().parent
DEFAULT_PORT = 8000


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.globals["version"] = __version__
    return env


async def _error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    titles = {404: "Sidan finns inte", 403: "Inte tillåtet", 413: "För stor begäran",
              405: "Metoden stöds inte", 400: "Felaktig begäran"}
    env: Environment = request.app.state.env
    body = env.get_template("error.html").render(
        title=titles.get(status, "Något gick fel"), detail=getattr(exc, "detail", ""),
        status=status, csrf_token="",
        shared=getattr(request.app.state, "accounts", None) is not None)
    return HTMLResponse(body, status_code=status)


def create_app(root: Path, accounts: Accounts | None = None) -> Starlette:
    """The editor over the municipality folders under root; with accounts, a shared
    server: logins, roles per municipality, approvals, comments and an audit trail."""
    routes = [
        Route("/", municipalities.index, methods=["GET"]),
        Route("/", municipalities.create, methods=["POST"]),
        Route("/k/{slug}", municipalities.show, methods=["GET"]),
        Route("/k/{slug}/fil/{kind}", documents.edit_file, methods=["GET", "POST"]),
        Route("/k/{slug}/dok/{doc}", documents.edit_document, methods=["GET", "POST"]),
        Route("/k/{slug}/dok/{doc}/avsnitt/{path}", documents.edit_section,
              methods=["GET", "POST"]),
        Route("/k/{slug}/dok/{doc}/disposition", documents.outline, methods=["POST"]),
        Route("/k/{slug}/dok/{doc}/forhandsvisning", documents.preview, methods=["GET"]),
        Route("/k/{slug}/dok/{doc}/ladda-ner.{fmt}", documents.download, methods=["GET"]),
        Route("/k/{slug}/dok/{doc}/sidor", documents.pages, methods=["GET"]),
        Route("/k/{slug}/dok/{doc}/avsnitt/{path}/kommentar", review.add_comment,
              methods=["POST"]),
        Route("/k/{slug}/dok/{doc}/kommentar/{id:int}/lost", review.resolve_comment,
              methods=["POST"]),
        Route("/k/{slug}/slutlig", review.mark_final, methods=["POST"]),
        Route("/k/{slug}/godkann", review.approve, methods=["POST"]),
        Route("/logga-in", login.login_page, methods=["GET"]),
        Route("/logga-in", login.login, methods=["POST"]),
        Route("/logga-ut", login.logout, methods=["POST"]),
        Route("/k/{slug}/historik", review.history, methods=["GET"]),
        Route("/k/{slug}/andringar", review.changes, methods=["GET"]),
        Route("/k/{slug}/andringar.docx", review.redline_docx, methods=["GET"]),
        Route("/namn", municipalities.set_name, methods=["POST"]),
        Route("/importera", imports.new_municipality, methods=["POST"]),
        Route("/k/{slug}/importera", imports.into_municipality, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _error,
                                                       Exception: _error})
    app.state.root = Path(root)
    app.state.env = _environment()
    app.state.accounts = accounts
    if accounts is not None:
        app.add_middleware(auth.RequireLogin, accounts=accounts)
    app.add_middleware(security.Guard)
    return app


def serve(root: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          accounts: Accounts | None = None, **options: Any) -> None:
    import uvicorn

    uvicorn.run(create_app(root, accounts), host=host, port=port, log_level="warning",
                server_header=False, **options)
