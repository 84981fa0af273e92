"""Spreadsheets in and out: tables read from .xlsx/.csv with `from:` (checked like typed
tables, named by sheet and cell, bounded), a workbook imported as tables, and Brå's
measures exported to Excel for a follow-up meeting and read back."""

from __future__ import annotations

import csv
import difflib
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import minimal_municipality, write_municipality
from docx import Document

from avtalsgen import spreadsheets
from avtalsgen.build import load, render_bundle
from avtalsgen.errors import ConfigError
from avtalsgen.importing.measures import export_measures, import_measures
from avtalsgen.importing.sheets import import_workbook, slug
from avtalsgen.schema import json_schema

NBSP = "\u00a0"
# The figures as a typed table has them; the spreadsheets below hold the same.
TYPED = {"columns": ["Brottstyp", "2023", "2024"],
         "rows": [["Våld", 1046, 10.6], ["Stöld", 20, 18]],
         "total": {"label": "Totalt"}, "source": "BRÅ"}
EXPECTED = [["Brottstyp", "2023", "2024"],
            ["Våld", f"1{NBSP}046", "10,6"],
            ["Stöld", "20", "18"],
            ["Totalt", f"1{NBSP}066", "28,6"]]


# --- helpers ---------------------------------------------------------------------------

def plan(*table_ids: str, **extra) -> dict:
    return {"type": "action_plan", "title": "Handlingsplan", "sections": [
        {"heading": "Läget", "content": [{"table": t} for t in table_ids]}], **extra}


def municipality(folder: Path, tables: dict, documents: dict | None = None) -> Path:
    return write_municipality(folder, minimal_municipality(),
                              documents or {"plan": plan(*tables)}, {"tables": tables})


