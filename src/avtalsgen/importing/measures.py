"""Brå's action plan out to Excel for a follow-up meeting, and its statuses back.

`export_measures` writes one row per measure (Nr, Orsak, Åtgärd, Operativa mål, När,
Vem, Uppföljning, Status) on a protected sheet where only Uppföljning and Status can be
edited, Status from a drop-down list; a hidden column holds each row's place in the
YAML ("sections[1].content[0].measures.causes[0].measures[1]"). `import_measures`
reads the sheet back and changes only `status` and `follow_up` of those measures,
through the store (comments stay, the diff shows only those lines). A row whose
measure is no longer the one the sheet names is refused, and then nothing is written.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import model as m
from .. import output, store
from .. import spreadsheets as sheets
from ..config import dotted, load_yaml
from ..context import MEASURE_COLUMNS, STATUS
from ..errors import ConfigError, Problem
from ..messages import Msg
from ..validate import document_blocks, is_slug, problems_from
from ..validation_messages import reason
from .report import ImportReport

SHEET_TITLE = "Åtgärder"
PATH_HEADING = "Sökväg (ändra inte)"
HEADINGS = ["Nr", *MEASURE_COLUMNS, "Status", PATH_HEADING]
EDITABLE = ("Uppföljning", "Status")
WIDTHS = {"Nr": 6, "Orsak": 32, "Åtgärd": 36, "Operativa mål": 28, "När": 12, "Vem": 24,
          "Uppföljning": 40, "Status": 10, PATH_HEADING: 50}
WORDS = {key: word for key, (word, _fill) in STATUS.items()}  # green -> Grön
STATUS_OF = {word.casefold(): key for key, word in WORDS.items()} | {k: k for k in STATUS}


@dataclass(frozen=True)
class Row:
    """One measure as exported: its number, texts and place in the YAML."""

    number: str
    cause: str
    measure: m.Measure
    path: tuple[Any, ...]


# --- the plan ------------------------------------------------------------------------

def _document(folder: Path, doc: str) -> tuple[Path, m.Document]:
    """The validated document doc of a municipality folder."""
    if not is_slug(doc):
        raise ConfigError([Problem(doc, None, "", Msg("not a document name (lower-case a-z, "
                                                       "digits, - and _)"))])
    path = Path(folder) / f"{doc}.yaml"
    source = load_yaml(path)
    try:
        return path, m.Document.model_validate(source.data)
    except ValidationError as e:
        raise ConfigError(problems_from(e, source)) from None


def measure_rows(document: m.Document) -> list[Row]:
    """Every measure of every Brå table in the document, numbered as printed (1.1, 1.2
    per table), with its field path."""
    rows = []
    # document_blocks gives the cover and closing first: put them in reading order.
    order = {"cover": 0, "sections": 1, "closing": 2}
    blocks = sorted(document_blocks(document), key=lambda found: order.get(found[1][0], 1))
    for block, path in blocks:
        if not isinstance(block, m.MeasuresBlock):
            continue
        for i, cause in enumerate(block.measures.causes):
            for j, measure in enumerate(cause.measures):
                rows.append(Row(f"{i + 1}.{j + 1}", cause.cause, measure,
                                (*path, "measures", "causes", i, "measures", j)))
    return rows


# --- export ----------------------------------------------------------------------------

def export_measures(folder: Path, doc: str, target: Path) -> Path:
    """Write the document's measures to target (.xlsx; a folder gets <doc>-uppfoljning.xlsx)
    for a follow-up meeting; returns the file written."""
    path, document = _document(Path(folder), doc)
    rows = measure_rows(document)
    if not rows:
        raise ConfigError([Problem(path, None, "", Msg("the document has no measures (Brå's "
                                                        "action-plan table) to export"))])
    target = Path(target)
    if target.is_dir():
        target = target / f"{doc}-uppfoljning.xlsx"
    output.write_atomic(target, _workbook_bytes(rows, document.title))
    return target


def _workbook_bytes(rows: list[Row], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = SHEET_TITLE
    book.properties.title = title[:255]
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append([_text(v, sheet) for v in _cells(row)])
    _format(sheet, len(rows))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cells(row: Row) -> list[str]:
    measure = row.measure
    return [row.number, row.cause, measure.measure, measure.goal, measure.when, measure.who,
            measure.follow_up, WORDS.get(measure.status or "", ""), dotted(row.path)]


def _text(value: str, sheet: Any) -> Any:
    """A cell that stays text: '=…' typed in a plan must never become a formula."""
    from openpyxl.cell.cell import WriteOnlyCell

    if not value.startswith("="):
        return value or None
    cell = WriteOnlyCell(sheet, value)  # the sheet's next append places it, with its type
    cell.data_type = "s"
    return cell


def _format(sheet: Any, count: int) -> None:
    """Bold, locked heading row; only Uppföljning and Status editable; a status list."""
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, heading in enumerate(HEADINGS, start=1):
        letter = get_column_letter(j)
        sheet.column_dimensions[letter].width = WIDTHS[heading]
        for i in range(2, count + 2):
            cell = sheet.cell(i, j)
            cell.alignment = wrap
            if heading in EDITABLE:
                cell.protection = Protection(locked=False)
    sheet.column_dimensions[_letter(PATH_HEADING)].hidden = True
    sheet.freeze_panes = "A2"
    status = f"{_letter('Status')}2:{_letter('Status')}{count + 1}"
    _status_list(sheet, status)
    _status_colours(sheet, status)
    sheet.protection.sheet = True  # no password: it guards against slips, not people
    sheet.protection.formatColumns = False  # widths may still be changed
    sheet.protection.formatRows = False


def _letter(heading: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(HEADINGS.index(heading) + 1)


def _status_list(sheet: Any, cells: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    words = ",".join(WORDS.values())
    check = DataValidation(type="list", formula1=f'"{words}"', allow_blank=True,
                           showErrorMessage=True, errorTitle="Status",
                           error=f"Välj {', '.join(WORDS.values())} eller lämna tomt.",
                           promptTitle="Status", prompt="Grön: enligt plan, Gul: risk, "
                           "Röd: avvikelse; tomt: ingen status.", showInputMessage=True)
    sheet.add_data_validation(check)
    check.add(cells)


def _status_colours(sheet: Any, cells: str) -> None:
    """The same fills as in the Word table (the word is there too: never colour alone)."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill

    for word, fill in STATUS.values():
        sheet.conditional_formatting.add(cells, CellIsRule(
            operator="equal", formula=[f'"{word}"'], fill=PatternFill(bgColor=fill)))


