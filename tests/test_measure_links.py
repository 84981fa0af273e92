"""Issue 24: the lägesbild's problems, the causes and the measures linked, each measure
with an owner, a time, an indicator and its progress; the action plan prints them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import minimal_municipality, write_municipality
from docx import Document

from avtalsgen import model as m
from avtalsgen.build import load, render_bundle
from avtalsgen.errors import ConfigError
from avtalsgen.fieldlabels import label_of
from avtalsgen.schema import json_schema


def report(**extra: Any) -> dict:
    return {"type": "situation_report", "title": "Lägesbild", "sections": [
        {"heading": "Problem", "sections": [
            {"heading": "Otrygghet i centrum", "problem_id": "centrum",
             "content": ["Många känner sig otrygga i centrum på kvällen."]},
            {"heading": "Bedrägerier mot äldre", "problem_id": "bedragerier",
             "no_measure_reason": "Polisen arbetar med det nationellt i år."}]},
        {"heading": "Analys", "content": ["Otryggheten hänger ihop med belysningen."]},
    ], **extra}


def linked_measure(**extra: Any) -> dict:
    return {"measure": "Byta belysning i gångtunnlar", "goal": "Tre tunnlar klara",
            "party": "kommun", "function": "Gatuchef",
            "start": "2025-03-01", "due": "2025-10-31", "indicator": "otrygga",
            "progress": "ongoing", "outcome": "Två av tre tunnlar klara i oktober.",
            **extra}


def action_plan(*measures: dict, cause_problem: str | None = "centrum",
                **extra: Any) -> dict:
    cause: dict[str, Any] = {"cause": "Dålig belysning", "measures": list(measures)}
    if cause_problem:
        cause["problem"] = cause_problem
    return {"type": "action_plan", "title": "Åtgärdsplan 2025", "year": 2025, "sections": [
        {"heading": "Åtgärder", "content": [{"measures": {"causes": [cause]}}]}], **extra}


INDICATORS = {
    "otrygga": {"what": "Andel otrygga i centrum", "source": "Trygghetsmätningen",
                "baseline": {"value": 31, "year": 2024},
                "current": {"value": 27.5, "year": 2025},
                "target": {"value": 25, "year": 2026}},
    "skadegorelse": {"what": "Anmäld skadegörelse", "table": "brott", "row": "Skadegörelse",
                     "baseline": {"value": 1210, "year": 2023},
                     "target": {"value": 1000, "year": 2026}},
}
STATISTICS = {"indicators": INDICATORS, "tables": {"brott": {
    "columns": ["Brott", "2023", "2024", "2025"],
    "rows": [["Skadegörelse", 1210, 1105, None]]}}}


def town(tmp_path: Path, plan: dict, lagesbild: dict | None = None) -> Path:
    return write_municipality(tmp_path / "municipalities" / "exempelby",
                              minimal_municipality(),
                              {"lagesbild": lagesbild or report(), "plan": plan}, STATISTICS)


def test_a_linked_measure_validates_with_every_part(tmp_path: Path) -> None:
    bundle = load(town(tmp_path, action_plan(linked_measure())))
    [section] = [s for s in bundle.documents["lagesbild"].sections[0].sections
                 if s.problem_id == "centrum"]
    block = bundle.documents["plan"].sections[0].content[0]
    assert isinstance(block, m.MeasuresBlock)
    cause = block.measures.causes[0]
    measure = cause.measures[0]
    assert cause.problem == section.problem_id == "centrum"
    assert (measure.party, measure.function) == ("kommun", "Gatuchef")
    indicator = bundle.statistics.indicators[measure.indicator or ""]
    assert indicator.baseline == m.Reading(value=31, year=2024)
    assert measure.progress == "ongoing" and bundle.documents["plan"].year == 2025


def test_a_measure_without_links_still_validates(tmp_path: Path) -> None:
    bundle = load(town(tmp_path, action_plan({"measure": "Fältassistenter", "who": "Anna"},
                                             cause_problem=None)))
    measure = bundle.documents["plan"].sections[0].content[0].measures.causes[0].measures[0]
    assert (measure.party, measure.function, measure.indicator, measure.progress,
            measure.problem) == (None, "", None, None, None)


def test_a_progress_outside_the_four_is_refused_in_swedish(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load(town(tmp_path, action_plan(linked_measure(progress="klar"))))
    [problem] = e.value.problems
    assert problem.field.endswith("measures[0].progress")
    said = problem.text("sv")
    assert "Planerad" in said and "Inställd" in said and "'klar'" in said


def test_the_plan_prints_owner_time_indicator_and_progress(tmp_path: Path) -> None:
    bundle = load(town(tmp_path, action_plan(linked_measure(), linked_measure(
        measure="Trygghetsvandring", party="polis", function="Kommunpolis",
        start=None, due="2025-05-31", indicator="skadegorelse", progress=None, outcome="",
        goal=""))))
    out = tmp_path / "plan.docx"
    out.write_bytes(render_bundle(bundle, ["plan"])["plan"])
    [table] = Document(str(out)).tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[1][2] == ("Tre tunnlar klara\nIndikator: Andel otrygga i centrum: 31 (2024) "
                          "→ 27,5 (2025) → 25 (2026)\nKälla: Trygghetsmätningen")
    assert rows[1][3] == "2025-03-01 – 2025-10-31"
    assert rows[1][4] == "Gatuchef (kommunen)"
    assert rows[1][5] == "Genomförande: Pågår\nTvå av tre tunnlar klara i oktober."
    # The current value is the table row's latest year with a figure.
    assert rows[2][2] == ("Indikator: Anmäld skadegörelse: 1\u00a0210 (2023) → 1\u00a0105 "
                          "(2024) → 1\u00a0000 (2026)")
    assert rows[2][3:] == ["senast 2025-05-31", "Kommunpolis (polisen)", ""]


def test_every_new_field_has_a_swedish_label_and_description() -> None:
    schema = json_schema("document")
    defs = {**schema["$defs"], "Document": schema}
    for model, fields in {"Measure": ("problem", "party", "function", "start", "due",
                                      "indicator", "progress", "outcome"),
                          "Cause": ("problem",), "Section": ("problem_id",
                                                             "no_measure_reason"),
                          "Document": ("year",)}.items():
        for name in fields:
            assert defs[model]["properties"][name].get("description"), (model, name)
    stats = json_schema("statistics")["$defs"]
    for model, fields in {"Indicator": ("what", "source", "baseline", "current", "target",
                                        "table", "row"),
                          "Reading": ("value", "year")}.items():
        for name in fields:
            assert stats[model]["properties"][name].get("description"), (model, name)
    assert label_of("statistics", ("indicators", "otrygga", "baseline", "year")).endswith(
        "Utgångsläge › År")
    measure = ("sections", 0, "content", 0, "measures", "causes", 0, "measures", 0)
    assert label_of("document", (*measure, "party")).endswith("Ansvarig part")
    assert label_of("document", (*measure, "problem")).endswith("Problem i lägesbilden (id)")
    assert label_of("document", ("sections", 0, "problem_id")).endswith("Problem-id")
