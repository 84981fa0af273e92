"""Charts as pictures, drawn with matplotlib from the same table data the documents
show: for `render: image` and the editor's HTML preview (wordcharts.py makes the
native Word charts documents have by default).

Print-ready: the figure is 6.3 in wide at 200 dpi (Word shows it 15.5 cm wide, so
about 206 dpi on paper), the text is in Carlito (metric twin of the templates'
Calibri) when it is installed, else DejaVu Sans. Nothing is clipped: the margins are
measured from the text itself, long category labels wrap (or turn 45° and thin out),
the legend sits below the plot area (beside a pie, with the values in its text) and
the figure grows to make room for it. Bars start at zero. Sample data carries a
banner. The PNG is reproducible: no timestamps or software tags in the file.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import model as m
from .formatting import procent, tal

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text

WIDTH_IN = 6.3        # figure width; inserted 15.5 cm (6.1 in) wide
DPI = 200             # pixels per inch of the figure, so ≥ 200 dpi on paper
PLOT_HEIGHT_IN = 2.5  # height of the plot area; the figure grows round it
PIE_IN = 2.4          # side of the pie's square
PAD_IN = 0.06         # empty margin at the figure's edges
GAP_IN = 0.1          # between banner, plot, tick labels and legend
FONT_SIZE = 9
LEGEND_FONT_SIZE = 8.5
BANNER_FONT_SIZE = 10
BANNER_PAD = 0.4      # box padding round the banner text, in font sizes
SAMPLE_BANNER = "EXEMPELDATA – inte verkliga siffror"
CARLITO_DIR = Path("/usr/share/fonts/truetype/crosextra")  # Debian fonts-crosextra-carlito
# Colour-blind-safe palette (Okabe–Ito); series also differ by marker and line style,
# bars and wedges by hatch.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", "-.", ":"]
BAR_HATCHES = ["", "//", "..", "xx"]
PIE_HATCHES = ["", "//", "..", "xx", "\\\\", "oo"]
LEGEND_STYLE = {"borderpad": 0.4, "handletextpad": 0.8, "columnspacing": 1.5}
PNG_COMPRESS_LEVEL = 1  # fast zlib: the picture is rendered for every document


@cache
def _font_families() -> tuple[str, ...]:
    """Carlito first when it can be found (glyphs it lacks fall back to DejaVu Sans)."""
    from matplotlib import font_manager

    def known() -> bool:
        return any(f.name == "Carlito" for f in font_manager.fontManager.ttflist)

    if not known():  # installed after matplotlib built its font cache
        for path in sorted(CARLITO_DIR.glob("Carlito*.ttf")):
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError, ValueError):
                continue
    return ("Carlito", "DejaVu Sans") if known() else ("DejaVu Sans",)


@cache
def _setup() -> None:
    import matplotlib

    matplotlib.rcParams.update({"font.family": list(_font_families()),
                                "font.size": FONT_SIZE, "svg.hashsalt": "avtalsgen",
                                "axes.spines.top": False, "axes.spines.right": False})


def _text(value: str) -> str:
    # Babel's no-break spaces: Carlito has no U+00A0 glyph, and a chart never breaks lines.
    return value.replace("\u00a0", " ")


def _number(table: m.Table) -> Callable[[float], str]:
    """Swedish number for the value axis: '72 904', '10,6', '20 %'."""
    fmt = procent if table.unit == "percent" else tal
    return lambda v: _text(fmt(round(v, 6) + 0.0))  # + 0.0: no '-0'


def table_series(table: m.Table, by: str) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """Categories and (name, values) series: a row per series, or a column per series
    (`series: columns`); a blank or text cell is NaN. Pictures and Word charts alike."""
    labels = [str(c) for c in table.columns[1:]]
    series = [(str(row[0]), [float(v) if isinstance(v, (int, float)) else float("nan")
                             for v in row[1:]]) for row in table.rows]
    if by == "columns":
        labels = [name for name, _ in series]
        series = [(labels_col, [vals[j] for _, vals in series])
                  for j, labels_col in enumerate(str(c) for c in table.columns[1:])]
    return labels, series


def _inches(artist: Any, renderer: RendererBase) -> Any:
    """Window extent in inches from the figure's lower left corner."""
    return artist.get_window_extent(renderer).transformed(
        artist.figure.dpi_scale_trans.inverted())


