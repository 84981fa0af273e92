"""Charts as native Word charts: DrawingML with their data in an embedded workbook.

python-pptx writes the `c:chartSpace` part (the same XML Word uses) and the workbook
behind Word's "Edit data"; its chart API then styles it: Okabe–Ito colours, and
markers with dash styles (lines) or pattern fills (bars, pie slices) so that no
meaning rests on colour, bars from zero, Swedish number formats, Calibri (Carlito in
LibreOffice), a title on sample data. The few settings python-pptx has no API for
(language, square corners, chart area) are set on the XML here. The parts are the
same bytes for the same input: the workbook has a fixed creation time.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree
from pptx.chart.chart import Chart as PptxChart
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.chart.xmlwriter import ChartXmlWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_TICK_MARK
from pptx.enum.chart import XL_MARKER_STYLE as MARKER
from pptx.enum.dml import MSO_LINE_DASH_STYLE as DASH
from pptx.enum.dml import MSO_PATTERN_TYPE as PATTERN
from pptx.oxml import parse_xml
from pptx.util import Pt
from xlsxwriter import Workbook

from . import model as m
from .charts import PALETTE, SAMPLE_BANNER, table_series

C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
CHART_CT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RT_CHART = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
RT_PACKAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package"
CHART_PARTNAME = "/word/charts/chart%d.xml"
XLSX_PARTNAME = "/word/embeddings/Microsoft_Excel_Worksheet%d.xlsx"
# The chart part's only relationship is its workbook, so its id is known in advance.
WORKBOOK_RID = "rId1"
# The workbook's creation time, fixed so that the same chart gives the same bytes.
WORKBOOK_CREATED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

FONT = "Calibri"      # the templates' font; LibreOffice draws it in Carlito (same metrics)
FONT_SIZE = Pt(9)
TITLE_SIZE = Pt(10)
TITLE_COLOUR = RGBColor(0x8B, 0x00, 0x00)  # the banner's dark red in charts.py
GRID_COLOUR = RGBColor(0xD9, 0xD9, 0xD9)
AXIS_COLOUR = RGBColor(0x59, 0x59, 0x59)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
LINE_WIDTH = Pt(2)
MARKER_SIZE = 7
# Lines differ by marker and dash, bars and slices by pattern: not by colour alone.
MARKERS = [MARKER.CIRCLE, MARKER.SQUARE, MARKER.TRIANGLE, MARKER.DIAMOND, MARKER.X,
           MARKER.PLUS, MARKER.STAR, MARKER.DASH]
DASHES = [DASH.SOLID, DASH.DASH, DASH.DASH_DOT, DASH.ROUND_DOT]
# None: a solid fill, the first series' look; the patterns are white on the colour.
PATTERNS: list[PATTERN | None] = [
    None, PATTERN.WIDE_UPWARD_DIAGONAL, PATTERN.DOTTED_GRID, PATTERN.DIAGONAL_CROSS,
    PATTERN.WIDE_DOWNWARD_DIAGONAL, PATTERN.SMALL_GRID, PATTERN.DARK_VERTICAL,
    PATTERN.DARK_HORIZONTAL]

CM = 360000  # EMU per centimetre
XY_HEIGHT = 8 * CM
PIE_HEIGHT = 7 * CM
LEGEND_ROW = int(0.5 * CM)  # one more row of series names below the plot
TITLE_HEIGHT = int(0.9 * CM)
SERIES_PER_LEGEND_ROW = 3
MAX_DECIMALS = 6


@dataclass(frozen=True)
class WordChart:
    """A chart's parts as bytes: the chartSpace XML and its workbook, and its height."""

    xml: bytes
    xlsx: bytes
    height: int  # EMU, at the width the document gives charts


# --- data -------------------------------------------------------------------------

class _Workbook(CategoryWorkbookWriter):
    """python-pptx's layout of the data sheet, with a fixed creation time."""

    @contextmanager
    def _open_worksheet(self, xlsx_file: Any) -> Any:
        workbook = Workbook(xlsx_file, {"in_memory": True})
        workbook.set_properties({"created": WORKBOOK_CREATED})
        yield workbook, workbook.add_worksheet()
        workbook.close()


