"""How wide text is set in the templates' font, from metrics shipped with the package.

The templates use Calibri; its metric twin Carlito (SIL Open Font License 1.1) gives the
same widths. fonts/carlito.json holds every Carlito character's advance width, made
once by tools/font_metrics.py, so a table's column widths, and with them the .docx
bytes, are the same on every machine whatever fonts it has installed.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import NamedTuple


class Metrics(NamedTuple):
    advances: dict[int, int]  # code point: advance in 1/units_per_em em
    missing: int  # the advance of a character the font lacks (its .notdef glyph)
    units_per_em: int


@cache
def metrics(bold: bool) -> Metrics:
    """Carlito Regular's or Bold's advance widths, read once."""
    table = json.loads(resources.files(__package__).joinpath("fonts", "carlito.json")
                       .read_text(encoding="utf-8"))
    style = table["styles"]["Bold" if bold else "Regular"]
    advances = {first + i: width for first, widths in style["runs"]
                for i, width in enumerate(widths)}
    return Metrics(advances, int(style["missing"]), int(table["px"]))


def em_width(text: str, bold: bool = False) -> float:
    """How wide text is set in Carlito, in em (Carlito has no kerning table, so a word is
    the sum of its characters)."""
    found = metrics(bold)
    get = found.advances.get
    return sum(get(ord(c), found.missing) for c in text) / found.units_per_em
