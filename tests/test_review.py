"""Drafts and final versions, and no lost edits: what reviewers and signers rely on."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES
from docx import Document

from avtalsgen import output
from avtalsgen.build import Options, render_municipality

NAME = "verksamhetsplan.docx"


@pytest.fixture
def lulea(tmp_path: Path) -> Path:
    """Luleå's config as a draft under review."""
    folder = tmp_path / "municipalities" / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", folder)
    muni = folder / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8").replace("status: final", "status: draft"),
                    encoding="utf-8")
    return folder


def _header_text(path: Path) -> str:
    doc = Document(str(path))
    return "\n".join(p.text for p in doc.sections[0].header.paragraphs)


def test_draft_is_marked_in_header_and_properties(lulea: Path, tmp_path: Path) -> None:
    muni = lulea / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8")
                    + "version: '0.3'\nversion_date: 2020-08-15\n", encoding="utf-8")
    render_municipality(lulea, Options(out_dir=tmp_path / "out"))
    path = tmp_path / "out" / "lulea" / NAME
    assert "UTKAST version 0.3, 2020-08-15" in _header_text(path)
    props = Document(str(path)).core_properties
    assert props.content_status == "Utkast"
    assert props.version == "0.3"
    assert props.title.startswith("UTKAST")


def test_final_has_no_marks(lulea: Path, tmp_path: Path) -> None:
    render_municipality(lulea, Options(out_dir=tmp_path / "out", final=True))
    path = tmp_path / "out" / "lulea" / NAME
    assert "UTKAST" not in _header_text(path)
    props = Document(str(path)).core_properties
    assert props.content_status == "Slutlig"
    assert props.title == "Verksamhetsplan 2020-2021"


def test_final_refuses_placeholders_and_names_the_field(lulea: Path, cli) -> None:
    plan = lulea / "verksamhetsplan.yaml"
    text = plan.read_text(encoding="utf-8")
    line = text[: text.index("Genomfört senast oktober 2020.")].count("\n") + 1
    plan.write_text(text.replace("Genomfört senast oktober 2020.", "TODO datum"),
                    encoding="utf-8")
    muni = lulea / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8").replace("Petra Hinterthaler", '""'),
                    encoding="utf-8")
    result = cli("render", str(lulea), "--final", "--out", "out")
    assert result.exit_code == 2
    assert f"verksamhetsplan.yaml:{line}: sections[1].sections[0].timeline[0]: still holds " \
        "the placeholder 'TODO'" in result.output
    assert "signing.signatories[2].name: the signatory's name is needed" in result.output
    assert not Path("out").exists()
    # Without --final the same config renders as a draft.
    assert cli("render", str(lulea), "--out", "out").exit_code == 0


def test_status_final_in_the_config_means_final(lulea: Path, tmp_path: Path) -> None:
    muni = lulea / "municipality.yaml"
    muni.write_text(muni.read_text(encoding="utf-8").replace("status: draft", "status: final"),
                    encoding="utf-8")
    render_municipality(lulea, Options(out_dir=tmp_path / "out"))
    assert "UTKAST" not in _header_text(tmp_path / "out" / "lulea" / NAME)
    plan = lulea / "verksamhetsplan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("Genomfört senast oktober 2020.",
                                                             "TODO"), encoding="utf-8")
    from avtalsgen.errors import ConfigError

    with pytest.raises(ConfigError):
        render_municipality(lulea, Options(out_dir=tmp_path / "out2"))


def test_final_needs_place_and_date(lulea: Path, cli) -> None:
    muni = lulea / "municipality.yaml"
    text = muni.read_text(encoding="utf-8").replace("  date: 2020-01-01\n", "")
    muni.write_text(text.replace("  place: Luleå\n", ""), encoding="utf-8")
    result = cli("render", str(lulea), "--final", "--out", "out")
    assert result.exit_code == 2
    assert "signing.place: the place of signing is needed" in result.output
    assert "signing.date: the date of signing is needed" in result.output


def test_edited_output_is_not_overwritten_without_force(lulea: Path, cli) -> None:
    assert cli("render", str(lulea), "--out", "out").exit_code == 0
    target = Path("out/lulea") / NAME
    doc = Document(str(target))
    doc.add_paragraph("Ändrat för hand i Word.")
    doc.save(str(target))
    edited = target.read_bytes()

    result = cli("render", str(lulea), "--out", "out")
    assert result.exit_code == 2
    assert f"refusing to overwrite {target}" in result.output
    assert target.read_bytes() == edited

    result = cli("render", str(lulea), "--out", "out", "--force")
    assert result.exit_code == 0
    assert target.read_bytes() != edited
    assert "Ändrat för hand" not in "\n".join(p.text for p in Document(str(target)).paragraphs)


def test_unchanged_output_is_reported_and_left_alone(lulea: Path, cli) -> None:
    assert cli("render", str(lulea), "--out", "out").exit_code == 0
    before = os.stat(Path("out/lulea") / NAME).st_mtime_ns
    result = cli("render", str(lulea), "--out", "out")
    assert result.exit_code == 0
    assert "unchanged out/lulea/verksamhetsplan.docx" in result.output
    assert os.stat(Path("out/lulea") / NAME).st_mtime_ns == before


def test_interrupted_write_leaves_the_old_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "doc.docx"
    target.write_bytes(b"old")

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt  # as if the run were killed just before the rename

    monkeypatch.setattr(output.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        output.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.docx"]