# --- import ----------------------------------------------------------------------------

def import_measures(folder: Path, doc: str, source: Path, *, author: str) -> ImportReport:
    """Set each measure's status and follow-up from an exported (and edited) sheet; every
    other field stays as it is. Refused, with nothing written, when a row no longer
    matches its measure (the plan was edited since the export)."""
    path, document = _document(Path(folder), doc)
    loaded = store.read(path)
    known = {dotted(r.path): r for r in measure_rows(document)}
    changes, problems = _changes(_sheet_rows(Path(source)), known, Path(source))
    if problems:
        raise ConfigError(problems)
    report = ImportReport()
    data = copy.deepcopy(store.plain(loaded.data))
    changed = _apply(data, changes, report)
    if changed:
        tree = store.merge(loaded.data, data)
        store.save(path, tree, loaded.version, author=author,
                   message=f"Uppföljning av åtgärder från {Path(source).name}")
        report.written.append(path)
    return report


@dataclass(frozen=True)
class _SheetRow:
    number: int  # the row in the sheet, as Excel shows it
    cells: dict[str, sheets.SheetCell]


def _sheet_rows(source: Path) -> list[_SheetRow]:
    """The rows of the exported sheet, by heading; a sheet without them is refused."""
    try:
        grid = sheets.read_grid(source)
    except sheets.SheetError as e:
        raise ConfigError([Problem(source, None, "", e.message)]) from None
    headings = [sheets.heading(c) for c in grid.cells[0]]
    missing = [h for h in ("Nr", "Åtgärd", *EDITABLE, PATH_HEADING) if h not in headings]
    if missing or grid.top != 1:
        raise ConfigError([Problem(source, None, "", Msg(
            "not a sheet exported by avtalsgen (missing the columns {columns}); export the "
            "measures again", columns=", ".join(missing)))])
    out = []
    for i, row in enumerate(grid.cells[1:], start=1):
        if any(c.value is not None for c in row):
            out.append(_SheetRow(grid.top + i, {h: c for h, c in zip(headings, row,
                                                                     strict=True)
                                                if isinstance(h, str)}))
    return out


