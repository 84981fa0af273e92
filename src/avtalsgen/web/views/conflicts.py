"""A refused save (someone else saved the file first) shown so that nothing is retyped.

The page sets what is saved now beside what the editor sent, field by field, with the
words that differ marked, and offers:

- "Använd min version": the editor's posted fields, carried back in the page as hidden
  fields with the version of the file as it is now, to the same editing form. The
  save goes through `store.save` again, so a third change in between is refused too.
- "Slå ihop" (when both changed different fields): the fields the editor changed put
  into the file as it is now, the other person's changes kept. What the editor changed
  is what differs from the version the form was made from (`store.saved_as`, from git);
  the merged fields are posted the same way, as the form would post them.
- "Behåll den sparade versionen": back to the form, with what is saved.

Values are compared as the form shows and reads them (rendered and parsed back), so a
default the file does not write does not count as a change.
"""

from __future__ import annotations

import difflib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from ... import store
from .. import formfields, forms
from ..forms.labels import ITEM_LABELS, KEY_LABELS, LABELS, VARIANT_LABELS
from ..validation import plain_file
from .common import page, page_problems, url

MISSING: Any = object()
_KEY = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# Sent by the form itself, never part of the editor's text.
_OWN = frozenset({formfields.CSRF, formfields.VERSION, formfields.ACTION})


class _Clash(Exception):
    """Both changed the same field: no merge."""


# ---------------------------------------------------------------------------------------
# the views' conflict branches


def form_conflict(request: Request, conflict: store.Conflict, *, kind: str, path: Path,
                  prefix: str, exclude: frozenset[str], form: Any, value: Any,
                  context: dict[str, Any]) -> Response:
    """The page for a refused save of an editing form (a file, a document's fields, a
    section): `value` is what the editor sent, parsed."""
    version, now = plain_file(path)
    mine = _normal(kind, value, prefix, exclude)
    saved = _scope(now, prefix, exclude)
    saved = MISSING if saved is MISSING else _normal(kind, saved, prefix, exclude)
    base = _scope(store.saved_as(path, conflict.expected), prefix, exclude)
    base = MISSING if base is MISSING else _normal(kind, base, prefix, exclude)
    merged = None
    if saved is not MISSING and base is not MISSING:
        try:
            merged = _three_way(base, saved, mine)
        except _Clash:
            merged = None
        if merged in (saved, mine):
            merged = None  # nothing to merge: one of the two is the whole change
    rows = _rows(saved, mine, base)
    merge_fields = _pairs(str(forms.render(kind, merged, prefix, exclude=exclude))) \
        if merged is not None else None
    return _page(request, context, folder=context["folder"], doc=context.get("doc"),
                 path=path, rows=rows, version=version, target=request.url.path,
                 mine_fields=[(k, str(v)) for k, v in form.multi_items() if k not in _OWN],
                 merge_fields=merge_fields, gone=saved is MISSING,
                 back=request.url.path)


def outline_conflict(request: Request, conflict: store.Conflict, *, folder: Path, doc: str,
                     path: Path, form: Any, mine: Any) -> Response:
    """The page for a refused change of a document's outline: `mine` is the document
    with the change made (to the file as it was read for the change)."""
    version, now = plain_file(path)
    rows = _rows(_outline(now), _outline(mine), MISSING)
    fields = [(k, str(form.get(k) or "")) for k in ("op", "path")]
    return _page(request, {}, folder=folder, doc=doc, path=path, rows=rows,
                 version=version, target=url("k", folder.name, "dok", doc, "disposition"),
                 mine_fields=fields, merge_fields=None, gone=now is None,
                 back=url("k", folder.name, "dok", doc))


def _page(request: Request, context: dict[str, Any], *, folder: Path, doc: str | None,
          path: Path, rows: list[dict[str, Any]], version: str, target: str,
          mine_fields: list[tuple[str, str]], merge_fields: list[tuple[str, str]] | None,
          gone: bool, back: str) -> Response:
    bundle = page_problems(folder)[0]
    municipality = str(bundle.municipality.kommun.name) if bundle else folder.name
    found = bundle.documents.get(doc) if bundle and doc else None
    last = next((c for c in store.history(folder, 20) if path.name in c.files), None)
    shown = {k: v for k, v in context.items() if k in ("heading", "section_path")}
    return page(request, "conflict.html", status=409, slug=folder.name, doc=doc,
                municipality=municipality, doc_title=str(found.title) if found else "",
                rows=rows, file_version=version, target=target, mine_fields=mine_fields,
                merge_fields=merge_fields, gone=gone, back=back, last=last,
                both=any(r["who"] == "båda" for r in rows), **shown)


# ---------------------------------------------------------------------------------------
# values as the form shows them


def _keys(prefix: str) -> list[Any]:
    return [int(i) if i else k for k, i in _KEY.findall(prefix)]


def _scope(data: Any, prefix: str, exclude: frozenset[str]) -> Any:
    """The part of a file's plain data an editing form edits, MISSING when it is gone."""
    for key in _keys(prefix):
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return MISSING
    if data is None:
        return MISSING
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in exclude}
    return data


def _normal(kind: str, value: Any, prefix: str, exclude: frozenset[str]) -> Any:
    """value as the form would post it back: rendered, then parsed."""
    html = str(forms.render(kind, value, prefix, exclude=exclude))
    posted: dict[str, list[str]] = {}
    for name, text in _pairs(html):
        posted.setdefault(name, []).append(text)
    return forms.parse(kind, posted, prefix, exclude=exclude)


