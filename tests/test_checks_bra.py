"""Issue 24: checks that read like Brå's advice and the law (Lag 2023:196 § 4), each
once, at its file, line and field; warnings in a draft, refusals for a final document."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import minimal_municipality

from avtalsgen.build import check, init_municipality
from avtalsgen.errors import ConfigError, Problem

LAGESBILD = """\
type: situation_report
title: Lägesbild
sections:
  - heading: Otrygghet i centrum
    problem_id: centrum
  - heading: Bedrägerier mot äldre
    problem_id: bedragerier
  - heading: Klotter
    problem_id: klotter
    no_measure_reason: Fastighetsägarna sanerar själva.
"""

PLAN = """\
type: action_plan
title: Åtgärdsplan 2025
year: 2025
sections:
  - heading: Åtgärder
    content:
      - measures:
          causes:
            - cause: Dålig belysning
              problem: centrum
              measures:
                - measure: Komplett
                  party: kommun
                  function: Gatuchef
                  start: 2025-02-01
                  due: 2025-10-31
                  indicator: otrygga
                - measure: Utan ägare
                  due: 2025-06-30
                  indicator: otrygga
                - measure: Utan tid
                  party: polis
                  function: Kommunpolis
                  indicator: otrygga
                - measure: Sen
                  party: polis
                  function: Kommunpolis
                  due: 2026-02-01
                  indicator: otrygga
                - measure: Utan indikator
                  party: polis
                  function: Kommunpolis
                  when: Vt 2025
                - measure: Okänd indikator
                  party: polis
                  function: Kommunpolis
                  when: Vt 2025
                  indicator: saknas
            - cause: Okänd orsak
              measures:
                - measure: Utan problem
                  party: kommun
                  function: Fritidschef
                  when: Ht 2025
                  indicator: otrygga
                - measure: Fel problem
                  problem: finns-inte
                  party: kommun
                  function: Fritidschef
                  when: Ht 2025
                  indicator: otrygga
"""

STATISTICS = """\
indicators:
  otrygga:
    what: Andel otrygga i centrum
    baseline: {value: 31, year: 2024}
    target: {value: 25, year: 2026}
  halvfardig:
    what: Halvfärdig
    table: finns-inte
