"""`avtalsgen import` and `avtalsgen measures` through the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import MUNICIPALITIES


def test_import_a_word_document_into_a_new_municipality(cli, tmp_path: Path) -> None:
    shutil.copytree(MUNICIPALITIES / "lulea", Path("municipalities/lulea"))
    assert cli("render", "lulea", "--out", "out").exit_code == 0
    result = cli("import", "out/lulea/verksamhetsplan.docx", "--into",
                 "municipalities/ny", "--name", "Nyby")
    assert result.exit_code == 0, result.output
    assert "wrote municipalities/ny/" in result.output and "found:" in result.output
    assert cli("validate", "ny").exit_code == 0
    assert cli("render", "ny", "--out", "out2").exit_code == 0
    assert list(Path("out2/ny").glob("*.docx"))


def test_import_refuses_other_files_and_broken_ones(cli, tmp_path: Path) -> None:
    Path("x.txt").write_text("hej", encoding="utf-8")
    result = cli("import", "x.txt", "--into", "municipalities/ny")
    assert result.exit_code == 2 and "a .docx, .xlsx or .csv file" in result.output
    Path("trasig.docx").write_bytes(b"PK\x03\x04 inte en zip")
    result = cli("import", "trasig.docx", "--into", "municipalities/ny")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not Path("municipalities/ny").exists()


def test_measures_export_and_import_round_trip(cli, tmp_path: Path) -> None:
    import openpyxl

    shutil.copytree(MUNICIPALITIES, Path("municipalities"))
    cli("init", "testby", "--name", "Testby")
    result = cli("measures", "export", "testby", "--doc", "handlingsplan", "-o", "plan.xlsx")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook("plan.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    status = header.index("Status") + 1
    sheet.cell(row=2, column=status, value="Röd")
    book.save("plan.xlsx")
    before = Path("municipalities/testby/handlingsplan.yaml").read_text(encoding="utf-8")
    result = cli("measures", "import", "testby", "plan.xlsx", "--doc", "handlingsplan")
    assert result.exit_code == 0, result.output
    after = Path("municipalities/testby/handlingsplan.yaml").read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=False)
               if a != b]
    assert len(changed) == 1 and "red" in changed[0][1], changed
