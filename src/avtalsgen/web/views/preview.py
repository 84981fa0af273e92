"""The preview: the document as HTML (mammoth, from the rendered .docx) and as page
images (the server's warm LibreOffice, then pdftoppm).

For htmx (it sends HX-Request) each answers the part a page loads into a pane: the
document page shows the HTML in its preview pane, and the preview page its page images.
For the browser each is a page of its own. Both stay on the routes fairness.Gate
queues per user.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TypedDict

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ...messages import SWEDISH, tr
from ...render import charts_as_pictures
from .common import page, page_problems, public_detail
from .documents import _document_path, _pdf, _render

# The preview sits under the page's h1 and its h2 "Förhandsvisning": the document's
# headings start at h3, so the page keeps one h1 and an outline a screen reader follows.
PREVIEW_STYLES = "\n".join(
    f"p[style-name='Heading {level}'] => h{min(level + 2, 6)}:fresh" for level in range(1, 10))


def fragment_wanted(request: Request) -> bool:
    """Whether htmx asks (for a pane of a page) rather than the browser (for a page)."""
    return request.headers.get("hx-request", "").lower() == "true"


class Names(TypedDict):
    doc_title: str
    municipality: str


def names(folder: Path, doc: str) -> Names:
    """The document's title and the municipality's name, as pages show them (the folder
    and file names while the municipality does not validate)."""
    bundle = page_problems(folder)[0]
    if bundle is None:
        return {"doc_title": doc, "municipality": folder.name}
    found = bundle.documents.get(doc)
    return {"doc_title": str(found.title) if found is not None else doc,
            "municipality": str(bundle.municipality.kommun.name)}


def preview(request: Request) -> Response:
    """The document as HTML: for htmx, the article the document page shows in its pane;
    for the browser, a page of its own with the page images beside it (loaded after it
    by htmx, so the HTML shows at once). A plain def: Starlette runs it in its thread
    pool, so rendering does not hold up other requests (and fairness.Gate lets each user
    run only a few at a time)."""
    folder, doc, _path = _document_path(request)
    problem, html = "", ""
    try:
        # mammoth shows pictures but not Word charts: charts as (cached) pictures here.
        with charts_as_pictures():
            data = _render(request, folder, doc)
    except HTTPException as e:
        problem = public_detail(e.detail)
    else:
        import mammoth

        html = mammoth.convert_to_html(io.BytesIO(data), style_map=PREVIEW_STYLES).value
    if not fragment_wanted(request):
        return page(request, "preview.html", slug=folder.name, doc=doc, problem=problem,
                    body=Markup(html), **names(folder, doc))
    if problem:
        return _problem(problem)
    return HTMLResponse(f'<article class="preview" lang="sv">{html}</article>')


MAX_PAGE_IMAGES = 40


def pages(request: Request) -> Response:
    """The document as LibreOffice prints it, page by page (needs LibreOffice and
    pdftoppm; slower than the HTML preview). A plain def: Starlette runs it in its
    thread pool, so the conversion does not hold up other requests (and fairness.Gate
    lets each user run only a few at a time). For htmx (the preview page's pane): the
    images alone."""
    folder, doc, _path = _document_path(request)
    fragment = fragment_wanted(request)
    try:
        images = _page_images(request, folder, doc)
    except HTTPException as e:
        if not fragment:
            raise
        return _problem(e.detail)
    return page(request, "_pages.html" if fragment else "pages.html", slug=folder.name,
                doc=doc, images=images, **names(folder, doc))


def _page_images(request: Request, folder: Path, doc: str) -> list[str]:
    """The document's pages as PNG images (base64), at most MAX_PAGE_IMAGES."""
    import base64
    import shutil
    import subprocess

    if not shutil.which("pdftoppm"):
        raise HTTPException(503, tr("Page images need LibreOffice and poppler-utils.", SWEDISH))
    data = _render(request, folder, doc)
    images = []
    with tempfile.TemporaryDirectory(prefix="avtalsgen-web-") as tmp:
        pdf = _pdf(request, data, doc, Path(tmp))
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-l", str(MAX_PAGE_IMAGES), str(pdf),
                        str(Path(tmp) / "sida")], check=True, timeout=120)
        for png in sorted(Path(tmp).glob("sida-*.png")):
            images.append(base64.b64encode(png.read_bytes()).decode("ascii"))
    return images


def _problem(text: str) -> HTMLResponse:
    """Why a pane cannot show the document, as a 200 (htmx swaps only a 2xx answer)."""
    return HTMLResponse(f'<p class="problem">{escape(public_detail(text))}</p>')
