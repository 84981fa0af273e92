"""Tables a reader can read: no word broken mid-word, causes merged over their measures,
a shaded header row. Brå's action-plan table and every other table."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    MUNICIPALITIES,
    convert_to_pdf,
    minimal_municipality,
    soffice,
    tool,
    write_municipality,
)
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table, _Cell

from avtalsgen import wordxml
from avtalsgen.build import Options, init_municipality, render_municipality
from avtalsgen.fontmetrics import em_width

TEMPLATE_HALF_POINTS = 22  # Calibri 11 pt, the template's Normal style
CELL_MARGINS = 108 + 108  # Word's default cell margins, left and right (twips)
TEXT_WIDTH = 9070
HEADER_FILL = "DCE3EC"
STATUS = {"green": "Grön", "yellow": "Gul", "red": "Röd"}
NON_BREAKING = re.compile(r"[^\S\u00a0\u2007\u202f]+|(?<=-)(?=[^\W\d_])")

# Long Swedish words, one a column: at 11 pt they cannot all stand side by side.
LONG_MEASURES = {
    "title": "Åtgärder mot klotter",
    "causes": [
        {"cause": "Klotterproblematiken i centrum", "measures": [
            {"measure": "Trygghetsvandring varje månad", "goal": "Rapport till "
             "beredningsgruppen", "when": "Höstterminen", "who": "Fältassistenterna",
             "follow_up": "Uppföljningsrapport kvartalsvis", "status": "green"},
            {"measure": "Sanering inom ett dygn", "goal": "Allt klotter borta",
             "when": "Hela året", "who": "Gatuchefen", "follow_up": "Uppföljning"},
            {"measure": "Kameraövervakning utreds", "goal": "Beslut",
             "when": "Vt 2026", "who": "Säkerhetschefen", "follow_up": "",
             "status": "red"}]},
        {"cause": "Otrygghet vid busstationen", "measures": [
            {"measure": "Belysning", "goal": "Klart", "when": "Ht 2025", "who": "Gatuchef",
             "follow_up": "Trygghetsvandring", "status": "yellow"}]},
        {"cause": "Narkotikaförsäljning", "measures": [
            {"measure": "Samverkan med skolan", "when": "2025", "who": "Rektor"},
            {"measure": "Föräldramöten", "who": "Socialsekreterare"}]},
    ],
}
LONG_STATISTICS = {"tables": {
    "brott": {"title": "Anmälda brott", "columns": ["Brottstyp", "2023", "2024"], "rows": [
        ["Narkotikabrottslighetsbekämpningsverksamhet", 10, 12],
        ["Skadegörelse", 20, 18]]},
    "vem": {"unit": "text", "columns": ["Vad", "Vem"], "rows": [
        ["Trygghetsvandringar", "Trygghetssamordnaren"]]},
}}


def _expected_rows(measures: dict, stats: Any = None) -> list[list[str]]:
    """The table's body as the config says, each cause written once: the goal with its
    indicator, the person with the owner, the follow-up with the progress (as
    avtalsgen.indicators words them), then the status."""
    from avtalsgen import indicators
    from avtalsgen import model as m

    stats = stats if stats is not None else m.Statistics()
    rows = []
    for i, cause in enumerate(measures["causes"], start=1):
        for j, measure in enumerate(cause["measures"], start=1):
            model = m.Measure.model_validate(measure)
            follow_up = indicators.follow_up_text(model)
            if measure.get("status"):
                status = f"Status: {STATUS[measure['status']]}"
                follow_up = f"{follow_up}\n{status}" if follow_up else status
            rows.append([f"{i}. {cause['cause']}" if j == 1 else "",
                         f"{i}.{j} {measure['measure']}", indicators.goal_text(model, stats),
                         indicators.time_text(model), indicators.who_text(model), follow_up])
    return rows


def _expected_merges(measures: dict) -> list[str | None]:
    """Column 0's vMerge per body row: a cause restarts a merge over its measures."""
    out: list[str | None] = []
    for cause in measures["causes"]:
        k = len(cause["measures"])
        out += ["restart", *["continue"] * (k - 1)] if k > 1 else [None]
    return out