class _Controls(HTMLParser):
    """The (name, value) pairs a browser posts for a form's controls, buttons aside."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self.textarea: list[str] | None = None
        self.select: tuple[str, list[str], list[str]] | None = None  # name, first, chosen

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.pairs.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name and "disabled" not in a:
            self.pairs.append((name, ""))
            self.textarea = []
        elif tag == "select" and name and "disabled" not in a:
            self.select = (name, [], [])
        elif tag == "option" and self.select is not None:
            self.select[1].append(a.get("value", ""))
            if "selected" in a:
                self.select[2].append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea is not None:
            text = "".join(self.textarea)
            # A newline right after <textarea> is not part of its value.
            self.pairs[-1] = (self.pairs[-1][0], text[1:] if text.startswith("\n") else text)
            self.textarea = None
        elif tag == "select" and self.select is not None:
            name, first, chosen = self.select
            if chosen or first:
                self.pairs.append((name, (chosen or first)[-1 if chosen else 0]))
            self.select = None


def _pairs(html: str) -> list[tuple[str, str]]:
    parser = _Controls()
    parser.feed(html)
    parser.close()
    return parser.pairs


# ---------------------------------------------------------------------------------------
# what differs, and the merge


def _three_way(base: Any, saved: Any, mine: Any) -> Any:
    """saved with the editor's changes (mine against base) put in; _Clash when both
    changed the same field."""
    if mine == base or mine == saved:
        return saved
    if saved == base:
        return mine
    if isinstance(base, dict) and isinstance(saved, dict) and isinstance(mine, dict):
        out = {}
        for key in [*saved, *(k for k in mine if k not in saved)]:
            value = _three_way(base.get(key, MISSING), saved.get(key, MISSING),
                               mine.get(key, MISSING))
            if value is not MISSING:
                out[key] = value
        return out
    if isinstance(base, list) and isinstance(saved, list) and isinstance(mine, list) \
            and len(base) == len(saved) == len(mine):
        return [_three_way(b, s, m) for b, s, m in zip(base, saved, mine, strict=True)]
    raise _Clash


def _flat(value: Any, keys: tuple[Any, ...] = (), label: tuple[str, ...] = ()
          ) -> dict[tuple[Any, ...], tuple[tuple[str, ...], Any]]:
    """Every scalar of value by its keys, with its label path in the form's words."""
    out: dict[tuple[Any, ...], tuple[tuple[str, ...], Any]] = {}
    parent = next((k for k in reversed(keys) if isinstance(k, str)), "")
    if isinstance(value, dict):
        for n, (key, item) in enumerate(value.items(), 1):
            if parent in KEY_LABELS:  # an entry named by an id: by its title or place
                title = item.get("title") if isinstance(item, dict) else None
                word = f"{ITEM_LABELS.get(parent, 'Post')} {title or n}"
            elif keys and isinstance(keys[-1], int) and len(value) == 1:
                word = VARIANT_LABELS.get(key) or LABELS.get(key) or _word(key)
            else:
                word = LABELS.get(key) or _word(key)
            out.update(_flat(item, (*keys, key), (*label, word)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.update(_flat(item, (*keys, i),
                             (*label, f"{ITEM_LABELS.get(parent, 'Punkt')} {i + 1}")))
    else:
        out[keys] = (label, value)
    return out


def _word(key: Any) -> str:
    return str(key).replace("_", " ").capitalize()


def _outline(data: Any) -> Any:
    """A document's outline: the headings of its sections, as the outline shows them."""
    def heads(sections: Any) -> list[Any]:
        return [{"heading": s.get("heading") or "(utan rubrik)",
                 "sections": heads(s.get("sections") or [])}
                for s in sections or [] if isinstance(s, dict)]

    return {"sections": heads((data or {}).get("sections"))} if data is not None \
        else MISSING


def _rows(saved: Any, mine: Any, base: Any) -> list[dict[str, Any]]:
    """One row per field that differs: its label, both texts marked, and who changed it
    (when the version the form was made from is known)."""
    old = {} if saved is MISSING else _flat(saved)
    new = _flat(mine)
    was = {} if base is MISSING else _flat(base)
    rows = []
    for keys in [*old, *(k for k in new if k not in old)]:
        label, a = old.get(keys, ((), MISSING))
        label2, b = new.get(keys, ((), MISSING))
        if a == b:
            continue
        who = None
        if base is not MISSING:
            before = was.get(keys, ((), MISSING))[1]
            who = "du" if a == before else "den andra" if b == before else "båda"
        left, right = _marked(_text(a), _text(b))
        rows.append({"label": " › ".join(label or label2) or "Hela avsnittet",
                     "field": ".".join(map(str, keys)), "saved": left, "mine": right,
                     "who": who})
    return rows


def _text(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    return str(value)


def _marked(a: str, b: str) -> tuple[Markup, Markup]:
    """Both texts with what differs marked: removed <del> in the first, added <ins> in
    the second; an empty side says so."""
    x, y = re.findall(r"\s+|\S+", a), re.findall(r"\s+|\S+", b)
    left: list[str] = []
    right: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, x, y,
                                                       autojunk=False).get_opcodes():
        old, new = str(escape("".join(x[i1:i2]))), str(escape("".join(y[j1:j2])))
        if tag == "equal":
            left.append(old)
            right.append(new)
            continue
        if old:
            left.append(f"<del>{old}</del>")
        if new:
            right.append(f"<ins>{new}</ins>")

    def done(parts: list[str]) -> Markup:
        html = "".join(parts).replace("\n", "<br>")
        return Markup(html or '<span class="muted">(tomt)</span>')

    return done(left), done(right)
