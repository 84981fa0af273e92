"""A re-run renders only what changed: the manifest keeps each document's input key.

Rendering is counted by wrapping render.render_docx; nothing is mocked away, so a
document that is rendered is really rendered and written.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES

from avtalsgen import build, config, pdf, render
from avtalsgen.build import Options, render_many
from avtalsgen.output import MANIFEST

SLUGS = ["lulea", "skelleftea", "strangnas"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "municipalities"
    shutil.copytree(MUNICIPALITIES, root)
    return root


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The template of every document rendered in this test, in order."""
    seen: list[str] = []
    real = render.render_docx

    def counting(template: Path, *args, **kwargs):
        seen.append(template.name)
        return real(template, *args, **kwargs)

    monkeypatch.setattr(render, "render_docx", counting)
    return seen


def run(root: Path, out: Path, **options) -> list[build.Outcome]:
    outcomes = render_many(SLUGS, Options(out_dir=out, **options), root=root)
    for outcome in outcomes:
        assert outcome.error is None, f"{outcome.slug}: {outcome.error}"
    return outcomes


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.docx"))}


def written(outcomes: list[build.Outcome]) -> list[str]:
    return [f"{o.slug}/{p.name}" for o in outcomes for p in o.written]


def test_a_rerun_with_nothing_changed_renders_nothing(root: Path, tmp_path: Path,
                                                       calls: list[str]) -> None:
    out = tmp_path / "out"
    first = run(root, out)
    assert len(calls) == 5 and len(written(first)) == 5
    before = files(out)
    calls.clear()
    second = run(root, out)
    assert calls == []
    assert written(second) == []
    assert sorted(f"{o.slug}/{p.name}" for o in second for p in o.unchanged) == sorted(before)
    assert files(out) == before


def test_changing_one_municipality_renders_only_its_documents(
        root: Path, tmp_path: Path, calls: list[str]) -> None:
    out = tmp_path / "out"
    run(root, out)
    plan = root / "lulea" / "verksamhetsplan.yaml"
    text = plan.read_text("utf-8")
    plan.write_text(text.replace("title: Verksamhetsplan", "title: Handlingsplan", 1), "utf-8")
    calls.clear()
    outcomes = run(root, out)
    # Luleå's two documents are rendered (its folder changed); only the edited one
    # has new bytes. The other municipalities are not touched.
    assert sorted(calls) == ["action_plan.docx", "agreement.docx"]
    assert written(outcomes) == ["lulea/verksamhetsplan.docx"]
    # Byte-identical to a full render of the same inputs into a fresh folder.
    fresh = tmp_path / "fresh"
    run(root, fresh)
    assert files(out) == files(fresh)


def test_a_new_file_in_the_folder_counts_but_hidden_ones_do_not(
        root: Path, tmp_path: Path, calls: list[str]) -> None:
    out = tmp_path / "out"
    run(root, out)
    conflicts = root / "strangnas" / ".avtalsgen-conflicts"
    conflicts.mkdir()
    (conflicts / "copy.yaml").write_text("x: 1\n", "utf-8")
    calls.clear()
    run(root, out)
    assert calls == []
    (root / "strangnas" / "notes.csv").write_text("a;b\n", "utf-8")
    run(root, out)
    assert calls == ["agreement.docx"]


def test_force_renders_everything(root: Path, tmp_path: Path, calls: list[str]) -> None:
    out = tmp_path / "out"
    run(root, out)
    calls.clear()
    run(root, out, force=True)
    assert len(calls) == 5


def test_a_changed_template_rebuilds_only_the_documents_that_use_it(
        root: Path, tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(config.TEMPLATES_DIR, templates)
    monkeypatch.setattr(config, "TEMPLATES_DIR", templates)
    out = tmp_path / "out"
    run(root, out)
    # Same parts, new bytes (a zip comment): a changed template file.
    plan = templates / "action_plan.docx"
    with zipfile.ZipFile(plan, "a") as z:
        z.comment = b"changed"
    calls.clear()
    outcomes = run(root, out)
    assert calls == ["action_plan.docx"]
    assert written(outcomes) == []  # same content, same document
    calls.clear()
    clauses = templates / "clauses.yaml"
    clauses.write_text(clauses.read_text("utf-8") + "\n# ändrad\n", "utf-8")
    run(root, out)
    assert len(calls) == 5  # the shared text library is an input of every document


def test_final_is_an_input(root: Path, tmp_path: Path, calls: list[str]) -> None:
    out = tmp_path / "out"
    build.render_municipality("strangnas", Options(out_dir=out), root=root)
    calls.clear()
    build.render_municipality("strangnas", Options(out_dir=out, final=True), root=root)
    assert calls == ["agreement.docx"]


def test_a_deleted_or_edited_output_is_not_taken_as_current(
        root: Path, tmp_path: Path, calls: list[str]) -> None:
    out = tmp_path / "out"
    run(root, out)
    (out / "lulea" / "verksamhetsplan.docx").unlink()
    calls.clear()
    outcomes = run(root, out)
    assert calls == ["action_plan.docx"]
    assert written(outcomes) == ["lulea/verksamhetsplan.docx"]
    # A hand edit is still refused, not skipped and not overwritten.
    edited = out / "strangnas" / "samverkansoverenskommelse.docx"
    edited.write_bytes(edited.read_bytes() + b"edit")
    outcomes = render_many(SLUGS, Options(out_dir=out), root=root)
    failed = [o for o in outcomes if o.error is not None]
    assert [o.slug for o in failed] == ["strangnas"]
    assert "refusing to overwrite" in str(failed[0].error)
    assert edited.read_bytes().endswith(b"edit")


def test_an_old_or_damaged_inputs_record_renders_again(
        root: Path, tmp_path: Path, calls: list[str]) -> None:
    out = tmp_path / "out"
    run(root, out)
    manifest = out / "lulea" / MANIFEST
    text = manifest.read_text("utf-8")
    manifest.write_text(text.replace('"keys": {', '"keys": {"x": 1, ', 1), "utf-8")
    calls.clear()
    run(root, out)
    assert sorted(calls) == ["action_plan.docx", "agreement.docx"]


def test_pdfs_are_not_converted_again(root: Path, tmp_path: Path, calls: list[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    converted: list[str] = []
    real = pdf.convert

    def counting(pairs, **options):
        converted.extend(docx.name for docx, _pdf in pairs)
        return real(pairs, **options)

    monkeypatch.setattr(pdf, "convert", counting)
    out = tmp_path / "out"
    options = Options(out_dir=out, formats=("docx", "pdf"))
    render_many(["strangnas"], options, root=root)
    assert converted == ["samverkansoverenskommelse.docx"]
    converted.clear()
    calls.clear()
    outcomes = render_many(["strangnas"], options, root=root)
    assert calls == [] and converted == []
    assert sorted(p.name for p in outcomes[0].unchanged) == [
        "samverkansoverenskommelse.docx", "samverkansoverenskommelse.pdf"]
    # A missing PDF is converted again from the unchanged document.
    (out / "strangnas" / "samverkansoverenskommelse.pdf").unlink()
    outcomes = render_many(["strangnas"], options, root=root)
    assert calls == [] and converted == ["samverkansoverenskommelse.docx"]
    assert [p.name for p in outcomes[0].written] == ["samverkansoverenskommelse.pdf"]


def test_the_cli_says_what_it_skipped(root: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "out"
    args = ("render", "--all", "--root", str(root), "--out", str(out), "--jobs", "2")
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 0
    assert "0 written, 5 unchanged, 0 failed" in again.output
