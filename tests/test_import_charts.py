"""Word charts brought back by the importer (avtalsgen.importing.word_charts).

A native chart keeps its figures in its chart part's cache; the importer reads the type,
the categories, the series and the figures from there and writes a statistics table and
a chart block, so that a document avtalsgen rendered comes back with the same charts
(their parts the same bytes), and a chart someone made in Word comes back as a chart
drawn from its own data. A chart without figures stays its caption, with a note.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from docx import Document
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from lxml import etree

from avtalsgen.build import Options, init_municipality, load, render_bundle, render_many
from avtalsgen.captions import FIGURE_NAME
from avtalsgen.importing.report import ImportReport
from avtalsgen.importing.word import import_docx
from avtalsgen.importing.word_charts import read_chart

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHART_CT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
RT_CHART = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
NS = ('xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


# --- reading charts out of a .docx, independently of the importer ----------------------

def charts(path: Path) -> list[dict[str, Any]]:
    """Each chart in the body, in order: its type, grouping, alt text, caption, its
    cached data (categories, series names, figures) and its part's bytes."""
    with zipfile.ZipFile(path) as z:
        body = etree.fromstring(z.read("word/document.xml"))
        rels = {r.get("Id"): r.get("Target") for r in
                etree.fromstring(z.read("word/_rels/document.xml.rels")).iter(f"{PKG}Relationship")}
        found = []
        paragraphs = list(body.iter(f"{W}p"))
        for n, p in enumerate(paragraphs):
            ref = p.find(f".//{C}chart")
            if ref is None:
                continue
            part = z.read("word/" + rels[ref.get(f"{R}id")])
            plot = etree.fromstring(part).find(f"{C}chart/{C}plotArea")
            group = next(g for g in plot if g.tag.endswith("Chart"))
            series = []
            for ser in group.iter(f"{C}ser"):
                cats = [v.text for v in ser.iterfind(f"{C}cat//{C}pt/{C}v")]
                values = {int(pt.get("idx")): float(pt.findtext(f"{C}v"))
                          for pt in ser.iterfind(f"{C}val//{C}pt")}
                series.append((ser.findtext(f"{C}tx//{C}v"), cats, values))
            caption = "".join(t.text or "" for t in paragraphs[n + 1].iter(f"{W}t"))
            grouping = group.find(f"{C}grouping")
            found.append({"type": etree.QName(group).localname,
                          "grouping": None if grouping is None else grouping.get("val"),
                          "alt": p.find(f".//{WP}docPr").get("descr"),
                          "caption": caption, "series": series, "part": part})
        return found


def render(folder: Path, name: str, out: Path) -> Path:
    files = render_bundle(load(folder))
    out.write_bytes(files[name])
    return out


def imported_again(source: Path, into: Path) -> tuple[ImportReport, Path, str]:
    """Import source into a new folder, validate and render it again."""
    report = import_docx(source, into)
    name = next(p.stem for p in report.written if p.suffix == ".yaml"
                and p.name not in ("municipality.yaml", "statistics.yaml"))
    return report, render(into, name, into.parent / f"{into.name}-{name}.docx"), name


