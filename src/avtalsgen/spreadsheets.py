"""Spreadsheets a municipality keeps its figures in (.xlsx, .csv), read as a grid of named
cells (C7), with bounds: for tables with `from:` (validate stage) and for imports.

A workbook is vetted as a package first (size unpacked, no DTDs), then read by openpyxl
in read-only mode with the values Excel last computed (data_only); a second pass sees
the formulas, so a formula without a computed value is named instead of read as empty.
A CSV file's delimiter (, ; tab) and decimal separator are detected; text such as
"1 046" or "10,6" reads as a number.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import model as m
from .files import _regular_size
from .importing import limits
from .messages import Msg

MAX_SHEET_BYTES = 10_000_000  # a spreadsheet file on disk
# A workbook's parts: their number, each one's and all together's size unpacked, and
# how much larger than packed a part may be (a zip bomb) are limits.check_parts's.
MAX_UNPACKED_BYTES = limits.MAX_UNPACKED_BYTES
MAX_CSV_CELLS = limits.MAX_CSV_CELLS  # fields of a CSV file, empty ones too
MAX_CELLS = 10_000  # cells in the range a table is read from
MAX_SCANNED = 1_000_000  # cells (empty, formatted ones too) looked at to find a used range
MAX_CELL_PROBLEMS = 20  # per table; the rest are counted
SUFFIXES = (".xlsx", ".csv")
# Written in a figures cell for "no value": printed as a dash, like an empty cell.
MISSING = frozenset({"", "-", "–", "—", "..", "."})
TOTAL_LABELS = frozenset({"totalt", "summa", "total", "summa totalt"})
_SPACES = "\u0020\u00a0\u202f\u2009"  # grouping in "1 046" (Excel uses a no-break space)


class SheetError(Exception):
    """A spreadsheet cannot be read as asked. `field` is the key of `from` it concerns
    (file, sheet, range), or "" when the message names a cell."""

    def __init__(self, message: Msg, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class SheetCell:
    value: Any  # None, str, int, float, bool, datetime
    percent: bool = False  # formatted as a percentage (xlsx; CSV text says so itself)
    formula: str | None = None  # a formula without a computed value


EMPTY = SheetCell(None)


@dataclass
class Grid:
    """A rectangle of cells: row 0 is the range's first row."""

    sheet: str  # the sheet's name; for a CSV file, the file's name
    top: int  # the first row's number (1-based)
    left: int  # the first column's number
    cells: list[list[SheetCell]]
    decimal: str = ","  # decimal separator of numbers written as text

    def ref(self, i: int, j: int) -> str:
        """'Anmälda brott!C7': the sheet and the cell, as a person finds it."""
        return f"{self.sheet}!{_cell_name(self.top + i, self.left + j)}"

    @property
    def range(self) -> str:
        bottom = self.top + len(self.cells) - 1
        right = self.left + (len(self.cells[0]) if self.cells else 1) - 1
        return f"{_cell_name(self.top, self.left)}:{_cell_name(bottom, right)}"


