"""Issue 24: the follow-up of a year's action plan (type follow_up): a summary by
status, every measure with owner, status, follow-up text and indicator, and what goes
on into next year; rendered with its own template like every other document."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, minimal_municipality, write_municipality
from docx import Document

from avtalsgen.build import load, render_bundle
from avtalsgen.check import check_template

MEASURES = {"title": "Åtgärder 2025", "causes": [
    {"cause": "Dålig belysning", "measures": [
        {"measure": "Byta belysning", "party": "kommun", "function": "Gatuchef",
         "indicator": "otrygga", "progress": "done", "outcome": "Tre tunnlar klara."},
        {"measure": "Trygghetsvandringar", "party": "polis", "function": "Kommunpolis",
         "who": "Eva Ek", "progress": "ongoing", "follow_up": "Rapport varje kvartal"}]},
    {"cause": "Sysslolösa ungdomar", "measures": [
        {"measure": "Fritidsgård fredagar", "progress": "cancelled",
         "outcome": "Ingen personal."},
        {"measure": "Fältassistenter"}]}]}
STATISTICS = {"indicators": {"otrygga": {
    "what": "Andel otrygga", "baseline": {"value": 31, "year": 2024},
    "current": {"value": 27, "year": 2025}, "target": {"value": 25, "year": 2026}}}}


def follow_up_document() -> dict:
    return {"type": "follow_up", "title": "Uppföljning av åtgärdsplanen 2025", "year": 2025,
            "sections": [{"heading": "Årets åtgärder", "content": [{"measures": MEASURES}]}]}


def rendered(tmp_path: Path) -> Path:
    folder = write_municipality(tmp_path / "municipalities" / "exempelby",
                                minimal_municipality(),
                                {"uppfoljning-2025": follow_up_document()}, STATISTICS)
    out = tmp_path / "uppfoljning.docx"
    out.write_bytes(render_bundle(load(folder))["uppfoljning-2025"])
    return out


def test_the_follow_up_reports_every_measure_of_the_year(tmp_path: Path) -> None:
    doc = Document(str(rendered(tmp_path)))
    summary, measures = ([[c.text for c in row.cells] for row in table.rows]
                         for table in doc.tables)
    assert summary == [["Status", "Antal åtgärder"], ["Pågår", "1"], ["Genomförd", "1"],
                       ["Inställd", "1"], ["Ej angiven", "1"], ["Totalt", "4"]]
    assert measures[0] == ["Nr", "Åtgärd", "Ansvarig", "Status", "Uppföljning", "Indikator"]
    assert measures[1] == ["1.1", "Byta belysning", "Gatuchef (kommunen)", "Genomförd",
                           "Tre tunnlar klara.",
                           "Andel otrygga: 31 (2024) → 27 (2025) → 25 (2026)"]
    assert measures[2] == ["1.2", "Trygghetsvandringar", "Kommunpolis (polisen)\nEva Ek",
                           "Pågår", "Rapport varje kvartal", ""]
    assert [r[:4] for r in measures[3:]] == [["2.1", "Fritidsgård fredagar", "", "Inställd"],
                                             ["2.2", "Fältassistenter", "", "Ej angiven"]]
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("Förs vidare till nästa år")
    assert texts[start + 1:start + 3] == ["1.2 Trygghetsvandringar (pågår)",
                                          "2.2 Fältassistenter (ej angiven)"]
    assert "Uppföljning av åtgärdsplanen 2025" in texts


def test_the_follow_up_template_passes_the_template_checks() -> None:
    assert check_template(REPO / "templates" / "follow_up.docx") == []
