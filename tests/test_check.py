"""`avtalsgen check` finds broken templates before they reach a document."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO
from docx import Document

from avtalsgen.check import check_template

SHARED = sorted((REPO / "templates").glob("*.docx"))


def _template(tmp_path: Path, *paragraphs: list[str]) -> Path:
    """A template whose paragraphs are given as lists of runs."""
    doc = Document()
    for runs in paragraphs:
        p = doc.add_paragraph()
        for i, text in enumerate(runs):
            p.add_run(text).bold = bool(i % 2)
    path = tmp_path / "t.docx"
    doc.save(str(path))
    return path


def test_shared_templates_are_clean(cli) -> None:
    result = cli("check")
    assert result.exit_code == 0, result.output
    assert f"ok {len(SHARED)} templates" in result.output


def test_syntax_error_is_reported_with_paragraph(tmp_path: Path) -> None:
    path = _template(tmp_path, ["Titel: {{ doc.title }"], ["{%p if doc.adopted %}"])
    problems = check_template(path)
    assert problems
    assert all(p.file == path for p in problems)
    assert any("Jinja syntax error" in p.message for p in problems)


def test_split_tag_is_reported(tmp_path: Path) -> None:
    path = _template(tmp_path, ["Parter: {{ kommun.", "name }} och polisen"])
    [problem] = check_template(path)
    assert "split across Word runs" in problem.message
    assert "Parter: {{ kommun.name }} och polisen" in problem.message


def test_unknown_names_and_fields(tmp_path: Path, cli) -> None:
    path = _template(tmp_path, ["{{ kommun.namn }}"], ["{{ avtal.titel }}"],
                     ["{{ period | kursiv }}"])
    messages = [p.message for p in check_template(path)]
    assert any("unknown name 'avtal'" in m for m in messages)
    assert any("unknown field 'namn'" in m and "{{ kommun.namn }}" in m for m in messages)
    assert any("unknown filter 'kursiv'" in m for m in messages)
    result = cli("check", str(path))
    assert result.exit_code == 2
    assert str(path) in result.output
