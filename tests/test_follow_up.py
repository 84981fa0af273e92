"""Issue 24: the follow-up of a year's action plan (type follow_up): a summary by
status, every measure with owner, status, follow-up text and indicator, and what goes
on into next year; rendered with its own template like every other document."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, minimal_municipality, write_municipality
from docx import Document
from lxml import etree

from avtalsgen.build import load, render_bundle
from avtalsgen.check import check_template
from avtalsgen.errors import ConfigError

C = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}

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


CHARTED = {
    "tables": {
        "brott": {"columns": ["Brott", "2022", "2023", "2024"],
                  "rows": [["Skadegörelse", 100, 90, 80], ["Våld", 50, 40, 30]]},
        "otrygghet": {"columns": ["Grupp", "2023", "2024"], "rows": [["Kvinnor", 25.5, 24]],
                      "unit": "percent", "decimals": 1},
        "folk": {"columns": ["", "2022", "2023", "2024"],
                 "rows": [["Invånare", 20000, 20000, 16000]]}},
    "indicators": {
        "skadegorelse": {"what": "Anmäld skadegörelse", "source": "Polisen",
                         "table": "brott", "row": "Skadegörelse"},
        "otrygga": {"what": "Otrygga kvinnor", "table": "otrygghet", "row": "Kvinnor"},
        "ett-ar": {"what": "Besökare", "baseline": {"value": 12, "year": 2024}}}}


def charted(tmp_path: Path, statistics: dict) -> tuple[list[str], list[list[float]]]:
    """The follow-up's figure captions, and each chart's values."""
    measures = {"causes": [{"cause": "Orsak", "measures": [
        {"measure": "A", "indicator": "skadegorelse"}, {"measure": "B", "indicator": "ett-ar"},
        {"measure": "C", "indicator": "otrygga"}, {"measure": "D", "indicator": "skadegorelse"}]}]}
    document = {**follow_up_document(),
                "sections": [{"heading": "Årets åtgärder", "content": [{"measures": measures}]}]}
    folder = write_municipality(tmp_path / "municipalities" / "exempelby",
                                minimal_municipality(), {"uppfoljning-2025": document},
                                statistics)
    data = render_bundle(load(folder))["uppfoljning-2025"]
    doc = Document(io.BytesIO(data))
    captions = [p.text for p in doc.paragraphs if p.text.startswith("Figur")]
    values = []
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        for name in sorted(n for n in docx.namelist() if n.startswith("word/charts/chart")):
            chart = etree.fromstring(docx.read(name))
            values.append([float(v.text) for v in chart.iterfind(".//c:val//c:v", C)])
    texts = [p.text for p in doc.paragraphs]
    assert texts.index("Indikatorerna år för år") < texts.index("Förs vidare till nästa år")
    return captions, values


def test_each_indicator_with_years_of_data_is_charted_once(tmp_path: Path) -> None:
    captions, values = charted(tmp_path, CHARTED)
    assert captions == ["Figur 1. Anmäld skadegörelse, 2022–2024",
                        "Figur 2. Otrygga kvinnor, 2023–2024"]
    assert values == [[100, 90, 80], [25.5, 24]]


def test_counts_are_charted_per_1000_inhabitants_with_a_population_table(
        tmp_path: Path) -> None:
    captions, values = charted(tmp_path, {**CHARTED, "population": "folk"})
    assert captions == ["Figur 1. Anmäld skadegörelse, per 1\u00a0000 invånare, 2022–2024",
                        "Figur 2. Otrygga kvinnor, 2023–2024"]  # a share stays a share
    assert values == [[5.0, 4.5, 5.0], [25.5, 24]]


def test_a_population_table_must_exist(tmp_path: Path) -> None:
    folder = write_municipality(tmp_path / "municipalities" / "exempelby",
                                minimal_municipality(),
                                {"uppfoljning-2025": follow_up_document()},
                                {**STATISTICS, "population": "folkmangd"})
    with pytest.raises(ConfigError) as found:
        load(folder)
    assert [(p.field, p.text("sv")) for p in found.value.problems] == [
        ("population", "det finns ingen tabell 'folkmangd' i statistiken")]