"""

# (file, the text on the line the problem points at, field, the start of its message)
EXPECTED = [
    ("plan.yaml", "- measure: Utan ägare",
     "sections[0].content[0].measures.causes[0].measures[1].party",
     "measure 1.2 'Utan ägare' has no owner: name the responsible party and function (Brå"),
    ("plan.yaml", "- measure: Utan tid",
     "sections[0].content[0].measures.causes[0].measures[2].due",
     "measure 1.3 'Utan tid' has no time: give the date it is to be done by (Brå"),
    ("plan.yaml", "due: 2026-02-01",
     "sections[0].content[0].measures.causes[0].measures[3].due",
     "measure 1.4 'Sen': 2026-02-01 is outside the plan's period 2025 (Brå"),
    ("plan.yaml", "- measure: Utan indikator",
     "sections[0].content[0].measures.causes[0].measures[4].indicator",
     "measure 1.5 'Utan indikator' has no measurable indicator: name one of the "
     "indicators in the statistics (Brå"),
    ("plan.yaml", "indicator: saknas",
     "sections[0].content[0].measures.causes[0].measures[5].indicator",
     "measure 1.6 'Okänd indikator' names the indicator 'saknas', which is not among"),
    ("plan.yaml", "- measure: Utan problem",
     "sections[0].content[0].measures.causes[1].measures[0]",
     "measure 2.1 'Utan problem' answers no problem in the lägesbild: name the problem "
     "under problem of the measure or of its cause (Brå"),
    ("plan.yaml", "problem: finns-inte",
     "sections[0].content[0].measures.causes[1].measures[1].problem",
     "measure 2.2 'Fel problem' names the problem 'finns-inte', which no section of the "
     "lägesbild has as its problem id (Brå"),
    ("lagesbild.yaml", "problem_id: bedragerier", "sections[1].problem_id",
     "the problem 'bedragerier' has no measure in the action plan and no stated reason: "
     "link a cause or measure to it, or say why under no_measure_reason (Brå"),
    ("statistics.yaml", "halvfardig:", "indicators.halvfardig.baseline",
     "the indicator 'Halvfärdig' has no baseline (a value and its year) (Brå"),
    ("statistics.yaml", "halvfardig:", "indicators.halvfardig.target",
     "the indicator 'Halvfärdig' has no target (a value and the year to reach it) (Brå"),
    ("statistics.yaml", "table: finns-inte", "indicators.halvfardig.table",
     "the indicator 'Halvfärdig' reads its values from the table 'finns-inte'"),
    ("lagesbild.yaml", "sections:", "sections",
     "the lägesbild has no analysis section: add a section whose heading names the "
     "analysis, e.g. 'Analys' (Lag 2023:196 § 4"),
]


def write_town(root: Path, lagesbild: str = LAGESBILD, plan: str = PLAN) -> Path:
    folder = root / "municipalities" / "exempelby"
    folder.mkdir(parents=True)
    municipality = {**minimal_municipality(), "documents": ["lagesbild", "plan"]}
    (folder / "municipality.yaml").write_text(
        yaml.safe_dump(municipality, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (folder / "lagesbild.yaml").write_text(lagesbild, encoding="utf-8")
    (folder / "plan.yaml").write_text(plan, encoding="utf-8")
    (folder / "statistics.yaml").write_text(STATISTICS, encoding="utf-8")
    return folder


def line_with(folder: Path, file: str, text: str) -> int:
    lines = (folder / file).read_text(encoding="utf-8").splitlines()
    [number] = [i for i, line in enumerate(lines, start=1) if line.strip().startswith(text)]
    return number


def brå(problems: list[Problem]) -> list[Problem]:
    """The problems of these checks (the example's signatories are complete)."""
    return [p for p in problems if "placeholder" not in p.message]


def test_each_check_once_at_its_file_line_and_field(tmp_path: Path) -> None:
    folder = write_town(tmp_path)
    _bundle, warnings = check(folder)
    found = brå(warnings)
    assert len(found) == len(EXPECTED), "\n".join(str(p) for p in found)
    for (file, text, field, start), problem in zip(EXPECTED, found, strict=True):
        assert Path(problem.file).name == file
        assert problem.field == field
        assert problem.message.startswith(start), problem.message
        assert problem.line == line_with(folder, file, text), (problem, text)


def test_each_message_names_its_source_in_swedish(tmp_path: Path) -> None:
    _bundle, warnings = check(write_town(tmp_path))
    said = [p.text("sv") for p in brå(warnings)]
    assert all("Brå:" in s or "lag 2023:196, 4 §" in s for s in said
               if "statistiken" not in s or "Brå" in s), said
    assert said[0] == ("åtgärd 1.2 'Utan ägare' har ingen ägare: ange ansvarig part och "
                       "funktion (Brå: varje åtgärd ska ha någon som ansvarar för den)")
    assert said[5].startswith("åtgärd 2.1 'Utan problem' svarar inte mot något problem i "
                              "lägesbilden: ange problemet under Problem i lägesbilden (id)")
    assert said[-1].startswith("lägesbilden saknar ett avsnitt med analys")


def test_final_refuses_what_a_draft_warns_about(tmp_path: Path) -> None:
    folder = write_town(tmp_path)
    with pytest.raises(ConfigError) as e:
        check(folder, final=True)
    assert len(brå(e.value.problems)) == len(EXPECTED)


def test_a_plan_that_follows_the_model_passes(tmp_path: Path) -> None:
    plan = PLAN[:PLAN.index("                - measure: Utan ägare")]
    lagesbild = (LAGESBILD.replace("    problem_id: bedragerier\n",
                                   "    problem_id: bedragerier\n    no_measure_reason: "
                                   "Polisen arbetar nationellt.\n")
                 + "  - heading: Analys\n    content: [Otryggheten följer belysningen.]\n")
    folder = write_town(tmp_path, lagesbild, plan)
    (folder / "statistics.yaml").write_text(STATISTICS[:STATISTICS.index("  halvfardig")],
                                            encoding="utf-8")
    _bundle, warnings = check(folder, final=True)
    assert brå(warnings) == []


def test_no_checks_without_brås_table(tmp_path: Path) -> None:
    plan = ("type: action_plan\ntitle: Plan\nsections:\n  - heading: Mål\n"
            "    goals: [Tryggare centrum]\n")
    _bundle, warnings = check(write_town(tmp_path, plan=plan), final=True)
    assert brå(warnings) == []


def test_the_init_example_follows_the_model(tmp_path: Path) -> None:
    folder = init_municipality("testby", tmp_path / "municipalities", name="Testby")
    bundle, warnings = check(folder)
    assert [str(p) for p in warnings if "Brå" in p.message or "2023:196" in p.message] == []
    plan = bundle.documents["handlingsplan"]
    measures = next(b.measures for s in plan.sections for b in s.content
                    if hasattr(b, "measures"))
    linked = [(c.problem, x.party, x.indicator, x.progress)
              for c in measures.causes for x in c.measures]
    assert all(all(v is not None for v in row) for row in linked), linked
    assert set(bundle.statistics.indicators) == {x[2] for x in linked}