def _label_box(axis: Any, renderer: RendererBase) -> Any:
    """Inches box round the tick labels that are drawn (those inside the view)."""
    from matplotlib.transforms import Bbox

    low, high = sorted(axis.get_view_interval())
    slack = 1e-9 * max(1.0, high - low)
    boxes = [_inches(label, renderer) for loc, label in
             zip(axis.get_majorticklocs(), axis.get_majorticklabels(), strict=False)
             if low - slack <= loc <= high + slack and label.get_text()]
    ax_box = _inches(axis.axes, renderer)
    return Bbox.union(boxes) if boxes else Bbox.from_extents(*ax_box.extents)


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width, break_long_words=False) or text


def _banner(fig: Figure, renderer: RendererBase) -> tuple[Text, float]:
    """The sample-data banner and the height it needs at the top, in inches."""
    text = fig.text(0.5, 1.0, SAMPLE_BANNER, ha="center", va="top",
                    fontsize=BANNER_FONT_SIZE, fontweight="bold", color="#8B0000",
                    zorder=10, bbox={"boxstyle": f"square,pad={BANNER_PAD}",
                                     "facecolor": "#FFF1B8", "edgecolor": "#8B0000",
                                     "linewidth": 1.2})
    pad = BANNER_PAD * BANNER_FONT_SIZE / 72
    return text, _inches(text, renderer).height + 2 * pad + 2 / 72


def _place_banner(text: Text, height_in: float) -> None:
    pad = BANNER_PAD * BANNER_FONT_SIZE / 72 + 1 / 72
    text.set_y(1 - (PAD_IN + pad) / height_in)


