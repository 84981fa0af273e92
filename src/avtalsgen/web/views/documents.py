"""Editing: a whole file (municipality.yaml, statistics.yaml), a document's own fields
and outline, one section; preview and downloads.

Every form carries the version (hash) of the file it was made from. Buttons other
than "Spara" change the form on the server without saving; "Spara" saves in place
(comments and order kept), commits, validates and shows the problems by field.
"""

from __future__ import annotations

import copy
import re
import tempfile
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ... import store
from ...build import render_bundle
from ...config import dotted
from ...errors import AvtalsgenError
from .. import formfields, forms
from ..forms.grid import table_choices
from ..validation import plain_file
from . import conflicts
from .common import (
    accounts,
    allowed,
    audit_download,
    author,
    by_field,
    folder_of,
    locked,
    others,
    page,
    page_problems,
    posted_form,
    redirect,
    refuse_if_final,
    require,
    saved,
    shared,
    url,
    validate,
)

FILES = {"kommun": ("municipality", "municipality.yaml"),
         "statistik": ("statistics", "statistics.yaml")}
SECTION_PATH = re.compile(r"\d{1,4}(\.\d{1,4}){0,39}")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _document_path(request: Request) -> tuple[Path, str, Path]:
    folder = folder_of(request)
    doc = request.path_params["doc"]
    # The names listed in municipality.yaml: no full validation just to find a file.
    if doc not in _listed(folder):
        raise HTTPException(404)
    return folder, doc, own_file(folder / f"{doc}.yaml")


def own_file(path: Path) -> Path:
    """path, refused (404) if it is a symbolic link: the editor shows and saves only a
    municipality's own files (the CLI reads a link that stays inside the folder)."""
    if path.is_symlink():
        raise HTTPException(404, f"{path.name} är en symbolisk länk; redigeraren visar "
                                 "bara kommunens egna filer.")
    return path


