"""Signature blocks in a Word document: an optional place and date, then per signatory
a line (a ruled paragraph, dots or underscores), a name and a title. Side-by-side
signatures typed with tabs ("……\t……") count as one signatory per column."""

from __future__ import annotations

import re
from typing import Any

from .word_read import Para, Table

LINE_STYLES = ("signature line", "signature line dotted")
_LINE = re.compile(r"^[._…\-–—\s]{5,}$")
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december")
PLACE_DATE = re.compile(r"^(?P<place>[A-ZÅÄÖ][\w .'-]{0,60}?)[ ,]+(?:den )?(?P<date>"
                        r"\d{4}-\d\d-\d\d|\d{1,2} (?:" + "|".join(_MONTHS) + r") \d{4}|"
                        r"\d{4})\.?$")
_TITLE_WORDS = re.compile(r"chef|direktör|ordförande|råd\b|polis|kommun|ansvarig|samordnare|"
                          r"ledamot|sekreterare|borgmästare|LPO", re.IGNORECASE)
MAX_LINE = 100
# "För Luleå kommun" over a party's signatures (avtalsgen's block, style Signing Party).
_PARTY = re.compile(r"^För [A-ZÅÄÖ][\w .,'&-]{1,80}$")


def _para(body: list[Para | Table], j: int) -> Para | None:
    el = body[j] if 0 <= j < len(body) else None
    return el if isinstance(el, Para) else None


def _is_line(p: Para | None) -> bool:
    if p is None:
        return False
    if p.style in LINE_STYLES:
        return True
    parts = [x for x in re.split(r"\t+", p.text.strip()) if x]
    return bool(parts) and all(_LINE.match(x) for x in parts)


def _next(body: list[Para | Table], j: int) -> int:
    """The next paragraph with something in it (a signature line counts)."""
    while j < len(body):
        p = _para(body, j)
        if p is None or p.text.strip() or p.pictures or p.style in LINE_STYLES:
            return j
        j += 1
    return j


def _is_place_date(p: Para | None) -> bool:
    return p is not None and (p.style == "signing place" or bool(
        PLACE_DATE.match(p.text.strip())))


def _is_party(p: Para | None) -> bool:
    return p is not None and (p.style == "signing party" or bool(_PARTY.match(p.text.strip())))


def _after_party(body: list[Para | Table], j: int) -> int:
    """Past a party's name over its signatures, when a place and date or a line follows."""
    if _is_party(_para(body, j)):
        k = _next(body, j + 1)
        if _is_line(_para(body, k)) or _is_place_date(_para(body, k)):
            return k
    return j


def is_signature_start(body: list[Para | Table], i: int) -> bool:
    i = _after_party(body, i)
    p = _para(body, i)
    if p is None:
        return False
    if _is_line(p):
        return True
    # A place and date shared by the parties stands above the first party's name.
    return _is_place_date(p) and _is_line(_para(body, _after_party(body, _next(body, i + 1))))


def read_signatures(body: list[Para | Table], i: int) -> tuple[Any, int] | None:
    """(a signatures unit, the index after the block), or None when there is none."""
    from .word_body import Unit

    place_date = None
    j = _after_party(body, i)
    if not _is_line(_para(body, j)):
        place_date = _para(body, j).text.strip()  # type: ignore[union-attr]
        j = _after_party(body, _next(body, j + 1))
    people: list[dict[str, Any]] = []
    dotted = title_first = False
    while True:
        own = None
        k = _after_party(body, j) if people else j
        if people and _is_place_date(_para(body, k)) and _is_line(
                _para(body, _next(body, k + 1))):
            own = _para(body, k).text.strip()  # type: ignore[union-attr]
            own = None if own == place_date else own  # the party's line, as the first's
            k = _next(body, k + 1)
        line = _para(body, k)
        if not _is_line(line):
            break
        assert line is not None
        dotted = dotted or line.style == "signature line dotted" or "." in line.text \
            or "…" in line.text
        columns = max(1, len([x for x in re.split(r"\t+", line.text.strip()) if x]))
        k, texts, above = _names(body, _next(body, k + 1), columns)
        title_first = title_first or above
        for n in range(columns):
            first, second = texts[0][n], texts[1][n]
            people.append({"first": first, "second": second, "place_date": own,
                           "above": above})
        j = _next(body, k)
    if not people:
        return None
    return Unit("signatures", data={"place_date": place_date, "dotted": dotted,
                                    "people": _who(people, title_first),
                                    "title_first": title_first}), j


def _names(body: list[Para | Table], j: int,
           columns: int) -> tuple[int, list[list[str]], bool]:
    """The one or two short lines after a signature line (name and title), split into
    columns; whether the title stands above the name."""
    lines: list[list[str]] = []
    above = False
    while len(lines) < 2:
        p = _para(body, j)
        if p is None or _is_line(p) or not p.text.strip() or len(p.text) > MAX_LINE * columns \
                or p.style.startswith("heading") or (lines and _is_place_date(p) and
                                                      p.style != "signatory title"):
            break
        parts = [x.strip() for x in re.split(r"\t+", p.text.strip()) if x.strip()]
        if len(parts) != columns:
            parts = [p.text.strip()] + [""] * (columns - 1) if columns > 1 else \
                [p.text.strip()]
        above = above or p.style == "signatory title above"
        lines.append(parts)
        j = _next(body, j + 1)
    while len(lines) < 2:
        lines.append([""] * columns)
    return j, lines, above


def _who(people: list[dict[str, Any]], title_first: bool) -> list[dict[str, Any]]:
    """Name and title of each signatory; the title is the line that reads like one."""
    out = []
    for person in people:
        first, second = person["first"], person["second"]
        above = title_first or (bool(_TITLE_WORDS.search(first)) and not _TITLE_WORDS.search(
            second) and bool(second))
        name, title = (second, first) if above else (first, second)
        if not second and _TITLE_WORDS.search(first):
            name, title = "", first
        out.append({"name": name, "title": title, "place_date": person["place_date"],
                    "above": above})
    return out


def signature_table(table: Table) -> dict[str, Any] | None:
    """Signatures laid out in a table, a column per signatory: place and date, a line,
    name, title. None when the table holds anything else (then it stays a table)."""
    width = len(table.rows[0]) if table.rows else 0
    columns = [[x.strip() for row in table.rows for x in row[c].text.split("\n")
                if x.strip()] for c in range(width)]
    columns = [c for c in columns if c]
    people: list[dict[str, Any]] = []
    dotted = False
    for lines in columns:
        at = next((k for k, x in enumerate(lines) if _LINE.match(x)), None)
        if at is None or at > 1 or len(lines) - at - 1 not in (1, 2):
            return None
        above = lines[0] if at else None
        if above is not None and not PLACE_DATE.match(above):
            return None
        below = [*lines[at + 1:], ""]
        dotted = dotted or "." in lines[at] or "…" in lines[at]
        people.append({"first": below[0], "second": below[1], "place_date": above,
                       "above": False})
    if not people:
        return None
    places = {p["place_date"] for p in people}
    common = places.pop() if len(places) == 1 else None
    if common is not None:
        for person in people:
            person["place_date"] = None
    return {"place_date": common, "dotted": dotted, "people": _who(people, False),
            "title_first": False}