def _cell_name(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


# --- reading -------------------------------------------------------------------------

def read_grid(path: Path, sheet: str | None = None, cell_range: str | None = None) -> Grid:
    """The cells of one sheet (the first one by default) in a range (default: the used
    range); SheetError says why it cannot be read."""
    _check_size(path)
    if path.suffix.lower() == ".csv":
        if sheet is not None:
            raise SheetError(Msg("{file} is a CSV file, which has no sheets; remove sheet",
                                 file=path.name), "sheet")
        return _csv_grid(path, cell_range)
    _check_package(path)
    with _Workbook(path) as book:
        return book.grid(book.sheet(sheet), cell_range)


def read_sheets(path: Path) -> list[tuple[str, Grid | SheetError]]:
    """Every sheet of a workbook (or the one of a CSV file) in its used range, or why it
    cannot be read (empty, a chart, too large), in the workbook's order."""
    _check_size(path)
    if path.suffix.lower() == ".csv":
        try:
            return [(path.stem, _csv_grid(path, None))]
        except SheetError as e:
            return [(path.stem, e)]
    _check_package(path)
    out: list[tuple[str, Grid | SheetError]] = []
    with _Workbook(path) as book:
        for name in book.data.sheetnames:
            try:
                out.append((name, book.grid(book.sheet(name), None)))
            except SheetError as e:
                out.append((name, e))
    return out


def _check_size(path: Path) -> None:
    try:
        size = _regular_size(path)
    except ValueError as e:
        raise SheetError(Msg("{file}: {reason}", file=path.name, reason=str(e)), "file") from None
    if size > MAX_SHEET_BYTES:
        raise SheetError(Msg("{file} is larger than {mb} MB", file=path.name,
                             mb=MAX_SHEET_BYTES // 1_000_000), "file")


def _check_package(path: Path) -> None:
    """A workbook is a zip of XML parts: bounded when unpacked, and without DTDs (entity
    expansion), before openpyxl parses it."""
    try:
        with zipfile.ZipFile(path) as package:
            infos = package.infolist()
            try:  # from the central directory: nothing is unpacked yet
                limits.check_parts(infos)
            except limits.ImportLimitError as e:
                raise SheetError(Msg("{file}: {reason}", file=path.name, reason=str(e)),
                                 "file") from None
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    with package.open(info) as part:
                        if b"<!DOCTYPE" in part.read(4096):
                            raise SheetError(Msg("{file}: the part {part} declares a DTD; "
                                                 "refused", file=path.name,
                                                 part=info.filename), "file")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as e:
        raise SheetError(Msg("{file} is not an Excel workbook (.xlsx): {error}",
                             file=path.name, error=str(e)), "file") from None


class _Workbook:
    """A workbook opened twice: computed values, and formulas (to find the uncomputed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = self._open(data_only=True)
        self.formulas = self._open(data_only=False)

    def _open(self, *, data_only: bool) -> Any:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=data_only,
                                          keep_links=False)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError,
                OSError, SyntaxError) as e:  # SyntaxError: XML that does not parse
            raise SheetError(Msg("{file} cannot be read as an Excel workbook (.xlsx): "
                                 "{error}", file=self.path.name, error=str(e)), "file") from None

    def __enter__(self) -> _Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.data.close()
        self.formulas.close()

    def sheet(self, name: str | None) -> str:
        """The name of the sheet to read: the one asked for, or the first with cells."""
        cells = [ws.title for ws in self.data.worksheets]
        if name is None:
            if not cells:
                raise SheetError(Msg("{file} has no sheet with cells", file=self.path.name),
                                 "sheet")
            return cells[0]
        if name in cells:
            return name
        if name in self.data.sheetnames:
            raise SheetError(Msg("the sheet {name!r} holds a chart, not cells", name=name),
                             "sheet")
        close = difflib.get_close_matches(name, cells, n=1)
        hint = Msg(" (did you mean {name!r}?)", name=close[0]) if close else ""
        listed = ", ".join(repr(n) for n in cells) or Msg("none with cells")
        raise SheetError(Msg("no sheet {name!r} in {file}{hint}; its sheets: {sheets}",
                             name=name, file=self.path.name, hint=hint, sheets=listed),
                         "sheet")

    def grid(self, name: str, cell_range: str | None) -> Grid:
        bounds = _bounds(cell_range) if cell_range else None
        values = _collect(self.data[name], bounds, name)
        formulas = _collect(self.formulas[name], bounds, name)
        found: dict[tuple[int, int], SheetCell] = {}
        for place, cell in values.items():
            found[place] = _sheet_cell(cell)
        for place, cell in formulas.items():
            if cell.data_type == "f" and place not in found:
                found[place] = SheetCell(None, formula=str(cell.value))
        return _grid(name, found, bounds, cell_range)


def _bounds(cell_range: str) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of 'A1:F12', bounded to MAX_CELLS."""
    from openpyxl.utils.cell import range_boundaries

    try:
        c1, r1, c2, r2 = range_boundaries(cell_range.replace("$", "").upper())
    except (ValueError, TypeError):
        raise SheetError(Msg("{range!r} is not a cell range like 'A1:F12'",
                             range=cell_range), "range") from None
    if c1 is None or r1 is None or c2 is None or r2 is None or max(c1, c2) > 16_384:
        raise SheetError(Msg("{range!r} is not a cell range like 'A1:F12'",
                             range=cell_range), "range")
    top, bottom, left, right = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
    cells = (bottom - top + 1) * (right - left + 1)
    if cells > MAX_CELLS:
        raise SheetError(Msg("the range {range} has {cells} cells; at most {most}",
                             range=cell_range, cells=_n(cells), most=_n(MAX_CELLS)), "range")
    return top, left, bottom, right


def _collect(ws: Any, bounds: tuple[int, int, int, int] | None,
             name: str) -> dict[tuple[int, int], Any]:
    """The non-empty cells of a sheet (within bounds), by (row, column)."""
    if bounds is None:
        ws.reset_dimensions()  # a sheet's stated size may be wrong or huge: read what is there
        rows: Iterable[Any] = ws.iter_rows()
        top, left = 1, 1
    else:
        top, left, bottom, right = bounds
        rows = ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right)
    found: dict[tuple[int, int], Any] = {}
    scanned = 0
    box = _Box()
    for i, row in enumerate(rows):
        scanned += len(row) + 1
        if scanned > MAX_SCANNED:
            raise SheetError(Msg("the sheet {name!r} has more than {most} cells (filled or "
                                 "formatted); give a range", name=name,
                                 most=_n(MAX_SCANNED)), "range")
        for j, cell in enumerate(row):
            if _blank(cell.value):
                continue
            found[(top + i, left + j)] = cell
            if bounds is None:
                box.add(top + i, left + j, name)
    return found


class _Box:
    """The bounding box of the cells seen so far, refused once it is over MAX_CELLS."""

    def __init__(self) -> None:
        self.top = self.left = 10**9
        self.bottom = self.right = 0

    def add(self, row: int, column: int, name: str) -> None:
        self.top, self.bottom = min(self.top, row), max(self.bottom, row)
        self.left, self.right = min(self.left, column), max(self.right, column)
        cells = (self.bottom - self.top + 1) * (self.right - self.left + 1)
        if cells > MAX_CELLS:
            shown = f"{_cell_name(self.top, self.left)}:{_cell_name(self.bottom, self.right)}"
            raise SheetError(Msg("the used range of {name!r} ({shown} so far) has more than "
                                 "{most} cells; give a range", name=name, shown=shown,
                                 most=_n(MAX_CELLS)), "range")


def _n(count: int) -> str:
    """A count as Swedish writes it: 10 000."""
    return f"{count:,}".replace(",", " ")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet_cell(cell: Any) -> SheetCell:
    value = cell.value
    if cell.data_type == "e":  # an error value such as #DIV/0!
        return SheetCell(value, formula=f"error {value}")
    percent = isinstance(value, (int, float)) and not isinstance(value, bool) and \
        "%" in (cell.number_format or "")
    return SheetCell(value, percent)


def _grid(name: str, found: dict[tuple[int, int], SheetCell],
          bounds: tuple[int, int, int, int] | None, cell_range: str | None,
          decimal: str = ",") -> Grid:
    if not found:
        raise SheetError(Msg("the range {range} of {name!r} is empty", range=cell_range,
                             name=name) if cell_range else
                         Msg("the sheet {name!r} is empty", name=name),
                         "range" if cell_range else "sheet")
    if bounds is None:
        rows_, cols = [r for r, _ in found], [c for _, c in found]
        bounds = (min(rows_), min(cols), max(rows_), max(cols))
    top, left, bottom, right = bounds
    cells = [[found.get((r, c), EMPTY) for c in range(left, right + 1)]
             for r in range(top, bottom + 1)]
    return Grid(name, top, left, cells, decimal)


# --- CSV -----------------------------------------------------------------------------

def _csv_grid(path: Path, cell_range: str | None) -> Grid:
    text = _csv_text(path)
    delimiter = _delimiter(text)
    try:  # a field over csv's limit (128 KB) is an error: no table cell is that long
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        raise SheetError(Msg("{file} cannot be read as CSV: {error}", file=path.name,
                             error=str(e)), "file") from None
    bounds = _bounds(cell_range) if cell_range else None
    found: dict[tuple[int, int], SheetCell] = {}
    box = _Box()
    if sum(len(row) + 1 for row in rows) > MAX_CSV_CELLS:
        raise SheetError(Msg("{file} has more than {most} cells (empty ones too)",
                             file=path.name, most=_n(MAX_CSV_CELLS)), "file")
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row, start=1):
            if _blank(value) or (bounds and not _inside(i, j, bounds)):
                continue
            found[(i, j)] = SheetCell(value)  # text: figure() reads numbers and %
            if bounds is None:
                box.add(i, j, path.name)
    values = [c.value for c in found.values()]
    return _grid(path.name, found, bounds, cell_range, _decimal(values, delimiter))


def _inside(row: int, column: int, bounds: tuple[int, int, int, int]) -> bool:
    top, left, bottom, right = bounds
    return top <= row <= bottom and left <= column <= right


def _csv_text(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's 'Unicode text'), or
    Windows-1252 (what Excel saves as 'CSV' on a Swedish Windows)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(Msg("{file} is neither UTF-8 nor Windows-1252 text", file=path.name),
                     "file")


def _delimiter(text: str) -> str:
    """csv.Sniffer's guess, checked: the delimiter that splits most lines into the same
    number of fields wins (the sniffer is fooled by commas in decimal numbers)."""
    sample = text[:65_536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[:sample.rindex("\n")]  # whole lines only
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        guess = ";"
    candidates = [guess, *(d for d in ";\t," if d != guess)]
    return max(candidates, key=lambda d: (_consistency(sample, d), -candidates.index(d)))


def _consistency(sample: str, delimiter: str) -> int:
    """How many lines have the most common number of fields, when that is above one."""
    try:
        widths = [len(r) for r in csv.reader(io.StringIO(sample, newline=""),
                                             delimiter=delimiter) if any(f.strip() for f in r)]
    except csv.Error:
        return 0
    counts: dict[int, int] = {}
    for width in widths:
        counts[width] = counts.get(width, 0) + 1
    best = max(counts, key=lambda w: (counts[w], w), default=1)
    return counts[best] if best > 1 else 0


_COMMA_DECIMAL = re.compile(r"^[-+−]?\d+,(\d{1,2}|\d{4,})\s*%?$")
_POINT_DECIMAL = re.compile(r"^[-+−]?\d+\.(\d{1,2}|\d{4,})\s*%?$")


def _decimal(values: list[str], delimiter: str) -> str:
    """The decimal separator: a semicolon or tab file (Swedish Excel) has commas, a comma
    file points, unless the numbers say otherwise (three decimals are ambiguous with
    thousands and do not count)."""
    commas = sum(1 for v in values if _COMMA_DECIMAL.match(v.strip()))
    points = sum(1 for v in values if _POINT_DECIMAL.match(v.strip()))
    if commas and not points:
        return ","
    if points and not commas:
        return "."
    return "." if delimiter == "," else ","


# --- cells as table values -----------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(\d{1,3}(?:[ ]\d{3})+|\d+)(?:[.](\d+))?")


def parse_number(text: str, decimal: str = ",") -> tuple[int | float, bool] | None:
    """A number written as text, Swedish style ('1 046', '10,6', '−3', '10,6 %') or with a
    decimal point; (value, written as a percentage) or None when it is not a number."""
    t = text.strip().replace("\u2212", "-")
    percent = t.endswith("%")
    t = t.removesuffix("%").strip()
    for space in _SPACES:
        t = t.replace(space, " ")
    if decimal == ",":
        if "," in t and "." in t:
            return None  # "1.046,5": grouping by points is not Swedish; left as text
        t = t.replace(",", ".")
    elif re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", t):
        t = t.replace(",", "")  # English grouping: 1,046.5
    if not _NUMBER.fullmatch(t):
        return None
    t = t.replace(" ", "")
    value: int | float = float(t) if "." in t else int(t)
    return value, percent


def heading(cell: SheetCell) -> m.Cell:
    """A column heading or row label as written: text stays text (years too), a whole
    number loses its '.0', a date is written as one."""
    value = cell.value
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "SANT" if value else "FALSKT"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else \
            value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, (int, float)) else str(value)


def figure(cell: SheetCell, decimal: str) -> tuple[int | float | str | None, bool]:
    """A value cell: (a number, a text that is not one, or None; a percentage?). A
    percentage cell holds a fraction (0.106) and becomes percent points (10.6)."""
    value = cell.value
    if value is None:
        return None, False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if cell.percent:
            points = round(value * 100, 9)
            return (int(points) if points.is_integer() else points), True
        return value, False
    if not isinstance(value, str):
        return heading(cell), False
    text = value.strip()
    if text in MISSING:
        return None, False
    parsed = parse_number(text, decimal)
    return (text, False) if parsed is None else parsed


# --- a table with `from:` ------------------------------------------------------------
