"""Captions and the notes under tables, charts and pictures.

One series per kind of float, as a published document numbers them: "Figur 1…n" for
charts and pictures together, "Tabell 1…n" for tables. Each number is written as a Word
SEQ field named by the label (wordxml.caption), so Word can list and cross-reference
them and counts on when a figure is added by hand.
"""

from __future__ import annotations

from typing import Any

from . import model as m

Item = dict[str, Any]

FIGURE_NAME = "Figur"
TABLE_NAME = "Tabell"
# A chart's kind in words: the name of its shape in Word, where the importer reads that
# a picture was a chart. Earlier versions numbered charts per kind under these names
# ("Linjediagram 2."); the importer still reads such captions.
CHART_NAMES = {"line": "Linjediagram", "bar": "Stapeldiagram", "pie": "Cirkeldiagram"}
SAMPLE_MARK = "(EXEMPELDATA)"
AXIS_NOT_FROM_ZERO = ("Observera: värdeaxeln börjar inte på noll, så skillnaderna ser "
                      "större ut än de är.")


class Numbering:
    """Counts the floats of one document, one series per label."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def caption(self, label: str, text: str) -> Item:
        """A numbered caption, "Figur 3. text": the next number of the label's series."""
        self.counts[label] = self.counts.get(label, 0) + 1
        number = self.counts[label]
        return {"caption": f"{label} {number}. {text}", "label": label, "number": number,
                "caption_text": text}

    def table(self, text: str) -> Item:
        return self.caption(TABLE_NAME, text)

    def figure(self, text: str) -> Item:
        """A chart's or a picture's caption: both are figures."""
        return self.caption(FIGURE_NAME, text)


def chart_notes(chart: m.Chart, table: m.Table) -> list[str]:
    """The table's notes, and that the value axis does not start at zero if it does not."""
    axis = [] if chart.axis_from_zero or chart.kind == "pie" else [AXIS_NOT_FROM_ZERO]
    return sample_notes(table) + axis


def sample_notes(table: m.Table) -> list[str]:
    """The note under a table or chart: its source, or that the figures are invented."""
    if table.sample_data:
        source = f" (källa: {table.source})" if table.source else ""
        return [f"EXEMPELDATA: siffrorna är påhittade och kommer inte från källan{source}. "
                "Byt ut dem mot verkliga siffror före publicering."]
    return [f"Källa: {table.source}"] if table.source else []