def workbook(path: Path, sheets: dict[str, list[list]], formats: dict | None = None) -> Path:
    """An .xlsx file: rows per sheet; formats {(sheet, cell): number_format}."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    for (name, cell), number_format in (formats or {}).items():
        book[name][cell].number_format = number_format
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], delimiter: str) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def rendered_tables(folder: Path) -> list[list[list[str]]]:
    """Every table of the rendered plan, as the text of its cells."""
    out = folder.parent / "out.docx"
    out.write_bytes(render_bundle(load(folder))["plan"])
    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(str(out)).tables]


def problems(folder: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load(folder)
    return str(caught.value)


# A sheet with a title above the table, so the range is needed; Swedish text numbers.
SHEET = [["Anmälda brott i Exempelby"],
         ["Brottstyp", 2023, 2024],
         ["Våld", "1 046", "10,6"],
         ["Stöld", 20, 18]]


# --- from: in statistics.yaml ----------------------------------------------------------

def test_from_xlsx_renders_as_the_typed_table(tmp_path: Path) -> None:
    folder = tmp_path / "exempelby"
    document = plan("typed", "sheet")
    document["sections"][0]["content"].append(
        {"chart": {"table": "sheet", "kind": "bar", "caption": "Brott", "alt": "Brott"}})
    municipality(folder, {"typed": TYPED, "sheet": {
        "from": {"file": "brott.xlsx", "sheet": "Anmälda brott", "range": "A2:C4"},
        "total": {"label": "Totalt"}, "source": "BRÅ"}}, {"plan": document})
    workbook(folder / "brott.xlsx", {"Översikt": [["annat"]], "Anmälda brott": SHEET})
    typed, from_sheet = rendered_tables(folder)
    assert typed == EXPECTED
    assert from_sheet == typed


@pytest.mark.parametrize(("delimiter", "rows"), [
    (";", [["Brottstyp", "2023", "2024"], ["Våld", "1 046", "10,6"], ["Stöld", "20", "18"]]),
    (",", [["Brottstyp", "2023", "2024"], ["Våld", "1046", "10.6"], ["Stöld", "20", "18"]]),
    ("\t", [["Brottstyp", "2023", "2024"], ["Våld", "1046", "10,6"], ["Stöld", "20", "18"]]),
])
def test_from_csv_renders_as_the_typed_table(tmp_path: Path, delimiter: str,
                                             rows: list[list[str]]) -> None:
    folder = tmp_path / "exempelby"
    municipality(folder, {"typed": TYPED, "sheet": {
        "from": {"file": "brott.csv"}, "total": {"label": "Totalt"}, "source": "BRÅ"}})
    write_csv(folder / "brott.csv", rows, delimiter)
    typed, from_csv = rendered_tables(folder)
    assert from_csv == typed == EXPECTED


def test_csv_range_and_total_row_from_the_source(tmp_path: Path) -> None:
    folder = tmp_path / "exempelby"
    municipality(folder, {"sheet": {"from": {"file": "brott.csv", "range": "B2:D5"},
                                    "total": {"label": "Totalt"}}})
    write_csv(folder / "brott.csv", [
        ["Källa: BRÅ"], ["", "Brottstyp", "2023", "2024"], ["", "Våld", "1 046", "10,6"],
        ["", "Stöld", "20", "18"], ["", "Totalt", "1 066", "28,6"], ["", "not", "in", "range"],
    ], ";")
    [table] = rendered_tables(folder)
    assert table == EXPECTED
    # The source's own total is checked against the data, and the cell named.
    write_csv(folder / "brott.csv", [
        ["Källa: BRÅ"], ["", "Brottstyp", "2023", "2024"], ["", "Våld", "1 046", "10,6"],
        ["", "Stöld", "20", "18"], ["", "Totalt", "1 067", "28,6"]], ";")
    assert "brott.csv!C5: the total 1067 disagrees with the sum of the data (1066)" in \
        problems(folder)


def test_editing_the_spreadsheet_changes_the_document(tmp_path: Path) -> None:
    folder = tmp_path / "exempelby"
    municipality(folder, {"sheet": {"from": {"file": "brott.xlsx"},
                                    "total": {"label": "Totalt"}}})
    path = workbook(folder / "brott.xlsx", {"Blad1": SHEET[1:]})
    first = render_bundle(load(folder))["plan"]
    assert render_bundle(load(folder))["plan"] == first  # unchanged file: same bytes
    book = openpyxl.load_workbook(path)
    book.active["B3"] = 2000
    book.save(path)
    second = render_bundle(load(folder))["plan"]
    assert second != first
    [table] = rendered_tables(folder)
    assert table[2] == ["Stöld", f"2{NBSP}000", "18"]
    assert table[3] == ["Totalt", f"3{NBSP}046", "28,6"]


def test_a_text_cell_is_named_by_sheet_and_cell(cli, tmp_path: Path) -> None:
    folder = tmp_path / "exempelby"
    municipality(folder, {"brott": {
        "from": {"file": "brott.xlsx", "sheet": "Anmälda brott", "range": "A2:C4"},
        "total": {"label": "Totalt"}}})
    sheet = [row[:] for row in SHEET]
    sheet[3][2] = "x"
    workbook(folder / "brott.xlsx", {"Anmälda brott": sheet})
    result = cli("render", str(folder), "--out", "out")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    line = next(n for n, text in enumerate(
        (folder / "statistics.yaml").read_text(encoding="utf-8").splitlines(), start=1)
        if text.strip().startswith("from:"))
    assert (f"statistics.yaml:{line}: tables.brott.from: Anmälda brott!C4: text 'x' where a "
            "number is needed") in result.output
    assert not Path("out").exists()


def test_clean_errors_for_files_sheets_and_ranges(tmp_path: Path) -> None:
    folder = tmp_path / "exempelby"
    workbook(tmp_path / "utanfor.xlsx", {"Blad1": SHEET})
    cases = {
        "../utanfor.xlsx": "tables.brott.from.file: '../utanfor.xlsx' must be a file inside "
                           "the municipality folder",
        "saknas.xlsx": "tables.brott.from.file: file 'saknas.xlsx' not found",
        "brott.txt": "tables.brott.from.file: 'brott.txt' must be one of: .xlsx, .csv",
    }
    for name, expected in cases.items():
        shutil.rmtree(folder, ignore_errors=True)
        municipality(folder, {"brott": {"from": {"file": name}}})
        (folder / "brott.txt").write_text("a;b\n", encoding="utf-8")
        assert expected in problems(folder)
    (folder / "link.xlsx").symlink_to(tmp_path / "utanfor.xlsx")
    municipality(folder, {"brott": {"from": {"file": "link.xlsx"}}})
    assert "points outside the municipality folder" in problems(folder)

    workbook(folder / "brott.xlsx", {"Anmälda brott": SHEET})
    municipality(folder, {"brott": {"from": {"file": "brott.xlsx", "sheet": "Anmälda brot"}}})
    assert ("tables.brott.from.sheet: no sheet 'Anmälda brot' in brott.xlsx (did you mean "
            "'Anmälda brott'?)") in problems(folder)
    municipality(folder, {"brott": {"from": {"file": "brott.xlsx", "range": "A1:Z1000"}}})
    assert "tables.brott.from.range: the range A1:Z1000 has 26 000 cells; at most 10 000" in \
        problems(folder)
    municipality(folder, {"brott": {"from": {"file": "brott.xlsx", "range": "A1-C4"}}})
    assert "tables.brott.from.range: 'A1-C4' is not a cell range like 'A1:F12'" in \
        problems(folder)


def test_a_used_range_over_the_bound_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "exempelby"
    municipality(folder, {"brott": {"from": {"file": "stor.csv"}}})
    write_csv(folder / "stor.csv", [[str(i), *range(20)] for i in range(600)], ";")
    assert "tables.brott.from.range: the used range of 'stor.csv'" in problems(folder)
    assert "more than 10 000 cells; give a range" in problems(folder)
    municipality(folder, {"brott": {"from": {"file": "stor.csv", "range": "A1:E20"}}})
    load(folder)  # a range inside it is fine


def test_a_large_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "exempelby"
    municipality(folder, {"brott": {"from": {"file": "stor.csv"}}})
    (folder / "stor.csv").write_bytes(b"a;1\n" * (spreadsheets.MAX_SHEET_BYTES // 4 + 1))
    assert "tables.brott.from.file: stor.csv is larger than 10 MB" in problems(folder)


def test_formulas_percentages_and_both_sources(tmp_path: Path) -> None:
    folder = tmp_path / "exempelby"
    # openpyxl saves formulas without computed values: named, never read as empty.
    workbook(folder.parent / "f.xlsx", {"Blad1": [["Typ", "2024"], ["Våld", 10],
                                                  ["Stöld", "=B2*2"]]})
    municipality(folder, {"brott": {"from": {"file": "f.xlsx"}}})
    shutil.copy(folder.parent / "f.xlsx", folder / "f.xlsx")
    assert "Blad1!B3: the formula =B2*2 has no computed value" in problems(folder)

    workbook(folder / "p.xlsx", {"Andel": [["Grupp", "2024"], ["Kvinnor", 0.245]]},
             {("Andel", "B2"): "0.0%"})
    municipality(folder, {"andel": {"from": {"file": "p.xlsx"}}})
    assert (f"Andel!B2: a percentage (24,5{NBSP}%) in a table of unit number; write unit: "
            "percent") in problems(folder)
    municipality(folder, {"andel": {"from": {"file": "p.xlsx"}, "unit": "percent"}})
    [table] = rendered_tables(folder)
    assert table == [["Grupp", "2024"], ["Kvinnor", f"24,5{NBSP}%"]]

    municipality(folder, {"andel": {"from": {"file": "p.xlsx"}, "columns": ["a"]}})
    assert "tables.andel.from: give either from (a spreadsheet) or columns, not both" in \
        problems(folder)
    # The editor's form writes empty columns and rows beside from: they type nothing.
    municipality(folder, {"andel": {"from": {"file": "p.xlsx"}, "unit": "percent",
                                    "columns": [], "rows": []}})
    assert rendered_tables(folder) == [table]
    assert "from" in json_schema()["$defs"]["Table"]["properties"]


@pytest.mark.parametrize(("text", "decimal", "value"), [
    ("1 046", ",", (1046, False)), ("1\u00a0046", ",", (1046, False)),
    ("10,6", ",", (10.6, False)), ("10,6 %", ",", (10.6, True)), ("−3", ",", (-3, False)),
    ("10.6", ",", (10.6, False)), ("1,046.5", ".", (1046.5, False)), ("10,6", ".", None),
    ("1.046,5", ",", None), ("12 3", ",", None), ("tolv", ",", None),
])
def test_numbers_written_as_text(text: str, decimal: str, value: tuple | None) -> None:
    assert spreadsheets.parse_number(text, decimal) == value


# --- import_workbook -----------------------------------------------------------------

def test_import_workbook_writes_a_table_per_sheet(tmp_path: Path) -> None:
    folder = municipality(tmp_path / "exempelby", {"typed": TYPED})
    before = (folder / "statistics.yaml").read_text(encoding="utf-8")
    source = workbook(tmp_path / "statistik.xlsx", {
        "Anmälda brott": [["Brottstyp", 2023, 2024], ["Våld", 10, 12], ["Stöld", "1 020", 18],
                          ["Totalt", 1030, 30]],
        "Otrygghet (%)": [["Grupp", "2023"], ["Kvinnor", 0.245], ["Män", 0.098]],
        "Tom": [],
    }, {("Otrygghet (%)", "B2"): "0.0%", ("Otrygghet (%)", "B3"): "0.0%"})
    report = import_workbook(source, folder)
    assert report.written == [folder / "statistics.yaml"]
    assert report.counts == {"tables": 2}
    assert report.notes("en") == ["the sheet 'Tom' is empty; not imported"]
    text = (folder / "statistics.yaml").read_text(encoding="utf-8")
    assert text.startswith(before)  # the existing tables untouched
    tables = load(folder).statistics.tables
    assert set(tables) == {"typed", "anmalda_brott", "otrygghet"}
    crimes = tables["anmalda_brott"]
    assert crimes.columns == ["Brottstyp", "2023", "2024"]
    assert crimes.rows == [["Våld", 10, 12], ["Stöld", 1020, 18]]
    assert crimes.total is not None and crimes.total.values == [1030, 30]
    assert tables["otrygghet"].unit == "percent"
    assert tables["otrygghet"].rows == [["Kvinnor", 24.5], ["Män", 9.8]]
    assert "# Importerad från statistik.xlsx, bladet Anmälda brott (A1:C4)" in text

    again = import_workbook(source, folder)
    assert (folder / "statistics.yaml").read_text(encoding="utf-8").startswith(text)
    assert set(load(folder).statistics.tables) == {
        "typed", "anmalda_brott", "otrygghet", "anmalda_brott_2", "otrygghet_2"}
    assert "the table 'anmalda_brott' exists already: imported as 'anmalda_brott_2'" in \
        " ".join(again.notes("en"))


def test_import_never_replaces_a_disagreeing_total(tmp_path: Path) -> None:
    """A given total that disagrees is an error to review: the source's figures stay
    (as an ordinary row), never a computed sum in their place."""
    folder = tmp_path / "ny"
    source = write_csv(tmp_path / "brott.csv", [["Typ", "2024"], ["Våld", "10"],
                                                ["Stöld", "20"], ["Summa", "31"]], ";")
    report = import_workbook(source, folder, name="Brott 2024.csv")  # an upload's name
    data = yaml.safe_load((folder / "statistics.yaml").read_text(encoding="utf-8"))
    table = data["tables"]["brott_2024"]
    assert "total" not in table and table["rows"][-1] == ["Summa", 31]
    assert "disagrees" in report.notes("en")[0] and report.notes("en")[0].startswith("sheet")


def test_sheet_names_become_ids() -> None:
    assert slug("Anmälda brott 2024") == "anmalda_brott_2024"
    assert slug("Öppna förskolor – Åre") == "oppna_forskolor_are"
    assert slug("%%%") == "tabell"


# --- measures to and from Excel ------------------------------------------------------

MEASURES = {"title": "Handlingsplan 2025", "causes": [
    {"cause": "Ungdomar saknar fritid", "measures": [
        {"measure": "Öppna fritidsgården", "goal": "40 besökare", "when": "Vt 2025",
         "who": "Fritidschef", "follow_up": "Besöksstatistik", "status": "green"},
        {"measure": "=Fältassistenter", "who": "Enhetschef"}]},
    {"cause": "Mörka gångtunnlar", "measures": [
        {"measure": "Byta belysning", "who": "Gatuchef", "status": "red"}]}]}


def measures_folder(tmp_path: Path) -> Path:
    document = {"type": "action_plan", "title": "Handlingsplan", "sections": [
        {"heading": "Områden", "sections": [
            {"heading": "Fritid", "content": ["Inledning.", {"measures": MEASURES}]}]}],
        "closing": [{"measures": {"causes": [{"cause": "Klotter", "measures": [
            {"measure": "Sanera", "follow_up": "Varje vecka"}]}]}}]}
    folder = write_municipality(tmp_path / "exempelby", minimal_municipality(),
                                {"plan": document})
    # A comment and a folded style that the import must keep.
    path = folder / "plan.yaml"
    path.write_text("# Handlingsplanen\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_export_measures_makes_a_protected_sheet(tmp_path: Path) -> None:
    folder = measures_folder(tmp_path)
    target = export_measures(folder, "plan", tmp_path)
    assert target == tmp_path / "plan-uppfoljning.xlsx"
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:8] == ("Nr", "Orsak", "Åtgärd", "Operativa mål", "När", "Vem",
                           "Uppföljning", "Status")
    assert [r[0] for r in rows[1:]] == ["1.1", "1.2", "2.1", "1.1"]
    assert rows[1][1:8] == ("Ungdomar saknar fritid", "Öppna fritidsgården", "40 besökare",
                            "Vt 2025", "Fritidschef", "Besöksstatistik", "Grön")
    assert sheet["C3"].value == "=Fältassistenter" and sheet["C3"].data_type == "s"
    assert [r[8] for r in rows[1:]] == [
        "sections[0].sections[0].content[1].measures.causes[0].measures[0]",
        "sections[0].sections[0].content[1].measures.causes[0].measures[1]",
        "sections[0].sections[0].content[1].measures.causes[1].measures[0]",
        "closing[0].measures.causes[0].measures[0]"]
    assert sheet.column_dimensions["I"].hidden
    [check] = sheet.data_validations.dataValidation
    assert check.type == "list" and check.formula1 == '"Grön,Gul,Röd"' and check.allow_blank
    assert str(check.sqref) == "H2:H5"
    assert sheet.protection.sheet
    assert all(c.font.b and c.protection.locked for c in sheet[1])
    unlocked = {c.column_letter for row in sheet.iter_rows(min_row=2) for c in row
                if not c.protection.locked}
    assert unlocked == {"G", "H"}
    assert sheet.column_dimensions["C"].width > 20


def test_import_measures_changes_only_status_and_follow_up(tmp_path: Path) -> None:
    folder = measures_folder(tmp_path)
    path = folder / "plan.yaml"
    before = path.read_text(encoding="utf-8")
    target = export_measures(folder, "plan", tmp_path / "uppfoljning.xlsx")
    book = openpyxl.load_workbook(target)
    sheet = book.active
    sheet["H2"] = "Gul"  # green -> yellow
    sheet["H3"] = "Röd"  # none -> red
    sheet["G4"] = "Ny belysning i två av tre tunnlar"
    book.save(target)
    report = import_measures(folder, "plan", target, author="Anna Andersson")
    assert report.written == [path]
    assert report.counts == {"statuses": 2, "follow-ups": 1}
    after = path.read_text(encoding="utf-8")
    diff = [line[0] + line[1:].strip()
            for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                             lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert sorted(diff) == sorted(["-status: green", "+status: yellow", "+status: red",
                                   "+follow_up: Ny belysning i två av tre tunnlar"]), diff
    assert after.startswith("# Handlingsplanen\n")
    load(folder)  # still validates
    # Reading the same sheet again changes nothing.
    assert import_measures(folder, "plan", target, author="Anna Andersson").written == []


def test_a_row_that_no_longer_matches_is_refused(tmp_path: Path) -> None:
    folder = measures_folder(tmp_path)
    path = folder / "plan.yaml"
    target = export_measures(folder, "plan", tmp_path / "uppfoljning.xlsx")
    book = openpyxl.load_workbook(target)
    book.active.protection.sheet = False
    book.active["H2"] = "Gul"
    book.active["C4"] = "Byta all belysning"  # the measure's text changed in the sheet
    book.save(target)
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        import_measures(folder, "plan", target, author="Anna Andersson")
    message = str(caught.value)
    assert "uppfoljning.xlsx: row 4 (2.1): the measure is 'Byta all belysning' in the sheet " \
        "but 'Byta belysning' in the plan at sections[0].sections[0].content[1].measures." \
        "causes[1].measures[0]" in message
    assert path.read_text(encoding="utf-8") == before  # nothing written

    # The plan edited since the export: the sheet's row no longer matches either.
    book.active["C4"] = "Byta belysning"
    book.active["H5"] = "Blå"
    book.save(target)
    path.write_text(before.replace("Byta belysning", "Byta belysning i tunnlarna"),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        import_measures(folder, "plan", target, author="Anna Andersson")
    assert "row 4 (2.1): the measure is 'Byta belysning' in the sheet but 'Byta belysning " \
        "i tunnlarna' in the plan" in str(caught.value)
    assert "row 5 (1.1): the status 'Blå' is not Grön, Gul, Röd or empty" in str(caught.value)


def test_a_chart_sheet_is_reported_not_skipped(tmp_path: Path) -> None:
    from openpyxl.chart import BarChart, Reference

    path = workbook(tmp_path / "diagram.xlsx", {"Brott": [["Typ", "2024"], ["Våld", 10]]})
    book = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book["Brott"], min_col=2, min_row=1, max_row=2))
    book.create_chartsheet("Diagram").add_chart(chart)
    book.save(path)
    report = import_workbook(path, tmp_path / "ny")
    assert report.counts == {"tables": 1}
    assert report.notes("en") == ["the sheet 'Diagram' holds a chart, not cells; not imported"]


def test_a_workbook_with_a_dtd_is_refused(tmp_path: Path) -> None:
    import zipfile

    plain = workbook(tmp_path / "plain.xlsx", {"Blad1": SHEET})
    folder = municipality(tmp_path / "exempelby", {"brott": {"from": {"file": "dtd.xlsx"}}})
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(folder / "dtd.xlsx", "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "b">]>' + data
            out.writestr(info, data)
    assert "tables.brott.from.file: dtd.xlsx: the part xl/workbook.xml declares a DTD" in \
        problems(folder)
