"""Spreadsheets as Brå's and Polisen's exports look: title and note rows, multi-row
headers, years as headings, numbers typed as text, decimal commas, blank and wrong
totals, formulas with and without stored results, two tables on one sheet."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from . import Case

TITLE = "Anmälda brott i Ekby 2014–2016"
YEARS = ("Brott", "2014", "2015", "2016")
DATA = [("Misshandel", 120, 131, 118), ("Skadegörelse", 340, 322, 301),
        ("Stöld", 512, 498, 470)]
SUMS = ("Totalt", 972, 951, 889)


def _book():
    import openpyxl

    book = openpyxl.Workbook()
    return book, book.active


def title_source_notes(folder: Path) -> Path:
    """A merged title cell over a header of years (numbers), a Totalt row, then a
    'Källa:' row and a note row (finding 1)."""
    book, ws = _book()
    ws.title = "Brott"
    ws.append([TITLE])
    ws.merge_cells("A1:D1")
    ws.append(["Brott", 2014, 2015, 2016])
    for row in DATA:
        ws.append(list(row))
    ws.append(list(SUMS))
    ws.append([])
    ws.append(["Källa: Polisens öppna statistik"])
    ws.append(["Anm: uppgifterna för 2016 är preliminära."])
    path = folder / "titelrad.xlsx"
    book.save(path)
    return path


def decimals_csv(folder: Path) -> Path:
    """Percentages typed with a decimal comma, '11,0' among them (finding 1)."""
    path = folder / "andel-otrygga.csv"
    path.write_text("Område;2022;2023;2024\nCentrum;11,0;12,5;10,0\nNorr;8,5;9,0;7,5\n",
                    encoding="utf-8")
    return path


def blank_total(folder: Path) -> Path:
    """A Totalt row with a blank cell: the source gave no total for that year."""
    book, ws = _book()
    ws.title = "Brott"
    ws.append(list(YEARS))
    for row in DATA:
        ws.append(list(row))
    ws.append(["Totalt", 972, None, 889])
    path = folder / "tom-summa.xlsx"
    book.save(path)
    return path


def wrong_total(folder: Path) -> Path:
    """A Totalt row that disagrees with the data (finding 1: never silently replaced)."""
    book, ws = _book()
    ws.title = "Brott"
    ws.append(list(YEARS))
    for row in DATA:
        ws.append(list(row))
    ws.append(["Totalt", 972, 960, 889])
    path = folder / "fel-summa.xlsx"
    book.save(path)
    return path


def text_numbers(folder: Path) -> Path:
    """Numbers typed as text with spaces and no-break spaces for thousands."""
    path = folder / "brott-text.csv"
    path.write_text("Brott;2023;2024\nStöld;1 046;1\u00a0102\nBedrägeri;2\u00a0310;2 455\n",
                    encoding="utf-8")
    return path


def two_header_rows(folder: Path) -> Path:
    """A header over two rows: a group heading merged over its years."""
    book, ws = _book()
    ws.title = "Anmälda och lagförda"
    ws.append(["Brott", "Anmälda", None, "Lagförda", None])
    ws.append([None, 2023, 2024, 2023, 2024])
    ws.merge_cells("B1:C1")
    ws.merge_cells("D1:E1")
    ws.append(["Misshandel", 131, 118, 40, 35])
    ws.append(["Stöld", 498, 470, 52, 61])
    path = folder / "tva-rubrikrader.xlsx"
    book.save(path)
    return path


def formulas(folder: Path, *, stored: bool) -> Path:
    """Totals as formulas: saved by openpyxl (no stored results), or with the results
    Excel stores next to each formula (<v>)."""
    book, ws = _book()
    ws.title = "Brott"
    ws.append(list(YEARS))
    for row in DATA:
        ws.append(list(row))
    ws.append(["Totalt", "=SUM(B2:B4)", "=SUM(C2:C4)", "=SUM(D2:D4)"])
    name = "formler-lagrade.xlsx" if stored else "formler.xlsx"
    path = folder / name
    book.save(path)
    if stored:
        _store_results(path, dict(zip("BCD", SUMS[1:], strict=True)))
    return path


def _store_results(path: Path, results: dict[str, int]) -> None:
    """Write each formula's result into the sheet, as Excel does on saving."""
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for column, value in results.items():
        sheet = re.sub(rf'(<c r="{column}5"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?',
                       rf"\g<1>\g<2><v>{value}</v>", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)