class _ChartData(CategoryChartData):
    @property
    def _workbook_writer(self) -> CategoryWorkbookWriter:
        return _Workbook(self)


def _decimals(value: float) -> int:
    """Decimals that a value needs (at most six): 10.6 -> 1, 72904 -> 0."""
    text = f"{round(value, MAX_DECIMALS):.{MAX_DECIMALS}f}".rstrip("0")
    return len(text.split(".")[1])


def _data_decimals(table: m.Table, values: list[float]) -> int:
    if table.decimals is not None:
        return table.decimals
    return max((_decimals(v) for v in values if math.isfinite(v)), default=0)


def _format(table: m.Table, code: str) -> str:
    # Word shows the separators of the reader's language ('72 904', '10,6' in Swedish);
    # the locale [$-41D] (sv-SE) makes LibreOffice do the same whatever its own.
    return "[$-41D]" + code + ('" %"' if table.unit == "percent" else "")


def number_format(table: m.Table, values: list[float]) -> str:
    """The values' Excel number format: grouped thousands, their decimals, ' %'."""
    decimals = _data_decimals(table, values)
    return _format(table, "#,##0" + ("." + "0" * decimals if decimals else ""))


def axis_format(table: m.Table, values: list[float]) -> str:
    """The value axis's format: the values' own when the table fixes its decimals, else
    as many decimals as each tick needs ('52', '52,5'), grouped only where the figures
    reach thousands (Excel's General format never groups)."""
    if table.decimals is not None:
        return number_format(table, values)
    if max((abs(v) for v in values if math.isfinite(v)), default=0) < 1000:
        return _format(table, "General")
    return _format(table, "#,##0")


def _chart_data(chart: m.Chart, table: m.Table) -> tuple[_ChartData, list[tuple[str, list[float]]]]:
    labels, series = table_series(table, chart.series)
    if chart.kind == "pie":
        series = series[:1]  # a pie draws one series, as the picture does
    values = [v for _, vals in series for v in vals]
    data = _ChartData(number_format=number_format(table, values))
    data.categories = labels
    for name, vals in series:
        data.add_series(name, [v if math.isfinite(v) else None for v in vals])
    return data, series


def _chart_type(chart: m.Chart) -> Any:
    if chart.kind == "pie":
        return XL_CHART_TYPE.PIE
    if chart.kind == "bar":
        return XL_CHART_TYPE.COLUMN_STACKED if chart.stacked else XL_CHART_TYPE.COLUMN_CLUSTERED
    return XL_CHART_TYPE.LINE_MARKERS


# --- style ------------------------------------------------------------------------

def _fill(fill: Any, index: int, colour: RGBColor) -> None:
    pattern = PATTERNS[index % len(PATTERNS)]
    if pattern is None:
        fill.solid()
        fill.fore_color.rgb = colour
        return
    fill.patterned()
    fill.pattern = pattern
    fill.fore_color.rgb = WHITE
    fill.back_color.rgb = colour


def _colour(index: int) -> RGBColor:
    return RGBColor.from_string(PALETTE[index % len(PALETTE)].lstrip("#"))


def _style_series(pptx_chart: PptxChart, kind: str) -> None:
    plot = pptx_chart.plots[0]
    if kind == "pie":
        [series] = list(plot.series)
        for i in range(len(series.values)):
            point = series.points[i]
            _fill(point.format.fill, i, _colour(i))
            point.format.line.color.rgb = WHITE
            point.format.line.width = Pt(1)
        return
    for i, series in enumerate(plot.series):
        colour = _colour(i)
        if kind == "bar":
            _fill(series.format.fill, i, colour)
            series.format.line.color.rgb = WHITE
            series.format.line.width = Pt(0.5)
            series.invert_if_negative = False
        else:
            line = series.format.line
            line.color.rgb = colour
            line.width = LINE_WIDTH
            line.dash_style = DASHES[i % len(DASHES)]
            series.smooth = False
            series.marker.style = MARKERS[i % len(MARKERS)]
            series.marker.size = MARKER_SIZE
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = colour
            series.marker.format.line.color.rgb = colour


VALUE_TITLES = {"percent": "Procent", "number": "Antal"}


