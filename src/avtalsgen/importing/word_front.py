"""The front of a Word document for import: the title block (title, subtitle, the
parties, period, adoption and draft mark of a cover page), whether the first page
held only that block, and the table of contents. None of it is body content: the
templates print it again from the config."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .word_read import Docx, Para, Table

_PERIOD_LINE = re.compile(r"^Period:\s*((?:19|20)\d\d)\s*[–—-]\s*((?:19|20)\d\d)$")
# The cover of a document with validity dates prints them as its period.
_VALIDITY_LINE = re.compile(r"^Period:\s*(\d{4}-\d\d-\d\d)\s*[–—-]\s*(\d{4}-\d\d-\d\d)$")
_ADOPTED = re.compile(r"^Antagen av (?P<by>.+?),? (?P<date>\d{4}-\d\d-\d\d)\.?$")
_DRAFT = re.compile(r"^UTKAST(?: version (?P<version>\S+?))?(?:, (?P<date>\d{4}-\d\d-\d\d))?$")
_TOC_TITLE = re.compile(r"^(innehåll|innehållsförteckning)\s*:?$", re.IGNORECASE)
COVER_STYLES = ("title", "cover title", "subtitle", "cover party", "cover meta", "draft mark",
                "adopted")
MAX_COVER_WORDS = 150
MAX_COVER_PARAGRAPH = 30  # words: a cover line is shorter, running text longer
# A typed contents line: "1. Inledning<tab>2", "Inledning ........ 3", "2.1 Mål … 4"
_TYPED_ENTRY = re.compile(r"^(?P<number>\d{1,2}(?:\.\d{1,2})*\.?\s+)?(?P<text>\S.*?)"
                          r"(?:\t+|\s*(?:\.{3,}|…+|_{3,})\s*)(?P<page>\d{1,3})$")


@dataclass
class Front:
    title: str | None = None
    subtitle: str | None = None
    title_page: bool = False
    cover: list[int] = field(default_factory=list)  # body indexes of other cover content
    parties: list[str] = field(default_factory=list)  # the cover's party lines
    period: tuple[int, int] | None = None
    validity: dict[str, dt.date] | None = None  # the cover's "Period: 2019-12-20 – …"
    adopted: tuple[str, dt.date] | None = None
    draft: tuple[str | None, dt.date | None] | None = None
    toc: str | None = None
    toc_levels: int | None = None
    toc_by_entry: bool = False  # the contents list chosen headings (TC fields), not levels
    typed_toc: bool = False  # typed by hand (text and page numbers), not a Word field
    start: int = 0  # where the content begins
    skip: set[int] = field(default_factory=set)  # TOC paragraphs and its heading
    texts: list[str] = field(default_factory=list)  # title-block text, for the parties


def read_front(doc: Docx) -> Front:
    front = Front()
    body = doc.body
    _find_toc(body, front)
    first = _first_page_end(body)
    title = _title_index(doc, first)
    if title is None:
        return front
    front.title = _clean(body[title])
    front.texts.append(front.title)
    cover_end = first if first is not None and _only_title_block(doc, title, first,
                                                                 front.skip) else None
    if cover_end is not None:
        front.title_page = True
        for i in range(cover_end):
            if i != title and i not in front.skip:
                _cover_line(body, i, front, doc.body_size)
        front.start = cover_end
    else:
        # Lines above the title (a party name, a logo) stay, on the cover.
        front.cover = [i for i in range(title) if i not in front.skip]
        front.start = _title_block(body, title, front, doc.body_size)
    return front


def _clean(p: Para | Table) -> str:
    return p.text.strip() if isinstance(p, Para) else ""


def _first_page_end(body: list[Para | Table]) -> int | None:
    """The index of the first element on the second page, if a break comes early."""
    for i, el in enumerate(body[:60]):
        if isinstance(el, Para):
            if el.break_before and i > 0:
                return i
            if el.break_after:
                return i + 1
    return None


def _title_index(doc: Docx, first_page_end: int | None) -> int | None:
    """The title: a Title-styled paragraph near the start, else the first paragraph set
    clearly larger than the text (before any heading or long paragraph)."""
    body = doc.body
    stop = first_page_end if first_page_end is not None else len(body)
    seen = 0
    best: tuple[float, int] | None = None
    for i, el in enumerate(body[:stop]):
        if not isinstance(el, Para) or not el.text.strip() or el.in_toc:
            if isinstance(el, Table) and any(c.text.strip() for r in el.rows for c in r):
                break
            continue
        if el.style in ("title", "cover title"):
            return i
        if el.style.startswith("heading ") or len(el.text) > 200:
            break
        seen += 1
        if el.size >= doc.body_size * 1.25 and len(el.text) <= 150 and (
                best is None or el.size > best[0]):
            best = (el.size, i)
        if seen >= 6:
            break
    return best[1] if best else None


def _only_title_block(doc: Docx, title: int, end: int, skip: set[int]) -> bool:
    """True when the first page held the title block and little else."""
    if title >= end:
        return False
    words = 0
    for i, el in enumerate(doc.body[:end]):
        if isinstance(el, Table):
            return False
        if el.style.startswith(("heading ", "list ")) or el.num is not None:
            return False
        if i > title and i not in skip and len(el.text.split()) >= MAX_COVER_PARAGRAPH:
            return False  # running text: the page is content (a document typed without
            # styles whose first page break comes after its first sections)
        words += len(el.text.split())
    return words <= MAX_COVER_WORDS


def _cover_line(body: list[Para | Table], i: int, front: Front, body_size: float) -> None:
    """One paragraph of a cover page: a party, the period, the adoption, the draft mark,
    the subtitle, or other cover content."""
    el = body[i]
    assert isinstance(el, Para)
    text = el.text.strip()
    if not text and not el.pictures:
        return
    period = _PERIOD_LINE.match(text)
    validity = _validity(text)
    adopted = _parse_adopted(text)
    draft = _DRAFT.match(text) if el.style == "draft mark" or text.startswith("UTKAST") else None
    if el.style == "cover party":
        front.parties.append(text)
    elif period:
        front.period = (int(period.group(1)), int(period.group(2)))
    elif validity:
        front.validity = validity
    elif adopted:
        front.adopted = adopted
    elif draft:
        front.draft = (draft.group("version"), _date(draft.group("date")))
    elif front.subtitle is None and not el.pictures and (
            el.style == "subtitle" or (not front.cover and el.style not in COVER_STYLES
                                       and _subtitle_like(el, body_size, first=True))):
        front.subtitle = el.text.strip()
    else:
        front.cover.append(i)
        return
    front.texts.append(text)


def _validity(text: str) -> dict[str, dt.date] | None:
    match = _VALIDITY_LINE.match(text)
    if match is None:
        return None
    start, end = _date(match.group(1)), _date(match.group(2))
    return {"start": start, "end": end} if start and end and start <= end else None


def _title_block(body: list[Para | Table], title: int, front: Front,
                 body_size: float) -> int:
    """Without a cover page: the title, a subtitle and an adoption line after it."""
    i = title + 1
    while i < len(body):
        el = body[i]
        if not isinstance(el, Para) or el.break_before or i in front.skip:
            break
        text = el.text.strip()
        if not text and not el.pictures:
            i += 1
            continue
        adopted = _parse_adopted(text)
        if front.subtitle is None and (el.style == "subtitle" or _subtitle_like(
                el, body_size, first=i == title + 1)):
            front.subtitle = text
        elif adopted and front.adopted is None and el.style in ("adopted", "normal"):
            front.adopted = adopted
        else:
            break
        front.texts.append(text)
        i += 1
    return i


def _subtitle_like(p: Para, body_size: float, first: bool) -> bool:
    """Right under the title, larger or in italics, not bold, not numbered: a subtitle."""
    return first and not p.bold and p.num is None and len(p.text) < 200 and (
        p.italic or p.size >= body_size + 1.5) and not re.match(r"\d+\.", p.text.strip())


def _parse_adopted(text: str) -> tuple[str, dt.date] | None:
    match = _ADOPTED.match(text)
    if not match:
        return None
    day = _date(match.group("date"))
    return (match.group("by"), day) if day else None


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _find_toc(body: list[Para | Table], front: Front) -> None:
    """Table-of-contents paragraphs are skipped; its heading becomes `toc:`."""
    entries = [i for i, el in enumerate(body) if isinstance(el, Para)
               and (el.in_toc or re.fullmatch(r"toc \d", el.style))]
    titles = [i for i, el in enumerate(body) if isinstance(el, Para)
              and el.style == "toc heading"]
    if not entries and not titles:
        _typed_toc(body, front)
        return
    front.skip.update(entries)
    paras = {i: el for i, el in enumerate(body) if isinstance(el, Para)}
    levels = [int(paras[i].style[4:]) for i in entries if re.fullmatch(r"toc \d", paras[i].style)]
    for i in entries:
        for instr in paras[i].fields:
            depth = re.search(r'\\o\s+"?\d-(\d)', instr)
            if depth:
                levels.append(int(depth.group(1)))
            if instr.startswith("TOC") and re.search(r"\\f\b", instr):
                front.toc_by_entry = True
    front.toc_levels = min(max(levels), 4) if levels else None
    if titles:
        front.toc = paras[titles[0]].text.strip() or "Innehåll"
        front.skip.add(titles[0])
        return
    before = entries[0] - 1
    while before in paras and not paras[before].text.strip():
        before -= 1
    if before in paras and _TOC_TITLE.match(paras[before].text.strip()):
        front.toc = paras[before].text.strip()
        front.skip.add(before)
    else:
        front.toc = "Innehåll"


def _typed_toc(body: list[Para | Table], front: Front) -> None:
    """A table of contents typed by hand: 'Innehåll' and two or more lines ending in a
    page number. Skipped like a real one and replaced by it (toc:)."""
    for i, el in enumerate(body[:80]):
        if not isinstance(el, Para) or not _TOC_TITLE.match(el.text.strip()):
            continue
        entries, depth, j = [], 1, i + 1
        while j < len(body) and isinstance(body[j], Para):
            text = body[j].text.strip()  # type: ignore[union-attr]
            match = _TYPED_ENTRY.match(text)
            if text and not match:
                break
            if match:
                entries.append(j)
                if match.group("number"):
                    depth = max(depth, match.group("number").strip(" .").count(".") + 1)
            j += 1
        if len(entries) >= 2:
            front.skip.update([i, *entries])
            front.toc = el.text.strip().rstrip(":")
            front.toc_levels = min(depth, 4) if depth > 1 else None
            front.typed_toc = True
        return
