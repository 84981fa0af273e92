"""The import corpus (tests/import_corpus): Word files and spreadsheets typed the ways
municipal officers type them, generated at test time, each imported and compared by
structure (headings, lists, tables, fields, parties, period, signing, flags). Every
expected fact must be found; docs/import-corpus.md reports the same score
(tools/import_corpus.py writes it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from import_corpus import all_cases, run_case
from import_corpus.kit import soffice

from avtalsgen import model as m
from avtalsgen.context import table_item

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case_keeps_its_structure(case, tmp_path: Path) -> None:
    if case.libreoffice and soffice() is None:
        pytest.skip("LibreOffice is not installed")
    result = run_case(case, tmp_path)
    assert result.error is None, result.error
    assert result.score.ratio == 1.0, (result.score.missing, result.score.unwanted,
                                       result.flags)
    assert result.seconds < 5


def test_corpus_is_large_and_covers_each_finding() -> None:
    """At least 15 Word files and 6 spreadsheets; each of issue 21's eight findings has
    a case (each failed before the importer was fixed)."""
    assert sum(c.kind == "word" for c in CASES) >= 15
    assert sum(c.kind == "sheet" for c in CASES) >= 6
    assert {c.finding for c in CASES} >= set(range(1, 9))
    assert len({c.name for c in CASES}) == len(CASES)


def test_a_blank_total_prints_blank(tmp_path: Path) -> None:
    """The source left a sum blank: the document prints it blank, not a computed sum."""
    case = next(c for c in CASES if c.name == "tom-summa")
    run_case(case, tmp_path)
    tables = yaml.safe_load((tmp_path / "ekby" / "statistics.yaml").read_text("utf-8"))
    table = m.Table.model_validate(next(iter(tables["tables"].values())))
    assert table_item("brott", table)["total"] == ["Totalt", "972", "–", "889"]


def test_the_review_list_puts_parties_period_and_signing_first(tmp_path: Path) -> None:
    """Every guess is listed with its topic and confidence, ordered by how much it
    matters; in Swedish for a Swedish reader."""
    from avtalsgen.importing.report import RANK
    from avtalsgen.importing.word import import_docx

    case = next(c for c in CASES if c.name == "sidhuvud")
    report = import_docx(case.make(tmp_path), tmp_path / "ekby")
    review = report.review()
    ranks = [RANK.index(topic) for topic, _confidence, _note in review]
    assert ranks == sorted(ranks) and review[0][0] == "signing" and review[0][1] == "low"
    text = report.summary("sv")
    assert "viktigast först" in text and "1. Underskrifter (en gissning: kontrollera)" in text
    assert "Sidhuvud (troligen rätt)" in text and "Sidfot (troligen rätt)" in text