def _value_title(chart: m.Chart, table: m.Table) -> str:
    """"Procent", "Antal", or "Antal per 1000 invånare" when the caption says so."""
    if table.unit == "percent":
        return VALUE_TITLES["percent"]
    rate = re.search(r"per [\d\s\u00a0]+\w+", chart.caption)
    return f"Antal {rate.group(0).strip()}" if rate else VALUE_TITLES["number"]


def _axis_title(axis: Any, text: str) -> None:
    axis.has_title = True
    frame = axis.axis_title.text_frame
    frame.text = text
    font = frame.paragraphs[0].runs[0].font
    font.bold, font.size, font.name = False, FONT_SIZE, FONT
    font.color.rgb = AXIS_COLOUR


def _style_axes(pptx_chart: PptxChart, chart: m.Chart, table: m.Table,
                series: list[tuple[str, list[float]]]) -> None:
    category, value = pptx_chart.category_axis, pptx_chart.value_axis
    category.format.line.color.rgb = AXIS_COLOUR
    category.has_major_gridlines = False
    value.has_major_gridlines = True
    value.major_gridlines.format.line.color.rgb = GRID_COLOUR
    value.format.line.fill.background()  # the grid lines carry the scale
    value.major_tick_mark = XL_TICK_MARK.NONE
    finite = [v for _, vals in series for v in vals if math.isfinite(v)]
    value.tick_labels.number_format = axis_format(table, finite)
    value.tick_labels.number_format_is_linked = False
    # From zero unless the config says otherwise (a note under the chart then says so):
    # a line chart from 52 to 70 makes a small change look large.
    if chart.kind == "bar" or chart.axis_from_zero:
        if all(v >= 0 for v in finite):
            value.minimum_scale = 0
        elif all(v <= 0 for v in finite):
            value.maximum_scale = 0
    _axis_title(value, _value_title(chart, table))  # the categories (years) name themselves
    if chart.kind == "bar":
        top = (max((sum(v for v in vals if math.isfinite(v) and v > 0)
                    for vals in zip(*(s for _, s in series), strict=True)), default=0)
               if chart.stacked else max(finite, default=0))
    else:
        top = max(finite, default=0) - min(finite, default=0)
    if _data_decimals(table, finite) == 0 and 0 < top <= 6:
        value.major_unit = 1  # counts: no ticks between whole numbers


def _chart_space_extras(space: Any) -> None:
    """Language, square corners and a white chart area without a frame: settings the
    python-pptx API does not have, in the schema's order."""
    first = space.find(f"{{{C_NS}}}date1904")
    at = 0 if first is None else list(space).index(first) + 1
    lang = etree.Element(f"{{{C_NS}}}lang", val="sv-SE")
    corners = etree.Element(f"{{{C_NS}}}roundedCorners", val="0")
    space.insert(at, lang)
    space.insert(at + 1, corners)
    sp_pr = etree.fromstring(
        f'<c:spPr xmlns:c="{C_NS}" xmlns:a="{A_NS}"><a:solidFill><a:srgbClr val="FFFFFF"/>'
        '</a:solidFill><a:ln><a:noFill/></a:ln></c:spPr>')
    space.find(f"{{{C_NS}}}chart").addnext(sp_pr)
    for end in space.iter(f"{{{A_NS}}}endParaRPr"):
        end.set("lang", "sv-SE")
    # python-pptx numbers some axes below zero; the schema wants unsigned ids.
    for tag in ("axId", "crossAx"):
        for el in space.iter(f"{{{C_NS}}}{tag}"):
            el.set("val", str(abs(int(el.get("val")))))


def _title(pptx_chart: PptxChart, sample: bool) -> None:
    if not sample:
        pptx_chart.has_title = False  # also stops Word titling a one-series chart
        return
    pptx_chart.has_title = True
    frame = pptx_chart.chart_title.text_frame
    frame.text = SAMPLE_BANNER
    font = frame.paragraphs[0].runs[0].font
    font.bold, font.size, font.name = True, TITLE_SIZE, FONT
    font.color.rgb = TITLE_COLOUR