def _find_measures(node: object) -> list[dict]:
    if isinstance(node, dict):
        if "measures" in node and isinstance(node["measures"], dict):
            return [node["measures"]]
        return [m for v in node.values() for m in _find_measures(v)]
    if isinstance(node, list):
        return [m for v in node for m in _find_measures(v)]
    return []


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[dict]]]:
    """name: (rendered .docx, the measures tables its config holds)."""
    tmp = tmp_path_factory.mktemp("tables")
    out = tmp / "out"
    example = init_municipality("exempel", tmp / "municipalities", name="Exempelby")
    render_municipality(example, Options(out_dir=out, names=("handlingsplan",)))
    plan = yaml.safe_load((example / "handlingsplan.yaml").read_text(encoding="utf-8"))

    long_words = write_municipality(
        tmp / "municipalities" / "langord", minimal_municipality(),
        {"plan": {"type": "action_plan", "title": "Handlingsplan", "sections": [
            {"heading": "Åtgärder", "content": [{"measures": LONG_MEASURES}]},
            {"heading": "Läget", "content": [{"table": "brott"}, {"table": "vem"}]}]}},
        LONG_STATISTICS)
    render_municipality(long_words, Options(out_dir=out))
    return {
        "example": (out / "exempel" / "handlingsplan.docx", _find_measures(plan)),
        "long_words": (out / "langord" / "plan.docx", [LONG_MEASURES]),
    }


def _font_size(run: object) -> int:
    sz = run.find(f"{qn('w:rPr')}/{qn('w:sz')}")
    return int(sz.get(qn("w:val"))) if sz is not None else TEMPLATE_HALF_POINTS


def _word_twips(word: str, half_points: int, bold: bool) -> float:
    """The word's width at the given size in Carlito (Calibri's metrics), from the metrics
    that come with avtalsgen (test_fontmetrics checks them against the font)."""
    return em_width(word, bold) * half_points * 10


def _longest_word(tc: object) -> tuple[float, str]:
    """(twips, word) of the widest word in a cell, each run at its own size and weight."""
    best = (0.0, "")
    for run in tc.iter(qn("w:r")):
        bold = run.find(f"{qn('w:rPr')}/{qn('w:b')}") is not None
        text = "".join(t.text or "" for t in run.iter(qn("w:t")))
        for word in NON_BREAKING.split(text):
            if word:
                best = max(best, (_word_twips(word, _font_size(run), bold), word))
    return best


def _check_widths(table: Table, where: str) -> None:
    tbl = table._tbl
    grid = [int(w) for w in tbl.xpath("./w:tblGrid/w:gridCol/@w:w")]
    assert sum(grid) <= TEXT_WIDTH, f"{where}: {grid} is wider than the text"
    for r, tr in enumerate(tbl.tr_lst):
        for c, tc in enumerate(tr.tc_lst):
            width, word = _longest_word(tc)
            need = width + CELL_MARGINS
            tcw = int(tc.xpath("./w:tcPr/w:tcW/@w:w")[0])
            assert tcw == grid[c], f"{where}: row {r} column {c}: tcW {tcw} ≠ grid {grid[c]}"
            assert tcw >= need, (f"{where}: row {r} column {c}: {tcw} twips is narrower "
                                 f"than {word!r} ({need:.0f} twips with cell margins)")


def _check_header(table: Table, where: str) -> None:
    header = table._tbl.tr_lst[0]
    assert header.xpath("./w:trPr/w:tblHeader"), f"{where}: header row does not repeat"
    for tc in header.tc_lst:
        text = _Cell(tc, table).text
        if not text.strip():
            continue  # an empty corner cell: colour only where there is text
        assert tc.xpath("./w:tcPr/w:shd/@w:fill") == [HEADER_FILL], f"{where}: {text!r}"
        runs = tc.xpath(".//w:r")
        assert runs and all(r.xpath("./w:rPr/w:b") for r in runs), f"{where}: {text!r}"


