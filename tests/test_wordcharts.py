"""Charts are native Word charts: DrawingML parts with their data in an embedded
workbook, styled so that no meaning rests on colour, Word-clean, drawn by LibreOffice,
and the same bytes every time. `render: image` keeps the matplotlib picture."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import MUNICIPALITIES, minimal_municipality, soffice, tool, write_municipality
from lxml import etree

from avtalsgen import charts, context, render, wordcharts
from avtalsgen import model as m
from avtalsgen.build import Options, load, render_bundle, render_municipality
from avtalsgen.context import SAMPLE_MARK

C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS = {"c": C, "a": A, "r": R, "wp": WP, "pr": PR, "ct": CT}
CHART_REL = f"{R}/chart"
PACKAGE_REL = f"{R}/package"

AREAS = ["Centrum", "Hamnen", "Norrby"]
YEARS = ["År 2022", "År 2023", "År 2024"]
OMRADEN = {"columns": ["Område", *YEARS],
           "rows": [["Centrum", 1240, 1385, 1302.5], ["Hamnen", 410, 395, 450],
                    ["Norrby", 96, 120, 88]]}
ANSWERS = ["Trygg", "Ganska trygg", "Otrygg"]
SVAR = {"columns": ["Svar", *ANSWERS], "rows": [["Andel", 55.5, 30, 14.5]],
        "unit": "percent", "decimals": 1, "sample_data": True}
# Document order: chart1 … chart4 are native; the fifth is a picture.
CHARTS = [
    {"table": "omraden", "kind": "line", "caption": "Anmälningar per år.",
     "alt": "Linjediagram: anmälningar per område och år."},
    {"table": "omraden", "kind": "bar", "series": "columns",
     "caption": "Anmälningar per område.", "alt": "Stapeldiagram: område för område."},
    {"table": "omraden", "kind": "bar", "stacked": True,
     "caption": "Anmälningar staplade.", "alt": "Staplade staplar: summan per år."},
    {"table": "svar", "kind": "pie", "caption": "Trygghet i enkäten.",
     "alt": "Cirkeldiagram: hur trygga de svarande känner sig."},
    {"table": "omraden", "kind": "bar", "render": "image",
     "caption": "Samma som bild.", "alt": "Stapeldiagram som bild."},
]
CAPTIONS = ["Figur 1. Anmälningar per år.", "Figur 2. Anmälningar per område.",
            "Figur 3. Anmälningar staplade.",
            f"Figur 4. Trygghet i enkäten. {SAMPLE_MARK}",
            "Figur 5. Samma som bild."]


def municipality(folder: Path, charts_: list[dict[str, Any]] = CHARTS) -> Path:
    plan = {"type": "action_plan", "title": "Handlingsplan",
            "sections": [{"heading": "Läget",
                          "content": [{"chart": c} for c in charts_]}]}
    return write_municipality(folder, minimal_municipality(), {"plan": plan},
                              {"tables": {"omraden": OMRADEN, "svar": SVAR}})


@pytest.fixture(scope="module")
def docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wordcharts")
    [path] = render_municipality(municipality(tmp / "diagramby"),
                                 Options(out_dir=tmp / "out")).written
    return path


class Package:
    """The parts of a .docx and the relationships between them."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as z:
            self.parts = {n: z.read(n) for n in z.namelist()}
        self.document = etree.fromstring(self.parts["word/document.xml"])

    def xml(self, name: str) -> Any:
        return etree.fromstring(self.parts[name])

    def rels(self, name: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, part name) of a part."""
        folder, _, file = name.rpartition("/")
        rels = self.xml(f"{folder}/_rels/{file}.rels")
        out = {}
        for rel in rels.iterfind("pr:Relationship", NS):
            target = f"{folder}/{rel.get('Target')}"
            while "/../" in target:
                target = re.sub(r"[^/]+/\.\./", "", target, count=1)
            out[rel.get("Id")] = (rel.get("Type"), target)
        return out

    def content_type(self, name: str) -> str:
        types = self.xml("[Content_Types].xml")
        for override in types.iterfind("ct:Override", NS):
            if override.get("PartName") == f"/{name}":
                return str(override.get("ContentType"))
        ext = name.rsplit(".", 1)[-1]
        for default in types.iterfind("ct:Default", NS):
            if default.get("Extension") == ext:
                return str(default.get("ContentType"))
        raise AssertionError(f"no content type for {name}")

    def charts(self) -> list[tuple[str, Any]]:
        """(chart part, its chartSpace) in document order, from the drawings."""
        rels = self.rels("word/document.xml")
        out = []
        for ref in self.document.iterfind(".//a:graphicData/c:chart", NS):
            kind, target = rels[ref.get(f"{{{R}}}id")]
            assert kind == CHART_REL
            out.append((target, self.xml(target)))
        return out

    def workbook(self, chart_part: str) -> openpyxl.Workbook:
        space = self.xml(chart_part)
        rid = space.find("c:externalData", NS).get(f"{{{R}}}id")
        kind, target = self.rels(chart_part)[rid]
        assert kind == PACKAGE_REL
        return openpyxl.load_workbook(io.BytesIO(self.parts[target]))


@pytest.fixture(scope="module")
def package(docx: Path) -> Package:
    return Package(docx)


def series_of(space: Any) -> list[Any]:
    return space.findall(".//c:plotArea/*/c:ser", NS)


def texts(el: Any, path: str) -> list[str]:
    return [v.text for v in el.iterfind(path, NS)]


# --- native, with their data ------------------------------------------------------------

def test_charts_are_chart_parts_with_an_embedded_workbook(package: Package) -> None:
    found = package.charts()
    assert [name for name, _ in found] == [f"word/charts/chart{n}.xml" for n in range(1, 5)]
    for name, space in found:
        assert package.content_type(name) == wordcharts.CHART_CT
        assert space.tag == f"{{{C}}}chartSpace"
        [(kind, xlsx)] = package.rels(name).values()
        assert kind == PACKAGE_REL
        assert re.fullmatch(r"word/embeddings/Microsoft_Excel_Worksheet\d+\.xlsx", xlsx)
        assert package.content_type(xlsx) == wordcharts.XLSX_CT
        external = space.find("c:externalData", NS)
        assert external.get(f"{{{R}}}id") in package.rels(name)
        assert external.find("c:autoUpdate", NS).get("val") == "0"


def test_each_chart_has_its_kind(package: Package) -> None:
    [line, bars, stacked, pie] = [space for _, space in package.charts()]
    plot = line.find(".//c:plotArea/c:lineChart", NS)
    assert plot is not None and plot.find("c:marker", NS).get("val") == "1"
    for space, grouping, overlap in ((bars, "clustered", "0"), (stacked, "stacked", "100")):
        plot = space.find(".//c:plotArea/c:barChart", NS)
        assert plot.find("c:barDir", NS).get("val") == "col"
        assert plot.find("c:grouping", NS).get("val") == grouping
        found = plot.find("c:overlap", NS)  # absent: 0, bars side by side
        assert (found.get("val") if found is not None else "0") == overlap
    assert pie.find(".//c:plotArea/c:pieChart", NS) is not None


def test_the_workbook_and_the_chart_hold_the_tables_values_and_labels(
        package: Package) -> None:
    by_rows = {row[0]: row[1:] for row in OMRADEN["rows"]}
    expected = [  # series name -> values, categories: as the table is turned
        (YEARS, by_rows),
        (AREAS, {year: [by_rows[a][i] for a in AREAS] for i, year in enumerate(YEARS)}),
        (YEARS, by_rows),
        (ANSWERS, {"Andel": SVAR["rows"][0][1:]}),
    ]
    for (name, space), (categories, series) in zip(package.charts(), expected, strict=True):
        sheet = package.workbook(name).active
        cells = list(sheet.iter_rows(values_only=True))
        assert [row[0] for row in cells[1:]] == categories
        assert list(cells[0][1:]) == list(series)
        for j, values in enumerate(series.values(), start=1):
            assert [row[j] for row in cells[1:]] == values
        # The chart's own cache: what Word draws before anyone opens the data.
        sers = series_of(space)
        assert [texts(s, "c:tx//c:v")[0] for s in sers] == list(series)
        for ser, values in zip(sers, series.values(), strict=True):
            assert texts(ser, "c:cat//c:pt/c:v") == categories
            assert [float(v) for v in texts(ser, "c:val//c:pt/c:v")] == values


def test_the_drawing_keeps_caption_and_alt_text(package: Package, docx: Path) -> None:
    from docx import Document

    doc = Document(str(docx))
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions == CAPTIONS
    docprs = package.document.findall(".//wp:docPr", NS)
    assert len(docprs) == 5
    for docpr, spec, caption in zip(docprs, CHARTS, CAPTIONS, strict=True):
        sample = spec["table"] == "svar"
        assert docpr.get("descr") == spec["alt"] + (f" {SAMPLE_MARK}" if sample else "")
        assert docpr.get("title") == caption
    ids = [d.get("id") for d in docprs]
    assert len(set(ids)) == len(ids)
    for inline in package.document.findall(".//wp:inline", NS)[:4]:
        extent = inline.find("wp:extent", NS)
        assert int(extent.get("cx")) == render.CHART_WIDTH
        assert 5 * 360000 < int(extent.get("cy")) < 12 * 360000
        assert inline.find("wp:cNvGraphicFramePr", NS) is not None
        assert inline.find("a:graphic/a:graphicData", NS).get("uri") == C


def test_sample_data_has_a_title_saying_so(package: Package) -> None:
    *real, sample = [space for _, space in package.charts()]
    assert texts(sample, "c:chart/c:title//a:t") == [charts.SAMPLE_BANNER]
    for space in real:
        assert space.find("c:chart/c:title", NS) is None
        # Word would otherwise title a chart by its only series.
        assert space.find("c:chart/c:autoTitleDeleted", NS).get("val") == "1"


# --- no meaning in colour alone, bars from zero, Swedish --------------------------------

def fill_of(sp_pr: Any) -> tuple[str, str | None]:
    fill = sp_pr.find("a:pattFill", NS)
    if fill is not None:
        return "pattern", fill.get("prst")
    return "solid", sp_pr.find("a:solidFill/a:srgbClr", NS).get("val")


def test_series_differ_by_marker_dash_or_pattern_not_colour_alone(package: Package) -> None:
    [line, bars, stacked, pie] = [space for _, space in package.charts()]
    lines = series_of(line)
    markers = [s.find("c:marker/c:symbol", NS).get("val") for s in lines]
    dashes = [s.find("c:spPr/a:ln/a:prstDash", NS).get("val") for s in lines]
    assert len(set(markers)) == len(set(dashes)) == len(lines) == 3
    for space in (bars, stacked):
        fills = [fill_of(s.find("c:spPr", NS)) for s in series_of(space)]
        assert len(set(fills)) == len(fills) >= 3
        assert sum(kind == "pattern" for kind, _ in fills) >= len(fills) - 1
    slices = pie.findall(".//c:ser/c:dPt", NS)
    fills = [fill_of(p.find("c:spPr", NS)) for p in slices]
    assert len(slices) == 3 and len(set(fills)) == 3
    colours = {c.get("val") for c in line.iterfind(".//c:ser//a:srgbClr", NS)}
    assert {p.lstrip("#").upper() for p in charts.PALETTE[:3]} <= colours  # Okabe–Ito


def test_value_axes_start_at_zero_and_have_titles(package: Package) -> None:
    """Issue 22: a line chart from 52 to 70 makes a small change look large."""
    [line, bars, stacked, _pie] = [space for _, space in package.charts()]
    for space in (line, bars, stacked):
        assert space.find(".//c:valAx/c:scaling/c:min", NS).get("val") in ("0", "0.0")
        title = space.find(".//c:valAx/c:title", NS)
        assert "".join(title.itertext()) in ("Antal", "Procent")


def test_a_line_chart_may_keep_its_automatic_scale_when_the_config_says_so() -> None:
    table = m.Table.model_validate({"columns": ["x", "a", "b"], "rows": [["År", 52, 70]]})
    chart = m.Chart.model_validate({"table": "t", "kind": "line", "caption": "c", "alt": "a",
                                    "axis_from_zero": False})
    space = etree.fromstring(wordcharts.build(chart, table).xml)
    assert space.find(".//c:valAx/c:scaling/c:min", NS) is None
    assert context.AXIS_NOT_FROM_ZERO in context.chart_notes(chart, table)


def test_negative_bars_keep_the_automatic_scale() -> None:
    table = m.Table.model_validate({"columns": ["x", "a", "b"], "rows": [["Ändring", -5, 3]]})
    chart = m.Chart.model_validate({"table": "t", "kind": "bar", "caption": "c", "alt": "a"})
    space = etree.fromstring(wordcharts.build(chart, table).xml)
    assert space.find(".//c:valAx/c:scaling/c:min", NS) is None


def test_language_font_corners_and_swedish_number_formats(package: Package) -> None:
    [line, _bars, _stacked, pie] = [space for _, space in package.charts()]
    for _, space in package.charts():
        assert space.find("c:lang", NS).get("val") == "sv-SE"
        assert space.find("c:roundedCorners", NS).get("val") == "0"
        assert space.find("c:txPr//a:defRPr/a:latin", NS).get("typeface") == "Calibri"
    # Thousands grouped, the decimals the figures have; percent with a space.
    assert texts(line, ".//c:val//c:formatCode") == ["[$-41D]#,##0.0"] * 3
    assert line.find(".//c:valAx/c:numFmt", NS).get("formatCode") == "[$-41D]#,##0"
    assert pie.find(".//c:dLbls/c:numFmt", NS).get("formatCode") == '[$-41D]#,##0.0" %"'


@pytest.mark.parametrize(("values", "decimals", "unit", "data", "axis"), [
    ([1, 2, 3], None, "number", "[$-41D]#,##0", "[$-41D]General"),
    ([10.6, 12.25], None, "number", "[$-41D]#,##0.00", "[$-41D]General"),
    ([72266, 72904], None, "number", "[$-41D]#,##0", "[$-41D]#,##0"),
    ([20, 21], None, "percent", '[$-41D]#,##0" %"', '[$-41D]General" %"'),
    ([20, 21], 1, "percent", '[$-41D]#,##0.0" %"', '[$-41D]#,##0.0" %"'),
])
def test_number_formats(values: list[float], decimals: int | None, unit: str, data: str,
                        axis: str) -> None:
    table = m.Table.model_validate({"columns": ["x"] + [str(i) for i in range(len(values))],
                                    "rows": [["y", *values]], "decimals": decimals,
                                    "unit": unit})
    assert wordcharts.number_format(table, values) == data
    assert wordcharts.axis_format(table, values) == axis


# --- reproducible, render: image, config --------------------------------------------------

def test_the_same_input_gives_the_same_bytes(docx: Path, tmp_path: Path) -> None:
    script = ("import sys\nfrom pathlib import Path\n"
              "from avtalsgen.build import Options, render_municipality\n"
              "render_municipality(Path(sys.argv[1]), Options(out_dir=Path(sys.argv[2])))\n")
    folder = docx.parent.parent.parent / "diagramby"
    subprocess.run([sys.executable, "-c", script, str(folder), str(tmp_path)], check=True)
    assert (tmp_path / "diagramby" / "plan.docx").read_bytes() == docx.read_bytes()


def test_the_workbook_carries_no_clock_time() -> None:
    chart = m.Chart.model_validate(CHARTS[0])
    table = m.Table.model_validate(OMRADEN)
    with zipfile.ZipFile(io.BytesIO(wordcharts.build(chart, table).xlsx)) as z:
        assert {info.date_time for info in z.infolist()} <= {(1980, 1, 1, 0, 0, 0),
                                                             (1980, 1, 31, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_render_image_keeps_the_matplotlib_picture(package: Package) -> None:
    media = [n for n in package.parts if n.startswith("word/media/")]
    assert len(media) == 1 and package.parts[media[0]].startswith(b"\x89PNG")
    inline = package.document.findall(".//wp:inline", NS)[4]
    assert inline.find("a:graphic/a:graphicData", NS).get("uri").endswith("/picture")
    assert len(package.charts()) == 4


def test_stacked_is_for_bars_only_and_names_the_field(cli, tmp_path: Path) -> None:
    folder = municipality(tmp_path / "fel", [{**CHARTS[0], "stacked": True}])
    result = cli("validate", str(folder))
    assert result.exit_code != 0
    assert re.search(r"plan\.yaml:\d+: sections\[0\]\.content\[0\]\.chart\.stacked: "
                     r"only a bar chart can be stacked \(kind is 'line'\)", result.output), \
        result.output


def test_the_new_fields_are_described_in_swedish() -> None:
    props = m.Chart.model_json_schema()["properties"]
    assert props["stacked"]["description"].startswith("Staplade staplar")
    assert props["render"]["enum"] == ["native", "image"]
    assert "Word-diagram" in props["render"]["description"]
    assert props["render"]["default"] == "native"


def test_a_config_without_the_new_fields_draws_native_charts(rendered: Path) -> None:
    with zipfile.ZipFile(rendered / "skelleftea" / "underlag.docx") as z:
        names = z.namelist()
    assert len([n for n in names if re.fullmatch(r"word/charts/chart\d+\.xml", n)]) == 10
    assert not [n for n in names if n.startswith("word/media/")]


# --- the editor's preview ---------------------------------------------------------------

def test_charts_as_pictures_renders_pictures_for_the_preview() -> None:
    import mammoth

    bundle = load("skelleftea", root=MUNICIPALITIES)
    with render.charts_as_pictures():
        data = render_bundle(bundle, ["underlag"])["underlag"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
    assert not [n for n in names if n.startswith("word/charts/")]
    assert len([n for n in names if n.startswith("word/media/")]) == 10
    html = mammoth.convert_to_html(io.BytesIO(data)).value
    assert html.count("<img") == 10
    # Outside the block, charts are native again.
    native = render_bundle(bundle, ["underlag"])["underlag"]
    assert b"word/charts/chart1.xml" in native


def test_the_web_preview_shows_charts_as_pictures(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from avtalsgen.web.app import create_app

    root = tmp_path / "municipalities"
    shutil.copytree(MUNICIPALITIES / "skelleftea", root / "skelleftea")
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    html = client.get("/k/skelleftea/dok/underlag/forhandsvisning").text
    assert html.count("<img ") == html.count('src="data:image/png;base64,') == 10
    download = client.get("/k/skelleftea/dok/underlag/ladda-ner.docx")
    assert download.status_code == 200
    assert b"word/charts/chart10.xml" in download.content


# --- Word-clean, and LibreOffice draws them ---------------------------------------------

def test_openxml_audit_strict_finds_nothing(docx: Path) -> None:
    import json

    from test_ooxml import openxml_audit

    result = subprocess.run([openxml_audit(), "-o", "json", "--policy", "strict", str(docx)],
                            capture_output=True, text=True, timeout=300, check=False)
    [report] = json.loads(result.stdout)
    assert (report["error_count"], report["warning_count"]) == (0, 0), report["errors"]


def test_libreoffice_draws_the_charts_with_their_labels(docx: Path, tmp_path: Path) -> None:
    from avtalsgen.pdf import convert

    soffice()
    tool("pdftotext")
    pdf = tmp_path / "plan.pdf"
    convert([(docx, pdf)])
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    # No chart label is in any caption or paragraph: LibreOffice drew these.
    for label in [*AREAS, *YEARS, *ANSWERS, charts.SAMPLE_BANNER]:
        assert label in text, label
    assert "55,5 %" in text  # the pie's values, with a Swedish decimal comma
    assert re.search(r"1[  ]?400", text)  # a value axis tick, thousands grouped


def test_importing_a_document_with_word_charts_reads_them_back(docx: Path,
                                                              tmp_path: Path) -> None:
    """The importer reads each Word chart's figures back into a statistics table (the
    three charts of one table share it again, one as `series: columns`); rendered
    again, the charts are the same parts. The picture stays a picture."""
    from avtalsgen.importing.word import import_docx

    report = import_docx(docx, tmp_path / "importerad")
    assert report.counts["charts with their data"] == 4 and report.counts["images"] == 1
    assert not any("a Word chart cannot be imported" in n for n in report.notes("en"))
    bundle = load(tmp_path / "importerad")
    [doc] = bundle.documents.values()
    blocks = [b for s in doc.sections for b in s.content]
    imported = [b.chart for b in blocks if isinstance(b, m.ChartBlock)]
    assert [(c.kind, c.series, c.stacked, c.caption) for c in imported] == [
        (c["kind"], c.get("series", "rows"), c.get("stacked", False), c["caption"])
        for c in CHARTS[:4]]
    assert len({c.table for c in imported}) == 2
    [again] = render_bundle(bundle).values()
    (tmp_path / "igen.docx").write_bytes(again)
    before, after = Package(docx), Package(tmp_path / "igen.docx")
    names = sorted(n for n in before.parts if n.startswith("word/charts/chart"))
    assert len(names) == 4
    assert all(after.parts[n] == before.parts[n] for n in names)