def _listed(folder: Path) -> list[str]:
    """Document names from municipality.yaml, even when the folder does not validate."""
    try:
        data = plain_file(folder / "municipality.yaml")[1] or {}
    except AvtalsgenError:
        return []
    names = data.get("documents") if isinstance(data, dict) else None
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def outline_of(sections: list[Any], prefix: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """The section tree as the outline shows it: heading, path, children."""
    out = []
    for i, section in enumerate(sections or []):
        if not isinstance(section, dict):
            continue
        path = (*prefix, i)
        out.append({"heading": str(section.get("heading") or "(utan rubrik)"),
                    "path": ".".join(map(str, path)),
                    "children": outline_of(section.get("sections") or [], path)})
    return out


def _section_keys(path: str) -> tuple[Any, ...]:
    if not SECTION_PATH.fullmatch(path):
        raise HTTPException(404)
    keys: list[Any] = []
    for index in path.split("."):
        keys += ["sections", int(index)]
    return tuple(keys)


def _get(data: Any, keys: tuple[Any, ...]) -> Any:
    for key in keys:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            raise HTTPException(404) from None
    return data


def _action_path(action: str, prefix: str) -> str:
    """An action names a full field path; forms.apply_action works below the prefix."""
    kind, _, path = action.partition(":")
    if prefix and path.startswith(prefix):
        path = path[len(prefix):].lstrip(".")
    return f"{kind}:{path}"


def _save_or_act(request: Request, *, kind: str, path: Path, prefix: str,
                 exclude: frozenset[str], place: Any, template: str,
                 context: dict[str, Any]) -> Response:
    """The POST of every editing form: an editing action or a save."""
    require(request, context["slug"], "edit")
    refuse_if_final(request, context["folder"])
    form = posted_form(request)
    version = str(form.get(formfields.VERSION) or "")
    value = forms.parse(kind, form, prefix, exclude=exclude)
    action = str(form.get(formfields.ACTION) or "save")
    if action != "save":
        try:
            value = forms.apply_action(kind, value, _action_path(action, prefix))
        except (KeyError, IndexError, ValueError):
            raise HTTPException(400, "Okänd ändring.") from None
        return _form_page(request, template, kind=kind, value=value, prefix=prefix,
                          exclude=exclude, version=version, unsaved=True, **context)
    # Plain data: save() merges it into the file as it reads it, under its lock (and
    # refuses it if that is no longer the version the form was made from).
    whole = place(plain_file(path)[1], value)
    message = f"{path.stem}: {context.get('what', 'ändrat')} ({author(request)})"
    try:
        new_version = store.save(path, whole, version, author=author(request), message=message)
    except store.Conflict as e:
        return conflicts.form_conflict(request, e, kind=kind, path=path, prefix=prefix,
                                       exclude=exclude, form=form, value=value,
                                       context=context)
    saved(request, context["folder"], path.stem, new_version, message)
    return redirect(f"{request.url.path}?sparat=1")


def _form_page(request: Request, template: str, *, kind: str, value: Any, prefix: str,
               exclude: frozenset[str], version: str, unsaved: bool = False,
               **context: Any) -> Response:
    folder = context["folder"]
    file_name = context["file_name"]
    _bundle, problems, warnings = page_problems(folder)
    tables = _tables(folder) if kind in ("document", "section") else None
    fields = forms.render(kind, value, prefix, by_field(problems, file_name), exclude=exclude,
                          tables=tables)
    return page(request, template, fields=fields, file_version=version, unsaved=unsaved,
                locked=locked(request, folder),
                problems=by_field(problems, file_name), other_problems=others(problems,
                                                                             file_name),
                warnings=warnings, saved=request.query_params.get("sparat"), **context)


def _tables(folder: Path) -> dict[str, str]:
    """The municipality's statistics tables (id -> title) a block chooses from."""
    def plain(path: Path) -> Any:
        try:
            return plain_file(own_file(path))[1]
        except (AvtalsgenError, HTTPException):
            return None

    return table_choices(plain(folder / "statistics.yaml"),
                         [plain(folder / f"{doc}.yaml") for doc in _listed(folder)])


def edit_file(request: Request) -> Response:
    folder = folder_of(request)
    try:
        kind, file_name = FILES[request.path_params["kind"]]
    except KeyError:
        raise HTTPException(404) from None
    path = own_file(folder / file_name)
    context = {"folder": folder, "file_name": file_name, "slug": folder.name,
               "what": "ändrat", "title": file_name, "kind_url": request.path_params["kind"]}
    # Whether documents are final is derived from the approvals (shown on the
    # municipality's page), not a field to type.
    # The list of documents is the municipality page's (by their titles), not file names
    # to type.
    exclude = frozenset({"status", "approvals", "documents"}) if kind == "municipality" \
        else frozenset()

    def place(old: Any, new: Any) -> Any:
        kept = {k: old[k] for k in exclude if isinstance(old, dict) and k in old}
        return {**new, **kept}

    if request.method == "POST":
        return _save_or_act(request, kind=kind, path=path, prefix="", exclude=exclude,
                            place=place, template="file.html", context=context)
    version, value = plain_file(path)
    return _form_page(request, "file.html", kind=kind, value=value or {},
                      prefix="", exclude=exclude, version=version, **context)


def edit_document(request: Request) -> Response:
    folder, doc, path = _document_path(request)
    context: dict[str, Any] = {"folder": folder, "file_name": path.name, "slug": folder.name,
                               "doc": doc, "what": "dokumentets uppgifter ändrade"}

    def place(old: Any, new: Any) -> Any:
        return {**new, **({"sections": old["sections"]} if "sections" in (old or {}) else {})}

    version, value = plain_file(path)
    value = value or {}
    context["outline"] = outline_of(value.get("sections") or [])
    if request.method == "POST":
        return _save_or_act(request, kind="document", path=path, prefix="",
                            exclude=frozenset({"sections"}), place=place,
                            template="document.html", context=context)
    return _form_page(request, "document.html", kind="document", value=value, prefix="",
                      exclude=frozenset({"sections"}), version=version,
                      docview=_docview(folder, doc), **context)


def _docview(folder: Path, doc: str) -> list[dict[str, Any]]:
    """The document as it will print, by section (none while it does not validate)."""
    from ..docview import view

    bundle, _problems, _warnings = page_problems(folder)
    if bundle is None or doc not in bundle.documents:
        return []
    try:
        return view(bundle, doc)
    except AvtalsgenError:
        return []


def edit_section(request: Request) -> Response:
    folder, doc, path = _document_path(request)
    keys = _section_keys(request.path_params["path"])
    version, value = plain_file(path)
    value = value or {}
    section = _get(value, keys)
    prefix = dotted(keys)
    context = {"folder": folder, "file_name": path.name, "slug": folder.name, "doc": doc,
               "outline": outline_of(value.get("sections") or []),
               "section_path": request.path_params["path"],
               "heading": str(section.get("heading") or "") if isinstance(section, dict)
               else "", "what": f"avsnittet {section.get('heading', '')!s} ändrat"
               if isinstance(section, dict) else "avsnitt ändrat"}

    def place(old: Any, new: Any) -> Any:
        whole = copy.deepcopy(old)
        target = _get(whole, keys[:-1])
        children = target[keys[-1]].get("sections") if isinstance(target[keys[-1]],
                                                                    dict) else None
        target[keys[-1]] = {**new, **({"sections": children} if children else {})}
        return whole

    found = accounts(request)
    if found is not None:
        context["comments"] = [c for c in found.comments(folder.name, doc)
                               if c.section_path == context["section_path"]]
        context["can_resolve"] = allowed(request, folder.name, "resolve_comment")
        context["can_comment"] = allowed(request, folder.name, "comment")
    if request.method == "POST":
        return _save_or_act(request, kind="section", path=path, prefix=prefix,
                            exclude=frozenset({"sections"}), place=place,
                            template="section.html", context=context)
    return _form_page(request, "section.html", kind="section", value=section, prefix=prefix,
                      exclude=frozenset({"sections"}), version=version, **context)


def outline_change(sections: list[Any], op: str, path: str) -> tuple[list[Any], str]:
    """Add, remove, move, nest or unnest a section; returns the sections and the path of
    the section to show next."""
    sections = copy.deepcopy(sections)
    if op == "add":  # a new section at the end of the document
        sections.append({"heading": "Nytt avsnitt"})
        return sections, str(len(sections) - 1)
    if not SECTION_PATH.fullmatch(path):
        raise HTTPException(400)
    indexes = [int(i) for i in path.split(".")]
    siblings = sections
    for i in indexes[:-1]:
        siblings = siblings[i].setdefault("sections", [])
    i = indexes[-1]
    if not 0 <= i < len(siblings):
        raise HTTPException(400)
    parent = indexes[:-1]

    def join(parts: list[int]) -> str:
        return ".".join(map(str, parts))

    if op == "add_child":
        children = siblings[i].setdefault("sections", [])
        children.append({"heading": "Nytt avsnitt"})
        return sections, join([*indexes, len(children) - 1])
    if op == "add_after":
        siblings.insert(i + 1, {"heading": "Nytt avsnitt"})
        return sections, join([*parent, i + 1])
    if op == "remove":
        siblings.pop(i)
        return sections, ""
    if op == "up" and i > 0:
        siblings[i - 1], siblings[i] = siblings[i], siblings[i - 1]
        return sections, join([*parent, i - 1])
    if op == "down" and i + 1 < len(siblings):
        siblings[i + 1], siblings[i] = siblings[i], siblings[i + 1]
        return sections, join([*parent, i + 1])
    if op == "indent" and i > 0:  # becomes the last child of the section above
        moved = siblings.pop(i)
        children = siblings[i - 1].setdefault("sections", [])
        children.append(moved)
        return sections, join([*parent, i - 1, len(children) - 1])
    if op == "outdent" and parent:  # becomes the next sibling of its parent
        moved = siblings.pop(i)
        if not siblings:
            grand = sections
            for j in parent[:-1]:
                grand = grand[j]["sections"]
            grand[parent[-1]].pop("sections", None)
        grand = sections
        for j in parent[:-1]:
            grand = grand[j]["sections"]
        grand.insert(parent[-1] + 1, moved)
        return sections, join([*parent[:-1], parent[-1] + 1])
    return sections, path


def outline(request: Request) -> Response:
    folder, doc, path = _document_path(request)
    require(request, folder.name, "edit")
    refuse_if_final(request, folder)
    form = posted_form(request)
    loaded = store.read(path)
    value = store.plain(loaded.data) or {}
    sections, show = outline_change(value.get("sections") or [], str(form.get("op") or ""),
                                    str(form.get("path") or ""))
    whole = {**value, "sections": sections}
    data = store.merge(loaded.data, whole)
    message = f"{doc}: dispositionen ändrad ({author(request)})"
    try:
        new_version = store.save(path, data, str(form.get(formfields.VERSION) or ""),
                                 author=author(request), message=message)
    except store.Conflict as e:
        return conflicts.outline_conflict(request, e, folder=folder, doc=doc, path=path,
                                          form=form, mine=whole)
    saved(request, folder, doc, new_version, message)
    if show:
        return redirect(url("k", folder.name, "dok", doc, "avsnitt", show) + "?sparat=1")
    return redirect(url("k", folder.name, "dok", doc) + "?sparat=1")


def _render(request: Request, folder: Path, doc: str) -> bytes:
    bundle, problems, _warnings = validate(folder)
    if bundle is None:
        raise HTTPException(409, "Dokumentet kan inte visas förrän problemen är rättade: "
                                 + "; ".join(str(p) for p in problems[:5]))
    return render_bundle(bundle, [doc], status_counts=not shared(request))[doc]


def _pdf(request: Request, data: bytes, doc: str, tmp: Path) -> Path:
    """The document as PDF, by the server's LibreOffice (kept running; see pdf.py)."""
    source = tmp / f"{doc}.docx"
    source.write_bytes(data)
    try:
        request.app.state.pdf.convert([(source, source.with_suffix(".pdf"))])
    except AvtalsgenError as e:
        raise HTTPException(503, str(e)) from None
    return source.with_suffix(".pdf")


def download(request: Request) -> Response:
    folder, doc, _path = _document_path(request)
    fmt = request.path_params["fmt"]
    if fmt not in ("docx", "pdf"):
        raise HTTPException(404)
    require(request, folder.name, "download")
    data = _render(request, folder, doc)
    name = f"{folder.name}-{doc}.{fmt}"
    if fmt == "pdf":
        with tempfile.TemporaryDirectory(prefix="avtalsgen-web-") as tmp:
            data = _pdf(request, data, doc, Path(tmp)).read_bytes()
    audit_download(request, folder, doc, fmt)
    media = DOCX if fmt == "docx" else "application/pdf"
    return Response(data, media_type=media,
                    headers={"content-disposition": f'attachment; filename="{name}"'})
