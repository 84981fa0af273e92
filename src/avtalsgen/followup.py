"""The follow-up of a year's action plan (document type `follow_up`): in it, Brå's
measure table is printed as the follow-up, not as the plan: a summary by status, every
measure with its owner, status, follow-up text and indicator (baseline → current →
target), and what is carried into next year."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import model as m
from .formatting import EN_DASH, tal
from .indicators import (
    NO_PROGRESS,
    PROGRESS,
    history,
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


def indicator_charts(measures: m.Measures, stats: m.Statistics
                     ) -> list[tuple[m.Chart, m.Table]]:
    """A line chart of each indicator the measures name that has two years or more in
    its statistics table row, with the table it is drawn from (the row alone)."""
    return charts_of([measure.indicator or "" for _n, _cause, measure, _path
                      in numbered_measures(measures)], stats)


def charts_of(names: list[str], stats: m.Statistics) -> list[tuple[m.Chart, m.Table]]:
    """A line chart of each named indicator with two years or more of data, once each,
    per 1 000 inhabitants where the statistics name a population table."""
    out: list[tuple[m.Chart, m.Table]] = []
    seen: set[str] = set()
    for name in names:
        indicator = stats.indicators.get(name)
        years = history(indicator, stats) if indicator is not None else []
        if indicator is None or name in seen or len(years) < 2 or \
                stats.tables[indicator.table or ""].unit == "text":
            continue
        seen.add(name)
        source = stats.tables[indicator.table or ""]
        rates = per_thousand(years, stats) if source.unit == "number" else []
        per = ", per 1\u00a0000 invånare" if len(rates) >= 2 else ""
        years = rates if per else years
        population = stats.tables.get(stats.population or "")
        table = m.Table(columns=["År", *(str(r.year) for r in years)],
                        rows=[[indicator.what, *(r.value for r in years)]],
                        unit=source.unit, decimals=1 if per else source.decimals,
                        source=indicator.source or source.source,
                        sample_data=source.sample_data or bool(
                            per and population and population.sample_data))
        first, last = years[0], years[-1]
        alt = (f"Linjediagram: {indicator.what}{per} år för år, från {tal(first.value)} "
               f"({first.year}) till {tal(last.value)} ({last.year}).")
        caption = f"{indicator.what}{per}, {first.year}{EN_DASH}{last.year}"
        out.append((m.Chart(table=name, kind="line", alt=alt, caption=caption), table))
    return out


def per_thousand(years: list[m.Reading], stats: m.Statistics) -> list[m.Reading]:
    """The readings per 1 000 inhabitants, for the years the population table (its first
    row) gives; none without a population table."""
    table = stats.tables.get(stats.population or "")
    if table is None or not table.rows:
        return []
    people = {r.year: r.value for r in history(
        m.Indicator(what="Folkmängd", table=stats.population, row=str(table.rows[0][0])), stats)}
    return [m.Reading(value=round(r.value * 1000 / people[r.year], 1), year=r.year)
            for r in years if people.get(r.year)]


def items(measures: m.Measures, stats: m.Statistics,
          chart: Callable[[m.Chart, m.Table], Item] | None = None) -> list[Item]:
    """The follow-up of one measure table, as body items; chart(chart, table) makes a
    chart's item (numbered as a figure), one per indicator with years of data."""
    going_on = [f"{number} {measure.measure} ({progress_text(measure).lower()})"
                for number, _c, measure, _p in numbered_measures(measures) if carried(measure)]
    out = [{"kind": "label", "text": "Sammanfattning"}, summary(measures),
           {"kind": "label", "text": "Åtgärderna"}, measure_rows(measures, stats)]
    charts = indicator_charts(measures, stats) if chart is not None else []
    if chart is not None and charts:
        out.append({"kind": "label", "text": "Indikatorerna år för år"})
        out += [chart(c, t) for c, t in charts]
    out.append({"kind": "label", "text": "Förs vidare till nästa år"})
    if going_on:
        out += [{"kind": "bullet", "text": text, "style": "normal", "footnote": None}
                for text in going_on]
    else:
        out.append({"kind": "paragraph", "text": "Inga åtgärder förs vidare.",
                    "style": "normal", "footnote": None})
    return out