def _cell_texts(table: Table) -> list[list[str]]:
    """Each w:tc's own text, as python-docx reads it (a merged-on cell holds none)."""
    return [[_Cell(tc, table).text for tc in tr.tc_lst] for tr in table._tbl.tr_lst]


def _vmerge(tc: object) -> str | None:
    found = tc.xpath("./w:tcPr/w:vMerge")
    if not found:
        return None
    return found[0].get(qn("w:val")) or "continue"


@pytest.mark.parametrize("name", ["example", "long_words"])
def test_measures_table(documents: dict, name: str) -> None:
    path, configs = documents[name]
    doc = Document(str(path))
    measures_tables = [t for t in doc.tables if _Cell(t._tbl.tr_lst[0].tc_lst[0], t).text
                       == "Orsak"]
    assert len(measures_tables) == len(configs) >= 1
    from avtalsgen.build import load

    # out/<slug>/<doc>.docx was rendered from municipalities/<slug>
    stats = load(path.parents[2] / "municipalities" / path.parent.name).statistics
    for table, measures in zip(measures_tables, configs, strict=True):
        texts = _cell_texts(table)
        assert texts[0] == ["Orsak", "Åtgärd", "Operativa mål", "När", "Vem", "Uppföljning"]
        assert texts[1:] == _expected_rows(measures, stats)
        causes = [f"{i}. {c['cause']}" for i, c in enumerate(measures["causes"], start=1)]
        first_column = [row[0] for row in texts[1:]]
        for cause in causes:
            assert first_column.count(cause) == 1, cause

        body = table._tbl.tr_lst[1:]
        assert [_vmerge(tr.tc_lst[0]) for tr in body] == _expected_merges(measures)
        assert all(_vmerge(tc) is None for tr in body for tc in tr.tc_lst[1:])
        # A continuing cell is an empty paragraph; python-docx sees one merged cell.
        for r, tr in enumerate(body, start=1):
            if _vmerge(tr.tc_lst[0]) == "continue":
                assert not tr.tc_lst[0].xpath(".//w:t")
                assert tr.tc_lst[0].xpath("./w:p")
                above = table.rows[r - 1].cells[0]._tc
                assert table.rows[r].cells[0]._tc is above
        # vMerge comes after tcW in tcPr (schema order).
        for tr in body:
            tcpr = tr.tc_lst[0].tcPr
            names = [child.tag.split("}")[1] for child in tcpr]
            assert names[0] == "tcW", names

        _check_widths(table, f"{name}: measures")
        _check_header(table, f"{name}: measures")


def test_long_words_get_a_smaller_font(documents: dict) -> None:
    doc = Document(str(documents["long_words"][0]))
    table = doc.tables[0]
    sizes = {_font_size(r) for r in table._tbl.iter(qn("w:r"))}
    assert len(sizes) == 1 and sizes.pop() < TEMPLATE_HALF_POINTS
    # rPr children in schema order: b before sz before szCs.
    for rpr in table._tbl.iter(qn("w:rPr")):
        names = [child.tag.split("}")[1] for child in rpr]
        assert names == sorted(names, key=["b", "sz", "szCs"].index), names


def test_example_measures_table_stays_readable(documents: dict) -> None:
    """The example's plan names owners and indicators ("Enhetschef för
    fältassistenterna"): a word too long for its column makes the whole table smaller,
    one size for every run, never below 9 pt."""
    doc = Document(str(documents["example"][0]))
    [table] = doc.tables
    sizes = {_font_size(r) for r in table._tbl.iter(qn("w:r"))}
    assert len(sizes) == 1 and 18 <= sizes.pop() <= TEMPLATE_HALF_POINTS


def test_every_table_fits_its_words_and_has_a_shaded_header(documents: dict,
                                                            rendered: Path) -> None:
    paths = [p for p, _ in documents.values()] + sorted(rendered.rglob("*.docx"))
    count = 0
    for path in paths:
        for i, table in enumerate(Document(str(path)).tables, start=1):
            where = f"{path.parent.name}/{path.name} table {i}"
            _check_widths(table, where)
            _check_header(table, where)
            count += 1
    assert count >= 6


