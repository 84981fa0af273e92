"""A workbook (.xlsx) or a CSV file becomes tables in statistics.yaml: the tables of
each sheet, as its owner laid them out (sheet_layout: title rows, one or two header
rows, "Källa:" and note rows, several tables parted by empty rows).

Each sheet's used range is read (spreadsheets.read_sheets, with its bounds); a title row
becomes the table's title, "Källa: …" and note rows its source line, the header its
columns (years as text), a last row named Totalt or Summa the table's `total` with the
source's values kept (and so checked; a blank one stays blank, formulas without stored
results are computed). A total that disagrees with the data is an error to review and
is kept as an ordinary row, never replaced by a computed sum. Typed decimals ("11,0")
are kept. The tables are merged into statistics.yaml through the store, so comments
stay and an existing table is never overwritten: a taken id gets a suffix, and the
report says so.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .. import model as m
from .. import spreadsheets as sheets
from .. import store
from ..config import STATISTICS_FILE
from ..errors import ConfigError, Problem
from ..messages import SWEDISH, Msg, render
from ..validation_messages import reason
from . import sheet_layout as layout
from .report import ImportReport

MAX_ID = 60  # leaves room for a suffix within the 64 characters of an id


def import_workbook(source: Path, into: Path, *, author: str = store.FALLBACK_NAME,
                    name: str | None = None) -> ImportReport:
    """Write a table per sheet of source into into/statistics.yaml (created or merged).
    name: the file's name as its owner knows it (an upload's), for ids and comments."""
    source, into = Path(source), Path(into)
    shown = name or source.name
    if source.suffix.lower() not in sheets.SUFFIXES:
        raise ConfigError([Problem(source, None, "", Msg("import reads .xlsx and .csv files"))])
    report = ImportReport()
    path = into / STATISTICS_FILE
    loaded = store.read(path)
    data = _plain_statistics(loaded.data, path)
    tables: dict[str, Any] = data["tables"]
    added: dict[str, str] = {}  # id -> where it came from, for a comment above it
    for sheet, grid in _sheets(source):
        if source.suffix.lower() == ".csv":
            sheet = Path(shown).stem  # a CSV file is one sheet, named by its file
        if isinstance(grid, sheets.SheetError):  # names the sheet, or the file read
            report.uncertain.append(
                Msg("{file}: {error}; not imported", file=shown, error=grid.message)
                if source.suffix.lower() == ".csv" else
                Msg("{error}; not imported", error=grid.message))
            continue
        for n, (table, notes) in enumerate(tables_from_grid(grid)):
            if table is None:
                report.uncertain.extend(_on_sheet(sheet, note) for note in notes)
                continue
            wanted = slug(sheet) if n == 0 else f"{slug(sheet)}_{n + 1}"
            table_id = _free_id(wanted, tables)
            if table_id != wanted:
                notes.append(Msg("the table {wanted!r} exists already: imported as {id!r}",
                                 wanted=wanted, id=table_id))
            report.uncertain.extend(_on_sheet(sheet, note) for note in notes)
            tables[table_id] = _flow(table)
            added[table_id] = f"Importerad från {shown}, bladet {sheet} ({grid.range})" + \
                ("; kontrollera: " + "; ".join(render(n, SWEDISH) for n in notes) if notes else "")
            report.count("tables")
    if added:
        _save(path, loaded, data, added, author, shown)
        report.written.append(path)
    return report


def _sheets(source: Path) -> list[tuple[str, Any]]:
    try:
        return sheets.read_sheets(source)
    except sheets.SheetError as e:  # the file as a whole: too large, not a workbook
        raise ConfigError([Problem(source, None, "", e.message)]) from None


def _plain_statistics(tree: Any, path: Path) -> dict[str, Any]:
    data = store.plain(tree) if tree is not None else {}
    if not isinstance(data, dict) or not isinstance(data.get("tables", {}), dict | None):
        raise ConfigError([Problem(path, None, "tables", Msg(
            "statistics.yaml does not hold a mapping of tables; fix it before importing"))])
    data["tables"] = data.get("tables") or {}
    return data


def _save(path: Path, loaded: store.Loaded, data: dict[str, Any], added: dict[str, str],
          author: str, shown: str) -> None:
    tree = store.merge(loaded.data, data)
    for table_id, note in added.items():
        tree["tables"].yaml_set_comment_before_after_key(table_id, before=note, indent=2)
    store.save(path, tree, loaded.version, author=author,
               message=f"Tabeller inlästa från {shown}")


# --- one sheet -------------------------------------------------------------------------

def _on_sheet(sheet: str, note: Msg) -> Msg:
    return Msg("sheet {sheet!r}: {note}", sheet=sheet, note=note)


def tables_from_grid(grid: sheets.Grid) -> list[tuple[dict[str, Any] | None, list[Msg]]]:
    """The tables on a sheet (sheet_layout finds them), each as table_from_grid."""
    found = layout.blocks(grid)
    if not found:
        return [(None, [Msg("{range} holds no table; not imported", range=grid.range)])]
    return [table_from_block(grid, block) for block in found]


def table_from_grid(grid: sheets.Grid) -> tuple[dict[str, Any] | None, list[Msg]]:
    """The first table on a sheet."""
    return tables_from_grid(grid)[0]


def table_from_block(grid: sheets.Grid,
                     block: layout.Block) -> tuple[dict[str, Any] | None, list[Msg]]:
    """A table (plain data that validates) from a block of a sheet's cells, and notes on
    what to check; None (with the reason in the notes) when it holds no table."""
    notes: list[Msg] = []
    body = [(i, grid.cells[i][:block.width]) for i in block.rows]
    if not body:
        return None, [Msg("{range} has only a heading row; not imported", range=grid.range)]
    columns = layout.columns(grid, block)
    values = [[_value(grid, i, j, cell, notes) for j, cell in enumerate(row[1:], start=1)]
              for i, row in body]
    labels = [_label(row[0]) for _i, row in body]
    unit = _unit(values, notes)
    total: dict[str, Any] | None = None
    if unit != "text" and len(body) > 1 and isinstance(labels[-1], str) and \
            labels[-1].casefold() in sheets.TOTAL_LABELS:
        given = [v for v, _p in values[-1]]
        formulas = [cell.formula for cell in body[-1][1][1:]]
        total = {"label": labels[-1]}
        if not all(formulas):  # formulas without results: the sum is computed
            total["values"] = given
        labels, values = labels[:-1], values[:-1]
    table: dict[str, Any] = {}
    if block.title:
        table["title"] = block.title
    table["columns"] = columns
    table["rows"] = [[label, *(v for v, _p in row)] for label, row in zip(labels, values,
                                                                        strict=True)]
    if total is not None:
        table["total"] = total
    if unit != "number":
        table["unit"] = unit
    decimals = _decimals(grid, block)
    if decimals:
        table["decimals"] = decimals
    if (source := layout.source_line(block)) is not None:
        table["source"] = source
    return _checked(table, notes)


def _decimals(grid: sheets.Grid, block: layout.Block) -> int | None:
    """The decimals typed ('11,0', '9,5'): kept when the figures all have as many."""
    counts = set()
    for i in block.rows:
        for cell in grid.cells[i][1:]:
            if isinstance(cell.value, str):
                match = re.fullmatch(r"\s*[-+−]?[\d \u00a0]+[,.](\d+)\s*%?\s*", cell.value)
                counts.add(len(match.group(1)) if match else 0)
    counts.discard(0)
    return counts.pop() if len(counts) == 1 else None


def _label(cell: sheets.SheetCell) -> m.Cell:
    """Headings and row labels are text, years too ('2019'), as a typed table has them."""
    value = sheets.heading(cell)
    return str(value) if isinstance(value, (int, float)) else value


def _value(grid: sheets.Grid, i: int, j: int, cell: sheets.SheetCell,
           notes: list[Msg]) -> tuple[m.Cell, bool]:
    if cell.formula:
        notes.append(Msg("{cell}: {formula} has no value; left empty", cell=grid.ref(i, j),
                         formula=cell.formula.removeprefix("error ")))
        return None, False
    return sheets.figure(cell, grid.decimal)


def _unit(values: list[list[tuple[m.Cell, bool]]], notes: list[Msg]) -> str:
    """text when no cell holds a number; percent when the numbers are percentages."""
    numbers = [p for row in values for v, p in row if isinstance(v, (int, float))]
    if not numbers and any(v is not None for row in values for v, _p in row):
        return "text"
    if any(numbers) and not all(numbers):
        notes.append(Msg("some numbers are percentages and some are not; all are read as "
                         "percent"))
    return "percent" if any(numbers) else "number"


def _checked(table: dict[str, Any], notes: list[Msg]) -> tuple[dict[str, Any] | None, list[Msg]]:
    """The table as it validates: a total that disagrees with the data is an error to
    review, kept as an ordinary row (never replaced by a computed sum)."""
    try:
        m.Table.model_validate(table)
        return table, notes
    except ValidationError as e:
        first = reason(e.errors()[0])
    total = table.get("total")
    if total is not None:
        kept = {**{k: v for k, v in table.items() if k != "total"},
                "rows": [*table["rows"], [total["label"], *(total.get("values") or [])]]}
        try:  # never replaced by a computed sum: the given row stays, as the source has it
            m.Table.model_validate(kept)
            return kept, [*notes, Msg(
                "error: the {label} row disagrees with the data ({reason}); it is kept as "
                "an ordinary row with the source's figures: correct the figures or the "
                "row, then make it the total", label=total["label"], reason=first)]
        except ValidationError:
            pass
    return None, [*notes, Msg("cannot be read as a table: {reason}; not imported",
                              reason=first)]


def _flow(table: dict[str, Any]) -> CommentedMap:
    """The table as YAML a person writes it: a row per line, `columns: [a, b]`."""
    def flow(items: list[Any]) -> CommentedSeq:
        seq = CommentedSeq(items)
        seq.fa.set_flow_style()
        return seq

    node = CommentedMap()
    for key, value in table.items():
        if key == "columns":
            node[key] = flow(value)
        elif key == "rows":
            node[key] = CommentedSeq(flow(row) for row in value)
        elif key == "total":
            total = CommentedMap(label=value["label"])
            if "values" in value:
                total["values"] = flow(value["values"])
            node[key] = total
        else:
            node[key] = value
    return node


# --- ids -------------------------------------------------------------------------------

def slug(name: str) -> str:
    """A table id from a sheet name: 'Anmälda brott 2024' -> 'anmalda_brott_2024'."""
    ascii_ = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_).strip("_")[:MAX_ID].strip("_") or "tabell"


def _free_id(wanted: str, taken: dict[str, Any]) -> str:
    number = 1
    table_id = wanted
    while table_id in taken:
        number += 1
        table_id = f"{wanted}_{number}"
    return table_id