def _split(n: int, parts: int) -> list[int]:
    """Column lengths as the legend fills them (numpy.array_split): longest first."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(min(n, parts))]


def _fit_legend(fig: Figure, renderer: RendererBase, make: Callable[..., Legend],
                names: Sequence[str], max_width_in: float, wraps: Sequence[int],
                columns: Sequence[int], handlelength: float) -> Legend:
    """The first legend (by wrap width, then columns) no wider than max_width_in.

    Widths are predicted from the label texts so that only a legend likely to fit is
    built (building one costs as much as drawing it); the built one is checked.
    """
    em = LEGEND_FONT_SIZE / 72
    handle = (handlelength + LEGEND_STYLE["handletextpad"]) * em
    for width in wraps:
        wrapped = [_text(_wrap(n, width)) for n in names]
        probes = [fig.text(0, 0, w, fontsize=LEGEND_FONT_SIZE) for w in wrapped]
        entries = [handle + _inches(t, renderer).width for t in probes]
        for t in probes:
            t.remove()
        for ncol in columns:
            first, need = 0, 2 * LEGEND_STYLE["borderpad"] * em
            for length in _split(len(entries), ncol):
                need += max(entries[first:first + length])
                first += length
            need += (min(ncol, len(entries)) - 1) * LEGEND_STYLE["columnspacing"] * em
            if need > max_width_in:
                continue
            legend = make(ncol, wrapped)
            if _inches(legend, renderer).width <= max_width_in:
                return legend
            legend.remove()
    return make(1, [_text(_wrap(n, 12)) for n in names])  # the narrowest there is


def _column_choices(n: int) -> list[int]:
    """Legend column counts giving 1, 2, 3, … rows, most columns first."""
    return sorted({math.ceil(n / rows) for rows in range(1, n + 1)}, reverse=True)


def _fit_xticks(ax: Axes, labels: list[str], renderer: RendererBase,
                width_in: float) -> None:
    """Category labels that do not overlap: wrapped across, or at 45° and thinned out."""
    n = len(labels)
    xs = list(range(n))
    slot_pt = width_in * 72 / max(n, 1)  # x runs from -0.5 to n - 0.5
    chars = int(slot_pt / (FONT_SIZE * 0.5))
    for width in (chars, chars * 3 // 4):
        if width < 4:
            break
        wrapped = [_wrap(lab, width) for lab in labels]
        if max((w.count("\n") + 1 for w in wrapped), default=1) > 3:
            break
        ax.set_xticks(xs, wrapped)
        widths = [t.get_window_extent(renderer).width * 72 / DPI
                  for t in ax.get_xticklabels()]
        if max(widths, default=0) <= slot_pt - 3:
            return
    wrapped = [_wrap(lab, 22) for lab in labels]
    lines = max((w.count("\n") + 1 for w in wrapped), default=1)
    block_pt = lines * FONT_SIZE * 1.25 + 2
    step = max(1, math.ceil(block_pt / (slot_pt * math.sin(math.pi / 4))))
    ax.set_xticks(xs[::step], wrapped[::step], rotation=45, ha="right",
                  rotation_mode="anchor")


def _xy(fig: Figure, renderer: RendererBase, chart: m.Chart, table: m.Table,
        banner: Text | None, banner_h: float) -> None:
    labels, series = table_series(table, chart.series)
    height0 = fig.get_figheight()
    ax = fig.add_axes((0.1, 0.3, 0.85, PLOT_HEIGHT_IN / height0))
    xs = list(range(len(labels)))
    if chart.kind == "bar":
        n = len(series)
        width = 0.6 if chart.stacked else 0.8 / max(n, 1)
        above, below = [0.0] * len(xs), [0.0] * len(xs)  # stacks grow away from zero
        at: Sequence[float]
        for i, (name, values) in enumerate(series):
            if chart.stacked:
                shown = [v if math.isfinite(v) else 0.0 for v in values]
                bottom = [below[j] if v < 0 else above[j] for j, v in enumerate(shown)]
                for j, v in enumerate(shown):
                    (below if v < 0 else above)[j] += v
                at = xs
            else:
                shown, bottom = values, [0.0] * len(xs)
                at = [x + (i - (n - 1) / 2) * width for x in xs]
            ax.bar(at, shown, width, bottom=bottom, label=name,
                   color=PALETTE[i % len(PALETTE)], hatch=BAR_HATCHES[i % len(BAR_HATCHES)],
                   edgecolor="white", linewidth=0.5)
        finite = [v for _, values in series for v in values if math.isfinite(v)]
        if all(v >= 0 for v in finite):
            ax.set_ylim(bottom=0)  # bars are read by their length: from zero
        else:
            ax.axhline(0, color="black", linewidth=0.8)
    else:
        for i, (name, values) in enumerate(series):
            ax.plot(xs, values, label=name, color=PALETTE[i % len(PALETTE)],
                    marker=MARKERS[i % len(MARKERS)],
                    linestyle=LINESTYLES[i % len(LINESTYLES)], linewidth=1.6)
        finite = [v for _, values in series for v in values if math.isfinite(v)]
        if chart.axis_from_zero and all(v >= 0 for v in finite):
            ax.set_ylim(bottom=0)  # as the native chart: a small change is not made large
    ax.set_xlim(-0.5, max(len(labels), 1) - 0.5)
    number = _number(table)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v)))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)

    legend = None
    leg_h = 0.0
    if len(series) > 1:
        handles = ax.get_legend_handles_labels()[0]

        def make(ncol: int, names: list[str]) -> Legend:
            return fig.legend(handles, names, loc="lower center", ncol=ncol,
                              bbox_to_anchor=(WIDTH_IN / 2, PAD_IN),
                              bbox_transform=fig.dpi_scale_trans, borderaxespad=0,
                              frameon=False, fontsize=LEGEND_FONT_SIZE, handlelength=3,
                              **LEGEND_STYLE)

        legend = _fit_legend(fig, renderer, make, [name for name, _ in series],
                             WIDTH_IN - 2 * PAD_IN, (60, 40, 25), _column_choices(len(series)),
                             handlelength=3)
        leg_h = _inches(legend, renderer).height + GAP_IN

    # Margins from the text itself: the y tick labels (they depend only on the plot
    # height), then the x tick labels, whose fit depends on the plot width; rotated
    # ones may reach past the left edge and widen the margin.
    ax.set_position((PAD_IN / WIDTH_IN, 0.3, 1 - 2 * PAD_IN / WIDTH_IN,
                     PLOT_HEIGHT_IN / height0))
    box, ylabels = _inches(ax, renderer), _label_box(ax.yaxis, renderer)
    left, right = PAD_IN + box.x0 - ylabels.x0, WIDTH_IN - PAD_IN
    over = max(0.0, ylabels.y1 - box.y1)  # tick labels above the plot
    for _ in range(3):
        ax.set_position((left / WIDTH_IN, 0.3, (right - left) / WIDTH_IN,
                         PLOT_HEIGHT_IN / height0))
        _fit_xticks(ax, labels, renderer, right - left)
        box, xlabels = _inches(ax, renderer), _label_box(ax.xaxis, renderer)
        grow_left = max(0.0, PAD_IN - xlabels.x0)
        grow_right = max(0.0, xlabels.x1 - (WIDTH_IN - PAD_IN))
        if grow_left + grow_right < 1e-3:
            break
        left, right = left + grow_left, right - grow_right
    under = max(box.y0 - min(xlabels.y0, ylabels.y0), 6 / 72)  # 6 pt: the tick marks
    top = PAD_IN + banner_h + (GAP_IN if banner is not None else 0.0) + over
    height = top + PLOT_HEIGHT_IN + under + leg_h + PAD_IN
    fig.set_size_inches(WIDTH_IN, height)
    ax.set_position((left / WIDTH_IN, (height - top - PLOT_HEIGHT_IN) / height,
                     (right - left) / WIDTH_IN, PLOT_HEIGHT_IN / height))
    if banner is not None:
        _place_banner(banner, height)


def _pie(fig: Figure, renderer: RendererBase, chart: m.Chart, table: m.Table,
         banner: Text | None, banner_h: float) -> None:
    labels, series = table_series(table, chart.series)
    _name, values = series[0]
    shown = [v if math.isfinite(v) else 0.0 for v in values]
    ax = fig.add_axes((0.0, 0.0, PIE_IN / WIDTH_IN, PIE_IN / fig.get_figheight()))
    wedges, *_ = ax.pie(shown, colors=[PALETTE[i % len(PALETTE)] for i in range(len(shown))],
                        startangle=90, counterclock=False,
                        wedgeprops={"linewidth": 1, "edgecolor": "white"})
    for i, wedge in enumerate(wedges):  # hatches: not colour alone
        wedge.set_hatch(PIE_HATCHES[i % len(PIE_HATCHES)])
    ax.set(xlim=(-1.03, 1.03), ylim=(-1.03, 1.03), aspect="equal")

    fmt = procent if table.unit == "percent" else tal
    # The value is tied to the label's last word by a no-break space when wrapped.
    names = [f"{lab}\u00a0({fmt(v, table.decimals) if math.isfinite(v) else '–'})"
             for lab, v in zip(labels, values, strict=True)]

    def make(_ncol: int, texts: list[str]) -> Legend:
        return fig.legend(wedges, texts, loc="center left", bbox_to_anchor=(0, 0),
                          bbox_transform=fig.dpi_scale_trans, borderaxespad=0,
                          frameon=False, fontsize=LEGEND_FONT_SIZE, handlelength=1.6,
                          handleheight=1.6, labelspacing=0.8, **LEGEND_STYLE)

    legend = _fit_legend(fig, renderer, make, names,
                         WIDTH_IN - 2 * PAD_IN - PIE_IN - 2 * GAP_IN, (40, 32, 24, 16), (1,),
                         handlelength=1.6)
    leg = _inches(legend, renderer)
    body = max(PIE_IN, leg.height)
    top = PAD_IN + banner_h + (GAP_IN if banner is not None else 0.0)
    height = top + body + PAD_IN
    fig.set_size_inches(WIDTH_IN, height)
    x0 = (WIDTH_IN - (PIE_IN + 2 * GAP_IN + leg.width)) / 2  # centre pie and legend
    middle = height - top - body / 2
    ax.set_position((x0 / WIDTH_IN, (middle - PIE_IN / 2) / height, PIE_IN / WIDTH_IN,
                     PIE_IN / height))
    legend.set_bbox_to_anchor((x0 + PIE_IN + 2 * GAP_IN, middle), fig.dpi_scale_trans)
    if banner is not None:
        _place_banner(banner, height)


def _figure(chart: m.Chart, table: m.Table) -> Figure:
    """The laid-out figure, not yet drawn (the tests inspect it)."""
    _setup()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, 4.5), dpi=DPI)
    renderer = FigureCanvasAgg(fig).get_renderer()
    banner, banner_h = _banner(fig, renderer) if table.sample_data else (None, 0.0)
    (_pie if chart.kind == "pie" else _xy)(fig, renderer, chart, table, banner, banner_h)
    return fig


def render_png(chart: m.Chart, table: m.Table) -> bytes:
    """The chart as PNG bytes: 6.3 in wide at 200 dpi, the same bytes for the same input."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    fig = _figure(chart, table)
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # _figure draws with Agg
    canvas.draw()
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA",
                             0, 1).convert("RGB")  # opaque white figure: no alpha needed
    buf = io.BytesIO()
    # PIL writes no timestamp or software chunk; pHYs carries the dpi.
    image.save(buf, format="png", compress_level=PNG_COMPRESS_LEVEL, dpi=(DPI, DPI))
    return buf.getvalue()