def two_tables(folder: Path) -> Path:
    """Two tables on one sheet, each under its own title, a blank row between."""
    book, ws = _book()
    ws.title = "Lägesbild"
    ws.append(["Anmälda brott"])
    ws.append(list(YEARS))
    for row in DATA[:2]:
        ws.append(list(row))
    ws.append([])
    ws.append(["Andel otrygga (%)"])
    ws.append(["Område", "2023", "2024"])
    ws.append(["Centrum", 12, 10])
    path = folder / "tva-tabeller.xlsx"
    book.save(path)
    return path


def _rows(*rows: tuple) -> tuple:
    return tuple(tuple(str(c) if c is not None else "" for c in row) for row in rows)


SHEET_CASES = [
    Case("titelrad", "sheet", "a merged title row above a header of years, a Totalt row, "
         "'Källa:' and note rows", title_source_notes,
         [("table", _rows(YEARS, *DATA)), ("table_title", TITLE),
          ("table_total", ("972", "951", "889")),
          ("table_source", "Polisens öppna statistik. Anm: uppgifterna för 2016 är "
                           "preliminära.")],
         [("table", _rows((TITLE, "", "", "")))], finding=1),
    Case("decimaler", "sheet", "decimal commas, '11,0' kept with its decimal", decimals_csv,
         [("table", _rows(("Område", "2022", "2023", "2024"), ("Centrum", 11.0, 12.5, 10.0),
                          ("Norr", 8.5, 9.0, 7.5))), ("table_decimals", 1)], finding=1),
    Case("tom-summa", "sheet", "a Totalt row with a blank cell", blank_total,
         [("table", _rows(YEARS, *DATA)), ("table_total", ("972", "", "889"))],
         [("table_total", ("972", "951", "889"))], finding=1),
    Case("fel-summa", "sheet", "a Totalt row that disagrees with the data", wrong_total,
         [("flag", "total"), ("table", _rows(YEARS, *DATA, ("Totalt", 972, 960, 889)))],
         [("table_total", ("972", "951", "889")), ("table_total", ())], finding=1),
    Case("text-siffror", "sheet", "numbers typed as text with spaces and no-break spaces",
         text_numbers,
         [("table", _rows(("Brott", "2023", "2024"), ("Stöld", 1046, 1102),
                          ("Bedrägeri", 2310, 2455)))]),
    Case("tva-rubrikrader", "sheet", "a header over two rows (a group over its years)",
         two_header_rows,
         [("table", _rows(("Brott", "Anmälda 2023", "Anmälda 2024", "Lagförda 2023",
                           "Lagförda 2024"), ("Misshandel", 131, 118, 40, 35),
                          ("Stöld", 498, 470, 52, 61)))]),
    Case("formler", "sheet", "totals as formulas without stored results",
         lambda folder: formulas(folder, stored=False),
         # A total without values prints its sums (facts compare totals as printed).
         [("table", _rows(YEARS, *DATA)), ("table_total", ("972", "951", "889"))]),
    Case("formler-lagrade", "sheet", "totals as formulas with their results stored",
         lambda folder: formulas(folder, stored=True),
         [("table", _rows(YEARS, *DATA)), ("table_total", ("972", "951", "889"))]),
    Case("tva-tabeller", "sheet", "two tables on one sheet, each under its title", two_tables,
         [("table", _rows(YEARS, *DATA[:2])), ("table_title", "Anmälda brott"),
          ("table", _rows(("Område", "2023", "2024"), ("Centrum", 12, 10))),
          ("table_title", "Andel otrygga (%)")]),
]
