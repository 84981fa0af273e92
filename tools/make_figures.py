#!/usr/bin/env python3
"""Draw the two figures of Luleå's verksamhetsplan that the published text refers to
(the crime triangle and the prevention triangle), as PNG files in its folder.

The published PDF's pictures did not survive text extraction; these redraw what
the text describes. Output is reproducible (no timestamps in the PNG).

    .venv/bin/python tools/make_figures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Polygon

OUT = Path(__file__).resolve().parents[1] / "municipalities" / "lulea"
ACCENT = "#1F3A5F"


def crime_triangle(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 4), dpi=200)
    ax.add_patch(Polygon([(0, 0), (1, 0), (0.5, 0.87)], closed=True, fill=False,
                         edgecolor=ACCENT, linewidth=2))
    for (x, y), text in (((0.5, 0.93), "Motiverad gärningsperson"),
                         ((-0.02, -0.08), "Lämpligt brottsobjekt"),
                         ((1.02, -0.08), "Plats utan kapabel väktare")):
        ax.text(x, y, text, ha="center", va="center", fontsize=10, color=ACCENT)
    ax.text(0.5, 0.3, "Brott", ha="center", va="center", fontsize=12, weight="bold")
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-0.2, 1.05)
    ax.axis("off")
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def prevention_triangle(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 4), dpi=200)
    levels = [("Universell: alla", "#DCE3EC"), ("Selektiv: riskgrupper", "#A9BCD0"),
              ("Indikerad: individer", "#6F8FAF")]
    for i, (text, colour) in enumerate(levels):
        y0, y1 = i / 3 * 0.87, (i + 1) / 3 * 0.87
        half0, half1 = 0.5 * (1 - y0 / 0.87), 0.5 * (1 - y1 / 0.87)
        ax.add_patch(Polygon([(0.5 - half0, y0), (0.5 + half0, y0), (0.5 + half1, y1),
                              (0.5 - half1, y1)], closed=True, facecolor=colour,
                             edgecolor="white", hatch=["", "//", ".."][i]))
        ax.text(1.0 - (half0 + half1) / 4, (y0 + y1) / 2, text, ha="left", va="center",
                fontsize=10, color="black")
    ax.set_xlim(-0.05, 1.6)
    ax.set_ylim(-0.05, 0.95)
    ax.axis("off")
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def main() -> int:
    crime_triangle(OUT / "brottstriangeln.png")
    prevention_triangle(OUT / "preventionstriangeln.png")
    print("municipalities/lulea/brottstriangeln.png, preventionstriangeln.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
