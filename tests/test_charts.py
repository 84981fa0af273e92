"""Charts are print-ready: nothing clipped or overlapping, bars from zero, Carlito,
at least 200 dpi on paper, a banner on sample data, and the same PNG every time.

The geometry tests draw the figure and look at what was really drawn: every text
the renderer was asked to draw, with its window extent.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import subprocess
import sys
from collections.abc import Iterator
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from avtalsgen import charts
from avtalsgen import model as m

SKELLEFTEA = REPO / "municipalities" / "skelleftea"
LABEL_60 = "Anmälda otrygghetsskapande brott per 1000 invånare, kommunen"
SEED_LABEL = "Ungdomars alkohol och narkotikabruk"
PRINTED_WIDTH_IN = 15.5 / 2.54  # the renderer inserts charts 15.5 cm wide
TOLERANCE = 0.5  # pixels


def chart(kind: str, series: str = "rows") -> m.Chart:
    return m.Chart.model_validate({"table": "t", "kind": kind, "series": series,
                                   "caption": "Bildtext", "alt": "Alternativtext"})


def table(columns: list[Any], rows: list[list[Any]], **extra: Any) -> m.Table:
    return m.Table.model_validate({"columns": columns, "rows": rows, **extra})


def long_labels(**extra: Any) -> m.Table:
    """Three categories with long Swedish labels, two series (years)."""
    return table(["Brott", "2019", "2020"],
                 [[LABEL_60, 6.8, 7.3], [SEED_LABEL, 12, 14],
                  ["Skadegörelse, t.ex. klotter", 3, 4]], **extra)


def seed_charts() -> Iterator[tuple[str, m.Chart, m.Table]]:
    """Every chart of the Skellefteå underlag with its table, as the documents have them."""
    tables = yaml.safe_load((SKELLEFTEA / "statistics.yaml").read_text("utf-8"))["tables"]

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if isinstance(node.get("chart"), dict):
                yield node["chart"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    found = list(walk(yaml.safe_load((SKELLEFTEA / "underlag.yaml").read_text("utf-8"))))
    assert len(found) >= 10  # nine line charts and a pie
    for spec in found:
        yield spec["table"], m.Chart.model_validate(spec), m.Table.model_validate(
            tables[spec["table"]])


SEED_CHARTS = list(seed_charts())


class Drawn:
    """A figure drawn once, with the texts that were really drawn (visible, not empty)."""

    def __init__(self, c: m.Chart, t: m.Table) -> None:
        self.fig: Figure = charts._figure(c, t)
        self.texts: list[Text] = []
        original = Text.draw

        def record(text: Text, renderer: Any) -> Any:
            if text.get_visible() and text.get_text() and text.figure is not None:
                self.texts.append(text)
            return original(text, renderer)

        Text.draw = record  # type: ignore[method-assign]
        try:
            self.fig.canvas.draw()
        finally:
            Text.draw = original  # type: ignore[method-assign]
        self.renderer = self.fig.canvas.get_renderer()
        self.ax = self.fig.axes[0]

    def extent(self, artist: Any) -> Bbox:
        return artist.get_window_extent(self.renderer)

    def legend(self) -> Any:
        assert len(self.fig.legends) == 1
        return self.fig.legends[0]

    def strings(self) -> list[str]:
        return [t.get_text() for t in self.texts]


def overlap(a: Bbox, b: Bbox) -> bool:
    return (a.x0 < b.x1 - TOLERANCE and b.x0 < a.x1 - TOLERANCE
            and a.y0 < b.y1 - TOLERANCE and b.y0 < a.y1 - TOLERANCE)


def assert_inside_figure(d: Drawn) -> None:
    page = d.fig.bbox
    boxes = [(t.get_text(), d.extent(t)) for t in d.texts]
    boxes += [(f"box of {t.get_text()!r}", t.get_bbox_patch().get_window_extent(d.renderer))
              for t in d.texts if t.get_bbox_patch() is not None]
    assert boxes
    for name, box in boxes:
        assert box.x0 >= page.x0 - TOLERANCE and box.x1 <= page.x1 + TOLERANCE, (name, box)
        assert box.y0 >= page.y0 - TOLERANCE and box.y1 <= page.y1 + TOLERANCE, (name, box)


def assert_no_text_overlaps(d: Drawn) -> None:
    for a, b in combinations(d.texts, 2):
        if a.get_rotation() or b.get_rotation():
            continue  # rotated labels: their boxes are not their shapes (see below)
        assert not overlap(d.extent(a), d.extent(b)), (a.get_text(), b.get_text())


def assert_legend_clear(d: Drawn) -> None:
    """The legend covers no data and no other text."""
    if not d.fig.legends:
        return
    legend = d.extent(d.legend())
    assert not overlap(legend, d.extent(d.ax)), "the legend lies on the plot area"
    for patch in d.ax.patches:  # bars or wedges
        assert not overlap(legend, d.extent(patch))
    for line in d.ax.lines:
        assert not overlap(legend, line.get_window_extent(d.renderer))
    own = set(map(id, d.legend().get_texts()))
    for text in d.texts:
        if id(text) not in own:
            assert not overlap(legend, d.extent(text)), text.get_text()


def assert_print_ready(d: Drawn) -> None:
    assert_inside_figure(d)
    assert_no_text_overlaps(d)
    assert_legend_clear(d)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        chunks.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return chunks


# --- layout: nothing clipped, nothing overlapping ---------------------------------

def test_the_long_labels_are_what_the_brief_asks_for() -> None:
    assert len(LABEL_60) == 60
    labels = {str(c) for _, _, t in SEED_CHARTS for c in t.columns}
    labels |= {str(r[0]) for _, _, t in SEED_CHARTS for r in t.rows}
    assert len(max(labels, key=len)) < 60  # the 60-character label is the longest tested


@pytest.mark.parametrize(("key", "c", "t"), SEED_CHARTS,
                         ids=[f"{k}-{c.kind}" for k, c, _ in SEED_CHARTS])
def test_seed_charts_are_print_ready(key: str, c: m.Chart, t: m.Table) -> None:
    assert_print_ready(Drawn(c, t))


@pytest.mark.parametrize("kind", ["bar", "line"])
@pytest.mark.parametrize("sample", [False, True])
def test_long_category_labels_wrap_without_overlap(kind: str, sample: bool) -> None:
    d = Drawn(chart(kind, series="columns"), long_labels(sample_data=sample))
    assert_print_ready(d)
    ticks = [t for t in d.ax.get_xticklabels() if t in d.texts]
    assert len(ticks) == 3
    assert all(t.get_rotation() == 0 for t in ticks)
    assert "\n" in ticks[0].get_text()  # the 60-character label wrapped
    assert ticks[0].get_text().replace("\n", " ") == LABEL_60


@pytest.mark.parametrize("kind", ["bar", "line", "pie"])
def test_long_series_names_fit_in_the_legend(kind: str) -> None:
    t = table(["Brott", "2019", "2020", "2021"],
              [[LABEL_60, 1, 2, 3], [SEED_LABEL, 2, 3, 1], ["Övrigt", 3, 1, 2]])
    c = chart(kind, series="columns" if kind == "pie" else "rows")
    d = Drawn(c, t)
    assert_print_ready(d)
    legend_text = " ".join(x.get_text().replace("\n", " ") for x in d.legend().get_texts())
    assert LABEL_60 in legend_text and SEED_LABEL in legend_text


def test_many_categories_turn_and_thin_out_without_overlap() -> None:
    months = "jan feb mar apr maj jun jul aug sep okt nov dec".split()
    columns = ["År"] + [f"{mo} {y}" for y in (2019, 2020, 2021) for mo in months]
    t = table(columns, [["Antal", *range(36)], ["Antal 2", *range(36, 0, -1)]])
    d = Drawn(chart("line"), t)
    assert_inside_figure(d)
    assert_legend_clear(d)
    ticks = [t for t in d.ax.get_xticklabels() if t in d.texts]
    assert 2 <= len(ticks) < 36 and all(t.get_rotation() == 45 for t in ticks)
    # Parallel turned labels overlap when their baselines are closer than a text height.
    angle = math.radians(45)
    normal = (-math.sin(angle), math.cos(angle))
    anchors = [t.get_transform().transform(t.get_position()) for t in ticks]
    probes = [d.fig.text(0, 0, t.get_text(), fontproperties=t.get_fontproperties())
              for t in ticks]  # the same labels, not turned
    height = max(d.extent(probe).height for probe in probes)
    for a, b in pairwise(anchors):
        gap = abs((b[0] - a[0]) * normal[0] + (b[1] - a[1]) * normal[1])
        assert gap >= height, (gap, height)


def test_pie_labels_are_in_a_legend_beside_the_pie_with_values() -> None:
    t = table(["Svar", f"1. {SEED_LABEL}", LABEL_60, "3. Skadegörelse, t.ex. klotter"],
              [["Andel av svaren", 88.7, 6.6, 4.7]], unit="percent", decimals=1,
              sample_data=True)
    d = Drawn(chart("pie"), t)
    assert_print_ready(d)
    wedges = d.ax.patches
    assert len(wedges) == 3
    assert all(not t.get_text() for t in d.ax.texts)  # no labels on the wedges
    legend = d.extent(d.legend())
    for wedge in wedges:
        assert not overlap(legend, d.extent(wedge))
    assert legend.x0 >= d.extent(d.ax).x1  # beside, to the right
    texts = [x.get_text().replace("\n", " ") for x in d.legend().get_texts()]
    assert texts[0] == f"1. {SEED_LABEL} (88,7 %)"
    assert texts[1] == f"{LABEL_60} (6,6 %)"
    # The value stays on the line of the label's last word.
    lines = [line for x in d.legend().get_texts() for line in x.get_text().split("\n")]
    assert any(line.endswith("narkotikabruk (88,7 %)") for line in lines), lines
    assert any(line.endswith("kommunen (6,6 %)") for line in lines), lines
    assert any(line.endswith("klotter (4,7 %)") for line in lines), lines


def test_legend_is_below_the_plot_area() -> None:
    d = Drawn(chart("line"), long_labels())
    assert d.extent(d.legend()).y1 <= d.extent(d.ax).y0
    assert_legend_clear(d)


def test_single_series_has_no_legend() -> None:
    d = Drawn(chart("line"), table(["Brott", "2019", "2020"], [["Brott", 1, 2]]))
    assert not d.fig.legends
    assert_print_ready(d)


# --- bars from zero ---------------------------------------------------------------

@pytest.mark.parametrize(("key", "c", "t"), [s for s in SEED_CHARTS if s[1].kind != "pie"],
                         ids=[k for k, c, _ in SEED_CHARTS if c.kind != "pie"])
def test_seed_tables_as_bars_start_at_zero(key: str, c: m.Chart, t: m.Table) -> None:
    bar = c.model_copy(update={"kind": "bar"})
    d = Drawn(bar, t)
    assert d.ax.get_ylim()[0] == 0
    assert_print_ready(d)


def test_bars_start_at_zero_even_when_values_are_far_from_it() -> None:
    d = Drawn(chart("bar"), table(["x", "a", "b"], [["Invånare", 72266, 72904]]))
    assert d.ax.get_ylim()[0] == 0


def test_negative_bars_keep_zero_in_view() -> None:
    d = Drawn(chart("bar"), table(["x", "a", "b"], [["Förändring", -5, 3]]))
    low, high = d.ax.get_ylim()
    assert low < -5 and high > 3


# --- font -------------------------------------------------------------------------

def carlito_installed() -> bool:
    return (any(f.name == "Carlito" for f in font_manager.fontManager.ttflist)
            or any(charts.CARLITO_DIR.glob("Carlito*.ttf")))


@pytest.mark.parametrize("kind", ["bar", "line", "pie"])
def test_text_is_set_in_carlito_when_installed(kind: str) -> None:
    d = Drawn(chart(kind, series="columns"), long_labels(sample_data=True))
    want = "Carlito" if carlito_installed() else "DejaVuSans"
    for text in d.texts:
        font = Path(font_manager.findfont(text.get_fontproperties(),
                                          fallback_to_default=False)).name
        assert font.startswith(want), (text.get_text(), font)


def test_without_carlito_the_charts_fall_back_to_dejavu(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist",
                        [f for f in manager.ttflist if f.name != "Carlito"])
    monkeypatch.setattr(charts, "CARLITO_DIR", tmp_path)
    assert charts._font_families.__wrapped__() == ("DejaVu Sans",)


# --- PNG: resolution, banner, reproducibility --------------------------------------

@pytest.mark.parametrize("kind", ["bar", "line", "pie"])
def test_png_has_at_least_200_dpi_at_the_printed_size(kind: str) -> None:
    from PIL import Image

    png = charts.render_png(chart(kind, series="columns"), long_labels())
    chunks = dict(png_chunks(png))
    ppm_x, ppm_y, unit = struct.unpack(">IIB", chunks[b"pHYs"])
    assert unit == 1 and ppm_x == ppm_y
    assert round(ppm_x * 0.0254) >= 200
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    assert width / PRINTED_WIDTH_IN >= 200
    assert width == round(charts.WIDTH_IN * charts.DPI)
    assert 0.3 < height / width < 1  # a landscape picture, not a sliver


@pytest.mark.parametrize("kind", ["bar", "line", "pie"])
def test_sample_data_carries_a_banner(kind: str) -> None:
    sample = Drawn(chart(kind, series="columns"), long_labels(sample_data=True))
    banner = [t for t in sample.texts if t.get_text() == charts.SAMPLE_BANNER]
    assert len(banner) == 1
    assert "EXEMPELDATA" in charts.SAMPLE_BANNER
    box = banner[0].get_bbox_patch()
    assert box is not None and box.get_edgecolor()[:3] != box.get_facecolor()[:3]
    assert banner[0].get_fontweight() == "bold"
    # Above the plot, not on the data.
    assert not overlap(sample.extent(box), sample.extent(sample.ax))
    real = Drawn(chart(kind, series="columns"), long_labels())
    assert charts.SAMPLE_BANNER not in real.strings()


def test_png_is_reproducible_and_has_no_metadata() -> None:
    c, t = chart("line"), long_labels(sample_data=True)
    first = charts.render_png(c, t)
    assert charts.render_png(c, t) == first
    assert charts.render_png(chart("bar"), t) != first
    kinds = [kind for kind, _ in png_chunks(first)]
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(kinds), kinds


def test_png_is_the_same_in_a_fresh_process() -> None:
    script = (
        "import hashlib, sys\n"
        "from avtalsgen import charts, model as m\n"
        "c = m.Chart.model_validate({'table': 't', 'kind': 'pie', 'caption': 'c', "
        "'alt': 'a'})\n"
        f"t = m.Table.model_validate({{'columns': ['x', {SEED_LABEL!r}, 'b'], "
        "'rows': [['y', 3, 4]], 'sample_data': True})\n"
        "sys.stdout.write(hashlib.sha256(charts.render_png(c, t)).hexdigest())\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    here = charts.render_png(chart("pie"), table(["x", SEED_LABEL, "b"], [["y", 3, 4]],
                                                 sample_data=True))
    assert out == hashlib.sha256(here).hexdigest()


# --- accessibility kept -------------------------------------------------------------

def test_lines_differ_by_marker_and_style_bars_and_wedges_by_hatch() -> None:
    t = table(["x", "a", "b", "c"], [["Ett", 1, 2, 3], ["Två", 2, 3, 1], ["Tre", 3, 1, 2]])
    lines = Drawn(chart("line"), t).ax.lines
    assert len({ln.get_marker() for ln in lines}) == 3
    assert len({ln.get_linestyle() for ln in lines}) == 3
    assert len({ln.get_color() for ln in lines}) == 3
    bars = Drawn(chart("bar"), t).ax.containers
    assert len({b.patches[0].get_hatch() or "" for b in bars}) == 3
    wedges = Drawn(chart("pie"), t).ax.patches
    assert len({w.get_hatch() or "" for w in wedges}) == 3


def test_value_axis_uses_swedish_numbers() -> None:
    d = Drawn(chart("line"), table(["x", "a", "b"], [["Per 1000", 1.2, 1.9]]))
    labels = [t.get_text() for t in d.ax.get_yticklabels() if t in d.texts]
    assert any("," in s for s in labels) and not any("." in s for s in labels)
    big = Drawn(chart("bar"), table(["x", "a", "b"], [["Invånare", 72266, 172904]]))
    labels = [t.get_text() for t in big.ax.get_yticklabels() if t in big.texts]
    assert "100 000" in labels
    pct = Drawn(chart("line"), table(["x", "a", "b"], [["Flickor", 10, 19]],
                                     unit="percent"))
    labels = [t.get_text() for t in pct.ax.get_yticklabels() if t in pct.texts]
    assert labels and all(s.endswith(" %") for s in labels)


def test_stacked_bars_pile_up_away_from_zero() -> None:
    """`stacked: true` with `render: image`: each series sits on the ones before it,
    negative values below zero."""
    stacked = m.Chart.model_validate({"table": "t", "kind": "bar", "stacked": True,
                                      "render": "image", "caption": "c", "alt": "a"})
    d = Drawn(stacked, table(["x", "a", "b"], [["Ett", 1, -2], ["Två", 3, 4]]))
    first, second = d.ax.containers
    assert [p.get_x() for p in first.patches] == [p.get_x() for p in second.patches]
    assert [p.get_y() for p in second.patches] == [1, 0]  # on 1; beside the -2, from 0
    assert [p.get_height() for p in second.patches] == [3, 4]
    assert first.patches[1].get_y() == 0 and first.patches[1].get_height() == -2
    assert_print_ready(d)
