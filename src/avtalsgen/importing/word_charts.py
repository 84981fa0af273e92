"""Word charts for import: the type, categories, series and figures a chart part keeps
in its cache (Word saves them there for readers without Excel, and avtalsgen writes
them the same way), so that a chart comes back as a statistics table and a chart block
drawn from it. The embedded workbook is not read: the cache is what Word shows."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .. import model as m
from ..charts import SAMPLE_BANNER
from ..messages import N_, Msg
from .word_runs import CHART_URI, A

C = f"{{{CHART_URI}}}"
# Chart groups avtalsgen can draw, by their element name; the note says what changed.
KINDS: dict[str, tuple[str, str | None]] = {  # the notes: catalogued ids
    "lineChart": ("line", None),
    "line3DChart": ("line", N_("a 3-D line chart is drawn flat")),
    "areaChart": ("line", N_("an area chart is drawn as a line chart")),
    "area3DChart": ("line", N_("a 3-D area chart is drawn as a line chart")),
    "radarChart": ("line", N_("a radar chart is drawn as a line chart")),
    "barChart": ("bar", None),
    "bar3DChart": ("bar", N_("a 3-D bar chart is drawn flat")),
    "pieChart": ("pie", None),
    "pie3DChart": ("pie", N_("a 3-D pie chart is drawn flat")),
    "doughnutChart": ("pie", N_("a doughnut chart is drawn as a pie chart")),
    "ofPieChart": ("pie", N_("a pie-of-pie chart is drawn as one pie chart")),
}
LABEL_COLUMN = "Serie"  # the chart keeps no heading for its label column: rows are series
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # literal text and [$-41D]-like codes
_DATE_CODES = re.compile(r"[ymd]", re.IGNORECASE)
MAX_DECIMALS = 6  # as many as a table may have
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Lotus' leap-year bug kept)
EPOCH_1904 = dt.date(1904, 1, 1)


@dataclass
class ChartData:
    """A chart as a statistics table: categories across, a row per series."""

    kind: str  # line, bar, pie
    stacked: bool
    categories: list[str]
    series: list[tuple[str, list[int | float | None]]]
    unit: str = "number"  # number or percent
    decimals: int | None = None
    title: str = ""  # the chart's own title, unless it is the sample-data banner
    sample: bool = False  # titled with avtalsgen's sample-data banner
    notes: list[Msg] = field(default_factory=list)

    def table(self) -> dict[str, Any]:
        """The statistics table (config data) that draws this chart again."""
        table: dict[str, Any] = {"columns": [LABEL_COLUMN, *self.categories],
                                 "rows": [[name, *values] for name, values in self.series]}
        if self.unit != "number":
            table["unit"] = self.unit
        if self.decimals is not None:
            table["decimals"] = self.decimals
        return table


def read_chart(space: etree._Element) -> ChartData | Msg:
    """The chart's data from its cache, or why there is none to use (a sentence)."""
    chart = space.find(f"{C}chart")
    plot = chart.find(f"{C}plotArea") if chart is not None else None
    if chart is None or plot is None:
        return Msg("the chart part has no plot area")
    groups = [g for g in plot if isinstance(g.tag, str) and g.tag.startswith(C)
              and g.tag.endswith("Chart")]
    if not groups:
        return Msg("the chart part has no chart in it")
    drawn = [g for g in groups if _local(g) in KINDS]
    if not drawn:
        return Msg("avtalsgen cannot draw a chart of type {type!r}", type=_local(groups[0]))
    notes: list[Msg] = []
    kind, stacked = _kind(drawn, notes)
    left_out = sorted({_local(g) for g in groups if _local(g) not in KINDS})
    if left_out:
        notes.append(Msg("series of type {types} were left out: avtalsgen cannot draw them",
                         types=", ".join(left_out)))
    date1904 = _val(space.find(f"{C}date1904")) in ("1", "true")
    series, categories, fmt = _series(drawn, date1904, notes)
    if not any(v is not None for _, values in series for v in values):
        return Msg("the chart part keeps no figures to read")
    width = max([len(categories), *(len(values) for _, values in series)])
    if len(categories) < width:
        if categories:
            notes.append(Msg("the chart has fewer category labels than figures; the missing "
                             "labels are numbered"))
        categories += [str(k + 1) for k in range(len(categories), width)]
    series = [(name, values + [None] * (width - len(values))) for name, values in series]
    if kind == "pie" and None in series[0][1]:  # Word leaves the slice out: it is 0
        series[0] = (series[0][0], [0 if v is None else v for v in series[0][1]])
        notes.append(Msg("the pie's blank slices are 0 in its table"))
    data = ChartData(kind, stacked, categories, series, notes=notes)
    _unit(data, fmt, _axis_format(plot))
    title = _title(chart)
    data.sample = title == SAMPLE_BANNER
    data.title = "" if data.sample else title
    return data


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _val(el: etree._Element | None) -> str | None:
    return None if el is None else el.get("val")