def build(chart: m.Chart, table: m.Table) -> WordChart:
    """The chart's chartSpace XML and workbook (same input, same bytes)."""
    data, series = _chart_data(chart, table)
    space = parse_xml(ChartXmlWriter(_chart_type(chart), data).xml.encode("utf-8"))
    pptx_chart = PptxChart(space, None)
    pptx_chart.font.name = FONT
    pptx_chart.font.size = FONT_SIZE
    _title(pptx_chart, table.sample_data)
    _style_series(pptx_chart, chart.kind)
    plot = pptx_chart.plots[0]
    fmt = number_format(table, [v for _, vals in series for v in vals])
    if chart.kind == "pie":
        plot.has_data_labels = True  # the values, as the picture's legend has them
        labels = plot.data_labels
        labels.number_format, labels.number_format_is_linked = fmt, False
        labels.show_value, labels.position = True, XL_LABEL_POSITION.OUTSIDE_END
    else:
        _style_axes(pptx_chart, chart, table, series)
        if chart.kind == "bar":
            plot.gap_width = 60
            plot.overlap = 100 if chart.stacked else 0
    legend = chart.kind == "pie" or len(series) > 1
    pptx_chart.has_legend = legend
    if legend:
        pptx_chart.legend.position = (XL_LEGEND_POSITION.RIGHT if chart.kind == "pie"
                                      else XL_LEGEND_POSITION.BOTTOM)
        pptx_chart.legend.include_in_layout = False
    _chart_space_extras(space)
    external = space.get_or_add_externalData()  # python-pptx adds autoUpdate val=0
    external.rId = WORKBOOK_RID
    xml = etree.tostring(space, xml_declaration=True, encoding="UTF-8", standalone=True)
    return WordChart(xml, data.xlsx_blob, _height(chart, len(series), table.sample_data))


def _height(chart: m.Chart, n_series: int, sample: bool) -> int:
    if chart.kind == "pie":
        height = PIE_HEIGHT
    else:
        rows = math.ceil(n_series / SERIES_PER_LEGEND_ROW) if n_series > 1 else 0
        height = XY_HEIGHT + max(0, rows - 1) * LEGEND_ROW
    return height + (TITLE_HEIGHT if sample else 0)


# --- into the document ----------------------------------------------------------------

def embed(part: Any, chart: WordChart) -> str:
    """Add the chart and its workbook to the package of `part` (the document part);
    return the relationship id the drawing names."""
    package = part.package
    chart_part = Part(PackURI(package.next_partname(CHART_PARTNAME)), CHART_CT, chart.xml,
                      package)
    rid = part.relate_to(chart_part, RT_CHART)
    xlsx_part = Part(PackURI(package.next_partname(XLSX_PARTNAME)), XLSX_CT, chart.xlsx,
                     package)
    if chart_part.relate_to(xlsx_part, RT_PACKAGE) != WORKBOOK_RID:
        raise AssertionError("a new chart part's first relationship is not rId1")
    return str(rid)


def drawing(rid: str, width: int, height: int, alt: str, title: str) -> str:
    """The `w:drawing` that shows the chart inline, with alt text for screen readers
    (docx templates renumber docPr ids when rendered)."""
    wp, a, c = f"{{{WP_NS}}}", f"{{{A_NS}}}", f"{{{C_NS}}}"
    nsmap = {"wp": WP_NS, "a": A_NS, "c": C_NS, "r": R_NS}
    inline = etree.Element(f"{wp}inline", nsmap=nsmap,
                           distT="0", distB="0", distL="0", distR="0")
    etree.SubElement(inline, f"{wp}extent", cx=str(int(width)), cy=str(int(height)))
    etree.SubElement(inline, f"{wp}effectExtent", l="0", t="0", r="0", b="0")
    etree.SubElement(inline, f"{wp}docPr", id="1", name="Diagram", descr=alt, title=title)
    etree.SubElement(inline, f"{wp}cNvGraphicFramePr")
    data = etree.SubElement(etree.SubElement(inline, f"{a}graphic"), f"{a}graphicData",
                            uri=C_NS)
    etree.SubElement(data, f"{c}chart", {f"{{{R_NS}}}id": rid})
    return f"<w:drawing>{etree.tostring(inline, encoding='unicode')}</w:drawing>"

