"""The document as it will print, for the editor's document page: the body the Word
template gets (headings numbered as in Word, labelled fields, lists, tables, charts),
each part tagged with the section it comes from, so a click on it opens that section's
fields in place."""

from __future__ import annotations

from typing import Any

from .. import context as ctx
from .. import model as m
from ..validate import Bundle


def _paths(sections: list[m.Section], prefix: str = "") -> dict[int, str]:
    """id of each section object -> its path in the editor's URLs ("1.0")."""
    out: dict[int, str] = {}
    for i, sec in enumerate(sections):
        path = f"{prefix}.{i}" if prefix else str(i)
        out[id(sec)] = path
        out.update(_paths(sec.sections, path))
    return out


def view(bundle: Bundle, doc: str) -> list[dict[str, Any]]:
    """The document's body as parts: {"path": section path or None (cover, closing,
    appendices), "items": body items}, in print order."""
    document = bundle.documents[doc]
    paths = _paths(document.sections)
    marks: list[tuple[int, str | None]] = []

    class Tracing(ctx._Builder):
        def section(self, sec: m.Section, level: int, number: str | None,
                    doc: m.Document, num: Any = None) -> None:
            marks.append((len(self.items), paths.get(id(sec))))
            super().section(sec, level, number, doc, num)
            marks.append((len(self.items), None))  # what follows is the parent's or none

    body = ctx.build_context(bundle.municipality, bundle.statistics, bundle.documents, doc,
                             draft={"version": "", "date": ""}, builder=Tracing)["body"]
    parts: list[dict[str, Any]] = []
    starts = sorted([(0, None), *marks], key=lambda mark: mark[0])
    for n, (start, path) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(body)
        items = [it for it in body[start:end] if it["kind"] not in ("page_break",)]
        if items:
            if parts and parts[-1]["path"] == path:
                parts[-1]["items"].extend(items)
            else:
                parts.append({"path": path, "items": items})
    return parts