def _kind(groups: list[etree._Element], notes: list[Msg]) -> tuple[str, bool]:
    """The kind of the first chart group (a combined chart becomes one kind) and whether
    its bars are stacked."""
    first = groups[0]
    kind, note = KINDS[_local(first)]
    if note:
        notes.append(Msg(note))
    kinds = {KINDS[_local(g)][0] for g in groups}
    if len(kinds) > 1:
        notes.append(Msg("a combined chart ({kinds}) is drawn as one {kind} chart",
                         kinds=" and ".join(sorted(kinds)), kind=kind))
    grouping = _val(first.find(f"{C}grouping"))
    stacked = False
    if kind == "bar":
        stacked = grouping in ("stacked", "percentStacked")
        if grouping == "percentStacked":
            notes.append(Msg("100 % stacked bars are drawn as stacked bars of the figures"))
        if _val(first.find(f"{C}barDir")) == "bar":
            notes.append(Msg("horizontal bars are drawn as columns"))
    elif grouping in ("stacked", "percentStacked") and kind == "line":
        notes.append(Msg("stacked lines (or areas) are drawn one by one, not stacked"))
    return kind, stacked


def _series(groups: list[etree._Element], date1904: bool, notes: list[Msg]
            ) -> tuple[list[tuple[str, list[int | float | None]]], list[str], str]:
    """(name, figures) per series in Word's order, the categories, and the figures'
    number format."""
    found: list[tuple[int, str, list[int | float | None]]] = []
    categories: list[str] = []
    fmt = ""
    dropped = 0
    for group in groups:
        for ser in group.iterchildren(f"{C}ser"):
            order = _int(_val(ser.find(f"{C}order")), len(found))
            values, code, dropped_here = _numbers(ser.find(f"{C}val"))
            dropped += dropped_here
            fmt = fmt or code
            name = _name(ser.find(f"{C}tx")) or f"Serie {len(found) + 1}"
            found.append((order, name, values))
            if not categories:
                categories = _categories(ser.find(f"{C}cat"), date1904, notes)
    if dropped:
        notes.append(Msg("{n} figures in the chart were not numbers that can be printed and "
                         "are left empty", n=dropped))
    found.sort(key=lambda s: s[0])
    return [(name, values) for _, name, values in found], categories, fmt


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _points(cache: etree._Element) -> list[str | None]:
    """A cache's points by index (missing ones None), as long as its ptCount says."""
    points = {}
    for pt in cache.iterchildren(f"{C}pt"):
        idx = _int(pt.get("idx"), -1)
        v = pt.find(f"{C}v")
        if 0 <= idx < 10_000 and v is not None:
            points[idx] = v.text or ""
    count = min(_int(_val(cache.find(f"{C}ptCount")), 0), 10_000)
    width = max(count, max(points, default=-1) + 1)
    return [points.get(k) for k in range(width)]


def _numbers(val: etree._Element | None) -> tuple[list[int | float | None], str, int]:
    """A series' figures, their format code and how many could not be kept."""
    if val is None:
        return [], "", 0
    cache = val.find(f"{C}numRef/{C}numCache")
    if cache is None:
        cache = val.find(f"{C}numLit")
    if cache is None:
        return [], "", 0
    code = cache.findtext(f"{C}formatCode") or ""
    values: list[int | float | None] = []
    dropped = 0
    for text in _points(cache):
        number = _number(text)
        dropped += text is not None and text.strip() != "" and number is None
        values.append(number)
    return values, code, dropped


def _number(text: str | None) -> int | float | None:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return None
    if not math.isfinite(value) or abs(value) >= m.MAX_NUMBER:
        return None
    return int(value) if value.is_integer() else value


def _name(tx: etree._Element | None) -> str:
    if tx is None:
        return ""
    cache = tx.find(f"{C}strRef/{C}strCache")
    if cache is not None:
        return " ".join(p for p in _points(cache) if p).strip()
    return (tx.findtext(f"{C}v") or "").strip()


