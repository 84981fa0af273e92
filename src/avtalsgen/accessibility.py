"""Accessibility rules for generated documents (the Swedish DOS law, WCAG basics).

`audit(path)` returns what a published document would fail on: the document
language, headings in order with no skipped level, marked table header rows,
alt text on every picture, and no meaning carried by colour alone.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
NS = {"w": W, "wp": WP}
HEADING = re.compile(r"^Heading(\d)$")


def _text(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(f"{{{W}}}t"))


def _values(element: etree._Element, path: str) -> list[str]:
    """The attribute values an XPath selects (`.../@w:val`), as text."""
    found = element.xpath(path, namespaces=NS)
    return [str(value) for value in found] if isinstance(found, list) else []


def audit(path: Path) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(path) as z:
        body = etree.fromstring(z.read("word/document.xml"))
        styles = etree.fromstring(z.read("word/styles.xml"))
        core = z.read("docProps/core.xml").decode("utf-8")

    lang = _values(styles, "//w:docDefaults//w:lang/@w:val")
    if not lang or not lang[0].startswith("sv"):
        problems.append(f"document language is not Swedish in the styles ({lang})")
    if "<dc:language>sv-SE</dc:language>" not in core:
        problems.append("document property language is not sv-SE")

    previous = 0
    for p in body.iter(f"{{{W}}}p"):
        style = _values(p, "./w:pPr/w:pStyle/@w:val")
        match = HEADING.match(style[0]) if style else None
        if not match:
            continue
        level = int(match.group(1))
        if level > previous + 1:
            problems.append(f"heading level {level} follows level {previous} "
                            f"(skipped a level): {_text(p)!r}")
        if not _text(p).strip():
            problems.append("an empty heading")
        previous = level

    for i, table in enumerate(body.iter(f"{{{W}}}tbl"), start=1):
        first = table.find(f"{{{W}}}tr")
        if first is None or not first.xpath("./w:trPr/w:tblHeader", namespaces=NS):
            problems.append(f"table {i} has no header row marked to repeat")
        for cell in table.iter(f"{{{W}}}tc"):
            if cell.xpath("./w:tcPr/w:shd/@w:fill", namespaces=NS) and not _text(cell).strip():
                problems.append(f"table {i} has a coloured cell without text (colour alone)")

    for docpr in body.iter(f"{{{WP}}}docPr"):
        if not (docpr.get("descr") or "").strip():
            problems.append(f"picture {docpr.get('name')!r} has no alt text")
    return problems
