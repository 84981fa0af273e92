"""Where the tables are on a sheet as Brå's and Polisen's exports lay them out: blocks
of rows parted by empty rows; in each, title rows above the header (one filled cell,
often merged across), a header over one or two rows (a group heading merged over its
years), the data, and "Källa: …" and note rows under it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import spreadsheets as sheets

_SOURCE = re.compile(r"^\s*källa\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_NOTE = re.compile(r"^\s*(anm\.?|anmärkning|not|obs\.?|kommentar|\*)", re.IGNORECASE)
MAX_TITLE = 200


@dataclass
class Block:
    """One table's rows on a sheet (indexes into the grid's rows)."""

    title: str | None = None
    header: list[int] = field(default_factory=list)  # one or two rows
    rows: list[int] = field(default_factory=list)
    source: str | None = None
    notes: list[str] = field(default_factory=list)  # note rows, kept with the source
    width: int = 0  # the columns its header and rows fill


def _filled(row: list[sheets.SheetCell]) -> list[int]:
    return [j for j, c in enumerate(row) if c.value is not None or c.formula]


def _text(cell: sheets.SheetCell) -> str:
    return str(sheets.heading(cell) or "").strip()


def blocks(grid: sheets.Grid) -> list[Block]:
    """The tables of a sheet, top to bottom."""
    found: list[Block] = []
    chunk: list[int] = []
    for i, row in enumerate([*grid.cells, []]):
        if row and _filled(row):
            chunk.append(i)
            continue
        if chunk:
            block = _block(grid, chunk)
            if block.rows or block.header:
                found.append(block)
            elif found and (block.source or block.notes or block.title):
                # A "Källa:" or note row after an empty row belongs to the table above.
                _add_source(found[-1], block)
        chunk = []
    return found


def _add_source(block: Block, lines: Block) -> None:
    if lines.source and not block.source:
        block.source = lines.source
    block.notes += [x for x in (lines.title, *lines.notes) if x]


def _single(grid: sheets.Grid, i: int) -> str | None:
    """The text of a row with one filled cell (a title or note line), else None."""
    row = grid.cells[i]
    filled = _filled(row)
    if len(filled) == 1 and isinstance(row[filled[0]].value, str):
        text = _text(row[filled[0]])
        return text if len(text) <= MAX_TITLE * 3 else None
    return None


def _block(grid: sheets.Grid, chunk: list[int]) -> Block:
    block = Block()
    width = len(grid.cells[0]) if grid.cells else 0
    lines = [_single(grid, i) for i in chunk]
    if all(x is not None and (_SOURCE.match(x) or _NOTE.match(x)) for x in lines):
        for text in lines:  # only "Källa:" and note rows: they go with the table above
            _add_source(block, Block(source=m.group(1).strip()) if (m := _SOURCE.match(
                text or "")) else Block(notes=[text or ""]))
        return block
    start, end = 0, len(chunk)
    # Trailing source and note rows.
    while end - start > 1 and (text := _single(grid, chunk[end - 1])) is not None and (
            _SOURCE.match(text) or _NOTE.match(text) or len(text) > 40):
        match = _SOURCE.match(text)
        if match and block.source is None:
            block.source = match.group(1).strip()
        else:
            block.notes.insert(0, text)
        end -= 1
    # Leading title rows (a table of one column has no title row to find).
    while start < end and width > 1 and (text := _single(grid, chunk[start])) is not None \
            and end - start > 1:
        if _SOURCE.match(text):
            block.source = _SOURCE.match(text).group(1).strip()  # type: ignore[union-attr]
        else:
            block.title = text if block.title is None else f"{block.title} {text}"
        start += 1
    rows = chunk[start:end]
    if not rows:
        return block
    block.width = max(max(_filled(grid.cells[i]), default=0) for i in rows) + 1
    block.header = [rows[0]]
    if len(rows) > 2 and _second_header(grid, rows[0], rows[1]):
        block.header.append(rows[1])
    block.rows = rows[len(block.header):]
    return block


def _second_header(grid: sheets.Grid, first: int, second: int) -> bool:
    """A second header row: its label cell empty, its other cells filled where the first
    row's group heading leaves gaps (a heading merged over its years)."""
    top, below = grid.cells[first], grid.cells[second]
    if below[0].value is not None or len(top) < 3:
        return False
    gaps = [j for j in range(1, len(top)) if top[j].value is None]
    return bool(gaps) and all(below[j].value is not None for j in range(1, len(below)))


def columns(grid: sheets.Grid, block: Block) -> list[str | None]:
    """The column headings: a group heading carried over its merged cells and joined
    with the heading under it ("Anmälda 2023"); years as text."""
    first = [_text(c) or None for c in grid.cells[block.header[0]][:block.width]]
    if len(block.header) == 1:
        return first
    carried: list[str | None] = []
    for value in first:
        carried.append(value if value is not None or not carried else carried[-1])
    below = [_text(c) or None for c in grid.cells[block.header[1]][:block.width]]
    out: list[str | None] = []
    for j, (group, sub) in enumerate(zip(carried, below, strict=True)):
        if j == 0:
            out.append(group or sub)
        else:
            out.append(" ".join(x for x in (group, sub) if x) or None)
    return out


def source_line(block: Block) -> str | None:
    """The source with the note rows after it, as the table's source line."""
    parts = [x for x in (block.source, *block.notes) if x]
    if not parts:
        return None
    return " ".join(p if p.endswith((".", "!", "?", ":")) else f"{p}." for p in parts[:-1]) \
        + (" " if len(parts) > 1 else "") + parts[-1]