def _categories(cat: etree._Element | None, date1904: bool, notes: list[Msg]) -> list[str]:
    """Category labels: text, numbers (dates written as dates), or several levels
    joined outermost first ("2023 jan")."""
    if cat is None:
        return []
    for path in (f"{C}strRef/{C}strCache", f"{C}strLit"):
        cache = cat.find(path)
        if cache is not None:
            return [(p or "").strip() for p in _points(cache)]
    for path in (f"{C}numRef/{C}numCache", f"{C}numLit"):
        cache = cat.find(path)
        if cache is not None:
            code = cache.findtext(f"{C}formatCode") or ""
            return [_label(p, code, date1904) for p in _points(cache)]
    levels = cat.find(f"{C}multiLvlStrRef/{C}multiLvlStrCache")
    if levels is None:
        return []
    lvls = [_points(lvl) for lvl in levels.iterchildren(f"{C}lvl")]
    if not lvls:
        return []
    labels = []
    for k, leaf in enumerate(lvls[0]):
        parts = []
        for lvl in reversed(lvls[1:]):  # an outer label names the first point of its group
            group = next((lvl[j] for j in range(min(k, len(lvl) - 1), -1, -1) if lvl[j]),
                         None)
            if group:
                parts.append(group.strip())
        labels.append(" ".join([*parts, (leaf or "").strip()]).strip())
    notes.append(Msg("the chart's categories had several levels; their labels were joined"))
    return labels


def _label(text: str | None, code: str, date1904: bool) -> str:
    """A numeric category as a label: a date as a date, else a Swedish number."""
    number = _number(text)
    if number is None:
        return (text or "").strip()
    plain = _QUOTED.sub("", code)
    if _DATE_CODES.search(plain) and plain.lower() != "general" and 0 < number < 2_958_466:
        day = (EPOCH_1904 if date1904 else EXCEL_EPOCH) + dt.timedelta(days=int(number))
        if plain.lower().strip() in ("yyyy", "yy", "åååå"):
            return str(day.year)
        return day.isoformat()
    return str(number).replace(".", ",")


def _axis_format(plot: etree._Element) -> str | None:
    """The value axis's own number format, when it is not linked to the figures."""
    fmt = plot.find(f"{C}valAx/{C}numFmt")
    if fmt is None or fmt.get("sourceLinked") in ("1", "true"):
        return None
    return fmt.get("formatCode")


def _decimals_of(code: str) -> int | None:
    """Decimals a number format shows ('#,##0.0' -> 1), None for General."""
    section = _QUOTED.sub("", code.split(";")[0])
    if not section.strip() or "general" in section.lower():
        return None
    match = re.search(r"\.([0#?]+)", section)
    return min(len(match.group(1)), MAX_DECIMALS) if match else 0


def _unit(data: ChartData, fmt: str, axis: str | None) -> None:
    """Percent and decimals from the figures' number format, chosen so that avtalsgen
    writes the same formats again; Excel's own percent format (0.25 shown as 25 %)
    becomes figures in percent."""
    section = fmt.split(";")[0]
    literal = _QUOTED.sub("", section)
    if "%" in literal:  # Excel multiplies by 100 for a bare %
        data.series = [(name, [_round(v * 100) if v is not None else None for v in values])
                       for name, values in data.series]
        data.unit = "percent"
    elif re.search(r'"\s*%\s*"|\\%', section):
        data.unit = "percent"
    shown = _decimals_of(fmt)
    if shown is None:
        return
    data.decimals = _choose_decimals(data, shown, fmt, axis)


def _round(value: float) -> int | float | None:
    value = round(value, 9)  # 0.887 * 100 is 88.70000000000002
    if abs(value) >= m.MAX_NUMBER:
        return None
    return int(value) if value.is_integer() else value


def _choose_decimals(data: ChartData, shown: int, fmt: str, axis: str | None) -> int | None:
    """None (as many as the figures need) when avtalsgen would write this chart's formats
    from that, else the decimals the format shows."""
    from .. import wordcharts  # python-pptx: only when a document has a chart

    values = [float(v) for _, vals in data.series for v in vals if v is not None]
    for decimals in (None, shown):
        table = m.Table(columns=["x", "y"], rows=[["x", 0]],
                        unit="percent" if data.unit == "percent" else "number",
                        decimals=decimals)
        if wordcharts.number_format(table, values) == fmt and (
                axis is None or data.kind == "pie" or
                wordcharts.axis_format(table, values) == axis):
            return decimals
    need = max((_needed(v) for v in values), default=0)
    return None if shown == need else shown


def _needed(value: float) -> int:
    """Decimals a figure needs (at most six), as avtalsgen counts them: 10.6 -> 1."""
    text = f"{round(value, 6):.6f}".rstrip("0")
    return len(text.split(".")[1])


def _title(chart: etree._Element) -> str:
    """The chart's title text, if it shows one."""
    if _val(chart.find(f"{C}autoTitleDeleted")) in ("1", "true"):
        return ""
    title = chart.find(f"{C}title")
    if title is None:
        return ""
    cache = title.find(f"{C}tx/{C}strRef/{C}strCache")
    if cache is not None:
        return " ".join(p for p in _points(cache) if p).strip()
    lines = ["".join(t.text or "" for t in p.iter(f"{A}t"))
             for p in title.iter(f"{A}p")]
    return " ".join(line.strip() for line in lines if line.strip())
