"""Statistics tables that read their figures from a spreadsheet (`from:` in
statistics.yaml): filled in the validation stage, on every load, with the same checks
as typed tables and problems that name the sheet and the cell."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from . import model as m
from .config import Source, dotted
from .errors import Problem
from .formatting import procent
from .messages import Msg
from .spreadsheets import (
    MAX_CELL_PROBLEMS,
    SUFFIXES,
    TOTAL_LABELS,
    Grid,
    SheetCell,
    SheetError,
    figure,
    heading,
    read_grid,
)
from .validation_messages import reason


class _CellProblems(Exception):
    def __init__(self, problems: Sequence[tuple[str, str | Msg]]) -> None:
        self.problems = problems  # (key of `from` or "", message)


def fill_tables(folder: Path, stats: m.Statistics, source: Source,
                problems: list[Problem]) -> tuple[m.Statistics | None, list[Path]]:
    """The tables with `from:` filled from their files (read now, every time), each
    checked as a typed table is; problems name the sheet and the cell."""
    tables = dict(stats.tables)
    read: list[Path] = []
    failed = False
    for table_id, table in stats.tables.items():
        if table.from_ is None:
            continue
        where = ("tables", table_id, "from")
        try:
            tables[table_id] = filled(folder, table)
            read.append(folder / table.from_.file)
        except _CellProblems as e:
            failed = True
            for key, message in e.problems:
                path = (*where, key) if key else where
                problems.append(Problem(source.path, source.line_of(path), dotted(path),
                                        message))
    if failed:
        return None, read
    return stats.model_copy(update={"tables": tables}), read


def filled(folder: Path, table: m.Table) -> m.Table:
    """table with its columns and rows read from its file; _CellProblems otherwise."""
    from .validate import check_inside  # validate imports this module

    assert table.from_ is not None
    spec = table.from_
    outside = check_inside(folder, spec.file, SUFFIXES)
    if outside:
        raise _CellProblems([("file", outside)])
    try:
        grid = read_grid(folder / spec.file, spec.sheet, spec.range)
    except SheetError as e:
        raise _CellProblems([(e.field, e.message)]) from None
    columns, rows, cell_problems = _table_cells(grid, table)
    if cell_problems:
        raise _CellProblems([("", p) for p in _capped(cell_problems)])
    data = table.model_dump(exclude={"from_", "columns", "rows"}, exclude_unset=True)
    try:
        return m.Table.model_validate({**data, "columns": columns, "rows": rows})
    except ValidationError as e:
        raise _CellProblems(_located(e, grid)) from None


def _capped(messages: list[Msg]) -> list[Msg]:
    if len(messages) <= MAX_CELL_PROBLEMS:
        return messages
    rest = len(messages) - MAX_CELL_PROBLEMS
    return [*messages[:MAX_CELL_PROBLEMS], Msg("… and {n} more cells like these", n=rest)]


def _table_cells(grid: Grid, table: m.Table) -> tuple[list[m.Cell], list[list[m.Cell]],
                                                      list[Msg]]:
    """Columns, rows and the problems of the cells, each named by sheet and cell."""
    problems: list[Msg] = []
    columns = [heading(c) for c in grid.cells[0]]
    body = [(i, row) for i, row in enumerate(grid.cells[1:], start=1)
            if any(c.value is not None or c.formula for c in row)]
    if not body:
        raise _CellProblems([("range" if table.from_ and table.from_.range else "",
                              Msg("{sheet}: {range} has no rows below the heading row",
                                  sheet=grid.sheet, range=grid.range))])
    total_row = _total_row(body, table)
    if total_row is not None:
        body = body[:-1]
    rows = [_row(grid, i, row, table, problems) for i, row in body]
    for j, cell in enumerate(grid.cells[0]):
        if cell.formula:
            problems.append(_formula_problem(grid.ref(0, j), cell.formula))
    if total_row is not None:
        problems.extend(_total_problems(grid, total_row, rows, checked=not problems))
    return columns, rows, problems


def _total_row(body: list[tuple[int, list[SheetCell]]], table: m.Table) -> \
        tuple[int, list[SheetCell]] | None:
    """The range's last row when it is the source's total and the table sums itself."""
    if table.total is None or len(body) < 2:
        return None
    label = heading(body[-1][1][0])
    names = {*TOTAL_LABELS, table.total.label.casefold()}
    return body[-1] if isinstance(label, str) and label.casefold() in names else None


def _row(grid: Grid, i: int, row: list[SheetCell], table: m.Table,
         problems: list[Msg]) -> list[m.Cell]:
    out: list[m.Cell] = [heading(row[0])]
    if row[0].formula:
        problems.append(_formula_problem(grid.ref(i, 0), row[0].formula))
    for j, cell in enumerate(row[1:], start=1):
        ref = grid.ref(i, j)
        if cell.formula:
            problems.append(_formula_problem(ref, cell.formula))
            out.append(None)
            continue
        if table.unit == "text":
            out.append(heading(cell))
            continue
        value, percent = figure(cell, grid.decimal)
        if percent and table.unit != "percent":
            shown = procent(value) if isinstance(value, (int, float)) else value
            problems.append(Msg("{cell}: a percentage ({shown}) in a table of unit {unit}; "
                                "write unit: percent", cell=ref, shown=shown,
                                unit=table.unit))
        elif isinstance(value, str) and table.total is not None:
            problems.append(Msg("{cell}: text {value!r} where a number is needed", cell=ref,
                                value=value))
        out.append(value)
    return out


def _formula_problem(ref: str, formula: str) -> Msg:
    if formula.startswith("error "):
        return Msg("{cell}: the cell shows the {formula} where a value is needed", cell=ref,
                   formula=formula)
    return Msg("{cell}: the formula {formula} has no computed value (saved by a program "
               "that does not calculate); open the file in Excel or LibreOffice and save it "
               "again", cell=ref, formula=formula)


def _total_problems(grid: Grid, total: tuple[int, list[SheetCell]], rows: list[list[m.Cell]],
                    *, checked: bool) -> list[Msg]:
    """The source's own total row, checked against the sum of the data (when the data
    itself is fine: checked)."""
    i, cells = total
    problems: list[Msg] = []
    for j, cell in enumerate(cells[1:], start=1):
        if cell.formula:
            problems.append(_formula_problem(grid.ref(i, j), cell.formula))
            continue
        value, _percent = figure(cell, grid.decimal)
        if value is None or not checked:
            continue
        if isinstance(value, str):
            problems.append(Msg("{cell}: text {value!r} where a number is needed",
                                cell=grid.ref(i, j), value=value))
            continue
        got = sum(r[j] for r in rows if isinstance(r[j], (int, float)))  # type: ignore[misc]
        if abs(float(value) - float(got)) > 1e-9 * max(1, abs(got)):
            problems.append(Msg("{cell}: the total {value!r} disagrees with the sum of the "
                                "data ({sum!r})", cell=grid.ref(i, j), value=value, sum=got))
    return problems


def _located(error: ValidationError, grid: Grid) -> list[tuple[str, Msg]]:
    """Pydantic's errors about the read data, at the cell they come from."""
    out: dict[tuple[str, Msg], None] = {}  # one message per cell, not one per union member
    for err in error.errors(include_url=False):
        loc = [p for p in err["loc"] if isinstance(p, int) or p in ("rows", "columns")]
        message = reason(err)
        if err["type"].endswith("_type") or err["type"].endswith("_parsing"):
            continue  # a cell that fits no member of the Cell union: reported as such below
        if loc[:1] == ["rows"] and len(loc) >= 3 and isinstance(loc[1], int) and \
                isinstance(loc[2], int):
            out[("", Msg("{cell}: {reason}", cell=grid.ref(_sheet_row(grid, loc[1]), loc[2]),
                         reason=message))] = None
        elif loc[:1] == ["columns"] and len(loc) >= 2 and isinstance(loc[1], int):
            out[("", Msg("{cell}: {reason}", cell=grid.ref(0, loc[1]), reason=message))] = None
        else:
            out[("", Msg("{cell}: {reason}", cell=f"{grid.sheet}!{grid.range}",
                         reason=message))] = None
    return list(out) or [("", Msg("{cell}: {reason}", cell=f"{grid.sheet}!{grid.range}",
                                  reason=reason(error.errors()[0])))]


def _sheet_row(grid: Grid, index: int) -> int:
    """The grid row of data row index (empty rows of the range are skipped)."""
    body = [i for i, row in enumerate(grid.cells[1:], start=1)
            if any(c.value is not None or c.formula for c in row)]
    return body[index] if index < len(body) else index + 1
