"""`avtalsgen serve`: the web editor, an ASGI app over the same library as the CLI.

Routes are thin: each view reads or saves through `store`, validates through
`build.check`, renders through `build.render_bundle`, and shows Jinja pages in
Swedish. Pages are plain HTML forms; htmx only makes them quicker.

`serve(workers=N)` runs N server processes on one port. That is safe because nothing
a request relies on lives in one process: sessions, login limits, roles, approvals
and the audit trail are in the SQLite accounts file (WAL), CSRF tokens are in the
browser's cookies, saves are serialised by file locks (flock, see `store.lock`) and
git, and what a process remembers (validation results, parsed files) is keyed by the
content of the files it came from.
"""

from __future__ import annotations

import contextlib
import http
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from .. import __version__
from ..pdf import WarmConverter
from . import auth, fairness, formfields, names, security
from .views import (
    documents,
    imports,
    login,
    municipalities,
    nextyear,
    preview,
    review,
    statement,
)
from .views.common import public_detail

if TYPE_CHECKING:
    from ..accounts import Accounts

HERE = Path(__file__).resolve().parent
DEFAULT_PORT = 8000
# How `serve` tells worker processes (started afresh by uvicorn) what to serve.
ROOT_ENV = "AVTALSGEN_SERVE_ROOT"
DB_ENV = "AVTALSGEN_SERVE_DB"  # the accounts database; empty: local mode
HOSTS_ENV = "AVTALSGEN_SERVE_HOSTS"  # the allowed host names, comma-separated; *: any
log = logging.getLogger(__name__)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.globals["version"] = __version__
    env.globals["formfields"] = formfields  # the form's own controls' names
    names.register(env)  # municipalities by name, documents by title
    return env


TITLES = {404: "Sidan finns inte", 403: "Inte tillåtet", 413: "För stor begäran",
          405: "Metoden stöds inte", 400: "Felaktig begäran",
          429: "För många förfrågningar", 421: "Okänt värdnamn"}


def error_page(app: Starlette, status: int, detail: str = "",
               headers: dict[str, str] | None = None) -> HTMLResponse:
    """The error page in Swedish; detail is shown without server paths."""
    body = app.state.env.get_template("error.html").render(
        title=TITLES.get(status, "Något gick fel"), detail=public_detail(detail),
        status=status, csrf_token="", shared=getattr(app.state, "accounts", None) is not None)
    return HTMLResponse(body, status_code=status, headers=headers)


async def _error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = str(getattr(exc, "detail", "") or "")
    with contextlib.suppress(ValueError):
        if detail == http.HTTPStatus(status).phrase:  # Starlette's English default
            detail = ""
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, detail or exc,
                  exc_info=exc if not isinstance(exc, HTTPException) else None)
    elif detail:
        log.info("%s %s: %d %s", request.method, request.url.path, status, detail)
    return error_page(request.app, status, detail, getattr(exc, "headers", None))


