"""Charts drawn with matplotlib from the same table data the documents show.

PNG output is reproducible: no timestamps or software tags in the file.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from . import model as m
from .formatting import tal

WIDTH_IN, HEIGHT_IN, DPI = 6.3, 3.4, 130
# Colour-blind-safe palette (Okabe–Ito); series also differ by marker and line style.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", "-.", ":"]


@cache
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9,
                         "svg.hashsalt": "avtalsgen", "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def _series(table: m.Table, by: str) -> tuple[list[str], list[tuple[str, list[float]]]]:
    labels = [str(c) for c in table.columns[1:]]
    series = [(str(row[0]), [float(v) if isinstance(v, (int, float)) else float("nan")
                             for v in row[1:]]) for row in table.rows]
    if by == "columns":
        labels = [name for name, _ in series]
        series = [(labels_col, [vals[j] for _, vals in series])
                  for j, labels_col in enumerate(str(c) for c in table.columns[1:])]
    return labels, series


def render_png(chart: m.Chart, table: m.Table) -> bytes:
    plt = _pyplot()
    labels, series = _series(table, chart.series)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    try:
        if chart.kind == "pie":
            name, values = series[0]
            wedges, *_ = ax.pie(values, labels=[f"{lab} ({tal(v)})" for lab, v in
                                                zip(labels, values, strict=True)],
                                colors=PALETTE[:len(values)], startangle=90,
                                counterclock=False,
                                wedgeprops={"linewidth": 1, "edgecolor": "white"})
            for i, wedge in enumerate(wedges):  # hatches: not colour alone
                wedge.set_hatch(["", "//", "..", "xx", "\\\\", "oo"][i % 6])
            ax.set_aspect("equal")
        elif chart.kind == "bar":
            n = len(series)
            width = 0.8 / max(n, 1)
            for i, (name, values) in enumerate(series):
                xs = [x + (i - (n - 1) / 2) * width for x in range(len(labels))]
                ax.bar(xs, values, width, label=name, color=PALETTE[i % len(PALETTE)],
                       hatch=["", "//", "..", "xx"][i % 4], edgecolor="white")
            ax.set_xticks(range(len(labels)), labels)
        else:
            for i, (name, values) in enumerate(series):
                ax.plot(labels, values, label=name, color=PALETTE[i % len(PALETTE)],
                        marker=MARKERS[i % len(MARKERS)],
                        linestyle=LINESTYLES[i % len(LINESTYLES)], linewidth=1.6)
            if len(labels) > 12:
                step = max(1, len(labels) // 12)
                ax.set_xticks(range(0, len(labels), step),
                              [labels[i] for i in range(0, len(labels), step)],
                              rotation=45, ha="right")
        if chart.kind != "pie":
            ax.yaxis.set_major_formatter(
                plt.FuncFormatter(lambda v, _pos: tal(round(v, 6))))
            ax.grid(axis="y", alpha=0.3)
            if len(series) > 1:
                ax.legend(frameon=False, fontsize=8)
        # Fixed margins: tight_layout costs a third of the time and our layout is fixed.
        if chart.kind == "pie":
            fig.subplots_adjust(left=0.02, right=0.98, bottom=0.04, top=0.96)
        else:
            fig.subplots_adjust(left=0.10, right=0.98, bottom=0.18 if len(labels) > 12 else 0.1,
                                top=0.96)
        buf = io.BytesIO()
        # Fast zlib level: the picture is small and rendered for every document.
        fig.savefig(buf, format="png", metadata={"Software": None},
                    pil_kwargs={"compress_level": 1})
        return buf.getvalue()
    finally:
        plt.close(fig)
