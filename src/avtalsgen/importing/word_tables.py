"""Word tables for import: figures become statistics tables (Swedish numbers parsed,
a Totalt row kept as a checked total), Brå's Orsak | Åtgärd | … table becomes a
`measures` block, anything else a text table."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .. import model as m
from ..messages import Msg
from ..validation_messages import reason
from .word_read import Cell, Para, Table

# "1 046", "10,6", "10,6 %", "-3", "−3" (a minus sign), "0.5"; thousands grouped by a
# space, a non-breaking or a narrow non-breaking space.
_NUMBER = re.compile(r"^([-−–]?)\s?(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[,.](\d+))?"
                     r"(?:\s?(%))?$")
MISSING = frozenset({"–", "-", "—", "..", "…", "x", "X"})
_TOTAL = re.compile(r"^(totalt|summa|total|tot|samtliga)\.?\s*:?$", re.IGNORECASE)
_TYPED_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+")
_STATUS = re.compile(r"(?:^|\n)[ \t]*Status:[ \t]*(grön|gul|röd)[ \t.]*$", re.IGNORECASE)
STATUS = {"grön": "green", "gul": "yellow", "röd": "red"}
# Brå's columns, each recognised by how its heading starts (small variations allowed).
BRA_COLUMNS = {
    "cause": re.compile(r"^orsak"),
    "measure": re.compile(r"^åtgärd"),
    "goal": re.compile(r"^(operativ|mål|effektmål)"),
    "when": re.compile(r"^(när|tid)"),
    "who": re.compile(r"^(vem|ansvar)"),
    "follow_up": re.compile(r"^uppföljning"),
}


@dataclass
class Number:
    value: int | float
    percent: bool
    decimals: int


@dataclass
class Imported:
    """One Word table as config: a statistics table or a measures block."""

    kind: str  # "statistics", "measures" or "text"
    data: dict[str, Any]
    notes: list[Msg] = field(default_factory=list)


def join_split_tables(body: list[Para | Table]) -> list[Para | Table]:
    """A table split over two pages by hand is one table: a table whose header rows
    equal those of the table before it, with nothing but a page break between them
    (empty paragraphs, one of them breaking the page), continues that table. Its rows
    are added to the first, with a note to check the join."""
    out: list[Para | Table] = []
    between: list[Para] = []
    for el in body:
        if isinstance(el, Para) and _blank(el) and out and isinstance(out[-1], Table):
            between.append(el)
            continue
        first = out[-1] if out else None
        if (isinstance(el, Table) and isinstance(first, Table) and between
                and any(p.break_before or p.break_after for p in between)
                and _same_header(first, el)):
            first.rows.extend(el.rows[el.header_rows:])
            first.notes.extend(el.notes)
            first.notes.append(Msg("a table typed again after a page break, under the same "
                                   "header row, is joined to the table before it: check "
                                   "that it is one table"))
            between = []
            continue
        out.extend(between)
        between = []
        out.append(el)
    out.extend(between)
    return out


def _blank(p: Para) -> bool:
    return not p.text.strip() and not p.pictures and not p.fields


def _same_header(first: Table, second: Table) -> bool:
    n = first.header_rows
    if n < 1 or second.header_rows != n or len(first.rows) <= n or len(second.rows) <= n:
        return False
    texts = [[" ".join(c.text.split()) for c in row] for row in first.rows[:n]]
    return texts == [[" ".join(c.text.split()) for c in row] for row in second.rows[:n]]


def parse_number(text: str) -> Number | None:
    """A Swedish-written number, or None when the text is not one."""
    match = _NUMBER.match(text.strip())
    if not match:
        return None
    sign, whole, fraction, percent = match.groups()
    digits = re.sub(r"\D", "", whole)
    if fraction is not None and "." in text and len(fraction) == 3 and not percent:
        return None  # "1.046": a thousands point or a decimal point, who can say
    value: int | float = float(f"{digits}.{fraction}") if fraction else int(digits)
    if abs(value) >= m.MAX_NUMBER:
        return None
    return Number(-value if sign else value, bool(percent), len(fraction or ""))


def convert(table: Table, caption: str | None) -> Imported | None:
    """The table as config, or None when it holds no text at all."""
    rows = [[c for c in row] for row in table.rows]
    if not rows or not any(c.text.strip() for row in rows for c in row):
        return None
    measures = _measures(rows, table.header_rows, caption)
    if measures is not None:
        measures.notes[:0] = table.notes
        return measures
    numeric = _numeric(rows, caption)
    result = numeric or _text(rows, caption)
    result.notes[:0] = table.notes
    return result


# -- statistics -----------------------------------------------------------------------

def _columns(rows: list[list[Cell]]) -> list[str]:
    return [c.text.strip() for c in rows[0]]


def _numeric(rows: list[list[Cell]], caption: str | None) -> Imported | None:
    body = rows[1:]
    values = [c.text.strip() for row in body for c in row[1:] if c.text.strip()]
    numbers = [parse_number(v) for v in values if v not in MISSING]
    found = [n for n in numbers if n is not None]
    if len(rows[0]) < 2 or not found or len(found) < 0.75 * len(numbers):
        return None
    percent = all(n.percent for n in found)
    notes: list[Msg] = []
    table: dict[str, Any] = {}
    if caption:
        table["title"] = caption
    table["columns"] = _columns(rows)
    data = [[row[0].text.strip(), *(_cell(c.text, percent) for c in row[1:])] for row in body]
    decimals = Counter(n.decimals for n in found)
    trailing_zero = any(parse_number(v) is not None and re.search(r"[,.]\d*0\s?%?$", v)
                        for v in values)
    if len(decimals) == 1 and (trailing_zero or max(decimals) > 3) and max(decimals) > 0:
        table["decimals"] = min(max(decimals), 6)
    elif max(decimals) > 3:
        table["decimals"] = min(max(decimals), 6)
        notes.append(Msg("table {table!r}: numbers with different numbers of decimals are "
                         "all shown with {n}", table=caption or table["columns"][0],
                         n=table["decimals"]))
    if percent:
        table["unit"] = "percent"
    if data and _TOTAL.match(str(data[-1][0])):
        total = _total(table, data, notes)
        if total is not None:
            data = data[:-1]
            table["total"] = total
    table["rows"] = data
    for key in ("total", "unit", "decimals"):  # the order of a hand-written file
        if key in table:
            table[key] = table.pop(key)
    return Imported("statistics", table, notes)


def _cell(text: str, percent: bool) -> Any:
    text = text.strip()
    if not text or text in MISSING:
        return None
    number = parse_number(text)
    if number is None or number.percent != percent:
        return text  # kept as written
    return number.value


def _total(table: dict[str, Any], data: list[list[Any]], notes: list[Msg]) -> Any:
    """The last row as a checked total, or None (a note) when it cannot be one."""
    label, values = str(data[-1][0]), data[-1][1:]
    rows = data[:-1]
    if any(isinstance(v, str) for row in data for v in row[1:]):
        return None
    candidate = {**table, "rows": rows, "total": {"label": label, "values": values}}
    try:
        m.Table.model_validate(candidate)
    except ValidationError as e:
        notes.append(Msg("table {table!r}: the row {label!r} is kept as an ordinary row, "
                         "not a computed total: {reason}",
                         table=table.get("title") or table["columns"][0], label=label,
                         reason=reason(e.errors()[0])))
        return None
    return {"label": label, "values": values}


def _text(rows: list[list[Cell]], caption: str | None) -> Imported:
    table: dict[str, Any] = {}
    if caption:
        table["title"] = caption
    table["columns"] = _columns(rows)
    table["rows"] = [[c.text.strip() for c in row] for row in rows[1:]]
    table["unit"] = "text"
    return Imported("text", table)


# -- Brå's measures -------------------------------------------------------------------

def _roles(header: list[str]) -> dict[str, int] | None:
    """Brå's columns by their headings: the measure and at least two of the others;
    other columns (Resurser, Kostnad) are kept with the measure (role "extra:N")."""
    roles: dict[str, int] = {}
    for i, text in enumerate(header):
        key = text.strip().lower()
        for role, pattern in BRA_COLUMNS.items():
            if role not in roles and pattern.search(key):
                roles[role] = i
                break
        else:
            if key:
                roles[f"extra:{i}"] = i
    known = [r for r in roles if r in BRA_COLUMNS]
    if "measure" not in roles or len(known) < 3 or len(roles) != len([h for h in header
                                                                        if h.strip()]):
        return None
    return roles


def _header_row(rows: list[list[Cell]]) -> tuple[int, dict[str, int], str | None] | None:
    """(the header row's index, its roles, a title row's text above it)."""
    for r in range(min(3, len(rows))):
        roles = _roles([c.text for c in rows[r]])
        if roles is not None:
            above = [c.text.strip() for row in rows[:r] for c in row if c.text.strip()]
            return r, roles, " ".join(dict.fromkeys(above)) or None
    return None


def _measures(rows: list[list[Cell]], header_rows: int,
              caption: str | None) -> Imported | None:
    found = _header_row(rows)
    if found is None:
        return None
    at, roles, title = found
    caption = caption or title
    header = [c.text.strip() for c in rows[at]]
    extras = {role: header[i] for role, i in roles.items() if role.startswith("extra:")}
    rows = [row for row in rows[at:] if [c.text.strip() for c in row] != header]
    rows.insert(0, [])  # the header, read above
    header_rows = 1
    notes: list[Msg] = []
    causes: list[dict[str, Any]] = []
    above: dict[str, str] = {}
    if extras:
        notes.append(Msg("Brå's table has columns avtalsgen has no place for ({columns}): "
                         "kept in the measure's text", columns=", ".join(extras.values())))
    if "cause" not in roles:
        notes.append(Msg("Brå's table has no Orsak column: its measures have the cause "
                         "'TODO'"))
    for row in rows[max(1, header_rows):]:
        cells = {role: row[i] for role, i in roles.items()}
        texts = {role: _continued(cell, above.get(role, ""), role) for role, cell in
                 cells.items()}
        for role in BRA_COLUMNS:
            texts.setdefault(role, "")
        for role, name in extras.items():
            if texts[role]:
                texts["measure"] = f"{texts['measure']}\n{name}: {texts[role]}"
        cells.setdefault("cause", Cell(""))
        above = texts
        if not any(texts[r] for r in BRA_COLUMNS if r != "cause"):
            if texts["cause"] and not cells["cause"].merged:
                causes.append({"cause": _strip_number(texts["cause"]), "measures": []})
            continue
        # A cause starts where its cell has text; the same text again (a cause repeated
        # on each row) is the same cause.
        new_cause = cells["cause"].text.strip() and not cells["cause"].merged and not (
            causes and _strip_number(texts["cause"]) == causes[-1]["cause"])
        if new_cause or not causes:
            cause = _strip_number(texts["cause"]) or "TODO"
            if cause == "TODO":
                notes.append(Msg("a measure without a cause was given the cause 'TODO'"))
            causes.append({"cause": cause, "measures": []})
        causes[-1]["measures"].append(_measure(texts, notes))
    for entry in causes:
        if not entry["measures"]:
            entry["measures"].append({"measure": "TODO"})
            notes.append(Msg("the cause {cause!r} has no measure: 'TODO' added",
                             cause=entry["cause"][:50]))
    if not causes:
        return None
    data: dict[str, Any] = {"title": caption} if caption else {}
    data["causes"] = causes
    return Imported("measures", data, notes)


def _continued(cell: Cell, above: str, role: str) -> str:
    """A merged cell repeats the one above (a cause is kept once, as a new cause starts
    only where its cell does)."""
    if cell.merged and role != "cause":
        return above
    return cell.text.strip()


def _strip_number(text: str) -> str:
    return _TYPED_NUMBER.sub("", text, count=1).strip()


def _measure(texts: dict[str, str], notes: list[Msg]) -> dict[str, Any]:
    measure = _strip_number(texts["measure"])
    if not measure:
        measure = "TODO"
        notes.append(Msg("a measure with no text (goal {goal!r}) was named 'TODO'",
                         goal=texts["goal"][:40]))
    out: dict[str, Any] = {"measure": measure}
    follow_up = texts["follow_up"]
    status = _STATUS.search(follow_up)
    if status:
        out["status"] = STATUS[status.group(1).lower()]
        follow_up = follow_up[:status.start()].rstrip()
    for key in ("goal", "when"):
        if texts[key]:
            out[key] = texts[key]
    out.update(_owner(texts["who"]))
    follow_up, went = _progress(follow_up)
    if follow_up:
        out["follow_up"] = follow_up
    out.update(went)
    if "status" in out:
        out["status"] = out.pop("status")
    return out


# What the action plan prints in the Vem and Uppföljning cells besides the text given
# (indicators.who_text, follow_up_text), read back into the measure's own fields.
_OWNER = re.compile(r"^(?:(?P<function>.+?) \((?P<party>kommunen|polisen)\)|"
                    r"(?P<alone>Kommunen|Polisen))$")
_PROGRESS = re.compile(r"^Genomförande: (Planerad|Pågår|Genomförd|Inställd)$", re.M)
_PROGRESS_KEYS = {"Planerad": "planned", "Pågår": "ongoing", "Genomförd": "done",
                  "Inställd": "cancelled"}


def _owner(who: str) -> dict[str, str]:
    """The Vem cell: the person named, then (last line) the owning function and party."""
    lines = who.split("\n")
    found = _OWNER.match(lines[-1].strip()) if lines else None
    if found is None:
        return {"who": who} if who else {}
    party = (found.group("party") or found.group("alone") or "").lower()
    out = {"party": "kommun" if party.startswith("kommun") else "polis"}
    if found.group("function"):
        out["function"] = found.group("function")
    person = "\n".join(lines[:-1]).strip()
    return {"who": person, **out} if person else out


def _progress(follow_up: str) -> tuple[str, dict[str, str]]:
    """The Uppföljning cell: how it is followed up, then 'Genomförande: …' and the
    follow-up text."""
    found = _PROGRESS.search(follow_up)
    if found is None:
        return follow_up, {}
    went = {"progress": _PROGRESS_KEYS[found.group(1)]}
    outcome = follow_up[found.end():].strip()
    if outcome:
        went["outcome"] = outcome
    return follow_up[:found.start()].strip(), went