async def _wrong_host(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_page(scope["app"], 421, "Servern svarar bara på sina egna adresser. "
                          "Öppna redigeraren med den adress den startades med, till "
                          "exempel http://127.0.0.1:8000/.")
    await response(scope, receive, send)


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    try:
        yield
    finally:
        app.state.pdf.close()  # the LibreOffice kept for PDFs ends with the server


def allowed_hosts(host: str, shared: bool, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The Host names a server listening on host answers. The local editor: the
    loopback names and host. A shared server: extra (--allowed-host, the public name
    behind a proxy) and host; any name ("*") when no extra name is given."""
    if not shared:
        return [*security.LOCAL_HOSTS, host]
    if not extra:
        return ["*"]
    return [*extra, host]


def create_app(root: Path, accounts: Accounts | None = None,
               allowed_hosts: list[str] | None = None, contact: str | None = None) -> Starlette:
    """The editor over the municipality folders under root; with accounts, a shared
    server: logins, roles per municipality, approvals, comments and an audit trail.
    Requests naming another host than allowed_hosts (default: the loopback names for
    the local editor, any for a shared server) get 421. contact: how to report
    accessibility problems, on the accessibility statement (default: the environment
    variable AVTALSGEN_CONTACT)."""
    routes = [
        Route("/", municipalities.index, methods=["GET"]),
        Route("/", municipalities.create, methods=["POST"]),
        Route("/k/{slug}", municipalities.show, methods=["GET"]),
        Route("/k/{slug}/fil/{kind}", documents.edit_file, methods=["GET", "POST"]),
        Route("/k/{slug}/dok/{doc}", documents.edit_document, methods=["GET", "POST"]),
        Route("/k/{slug}/dok/{doc}/avsnitt/{path}", documents.edit_section,
              methods=["GET", "POST"]),
        Route("/k/{slug}/dok/{doc}/disposition", documents.outline, methods=["POST"]),
        Route("/k/{slug}/dok/{doc}/forhandsvisning", preview.preview, methods=["GET"]),
        Route("/k/{slug}/dok/{doc}/ladda-ner.{fmt}", documents.download, methods=["GET"]),
        Route("/k/{slug}/dok/{doc}/sidor", preview.pages, methods=["GET"]),
        Route("/k/{slug}/dok/{doc}/avsnitt/{path}/kommentar", review.add_comment,
              methods=["POST"]),
        Route("/k/{slug}/dok/{doc}/kommentar/{id:int}/lost", review.resolve_comment,
              methods=["POST"]),
        Route("/k/{slug}/slutlig", review.mark_final, methods=["POST"]),
        Route("/k/{slug}/godkann", review.approve, methods=["POST"]),
        Route("/k/{slug}/ateroppna", review.reopen, methods=["POST"]),
        Route("/k/{slug}/nasta-ar", nextyear.start, methods=["POST"]),
        Route("/logga-in", login.login_page, methods=["GET"]),
        Route("/logga-in", login.login, methods=["POST"]),
        Route("/logga-ut", login.logout, methods=["POST"]),
        Route("/k/{slug}/historik", review.history, methods=["GET"]),
        Route("/k/{slug}/andringar", review.changes, methods=["GET"]),
        Route("/k/{slug}/andringar.docx", review.redline_docx, methods=["GET"]),
        Route("/namn", municipalities.set_name, methods=["POST"]),
        Route(statement.PATH, statement.statement, methods=["GET"]),
        Route("/importera", imports.new_municipality, methods=["POST"]),
        Route("/k/{slug}/importera", imports.into_municipality, methods=["POST"]),
        Route("/k/{slug}/granskning/{id}", imports.tick, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _error,
                                                       Exception: _error},
                    lifespan=_lifespan)
    app.state.root = Path(root)
    # PDFs (download, page images): LibreOffice started on the first, kept for the next.
    app.state.pdf = WarmConverter()
    app.state.env = _environment()
    app.state.accounts = accounts
    app.state.contact = contact
    app.state.queues = fairness.Queues()  # previews, downloads: a fair share per user
    if accounts is not None:
        app.add_middleware(auth.RequireLogin, accounts=accounts)
    app.add_middleware(fairness.Gate)  # before the session lookup: a flood costs nothing
    if allowed_hosts is None:
        allowed_hosts = list(security.LOCAL_HOSTS) if accounts is None else ["*"]
    app.add_middleware(security.TrustedHosts, allowed_hosts=allowed_hosts,
                       refuse=_wrong_host)
    app.add_middleware(security.Guard)  # the outermost: its headers on every answer
    return app


def app_from_environment() -> Starlette:
    """The app of one worker process of `serve(workers=N)`."""
    from ..accounts import Accounts

    db = os.environ.get(DB_ENV)
    hosts = [h for h in os.environ.get(HOSTS_ENV, "").split(",") if h] or None
    return create_app(Path(os.environ[ROOT_ENV]), Accounts(Path(db)) if db else None,
                      allowed_hosts=hosts)


def serve(root: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          accounts: Accounts | None = None, workers: int = 1,
          hosts: list[str] | None = None, contact: str | None = None,
          **options: Any) -> None:
    """Serve the editor; hosts are the allowed Host names (default: allowed_hosts(host,
    shared)). X-Forwarded-For and -Proto count only with proxy_headers=True (uvicorn
    would otherwise trust them from 127.0.0.1)."""
    import uvicorn

    if hosts is None:
        hosts = allowed_hosts(host, accounts is not None)
    options.setdefault("proxy_headers", False)
    options.update(log_level="warning", server_header=False)
    if workers <= 1:
        uvicorn.run(create_app(root, accounts, allowed_hosts=hosts, contact=contact),
                    host=host, port=port, **options)
        return
    if contact:  # worker processes read it from the environment (see statement.contact)
        os.environ[statement.CONTACT_ENV] = contact
    os.environ[ROOT_ENV] = str(root)
    os.environ[DB_ENV] = str(accounts.path) if accounts is not None else ""
    os.environ[HOSTS_ENV] = ",".join(hosts)
    if accounts is not None:
        accounts.close()  # each worker opens its own connections
    _serve_processes(workers, host, port, options)


def _serve_processes(workers: int, host: str, port: int, options: dict[str, Any]) -> None:
    """workers server processes, each listening on a socket of its own on the same port
    (SO_REUSEPORT), so the kernel spreads new connections over them evenly. (With one
    shared socket, uvicorn's --workers, the process that accepts first takes a whole
    burst of connections, and keep-alive then holds those browsers to it.) Stops them
    all on SIGINT or SIGTERM, or when one of them ends."""
    import multiprocessing
    import signal
    import socket
    import threading

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Without SO_REUSEPORT: fails if anything (another server too) has the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    sockets = []
    for _ in range(workers):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.set_inheritable(True)
        sockets.append(sock)
    multiprocessing.allow_connection_pickling()
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_worker, args=(sock, options), daemon=True)
                 for sock in sockets]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    for process in processes:
        process.start()
    for sock in sockets:
        sock.close()  # the workers hold their own copies
    while not stop.wait(0.5):
        if any(p.exitcode is not None for p in processes):
            break
    for process in processes:
        if process.exitcode is None:
            process.terminate()  # uvicorn stops gracefully on SIGTERM
    for process in processes:
        process.join(30)
        if process.exitcode is None:
            process.kill()


def _worker(sock: Any, options: dict[str, Any]) -> None:
    import uvicorn

    config = uvicorn.Config(f"{__name__}:app_from_environment", factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])
