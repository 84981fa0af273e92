"""A config written for an earlier version of the vocabulary still validates and renders."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO
from docx import Document

from avtalsgen.build import Options, render_municipality
from avtalsgen.model import SCHEMA_VERSION
from avtalsgen.schema import json_schema

V1 = REPO / "tests" / "compat" / "v1"


def test_version_1_example_still_renders(tmp_path: Path) -> None:
    folder = tmp_path / "gammalby"
    shutil.copytree(V1, folder, ignore=shutil.ignore_patterns("*.md"))
    outcome = render_municipality(folder, Options(out_dir=tmp_path / "out"))
    assert len(outcome.written) == 5
    for path in outcome.written:
        assert any(p.text.strip() for p in Document(str(path)).paragraphs)


def test_schema_carries_its_version() -> None:
    schema = json_schema()
    assert schema["version"] == SCHEMA_VERSION
    assert SCHEMA_VERSION.split(".")[0] == "2"
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"schema version {SCHEMA_VERSION}" in changelog