def test_strangnas_table_widths(rendered: Path) -> None:
    doc = Document(str(rendered / "strangnas" / "samverkansoverenskommelse.docx"))
    [table] = [t for t in doc.tables if _Cell(t._tbl.tr_lst[0].tc_lst[0], t).text == "Vad"]
    config = yaml.safe_load((MUNICIPALITIES / "strangnas" / "statistics.yaml")
                            .read_text(encoding="utf-8"))
    source = config["tables"]["handlingsplan"]
    assert _cell_texts(table) == [source["columns"], *source["rows"]]
    _check_widths(table, "strangnas")
    grid = [int(w) for w in table._tbl.xpath("./w:tblGrid/w:gridCol/@w:w")]
    longest = [max(_longest_word(tr.tc_lst[c])[0] for tr in table._tbl.tr_lst)
               for c in range(len(grid))]
    assert all(g >= w + CELL_MARGINS for g, w in zip(grid, longest, strict=True))


def test_numeric_tables_keep_a_wide_label_column() -> None:
    item = {"columns": ["Ålder", "2019", "2020", "2021"], "rows": [["15–17 år", "1", "2", "3"]],
            "total": ["Totalt", "1", "2", "3"], "text_table": False, "fills": {}}
    xml = str(wordxml.table(item))
    grid = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', xml)]
    assert grid == [3628, 1814, 1814, 1814]  # as before: 2/5 for the labels, rest equal
    assert 'w:fill="DCE3EC"' in xml and "<w:tblHeader/>" in xml

    long_label = {**item, "rows": [["Narkotikabrottslighetsbekämpningsverksamhet", "1", "2",
                                    "3"]]}
    xml = str(wordxml.table(long_label))
    grid = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"/>', xml)]
    need = _word_twips("Narkotikabrottslighetsbekämpningsverksamhet", 22, False)
    assert grid[0] >= need + CELL_MARGINS and grid[0] > 3628
    assert grid[1] == grid[2] == grid[3] and sum(grid) <= TEXT_WIDTH


def test_no_word_is_broken_in_the_pdf(documents: dict, rendered: Path,
                                      tmp_path: Path) -> None:
    soffice()
    pdftotext = tool("pdftotext")
    strangnas = rendered / "strangnas" / "samverkansoverenskommelse.docx"
    # Distinct file names: LibreOffice writes <stem>.pdf into one folder.
    sources = {"example": documents["example"][0], "long_words": documents["long_words"][0],
               "strangnas": strangnas}
    files = []
    for name, path in sources.items():
        copy = tmp_path / f"{name}.docx"
        copy.write_bytes(path.read_bytes())
        files.append(copy)
    result = convert_to_pdf(files, tmp_path)
    assert result.returncode == 0, result.stderr
    for name, path in sources.items():
        pdf = tmp_path / f"{name}.pdf"
        assert pdf.exists(), f"{name}: no PDF ({result.stdout} {result.stderr})"
        text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        words = {w for table in Document(str(path)).tables
                 for tr in table._tbl.tr_lst for tc in tr.tc_lst
                 for w in re.findall(r"\w{8,}", _Cell(tc, table).text)}
        if name == "example":
            assert {"beredningsgruppen", "Trygghetsvandring", "Uppföljning"} <= words
        assert words, name
        for word in sorted(words):
            assert re.search(rf"(?<!\w){word}(?!\w)", text), \
                f"{name}: {word!r} is broken across lines in the PDF"
        # Every occurrence whole: as many in the PDF as in the table cells.
        for word in sorted(words):
            in_tables = sum(len(re.findall(rf"(?<!\w){word}(?!\w)", _Cell(tc, t).text))
                            for t in Document(str(path)).tables
                            for tr in t._tbl.tr_lst for tc in tr.tc_lst)
            in_pdf = len(re.findall(rf"(?<!\w){word}(?!\w)", text))
            assert in_pdf >= in_tables, f"{name}: {word!r} is broken in the PDF " \
                                        f"({in_pdf} whole of {in_tables})"