def yaml_of(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8"))


def chart_blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        own = [value["chart"]] if "chart" in value else []
        return own + [c for v in value.values() for c in chart_blocks(v)]
    if isinstance(value, list):
        return [c for v in value for c in chart_blocks(v)]
    return []


def table_blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        own = [value] if isinstance(value.get("table"), str) and "kind" not in value else []
        return own + [c for v in value.values() for c in table_blocks(v)]
    if isinstance(value, list):
        return [c for v in value for c in table_blocks(v)]
    return []


# --- avtalsgen's own charts ----------------------------------------------------------

@pytest.fixture(scope="module")
def skelleftea(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Skellefteå's underlag with its ten native charts (sample data, a pie)."""
    root = tmp_path_factory.mktemp("root")
    shutil.copytree(REPO / "municipalities" / "skelleftea", root / "skelleftea")
    out = tmp_path_factory.mktemp("out")
    [outcome] = render_many(["skelleftea"], Options(out_dir=out), root=root)
    assert outcome.error is None, outcome.error
    return out / "skelleftea" / "underlag.docx"


def test_skelleftea_charts_come_back_the_same(skelleftea: Path, tmp_path: Path) -> None:
    report, again, name = imported_again(skelleftea, tmp_path / "skelleftea")
    before, after = charts(skelleftea), charts(again)
    assert len(before) == 10 and len(after) == 10
    assert [c["type"] for c in after] == [c["type"] for c in before]
    assert [c["type"] for c in before].count("pieChart") == 1
    for old, new in zip(before, after, strict=True):
        assert new["caption"] == old["caption"]
        assert new["alt"] == old["alt"]
        assert new["series"] == old["series"]  # names, categories and figures
        assert new["grouping"] == old["grouping"]
        assert new["part"] == old["part"]  # formats, colours, title: all of it
    assert report.counts["charts with their data"] == 10
    assert not any("chart" in note for note in report.notes("en")), report.uncertain

    folder = tmp_path / "skelleftea"
    stats = yaml_of(folder / "statistics.yaml")["tables"]
    blocks = chart_blocks(yaml_of(folder / f"{name}.yaml"))
    assert len(blocks) == 10 and len(stats) == 10
    seed = yaml_of(REPO / "municipalities" / "skelleftea" / "underlag.yaml")
    seed_stats = yaml_of(REPO / "municipalities" / "skelleftea" / "statistics.yaml")["tables"]
    for block, original in zip(blocks, chart_blocks(seed), strict=True):
        assert {k: block[k] for k in ("kind", "caption", "alt")} == \
            {k: " ".join(original[k].split()) for k in ("kind", "caption", "alt")}
        table, seed_table = stats[block["table"]], seed_stats[original["table"]]
        assert table["sample_data"] is True  # the title's banner, the caption's mark
        assert table["rows"] == seed_table["rows"]
        assert table["columns"][1:] == seed_table["columns"][1:]
        assert table.get("unit", "number") == seed_table.get("unit", "number")
        assert "EXEMPELDATA" not in block["caption"] + block["alt"]


def test_a_chart_and_its_table_share_their_data(tmp_path: Path) -> None:
    """The example shows a table and a bar chart of it, and a pie of a column: the
    chart is drawn from the table the document showed (as rows or as columns)."""
    folder = init_municipality("exempelby", tmp_path / "root", "Exempelby")
    source = render(folder, "lagesbild", tmp_path / "lagesbild.docx")
    _report, again, name = imported_again(source, tmp_path / "ekby")
    stats = yaml_of(tmp_path / "ekby" / "statistics.yaml")["tables"]
    blocks = chart_blocks(yaml_of(tmp_path / "ekby" / f"{name}.yaml"))
    bar, _line, pie, *indicators = blocks  # and a line chart per indicator with years
    assert len(indicators) == 2
    # The Word table's one title, its numbered caption "Tabell 1. Anmälda brott per år".
    document = yaml_of(tmp_path / "ekby" / f"{name}.yaml")
    assert [t.get("caption") for t in table_blocks(document) if t["table"] == bar["table"]] \
        == ["Anmälda brott per år"]
    assert stats[bar["table"]]["source"] == "Polismyndigheten"
    assert pie.get("series", "rows") == "rows" and len(stats) == 3 + len(indicators)
    assert [c["part"] for c in charts(again)] == [c["part"] for c in charts(source)]


def test_a_stacked_bar_stays_stacked(tmp_path: Path) -> None:
    folder = init_municipality("exempelby", tmp_path / "root", "Exempelby")
    path = folder / "lagesbild.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("kind: bar\n", "kind: bar\n          stacked: true\n", 1),
                    "utf-8")
    source = render(folder, "lagesbild", tmp_path / "lagesbild.docx")
    assert charts(source)[0]["grouping"] == "stacked"
    _report, again, name = imported_again(source, tmp_path / "ekby")
    [bar, *_rest] = chart_blocks(yaml_of(tmp_path / "ekby" / f"{name}.yaml"))
    assert bar["kind"] == "bar" and bar["stacked"] is True
    first, second = charts(source)[0], charts(again)[0]
    assert second["grouping"] == "stacked" and second["part"] == first["part"]


# --- charts made in Word -------------------------------------------------------------

def series_xml(name: str, categories: str, values: str, code: str = "General") -> str:
    return (f'<c:ser><c:idx val="0"/><c:order val="0"/><c:tx><c:strRef><c:f>Blad1!$B$1</c:f>'
            f'<c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{name}</c:v></c:pt>'
            f'</c:strCache></c:strRef></c:tx><c:cat>{categories}</c:cat><c:val><c:numRef>'
            f'<c:f>Blad1!$B$2:$B$4</c:f><c:numCache><c:formatCode>{code}</c:formatCode>'
            f'{values}</c:numCache></c:numRef></c:val></c:ser>')


def points(*values: Any) -> str:
    out = "".join(f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate(values)
                  if v is not None)
    return f'<c:ptCount val="{len(values)}"/>{out}'


YEARS = ('<c:numRef><c:f>Blad1!$A$2:$A$4</c:f><c:numCache><c:formatCode>General'
         f'</c:formatCode>{points(2022, 2023, 2024)}</c:numCache></c:numRef>')
TITLE = ('<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>Andel otrygga</a:t></a:r></a:p>'
         '</c:rich></c:tx></c:title><c:autoTitleDeleted val="0"/>')


def chart_xml(plot: str, title: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><c:chartSpace {NS}>'
            f'<c:date1904 val="0"/><c:chart>{title}<c:plotArea><c:layout/>{plot}'
            '</c:plotArea></c:chart></c:chartSpace>').encode()


# A stacked horizontal bar in Excel's percent format (0.245 shown as 25 %), titled.
WORD_BAR = chart_xml(
    '<c:barChart><c:barDir val="bar"/><c:grouping val="stacked"/><c:varyColors val="0"/>'
    + series_xml("Kvinnor", YEARS, points(0.245, None, 0.3), "0%")
    + series_xml("Män", YEARS, points(0.098, 0.102, 0.091), "0%").replace(
        '<c:order val="0"/>', '<c:order val="1"/>')
    + '</c:barChart>', TITLE)
# A line chart that only links to a workbook: no figures of its own.
NO_CACHE = chart_xml(
    '<c:lineChart><c:grouping val="standard"/><c:ser><c:idx val="0"/><c:order val="0"/>'
    '<c:val><c:numRef><c:f>Blad1!$B$2:$B$4</c:f></c:numRef></c:val></c:ser></c:lineChart>')
SCATTER = chart_xml(
    '<c:scatterChart><c:scatterStyle val="lineMarker"/><c:ser><c:idx val="0"/>'
    '<c:order val="0"/><c:xVal><c:numLit>' + points(1, 2) + '</c:numLit></c:xVal><c:yVal>'
    '<c:numLit>' + points(3, 4) + '</c:numLit></c:yVal></c:ser></c:scatterChart>')
PIE = chart_xml(
    '<c:pieChart><c:varyColors val="1"/>'
    + series_xml("Svar", '<c:strRef><c:f>Blad1!$A$2:$A$4</c:f><c:strCache>'
                 + points("Alkohol", "Bedrägerier", "Klotter") + '</c:strCache></c:strRef>',
                 points(142, 51, 37))
    + '</c:pieChart>')


def add_chart(doc: Any, xml: bytes, alt: str | None, n: int) -> None:
    """A chart part, and an inline drawing of it in a paragraph of its own."""
    part = Part(PackURI(f"/word/charts/chart{n}.xml"), CHART_CT, xml, doc.part.package)
    rid = doc.part.relate_to(part, RT_CHART)
    descr = f' descr="{alt}"' if alt else ""
    run = (f'<w:r {nsdecls("w", "wp", "a", "c", "r")}><w:drawing><wp:inline>'
           f'<wp:extent cx="5400000" cy="3000000"/><wp:docPr id="{n}" name="Diagram {n}"'
           f'{descr}/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/'
           f'drawingml/2006/chart"><c:chart r:id="{rid}"/></a:graphicData></a:graphic>'
           '</wp:inline></w:drawing></w:r>')
    doc.add_paragraph()._p.append(parse_xml(run))


def word_docx(path: Path) -> Path:
    """A report written in Word: captions above and below charts, one chart without
    alt text, one that has no figures, one that avtalsgen cannot draw."""
    doc = Document()
    doc.add_heading("Lägesbild Ekby 2024", level=0)
    doc.add_heading("Trygghet", level=1)
    doc.add_paragraph("Andelen som känner sig otrygga har ökat bland kvinnor.")
    doc.add_paragraph("Diagram 1. Andel otrygga ute sen kväll", style="Caption")
    add_chart(doc, WORD_BAR, None, 1)
    doc.add_paragraph("Källa: Trygghetsmätningen")
    doc.add_heading("Medborgardialog", level=1)
    add_chart(doc, PIE, "Cirkeldiagram över svaren", 2)
    doc.add_paragraph("Figur 2. Vad kommun och polis bör samverka mot (EXEMPELDATA)",
                      style="Caption")
    doc.add_heading("Övrigt", level=1)
    add_chart(doc, NO_CACHE, "Diagram över anmälda brott", 3)
    add_chart(doc, SCATTER, "Punktdiagram", 4)
    doc.add_paragraph("Arbetet följs upp varje halvår i styrgruppen.")
    doc.save(str(path))
    return path


def test_charts_made_in_word(tmp_path: Path) -> None:
    source = word_docx(tmp_path / "lagesbild.docx")
    report, again, name = imported_again(source, tmp_path / "ekby")
    text = (tmp_path / "ekby" / f"{name}.yaml").read_text("utf-8")
    bar, pie = chart_blocks(yaml.safe_load(text))
    stats = yaml_of(tmp_path / "ekby" / "statistics.yaml")["tables"]

    assert bar == {"table": bar["table"], "kind": "bar", "stacked": True,
                   "caption": "Andel otrygga ute sen kväll",  # the caption above it
                   "alt": "Andel otrygga ute sen kväll"}
    assert stats[bar["table"]] == {
        "columns": ["Serie", "2022", "2023", "2024"],
        "rows": [["Kvinnor", 24.5, None, 30], ["Män", 9.8, 10.2, 9.1]],
        "unit": "percent", "decimals": 0, "source": "Trygghetsmätningen"}
    assert pie["kind"] == "pie" and pie["caption"] == "Vad kommun och polis bör samverka mot"
    assert pie["alt"] == "Cirkeldiagram över svaren"
    assert stats[pie["table"]] == {"columns": ["Serie", "Alkohol", "Bedrägerier", "Klotter"],
                                   "rows": [["Svar", 142, 51, 37]], "sample_data": True}
    assert report.counts["charts with their data"] == 2

    for words in ("horizontal bars are drawn as columns", "title 'Andel otrygga' is not",
                  "no alt text", "keeps no figures to read", "cannot draw a chart of "
                  "type 'scatterChart'"):
        assert any(words in note for note in report.notes("en")), words
        comments = " ".join(re.findall(r"#(?: avtalsgen import:)?(.*)", text))
        assert words in " ".join(comments.split())  # and in the YAML, next to the chart
    blocks = yaml.safe_load(text)["sections"][2]["content"]
    assert "Diagram över anmälda brott" in blocks and "Punktdiagram" in blocks

    drawn = charts(again)
    assert [c["type"] for c in drawn] == ["barChart", "pieChart"]
    assert drawn[0]["grouping"] == "stacked"
    assert drawn[0]["series"][0] == ("Kvinnor", ["2022", "2023", "2024"], {0: 24.5, 2: 30.0})
    assert drawn[1]["caption"] == f"{FIGURE_NAME} 2. Vad kommun och polis bör " \
        "samverka mot (EXEMPELDATA)"


def test_categories_dates_levels_and_percent_literal() -> None:
    """Dates as category labels, categories on two levels, a literal ' %' format."""
    dates = ('<c:numRef><c:numCache><c:formatCode>yyyy-mm-dd</c:formatCode>'
             + points(45292, 45323) + '</c:numCache></c:numRef>')
    found = read_chart(etree.fromstring(chart_xml(
        '<c:lineChart><c:grouping val="standard"/>'
        + series_xml("Antal", dates, points(12.25, 13), '0.0" %"') + '</c:lineChart>')))
    assert not isinstance(found, str)
    assert found.categories == ["2024-01-01", "2024-02-01"]
    assert found.series == [("Antal", [12.25, 13])]
    assert (found.unit, found.decimals) == ("percent", 1)
    levels = ('<c:multiLvlStrRef><c:multiLvlStrCache><c:ptCount val="3"/>'
              '<c:lvl>' + points("jan", "feb", "jan") + '</c:lvl>'
              '<c:lvl><c:pt idx="0"><c:v>2023</c:v></c:pt><c:pt idx="2"><c:v>2024</c:v>'
              '</c:pt></c:lvl></c:multiLvlStrCache></c:multiLvlStrRef>')
    found = read_chart(etree.fromstring(chart_xml(
        '<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/>'
        + series_xml("Brott", levels, points(1, 2, 3)) + '</c:barChart>')))
    assert not isinstance(found, str)
    assert found.categories == ["2023 jan", "2023 feb", "2024 jan"]
    assert (found.kind, found.stacked, found.decimals) == ("bar", False, None)
    assert any("several levels" in note for note in map(str, found.notes))


def test_a_pie_with_a_blank_or_a_negative_slice(tmp_path: Path) -> None:
    """A blank slice is 0 (Word leaves it out); a negative one cannot be drawn by
    avtalsgen, so that chart keeps its caption as text."""
    doc = Document()
    doc.add_heading("Medborgardialog i Ekby", level=0)
    doc.add_heading("Svaren", level=1)
    add_chart(doc, PIE.replace(b'<c:pt idx="1"><c:v>51</c:v></c:pt>', b""), "Svaren", 1)
    doc.add_paragraph("Cirkeldiagram 1. Svaren", style="Caption")
    add_chart(doc, PIE.replace(b"<c:v>51<", b"<c:v>-5<"), "Fel i svaren", 2)
    doc.add_paragraph("Cirkeldiagram 2. Felaktiga svar", style="Caption")
    source = tmp_path / "dialog.docx"
    doc.save(str(source))
    report, _again, name = imported_again(source, tmp_path / "ekby")
    content = yaml_of(tmp_path / "ekby" / f"{name}.yaml")["sections"][0]["content"]
    [pie] = chart_blocks(content)
    assert pie["caption"] == "Svaren"
    stats = yaml_of(tmp_path / "ekby" / "statistics.yaml")["tables"]
    assert stats[pie["table"]]["rows"] == [["Svar", 142, 0, 37]]
    assert "Felaktiga svar" in content
    assert any("blank slices are 0" in note for note in report.notes("en"))
    assert any("cannot show negative values" in note for note in report.notes("en"))
