"""A measure's linked vocabulary in the documents' words: its owner, its time, its
indicator (baseline → current → target) and its progress, as the action plan's table
and the follow-up print them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import model as m
from .formatting import EN_DASH, datum_kort, tal

PARTY_WORDS = {"kommun": "kommunen", "polis": "polisen"}
# A measure's progress as a word (planerad, pågår, genomförd, inställd), in this order.
PROGRESS = {"planned": "Planerad", "ongoing": "Pågår", "done": "Genomförd",
            "cancelled": "Inställd"}
NO_PROGRESS = "Ej angiven"
ARROW = "\u2192"


def owner_text(measure: m.Measure) -> str:
    """'Fritidschef (kommunen)': the owning function and party, as far as given."""
    party = PARTY_WORDS[measure.party] if measure.party else ""
    if measure.function and party:
        return f"{measure.function} ({party})"
    return measure.function or party.capitalize()


def who_text(measure: m.Measure) -> str:
    """The Vem cell: the named person and the owning function, as given."""
    return "\n".join(x for x in (measure.who, owner_text(measure)) if x)


def time_text(measure: m.Measure) -> str:
    """The När cell: the words given, else the dates ('2025-02-01 – 2025-06-30')."""
    if measure.when:
        return measure.when
    if measure.start and measure.due:
        return f"{datum_kort(measure.start)} {EN_DASH} {datum_kort(measure.due)}"
    if measure.due:
        return f"senast {datum_kort(measure.due)}"
    return f"från {datum_kort(measure.start)}" if measure.start else ""


def reading_text(reading: m.Reading | None) -> str:
    """'412 (2024)'; '–' when not measured."""
    if reading is None:
        return EN_DASH
    value = reading.value
    shown = tal(value) if isinstance(value, (int, float)) else str(value)
    return f"{shown} ({reading.year})"


def history(indicator: m.Indicator, stats: m.Statistics) -> list[m.Reading]:
    """The indicator's values year by year from its table row (columns that are years)."""
    table = stats.tables.get(indicator.table or "")
    if table is None or indicator.row is None:
        return []
    row = next((r for r in table.rows if str(r[0]).strip() == indicator.row.strip()), None)
    if row is None:
        return []
    found = []
    for heading, value in zip(table.columns[1:], row[1:], strict=False):
        year = str(heading).strip()
        if year.isdigit() and isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append(m.Reading(value=value, year=int(year)))
    return found


def current(indicator: m.Indicator, stats: m.Statistics) -> m.Reading | None:
    """The latest measurement: as given, else the last year of the table row."""
    if indicator.current is not None:
        return indicator.current
    years = history(indicator, stats)
    latest = years[-1] if years else None
    base = indicator.baseline
    return latest if latest and not (base and latest.year <= base.year) else None


def indicator_line(indicator: m.Indicator, stats: m.Statistics) -> str:
    """'Anmälda brott: 412 (2024) → 380 (2025) → 350 (2026)'; current only when measured."""
    now = current(indicator, stats)
    steps = [indicator.baseline, *([now] if now else []), indicator.target]
    return f"{indicator.what}: {f' {ARROW} '.join(reading_text(r) for r in steps)}"


def goal_text(measure: m.Measure, stats: m.Statistics) -> str:
    """The Operativa mål cell: the goal in words and the indicator that measures it."""
    parts = [measure.goal] if measure.goal else []
    indicator = stats.indicators.get(measure.indicator or "")
    if indicator is not None:
        parts.append(f"Indikator: {indicator_line(indicator, stats)}")
        if indicator.source:
            parts.append(f"Källa: {indicator.source}")
    return "\n".join(parts)


def progress_text(measure: m.Measure) -> str:
    return PROGRESS[measure.progress] if measure.progress else NO_PROGRESS


def follow_up_text(measure: m.Measure) -> str:
    """The Uppföljning cell before the traffic light: how it is followed up, then how it
    went (progress and the follow-up text)."""
    parts = [measure.follow_up] if measure.follow_up else []
    if measure.progress:
        parts.append(f"Genomförande: {PROGRESS[measure.progress]}")
    if measure.outcome:
        parts.append(measure.outcome)
    return "\n".join(parts)


def numbered_measures(measures: m.Measures
                      ) -> Iterator[tuple[str, m.Cause, m.Measure, tuple[Any, ...]]]:
    """Every measure with its number ('1.2'), its cause and its path in the block."""
    for i, cause in enumerate(measures.causes):
        for j, measure in enumerate(cause.measures):
            yield f"{i + 1}.{j + 1}", cause, measure, ("causes", i, "measures", j)


def problem_of(cause: m.Cause, measure: m.Measure) -> str | None:
    """The lägesbild problem a measure answers: its own link, else its cause's."""
    return measure.problem or cause.problem