def _changes(rows: list[_SheetRow], known: dict[str, Row],
             source: Path) -> tuple[dict[str, tuple[str | None, str]], list[Problem]]:
    """path -> (status, follow-up) per row, and the rows refused (named by row)."""
    changes: dict[str, tuple[str | None, str]] = {}
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for row in rows:
        where = f"row {row.number}"
        try:
            path = _row_path(row, known)
            if path in seen:
                raise _Refused(Msg("the same measure as row {row} (a copied row?)",
                                      row=seen[path]))
            seen[path] = row.number
            changes[path] = (_status(row), _follow_up(row, known[path]))
        except _Refused as e:
            number = _cell_text(row.cells.get("Nr"))
            problems.append(Problem(source, None, f"{where} ({number})" if number else where,
                                    e.args[0]))
    return changes, problems


class _Refused(Exception):
    pass


def _row_path(row: _SheetRow, known: dict[str, Row]) -> str:
    """The row's measure path, checked against the plan as it is now."""
    path = _cell_text(row.cells.get(PATH_HEADING))
    if not path:
        raise _Refused(Msg("no path in the hidden column (a row added by hand?); new "
                           "measures are added in the plan, not in the sheet"))
    current = known.get(path)
    if current is None:
        raise _Refused(Msg("the plan has no measure at {path} any more; it was edited since "
                           "the export: export again and copy the follow-up over", path=path))
    written = _cell_text(row.cells.get("Åtgärd"))
    if _same_text(written, current.measure.measure):
        return path
    raise _Refused(Msg("the measure is {sheet!r} in the sheet but {plan!r} in the plan at "
                       "{path}; the plan or the sheet was edited since the export: export "
                       "again and copy the follow-up over", sheet=written,
                       plan=current.measure.measure, path=path))


def _status(row: _SheetRow) -> str | None:
    text = _cell_text(row.cells.get("Status"))
    if not text:
        return None
    status = STATUS_OF.get(text.casefold())
    if status is None:
        raise _Refused(Msg("the status {text!r} is not {words} or empty", text=text,
                           words=", ".join(WORDS.values())))
    return status


def _follow_up(row: _SheetRow, current: Row) -> str:
    cell = row.cells.get("Uppföljning")
    if cell is not None and cell.formula:
        raise _Refused(Msg("Uppföljning holds a formula without a value; write the text"))
    text = _cell_text(cell)
    if _same_text(text, current.measure.follow_up):
        return current.measure.follow_up  # unchanged: keeps its exact form
    try:
        m.Measure.model_validate({"measure": current.measure.measure, "follow_up": text})
    except ValidationError as e:
        raise _Refused(Msg("Uppföljning: {reason}", reason=reason(e.errors()[0]))) from None
    return text


def _cell_text(cell: sheets.SheetCell | None) -> str:
    if cell is None or cell.value is None:
        return ""
    value = sheets.heading(cell)
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


def _same_text(a: str, b: str) -> bool:
    return a.strip() == b.replace("\r\n", "\n").strip()


def _apply(data: Any, changes: dict[str, tuple[str | None, str]],
           report: ImportReport) -> bool:
    """Set status and follow_up in the plain data; True when anything changed."""
    changed = False
    for path, (status, follow_up) in changes.items():
        measure = _at(data, _parse_path(path))
        if measure.get("status") != status:
            _set(measure, "status", status)
            report.count("statuses")
            changed = True
        if measure.get("follow_up", "") != follow_up:
            _set(measure, "follow_up", follow_up)
            report.count("follow-ups")
            changed = True
    return changed


def _set(measure: dict[str, Any], key: str, value: str | None) -> None:
    """An empty value is the field's default: the key goes rather than holding ''."""
    if value in (None, ""):
        measure.pop(key, None)
    else:
        measure[key] = value


def _parse_path(path: str) -> tuple[str | int, ...]:
    """'sections[1].content[0].measures' -> ('sections', 1, 'content', 0, 'measures')."""
    return tuple(int(index) if index else name
                 for name, index in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", path))


def _at(data: Any, path: tuple[str | int, ...]) -> dict[str, Any]:
    for part in path:
        data = data[part]
    return data

