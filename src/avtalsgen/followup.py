"""The follow-up of a year's action plan (document type `follow_up`): in it, Brå's
measure table is printed as the follow-up, not as the plan: a summary by status, every
measure with its owner, status, follow-up text and indicator (baseline → current →
target), and what is carried into next year."""

from __future__ import annotations

from typing import Any

from . import model as m
from .indicators import (
    NO_PROGRESS,
    PROGRESS,
    indicator_line,
    numbered_measures,
    owner_text,
    progress_text,
)

Item = dict[str, Any]
COLUMNS = ["Nr", "Åtgärd", "Ansvarig", "Status", "Uppföljning", "Indikator"]
SUMMARY_COLUMNS = ["Status", "Antal åtgärder"]
# Measures that go on next year: neither done nor cancelled.
CARRIED = frozenset({"planned", "ongoing", None})
# Fill of a status cell (never colour alone: the word is there too).
FILLS = {"done": "C6EFCE", "ongoing": "FFEB9C", "cancelled": "D9D9D9"}


def carried(measure: m.Measure) -> bool:
    return measure.progress in CARRIED


def _table(title: str | None, columns: list[str], rows: list[list[str]],
           **extra: Any) -> Item:
    return {"kind": "table", "id": None, "title": title, "columns": columns, "rows": rows,
            "total": None, "notes": [], "text_table": True, "fills": {}, **extra}


def summary(measures: m.Measures) -> Item:
    """How many measures are planned, ongoing, done and cancelled."""
    counts: dict[str, int] = {}
    for _n, _cause, measure, _path in numbered_measures(measures):
        word = progress_text(measure)
        counts[word] = counts.get(word, 0) + 1
    words = [*PROGRESS.values(), NO_PROGRESS]
    rows = [[word, str(counts[word])] for word in words if word in counts]
    return _table(None, list(SUMMARY_COLUMNS), rows,
                  total=["Totalt", str(sum(counts.values()))], weights=[60, 40])


def measure_rows(measures: m.Measures, stats: m.Statistics) -> Item:
    """Every measure of the year: owner, status, follow-up text and indicator."""
    rows: list[list[str]] = []
    fills: dict[str, str] = {}
    for number, _cause, measure, _path in numbered_measures(measures):
        indicator = stats.indicators.get(measure.indicator or "")
        owner = "\n".join(x for x in (owner_text(measure), measure.who) if x)
        if measure.progress in FILLS:
            fills[f"{len(rows)},3"] = FILLS[measure.progress]
        rows.append([number, measure.measure, owner, progress_text(measure),
                     measure.outcome or measure.follow_up,
                     indicator_line(indicator, stats) if indicator else ""])
    return _table(measures.title, list(COLUMNS), rows, fills=fills,
                  weights=[7, 22, 16, 11, 24, 20])


def items(measures: m.Measures, stats: m.Statistics) -> list[Item]:
    """The follow-up of one measure table, as body items."""
    going_on = [f"{number} {measure.measure} ({progress_text(measure).lower()})"
                for number, _c, measure, _p in numbered_measures(measures) if carried(measure)]
    out = [{"kind": "label", "text": "Sammanfattning"}, summary(measures),
           {"kind": "label", "text": "Åtgärderna"}, measure_rows(measures, stats),
           {"kind": "label", "text": "Förs vidare till nästa år"}]
    if going_on:
        out += [{"kind": "bullet", "text": text, "style": "normal", "footnote": None}
                for text in going_on]
    else:
        out.append({"kind": "paragraph", "text": "Inga åtgärder förs vidare.",
                    "style": "normal", "footnote": None})
    return out
